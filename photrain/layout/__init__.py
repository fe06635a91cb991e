"""Layout: what :mod:`photrain.circuits` simulates, drawn with gdsfactory.

Cells of the devices and cores (:mod:`photrain.layout.cells`) with their models
(:mod:`photrain.layout.cell_models`), the PDK (:mod:`photrain.layout.pdk`), circuit
YAML files that build a layout and simulate its extracted netlist
(:mod:`photrain.layout.yaml_circuits`), routed chips (:mod:`photrain.layout.chip`),
DRC with its deck (:mod:`photrain.layout.drc`), pictures (:mod:`photrain.layout.render`)
and the drawn heaters' figures the controller prices (:mod:`photrain.layout.heater_layout`).

Layout imports circuits and models; circuits never imports layout. Importing this
package needs no gdsfactory (the cells and chips import it when used).
"""

from photrain.layout.drc import run_drc
from photrain.layout.extract import optical_netlist
from photrain.layout.pdk import activate_pdk
from photrain.layout.render import render_png
from photrain.layout.yaml_circuits import (
    build_component,
    component_circuit,
    load_circuit,
    load_yaml,
    write_gds,
)

__all__ = [
    "activate_pdk",
    "build_component",
    "component_circuit",
    "load_circuit",
    "load_yaml",
    "optical_netlist",
    "render_png",
    "run_drc",
    "write_gds",
]
