"""gdsfactory cells of the devices the cores are drawn from: heated rings and straights, mesh MZIs.

Layout and simulation are one object: each cell is drawn from gdsfactory parts
whose settings the netlist extraction (``component.get_netlist()``) reports,
and each cell has a model (:mod:`photrain.layout.cell_models`) computed from
those same settings (ring round trips from the drawn bends and straights,
coupler path lengths as gdsfactory measures them).

Cells (every one DRC-clean under :mod:`photrain.layout.drc`'s generic-PDK deck):
    bank_ring: an add-drop ring with a heater and via stacks clear of both buses.
    heater_straight: a heated straight whose contacts sit beside the waveguide.
    mesh_mzi, mesh_bypass: one MZI of a mesh column, and the path-matched waveguide of a mode no MZI takes.
    touchstone_cell: the black box of a Touchstone file (``component: touchstone``).
"""

from __future__ import annotations

from collections.abc import Sequence

import gdsfactory as gf
import numpy as np

from photrain.circuits.touchstone import touchstone_ports
from photrain.layout.geometry import mzi_defaults
from photrain.layout.gpdk import generic_pdk

# ------------------------------------------------------------------ heaters and rings with clean contacts

HEATER_WIDTH = 2.5  # µm: the generic PDK's heater_metal cross-section
HEATER_MARGIN = 1.0  # µm: heater overhang of the waveguide it heats, each side ((2.5 - 0.5) / 2)
CONTACT = 4.0  # µm: side of the heater -> M2 -> top-metal via stack (via_stack_heater_mtop_mini)
CONTACT_CLEARANCE = 1.5  # µm: via stack and heater lead to the nearest waveguide they do not heat


def _layer(c, name: str) -> int:
    from gdsfactory.gpdk import LAYER

    return c.kcl.layer(*gf.get_layer_tuple(getattr(LAYER, name)))


def _contact(c, name: str, x: float, y: float):
    """A heater -> top-metal via stack centred at (x, y) µm, named ``name``."""
    ref = c.add_ref(gf.get_component("via_stack_heater_mtop_mini", size=(CONTACT, CONTACT)), name=name)
    ref.dmove((x - ref.dcenter[0], y - ref.dcenter[1]))
    return ref


