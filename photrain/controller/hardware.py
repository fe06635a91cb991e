"""The hardware a controller drives: which core runs which product, and how each core is built.

``CORES`` is the one ``--core`` vocabulary for every product an algorithm asks
for: ``digital`` (the controller's own float32 arithmetic), ``bank`` (MRR
weight banks, :class:`photrain.cores.MRRWeightBank`) and ``crossbar``
(:class:`photrain.cores.CrossbarCore`, conductances straight from the weight
memory's differential pairs).
"""

from __future__ import annotations

from dataclasses import dataclass

from photrain.cores import MRRWeightBank, Readout

CORES = ("digital", "bank", "crossbar")


@dataclass(frozen=True)
class OpticalConfig:
    """The MRR weight-bank cores (forward products with ``core='bank'``; B e in optical DFA).

    core_rows: rows (banks of rings) per physical core, i.e. outputs per pass; channels = number of classes.
    spacing: WDM channel spacing (µm); coupling: ring power coupling; power_per_channel: W.
    bandwidth: receiver bandwidth = symbol rate (Hz); adc_bits / dac_bits: converter resolution (None = ideal).
    rin_db_hz: laser RIN (dB/Hz, None = none); signed: 'offset' (one pass per product) or 'differential' (two).
    heater_bits: heater-DAC resolution of every ring (None = ideal).
    receiver: 'integrating' (the photocurrents of a row's column blocks add on the receiver before
        one noise draw with the summed variance and one ADC read: the fast forward-on-cores mode) or
        'per-block' (every column block read and converted on its own); see :class:`photrain.cores.Readout`.
    ideal: no detector noise, no converter quantisation and a crosstalk-free bank.
    """

    core_rows: int = 64
    spacing: float = 0.0016
    coupling: float = 0.03
    power_per_channel: float = 1e-3
    bandwidth: float = 10e9
    adc_bits: int | None = 8
    dac_bits: int | None = 8
    rin_db_hz: float | None = -150.0
    signed: str = "offset"
    heater_bits: int | None = 12
    receiver: str = "integrating"
    ideal: bool = False

    def bank(self, n_channels: int) -> MRRWeightBank:
        if self.ideal:
            readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth, noise=False)
        else:
            readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth,
                              adc_bits=self.adc_bits, dac_bits=self.dac_bits, rin_db_hz=self.rin_db_hz,
                              receiver=self.receiver)
        return MRRWeightBank(n_channels, self.core_rows, spacing=self.spacing, coupling=self.coupling,
                             readout=readout, crosstalk=not self.ideal, extinction_ratio_db=30.0, signed=self.signed,
                             heater_bits=None if self.ideal else self.heater_bits)


@dataclass(frozen=True)
class CrossbarConfig:
    """The memristive crossbar arrays (``core='crossbar'``, :class:`photrain.cores.CrossbarCore`).

    rows x cols: one physical array (outputs x inputs); read_voltage: full-scale read pulse (V);
    read_noise: relative conductance std per read; dac_bits / adc_bits: converters (None = ideal);
    adc_range: ADC full scale as the current of this many fully-on inputs (aihwkit's calibrated
    out_bound = 20; None: the worst case of a whole tile, which leaves typical outputs a few LSBs);
    ideal: no read or amplifier noise and ideal converters. The conductance window (ADC full scale
    and the mapping of digital weights) is the memory device's when it has one (g_min, g_max).
    """

    rows: int = 128
    cols: int = 128
    read_voltage: float = 0.2
    read_noise: float = 0.01
    dac_bits: int | None = 8
    adc_bits: int | None = 8
    adc_range: float | None = 20.0
    ideal: bool = False

    def crossbar(self, memory=None):
        from photrain.cores import CrossbarCore
        from photrain.cores.crossbar import CrossbarReadout

        window = {k: float(getattr(memory, k)) for k in ("g_min", "g_max") if hasattr(memory, k)}
        if self.ideal:
            readout = CrossbarReadout(noise=False)
        else:
            readout = CrossbarReadout(dac_bits=self.dac_bits, adc_bits=self.adc_bits, adc_range=self.adc_range)
        return CrossbarCore(self.rows, self.cols, read_voltage=self.read_voltage,
                            read_noise=0.0 if self.ideal else self.read_noise, readout=readout, **window)
