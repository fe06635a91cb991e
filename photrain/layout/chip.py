"""Chip assembly: a core cell with its heaters routed to bond pads and its optical ports on grating couplers.

::

        ┌──────────────────── die (DICING outline, FLOORPLAN) ───────────────────┐
        │   ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢      bond pads (top metal, 80 µm)     │
        │    ╲ ╲ ╲ │ │ │ ╱ ╱ ╱                   staircase fan-out, one trace/pad  │
        │  ◁━━━━┓  ┌──────────────┐  ┏━━━━▷                                       │
        │  ◁━━━┓┗━━┥     core     ┝━━┛┏━━▷    grating couplers at 127 µm         │
        │  ◁━┓ ┗━━━┥              ┝━━━┛ ┏▷    (fibre-array pitch), loop-back     │
        │  ◁━┛     └──────────────┘     ┗▷    pair at each array's ends          │
        │   ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢ ▢                                       │
        └────────────────────────────────────────────────────────────────────────┘

Cores: :func:`bank_chip` (rows of :func:`photrain.layout.cells.weight_bank`, each with
its own input, through and drop couplers) and :func:`mesh_chip` (a
:func:`photrain.layout.cells.clements_mesh`). Heater contacts reach their pads on top
metal (M3, 3.2 µm above the waveguides in the generic layer stack, so traces may
cross waveguides; the DRC deck keeps heaters, vias and M2 clear of them). Every
heater contact gets its own pad (``chip.info["pads"]``: pad name -> contact).

:func:`chip_netlist` is the assembled chip's extracted netlist with the fibre
ports of the grating couplers as its ports; :func:`chip_circuit` simulates it
through the registry (couplers by :func:`photrain.models.grating_couplers.grating_coupler`).
"""

from __future__ import annotations

import gdsfactory as gf
import numpy as np

from photrain.circuits.netlist import circuit, model_ports, settings_of
from photrain.layout.cell_models import layout_models
from photrain.layout.cells import clements_mesh, weight_bank
from photrain.layout.pdk import activate_pdk

PAD = 80.0  # µm: bond-pad side
PAD_PITCH = 100.0  # µm
TRACE = 2.5  # µm: top-metal trace width (deck: M3 >= 2.0)
TRACE_PITCH = 5.5  # µm: trace centre to centre (deck: M3 space >= 3.0)
FIBRE_PITCH = 127.0  # µm: standard fibre-array pitch
GC_WAVELENGTH = 1.55  # µm: grating-coupler design wavelength
EDGE = 150.0  # µm: die margin around the content


def _rect(c, x0, y0, x1, y1, layer="M3"):
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    c.add_polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], layer=layer)


def _staircase(c, starts, pad_y: float, direction: int, first_level: float, names, pads_out: dict,
               pad_x0: float | None = None) -> float:
    """Route contacts at ``starts`` [(x, y), ...] (traces leaving vertically towards ``direction`` = +1 up / -1 down)
    to a row of pads centred on them at ``pad_y`` (pad centre row); returns the pad row's x span.

    Trace k runs vertically from its start to level y_k, horizontally to its pad's x, then to the pad.
    Traces heading left turn in order of x (leftmost nearest the core), traces heading right the
    reverse, so no two traces cross; levels are TRACE_PITCH apart from ``first_level``.
    """
    order = np.argsort([s[0] for s in starts], kind="stable")
    n = len(starts)
    xs = np.array([starts[i][0] for i in order])
    if pad_x0 is None:
        pad_x0 = float(np.mean(xs)) - (n - 1) * PAD_PITCH / 2
    px = pad_x0 + PAD_PITCH * np.arange(n)
    left = [k for k in range(n) if px[k] < xs[k]]
    right = [k for k in range(n) if px[k] >= xs[k]]
    level = {}
    for rank, k in enumerate(left):  # leftmost first
        level[k] = rank
    for rank, k in enumerate(reversed(right)):  # rightmost first
        level[k] = rank
    h = TRACE / 2
    pad = gf.components.pad(size=(PAD, PAD))
    for k in range(n):
        i = order[k]
        x, y = starts[i]
        yl = first_level + direction * level[k] * TRACE_PITCH
        _rect(c, x - h, y, x + h, yl + direction * h)
        _rect(c, min(x, px[k]) - h, yl - h, max(x, px[k]) + h, yl + h)
        _rect(c, px[k] - h, yl - direction * h, px[k] + h, pad_y)
        ref = c.add_ref(pad, name=f"pad_{names[i]}")
        ref.dmove((px[k] - ref.dcenter[0], pad_y - ref.dcenter[1]))
        pads_out[f"pad_{names[i]}"] = names[i]
    return float(px[0] - PAD / 2), float(px[-1] + PAD / 2)


