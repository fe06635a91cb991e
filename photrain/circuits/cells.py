"""gdsfactory cells of the tensor cores, and the models that simulate their extracted netlists.

Layout and simulation are one object: each cell is drawn from gdsfactory parts
whose settings the netlist extraction (``component.get_netlist()``) reports,
and each part has a model in the registry computed from those same settings
(ring round trips from the drawn bends and straights, coupler path lengths as
gdsfactory measures them). Heater settings are not geometry; they are passed
per instance when the extracted netlist is solved (:func:`bank_instance_settings`,
:func:`mesh_instance_settings`).

Cells:
    weight_bank: N add-drop rings with heaters on an input bus and a drop bus
        (one row of :class:`photrain.cores.MRRWeightBank`).
    clements_mesh: an N x N rectangular mesh of MZIs with heaters
        (:class:`photrain.cores.MZIMesh`, topology 'clements'), output phase shifters.
"""

from __future__ import annotations

import gdsfactory as gf
import numpy as np

from photrain.circuits import gf_models
from photrain.circuits.gf_models import GRID, _mzi_defaults, mesh_column_length
from photrain.circuits.pdk import activate_pdk
from photrain.models._optics import NEFF, NG, WL0, neff_at
from photrain.models.wdm import channel_wavelengths

_NEFF = dict(neff=NEFF, ng=NG, wl0=WL0)  # the effective-index model the ring trimming uses
activate_pdk()

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


@gf.cell
def weight_bank(n_channels: int = 4, *, spacing: float = 0.0016, wl_center: float = WL0, radius: float = 5.0,
                gap: float = 0.2, length_x: float = 1.0, length_y: float = 1.0, pitch: float = 30.0) -> gf.Component:
    """gdsfactory cell: a microring weight-bank row (Tait et al., J. Lightwave Technol. 32, 4029 (2014)).

    ::

        drop o3 ──◯────◯────◯────◯── o4 (add)        drop bus (light runs right to left)
                  │ring│    │    │
        in   o1 ──◯────◯────◯────◯── o2 through       input bus

    Ring ``ring{j}`` is a gdsfactory ``ring_double_heater`` resonant at WDM
    channel j; neighbouring rings are joined on both buses by straights so that
    coupling points are ``pitch`` µm apart. A balanced photodiode on o3 (drop)
    and o2 (through) reads sum_j P_j (T_drop - T_through). Heater ports
    ``h{j}_a`` / ``h{j}_b`` are the two via stacks of ring j.

    Args: see :func:`weight_bank_geometry` (µm, except ``n_channels``).
    """
    geo = weight_bank_geometry(n_channels, spacing=spacing, wl_center=wl_center, radius=radius, gap=gap,
                               length_x=length_x, length_y=length_y, pitch=pitch)
    c = gf.Component()
    rings = []
    for j in range(int(n_channels)):
        ring = c.add_ref(gf.components.ring_double_heater(gap=gap, radius=radius, length_x=float(geo["length_x"][j]),
                                                          length_y=length_y), name=f"ring{j}")
        if rings:
            prev = rings[-1]
            spacer = gf.components.straight(length=float(geo["spacers"][j - 1]))
            s_in = c.add_ref(spacer, name=f"bus{j - 1}")
            s_in.connect("o1", prev.ports["o2"])
            ring.connect("o1", s_in.ports["o2"])
            s_drop = c.add_ref(spacer, name=f"dropbus{j - 1}")
            s_drop.connect("o1", prev.ports["o4"])
        rings.append(ring)
        c.add_port(f"h{j}_a", port=ring.ports["l_e2"])
        c.add_port(f"h{j}_b", port=ring.ports["r_e2"])
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

    ``detuning`` (N,): round-trip phase of ring j at its own channel (rad), as in
    :meth:`photrain.cores.MRRWeightBank.response` (a thermo-optic phase; the
    instance setting is given at wl0).
    """
    return {f"ring{j}": {"delta_phase": float(d)} for j, d in enumerate(np.asarray(detuning))}


def bank_detuning_at_channels(delta_phase_wl0, channels):
    """Heater phases given at wl0 (rad) -> the same heaters' phases at each ring's own channel (rad)."""
    return np.asarray(delta_phase_wl0) * WL0 / np.asarray(channels)


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
    :func:`half_coupling_length`); heaters are ``straight_heater_metal``.
    Electrical ports ``phi_a/phi_b`` and ``theta_a/theta_b``.
    """
    gap, coupler_length = _mzi_defaults(gap, coupler_length)
    c = gf.Component()
    cpl = gf.components.coupler(gap=gap, length=coupler_length, dy=pitch, dx=dx)
    heater = gf.components.straight_heater_metal(length=heater_length)
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
        c.add_port(f"{tag}_a", port=ref.ports["l_e2"])
        c.add_port(f"{tag}_b", port=ref.ports["r_e2"])
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
    """For each column of an n-mode Clements mesh (padded to an even count, as the structured solver),
    the lower modes m of its MZIs (pairs m, m+1)."""
    n_cols = n + (n % 2)
    return [[m for m in range(col % 2, n - 1, 2)] if col < n else [] for col in range(n_cols)]


@gf.cell
def clements_mesh(n: int = 4, *, gap: float = 0.2, coupler_length: float | None = None, heater_length: float = 50.0,
                  pitch: float = 15.0, dx: float = 20.0) -> gf.Component:
    """gdsfactory cell: an n x n Clements mesh (Clements et al., Optica 3, 1460 (2016)) with output phase shifters.

    Column ``col`` holds :func:`mesh_mzi` instances ``mzi_{col}_{slot}`` on modes
    (2 slot + col % 2, +1); a mode no MZI takes crosses a path-matched
    :func:`mesh_bypass` ``wg_{col}_{m}``. Every mode then crosses a heater
    ``out_{m}`` (the output phase screen). Optical ports ``in{m}`` / ``out{m}``
    with m the mesh mode (mode 0 at the bottom, y = m x pitch): port order = mode order.
    Heater pads are exposed as ``{instance}_{phi|theta}_{a|b}`` and ``out_{m}_a/b``.
    """
    kw = dict(gap=gap, coupler_length=coupler_length, heater_length=heater_length, pitch=pitch, dx=dx)
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
    heater = gf.components.straight_heater_metal(length=heater_length)
    for m in range(n):
        ref = c.add_ref(heater, name=f"out_{m}")
        _place(ref, "o1", x, m * pitch)
        chain(m, ref, "o1", "o2")
        c.add_port(f"out{m}", port=ref.ports["o2"])
        c.add_port(f"out_{m}_a", port=ref.ports["l_e2"])
        c.add_port(f"out_{m}_b", port=ref.ports["r_e2"])
    for m, (ref, port) in sorted(first.items()):
        c.add_port(f"in{m}", port=ref.ports[port])
    c.info["n_mzis"] = n * (n - 1) // 2
    c.info["column_length"] = mesh_column_length(**kw)
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


def mesh_instance_settings(mesh, settings) -> dict:
    """Per-instance heater settings of :func:`clements_mesh` from a programmed :class:`photrain.cores.MZIMesh`."""
    theta, phi, out = mesh.realised_phases(settings)
    active = np.asarray(settings.active)
    inst = {}
    for col in range(active.shape[0]):
        for slot in range(active.shape[1]):
            if active[col, slot]:
                inst[f"mzi_{col}_{slot}"] = {"theta": float(theta[col, slot]), "phi": float(phi[col, slot])}
    for m, v in enumerate(out):
        inst[f"out_{m}"] = {"phase": float(v)}
    return inst


