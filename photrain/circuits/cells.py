"""gdsfactory cells of the tensor cores, and the models that simulate their extracted netlists.

Layout and simulation are one object: each cell is drawn from gdsfactory parts
whose settings the netlist extraction (``component.get_netlist()``) reports,
and each part has a model in the registry computed from those same settings
(ring round trips from the drawn bends and straights, coupler path lengths as
gdsfactory measures them). Heater settings are not geometry; they are passed
per instance when the extracted netlist is solved (:func:`bank_instance_settings`,
:func:`mesh_instance_settings`).

Cells (every one DRC-clean under :mod:`photrain.circuits.drc`'s generic-PDK deck):
    bank_ring: an add-drop ring with a heater and via stacks clear of both buses.
    heater_straight: a heated straight whose contacts sit beside the waveguide.
    weight_bank: N bank rings on an input bus and a drop bus
        (one row of :class:`photrain.cores.MRRWeightBank`).
    clements_mesh: an N x N rectangular mesh of MZIs with heaters
        (:class:`photrain.cores.MZIMesh`, topology 'clements'), output phase shifters.

:data:`PDK_CELLS` are registered in gdsfactory's PDK by
:func:`photrain.circuits.pdk.activate_pdk`, so circuit YAML files can name them.
"""

from __future__ import annotations

import gdsfactory as gf
import numpy as np

from photrain.circuits import gf_models
from photrain.circuits.gf_models import GRID, _mzi_defaults, mesh_column_length
from photrain.circuits.pdk import activate_pdk
from photrain.models.optics import NEFF, NG, WL0, neff_at
from photrain.models.phase_shifters import power_for_phase, thermal_phase
from photrain.models.wdm import channel_wavelengths

_NEFF = dict(neff=NEFF, ng=NG, wl0=WL0)  # the effective-index model the ring trimming uses

# ------------------------------------------------------------------ weight bank


def weight_bank_geometry(n_channels: int, *, spacing: float = 0.0016, wl_center: float = WL0, radius: float = 5.0,
                         gap: float = 0.2, length_x: float = 1.0, length_y: float = 1.0, pitch: float = 30.0) -> dict:
    """Drawn geometry of a weight-bank row and the matching core settings.

    Each ring's round trip is trimmed through its coupler length ``length_x``
    (snapped to the layout grid; all rings keep the same height so both buses
    stay straight) to the azimuthal order of the nominal ring at its WDM
    channel: n_eff(wl_j) L_j = m wl_j. Straights between rings keep the
    coupling points ``pitch`` µm apart on both buses. Returns per ring:
    ``length_x``, ``ring_lengths`` (round trips, µm), ``coupling`` (power, the
    coupled-mode model of :func:`photrain.circuits.gf_models.coupler_ring`);
    per gap: ``spacers`` (straight lengths) and ``bus_pitch`` (µm): what
    :class:`photrain.cores.MRRWeightBank` takes as ``ring_lengths``, ``coupling`` and ``pitch``.
    ``port_lengths``: bus outside the first/last coupling points that the layout adds
    to the drop (o1 -> o3) and through (o1 -> o2) paths (µm); the core's reference
    planes sit at the coupling points.
    """
    if int(n_channels) < 1:
        raise ValueError(f"n_channels must be >= 1; got {n_channels}")
    if radius <= 0 or gap <= 0 or length_x < 0 or length_y < 0:
        raise ValueError("radius and gap must be > 0, length_x and length_y >= 0 (µm)")
    _, _, nominal = gf_models._ring_geometry(radius, length_x, length_y)
    channels = np.asarray(channel_wavelengths(n_channels, wl_center=wl_center, spacing=spacing))
    wl_c = float(np.mean(channels))
    order = np.round(float(neff_at(wl_c, **_NEFF)) * nominal / wl_c)
    target = order * channels / np.asarray(neff_at(channels, **_NEFF))
    lx = np.round((length_x + (target - nominal) / 2) / GRID) * GRID  # round trip = 2 (2 l_bend + length_x) + 2 length_y
    if np.any(lx < 0):
        raise ValueError("rings too short to reach their channels; increase length_x")
    geometry = [gf_models._ring_geometry(radius, float(x), length_y) for x in lx]
    bus = np.array([g[0] for g in geometry])
    half_sum = (bus[:-1] + bus[1:]) / 2
    spacers = np.round((pitch - half_sum) / GRID) * GRID
    if np.any(spacers < 0):
        raise ValueError(f"pitch {pitch} µm is shorter than a ring's bus ({bus.max():.3f} µm); rings would overlap")
    coupling = np.array([float(gf_models._ring_coupling(gap, radius, float(x))) for x in lx])
    return {"channels": channels, "length_x": lx, "ring_lengths": np.array([g[2] for g in geometry]),
            "coupling": coupling, "spacers": spacers, "bus_pitch": spacers + half_sum, "order": int(order),
            "port_lengths": {"drop": float(bus[0]), "through": float((bus[0] + bus[-1]) / 2)}}


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

    activate_pdk()
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
    activate_pdk()
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


