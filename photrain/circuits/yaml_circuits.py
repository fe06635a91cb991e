"""Circuits from ``.pic.yml`` files: one YAML builds both the gdsfactory layout and the simulation.

The file is gdsfactory's YAML format (instances / placements / connections /
routes / ports). It is read with ``yaml.safe_load`` (no code execution), its
component names are checked against both gdsfactory's PDK and photrain's
model registry, then gdsfactory builds the layout and the netlist extracted
from that layout is simulated through the registry.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from photrain.circuits.netlist import circuit as netlist_circuit
from photrain.circuits.pdk import activate_pdk
from photrain.circuits.registry import check_known, get_models

_counter = itertools.count()


def load_yaml(source: str | Path | Mapping) -> dict[str, Any]:
    """Read a circuit YAML file (safely) into a dict; a dict passes through (copied)."""
    if isinstance(source, Mapping):
        return dict(source)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"circuit file {str(path)!r} does not exist; the shipped circuits are in circuits/*.pic.yml")
    try:
        spec = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({err})") from err
    if not isinstance(spec, dict) or "instances" not in spec:
        raise ValueError(f"{path}: a circuit YAML needs a top-level mapping with 'instances' (and 'ports')")
    return spec


def check_components(spec: Mapping, models: Mapping[str, Callable] | None = None, *, where: str = "circuit") -> None:
    """Raise KeyError listing every component name that gdsfactory or photrain does not know."""
    pdk = activate_pdk()
    names = []
    for inst in (spec.get("instances") or {}).values():
        names.append(inst if isinstance(inst, str) else inst.get("component"))
    check_known(names, {n: None for n in pdk.cells}, where=f"{where} (gdsfactory cells)")
    check_known(names, get_models(models), where=f"{where} (photrain models)")


def build_component(source: str | Path | Mapping, models: Mapping[str, Callable] | None = None):
    """Build the gdsfactory layout of a circuit YAML file or dict (validated first)."""
    import gdsfactory as gf

    spec = load_yaml(source)
    check_components(spec, models, where=str(source) if not isinstance(source, Mapping) else "circuit")
    spec = dict(spec)
    # A unique cell name per build: gdsfactory caches cells by name.
    spec["name"] = f"{spec.get('name', 'circuit')}_{next(_counter)}"
    return gf.read.from_yaml(spec)


def optical_netlist(component) -> dict:
    """``component.get_netlist()`` with only the optical external ports (heater pads have no S-model)."""
    netlist = dict(component.get_netlist())
    optical = {p.name for p in component.ports if p.port_type == "optical"}
    netlist["ports"] = {k: v for k, v in (netlist.get("ports") or {}).items() if k in optical}
    return netlist


def component_circuit(component, models: Mapping[str, Callable] | None = None):
    """The sax circuit function of a gdsfactory component's extracted netlist (optical ports)."""
    return netlist_circuit(optical_netlist(component), models)


def load_circuit(source: str | Path | Mapping, models: Mapping[str, Callable] | None = None):
    """Build a circuit YAML's layout and simulation: returns ``(component, circuit_fn)``."""
    component = build_component(source, models)
    return component, component_circuit(component, models)


def write_gds(source, path: str | Path, models: Mapping[str, Callable] | None = None) -> Path:
    """Build a circuit YAML's layout and write it as GDS to ``path``; returns the path."""
    component = source if hasattr(source, "write_gds") else build_component(source, models)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    component.write_gds(path)
    return path
