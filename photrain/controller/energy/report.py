"""Energy and latency of a run: the ledger's counts times a cited cost per operation.

Model (one photonic core of ``rows`` x ``channels`` rings, run by a digital controller):

* laser: every input symbol carries ``optical_power_per_channel`` for one symbol
  period, from a laser of wall-plug efficiency eta: E = N_dac P / (eta R).
* modulators, DACs: per input symbol (``dac_conversions``); DAC and ADC energy per
  conversion from the Walden figure of merit, E = FoM_W 2^bits (Walden, IEEE JSAC 17,
  539 (1999); survey values: Murmann, "ADC Performance Survey 1997-2024").
* photodiode + TIA, ADC: per output sample (``adc_conversions``).
* ring heaters: every ring of every core in use holds its set point for the whole
  latency t (optics + re-programming + controller), E = n_rings P_ring t; each re-programming writes all heaters of a
  core and waits ``heater_settle_time`` (thermal time constant), E = n_rings P_ring t_settle. P_ring comes from
  the drawn ring heater at the bank's operating point (:mod:`photrain.controller.heater_power`).
* MZI-mesh cores (``CoreSpec(kind='mesh')``): the same hold and re-programming terms with every heater
  of a mesh tile (two meshes and an attenuator column) at ``mzi_heater_power``, the drawn mesh heater
  at the phases SVD programming sets (:mod:`photrain.controller.mesh_heaters`).
* controller: SRAM accesses (``memory_reads + memory_writes``) and digital MACs.
* electrical crossbar (``analog_*`` counts) and analog weight-memory pulses: cell reads, converters,
  read time and write time of :mod:`photrain.controller.energy.crossbar` (its own cited table).
* GST weights (``weight_element='gst'``, :class:`photrain.cores.gst_bank.GSTWeightBank`): no heater
  holds anything (non-volatile cells, zero hold power) and no heater settles; each re-programming
  instead re-writes every cell of a core (two per weight), pulses_per_write pulses of
  write_energy each, one cell after the other: E = programmings x cells x pulses x E_pulse,
  t = programmings x cells x pulses x t_pulse (the cell's figures and their sources:
  :data:`photrain.models.gst.SOURCES`, Ríos et al., Nat. Photonics 9, 725 (2015)).

Latency: optical time = symbol_slots / R (slots run back to back on one core, or
spread over ``n_cores``), plus programmings x settle time / n_cores, plus digital
time = digital_macs / digital throughput, plus the crossbar's read time and the
memory's pulse time; all are taken as sequential (no overlap), which is the
conservative choice for a batch-1 step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import photrain.controller.energy.crossbar as xbar
from photrain.controller.energy.core import WEIGHT_ELEMENTS, CoreSpec
from photrain.controller.energy.memory import memory_write_energy
from photrain.controller.energy.params import EnergyParams, load_preset
from photrain.controller.ledger import Ledger
from photrain.cores.gst_bank import CELLS_PER_WEIGHT
from photrain.models.gst import GSTCell

COMPONENTS = ("laser", "modulators", "dacs", "receivers", "adcs", "heaters (hold)", "heaters (program)", "sram",
              "digital MACs", "memory writes", "GST writes", *xbar.COMPONENTS)


@dataclass
class EnergyReport:
    """Joules per component and seconds for a ledger (totals over what the ledger counts)."""

    energy: dict  # component -> J
    optical_time: float  # s
    programming_time: float  # s
    digital_time: float  # s
    optical_macs: int
    digital_macs: int
    steps: int
    crossbar_time: float = 0.0  # s the crossbar arrays read
    write_time: float = 0.0  # s the weight memory is pulsed

    @property
    def total_energy(self) -> float:
        return float(sum(self.energy.values()))

    @property
    def latency(self) -> float:
        return self.optical_time + self.programming_time + self.digital_time + self.crossbar_time + self.write_time

    @property
    def optical_core_energy(self) -> float:
        """Energy of the photonic core and its converters (what the 'pJ/MAC' of photonic papers counts)."""
        return sum(v for k, v in self.energy.items() if k not in ("sram", "digital MACs", *xbar.COMPONENTS))

    @property
    def optical_mac_rate(self) -> float:
        """Optical MAC/s while the core runs."""
        return self.optical_macs / self.optical_time if self.optical_time else 0.0

    @property
    def pj_per_optical_mac(self) -> float:
        return 1e12 * self.optical_core_energy / self.optical_macs if self.optical_macs else float("nan")

    @property
    def pj_per_mac(self) -> float:
        """Everything (core + controller) per MAC of either kind."""
        macs = self.optical_macs + self.digital_macs
        return 1e12 * self.total_energy / macs if macs else float("nan")

    def per_step(self) -> dict:
        n = max(self.steps, 1)
        return {"energy_j": self.total_energy / n, "latency_s": self.latency / n}

    def as_dict(self) -> dict:
        return {"energy_j": dict(self.energy), "total_energy_j": self.total_energy, "latency_s": self.latency,
                "optical_time_s": self.optical_time, "programming_time_s": self.programming_time,
                "digital_time_s": self.digital_time, "crossbar_time_s": self.crossbar_time,
                "write_time_s": self.write_time, "optical_macs": self.optical_macs,
                "digital_macs": self.digital_macs, "optical_mac_per_s": self.optical_mac_rate,
                "pj_per_optical_mac": self.pj_per_optical_mac, "pj_per_mac": self.pj_per_mac,
                "per_step": self.per_step()}


def energy_report(ledger: Ledger | dict, params: str | dict | EnergyParams, core: CoreSpec,
                  memory: str = "float", weight_element: str = "heater", gst_cell: GSTCell | None = None,
                  write_parallelism: int = 1) -> EnergyReport:
    """Turn a ledger's counts into joules and seconds (module docstring: the model).

    ``memory``: the weight-memory device the run used; its pulses, transfers and refreshes are
    priced by :data:`MEMORY_WRITE_ENERGY` ("memory writes"), its pulse time by
    :data:`photrain.controller.energy.crossbar.MEMORY_PULSE_TIME` with ``write_parallelism``
    devices pulsed at once (1: one after the other).
    ``weight_element``: 'heater' (rings held by heaters: "heaters (hold)" and "heaters (program)")
    or 'gst' (non-volatile cell pairs: no heater terms; every programming re-writes the core's
    cells, "GST writes", with ``gst_cell``'s pulses, default :class:`photrain.models.gst.GSTCell`).
    """
    if weight_element not in WEIGHT_ELEMENTS:
        raise ValueError(f"unknown weight element {weight_element!r}; choose one of {', '.join(WEIGHT_ELEMENTS)}")
    gst = weight_element == "gst"
    cell = gst_cell or GSTCell()
    p = load_preset(params)
    led = ledger if isinstance(ledger, Ledger) else Ledger(**ledger)
    if led.optical_macs and not led.symbol_slots:
        raise ValueError("the ledger counts optical MACs but no symbol_slots (a run from an older photrain); "
                         "re-run the training to price its optical time")
    rate = p.modulation_rate
    optical_time = led.symbol_slots / rate / core.n_cores
    rings_per_core = core.rows * core.channels
    cells_per_core = rings_per_core * CELLS_PER_WEIGHT
    write_time = cells_per_core * cell.pulses_per_write * cell.pulse_time if gst else p.heater_settle_time
    mesh_cells = core.gst_attenuator_cells  # a mesh's GST attenuators, written one after the other
    write_time += mesh_cells * cell.pulses_per_write * cell.pulse_time
    programming_time = led.programmings * write_time / core.n_cores
    digital_time = led.digital_macs / p.digital_mac_rate
    mem_energy = memory_write_energy(led, memory)  # checks the memory's name first
    xbar_time, pulse_time = xbar.crossbar_time(led), xbar.write_time(led, memory, write_parallelism)
    hold_power = 0.0 if gst else core.heater_power(p)  # a GST cell holds its level unpowered
    energy = {
        "laser": led.dac_conversions * p.optical_power_per_channel / (p.laser_wall_plug * rate),
        "modulators": led.dac_conversions * p.modulator_energy,
        "dacs": led.dac_conversions * p.dac_energy,
        "receivers": led.adc_conversions * p.receiver_energy,
        "adcs": led.adc_conversions * p.adc_energy,
        # every ring in use holds its set point for the whole run (optics, re-programming and controller time);
        # a run that never used an optical core (digital or crossbar products only) leaves its heaters off
        "heaters (hold)": (core.heaters_per_core * core.n_cores if led.optical_passes else 0) * hold_power
        * (optical_time + programming_time + digital_time + xbar_time + pulse_time),
        "heaters (program)": 0.0 if gst else led.programmings * core.heaters_per_core * core.heater_power(p)
        * p.heater_settle_time,
        "sram": (led.memory_reads + led.memory_writes) * p.sram_energy,
        "digital MACs": led.digital_macs * p.digital_mac_energy,
        "memory writes": mem_energy,
        "GST writes": led.programmings * (cells_per_core if gst else mesh_cells) * cell.write_cost,
        **xbar.crossbar_energy(led, p),
    }
    return EnergyReport({k: float(v) for k, v in energy.items()}, optical_time, programming_time, digital_time,
                        led.optical_macs, led.digital_macs, led.steps, xbar_time, pulse_time)


def steady_state_core(params: str | dict | EnergyParams, core: CoreSpec, weight_element: str = "heater") -> EnergyReport:
    """One symbol slot of a fully used core: the best case a photonic paper quotes (no re-programming, no controller).

    ``weight_element`` as in :func:`energy_report`: with 'gst' the bank's weights hold unpowered.
    """
    slots = 1_000_000
    led = Ledger(optical_macs=core.rows * core.channels * slots, dac_conversions=core.channels * slots,
                 adc_conversions=core.rows * slots, symbol_slots=slots, optical_passes=1)
    return energy_report(led, params, replace(core, n_cores=1), weight_element=weight_element)


def sweep_pj_per_mac(params: str | dict | EnergyParams, *, sizes=(8, 16, 32, 64, 128), rates=(1e9, 5e9, 10e9, 25e9),
                     adc_bits=(4, 6, 8, 10, 12), channels: int = 16) -> dict:
    """pJ per optical MAC of a steadily running core vs core rows, modulation rate and ADC bits."""
    p = load_preset(params)
    out = {"rows": list(sizes), "rate": list(rates), "adc_bits": list(adc_bits), "channels": channels}
    out["by_rows"] = [steady_state_core(p, CoreSpec(r, channels)).pj_per_optical_mac for r in sizes]
    out["by_rate"] = [steady_state_core(p.replace(modulation_rate=r), CoreSpec(64, channels)).pj_per_optical_mac
                      for r in rates]
    out["by_adc_bits"] = [steady_state_core(p.replace(adc_bits=b), CoreSpec(64, channels)).pj_per_optical_mac
                          for b in adc_bits]
    return out