# ------------------------------------------------------------------ weight bank


@gf.cell
def weight_bank(n_channels: int = 4, *, spacing_nm: float = 1.6, wl_center_nm: float = WL0 * 1e3, radius: float = 5.0,
                gap: float = 0.2, length_x: float = 1.0, length_y: float = 1.0, pitch: float = 30.0) -> gf.Component:
    """gdsfactory cell: a microring weight-bank row (Tait et al., J. Lightwave Technol. 32, 4029 (2014)).

    ::

        drop o3 ──◯────◯────◯────◯── o4 (add)        drop bus (light runs right to left)
                  │ring│    │    │
        in   o1 ──◯────◯────◯────◯── o2 through       input bus

    Ring ``ring{j}`` is a :func:`bank_ring` (add-drop ring, U heater, via stacks
    between the buses) resonant at WDM channel j; neighbouring rings are joined
    on both buses by straights so that coupling points are ``pitch`` µm apart.
    A balanced photodiode on o3 (drop) and o2 (through) reads
    sum_j P_j (T_drop - T_through). Heater ports ``h{j}_a`` / ``h{j}_b``. This
    one cell is the weight bank of both Python and ``circuits/weight_bank4.pic.yml``
    (``component: weight_bank``).

    Args: see :func:`weight_bank_geometry` (µm, except ``n_channels``); the channel
    grid is given in nm (``spacing_nm``, ``wl_center_nm``) because gdsfactory keeps
    three decimals of a setting in the netlists it extracts.
    """
    geo = weight_bank_geometry(n_channels, spacing=spacing_nm * 1e-3, wl_center=wl_center_nm * 1e-3, radius=radius, gap=gap,
                               length_x=length_x, length_y=length_y, pitch=pitch)
    activate_pdk()
    c = gf.Component()
    rings = []
    for j in range(int(n_channels)):
        ring = c.add_ref(bank_ring(gap=gap, radius=radius, length_x=float(geo["length_x"][j]), length_y=length_y),
                         name=f"ring{j}")
        if rings:
            prev = rings[-1]
            spacer = gf.components.straight(length=float(geo["spacers"][j - 1]))
            s_in = c.add_ref(spacer, name=f"bus{j - 1}")
            s_in.connect("o1", prev.ports["o2"])
            ring.connect("o1", s_in.ports["o2"])
            s_drop = c.add_ref(spacer, name=f"dropbus{j - 1}")
            s_drop.connect("o1", prev.ports["o4"])
        rings.append(ring)
        c.add_port(f"h{j}_a", port=ring.ports["h_a"])
        c.add_port(f"h{j}_b", port=ring.ports["h_b"])
    c.add_port("o1", port=rings[0].ports["o1"])
    c.add_port("o2", port=rings[-1].ports["o2"])
    c.add_port("o3", port=rings[0].ports["o3"])
    c.add_port("o4", port=rings[-1].ports["o4"])
    c.info["n_rings"] = int(n_channels)
    c.info["ring_lengths"] = [float(v) for v in geo["ring_lengths"]]
    c.info["coupling"] = [float(v) for v in geo["coupling"]]
    return c


