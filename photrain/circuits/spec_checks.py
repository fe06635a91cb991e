"""Checks of a circuit YAML's structure and settings before gdsfactory builds or writes it.

``simulate`` and ``layout`` run the same checks (one path: :func:`check_spec`
on the file, then the extracted netlist's validation, then
:func:`photrain.layout.yaml_circuits.check_extent` before a GDS is written), so a file that ``layout`` writes is one that
``simulate`` reads. Each problem raises :class:`ValueError` naming the file,
the instance and the key, and how to fix it.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: Most instances (array elements included) in one circuit; beyond it the build is refused.
MAX_INSTANCES = 2_000
#: GDS stores coordinates as signed 32-bit integers of the 1 nm database unit: |x| < 2^31 nm.
GDS_LIMIT_UM = (2**31 - 1) * 1e-3

TOP_KEYS = ("name", "instances", "placements", "connections", "routes", "ports", "nets", "settings", "info",
            "pdk", "warnings", "schema", "schema_version")
INSTANCE_KEYS = ("component", "settings", "info", "array", "virtual")
PLACEMENT_KEYS = ("x", "y", "xmin", "ymin", "xmax", "ymax", "dx", "dy", "port", "rotation", "mirror")
ARRAY_KEYS = ("columns", "rows", "column_pitch", "row_pitch")
_DIMENSION = re.compile(r"(^|_)(length|width|radius|gap|spacing|pitch|size)(_|$)")


def suggest(name: str, choices: Iterable[str], n: int = 3) -> str:
    """' (did you mean 'a' or 'b'?)' for the ``n`` closest ``choices``, or ''."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=0.6)
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _number_hint(value: Any) -> str:
    """YAML 1.1 reads 1e12 (no dot) as text: say so when a string looks like a number."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return f" (YAML reads {value!r} as text: write numbers with a dot, e.g. 1.0e+12)"
    return ""


def _numeric_param(p: inspect.Parameter) -> bool:
    """Whether a cell/model parameter takes a plain number (from its default, else its annotation)."""
    if _is_number(p.default):
        return True
    ann = p.annotation if isinstance(p.annotation, str) else getattr(p.annotation, "__name__", str(p.annotation))
    return bool(re.fullmatch(r"\s*(float|int)(\s*\|\s*(float|int|None))*\s*", str(ann)))


def parameters(func: Callable) -> dict[str, inspect.Parameter] | None:
    """Keyword parameters of a cell or model; None when it takes ``**kwargs`` (anything goes)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return None
    return {k: p for k, p in params.items() if k != "wl"}


