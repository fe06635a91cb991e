"""gdsfactory's generic PDK, activated once per process: what photrain's cells are drawn in.

:func:`photrain.layout.pdk.activate_pdk` adds photrain's own cells to it for circuit YAML files;
the cells themselves need only this (so they do not import the module that registers them).
"""

from __future__ import annotations

import functools


@functools.cache
def generic_pdk():
    """Activate gdsfactory's generic PDK (needed before drawing) and return it."""
    import gdsfactory as gf

    gf.gpdk.PDK.activate()
    return gf.get_active_pdk()
