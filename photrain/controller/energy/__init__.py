"""Energy and latency of a run: the ledger's counts times a cited cost per operation.

By what it prices: :mod:`~photrain.controller.energy.params` (the parameter table, every default number with
its source, and the presets), :mod:`~photrain.controller.energy.core` (the photonic hardware priced),
:mod:`~photrain.controller.energy.memory` (the weight memory's pulses, transfers and refreshes),
:mod:`~photrain.controller.energy.crossbar` (the electrical crossbar and the memory's pulse time, its own cited
table), :mod:`~photrain.controller.energy.report` (the model: the optical core, its heaters and the controller,
priced from a ledger) and :mod:`~photrain.controller.energy.plots`.
"""

from photrain.controller.energy.core import WEIGHT_ELEMENTS, CoreSpec
from photrain.controller.energy.memory import MEMORY_WRITE_ENERGY, memory_write_energy
from photrain.controller.energy.params import PRESETS, SOURCES, EnergyParams, load_preset
from photrain.controller.energy.plots import plot_report, plot_sweep
from photrain.controller.energy.report import COMPONENTS, EnergyReport, energy_report, steady_state_core, sweep_pj_per_mac

__all__ = ["COMPONENTS", "MEMORY_WRITE_ENERGY", "PRESETS", "SOURCES", "WEIGHT_ELEMENTS", "CoreSpec", "EnergyParams",
           "EnergyReport", "energy_report", "load_preset", "memory_write_energy", "plot_report", "plot_sweep",
           "steady_state_core", "sweep_pj_per_mac"]
