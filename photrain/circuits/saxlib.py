"""sax for photrain's circuit solves, imported when a circuit is first solved, swept or exported.

``import sax`` takes ~2.5 s (scikit-rf, sympy, pandas, xarray, klujax): photrain's cores import
:mod:`photrain.circuits` for its structured solvers (pure JAX), so an eager ``import sax`` here made every process
that trains on a core pay for a library it never called. :func:`sax_module` imports it on first use and sets sax's port
naming to gdsfactory's ``o1, o2, ...`` (``sax.set_port_naming_strategy("optical")``), which photrain's netlists use.
Importing sax switches nothing in JAX: photrain's guard on klujax (:mod:`photrain._platform`) keeps x64 as it was.
"""

from __future__ import annotations

import functools


@functools.cache
def sax_module():
    """The ``sax`` module, imported once, with the optical port naming set."""
    import sax as module

    module.set_port_naming_strategy("optical")
    return module
