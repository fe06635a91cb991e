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
  read time and write time of :mod:`photrain.controller.crossbar_energy` (its own cited table).
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

import math
from dataclasses import asdict, dataclass, fields, replace

from photrain.controller import crossbar_energy as xbar
from photrain.controller.hardware import MESH_ATTENUATORS
from photrain.controller.heater_power import RING_HOLD_POWER_MAX, RING_HOLD_POWER_MEAN
from photrain.controller.heater_power import SOURCE as HEATER_SOURCE
from photrain.controller.ledger import Ledger
from photrain.controller.mesh_heaters import MESH_HOLD_POWER_MAX, MESH_HOLD_POWER_MEAN, mesh_heaters
from photrain.controller.mesh_heaters import SOURCE as MESH_HEATER_SOURCE
from photrain.cores.gst_bank import CELLS_PER_WEIGHT
from photrain.models.gst import GSTCell


@dataclass(frozen=True)
class EnergyParams:
    """Cost of each operation (SI units). See :data:`SOURCES` for where each default comes from."""

    laser_wall_plug: float  # laser wall-plug efficiency (0, 1]
    optical_power_per_channel: float  # W on chip per WDM channel
    modulation_rate: float  # symbols/s (= detector bandwidth)
    modulator_energy: float  # J per symbol (driver included)
    dac_fom: float  # J per conversion step (Walden FoM)
    dac_bits: int
    adc_fom: float  # J per conversion step (Walden FoM)
    adc_bits: int
    receiver_energy: float  # photodiode + TIA, J per sample
    ring_tuning_power: float  # W per ring held at its set point
    mzi_heater_power: float  # W per MZI-mesh heater held at its set point
    heater_settle_time: float  # s per re-programming of a core
    sram_energy: float  # J per 32-bit weight read or write
    digital_mac_energy: float  # J per 32-bit floating-point MAC of the controller
    digital_mac_rate: float  # MAC/s of the controller

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None or not isinstance(v, int | float) or math.isnan(v):
                raise ValueError(f"energy parameter {f.name!r} must be a number; got {v!r}")
            if v < 0:
                raise ValueError(f"energy parameter {f.name!r} must be >= 0; got {v}")
        if not 0 < self.laser_wall_plug <= 1:
            raise ValueError(f"laser_wall_plug is an efficiency in (0, 1]; got {self.laser_wall_plug}")
        for name in ("modulation_rate", "digital_mac_rate"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0; got {getattr(self, name)}")
        for name in ("dac_bits", "adc_bits"):
            if int(getattr(self, name)) != getattr(self, name) or getattr(self, name) < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {getattr(self, name)}")

    @property
    def dac_energy(self) -> float:
        """J per DAC conversion: FoM x 2^bits."""
        return self.dac_fom * 2**self.dac_bits

    @property
    def adc_energy(self) -> float:
        """J per ADC conversion: FoM x 2^bits."""
        return self.adc_fom * 2**self.adc_bits

    def replace(self, **changes) -> EnergyParams:
        return EnergyParams(**{**asdict(self), **changes})


#: parameter -> (reference-paper value, conservative value, source). Every default number is here.
SOURCES: dict[str, tuple[float, float, str]] = {
    "laser_wall_plug": (0.2, 0.1,
                        "assumed: 20 % (reference) / 10 % (conservative, a DFB laser with cooler and driver). "
                        "Al-Qadasi et al., APL Photonics 7, 020902 (2022) single out laser efficiency as a leading "
                        "cost of scaled MRR accelerators"),
    "optical_power_per_channel": (1e-3, 1e-3,
                                  "1 mW per channel: photrain's OpticalConfig default; measured in benchmarks/cores.py "
                                  "to give an RMS error of 0.0033 of full scale (about 8 bits)"),
    "modulation_rate": (10e9, 5e9,
                        "assumed: 10 GS/s (with a 64 x 16 core that is 1e13 MAC/s, the 'trillions of MAC/s' claimed "
                        "by Filipovich et al., Optica 9, 1323 (2022)); conservative 5 GS/s"),
    "modulator_energy": (10e-15, 100e-15,
                         "reference: 10 fJ/symbol, the class of MRR modulators reported at a few fJ/bit (e.g. "
                         "Timurdogan et al., Nat. Commun. 5, 4008 (2014)); conservative: 100 fJ with an analog driver "
                         "(assumed)"),
    "dac_fom": (1e-15, 10e-15,
                "assumed: the DAC costs what an ADC of the same bits and rate costs (adc_fom)"),
    "dac_bits": (8, 8, "8 bits: photrain's optical DFA default (OpticalConfig.dac_bits)"),
    "adc_fom": (1e-15, 10e-15,
                "Walden FoM, E = FoM 2^bits. Reference 1 fJ/step: near the best FoMs in Murmann's ADC Performance "
                "Survey 1997-2024 (mostly at lower rates), an optimistic assumption at GS/s; conservative 10 fJ/step, "
                "typical of GS/s converters in that survey"),
    "adc_bits": (8, 8, "8 bits: photrain's optical DFA default (OpticalConfig.adc_bits)"),
    "receiver_energy": (50e-15, 300e-15,
                        "photodiode + TIA per sample, assumed: 50 fJ (reference, low-capacitance integrated "
                        "detectors) / 300 fJ (conservative, a 10 Gb/s optical-link receiver front end)"),
    "ring_tuning_power": (RING_HOLD_POWER_MEAN, RING_HOLD_POWER_MAX,
                          "mean heater power held per ring, " + HEATER_SOURCE),
    "mzi_heater_power": (MESH_HOLD_POWER_MEAN, MESH_HOLD_POWER_MAX,
                         "mean heater power held per MZI-mesh heater, " + MESH_HEATER_SOURCE),
    "heater_settle_time": (4e-6, 20e-6,
                           "assumed thermo-optic settling time of a ring heater after a write: 4 us / 20 us "
                           "(microsecond-scale, non-undercut heaters)"),
    "sram_energy": (5e-12, 5e-12,
                    "32-bit word from an 8 KB SRAM: 10 pJ per 64-bit access, Horowitz, ISSCC 2014, 'Computing's "
                    "energy problem (and what we can do about it)' (45 nm)"),
    "digital_mac_energy": (4.6e-12, 4.6e-12,
                           "32-bit float multiply 3.7 pJ + add 0.9 pJ, Horowitz, ISSCC 2014 (45 nm)"),
    "digital_mac_rate": (1e11, 1e11,
                         "assumed controller throughput, 100 GMAC/s (a few SIMD cores); it sets only the digital "
                         "share of the latency"),
}

PRESETS: dict[str, EnergyParams] = {
    "reference-paper": EnergyParams(**{k: v[0] for k, v in SOURCES.items()}),
    "conservative": EnergyParams(**{k: v[1] for k, v in SOURCES.items()}),
}


def load_preset(preset: str | dict | EnergyParams) -> EnergyParams:
    """A preset by name, or a dict of every parameter (validated: missing or negative values are errors)."""
    if isinstance(preset, EnergyParams):
        return preset
    if isinstance(preset, str):
        if preset not in PRESETS:
            raise KeyError(f"unknown energy preset {preset!r}; choose one of {sorted(PRESETS)} or pass a dict")
        return PRESETS[preset]
    names = [f.name for f in fields(EnergyParams)]
    missing = [n for n in names if n not in preset]
    unknown = [n for n in preset if n not in names]
    if missing or unknown:
        raise ValueError(f"energy parameters: missing {missing}, unknown {unknown}; every one of {names} is needed")
    return EnergyParams(**preset)


@dataclass(frozen=True)
class CoreSpec:
    """The photonic hardware a run uses: ``n_cores`` cores of ``rows`` x ``channels`` rings (``kind='bank'``),
    or of n x n MZI-mesh tiles (``kind='mesh'``, rows = channels = n: two meshes and an attenuator column,
    :func:`photrain.controller.mesh_heaters.mesh_heaters` heaters each). A mesh's ``attenuator`` column is
    'mzi' (heaters) or 'gst' (``gst_cells`` GST cells per mode, :class:`photrain.cores.GSTAttenuator`: its n
    attenuator heaters are gone, and every programming re-writes n x gst_cells cells instead)."""

    rows: int
    channels: int
    n_cores: int = 1
    kind: str = "bank"
    attenuator: str = "mzi"
    gst_cells: int = 6

    def __post_init__(self):
        if min(self.rows, self.channels, self.n_cores) < 1:
            raise ValueError(f"rows, channels and n_cores must be >= 1; got {self}")
        if self.kind not in ("bank", "mesh"):
            raise ValueError(f"CoreSpec kind must be 'bank' or 'mesh'; got {self.kind!r}")
        if self.kind == "mesh" and self.rows != self.channels:
            raise ValueError(f"a mesh core is n x n (rows = channels = modes); got {self.rows} x {self.channels}")
        if self.attenuator not in MESH_ATTENUATORS or (self.attenuator == "gst" and self.kind != "mesh"):
            raise ValueError(f"CoreSpec attenuator must be 'mzi' or 'gst' (mesh cores only); got {self.attenuator!r}")
        if self.gst_cells < 1:
            raise ValueError(f"CoreSpec gst_cells must be >= 1; got {self.gst_cells}")

    @property
    def rings(self) -> int:
        return self.rows * self.channels * self.n_cores

    @property
    def heaters_per_core(self) -> int:
        """Heaters one core holds: one per ring, or every heater of a mesh tile (less its n attenuator
        heaters when GST cells attenuate)."""
        if self.kind == "mesh":
            return mesh_heaters(self.rows) - (self.rows if self.attenuator == "gst" else 0)
        return self.rows * self.channels

    @property
    def gst_attenuator_cells(self) -> int:
        """GST cells of one mesh tile's attenuator column (0 with MZI attenuators or on a bank)."""
        return self.rows * self.gst_cells if self.attenuator == "gst" else 0

    def heater_power(self, params: EnergyParams) -> float:
        """W one of this core's heaters holds (``ring_tuning_power`` or ``mzi_heater_power``)."""
        return params.mzi_heater_power if self.kind == "mesh" else params.ring_tuning_power


COMPONENTS = ("laser", "modulators", "dacs", "receivers", "adcs", "heaters (hold)", "heaters (program)", "sram",
              "digital MACs", "memory writes", "GST writes", *xbar.COMPONENTS)

#: What sets the bank's weights: heater-tuned rings (held with power) or non-volatile GST cell pairs.
WEIGHT_ELEMENTS = ("heater", "gst")


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


#: Weight-memory device events -> energy: device -> (J per pulse, J per weight transferred, J per refresh, source).
#: Digital memories (float, fixed) are priced through the ledger's SRAM reads and writes instead.
MEMORY_WRITE_ENERGY: dict[str, tuple[float, float, float, str]] = {
    "float": (0.0, 0.0, 0.0, "SRAM registers: priced by sram_energy per memory read/write"),
    "fixed": (0.0, 0.0, 0.0, "SRAM registers: priced by sram_energy per memory read/write"),
    "pcm": (10e-12, 0.0, 20e-12,
            "assumed from typical pulse parameters: a partial-SET pulse of ~100 µA at ~1 V for ~100 ns = 10 pJ; "
            "a refresh is one RESET (~200 µA, 1 V, 50 ns = 10 pJ) plus the re-programming pulses, which are counted "
            "as pulses; order of magnitude of the PCM synapse literature (e.g. Suri et al., IEDM 2011)"),
    "pcm-3t1c": (1e-15, 10 * 10e-12, 20e-12,
                 "pulse: one capacitor charge/discharge event, C V dV ~ 100 fF x 1 V x 10 mV = 1 fJ (assumed); "
                 "transfer: closed-loop tuning of the PCM pair, assumed 10 PCM pulses of 10 pJ per weight "
                 "(the PCM tuning pulses are also in the pulse count, priced there at the capacitor rate); "
                 "refresh: as pcm"),
    "rram": (1e-12, 0.0, 0.0, "assumed: a SET/RESET pulse of ~100 µA at ~1 V for ~10 ns = 1 pJ (TaOx/HfOx filamentary "
                              "cells switch in ns at sub-mA currents)"),
    "cbram": (1e-12, 0.0, 0.0, "assumed: a sub-quantum CBRAM switching pulse of ~10 µA at ~1 V for ~100 ns = 1 pJ "
                               "(Shi, Kuzum et al., Nat. Commun. 2018 operate below 77.5 µS for low write energy)"),
}


def memory_write_energy(ledger: Ledger, memory: str) -> float:
    """Joules of the analog weight-memory events a ledger counts, for the named device (MEMORY_WRITE_ENERGY)."""
    if memory not in MEMORY_WRITE_ENERGY:
        raise ValueError(f"no write energy for memory {memory!r}; known: {', '.join(MEMORY_WRITE_ENERGY)}")
    pulse, transfer, refresh, _ = MEMORY_WRITE_ENERGY[memory]
    return ledger.memory_pulses * pulse + ledger.memory_transfers * transfer + ledger.memory_refreshes * refresh


def energy_report(ledger: Ledger | dict, params: str | dict | EnergyParams, core: CoreSpec,
                  memory: str = "float", weight_element: str = "heater", gst_cell: GSTCell | None = None,
                  write_parallelism: int = 1) -> EnergyReport:
    """Turn a ledger's counts into joules and seconds (module docstring: the model).

    ``memory``: the weight-memory device the run used; its pulses, transfers and refreshes are
    priced by :data:`MEMORY_WRITE_ENERGY` ("memory writes"), its pulse time by
    :data:`photrain.controller.crossbar_energy.MEMORY_PULSE_TIME` with ``write_parallelism``
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


def plot_report(report: EnergyReport, path=None, *, title: str = ""):
    """Energy per component and the time split of one run's ledger; saved to ``path`` when given; returns the Figure.

    Left: pJ per MAC of the run, all MACs (optical + digital) in the denominator, so the
    bars add up to the run's overall pJ/MAC. Right: the run's time (optical slots,
    heater settling of re-programming, controller), per optimiser step. The optical core's
    own pJ/MAC of the run and the steady-state best case (what :func:`plot_sweep` shows)
    are in the title, each saying what it divides by.
    """
    from matplotlib.figure import Figure

    macs = max(report.optical_macs + report.digital_macs, 1)
    steps = max(report.steps, 1)
    names = list(report.energy)
    values = [1e12 * report.energy[k] / macs for k in names]
    fig = Figure(figsize=(11.5, 4.2), layout="constrained")
    a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    positive = [v for v in values if v > 0]
    a1.barh(names, values, color="tab:blue")
    a1.set(xlabel="pJ per MAC (the run's energy / all its MACs, optical + digital)",
           xscale="log" if positive and max(positive) > 100 * min(positive) else "linear",
           title=f"energy by component: {report.pj_per_mac:.3g} pJ per MAC in all")
    a1.invert_yaxis()
    times = {"optical": report.optical_time, "programming": report.programming_time, "digital": report.digital_time,
             "crossbar": report.crossbar_time, "writes": report.write_time}
    times = {k: v for k, v in times.items() if v or k in ("optical", "programming", "digital")}
    colours = {"optical": "tab:orange", "programming": "tab:red", "digital": "tab:gray", "crossbar": "tab:green",
               "writes": "tab:purple"}
    a2.bar(list(times), [1e6 * v / steps for v in times.values()], color=[colours[k] for k in times])
    a2.set(ylabel="time per optimiser step (µs)", title=f"latency: {1e6 * report.latency / steps:.3g} µs per step")
    core = (f"optical core in this run {report.pj_per_optical_mac:.3g} pJ per optical MAC (laser, modulators, converters, "
            "receivers, heaters held for the whole run incl. controller time)" if report.optical_macs else
            "no optical MACs in this run")
    fig.suptitle((title + "\n" if title else "") + core, fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=110)
        return path
    return fig


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


def plot_sweep(sweeps: dict[str, dict], path=None):
    """Plot :func:`sweep_pj_per_mac` results for several presets; saved to ``path`` when given, else the Figure returned.

    Every panel is pJ per optical MAC of a steadily running core (best case: every symbol
    slot used, no re-programming, no controller work): the number photonic papers quote,
    and a lower bound for the per-run figure of :func:`plot_report`.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(13, 4.0), layout="constrained")
    ax = fig.subplots(1, 3)
    for name, s in sweeps.items():
        ax[0].loglog(s["rows"], s["by_rows"], "o-", label=name)
        ax[1].semilogy([r / 1e9 for r in s["rate"]], s["by_rate"], "o-", label=name)
        ax[2].semilogy(s["adc_bits"], s["by_adc_bits"], "o-", label=name)
    channels = next(iter(sweeps.values()))["channels"]
    ax[0].set(xlabel=f"core rows ({channels} channels)", ylabel="pJ per optical MAC (steady state)",
              title="vs core size")
    ax[1].set(xlabel="modulation rate (GS/s)", title=f"vs symbol rate (64 x {channels} core)")
    ax[2].set(xlabel="ADC bits", title=f"vs ADC resolution (64 x {channels} core)")
    ax[2].xaxis.set_major_locator(MaxNLocator(integer=True))
    for a in ax:
        a.axhline(1.0, color="k", lw=0.6, ls="--")
        a.grid(alpha=0.3, which="both")
        a.legend()
    fig.suptitle("steady-state photonic core: energy per optical MAC (every slot used, no re-programming, "
                 "no controller)", fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=110)
        return path
    return fig
