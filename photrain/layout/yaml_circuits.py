"""Circuits from ``.pic.yml`` files: one YAML builds both the gdsfactory layout and the simulation.

The file is gdsfactory's YAML format (instances / placements / connections /
routes / ports). It is read with ``yaml.safe_load`` (no code execution), its
component names are checked against both gdsfactory's PDK and photrain's
model registry, then gdsfactory builds the layout and the netlist extracted
from that layout is simulated through the registry.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from photrain.atomic_file import atomic_path
from photrain.circuits.netlist import validate_netlist
from photrain.circuits.registry import check_known, resolve_paths
from photrain.circuits.safe_yaml import load_bounded
from photrain.circuits.spec_checks import GDS_LIMIT_UM, MAX_INSTANCES, check_spec
from photrain.layout.cell_models import layout_models
from photrain.layout.extract import extracted_circuit, first_line, optical_netlist
from photrain.layout.pdk import activate_pdk

_counter = itertools.count()


def load_yaml(source: str | Path | Mapping, *, max_instances: int = MAX_INSTANCES) -> dict[str, Any]:
    """Read a circuit YAML file (safely, within a node budget) into a dict and check its structure.

    A dict passes through (copied) and is checked the same way. Raises
    ValueError (naming the file, line, instance or key) for alias bombs,
    aliases in settings, duplicate keys, malformed entries, unknown settings,
    non-physical numbers, and more than ``max_instances`` instances;
    FileNotFoundError when the file is missing.
    """
    if isinstance(source, Mapping):
        spec, where = dict(source), "circuit"
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"circuit file {str(path)!r} does not exist; the shipped circuits are in circuits/*.pic.yml")
        spec, where = load_bounded(path), str(path)
    check_spec(spec, where=where, cells=activate_pdk().cells, max_instances=max_instances)
    return spec if isinstance(source, Mapping) else resolve_paths(spec, Path(source).parent)


def check_components(spec: Mapping, models: Mapping[str, Callable] | None = None, *, where: str = "circuit") -> None:
    """Raise KeyError listing every component name that gdsfactory or photrain does not know."""
    pdk = activate_pdk()
    names = []
    for inst in (spec.get("instances") or {}).values():
        names.append(inst if isinstance(inst, str) else inst.get("component"))
    check_known(names, {n: None for n in pdk.cells}, where=f"{where} (gdsfactory cells)")
    check_known(names, layout_models(models), where=f"{where} (photrain models)")


def build_component(source: str | Path | Mapping, models: Mapping[str, Callable] | None = None, *,
                    max_instances: int = MAX_INSTANCES):
    """Build the gdsfactory layout of a circuit YAML file or dict (validated first)."""
    import gdsfactory as gf

    where = str(source) if not isinstance(source, Mapping) else "circuit"
    spec = load_yaml(source, max_instances=max_instances)
    check_components(spec, models, where=where)
    spec = dict(spec)
    # A unique cell name per build: gdsfactory caches cells by name.
    spec["name"] = f"{spec.get('name') or 'circuit'}_{next(_counter)}"
    try:
        component = gf.read.from_yaml(spec)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, AssertionError, ArithmeticError) as err:
        raise ValueError(f"{where}: gdsfactory cannot build this layout: {first_line(err)}") from err
    info = spec.get("info")
    if isinstance(info, Mapping) and info.get("open_ports"):  # gdsfactory does not carry a YAML's info over
        component.info["open_ports"] = [str(p) for p in info["open_ports"]]
    return component


def component_circuit(component, models: Mapping[str, Callable] | None = None, *, where: str = "layout"):
    """The sax circuit function of a gdsfactory component's extracted netlist (optical ports)."""
    return extracted_circuit(component, layout_models(models), where=where)


def load_circuit(source: str | Path | Mapping, models: Mapping[str, Callable] | None = None, *,
                 max_instances: int = MAX_INSTANCES):
    """Build a circuit YAML's layout and simulation: returns ``(component, circuit_fn)``."""
    component = build_component(source, models, max_instances=max_instances)
    where = str(source) if isinstance(source, str | Path) else "circuit"
    return component, component_circuit(component, models, where=where)


def write_gds(source, path: str | Path, models: Mapping[str, Callable] | None = None, *,
              max_instances: int = MAX_INSTANCES) -> Path:
    """Build a circuit YAML's layout, validate it as ``simulate`` would, and write it as GDS to ``path``.

    Nothing is written unless the circuit passes the same checks as a
    simulation (the extracted optical netlist: dangling and doubly used ports)
    and its bounding box fits the GDS database range; the file appears
    atomically (written to a unique temporary name, then renamed). ``path``
    must end in .gds or .oas and must not be the input file.
    """
    path = Path(path)
    if path.suffix.lower() not in (".gds", ".oas"):
        raise ValueError(f"output {str(path)!r} must end in .gds (or .oas)")
    if not hasattr(source, "write_gds") and not isinstance(source, Mapping) and _same_file(source, path):
        raise ValueError(f"output {str(path)!r} is the input circuit file; choose another output path")
    where = str(source) if isinstance(source, str | Path) else "circuit"
    component = source if hasattr(source, "write_gds") else build_component(source, models, max_instances=max_instances)
    validate_netlist(optical_netlist(component, where=where), layout_models(models), where=where, strict_settings=False)
    check_extent(component, where=where)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        component.write_gds(tmp)
    return path


def _same_file(a, b) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve() or (Path(b).exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_extent(component, *, where: str) -> None:
    """The built layout's bounding box is finite, non-empty and inside the GDS database range."""
    box = component.dbbox()
    coords = (box.left, box.bottom, box.right, box.top)
    if not all(math.isfinite(c) for c in coords):
        raise ValueError(f"{where}: the layout's bounding box is not finite; check the settings and placements")
    if box.empty() or (box.width() <= 0 and box.height() <= 0):
        raise ValueError(f"{where}: the layout is empty (zero area); check the instances' settings")
    if max(abs(c) for c in coords) >= GDS_LIMIT_UM:
        raise ValueError(f"{where}: the layout reaches {max(abs(c) for c in coords):.4g} µm, beyond the GDS range "
                         f"(|x| < {GDS_LIMIT_UM:.4g} µm); check placements and lengths (µm, not nm)")
