"""Adapters from gdsfactory cell settings to photrain models.

``component.get_netlist()`` names each instance by its gdsfactory cell and
passes that cell's settings; these adapters accept those settings (``None``
meaning "the PDK default") and compute the optics from the same geometry the
layout draws: Euler-bend lengths, coupler-ring buses, ring round trips.
They are plain models (no gdsfactory needed); the models of photrain's own
cells, which draw parts to measure them, are in :mod:`photrain.layout.cell_models`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from photrain.models import couplers, rings, waveguides
from photrain.models import mzi as mzi_models
from photrain.models.checks import check_nonnegative, check_positive
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, propagation
from photrain.models.phase_shifters import thermo_optic_phase
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax

#: gdsfactory generic PDK defaults used when a setting is None.
PDK_RADIUS = 10.0
RING_BUS_EXTENSION = 3.0  # coupler_ring's length_extension default (µm)

#: the waveguide optics every adapter uses (photrain.models.optics defaults)
OPTICS = dict(neff=NEFF, ng=NG, wl0=WL0, loss_db_per_cm=LOSS_DB_PER_CM)


def _radius(radius):
    return PDK_RADIUS if radius is None else radius


def bend_euler(*, wl=1.55, radius: float | None = None, angle: float = 90.0, p: float = 0.5,
               with_arc_floorplan: bool = True, neff: float = NEFF, ng: float = NG, wl0: float = WL0,
               loss_db_per_cm: float = LOSS_DB_PER_CM) -> sax.SDict:
    """gdsfactory ``bend_euler`` (radius None = PDK default): :func:`photrain.models.waveguides.bend_euler`."""
    return waveguides.bend_euler(wl=wl, radius=_radius(radius), angle=angle, p=p,
                                 with_arc_floorplan=with_arc_floorplan, neff=neff, ng=ng, wl0=wl0,
                                 loss_db_per_cm=loss_db_per_cm)


def bend_circular(*, wl=1.55, radius: float | None = None, angle: float = 90.0, neff: float = NEFF, ng: float = NG,
                  wl0: float = WL0, loss_db_per_cm: float = LOSS_DB_PER_CM) -> sax.SDict:
    """gdsfactory ``bend_circular`` (radius None = PDK default)."""
    return waveguides.bend_circular(wl=wl, radius=_radius(radius), angle=angle, neff=neff, ng=ng, wl0=wl0,
                                    loss_db_per_cm=loss_db_per_cm)


def ring_geometry(radius, length_x, length_y=None):
    """Bus length, ring-side length of one coupler, and full round trip (µm)."""
    lb = waveguides.euler_bend_length(radius, 90.0, 0.5)
    bus = length_x + 2 * radius + 2 * RING_BUS_EXTENSION
    side = 2 * lb + length_x
    total = None if length_y is None else 2 * side + 2 * length_y
    return bus, side, total


def ring_coupling(gap, radius, length_x):
    """Power coupling of a ring's coupler (coupled-mode model of its ``gap`` and interaction length)."""
    return couplers.coupling_from_gap(gap, couplers.ring_interaction_length(radius, length_x))


def coupler_ring(*, wl=1.55, gap: float = 0.2, radius: float | None = None, length_x: float = 4.0) -> sax.SDict:
    """gdsfactory ``coupler_ring``: bus (o1→o4) next to the lower half-ring (o2, o3).

    ::

            o2            o3
             │            │
              ╰──────────╯
        o1 ──────────────────── o4

    Point-coupler model placed at the centre of both paths: bar = t * path,
    cross = i k * sqrt(bus path * ring-side path).
    """
    radius = _radius(radius)
    check_positive("radius", radius, unit="um")
    check_nonnegative("gap", gap, unit="um")
    bus, side, _ = ring_geometry(radius, length_x)
    k = ring_coupling(gap, radius, length_x)
    pb = propagation(wl, length=bus, **OPTICS)
    ps = propagation(wl, length=side, **OPTICS)
    half = propagation(wl, length=(bus + side) / 2, **OPTICS)
    t = jnp.sqrt(1 - k)
    x = 1j * jnp.sqrt(k) * half
    return reciprocal({("o1", "o4"): t * pb, ("o2", "o3"): t * ps, ("o1", "o3"): x, ("o2", "o4"): x})


def ring_single(*, wl=1.55, gap: float = 0.2, radius: float | None = None, length_x: float = 4.0,
                length_y: float = 0.6) -> sax.SDict:
    """gdsfactory ``ring_single``: closed-form all-pass ring with the layout's round trip."""
    radius = _radius(radius)
    bus, _, total = ring_geometry(radius, length_x, length_y)
    ring = rings.ring_allpass(wl=wl, radius=radius, length=total, coupling=ring_coupling(gap, radius, length_x), **OPTICS)
    pb = propagation(wl, length=bus, **OPTICS)
    return reciprocal({("o1", "o2"): ring[("o1", "o2")] * pb})


