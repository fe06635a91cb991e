"""Input validation shared by the device models (public: circuits and cores use it too).

The checks run on concrete values only: inside ``jax.jit`` the parameters are
tracers and cannot be inspected, so validation is skipped there (validate once,
outside the compiled function, as the circuit builders do).
"""

from __future__ import annotations

import jax
import numpy as np


def _concrete(value) -> np.ndarray | None:
    """Return ``value`` as a NumPy array, or None when it is a JAX tracer."""
    if isinstance(value, jax.core.Tracer):
        return None
    try:
        return np.asarray(value)
    except Exception:  # pragma: no cover - exotic array types
        return None


def check_wavelength(wl) -> None:
    """Raise ValueError unless every wavelength is finite and > 0 (micrometres)."""
    arr = _concrete(wl)
    if arr is None:
        return
    if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr <= 0)):
        bad = arr[~(np.isfinite(arr) & (arr > 0))].ravel()[:3]
        raise ValueError(
            f"wavelength wl must be finite and > 0 micrometres (1.55 = 1550 nm); got {bad.tolist()}"
        )


def check_wavelengths(wl, name: str = "wl") -> None:
    """Raise ValueError naming ``name`` unless ``wl`` is a non-empty set of finite wavelengths in (0, 100) µm.

    For sweep grids and core evaluation points (a model's own ``wl`` goes
    through :func:`check_wavelength`); values >= 100 are taken for nanometres.
    """
    arr = _concrete(wl)
    if arr is None:
        return
    if arr.size == 0:
        raise ValueError(f"{name} is empty; give at least one wavelength in µm, e.g. {name}=1.55")
    check_wavelength(arr)
    if np.any(arr >= 100):
        raise ValueError(f"{name} = {float(arr.max()):g} looks like nanometres; wavelengths are in µm (1.55 = 1550 nm)")


def check_range(name: str, value, lo: float | None = None, hi: float | None = None, *, unit: str = "") -> None:
    """Raise ValueError naming ``name`` if ``value`` lies outside [lo, hi]."""
    arr = _concrete(value)
    if arr is None or arr.size == 0:
        return
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite; got {arr.ravel()[:3].tolist()}")
    u = f" {unit}" if unit else ""
    if lo is not None and np.any(arr < lo):
        raise ValueError(
            f"{name} must be >= {lo}{u}; got {float(arr.min())}{u}. "
            f"Check the sign and units of {name}."
        )
    if hi is not None and np.any(arr > hi):
        raise ValueError(
            f"{name} must be <= {hi}{u}; got {float(arr.max())}{u}. "
            f"{name} is a fraction/ratio: pass a value in [{lo if lo is not None else '-inf'}, {hi}]."
        )


def check_positive(name: str, value, *, unit: str = "") -> None:
    """Raise ValueError naming ``name`` unless ``value`` > 0."""
    arr = _concrete(value)
    if arr is None or arr.size == 0:
        return
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        u = f" {unit}" if unit else ""
        raise ValueError(f"{name} must be > 0{u}; got {arr.ravel()[:3].tolist()}")


def check_nonnegative(name: str, value, *, unit: str = "") -> None:
    """Raise ValueError naming ``name`` if ``value`` < 0 (loss, length, power, ...)."""
    check_range(name, value, lo=0.0, unit=unit)
