"""The hardware a controller drives: which core runs which product, and how each core is built.

``CORES`` is the one ``--core`` vocabulary for every product an algorithm asks
for: ``digital`` (the controller's own float32 arithmetic), ``bank`` (MRR
weight banks, :class:`photrain.cores.MRRWeightBank`) and ``crossbar``
(:class:`photrain.cores.CrossbarCore`, conductances straight from the weight
memory's differential pairs) and ``mesh`` (coherent MZI meshes, :class:`photrain.cores.MZIMesh`:
B·e of optical DFA and inference through meshes programmed by SVD; :class:`MeshConfig`).
"""

from __future__ import annotations

from dataclasses import dataclass

from photrain.cores import MRRWeightBank, Readout
from photrain.cores.modulator import MODULATORS, InputModulator
from photrain.layout.heater_layout import MESH_HEATER_CROSSTALK

WEIGHT_ELEMENTS = ("heater", "gst")

CORES = ("digital", "bank", "crossbar", "mesh")
TOPOLOGIES = ("clements", "reck")


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
    input_modulator: how inputs enter the bank (:class:`photrain.cores.modulator.InputModulator`):
        'ideal' (linear intensities), 'mzm' (Mach-Zehnder, sin^2 transfer) or 'ring' (ring modulator,
        Lorentzian transfer), each with the 30 dB extinction floor; predistortion: the DAC-path
        lookup that makes the transmitted intensity hit the request (on by default; off sends the
        code linear in the request and the transfer's nonlinearity reaches the rings).
    weight_element: 'heater' (rings detuned by heaters, held with power) or 'gst' (non-volatile
        phase-change cell pairs, :class:`photrain.cores.gst_bank.GSTWeightBank`; gst_levels levels per cell).
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
    input_modulator: str = "ideal"
    predistortion: bool = True
    weight_element: str = "heater"
    gst_levels: int = 8

    def __post_init__(self):
        if self.input_modulator not in MODULATORS:
            raise ValueError(f"input_modulator must be one of {', '.join(MODULATORS)} (--input-modulator); "
                             f"got {self.input_modulator!r}")
        if self.weight_element not in WEIGHT_ELEMENTS:
            raise ValueError(f"weight_element must be one of {', '.join(WEIGHT_ELEMENTS)} (--weight-element); "
                             f"got {self.weight_element!r}")

    def modulator(self) -> InputModulator | None:
        """The input DAC + modulator model (None: linear intensities, the bank's own floor)."""
        if self.input_modulator == "ideal":
            return None
        return InputModulator(self.input_modulator, predistortion=self.predistortion, extinction_ratio_db=30.0)

    def bank(self, n_channels: int) -> MRRWeightBank:
        if self.ideal:
            readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth, noise=False,
                              modulator=self.modulator())
        else:
            readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth,
                              adc_bits=self.adc_bits, dac_bits=self.dac_bits, rin_db_hz=self.rin_db_hz,
                              receiver=self.receiver, modulator=self.modulator())
        common = dict(readout=readout, crosstalk=not self.ideal, extinction_ratio_db=30.0, signed=self.signed)
        if self.weight_element == "gst":
            import dataclasses

            from photrain.cores.gst_bank import GSTWeightBank
            from photrain.models.gst import GSTCell

            bank = GSTWeightBank(n_channels, self.core_rows, cell=GSTCell(levels=self.gst_levels),
                                 spacing=self.spacing, **common)
            # the ADC range matched to the largest balanced current a row can give (every weight at +w_range)
            bank.readout = dataclasses.replace(readout, adc_headroom=min(1.0, bank.w_range))
            return bank
        return MRRWeightBank(n_channels, self.core_rows, spacing=self.spacing, coupling=self.coupling,
                             heater_bits=None if self.ideal else self.heater_bits, **common)