def _levels_extent(n: int) -> float:
    return n * TRACE_PITCH + PAD / 2 + 20.0


def _gc():
    return gf.components.grating_coupler_elliptical_trenches(wavelength=GC_WAVELENGTH)


def _fibre_array(c, ports, side: int, x: float, tag: str, fibre_ports: dict):
    """Grating couplers at FIBRE_PITCH on a column at ``x`` whose waveguide ports face the core (side -1: the column
    is left of the core, +1: right), routed to ``ports`` (name -> port) in order of height; at each end of the
    column a loop-back pair (two neighbouring couplers joined by a U-turn) for aligning the fibre array.
    Records fibre port name -> coupler instance in ``fibre_ports``."""
    names = sorted(ports, key=lambda k: ports[k].center[1])
    ys = np.array([ports[k].center[1] for k in names])
    n = len(names)
    y0 = float(np.mean(ys)) - (n + 3) * FIBRE_PITCH / 2
    gc = _gc()
    gcs = []
    for k in range(n + 4):
        ref = c.add_ref(gc, name=f"gc_{tag}{k}")
        ref.drotate(180 if side == -1 else 0)  # o1 (waveguide end) faces the core
        ref.dmove((x - ref.ports["o1"].center[0], y0 + k * FIBRE_PITCH - ref.ports["o1"].center[1]))
        gcs.append(ref)
    # run straight out from the core and fan out next to the couplers, clear of the pad rows
    reach = min(abs(x - ports[k].center[0]) for k in names) - (6.0 * n + 80.0)
    routes = gf.routing.route_bundle(c, [ports[k] for k in names], [g.ports["o1"] for g in gcs[2:-2]],
                                     cross_section="strip", separation=5.0, sort_ports=True,
                                     start_straight_length=max(reach, 0.0))
    for i, route in enumerate(routes):
        for k, inst in enumerate(route.instances):
            inst.name = f"io_{tag}{i}_{k}"
    for k, name in enumerate(names):
        fibre_ports[name] = f"gc_{tag}{k + 2}"
    bend = gf.components.bend_euler(radius=10.0)
    turn = bend.ports["o2"].center[1] - bend.ports["o1"].center[1]  # lateral offset of one 90-degree bend
    for pair, (i, j) in zip("ab", ((0, 1), (n + 2, n + 3)), strict=True):
        # U-turn of two left-hand bends: start at the coupler from which a left turn heads to the other one
        start, end = (gcs[i], gcs[j]) if side == -1 else (gcs[j], gcs[i])
        b1 = c.add_ref(bend, name=f"loop_{tag}{pair}_b1")
        b1.connect("o1", start.ports["o1"])
        mid = c.add_ref(gf.components.straight(length=FIBRE_PITCH - 2 * turn), name=f"loop_{tag}{pair}_s")
        mid.connect("o1", b1.ports["o2"])
        b2 = c.add_ref(bend, name=f"loop_{tag}{pair}_b2")
        b2.connect("o1", mid.ports["o2"])
        if np.hypot(*(np.subtract(b2.ports["o2"].center, end.ports["o1"].center))) > 1e-3:
            raise RuntimeError("fibre array: the loop-back U-turn does not land on its coupler")
        fibre_ports[f"loop_{tag}{pair}1"] = f"gc_{tag}{i}"
        fibre_ports[f"loop_{tag}{pair}2"] = f"gc_{tag}{j}"
    return gcs


def _die(c, label: str):
    """Die outline (DICING), floorplan and a text label around the content."""
    box = c.dbbox()
    x0, y0, x1, y1 = box.left - EDGE, box.bottom - EDGE, box.right + EDGE, box.top + EDGE
    _rect(c, x0, y0, x1, y1, layer="FLOORPLAN")
    w = 20.0
    for r in ((x0, y0, x1, y0 + w), (x0, y1 - w, x1, y1), (x0, y0, x0 + w, y1), (x1 - w, y0, x1, y1)):
        _rect(c, *r, layer="DICING")
    c.add_label(label, position=(x0 + 2 * w, y1 - 2 * w), layer="TEXT")
    t = c.add_ref(gf.components.text(text=label, size=40.0, layer="TEXT"), name="die_label")
    t.dxmin, t.dymax = x0 + 3 * w, y1 - 3 * w