def bank_instance_settings(detuning) -> dict:
    """Per-instance heater settings of a weight-bank row for its extracted netlist.

    ``detuning`` (N,): heater round-trip phase of ring j (rad at wl0; the instance
    setting of :func:`bank_ring`'s model, which scales it thermo-optically with wl).
    """
    return {f"ring{j}": {"delta_phase": float(d)} for j, d in enumerate(np.asarray(detuning))}


def bank_detuning_at_channels(delta_phase_wl0, channels):
    """Heater phases given at wl0 (rad) -> the same heaters' phases at each ring's own channel (rad).

    The thermo-optic phase of a fixed heater power, evaluated at another wavelength,
    through :func:`photrain.models.phase_shifters.thermal_phase`.
    """
    power = power_for_phase(np.asarray(delta_phase_wl0))
    return np.asarray(thermal_phase(power, wl=np.asarray(channels), wl0=WL0))


# ------------------------------------------------------------------ MZI mesh


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
    gap, coupler_length = _mzi_defaults(gap, coupler_length)
    c = gf.Component()
    activate_pdk()
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
    gap, coupler_length = _mzi_defaults(gap, coupler_length)
    activate_pdk()
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


def clements_grid(n: int) -> list[list[int]]:
    """For each of the n columns of an n-mode Clements mesh, the lower modes m of its MZIs (pairs m, m+1).

    Only the physical columns: the structured solver pads an odd column count to an even one for its
    column-pair scan, but that padding column holds nothing and has no waveguide
    (:func:`photrain.circuits.mesh_solver.mesh_transfer`), so it is not drawn either."""
    return [[m for m in range(col % 2, n - 1, 2)] for col in range(n)]


@gf.cell
def clements_mesh(n: int = 4, *, gap: float = 0.2, coupler_length: float | None = None, heater_length: float = 50.0,
                  pitch: float = 15.0, dx: float = 20.0, output_gap: float = 0.0) -> gf.Component:
    """gdsfactory cell: an n x n Clements mesh (Clements et al., Optica 3, 1460 (2016)) with output phase shifters.

    Column ``col`` holds :func:`mesh_mzi` instances ``mzi_{col}_{slot}`` on modes
    (2 slot + col % 2, +1); a mode no MZI takes crosses a path-matched
    :func:`mesh_bypass` ``wg_{col}_{m}``. Every mode then crosses a heater
    ``out_{m}`` (the output phase screen). Optical ports ``in{m}`` / ``out{m}``
    with m the mesh mode (mode 0 at the bottom, y = m x pitch): port order = mode order.
    Heater pads are exposed as ``{instance}_{phi|theta}_{a|b}`` and ``out_{m}_a/b``.
    ``output_gap`` (µm): straights ``gap_{m}`` before the output heaters (room to route
    their contacts on a chip); every mode then shares ``info["output_length"]`` =
    output_gap + heater_length µm after the last column.
    """
    kw = dict(gap=gap, coupler_length=coupler_length, heater_length=heater_length, pitch=pitch, dx=dx)
    activate_pdk()
    c = gf.Component()
    first, last = {}, {}  # mode -> (instance, port) where it enters the mesh / its latest output port

    def chain(m, ref, port_in, port_out):
        if m not in last:
            first[m] = (ref, port_in)
        last[m] = ref.ports[port_out]

    x = 0.0
    for col, lows in enumerate(clements_grid(n)):
        taken = set()
        for slot_m in lows:
            name = f"mzi_{col}_{(slot_m - col % 2) // 2}"
            ref = c.add_ref(mesh_mzi(**kw), name=name)
            _place(ref, "o1", x, slot_m * pitch)
            for tag in ("phi_a", "phi_b", "theta_a", "theta_b"):
                c.add_port(f"{name}_{tag}", port=ref.ports[tag])
            chain(slot_m, ref, "o1", "o4")
            chain(slot_m + 1, ref, "o2", "o3")
            taken |= {slot_m, slot_m + 1}
        for m in range(n):
            if m not in taken:
                ref = c.add_ref(mesh_bypass(side=1 if m >= n / 2 else -1, **kw), name=f"wg_{col}_{m}")
                _place(ref, "o1", x, m * pitch)
                chain(m, ref, "o1", "o2")
        x += mesh_column_x(**kw)
    if output_gap < 0:
        raise ValueError(f"output_gap must be >= 0 µm; got {output_gap}")
    if output_gap > 0:
        spacer = gf.components.straight(length=output_gap)
        for m in range(n):
            ref = c.add_ref(spacer, name=f"gap_{m}")
            _place(ref, "o1", x, m * pitch)
            chain(m, ref, "o1", "o2")
        x += output_gap
    heater = heater_straight(length=heater_length, side=1)
    for m in range(n):
        ref = c.add_ref(heater, name=f"out_{m}")
        _place(ref, "o1", x, m * pitch)
        chain(m, ref, "o1", "o2")
        c.add_port(f"out{m}", port=ref.ports["o2"])
        c.add_port(f"out_{m}_a", port=ref.ports["e1"])
        c.add_port(f"out_{m}_b", port=ref.ports["e2"])
    for m, (ref, port) in sorted(first.items()):
        c.add_port(f"in{m}", port=ref.ports[port])
    c.info["n_mzis"] = n * (n - 1) // 2
    c.info["column_length"] = mesh_column_length(**kw)
    c.info["output_length"] = float(output_gap + heater_length)
    return c


