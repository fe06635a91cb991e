"""Netlists: validation, and solving them with sax.

A netlist is sax's dict format::

    {"instances": {"name": {"component": "ring_add_drop", "settings": {...}}},
     "connections": {"a,o2": "b,o1"},          # or gdsfactory's "nets": [{"p1":..,"p2":..}]
     "ports": {"in": "a,o1"}}

``validate_netlist`` catches unknown components (all of them at once), ports
that do not exist on the instance's model (dangling references), ports used
twice, and malformed entries, before sax ever sees the netlist.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from photrain._platform import scoped_x64
from photrain.circuits.registry import bind_instances, check_known, get_models
from photrain.circuits.saxlib import sax_module
from photrain.circuits.spec_checks import MAX_INSTANCES, check_settings, parameters


def _component_name(inst: Any) -> str:
    if isinstance(inst, str):
        return inst
    if isinstance(inst, Mapping) and "component" in inst:
        comp = inst["component"]
        return comp if isinstance(comp, str) else str(comp)
    raise ValueError(f"instance entry {inst!r} must be a component name or a dict with a 'component' key")


def settings_of(inst: Any) -> dict:
    """An instance entry's settings (empty for a bare component name)."""
    return dict(inst.get("settings") or {}) if isinstance(inst, Mapping) else {}


def _connection_pairs(netlist: Mapping) -> list[tuple[str, str]]:
    connections = netlist.get("connections") or {}
    if not isinstance(connections, Mapping):
        raise ValueError("'connections' must be a mapping {'inst,port': 'inst,port'}")
    pairs = [(str(a), str(b)) for a, b in connections.items()]
    nets = netlist.get("nets") or []
    if not isinstance(nets, list | tuple):
        raise ValueError("'nets' must be a list of {'p1': 'inst,port', 'p2': 'inst,port'}")
    for net in nets:
        if not isinstance(net, Mapping) or "p1" not in net or "p2" not in net:
            raise ValueError(f"each net must be {{'p1': 'inst,port', 'p2': 'inst,port'}}; got {net!r}")
        pairs.append((str(net["p1"]), str(net["p2"])))
    return pairs


def _split(ref: str, what: str) -> tuple[str, str]:
    if not isinstance(ref, str) or "," not in ref:
        raise ValueError(f"{what} {ref!r} must be 'instance,port' (e.g. 'ring1,o2')")
    inst, port = ref.split(",", 1)
    return inst.strip(), port.strip()


def model_ports(model: Callable, settings: Mapping | None = None) -> tuple[str, ...]:
    """Port names of ``model`` evaluated once at 1.55 µm with the applicable ``settings``."""
    params = inspect.signature(model).parameters
    kw = {k: v for k, v in (settings or {}).items() if k in params and k != "wl"}
    if callable(getattr(model, "ports", None)):  # models that know their ports without a solve (Touchstone files)
        return tuple(model.ports(**kw))
    return tuple(sax_module().get_ports(model(wl=1.55, **kw)))


def validate_netlist(netlist: Mapping, models: Mapping[str, Callable] | None = None, *, where: str = "netlist",
                     max_instances: int = MAX_INSTANCES, strict_settings: bool = True) -> None:
    """Check a netlist against ``models``; raise KeyError/ValueError naming every culprit.

    Besides ports (dangling, doubly used, missing instances), each instance's
    settings are checked against its model's keyword parameters (unknown keys
    with the nearest names, non-numbers, NaN/inf, non-positive dimensions) when
    ``strict_settings`` (netlists extracted from gdsfactory carry the cell's
    layout-only settings and pass False), and more than ``max_instances``
    instances are refused.
    """
    models = get_models(models)
    if not isinstance(netlist, Mapping) or not isinstance(netlist.get("instances"), Mapping):
        raise ValueError(f"{where}: a netlist is a dict with 'instances' (a dict), 'connections' (or 'nets') and 'ports'")
    instances = netlist["instances"]
    if not instances:
        raise ValueError(f"{where}: 'instances' is empty; add at least one, e.g. {{'wg': 'straight'}}")
    if len(instances) > max_instances:
        raise ValueError(f"{where}: {len(instances)} instances exceed the cap of {max_instances}; "
                         f"pass max_instances={len(instances)} if you mean it")
    check_known((_component_name(i) for i in instances.values()), models, where=where)
    ports_of = {}
    for name, inst in instances.items():
        comp = _component_name(inst)
        if isinstance(inst, Mapping) and inst.get("settings") is not None and not isinstance(inst["settings"], Mapping):
            raise ValueError(f"{where}: instance {name!r} ({comp}): 'settings' must be a dict of name: value")
        if strict_settings:
            check_settings(settings_of(inst), parameters(models[comp]), what=f"{where}: instance {name!r} ({comp})",
                           zero_size=True)
        try:
            ports_of[name] = set(model_ports(models[comp], settings_of(inst)))
        except (ValueError, TypeError) as err:
            raise ValueError(f"{where}: instance {name!r} ({comp}): {err}") from err

    used: dict[str, str] = {}
    problems: list[str] = []

    def use(ref: str, role: str) -> None:
        inst, port = _split(ref, role)
        if inst not in ports_of:
            problems.append(f"{role} {ref!r} names instance {inst!r}, which is not in 'instances'")
        elif port not in ports_of[inst]:
            problems.append(
                f"{role} {ref!r}: instance {inst!r} ({_component_name(instances[inst])}) has no port {port!r}; "
                f"its ports are {sorted(ports_of[inst])}"
            )
        key = f"{inst},{port}"
        if key in used:
            problems.append(f"port {key!r} is connected twice ({used[key]} and {role}); each port takes one link")
        used[key] = role

    for a, b in _connection_pairs(netlist):
        use(a, f"connection {a}<->{b}")
        use(b, f"connection {a}<->{b}")
    ports = netlist.get("ports") or {}
    if not isinstance(ports, Mapping):
        raise ValueError(f"{where}: 'ports' must be a dict {{'o1': 'inst,port'}}")
    for name, ref in ports.items():
        use(ref, f"external port {name!r} ->")
    if not netlist.get("ports"):
        problems.append("the netlist exposes no 'ports'; map at least one external port, e.g. {'o1': 'inst,o1'}")
    if problems:
        raise ValueError(f"invalid {where}:\n  - " + "\n  - ".join(problems))


def circuit(netlist: Mapping, models: Mapping[str, Callable] | None = None, *, backend: str = "klu",
            strict_settings: bool = True, where: str = "netlist"):
    """Validate ``netlist`` and build its sax circuit function ``f(*, wl, **instance_settings) -> SDict``.

    ``models`` extends/overrides the registry. The default ``klu`` backend is
    sax's sparse solver (correct for any topology). The function solves in float64 (complex128 S-parameters,
    klujax's only precision) under a scoped ``jax.enable_x64``; the process's x64 setting is left alone. Inside the
    caller's ``jax.jit``/``jax.grad``/``jax.vmap`` with x64 off it returns complex64 and differentiates in reverse
    mode through a float64 backward pass (:func:`photrain._platform.scoped_x64`).
    """
    validate_netlist(netlist, models, strict_settings=strict_settings, where=where)
    netlist, bound = bind_instances(netlist, get_models(models))
    func, _ = sax_module().circuit(dict(netlist), models=bound, backend=backend)
    return scoped_x64(func)
