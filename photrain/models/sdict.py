"""sax's S-dictionary helpers for the device models, with sax imported when a model is first evaluated.

The models return sax ``SDict``s (``{(port_in, port_out): amplitude}``) made reciprocal by ``sax.reciprocal``.
Importing sax costs ~2.5 s (it imports scikit-rf, sympy, pandas, xarray and klujax), which every process that
imports photrain's cores, controller or ``photrain.nn`` paid even when it trains without evaluating a single
S-parameter model; importing sax here, on the first call, keeps ``import photrain.nn`` at about half that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sax


def reciprocal(sdict: sax.SDict) -> sax.SDict:
    """``sdict`` with every (a, b) entry mirrored to (b, a): ``sax.reciprocal``."""
    import sax

    return sax.reciprocal(sdict)
