"""gdsfactory PDK activation (once per process)."""

from __future__ import annotations

import functools


@functools.cache
def activate_pdk():
    """Activate gdsfactory's generic PDK (needed before building cells) and return it."""
    import gdsfactory as gf

    gf.gpdk.PDK.activate()
    return gf.get_active_pdk()
