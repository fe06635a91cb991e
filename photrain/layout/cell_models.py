"""Models of photrain's own layout cells (:mod:`photrain.layout.cells`), by cell name.

A netlist extracted from a layout names each instance by its cell; these
functions simulate those cells from the same settings the layout was drawn
with. ``weight_bank`` and ``clements_mesh`` (whole cores, as a circuit YAML
instantiates them) are solved through their own extracted netlists of
:data:`PART_MODELS` cells, so the YAML circuit and the Python cell are one
definition. :func:`layout_models` is the registry a layout is simulated with:
:data:`photrain.circuits.REGISTRY` plus :data:`CELL_MODELS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from photrain.circuits import gf_models
from photrain.circuits.gf_models import OPTICS
from photrain.circuits.registry import get_models
from photrain.layout.extract import extracted_circuit
from photrain.layout.geometry import mesh_column_length, mzi_defaults
from photrain.models import couplers, waveguides
from photrain.models import mzi as mzi_models
from photrain.models.grating_couplers import grating_coupler
from photrain.models.optics import WL0

if TYPE_CHECKING:
    import sax


def bank_ring(*, wl=1.55, gap: float = 0.2, radius: float = 5.0, length_x: float = 1.0, length_y: float = 1.0,
              delta_phase: float = 0.0) -> sax.SDict:
    """Model of :func:`photrain.layout.cells.bank_ring`: gdsfactory ``ring_double``'s optics plus the heater phase.

    ``delta_phase``: heater round-trip phase (rad at wl0). Ports o1 in, o2 through, o3 drop, o4 add.
    """
    return gf_models.ring_double(wl=wl, gap=gap, radius=radius, length_x=length_x, length_y=length_y,
                                 delta_phase=delta_phase)


def heater_straight(*, wl=1.55, length: float = 50.0, phase: float = 0.0, inset: float = 2.0, side: int = 1) -> sax.SDict:
    """Model of :func:`photrain.layout.cells.heater_straight`: a straight of ``length`` µm plus heater phase (rad, wl0)."""
    return gf_models.straight_heater_metal_model(wl=wl, length=length, phase=phase)


def mesh_mzi(*, wl=1.55, theta: float = 0.0, phi: float = 0.0, gap: float = 0.2,
             coupler_length: float | None = None, heater_length: float = 50.0, pitch: float = 15.0,
             dx: float = 20.0) -> sax.SDict:
    """Model of :func:`photrain.layout.cells.mesh_mzi`: :func:`photrain.models.mzi2x2` with the drawn path length per arm.

    Both modes cross 2 heater sections and 2 coupler paths (:func:`photrain.layout.geometry.mesh_column_length`);
    couplers have the coupled-mode coupling of their gap and straight length.
    ``theta``, ``phi``: heater phases (rad at wl0).
    """
    gap, coupler_length = mzi_defaults(gap, coupler_length)
    k = couplers.coupling_from_gap(gap, coupler_length)
    length = mesh_column_length(gap=gap, coupler_length=coupler_length, heater_length=heater_length, pitch=pitch, dx=dx)
    return mzi_models.mzi2x2(wl=wl, theta=theta, phi=phi, coupling_1=k, coupling_2=k, arm_length=length,
                             **OPTICS)


def mesh_bypass(*, wl=1.55, gap: float = 0.2, coupler_length: float | None = None, heater_length: float = 50.0,
                pitch: float = 15.0, dx: float = 20.0, side: int = 1) -> sax.SDict:
    """Model of :func:`photrain.layout.cells.mesh_bypass`: a waveguide of the column's path length."""
    length = mesh_column_length(gap=gap, coupler_length=coupler_length, heater_length=heater_length, pitch=pitch, dx=dx)
    return waveguides.straight(wl=wl, length=length, **OPTICS)


def grating_coupler_elliptical_trenches(*, wl=1.55, wavelength: float = 1.55, **_drawn) -> sax.SDict:
    """gdsfactory ``grating_coupler_elliptical_trenches`` (the chips' fibre couplers): o1 waveguide, o2 fibre.

    :func:`photrain.models.grating_couplers.grating_coupler` centred on the drawn design ``wavelength`` (µm);
    the drawn grating's other settings do not enter the model.
    """
    return grating_coupler(wl=wl, wl0=wavelength)