@gf.cell
def bank_ring(*, gap: float = 0.2, radius: float = 5.0, length_x: float = 1.0, length_y: float = 1.0) -> gf.Component:
    """gdsfactory cell: an add-drop ring (gdsfactory ``ring_double``) with a U-shaped heater clear of both buses.

    ::

        o3 ─────────────────── o4      drop bus
              ╭───────────╮
              │ ┌───────┐ │           heater: both sides of the ring, bridged inside it
              │ │       │ │           below the drop coupler, fed from two via stacks
         [a]══╯ │       │ ╰══[b]      between the buses
              ╰───────────╯
        o1 ─────────────────── o2      input bus

    The heater is the ring waveguide grown by :data:`HEATER_MARGIN` on both sides
    (2.5 µm, the PDK's heater width), cut square to the ring where it comes :data:`CONTACT_CLEARANCE` µm from
    either bus; its two ends
    run out to via stacks ``a`` (left) and ``b`` (right). Optics are exactly
    ``ring_double``'s (same settings); ports o1 in, o2 through, o3 drop, o4 add;
    electrical ports ``h_a``, ``h_b`` (top metal, facing up). ``info``:
    ``heater_squares`` (drawn resistor length / width, contacts excluded) and
    ``heater_length`` (µm of ring waveguide under the heater).
    """
    import klayout.db as kdb

    generic_pdk()
    c = gf.Component()
    ring = c.add_ref(gf.components.ring_double(gap=gap, radius=radius, length_x=length_x, length_y=length_y), name="ring")
    for p in ("o1", "o2", "o3", "o4"):
        c.add_port(p, port=ring.ports[p])
    dbu = c.kcl.dbu
    um = lambda v: int(round(v / dbu))  # noqa: E731
    wg = kdb.Region(c.begin_shapes_rec(_layer(c, "WG"))).merged()
    loops = [p for p in wg.each() if p.holes() > 0]
    if len(loops) != 1:
        raise RuntimeError("bank_ring: expected one closed ring waveguide in ring_double")
    ring_wg = kdb.Region(loops[0])
    hull = kdb.Region(kdb.Polygon(list(loops[0].each_point_hull())))
    hole = hull - ring_wg
    buses = wg - ring_wg
    bus_bot = min((p.bbox() for p in buses.each()), key=lambda b: b.bottom)
    bus_top = max((p.bbox() for p in buses.each()), key=lambda b: b.top)
    hb, hull_box = hole.bbox(), hull.bbox()
    cx, cy = hull_box.center().x, hull_box.center().y
    clear, w, margin = um(CONTACT_CLEARANCE), um(HEATER_WIDTH), um(HEATER_MARGIN)
    r_out = hull_box.width() / 2 + margin  # outer radius of the heater band
    # radial cuts (square to the ring) where the band's outer edge is `clear` from the bus: angles from horizontal
    sin_b = (cy - bus_bot.top - clear) / r_out
    sin_t = (bus_top.bottom - clear - cy) / r_out
    if min(sin_b, sin_t) < 0.3:
        raise ValueError(f"bank_ring: radius {radius} µm leaves no room for a heater clear of the buses; use radius >= 4")
    beta_b, beta_t = np.arcsin(min(sin_b, 0.95)) - 0.05, np.arcsin(min(sin_t, 0.95)) - 0.05

    outer = np.array([(p.x, p.y) for p in loops[0].each_point_hull()], float)
    inner = np.array([(p.x, p.y) for p in loops[0].each_point_hole(0)], float)

    def cut(angle):
        """Ends (inside, outside) of a cut square to the waveguide where the ray from the centre at `angle` meets it."""
        ang = np.arctan2(outer[:, 1] - cy, outer[:, 0] - cx)
        po = outer[np.argmin(np.abs(np.angle(np.exp(1j * (ang - angle)))))]
        pi = inner[np.argmin(np.hypot(*(inner - po).T))]
        u = (po - pi) / np.hypot(*(po - pi))
        return pi - um(2.0) * u, po + um(2.0) * u

    def keep(a_bottom, a_top, sign):
        (ai, ao), (bi, bo) = cut(a_bottom), cut(a_top)
        far = sign * 4 * r_out
        pts = [ai, ao, (ao[0] + far, ao[1]), (bo[0] + far, bo[1]), bo, bi]
        return kdb.Region(kdb.Polygon([kdb.Point(int(x), int(y)) for x, y in pts]))

    band = ring_wg.sized(margin) & (keep(-beta_b, beta_t, 1) + keep(np.pi + beta_b, np.pi - beta_t, -1))
    y1 = int(cy + (hb.top - cy) * np.sin(beta_t) * 0.8)
    bridge = hole & kdb.Region(kdb.Box(hull_box.left, y1 - w, hull_box.right, y1))
    heater = (band + bridge).merged()
    squares = heater.area() / float(w) ** 2
    heated = (ring_wg & heater).area() / um(gf.get_cross_section("strip").width)
    # leads from the U's two bottom ends out to the via stacks, level with the ends
    y_lo = int(cy - r_out * np.sin(beta_b))
    lead_y = (y_lo, y_lo + w)
    wg_low = ring_wg & kdb.Region(kdb.Box(hull_box.left, lead_y[0], hull_box.right, lead_y[1] + w))
    xl, xr = wg_low.bbox().left, wg_low.bbox().right
    half = um(CONTACT / 2)
    xa = xl - margin - clear - half
    xb = xr + margin + clear + half
    yc = y_lo + half
    lead_a = kdb.Region(kdb.Box(xa, lead_y[0], xl - margin // 2, lead_y[1]))
    lead_b = kdb.Region(kdb.Box(xr + margin // 2, lead_y[0], xb, lead_y[1]))
    d = um(0.6)  # close notches and open slivers narrower than 1.2 µm left by the cuts
    heater = ((heater + lead_a + lead_b).merged().sized(d).sized(-d).sized(-d).sized(d) + band).merged()
    squares += 2 * (margin + clear) / float(w)
    c.shapes(_layer(c, "HEATER")).insert(heater)
    a = _contact(c, "a", xa * dbu, yc * dbu)
    b = _contact(c, "b", xb * dbu, yc * dbu)
    c.add_port("h_a", port=a.ports["e2"])
    c.add_port("h_b", port=b.ports["e2"])
    c.info["heater_squares"] = float(squares)
    c.info["heater_length"] = float(heated * dbu)
    return c


@gf.cell
def heater_straight(*, length: float = 50.0, inset: float = 2.0, side: int = 1) -> gf.Component:
    """gdsfactory cell: a straight waveguide under a heater whose contacts sit beside it, not in line.

    ::

             [a]                 [b]        side = +1: contacts above the waveguide
              ║                   ║
        o1 ───▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓▓─── o2

    The heater (2.5 µm, :data:`HEATER_WIDTH`) covers the waveguide from ``inset``
    to ``length - inset`` µm; at each end a lead runs ``side`` (+1 up, -1 down)
    to a via stack :data:`CONTACT_CLEARANCE` µm from the waveguide, so nothing
    metal overhangs the optical ports (gdsfactory's ``straight_heater_metal``
    puts its via stacks in line with the waveguide, over its neighbours).
    Ports o1, o2; electrical ``e1`` (contact a), ``e2`` (contact b), facing ``side``.
    ``info``: ``heater_squares``, ``heater_length`` (µm).
    """
    if side not in (1, -1):
        raise ValueError(f"side must be +1 (contacts above) or -1 (below); got {side}")
    if length < 2 * inset + 2 * CONTACT:
        raise ValueError(f"length {length} µm is too short for a heater with two {CONTACT} µm contacts; use >= "
                         f"{2 * inset + 2 * CONTACT}")
    generic_pdk()
    c = gf.Component()
    wg = c.add_ref(gf.components.straight(length=length), name="wg")
    c.add_port("o1", port=wg.ports["o1"])
    c.add_port("o2", port=wg.ports["o2"])
    hw = HEATER_WIDTH / 2
    width = _strip_width()
    yc = side * (width / 2 + CONTACT_CLEARANCE + CONTACT / 2)
    xa, xb = inset + CONTACT / 2, length - inset - CONTACT / 2
    c.add_polygon([(inset, -hw), (length - inset, -hw), (length - inset, hw), (inset, hw)], layer="HEATER")
    h = CONTACT / 2
    for x in (xa, xb):  # leads as wide as the contacts: no notch between lead, heater and via stack
        y0, y1 = sorted((side * (hw - 0.5), yc))
        c.add_polygon([(x - h, y0), (x + h, y0), (x + h, y1), (x - h, y1)], layer="HEATER")
    refs = [_contact(c, tag, x, yc) for tag, x in (("a", xa), ("b", xb))]
    face = "e2" if side == 1 else "e4"
    c.add_port("e1", port=refs[0].ports[face])
    c.add_port("e2", port=refs[1].ports[face])
    lead = abs(yc) - hw
    c.info["heater_squares"] = float((xb - xa) / HEATER_WIDTH + 2 * lead / HEATER_WIDTH)
    c.info["heater_length"] = float(length - 2 * inset)
    return c


# ------------------------------------------------------------------ mesh parts


@gf.cell
def mesh_mzi(*, gap: float = 0.2, coupler_length: float | None = None, heater_length: float = 50.0,
             pitch: float = 15.0, dx: float = 20.0) -> gf.Component:
    """gdsfactory cell: one mesh MZI, ports at ``pitch`` µm (o1 bottom in, o2 top in, o3 top out, o4 bottom out).

    ::

        o2 ──[phi heater]──╮    ╭──[theta heater]──╮    ╭── o3
                            ════                    ════
        o1 ──── straight ──╯    ╰──── straight ────╯    ╰── o4

    Couplers are gdsfactory ``coupler`` cells (50:50 by default through
    :func:`half_coupling_length`); heaters are :func:`heater_straight` (contacts above the arm).
    Electrical ports ``phi_a/phi_b`` and ``theta_a/theta_b``.
    """
    gap, coupler_length = mzi_defaults(gap, coupler_length)
    c = gf.Component()
    generic_pdk()
    cpl = gf.components.coupler(gap=gap, length=coupler_length, dy=pitch, dx=dx)
    heater = heater_straight(length=heater_length, side=1)
    plain = gf.components.straight(length=heater_length)
    in_bot = c.add_ref(plain, name="in_bottom")
    c1 = c.add_ref(cpl, name="c1")
    c1.connect("o1", in_bot.ports["o2"])
    ps_phi = c.add_ref(heater, name="phi")
    ps_phi.connect("o2", c1.ports["o2"])
    arm_bot = c.add_ref(plain, name="arm_bottom")
    arm_bot.connect("o1", c1.ports["o4"])
    ps_theta = c.add_ref(heater, name="theta")
    ps_theta.connect("o1", c1.ports["o3"])
    c2 = c.add_ref(cpl, name="c2")
    c2.connect("o1", arm_bot.ports["o2"])
    c.add_port("o1", port=in_bot.ports["o1"])
    c.add_port("o2", port=ps_phi.ports["o1"])
    c.add_port("o3", port=c2.ports["o3"])
    c.add_port("o4", port=c2.ports["o4"])
    for ref, tag in ((ps_phi, "phi"), (ps_theta, "theta")):
        c.add_port(f"{tag}_a", port=ref.ports["e1"])
        c.add_port(f"{tag}_b", port=ref.ports["e2"])
    return c


@gf.cell
def mesh_bypass(*, gap: float = 0.2, coupler_length: float | None = None, heater_length: float = 50.0,
                pitch: float = 15.0, dx: float = 20.0, side: int = 1) -> gf.Component:
    """gdsfactory cell: the waveguide of a mode that no MZI takes in a column, path-matched to :func:`mesh_mzi`.

    It draws one MZI arm's path without the partner waveguide: straight, S-bend
    pair with the coupler's straight between, straight, S-bend pair, so every
    mode crosses the same optical length per column. ``side`` +1 bends up
    (top edge of the mesh), -1 down (bottom edge). Ports o1 (in), o2 (out).
    """
    gap, coupler_length = mzi_defaults(gap, coupler_length)
    generic_pdk()
    width = _strip_width()
    offset = side * (pitch - gap - width) / 2
    c = gf.Component()
    plain = gf.components.straight(length=heater_length)
    s_in = gf.components.bend_s(size=(dx, offset))
    s_out = gf.components.bend_s(size=(dx, -offset))
    mid = gf.components.straight(length=coupler_length)
    chain = [plain, s_in, mid, s_out, plain, s_in, mid, s_out]
    refs = []
    for k, part in enumerate(chain):
        ref = c.add_ref(part, name=f"p{k}")
        if refs:
            ref.connect("o1", refs[-1].ports["o2"])
        refs.append(ref)
    c.add_port("o1", port=refs[0].ports["o1"])
    c.add_port("o2", port=refs[-1].ports["o2"])
    c.info["path_length"] = float(2 * heater_length + 2 * (coupler_length + s_in.info["length"] + s_out.info["length"]))
    return c


def _strip_width() -> float:
    return float(gf.get_cross_section("strip").width)


# ------------------------------------------------------------------ a Touchstone file's black box


def touchstone_cell(path: str = "", ports: Sequence[str] | None = None, width: float = 10.0, pitch: float = 5.0):
    """gdsfactory black box for a Touchstone file: ``ceil(N/2)`` ports west (bottom to top), the rest east (top to bottom)."""
    names = touchstone_ports(path=path, ports=ports)
    n = len(names)
    west = (n + 1) // 2
    east = n - west
    height = pitch * max(west, east, 1)
    c = gf.Component()
    c.add_polygon([(0, 0), (width, 0), (width, height), (0, height)], layer=(1, 0))
    xs = gf.get_cross_section("strip")
    for k, name in enumerate(names):
        if k < west:
            c.add_port(name, center=(0, pitch * (k + 0.5)), orientation=180, cross_section=xs)
        else:
            c.add_port(name, center=(width, pitch * (east - (k - west) - 0.5)), orientation=0, cross_section=xs)
    c.info["touchstone"] = str(path)
    return c


touchstone_cell.__name__ = "touchstone"  # gdsfactory looks cells up, and netlists name them, by function name
