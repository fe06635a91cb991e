"""Circuits: netlists (dicts of photrain's models) solved with sax or structured solvers, the model registry,
wavelength sweeps and Touchstone files. Layouts (gdsfactory cells, circuit YAML files that build one, chips,
DRC, pictures) are :mod:`photrain.layout`, which imports this package and is never imported by it.

sax itself is imported on the first solve (:mod:`photrain.circuits.saxlib`), not with this package: the cores
import it for the structured solvers, which are pure JAX."""

import importlib
import warnings

from photrain.circuits.netlist import circuit, model_ports, validate_netlist
from photrain.circuits.registry import REGISTRY, check_known, get_models
from photrain.circuits.sweep import plot_sweep, sweep

#: names that moved to photrain.layout (issue 24): name -> (module, attribute; None for the module itself).
#: Deprecated for one release; import them from photrain.layout.
_MOVED = {
    "build_component": ("photrain.layout", "build_component"),
    "component_circuit": ("photrain.layout", "component_circuit"),
    "load_circuit": ("photrain.layout", "load_circuit"),
    "load_yaml": ("photrain.layout", "load_yaml"),
    "optical_netlist": ("photrain.layout", "optical_netlist"),
    "write_gds": ("photrain.layout", "write_gds"),
    "run_drc": ("photrain.layout", "run_drc"),
    "render_png": ("photrain.layout", "render_png"),
    "cells": ("photrain.layout.cells", None),
    "chip": ("photrain.layout.chip", None),
    "drc": ("photrain.layout.drc", None),
    "heater_layout": ("photrain.layout.heater_layout", None),
    "pdk": ("photrain.layout.pdk", None),
    "render": ("photrain.layout.render", None),
}


def __getattr__(name: str):
    """The deprecated names of :data:`_MOVED`, imported lazily from photrain.layout with a DeprecationWarning.

    This lazy import is the only reference from photrain.circuits to photrain.layout that is allowed
    (DESIGN.md: circuits never imports layout); it goes when the deprecation does.
    """
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = _MOVED[name]
    new = f"import {module}" if attr is None else f"from {module} import {attr}"
    warnings.warn(f"photrain.circuits.{name} moved to photrain.layout; use `{new}`", DeprecationWarning, stacklevel=2)
    import photrain.layout  # noqa: F401 - the one allowed circuits -> layout import: lazy, for this deprecation only

    found = importlib.import_module(module)
    return found if attr is None else getattr(found, attr)


__all__ = [
    "REGISTRY",
    "check_known",
    "circuit",
    "get_models",
    "model_ports",
    "plot_sweep",
    "sweep",
    "validate_netlist",
]
