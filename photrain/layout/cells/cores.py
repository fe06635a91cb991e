"""gdsfactory cells of the tensor cores: a microring weight-bank row and a Clements MZI mesh.

Heater settings are not geometry; they are passed per instance when the
extracted netlist is solved (:func:`bank_instance_settings`, :func:`mesh_instance_settings`).

Cells (every one DRC-clean under :mod:`photrain.layout.drc`'s generic-PDK deck):
    weight_bank: N bank rings on an input bus and a drop bus
        (one row of :class:`photrain.cores.MRRWeightBank`).
    clements_mesh: an N x N rectangular mesh of MZIs with heaters
        (:class:`photrain.cores.MZIMesh`, topology 'clements'), output phase shifters.
"""

from __future__ import annotations

import gdsfactory as gf
import numpy as np

from photrain.circuits import gf_models
from photrain.layout.cells.devices import bank_ring, heater_straight, mesh_bypass, mesh_mzi
from photrain.layout.geometry import GRID, mesh_column_length, mzi_defaults
from photrain.layout.gpdk import generic_pdk
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
    _, _, nominal = gf_models.ring_geometry(radius, length_x, length_y)
    channels = np.asarray(channel_wavelengths(n_channels, wl_center=wl_center, spacing=spacing))
    wl_c = float(np.mean(channels))
    order = np.round(float(neff_at(wl_c, **_NEFF)) * nominal / wl_c)
    target = order * channels / np.asarray(neff_at(channels, **_NEFF))
    lx = np.round((length_x + (target - nominal) / 2) / GRID) * GRID  # round trip = 2 (2 l_bend + length_x) + 2 length_y
    if np.any(lx < 0):
        raise ValueError("rings too short to reach their channels; increase length_x")
    geometry = [gf_models.ring_geometry(radius, float(x), length_y) for x in lx]
    bus = np.array([g[0] for g in geometry])
    half_sum = (bus[:-1] + bus[1:]) / 2
    spacers = np.round((pitch - half_sum) / GRID) * GRID
    if np.any(spacers < 0):
        raise ValueError(f"pitch {pitch} µm is shorter than a ring's bus ({bus.max():.3f} µm); rings would overlap")
    coupling = np.array([float(gf_models.ring_coupling(gap, radius, float(x))) for x in lx])
    return {"channels": channels, "length_x": lx, "ring_lengths": np.array([g[2] for g in geometry]),
            "coupling": coupling, "spacers": spacers, "bus_pitch": spacers + half_sum, "order": int(order),
            "port_lengths": {"drop": float(bus[0]), "through": float((bus[0] + bus[-1]) / 2)}}


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
    generic_pdk()
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
    generic_pdk()
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
    gap, coupler_length = mzi_defaults(gap, coupler_length)
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
