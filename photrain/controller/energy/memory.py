"""Energy of the weight memory's device events: pulses, transfers and refreshes of each analog memory
(:data:`MEMORY_WRITE_ENERGY`, with its sources), priced from a ledger by :func:`memory_write_energy`."""

from __future__ import annotations

from photrain.controller.ledger import Ledger

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
