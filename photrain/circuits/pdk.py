"""gdsfactory PDK activation (once per process)."""

from __future__ import annotations

import functools


@functools.cache
def activate_pdk():
    """Activate gdsfactory's generic PDK (needed before building cells) and return it."""
    import gdsfactory as gf

    from photrain.circuits.touchstone import touchstone_cell

    gf.gpdk.PDK.activate()
    pdk = gf.get_active_pdk()
    pdk.register_cells(touchstone=gf.cell(touchstone_cell))  # black box of a .sNp file (component: touchstone)
    from photrain.circuits.cells import PDK_CELLS

    pdk.register_cells(**PDK_CELLS)  # photrain's core cells, so a circuit YAML can say component: weight_bank
    return pdk