def check_numbers(value: Any, what: str) -> None:
    """Every number inside ``value`` (nested lists/dicts) is finite and inside the GDS range."""
    if _is_number(value):
        if not math.isfinite(value):
            raise ValueError(f"{what} is {value}; give a finite number")
        if abs(value) > GDS_LIMIT_UM:
            raise ValueError(f"{what} = {value:g} µm is beyond the GDS database range (|x| < {GDS_LIMIT_UM:.4g} µm "
                             "at 1 nm resolution); use µm, not nm or m")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            check_numbers(v, f"{what}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            check_numbers(v, f"{what}[{i}]")


def check_settings(settings: Any, params: Mapping[str, inspect.Parameter] | None, *, what: str,
                   zero_size: bool = False) -> None:
    """Unknown keys (with near misses), non-numbers where a number goes, NaN/inf, zero/negative dimensions.

    ``params`` are the cell's or model's keyword parameters (None: accepts any key);
    ``what`` names the instance in messages, e.g. "ring.pic.yml: instance 'r1' (ring_single)".
    ``zero_size``: a zero dimension is fine (a lumped element in a netlist: a zero-length phase
    shifter); a layout cell refuses it unless the cell's own default is zero.
    """
    if settings is None:
        return
    if not isinstance(settings, Mapping):
        raise ValueError(f"{what}: 'settings' must be a mapping of name: value, got {type(settings).__name__}")
    for key, value in settings.items():
        if not isinstance(key, str):
            raise ValueError(f"{what}: setting name {key!r} must be a string")
        if params is not None and key not in params:
            raise ValueError(f"{what}: unknown setting {key!r}{suggest(key, params)}; "
                             f"its settings are {', '.join(sorted(params)) or 'none'}")
        p = params.get(key) if params is not None else None
        if p is not None and _numeric_param(p) and value is not None and not _is_number(value):
            raise ValueError(f"{what}: setting {key!r} must be a number, got {value!r} "
                             f"({type(value).__name__}){_number_hint(value)}")
        check_numbers(value, f"{what}: setting {key!r}")
        if _is_number(value) and _DIMENSION.search(key):
            default = p.default if p is not None and _is_number(p.default) else None
            if value < 0 or (value == 0 and not zero_size and (default is None or default > 0)):
                raise ValueError(f"{what}: setting {key!r} = {value} µm is not a physical dimension; give a size > 0 µm")


def _ref(ref: Any, what: str, instances: Mapping) -> tuple[str, str]:
    if not isinstance(ref, str) or "," not in ref:
        raise ValueError(f"{what}: {ref!r} must be 'instance,port', e.g. 'ring1,o2'")
    inst, port = (s.strip() for s in ref.split(",", 1))
    if inst not in instances:
        raise ValueError(f"{what}: {ref!r} names instance {inst!r}, which is not in 'instances'{suggest(inst, instances)}")
    return inst, port


def _mapping(spec: Mapping, key: str, where: str) -> Mapping:
    value = spec.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: '{key}' must be a mapping (name: value), got {type(value).__name__}")
    return value


def instance_count(spec: Mapping) -> int:
    """Instances of a spec, array elements counted one by one (0 for malformed arrays: checked elsewhere)."""
    total = 0
    for inst in (spec.get("instances") or {}).values():
        array = inst.get("array") if isinstance(inst, Mapping) else None
        if isinstance(array, Mapping):
            cols, rows = array.get("columns", 1), array.get("rows", 1)
            total += cols * rows if isinstance(cols, int) and isinstance(rows, int) and cols > 0 and rows > 0 else 1
        else:
            total += 1
    return total


def check_spec(spec: Any, *, where: str, cells: Mapping[str, Callable] | None = None,
               max_instances: int = MAX_INSTANCES) -> None:
    """Structure of a circuit YAML (as loaded) before gdsfactory sees it.

    Checks the top-level keys, the instance count against ``max_instances``,
    each instance (component name, settings against ``cells[component]``'s
    signature when given), placements (finite, inside the GDS range), and that
    every 'instance,port' in connections, routes, nets and ports names a
    declared instance and is used once.
    """
    if not isinstance(spec, Mapping) or "instances" not in spec:
        raise ValueError(f"{where}: a circuit YAML needs a top-level mapping with 'instances' (and 'ports')")
    for key in spec:
        if key not in TOP_KEYS:
            raise ValueError(f"{where}: unknown top-level key {key!r}{suggest(str(key), TOP_KEYS)}; "
                             f"allowed: {', '.join(TOP_KEYS)}")
    if spec.get("name") is not None and not isinstance(spec["name"], str):
        raise ValueError(f"{where}: 'name' must be a string")
    instances = _mapping(spec, "instances", where)
    if not instances:
        raise ValueError(f"{where}: 'instances' is empty; declare at least one, e.g. 'wg: {{component: straight}}'")
    n = instance_count(spec)
    if n > max_instances:
        raise ValueError(f"{where}: {n} instances exceed the cap of {max_instances} (building takes minutes and GBs); "
                         f"raise it with --max-instances {n} (API: max_instances={n}) if you mean it")
    for name, inst in instances.items():
        if not isinstance(name, str) or not name or "," in name:
            raise ValueError(f"{where}: instance name {name!r} must be a non-empty string without ','; quote it in YAML")
        what = f"{where}: instance {name!r}"
        if isinstance(inst, str):
            component, body = inst, {}
        elif isinstance(inst, Mapping):
            for key in inst:
                if key not in INSTANCE_KEYS:
                    raise ValueError(f"{what}: unknown key {key!r}{suggest(str(key), INSTANCE_KEYS)}; "
                                     f"allowed: {', '.join(INSTANCE_KEYS)}")
            component, body = inst.get("component"), inst
        else:
            raise ValueError(f"{what} must be a component name or a mapping with 'component', got {inst!r}")
        if not isinstance(component, str) or not component:
            raise ValueError(f"{what}: 'component' must be a component name such as 'straight', got {component!r}")
        params = parameters(cells[component]) if cells is not None and component in cells else None
        check_settings(body.get("settings"), params, what=f"{what} ({component})")
        if body.get("info") is not None and not isinstance(body["info"], Mapping):
            raise ValueError(f"{what}: 'info' must be a mapping")
        if body.get("array") is not None:
            _check_array(body["array"], what)
    for name, place in _mapping(spec, "placements", where).items():
        what = f"{where}: placement of {name!r}"
        if name not in instances:
            raise ValueError(f"{what}: no such instance{suggest(str(name), instances)}")
        if not isinstance(place, Mapping):
            raise ValueError(f"{what} must be a mapping such as {{x: 0, y: 0}}, got {place!r}")
        for key, value in place.items():
            if key not in PLACEMENT_KEYS:
                raise ValueError(f"{what}: unknown key {key!r}{suggest(str(key), PLACEMENT_KEYS)}; "
                                 f"allowed: {', '.join(PLACEMENT_KEYS)}")
            if key in ("dx", "dy", "rotation") and not _is_number(value):
                raise ValueError(f"{what}: {key!r} must be a number, got {value!r}")
            if key in ("x", "y", "xmin", "ymin", "xmax", "ymax") and value is not None:
                if isinstance(value, str) and _number_hint(value):
                    raise ValueError(f"{what}: {key!r} must be a number (µm){_number_hint(value)}")
                if isinstance(value, str):
                    _ref(value, f"{what}: {key!r}", instances)
                elif not _is_number(value):
                    raise ValueError(f"{what}: {key!r} must be a number (µm) or 'instance,port', got {value!r}")
            check_numbers(value, f"{what}: {key!r}")
    used: dict[str, str] = {}

    def use(ref: Any, role: str) -> None:
        inst, port = _ref(ref, f"{where}: {role}", instances)
        key = f"{inst},{port}"
        if key in used:
            raise ValueError(f"{where}: port {key!r} is used twice ({used[key]} and {role}); each port takes one link")
        used[key] = role

    for a, b in _mapping(spec, "connections", where).items():
        use(a, f"connection {a}: {b}")
        use(b, f"connection {a}: {b}")
    for rname, route in _mapping(spec, "routes", where).items():
        if not isinstance(route, Mapping):
            raise ValueError(f"{where}: route {rname!r} must be a mapping with 'links'")
        links = route.get("links") or {}
        if not isinstance(links, Mapping):
            raise ValueError(f"{where}: route {rname!r}: 'links' must be a mapping 'inst,port': 'inst,port'")
        for a, b in links.items():
            use(a, f"route {rname!r} link {a}: {b}")
            use(b, f"route {rname!r} link {a}: {b}")
        check_numbers(route.get("settings"), f"{where}: route {rname!r} settings")
    nets = spec.get("nets") or []
    if not isinstance(nets, list):
        raise ValueError(f"{where}: 'nets' must be a list of {{p1: 'inst,port', p2: 'inst,port'}}")
    for net in nets:
        if not isinstance(net, Mapping) or "p1" not in net or "p2" not in net:
            raise ValueError(f"{where}: each net must be {{p1: 'inst,port', p2: 'inst,port'}}, got {net!r}")
        use(net["p1"], f"net {net['p1']}-{net['p2']}")
        use(net["p2"], f"net {net['p1']}-{net['p2']}")
    ports = _mapping(spec, "ports", where)
    for name, ref in ports.items():
        if not isinstance(name, str):
            raise ValueError(f"{where}: port name {name!r} must be a string such as 'o1'")
        use(ref, f"port {name!r}")


def _check_array(array: Any, what: str) -> None:
    if not isinstance(array, Mapping):
        raise ValueError(f"{what}: 'array' must be a mapping with columns, rows, column_pitch, row_pitch")
    for key, value in array.items():
        if key not in ARRAY_KEYS:
            raise ValueError(f"{what}: unknown array key {key!r}{suggest(str(key), ARRAY_KEYS)}")
        if key in ("columns", "rows") and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise ValueError(f"{what}: array {key} must be an integer >= 1, got {value!r}")
        if key in ("column_pitch", "row_pitch"):
            if not _is_number(value):
                raise ValueError(f"{what}: array {key} must be a number (µm), got {value!r}")
            check_numbers(value, f"{what}: array {key}")
