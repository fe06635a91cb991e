"""The drawn heaters of photrain's cells, turned into the numbers the cores and the energy ledger use.

:func:`heater_design` reads a cell's drawn resistor (``info["heater_squares"]``) and heated
waveguide length (``info["heater_length"]``) and returns its resistance, power for a pi
phase and drive voltage (:mod:`photrain.models.heaters`); :func:`mesh_crosstalk` gives the
thermal crosstalk between neighbouring heaters of a mesh column from their drawn distance,
for :class:`photrain.cores.MZIMesh` (``crosstalk=``); :func:`ring_hold_power` is the power a
drawn ring heater holds, for :mod:`photrain.controller.energy` (``ring_tuning_power``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from photrain.models.heaters import heater_p_pi, heater_resistance, thermal_crosstalk, v_pi
from photrain.models.phase_shifters import power_for_phase


@dataclass(frozen=True)
class HeaterDesign:
    """A drawn heater: resistance (ohm), power for pi (W), voltage for pi (V), resistor squares, heated length (µm)."""

    resistance: float
    p_pi: float
    v_pi: float
    squares: float
    heated_length: float


def heater_design(cell, *, heater_width: float | None = None) -> HeaterDesign:
    """Electrical design of a :func:`photrain.circuits.cells.bank_ring` or :func:`~photrain.circuits.cells.heater_straight`."""
    from photrain.circuits.cells import HEATER_WIDTH

    info = cell.info
    if "heater_squares" not in info or "heater_length" not in info:
        raise ValueError(f"cell {cell.name!r} has no drawn heater (info heater_squares / heater_length); "
                         "use bank_ring or heater_straight")
    squares, heated = float(info["heater_squares"]), float(info["heater_length"])
    resistor_length = squares * (heater_width or HEATER_WIDTH)
    r = float(heater_resistance(squares))
    p = float(heater_p_pi(resistor_length, heated))
    return HeaterDesign(r, p, float(v_pi(r, p)), squares, heated)


def mesh_crosstalk(pitch: float = 15.0) -> float:
    """Thermal crosstalk between neighbouring heaters of a Clements-mesh column (MZIs two modes, 2 x ``pitch`` µm, apart)."""
    return float(thermal_crosstalk(2 * pitch))


def ring_hold_power(ring=None, *, mean_phase: float = np.pi / 2) -> float:
    """Power (W) the drawn ring heater holds for a round-trip phase ``mean_phase`` (rad at wl0).

    ``ring``: a :func:`photrain.circuits.cells.bank_ring` (default: the default one). The energy
    model takes it as ``load_preset(...).replace(ring_tuning_power=ring_hold_power(ring))``.
    """
    from photrain.circuits.cells import bank_ring

    design = heater_design(ring if ring is not None else bank_ring())
    return float(power_for_phase(mean_phase, p_pi=design.p_pi))