@gf.cell
def mesh_chip(n: int = 8, output_gap: float | None = None) -> gf.Component:
    """An n x n Clements-mesh chip: :func:`photrain.layout.cells.clements_mesh` with every heater contact routed
    to its own pad (left contacts up, right contacts down) and inputs/outputs on two grating-coupler arrays."""
    activate_pdk()
    c = gf.Component()
    gap = (n + n // 2) * TRACE_PITCH if output_gap is None else output_gap  # routing room before the output heaters
    core = c.add_ref(clements_mesh(n, output_gap=gap), name="core")
    pitch = 15.0
    heaters = []  # (name, x_a, x_b, y_contact, section x0, section x1)
    for p in core.ports:
        if p.port_type == "electrical" and p.name.endswith("_a"):
            base = p.name[:-2]
            heaters.append((base, p.center[0], core.ports[base + "_b"].center[0], p.center[1]))
    # heater sections: contacts a at section start + 4, b at section end - 4 (heater_straight, inset 2, contact 4)
    sec_start = sorted({round(h[1] - 4.0, 3) for h in heaters})
    sec_end = sorted({round(h[2] + 4.0, 3) for h in heaters})
    up_starts, up_names, down_starts, down_names = [], [], [], []
    h = TRACE / 2
    for s0 in sec_start:  # a contacts go up, in the region left of their section
        group = sorted([hh for hh in heaters if abs(hh[1] - 4.0 - s0) < 1e-3], key=lambda t: t[3])
        prev_end = max([e for e in sec_end if e <= s0 + 1e-3], default=None)
        n_g = len(group)
        if prev_end is not None:  # the down channels of the section before use this region's left part
            n_prev = sum(1 for hh in heaters if abs(hh[2] + 4.0 - prev_end) < 1e-3)
            if s0 - 1.5 - n_g * TRACE_PITCH < prev_end + 1.5 + n_prev * TRACE_PITCH:
                raise ValueError(f"mesh_chip: no room for {n_g} + {n_prev} routing channels between x = {prev_end} "
                                 f"and {s0} µm; increase output_gap")
        for k, (name, xa, _, y) in enumerate(group):
            xc = s0 - 1.5 - h - (n_g - 1 - k) * TRACE_PITCH
            _rect(c, xc - h, y - h, xa, y + h)
            up_starts.append((xc, y))
            up_names.append(f"{name}_a")
    for s1 in sec_end:  # b contacts go down, in the region right of their section
        group = sorted([hh for hh in heaters if abs(hh[2] + 4.0 - s1) < 1e-3], key=lambda t: t[3])
        for k, (name, _, xb, y) in enumerate(group):
            xc = s1 + 1.5 + h + k * TRACE_PITCH
            _rect(c, xb, y - h, xc + h, y + h)
            down_starts.append((xc, y))
            down_names.append(f"{name}_b")
    pads: dict[str, str] = {}
    top = (n - 1) * pitch + 20.0
    bottom = -20.0
    top_level = top + 10.0
    span_up = _staircase(c, up_starts, top_level + _levels_extent(len(up_starts)), 1, top_level, up_names, pads)
    span_dn = _staircase(c, down_starts, bottom - 10.0 - _levels_extent(len(down_starts)), -1, bottom - 10.0,
                         down_names, pads)
    fibre: dict[str, str] = {}
    x_in = min(span_up[0], span_dn[0], core.dbbox().left - 250.0) - 100.0  # couplers clear of the pad rows
    x_out = max(span_up[1], span_dn[1], core.dbbox().right + 250.0) + 100.0
    _fibre_array(c, {f"in{m}": core.ports[f"in{m}"] for m in range(n)}, -1, x_in, "in", fibre)
    _fibre_array(c, {f"out{m}": core.ports[f"out{m}"] for m in range(n)}, 1, x_out, "out", fibre)
    _die(c, f"photrain mesh {n}x{n}")
    c.info["pads"] = pads
    c.info["fibre_ports"] = fibre
    c.info["core"] = "clements_mesh"
    return c


@gf.cell
def bank_chip(n_channels: int = 8, rows: int = 4) -> gf.Component:
    """A weight-bank chip: ``rows`` :func:`photrain.layout.cells.weight_bank` rows of ``n_channels`` rings, each
    row's heater contacts routed up to its own pad row; inputs and drops on a left coupler array, throughs on a right one."""
    activate_pdk()
    c = gf.Component()
    bank = weight_bank(n_channels)
    n_contacts = 2 * n_channels
    row_pitch = 60.0 + _levels_extent(n_contacts) + PAD / 2 + 60.0
    pads: dict[str, str] = {}
    left_ports, right_ports = {}, {}
    for r in range(rows):
        ref = c.add_ref(bank, name=f"row{r}")
        ref.dmove((0.0, r * row_pitch))
        starts, names = [], []
        for j in range(n_channels):
            for tag in ("a", "b"):
                p = ref.ports[f"h{j}_{tag}"]
                starts.append((p.center[0], p.center[1]))
                names.append(f"r{r}_h{j}_{tag}")
        first = ref.ports["o3"].center[1] + 25.0
        span = _staircase(c, starts, first + _levels_extent(n_contacts), 1, first, names, pads,
                          pad_x0=ref.dbbox().left + PAD / 2)
        left_ports[f"in{r}"] = ref.ports["o1"]
        left_ports[f"drop{r}"] = ref.ports["o3"]
        right_ports[f"thru{r}"] = ref.ports["o2"]
    fibre: dict[str, str] = {}
    x_left = -300.0 - 12.0 * rows
    x_right = max(span[1], bank.dbbox().right) + 300.0 + 12.0 * rows
    _fibre_array(c, left_ports, -1, x_left, "l", fibre)
    _fibre_array(c, right_ports, 1, x_right, "r", fibre)
    _die(c, f"photrain bank {n_channels}x{rows}")
    c.info["pads"] = pads
    c.info["fibre_ports"] = fibre
    c.info["core"] = "weight_bank"
    return c


def chip_netlist(chip) -> dict:
    """The chip's extracted netlist with the grating couplers' fibre ports (``o2``) as its ports, named as in
    ``chip.info["fibre_ports"]`` (``in0``, ``out3``, ``drop1``, ``loop_in_a`` ...)."""
    netlist = dict(chip.get_netlist())
    netlist["ports"] = {name: f"{inst},o2" for name, inst in chip.info["fibre_ports"].items()}
    used = {ref.split(",", 1)[0] for ref in _adjacency(netlist)} | set(chip.info["fibre_ports"].values())
    # pads, traces and labels have no optical ports: the optical netlist is everything the nets reach
    netlist["instances"] = {k: v for k, v in netlist["instances"].items() if k in used}
    netlist.pop("placements", None)
    return netlist


def chip_circuit(chip, models=None, *, cores: dict | None = None):
    """sax circuit function ``f(*, wl) -> SDict`` of :func:`chip_netlist` (through photrain's registry).

    ``cores`` maps a core instance (``core`` of a mesh chip, ``row{r}`` of a bank chip) to its
    heater settings: ``{"theta": (C, P), "phi": (C, P), "out_phase": (n,)}`` (rad, as
    :func:`photrain.layout.cells.mesh_instance_settings`) or ``{"delta_phase": (N,)}`` (rad at wl0).
    They are bound into that instance's model here (array settings are not sax batch dimensions).
    """
    models = layout_models(models)
    netlist = chip_netlist(chip)
    instances = dict(netlist["instances"])
    for name, phases in (cores or {}).items():
        if name not in instances:
            raise ValueError(f"cores: {name!r} is not an instance of this chip; its cores are "
                             f"{sorted(k for k, v in instances.items() if v['component'] in ('weight_bank', 'clements_mesh'))}")
        inst = instances[name]
        base = models[inst["component"]]
        geometry = dict(inst.get("settings") or {})

        def bound(*, wl=1.55, _base=base, _fixed=(geometry, phases)):
            return _base(wl=wl, **_fixed[0], **_fixed[1])

        key = f"{inst['component']}__{name}"
        models[key] = bound
        instances[name] = {"component": key, "settings": {}}
    netlist["instances"] = instances
    import inspect

    if "strict_settings" in inspect.signature(circuit).parameters:  # layout-only settings (npoints ...) are fine here
        return circuit(netlist, models, strict_settings=False, where="chip")
    return circuit(netlist, models)


def _adjacency(netlist) -> dict[str, str]:
    adj = {}
    for a, b in (netlist.get("connections") or {}).items():
        adj[a], adj[b] = b, a
    for net in netlist.get("nets") or []:
        adj[net["p1"]], adj[net["p2"]] = net["p2"], net["p1"]
    return adj


def io_paths(chip, wl, models=None) -> dict[str, tuple[str, object]]:
    """For each fibre port on the core: ``(core port, amplitude)`` of the I/O path between them at ``wl`` (µm).

    The amplitude is the product, along the chain the extracted netlist connects, of
    the grating coupler's fibre -> waveguide transmission and every routing
    waveguide's and bend's transmission, each from its own model and drawn settings.
    """
    models = layout_models(models)
    netlist = chip.get_netlist()
    adj = _adjacency(netlist)
    instances = netlist["instances"]
    core_names = {k for k, v in instances.items() if v["component"] in ("weight_bank", "clements_mesh")}
    out = {}
    for fibre, gc in chip.info["fibre_ports"].items():
        inst = instances[gc]
        s = models[inst["component"]](wl=wl, **settings_of(inst))
        amp = s[("o2", "o1")]
        ref = adj.get(f"{gc},o1")
        while ref is not None:
            name, port = ref.split(",", 1)
            if name in core_names:
                out[fibre] = (port, amp)
                break
            inst = instances[name]
            model = models[inst["component"]]
            settings = {k: v for k, v in settings_of(inst).items()}
            ports = model_ports(model, settings)
            other = [p for p in ports if p != port]
            if len(other) != 1:
                raise RuntimeError(f"io_paths: {name} ({inst['component']}) on the path of {fibre} is not a two-port")
            amp = amp * model(wl=wl, **{k: v for k, v in settings.items() if k in _params(model)})[(port, other[0])]
            ref = adj.get(f"{name},{other[0]}")
    return out


def _params(model):
    import inspect

    return set(inspect.signature(model).parameters)


#: The largest mesh chip whose heater traces fit between its columns at the default output gap (N = 10 and up
#: run out of routing room; measured), and the bank chip limits (64 x 4 rings take ~5 s to build; time grows with rings).
MESH_CHIP_MAX = 9
BANK_CHIP_MAX = 64
BANK_CHIP_MAX_RINGS = 1024


def write_chip(kind: str, path, *, size: str | None = None):
    """Build ``kind`` ('bank' with ``size`` 'CHANNELSxROWS', default 8x4; 'mesh' with ``size`` 'N', default 8)
    and write its GDS to ``path``; returns the path. Sizes and the path are checked before anything is built."""
    from pathlib import Path

    path = Path(path)
    if path.suffix.lower() not in (".gds", ".oas"):
        raise ValueError(f"-o {str(path)!r}: write the chip as .gds or .oas")
    if kind == "bank":
        text = size or "8x4"
        parts = text.lower().split("x")
        if len(parts) != 2 or not all(p.strip().isdigit() and 1 <= int(p) <= BANK_CHIP_MAX for p in parts) \
                or int(parts[0]) * int(parts[1]) > BANK_CHIP_MAX_RINGS:
            raise ValueError(f"--size {text!r}: a bank chip is CHANNELSxROWS, each in [1, {BANK_CHIP_MAX}] and at most "
                             f"{BANK_CHIP_MAX_RINGS} rings in all, e.g. 8x4")
        chip = bank_chip(int(parts[0]), int(parts[1]))
    elif kind == "mesh":
        text = size or "8"
        if not text.strip().isdigit() or not 2 <= int(text) <= MESH_CHIP_MAX:
            raise ValueError(f"--size {text!r}: a mesh chip takes its mode count N in [2, {MESH_CHIP_MAX}] (the pads' "
                             "routing fits no more), e.g. 8")
        chip = mesh_chip(int(text))
    else:
        raise ValueError(f"chip kind {kind!r} is not known; use 'bank' or 'mesh'")
    path.parent.mkdir(parents=True, exist_ok=True)
    chip.write_gds(path)
    return path
