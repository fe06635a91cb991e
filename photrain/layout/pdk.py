"""The PDK a circuit YAML sees: gdsfactory's generic PDK plus photrain's cells (activated once per process)."""

from __future__ import annotations

import functools

from photrain.layout.gpdk import generic_pdk


@functools.cache
def activate_pdk():
    """Activate gdsfactory's generic PDK (needed before building cells), register photrain's cells, and return it."""
    import gdsfactory as gf

    from photrain.layout.cells import PDK_CELLS, touchstone_cell

    pdk = generic_pdk()
    pdk.register_cells(touchstone=gf.cell(touchstone_cell))  # black box of a .sNp file (component: touchstone)
    pdk.register_cells(**PDK_CELLS)  # photrain's core cells, so a circuit YAML can say component: weight_bank
    return pdk
