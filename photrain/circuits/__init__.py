"""Circuits: netlists (dict, YAML, gdsfactory layouts) solved with sax or structured solvers."""

import sax

from photrain.circuits.drc import run_drc
from photrain.circuits.netlist import circuit, model_ports, validate_netlist
from photrain.circuits.registry import REGISTRY, check_known, get_models
from photrain.circuits.render import render_png
from photrain.circuits.sweep import plot_sweep, sweep
from photrain.circuits.yaml_circuits import (
    build_component,
    component_circuit,
    load_circuit,
    load_yaml,
    optical_netlist,
    write_gds,
)

sax.set_port_naming_strategy("optical")

__all__ = [
    "REGISTRY",
    "build_component",
    "check_known",
    "circuit",
    "component_circuit",
    "get_models",
    "load_circuit",
    "load_yaml",
    "model_ports",
    "optical_netlist",
    "plot_sweep",
    "render_png",
    "run_drc",
    "sweep",
    "validate_netlist",
    "write_gds",
]
