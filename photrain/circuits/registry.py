"""The model registry: names used in netlists -> model functions.

One dictionary serves both worlds: gdsfactory cell names (``straight``,
``bend_euler``, ``coupler_ring``, ``ring_double``, ``mzi`` ...) map to adapters
that read gdsfactory settings, so ``sax.circuit(component.get_netlist(),
models=REGISTRY)`` simulates a layout; photrain's own models (``mzi2x2``,
``ring_add_drop``, ``phase_shifter_thermal`` ...) are there under their own names.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping

from photrain.circuits.gf_models import GF_MODELS
from photrain.models import SMODELS

REGISTRY: dict[str, Callable] = {**SMODELS, **GF_MODELS}


def get_models(extra: Mapping[str, Callable] | None = None) -> dict[str, Callable]:
    """The registry, optionally extended/overridden by ``extra`` models."""
    return {**REGISTRY, **(extra or {})}


def check_known(names: Iterable[str], models: Mapping[str, Callable], *, where: str = "netlist") -> None:
    """Raise KeyError listing *every* unknown component name with suggestions and the fix."""
    unknown = sorted({n for n in names if n not in models})
    if not unknown:
        return
    hints = []
    for n in unknown:
        close = difflib.get_close_matches(n, list(models), n=2)
        hints.append(f"{n!r}" + (f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""))
    raise KeyError(
        f"unknown component(s) in {where}: {', '.join(hints)}. "
        f"Known models: {', '.join(sorted(models))}. "
        "Fix the name, or pass models={'name': function} to register your own."
    )
