"""Energy and time of the electrical crossbar's reads and of analog weight-memory writes (the ledger's analog counts).

Model (every number from :data:`SOURCES` or the preset's :class:`~photrain.controller.energy.EnergyParams`):

* arrays: each analog MAC reads one differential pair, two cells of conductance G at the read voltage V
  for one read time t (Joule heating, Ohm's law): E = 2 V^2 G t per MAC. With G at mid-window and V at
  full scale this is an upper bound (inputs below full scale dissipate (V_j / V)^2 less).
* converters: every row-voltage sample costs one DAC conversion, every column-current sample one ADC
  conversion plus one transimpedance amplifier sample, at the preset's Walden-FoM DAC/ADC energies and its
  receiver (TIA) energy per sample: the same converter table as the photonic core.
* read time: a product of a batch of b vectors takes b read slots (``analog_slots``); all tiles of a layer
  read at once (one array per tile, each with its own ADCs, as :class:`photrain.cores.CrossbarCore` models).
* writes: ``memory_pulses`` programming pulses of :data:`MEMORY_PULSE_TIME` each, ``write_parallelism`` devices
  pulsed at once (1: one after the other; a crossbar written row by row, SET then RESET phase, with every
  column of every array driven at once: n_cols x arrays). With the mean pulse count per device this is a
  lower bound for a row whose devices need different pulse counts.
"""

from __future__ import annotations

#: parameter -> (value, source). The crossbar's read physics, from photrain's own cited defaults.
SOURCES: dict[str, tuple[float, str]] = {
    "read_voltage": (0.2, "V: CrossbarConfig.read_voltage / CrossbarCore default (photrain.cores.crossbar: below the "
                          "switching threshold of TaOx/HfOx cells, as in the in-situ training demonstrations of Li et "
                          "al., Nat. Commun. 9, 2385 (2018))"),
    "cell_conductance": (52.5e-6, "S: mid-window (g_min + g_max) / 2 of photrain's RRAM window 5-100 µS "
                                  "(photrain.memory.rram.SOURCES g_min, g_max)"),
    "read_time": (100e-9, "s: 1 / the TIA bandwidth of a crossbar read, CrossbarReadout.bandwidth = 10 MHz "
                          "(photrain.cores.crossbar)"),
}

#: memory device -> (s per programming pulse, source); the pulses of MEMORY_WRITE_ENERGY (energy.memory).
MEMORY_PULSE_TIME: dict[str, tuple[float, str]] = {
    "float": (0.0, "SRAM registers: no pulses"),
    "fixed": (0.0, "SRAM registers: no pulses"),
    "pcm": (100e-9, "the ~100 ns partial-SET pulse priced in energy.MEMORY_WRITE_ENERGY['pcm'] (assumed there)"),
    "pcm-3t1c": (100e-9, "its counted pulses include the PCM tuning pulses of a transfer: priced at the PCM pulse "
                         "(energy.MEMORY_WRITE_ENERGY['pcm-3t1c'])"),
    "rram": (10e-9, "the ~10 ns SET/RESET pulse priced in energy.MEMORY_WRITE_ENERGY['rram'] (assumed there)"),
    "cbram": (100e-9, "the ~100 ns switching pulse priced in energy.MEMORY_WRITE_ENERGY['cbram'] (assumed there)"),
}

COMPONENTS = ("crossbar arrays", "crossbar DACs", "crossbar ADCs + TIAs")


def mac_energy() -> float:
    """J per analog MAC: two cells of a differential pair read at full voltage, E = 2 V^2 G t (module docstring)."""
    v, g, t = (SOURCES[k][0] for k in ("read_voltage", "cell_conductance", "read_time"))
    return 2.0 * v * v * g * t


def crossbar_energy(led, params) -> dict:
    """{component: J} of a ledger's crossbar reads (``analog_*`` counts) at ``params``' converter energies."""
    return {"crossbar arrays": led.analog_macs * mac_energy(),
            "crossbar DACs": led.analog_dac_conversions * params.dac_energy,
            "crossbar ADCs + TIAs": led.analog_adc_conversions * (params.adc_energy + params.receiver_energy)}


def crossbar_time(led) -> float:
    """s the crossbar arrays are busy reading: ``analog_slots`` x the read time."""
    return led.analog_slots * SOURCES["read_time"][0]


def write_time(led, memory: str, write_parallelism: int = 1) -> float:
    """s spent pulsing the weight memory: memory_pulses x pulse time / devices pulsed at once."""
    if memory not in MEMORY_PULSE_TIME:
        raise ValueError(f"no pulse time for memory {memory!r}; known: {', '.join(MEMORY_PULSE_TIME)}")
    if int(write_parallelism) != write_parallelism or write_parallelism < 1:
        raise ValueError(f"write_parallelism must be an integer >= 1 (devices pulsed at once); got {write_parallelism}")
    return led.memory_pulses * MEMORY_PULSE_TIME[memory][0] / write_parallelism