def _place(ref, port: str, x: float, y: float) -> None:
    """Move ``ref`` so that its ``port`` sits at (x, y) µm."""
    p = ref.ports[port]
    ref.dmove((x - p.center[0], y - p.center[1]))


def mesh_column_x(*, gap: float = 0.2, coupler_length: float | None = None, heater_length: float = 50.0,
                  pitch: float = 15.0, dx: float = 20.0) -> float:
    """Width (µm) of one mesh column: 2 heater sections + 2 couplers (2 dx + coupling length each)."""
    gap, coupler_length = _mzi_defaults(gap, coupler_length)
    return 2 * heater_length + 2 * (2 * dx + coupler_length)


def mesh_instance_settings(theta, phi, out_phase, active=None) -> dict:
    """Per-instance heater settings of :func:`clements_mesh` from plain phase arrays (rad at wl0).

    ``theta``, ``phi``: (columns, slots) as :class:`photrain.cores.MeshSettings` (slot s
    of column col is the MZI on modes 2 s + col % 2, +1); ``out_phase``: (n,).
    ``active`` (columns, slots) bool: which slots hold an MZI (default: the
    Clements grid of n = len(out_phase) modes, :func:`clements_grid`). For a
    programmed core pass the phases it realises, e.g. ``mesh.realised_phases(settings)``.
    """
    theta, phi, out_phase = np.asarray(theta, float), np.asarray(phi, float), np.asarray(out_phase, float)
    if theta.shape != phi.shape or theta.ndim != 2:
        raise ValueError(f"theta and phi must be (columns, slots) arrays of one shape; got {theta.shape} and {phi.shape}")
    n = out_phase.size
    if active is None:
        grid = clements_grid(n)
        active = np.zeros(theta.shape, bool)
        for col, lows in enumerate(grid[: theta.shape[0]]):
            for m in lows:
                if (m - col % 2) // 2 < theta.shape[1]:
                    active[col, (m - col % 2) // 2] = True
    active = np.asarray(active, bool)
    if active.shape != theta.shape:
        raise ValueError(f"active must have theta's shape {theta.shape}; got {active.shape}")
    inst = {}
    for col, slot in zip(*np.nonzero(active), strict=True):
        inst[f"mzi_{col}_{slot}"] = {"theta": float(theta[col, slot]), "phi": float(phi[col, slot])}
    for m, v in enumerate(out_phase):
        inst[f"out_{m}"] = {"phase": float(v)}
    return inst


#: photrain's cells by the name a circuit YAML uses (``component: weight_bank``).
PDK_CELLS = {
    "bank_ring": bank_ring,
    "heater_straight": heater_straight,
    "weight_bank": weight_bank,
    "mesh_mzi": mesh_mzi,
    "mesh_bypass": mesh_bypass,
    "clements_mesh": clements_mesh,
}
