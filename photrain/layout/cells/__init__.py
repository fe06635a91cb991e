"""gdsfactory cells of photrain's devices (:mod:`~photrain.layout.cells.devices`) and tensor cores
(:mod:`~photrain.layout.cells.cores`).

:data:`PDK_CELLS` are registered in gdsfactory's PDK by :func:`photrain.layout.pdk.activate_pdk`,
so circuit YAML files can name them; their models are :mod:`photrain.layout.cell_models`.
"""

from photrain.layout.cells.cores import (
    bank_detuning_at_channels,
    bank_instance_settings,
    clements_grid,
    clements_mesh,
    mesh_column_x,
    mesh_instance_settings,
    weight_bank,
    weight_bank_geometry,
)
from photrain.layout.cells.devices import (
    CONTACT,
    CONTACT_CLEARANCE,
    HEATER_MARGIN,
    HEATER_WIDTH,
    bank_ring,
    heater_straight,
    mesh_bypass,
    mesh_mzi,
    touchstone_cell,
)

#: photrain's cells by the name a circuit YAML uses (``component: weight_bank``).
PDK_CELLS = {
    "bank_ring": bank_ring,
    "heater_straight": heater_straight,
    "weight_bank": weight_bank,
    "mesh_mzi": mesh_mzi,
    "mesh_bypass": mesh_bypass,
    "clements_mesh": clements_mesh,
}

__all__ = [
    "CONTACT",
    "CONTACT_CLEARANCE",
    "HEATER_MARGIN",
    "HEATER_WIDTH",
    "PDK_CELLS",
    "bank_detuning_at_channels",
    "bank_instance_settings",
    "bank_ring",
    "clements_grid",
    "clements_mesh",
    "heater_straight",
    "mesh_bypass",
    "mesh_column_x",
    "mesh_instance_settings",
    "mesh_mzi",
    "touchstone_cell",
    "weight_bank",
    "weight_bank_geometry",
]
