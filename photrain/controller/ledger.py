"""The ledger: counts of every operation a training run performs, for the energy/latency model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class Ledger:
    """Operation counts (totals over the run).

    optical_macs: multiply-accumulates done in optics; digital_macs: done by the
    controller/CPU; dac_conversions / adc_conversions: converter samples;
    memory_writes / memory_reads: weight-memory accesses, priced as SRAM words (they include the
    mixed-precision accumulator's reads and writes in pulse mode 'accumulate'); programmings: core
    (re)programming events (one event writes every heater of one core); optical_passes:
    core passes; symbol_slots: time slots the optical cores are busy (a pass of a
    batch of b vectors takes b slots, one symbol each); steps: optimiser steps.
    analog_macs / analog_dac_conversions / analog_adc_conversions: products run
    in an electrical crossbar (Ohm/Kirchhoff MACs, row-voltage DAC samples,
    column-current ADC samples), analog_slots: read cycles the crossbar arrays are
    busy (a product of a batch of b vectors takes b reads, all tiles at once),
    analog_programmings: crossbar tiles re-written
    from a digital memory (none when the arrays are the memory). memory_pulses / memory_transfers /
    memory_refreshes: analog weight-memory device events (programming pulses,
    volatile-to-non-volatile weight transfers, RESET-and-reprogram refreshes).
    """

    optical_macs: int = 0
    digital_macs: int = 0
    dac_conversions: int = 0
    adc_conversions: int = 0
    memory_writes: int = 0
    memory_reads: int = 0
    programmings: int = 0
    optical_passes: int = 0
    symbol_slots: int = 0
    steps: int = 0
    analog_macs: int = 0
    analog_dac_conversions: int = 0
    analog_adc_conversions: int = 0
    analog_programmings: int = 0
    analog_slots: int = 0
    memory_pulses: int = 0
    memory_transfers: int = 0
    memory_refreshes: int = 0

    def add(self, other: Ledger | None = None, /, **counts) -> Ledger:
        """Add another ledger and/or keyword counts in place; returns self."""
        if other is not None:
            counts = {f.name: getattr(other, f.name) + counts.get(f.name, 0) for f in fields(self)}
        for name, value in counts.items():
            if not hasattr(self, name):
                raise KeyError(f"unknown ledger entry {name!r}; entries are {[f.name for f in fields(self)]}")
            setattr(self, name, getattr(self, name) + int(value))
        return self

    def scaled(self, factor: int) -> Ledger:
        return Ledger(**{k: v * factor for k, v in asdict(self).items()})

    def as_dict(self) -> dict:
        return asdict(self)