#: models of the cells the cores are drawn from (what a core's extracted netlist names besides gdsfactory's parts).
PART_MODELS = {"bank_ring": bank_ring, "heater_straight": heater_straight, "mesh_mzi": mesh_mzi,
               "mesh_bypass": mesh_bypass, "grating_coupler_elliptical_trenches": grating_coupler_elliptical_trenches}


@lru_cache(maxsize=16)
def _bank_circuit(key: tuple):
    from photrain.layout.cells import weight_bank as cell

    return extracted_circuit(cell(**dict(key)), PART_MODELS)


def weight_bank(*, wl=1.55, n_channels: int = 4, spacing_nm: float = 1.6, wl_center_nm: float = WL0 * 1e3,
                radius: float = 5.0,
                gap: float = 0.2, length_x: float = 1.0, length_y: float = 1.0, pitch: float = 30.0,
                delta_phase=None) -> sax.SDict:
    """Model of :func:`photrain.layout.cells.weight_bank`: the row's own extracted netlist, solved by sax.

    ``delta_phase``: heater phases of the rings (rad at wl0), one per ring (default 0).
    Ports o1 in, o2 through, o3 drop, o4 add.
    """
    key = (("gap", float(gap)), ("length_x", float(length_x)), ("length_y", float(length_y)),
           ("n_channels", int(n_channels)), ("pitch", float(pitch)), ("radius", float(radius)),
           ("spacing_nm", float(spacing_nm)), ("wl_center_nm", float(wl_center_nm)))
    phases = [0.0] * int(n_channels) if delta_phase is None else list(delta_phase)
    if len(phases) != int(n_channels):
        raise ValueError(f"delta_phase needs one phase per ring ({n_channels}); got {len(phases)}")
    return _bank_circuit(key)(wl=wl, **{f"ring{j}": {"delta_phase": d} for j, d in enumerate(phases)})


@lru_cache(maxsize=8)
def _mesh_circuit(key: tuple):
    from photrain.layout.cells import clements_mesh as cell

    return extracted_circuit(cell(**dict(key)), PART_MODELS)


def clements_mesh(*, wl=1.55, n: int = 4, gap: float = 0.2, coupler_length: float | None = None,
                  heater_length: float = 50.0, pitch: float = 15.0, dx: float = 20.0, output_gap: float = 0.0,
                  theta=None, phi=None, out_phase=None) -> sax.SDict:
    """Model of :func:`photrain.layout.cells.clements_mesh`: the mesh's own extracted netlist, solved by sax.

    ``theta``, ``phi`` ((columns, slots), rad at wl0) and ``out_phase`` ((n,), rad) as
    :func:`photrain.layout.cells.mesh_instance_settings` takes them (default all 0).
    Ports ``in{m}``, ``out{m}``.
    """
    from photrain.layout.cells import clements_grid, mesh_instance_settings

    key = (("coupler_length", coupler_length), ("dx", float(dx)), ("gap", float(gap)),
           ("heater_length", float(heater_length)), ("n", int(n)), ("output_gap", float(output_gap)),
           ("pitch", float(pitch)))
    shape = (len(clements_grid(int(n))), int(n) // 2)
    theta = [[0.0] * shape[1]] * shape[0] if theta is None else theta
    phi = [[0.0] * shape[1]] * shape[0] if phi is None else phi
    out_phase = [0.0] * int(n) if out_phase is None else out_phase
    return _mesh_circuit(key)(wl=wl, **mesh_instance_settings(theta, phi, out_phase))


#: cell name -> model: every cell a layout names that :data:`photrain.circuits.REGISTRY` does not know.
CELL_MODELS = {**PART_MODELS, "weight_bank": weight_bank, "clements_mesh": clements_mesh}


def layout_models(extra: Mapping[str, Callable] | None = None) -> dict[str, Callable]:
    """The registry layouts are simulated with: :data:`photrain.circuits.REGISTRY`, :data:`CELL_MODELS`, then ``extra``."""
    return get_models({**CELL_MODELS, **(extra or {})})
