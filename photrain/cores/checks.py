"""Argument checks shared by the tensor cores (public): each raises ValueError naming the argument and the fix."""

from __future__ import annotations

import jax
import numpy as np


def check_matrix(w, name: str = "w", *, square: bool = False) -> None:
    """``w`` is a non-empty 2-D matrix (square when asked) of finite numbers (values checked unless traced)."""
    shape = np.shape(w)
    if len(shape) != 2:
        raise ValueError(f"{name} must be a 2-D matrix; got shape {shape}")
    if 0 in shape:
        raise ValueError(f"{name} is empty (shape {shape}); give at least a 1 x 1 matrix")
    if square and shape[0] != shape[1]:
        raise ValueError(f"{name} must be square; got shape {shape}")
    if isinstance(w, jax.core.Tracer):
        return
    if not np.all(np.isfinite(np.asarray(w))):
        raise ValueError(f"{name} contains NaN or inf; check what produced it (a diverged training step?)")


def check_finite(**values) -> None:
    """Every keyword value (scalar or array) is finite: ``check_finite(spacing=spacing)``."""
    for name, value in values.items():
        if value is None or isinstance(value, jax.core.Tracer):
            continue
        arr = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must be finite; got {value!r}")
