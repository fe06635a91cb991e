"""Netlists extracted from gdsfactory layouts: the optical netlist of a component, and its sax circuit.

``component.get_netlist()`` lists the cells a layout places, their settings and
their connections; :func:`optical_netlist` keeps its optical ports (heater pads
have no S-model) and :func:`extracted_circuit` solves it through
:func:`photrain.circuits.circuit` with the models given.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Mapping

from photrain.circuits.netlist import circuit as netlist_circuit


def _get_netlist(component) -> dict:
    """``component.get_netlist()``; gdsfactory's "Unconnected ports" warning leaves out the ports the circuit
    declares open on purpose (YAML ``info: {open_ports: ["ring1,o4", ...]}``, or a cell's ``info["open_ports"]``)."""
    declared = set(component.info.get("open_ports") or [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        netlist = dict(component.get_netlist())
    for w in caught:
        message = str(w.message)
        if declared and message.startswith("Unconnected ports:"):
            rest = [n for n in re.findall(r"'([^']+)'", message) if n not in declared]
            if rest:
                warnings.warn(f"Unconnected ports: {rest} (declare ports left open on purpose in the YAML: "
                              "info: {open_ports: [...]})", UserWarning, stacklevel=3)
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return netlist


def first_line(err: BaseException) -> str:
    """A one-line summary of an exception (pydantic's first error with its location, else the message)."""
    errors = getattr(err, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            loc = ".".join(str(x) for x in first.get("loc", ()))
            return f"{loc}: {first.get('msg')}" if loc else str(first.get("msg"))
        except Exception:  # noqa: BLE001 - fall back to the message
            pass
    text = " ".join(str(err.args[0] if isinstance(err, KeyError) and err.args else err).split())
    return f"{type(err).__name__}: {text}" if not isinstance(err, ValueError) else text


def optical_netlist(component, *, where: str | None = None) -> dict:
    """``component.get_netlist()`` with only the optical external ports (heater pads have no S-model)."""
    try:
        netlist = _get_netlist(component)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError) as err:
        raise ValueError(f"{where or component.name}: gdsfactory cannot extract the netlist: {first_line(err)}; "
                         "check connections, placements and ports") from err
    optical = {p.name for p in component.ports if p.port_type == "optical"}
    netlist["ports"] = {k: v for k, v in (netlist.get("ports") or {}).items() if k in optical}
    return netlist


def extracted_circuit(component, models: Mapping[str, Callable] | None, *, where: str = "layout"):
    """The sax circuit function of a component's extracted optical netlist, through the registry plus ``models``.

    The netlist carries the cells' layout-only settings, so they are not checked against the models' parameters.
    """
    return netlist_circuit(optical_netlist(component, where=where), models, strict_settings=False, where=where)
