"""The model registry: names used in netlists -> model functions.

Filled here, once, from its three sources: photrain's own models (``mzi2x2``,
``ring_add_drop``, ``phase_shifter_thermal`` ...) under their own names;
gdsfactory's generic cell names (``straight``, ``bend_euler``, ``coupler_ring``,
``ring_double``, ``mzi`` ...) mapped to adapters that read gdsfactory settings
(:mod:`photrain.circuits.gf_models`); and Touchstone files. The models of
photrain's own layout cells (``weight_bank``, ``clements_mesh`` ...) are the
layout's: :func:`photrain.layout.cell_models.layout_models` is this registry
plus them, what a layout's extracted netlist is simulated with.

``touchstone`` (:mod:`photrain.circuits.touchstone`) reads its S-parameters from the
file named in the instance's ``settings: {path: ...}``; :func:`bind_instances` gives
each such instance its own model before sax solves the netlist.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from photrain.circuits.gf_models import GF_MODELS
from photrain.circuits.touchstone import bind_touchstone, touchstone
from photrain.models import SMODELS

REGISTRY: dict[str, Callable] = {**SMODELS, **GF_MODELS, "touchstone": touchstone}

#: components whose model is built per instance from its settings (a file): name -> binder(settings) -> model
INSTANCE_MODELS: dict[str, Callable[[Mapping], Callable]] = {"touchstone": bind_touchstone}

#: settings that name files, per component: relative paths in a circuit YAML are taken from the YAML's folder
PATH_SETTINGS: dict[str, tuple[str, ...]] = {"touchstone": ("path",)}


def get_models(extra: Mapping[str, Callable] | None = None) -> dict[str, Callable]:
    """The registry, optionally extended/overridden by ``extra`` models."""
    return {**REGISTRY, **(extra or {})}


def check_known(names: Iterable[str], models: Mapping[str, Callable], *, where: str = "netlist") -> None:
    """Raise KeyError listing *every* unknown component name with suggestions and the fix."""
    unknown = sorted({n for n in names if n not in models})
    if not unknown:
        return
    hints = []
    for n in unknown[:10]:
        close = difflib.get_close_matches(str(n), list(models), n=3)
        hints.append(f"{n!r}" + (f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""))
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    raise KeyError(
        f"unknown component(s) in {where}: {', '.join(hints)}{more}. "
        f"Known models: {len(models)} names (list them with sorted(photrain.circuits.REGISTRY)). "
        "Fix the name, or pass models={'name': function} to register your own."
    )


def bind_instances(netlist: Mapping, models: Mapping[str, Callable]) -> tuple[dict, dict[str, Callable]]:
    """Give every instance of an :data:`INSTANCE_MODELS` component its own model (returns new netlist, models).

    The instance's settings are consumed by its binder (e.g. the Touchstone file's
    path); the netlist then names ``<component>__<instance>`` with no settings.
    """
    instances = dict(netlist.get("instances") or {})
    models = dict(models)
    for name, inst in instances.items():
        comp = inst.get("component") if isinstance(inst, Mapping) else inst
        if comp in INSTANCE_MODELS and models.get(comp) is REGISTRY.get(comp):
            settings = dict(inst.get("settings") or {}) if isinstance(inst, Mapping) else {}
            key = f"{comp}__{name}"
            models[key] = INSTANCE_MODELS[comp](settings)
            instances[name] = {**(inst if isinstance(inst, Mapping) else {}), "component": key, "settings": {}}
    return {**netlist, "instances": instances}, models


def resolve_paths(spec: Mapping, base: str | Path) -> dict:
    """A circuit spec whose file settings (:data:`PATH_SETTINGS`) that are relative are made relative to ``base``."""
    instances = dict(spec.get("instances") or {})
    for name, inst in instances.items():
        if not isinstance(inst, Mapping) or inst.get("component") not in PATH_SETTINGS:
            continue
        settings = dict(inst.get("settings") or {})
        for key in PATH_SETTINGS[inst["component"]]:
            value = settings.get(key)
            if isinstance(value, str) and value and not Path(value).is_absolute():
                settings[key] = str(Path(base) / value)
        instances[name] = {**inst, "settings": settings}
    return {**spec, "instances": instances}
