"""Drawn geometry that photrain's mesh cells and their models share: the layout grid, 50:50 coupler lengths,
and path lengths through gdsfactory's ``coupler`` as it is drawn.

Importing this module needs no gdsfactory; :func:`coupler_path_length` draws a coupler (cached).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from photrain.layout.gpdk import generic_pdk
from photrain.models import couplers

GRID = 0.001  # µm: gdsfactory's database unit; geometry settings are snapped to it


def half_coupling_length(gap: float) -> float:
    """Straight coupling length (µm, on the layout grid) for a 50:50 directional coupler at ``gap`` (coupled-mode model)."""
    kappa = couplers.KAPPA0 * np.exp(-gap / couplers.GAP_DECAY)
    return float(np.round(np.pi / 4 / kappa / GRID) * GRID)


@lru_cache(maxsize=64)
def coupler_path_length(gap: float, length: float, pitch: float, dx: float) -> float:
    """Length (µm) of one waveguide through gdsfactory's ``coupler`` (two S-bends + the straight), as drawn."""
    import gdsfactory as gf

    generic_pdk()
    return float(gf.components.coupler(gap=gap, length=length, dy=pitch, dx=dx).info["path_length"])


def mzi_defaults(gap, coupler_length):
    """(gap, coupler length) of a mesh MZI; a coupler length of None is the 50:50 one (:func:`half_coupling_length`)."""
    return gap, half_coupling_length(gap) if coupler_length is None else coupler_length


def mesh_column_length(*, gap: float = 0.2, coupler_length: float | None = None, heater_length: float = 50.0,
                       pitch: float = 15.0, dx: float = 20.0) -> float:
    """Optical path length (µm) of every mode through one mesh column: 2 heater sections + 2 coupler paths."""
    gap, coupler_length = mzi_defaults(gap, coupler_length)
    return 2 * heater_length + 2 * coupler_path_length(float(gap), float(coupler_length), float(pitch), float(dx))