@dataclass(frozen=True)
class CrossbarConfig:
    """The memristive crossbar arrays (``core='crossbar'``, :class:`photrain.cores.CrossbarCore`).

    rows x cols: one physical array (outputs x inputs); read_voltage: full-scale read pulse (V);
    read_noise: relative conductance std per read; dac_bits / adc_bits: converters (None = ideal);
    adc_range: ADC full scale as the current of this many fully-on inputs (aihwkit's calibrated
    out_bound = 20; None: the worst case of a whole tile, which leaves typical outputs a few LSBs);
    ideal: no read or amplifier noise and ideal converters. The conductance window (ADC full scale
    and the mapping of digital weights) is the memory device's when it has one (g_min, g_max).
    adc_range_t: full scale of the transposed read (W^T products; None = adc_range).
    """

    rows: int = 128
    cols: int = 128
    read_voltage: float = 0.2
    read_noise: float = 0.01
    dac_bits: int | None = 8
    adc_bits: int | None = 8
    adc_range: float | None = 20.0
    adc_range_t: float | None = None
    ideal: bool = False

    def crossbar(self, memory=None):
        from photrain.cores import CrossbarCore
        from photrain.cores.crossbar import CrossbarReadout

        window = {k: float(getattr(memory, k)) for k in ("g_min", "g_max") if hasattr(memory, k)}
        if self.ideal:
            readout = CrossbarReadout(noise=False)
        else:
            readout = CrossbarReadout(dac_bits=self.dac_bits, adc_bits=self.adc_bits, adc_range=self.adc_range,
                                      adc_range_t=self.adc_range_t)
        return CrossbarCore(self.rows, self.cols, read_voltage=self.read_voltage,
                            read_noise=0.0 if self.ideal else self.read_noise, readout=readout, **window)


#: What realises a mesh tile's singular values: heater-tuned MZIs or non-volatile GST cascades.
MESH_ATTENUATORS = ("mzi", "gst")


