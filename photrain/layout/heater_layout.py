"""The drawn heaters of photrain's cells, turned into the numbers the cores and the energy ledger use.

:func:`heater_design` reads a cell's drawn resistor (``info["heater_squares"]``) and heated
waveguide length (``info["heater_length"]``) and returns its resistance, power for a pi
phase and drive voltage (:mod:`photrain.models.heaters`); :func:`mesh_crosstalk` gives the
thermal crosstalk between neighbouring heaters of a mesh column from their drawn distance,
for :class:`photrain.cores.MZIMesh` (``crosstalk=``); :func:`ring_hold_power` is the power a
drawn ring heater holds, for :mod:`photrain.controller.energy` (``ring_tuning_power``).

The default cells' figures are module constants the cores and the energy table take as their
defaults (:data:`RING_HEATER`, :data:`MESH_HEATER`, :data:`MESH_HEATER_CROSSTALK`): the drawn
geometry they come from (:data:`DRAWN_HEATERS`, :data:`MESH_HEATER_DISTANCE`) is copied here so
that importing this module needs no gdsfactory (drawing the cells takes seconds), and the
electrical and thermal numbers are what :mod:`photrain.models.heaters` gives for it, written out
so that the import starts no JAX computation. :func:`drawn_geometry` draws the cells again;
tests/test_heaters.py asserts it equals the copy and recomputes every figure from it, so a layout
(or heater model) that drifts fails the tests instead of leaving the simulation on stale numbers.
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


def design_from_geometry(squares: float, heated_length: float, width: float) -> HeaterDesign:
    """Electrical design of a heater of ``squares`` (resistor length / ``width``, µm) over ``heated_length`` µm of waveguide."""
    r = float(heater_resistance(squares))
    p = float(heater_p_pi(squares * width, heated_length))
    return HeaterDesign(r, p, float(v_pi(r, p)), float(squares), float(heated_length))


def heater_design(cell, *, heater_width: float | None = None) -> HeaterDesign:
    """Electrical design of a :func:`photrain.layout.cells.bank_ring` or :func:`~photrain.layout.cells.heater_straight`."""
    from photrain.layout.cells import HEATER_WIDTH

    info = cell.info
    if "heater_squares" not in info or "heater_length" not in info:
        raise ValueError(f"cell {cell.name!r} has no drawn heater (info heater_squares / heater_length); "
                         "use bank_ring or heater_straight")
    return design_from_geometry(float(info["heater_squares"]), float(info["heater_length"]), heater_width or HEATER_WIDTH)


def mesh_heater_distance(cell=None) -> float:
    """Distance (µm) between neighbouring heaters of one column of a drawn Clements mesh.

    ``cell``: a :func:`photrain.layout.cells.clements_mesh` (default: the 4-mode default one).
    Read from the drawn theta and phi heater contacts (ports ``mzi_<column>_<slot>_theta_a``): the
    nearest-neighbour spacing within a column, the same for every column (checked).
    """
    if cell is None:
        from photrain.layout.cells import clements_mesh

        cell = clements_mesh(4)
    columns: dict = {}
    for port in cell.ports:
        parts = port.name.split("_")
        if len(parts) == 5 and parts[0] == "mzi" and parts[3] in ("theta", "phi") and parts[4] == "a":
            columns.setdefault((parts[1], parts[3]), []).append(float(port.center[1]))
    gaps = {round(float(g), 6) for ys in columns.values() if len(ys) > 1 for g in np.diff(sorted(ys))}
    if len(gaps) != 1:
        raise ValueError(f"cell {cell.name!r}: expected one heater spacing within the mesh columns; got {sorted(gaps)}")
    return gaps.pop()


def mesh_crosstalk(pitch: float | None = None) -> float:
    """Thermal crosstalk between neighbouring heaters of a Clements-mesh column.

    The MZIs of a column sit two modes apart: 2 x ``pitch`` µm; by default the drawn
    distance of the default cell (:data:`MESH_HEATER_DISTANCE`).
    """
    return float(thermal_crosstalk(MESH_HEATER_DISTANCE if pitch is None else 2 * pitch))


def ring_hold_power(ring=None, *, mean_phase: float = np.pi / 2) -> float:
    """Power (W) the drawn ring heater holds for a round-trip phase ``mean_phase`` (rad at wl0).

    ``ring``: a :func:`photrain.layout.cells.bank_ring` (default: the default one). The energy
    model takes it as ``load_preset(...).replace(ring_tuning_power=ring_hold_power(ring))``.
    """
    from photrain.layout.cells import bank_ring

    design = heater_design(ring if ring is not None else bank_ring())
    return float(power_for_phase(mean_phase, p_pi=design.p_pi))


def drawn_geometry() -> dict:
    """Draw the default cells (gdsfactory, seconds) and read what :data:`DRAWN_HEATERS` and
    :data:`MESH_HEATER_DISTANCE` copy: ``{"bank_ring": (squares, heated µm, width µm),
    "heater_straight": (...), "mesh_heater_distance": µm}``.
    """
    import inspect

    from photrain.layout.cells import HEATER_WIDTH, bank_ring, clements_mesh, heater_straight, mesh_mzi

    mesh_heater_length = inspect.signature(mesh_mzi).parameters["heater_length"].default  # mesh_mzi's heaters
    out = {}
    for name, cell in (("bank_ring", bank_ring()), ("heater_straight", heater_straight(length=mesh_heater_length))):
        out[name] = (float(cell.info["heater_squares"]), float(cell.info["heater_length"]), float(HEATER_WIDTH))
    out["mesh_heater_distance"] = mesh_heater_distance(clements_mesh(4))
    return out


# ------------------------------------------------------------------ the default cells, as drawn

#: (resistor squares, heated waveguide length µm, resistor width µm) of the default
#: :func:`~photrain.layout.cells.bank_ring` and of the 50 µm :func:`~photrain.layout.cells.heater_straight`
#: that every :func:`~photrain.layout.cells.mesh_mzi` carries; a copy of :func:`drawn_geometry` (tested).
DRAWN_HEATERS = {
    "bank_ring": (11.58982672, 15.557328, 2.5),
    "heater_straight": (18.8, 46.0, 2.5),
}
#: µm between neighbouring heaters of a drawn Clements-mesh column (two modes at 15 µm pitch); tested.
MESH_HEATER_DISTANCE = 30.0
# The electrical and thermal figures below are design_from_geometry(*DRAWN_HEATERS[...]) and
# mesh_crosstalk(), written out: evaluating the JAX models at import would start the JAX backend
# whenever photrain.cores or photrain.controller is imported. tests/test_heaters.py recomputes them.
#: The drawn ring heater: resistance, P_pi (per round-trip pi), V_pi (``design_from_geometry``).
RING_HEATER = HeaterDesign(resistance=115.89826719999999, p_pi=0.044698524271005916, v_pi=2.276067114433739,
                           squares=11.58982672, heated_length=15.557328)
#: The drawn heater of every mesh phase shifter (``design_from_geometry``).
MESH_HEATER = HeaterDesign(resistance=188.0, p_pi=0.024521739130434782, v_pi=2.1471113051078046, squares=18.8,
                           heated_length=46.0)
#: Thermal crosstalk between neighbouring heaters of a drawn mesh column (:func:`mesh_crosstalk`).
MESH_HEATER_CROSSTALK = 0.013866690324700856
