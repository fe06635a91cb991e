"""Wavelength sweeps of circuits and their plots."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import sax


def parse_wl_range(text: str) -> np.ndarray:
    """Parse ``'start:stop:num'`` (µm, µm, points) into a wavelength array, e.g. '1.50:1.60:2001'."""
    try:
        start, stop, num = text.split(":")
        start, stop, num = float(start), float(stop), int(num)
    except ValueError as err:
        raise ValueError(f"wavelength range {text!r} must be 'start:stop:points' in µm, e.g. 1.50:1.60:2001") from err
    if start <= 0 or stop <= start or num < 2:
        raise ValueError(f"wavelength range {text!r}: need 0 < start < stop (µm) and points >= 2")
    return np.linspace(start, stop, num)


def sweep(func: Callable[..., sax.SDict], wl, port_pairs: Sequence[tuple[str, str]] | None = None, **settings):
    """Evaluate a circuit over ``wl`` (µm) and return {(in, out): |S|^2 in dB}.

    ``port_pairs`` defaults to every output port for input port ``o1`` (or the
    first port). Unknown ports raise a KeyError listing the circuit's ports.
    """
    s = func(wl=jnp.asarray(wl, dtype=float), **settings)
    ports = sax.get_ports(s)
    if port_pairs is None:
        src = "o1" if "o1" in ports else ports[0]
        port_pairs = [(src, p) for p in ports if p != src]
    bad = [f"{a},{b}" for a, b in port_pairs if a not in ports or b not in ports]
    if bad:
        raise KeyError(f"unknown port pair(s) {bad}; this circuit's ports are {list(ports)}")
    return {(a, b): np.asarray(10 * jnp.log10(jnp.abs(s[(a, b)]) ** 2 + 1e-30)) for a, b in port_pairs}


def plot_sweep(wl, spectra: dict, path: str | Path | None = None, *, title: str = ""):
    """Plot |S|^2 (dB) vs wavelength (nm); save to ``path`` when given. Returns the figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for (a, b), db in spectra.items():
        ax.plot(np.asarray(wl) * 1e3, db, label=f"{a} → {b}")
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("|S|² (dB)")
    ax.set_ylim(bottom=max(-60.0, min(float(np.min(v)) for v in spectra.values()) - 3))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
    return fig