@dataclass(frozen=True)
class MeshConfig:
    """The coherent MZI-mesh cores (``core='mesh'``, :class:`photrain.cores.MZIMesh`).

    A matrix is cut into n x n tiles; each tile W_rc = s U Sigma V^H is programmed once by SVD
    on two meshes (V^H, U) and a column of MZI attenuators (Sigma / s), read by balanced
    homodyne detection against a local oscillator, s applied digitally. Programming is a
    host-side SVD + Clements decomposition (not per batch), so with ``core='mesh'`` optical DFA
    runs B·e on meshes while the training forward products stay digital; a trained network's
    forward products run on meshes for evaluation.

    n: modes per mesh (the tile size); topology: 'clements' or 'reck'.
    coupler_sigma: std of each directional coupler's power coupling around 0.5, drawn once per chip;
    phase_sigma: static phase error of every heater (rad, per chip); mzi_loss_db: insertion loss per
    MZI. These static errors are 0 by default (a calibrated chip); set them to study an uncalibrated one.
    crosstalk: fraction of a heater's phase its neighbours in the column see, by default the drawn
    mesh's (:data:`photrain.layout.heater_layout.MESH_HEATER_CROSSTALK`, from the layout);
    compensate_crosstalk: the heater drives pre-compensate it (a calibrated chip, on by default).
    phase_bits: heater-DAC resolution over [0, 2 pi) (None = ideal); power_per_channel: W per input
    mode at full scale; lo_power: local-oscillator power (W); bandwidth: receiver bandwidth = symbol
    rate (Hz); adc_bits / dac_bits: converters (None = ideal); rin_db_hz: laser RIN (dB/Hz, None = none);
    chip_seed: seed of the chip's static errors; ideal: no detector noise, ideal converters and
    heaters, no static errors.
    attenuator: the SVD attenuator column, 'mzi' (heater-tuned MZIs, held with power) or 'gst'
    (``gst_cells`` non-volatile GST cells of ``gst_levels`` levels in series on each mode, no hold
    power: :class:`photrain.cores.GSTAttenuator`).
    """

    n: int = 16
    topology: str = "clements"
    coupler_sigma: float = 0.0
    phase_sigma: float = 0.0
    crosstalk: float = MESH_HEATER_CROSSTALK
    compensate_crosstalk: bool = True
    mzi_loss_db: float = 0.0
    phase_bits: int | None = 12
    power_per_channel: float = 1e-3
    lo_power: float = 10e-3
    bandwidth: float = 10e9
    adc_bits: int | None = 8
    dac_bits: int | None = 8
    rin_db_hz: float | None = -150.0
    chip_seed: int = 0
    ideal: bool = False
    attenuator: str = "mzi"
    gst_cells: int = 6
    gst_levels: int = 8

    def __post_init__(self):
        if isinstance(self.n, bool) or int(self.n) != self.n or self.n < 2:
            raise ValueError(f"mesh n must be an integer >= 2 modes (--mesh-modes); got {self.n!r}")
        if self.topology not in TOPOLOGIES:
            raise ValueError(f"mesh topology must be one of {', '.join(TOPOLOGIES)}; got {self.topology!r}")
        for name in ("coupler_sigma", "phase_sigma", "mzi_loss_db"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"mesh {name} must be >= 0; got {getattr(self, name)}")
        for name in ("power_per_channel", "lo_power", "bandwidth"):
            if not getattr(self, name) > 0:
                raise ValueError(f"mesh {name} must be > 0; got {getattr(self, name)}")
        for name in ("phase_bits", "adc_bits", "dac_bits"):
            v = getattr(self, name)
            if v is not None and (int(v) != v or v < 1):
                raise ValueError(f"mesh {name} must be an integer >= 1 or None (ideal); got {v!r}")
        if self.attenuator not in MESH_ATTENUATORS:
            raise ValueError(f"mesh attenuator must be one of {', '.join(MESH_ATTENUATORS)} (--mesh-attenuator); "
                             f"got {self.attenuator!r}")
        if isinstance(self.gst_cells, bool) or int(self.gst_cells) != self.gst_cells or self.gst_cells < 1:
            raise ValueError(f"mesh gst_cells must be an integer >= 1 (--mesh-gst-cells); got {self.gst_cells!r}")
        if isinstance(self.gst_levels, bool) or int(self.gst_levels) != self.gst_levels or self.gst_levels < 2:
            raise ValueError(f"mesh gst_levels must be an integer >= 2 (--gst-levels); got {self.gst_levels!r}")

    def gst_attenuator(self):
        """The :class:`photrain.cores.GSTAttenuator` of ``attenuator='gst'`` (None for MZIs)."""
        if self.attenuator != "gst":
            return None
        from photrain.cores import GSTAttenuator
        from photrain.models.gst import GSTCell

        return GSTAttenuator(GSTCell(levels=int(self.gst_levels)), cells=int(self.gst_cells))

    def mesh(self):
        """The :class:`photrain.cores.MZIMesh` this configuration describes."""
        from photrain.cores import MZIMesh

        if self.ideal:
            readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth, noise=False)
            return MZIMesh(int(self.n), topology=self.topology, readout=readout, lo_power=self.lo_power,
                           chip_seed=self.chip_seed, attenuator=self.gst_attenuator())
        readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth, adc_bits=self.adc_bits,
                          dac_bits=self.dac_bits, rin_db_hz=self.rin_db_hz)
        return MZIMesh(int(self.n), topology=self.topology, coupler_sigma=self.coupler_sigma,
                       phase_sigma=self.phase_sigma, crosstalk=self.crosstalk,
                       compensate_crosstalk=self.compensate_crosstalk, mzi_loss_db=self.mzi_loss_db,
                       phase_bits=None if self.phase_bits is None else int(self.phase_bits), readout=readout,
                       lo_power=self.lo_power, chip_seed=self.chip_seed, attenuator=self.gst_attenuator())