def ring_double(*, wl=1.55, gap: float = 0.2, gap_top: float | None = None, gap_bot: float | None = None,
                radius: float | None = None, length_x: float = 0.01, length_y: float = 0.01,
                delta_phase: float = 0.0) -> sax.SDict:
    """gdsfactory ``ring_double``: closed-form add-drop ring with the layout's round trip.

    ``delta_phase``: heater round-trip phase (rad at wl0), scaling thermo-optically as wl0 / wl
    (0 for the unheated cell). Ports: o1 in, o2 through, o3 drop (top left), o4 add (top right).
    """
    radius = _radius(radius)
    gap_bot = gap if gap_bot is None else gap_bot
    gap_top = gap if gap_top is None else gap_top
    bus, _, total = ring_geometry(radius, length_x, length_y)
    ring = rings.ring_add_drop(
        wl=wl, radius=radius, length=total,
        coupling_1=ring_coupling(gap_bot, radius, length_x),
        coupling_2=ring_coupling(gap_top, radius, length_x), delta_phase=thermo_optic_phase(delta_phase, wl=wl, wl0=WL0),
        **OPTICS,
    )
    pb = propagation(wl, length=bus, **OPTICS)
    return reciprocal(
        {
            ("o1", "o2"): ring[("o1", "o2")] * pb,
            ("o1", "o3"): ring[("o1", "o3")] * pb,
            ("o4", "o2"): ring[("o4", "o2")] * pb,
            ("o4", "o3"): ring[("o4", "o3")] * pb,
        }
    )


def mzi(*, wl=1.55, delta_length: float = 10.0, length_y: float = 2.0, length_x: float = 0.1) -> sax.SDict:
    """gdsfactory ``mzi``: 1x2 MMI splitter, arms differing by ``delta_length`` (µm), 1x2 combiner.

    ::

             ┌──── long arm (+ delta_length) ────┐
        o1 ──┤                                   ├── o2
             └──────────── short arm ────────────┘

    |S21|^2 = cos^2(pi n_eff delta_length / wl) for a lossless device; the shared
    arm length (bends and straights of the layout) is approximated by
    4 Euler bends + 2 length_y + length_x.
    """
    check_nonnegative("delta_length", delta_length, unit="um")
    lb = waveguides.euler_bend_length(PDK_RADIUS, 90.0, 0.5)
    base = 4 * lb + 2 * length_y + length_x
    short = propagation(wl, length=base, **OPTICS)
    long = propagation(wl, length=base + delta_length, **OPTICS)
    s = couplers.mmi1x2(wl=wl)
    split = s[("o1", "o2")]
    return reciprocal({("o1", "o2"): split * split * (short + long)})


def mzi2x2_2x2(*, wl=1.55, delta_length: float = 10.0) -> sax.SDict:
    """gdsfactory ``mzi2x2_2x2``: 2x2 MMIs and an arm-length difference (µm)."""
    check_nonnegative("delta_length", delta_length, unit="um")
    return mzi_models.mzi2x2(wl=wl, delta_length=delta_length, coupling_1=0.5, coupling_2=0.5)


# ------------------------------------------------------------------ heated cells of the generic PDK


def ring_double_heater(*, wl=1.55, gap: float = 0.2, gap_top: float | None = None, gap_bot: float | None = None,
                       radius: float | None = None, length_x: float = 1.0, length_y: float = 0.01,
                       delta_phase: float = 0.0) -> sax.SDict:
    """gdsfactory ``ring_double_heater``: :func:`ring_double` (same geometry) with its heater phase ``delta_phase``."""
    return ring_double(wl=wl, gap=gap, gap_top=gap_top, gap_bot=gap_bot, radius=radius, length_x=length_x,
                       length_y=length_y, delta_phase=delta_phase)


def straight_heater_metal_model(*, wl=1.55, length: float = 320.0, phase: float = 0.0, **_) -> sax.SDict:
    """gdsfactory ``straight_heater_metal``: a straight plus a heater phase (rad at wl0, scaling as wl0 / wl)."""
    t = propagation(wl, length=length, **OPTICS) * jnp.exp(1j * thermo_optic_phase(phase, wl=wl, wl0=WL0))
    return reciprocal({("o1", "o2"): t})


#: gdsfactory cell name -> photrain model.
GF_MODELS = {
    # gdsfactory's straight, coupler, mmi1x2 and mmi2x2 settings are a subset of
    # photrain's own models' parameters, so those models serve unchanged.
    "straight": waveguides.straight,
    "coupler": couplers.coupler,
    "mmi1x2": couplers.mmi1x2,
    "mmi2x2": couplers.mmi2x2,
    "bend_euler": bend_euler,
    "bend_circular": bend_circular,
    "coupler_ring": coupler_ring,
    "ring_single": ring_single,
    "ring_double": ring_double,
    "mzi": mzi,
    "mzi2x2_2x2": mzi2x2_2x2,
    "ring_double_heater": ring_double_heater,
    "straight_heater_metal": straight_heater_metal_model,
    "straight_heater_metal_undercut": straight_heater_metal_model,  # what gdsfactory's netlist calls it
}
