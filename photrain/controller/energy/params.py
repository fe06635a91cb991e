"""The energy parameter table: the cost of each operation (:class:`EnergyParams`), the source of every default
number (:data:`SOURCES`), the two presets built from it (:data:`PRESETS`) and :func:`load_preset`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from photrain.controller.heater_power import RING_HOLD_POWER_MAX, RING_HOLD_POWER_MEAN
from photrain.controller.heater_power import SOURCE as HEATER_SOURCE
from photrain.controller.mesh_heaters import MESH_HOLD_POWER_MAX, MESH_HOLD_POWER_MEAN
from photrain.controller.mesh_heaters import SOURCE as MESH_HEATER_SOURCE


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
