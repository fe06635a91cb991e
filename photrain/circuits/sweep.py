"""Wavelength sweeps of circuits and their plots."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from photrain._platform import x64
from photrain.circuits.saxlib import sax_module
from photrain.models.checks import check_wavelengths

if TYPE_CHECKING:
    import sax

#: Most wavelength points a sweep takes unless told otherwise (``max_points``, CLI ``--max-points``).
MAX_WL_POINTS = 100_000
#: Peak memory per wavelength point of a sax solve, measured with /usr/bin/time -v on
#: ``photrain simulate circuits/wdm_demux4.pic.yml`` at 2001 vs 50001 points (733 MB vs 1181 MB): ~9.3 kB.
BYTES_PER_WL_POINT = 9_300


def parse_wl_range(text: str, *, max_points: int = MAX_WL_POINTS) -> np.ndarray:
    """Parse ``'start:stop:num'`` (µm, µm, points) into a wavelength array, e.g. '1.50:1.60:2001'.

    Raises ValueError naming the argument for a malformed, non-finite, empty or
    reversed range, a wavelength that looks like nanometres (>= 100), and more
    than ``max_points`` points (with the memory the sweep would need).
    """
    try:
        start, stop, num = str(text).split(":")
        start, stop, num = float(start), float(stop), int(num)
    except ValueError as err:
        raise ValueError(f"wavelength range {text!r} must be 'start:stop:points' in µm, e.g. 1.50:1.60:2001") from err
    if not (np.isfinite(start) and np.isfinite(stop)):
        raise ValueError(f"wavelength range {text!r}: start and stop must be finite numbers (µm), e.g. 1.50:1.60:2001")
    if max(abs(start), abs(stop)) >= 100:
        raise ValueError(f"wavelength range {text!r} looks like nanometres; wavelengths are in µm "
                         f"({start / 1e3:g}:{stop / 1e3:g}:{num}, 1.55 = 1550 nm)")
    if start <= 0 or stop <= start or num < 2:
        raise ValueError(f"wavelength range {text!r}: need 0 < start < stop (µm) and points >= 2")
    if num > max_points:
        raise ValueError(f"wavelength range {text!r}: {num} points exceed the cap of {max_points} "
                         f"(a sweep needs about {num * BYTES_PER_WL_POINT / 1e9:.2g} GB at ~{BYTES_PER_WL_POINT / 1e3:.0f} kB "
                         f"per point); use fewer points or pass --max-points {num}")
    return np.linspace(start, stop, num)


#: |S|² (dB) below which a port pair counts as carrying no light (the solver's zeros print as -300 dB)
DARK_DB = -150.0


def _period(power: np.ndarray) -> int | None:
    """Repeat period (samples) of a sampled spectrum, or None: the longest autocorrelation peak (> 0.25, unbiased,
    within half the window) that is not a multiple of a shorter one, so a ring's FSR wins over its harmonics and
    over a bank's channel spacing."""
    from scipy.signal import find_peaks

    x = power - power.mean()
    if x.std() < 1e-3:
        return None
    n = len(x)
    acf = np.fft.irfft(np.abs(np.fft.rfft(x, 2 * n)) ** 2)[:n]
    acf = acf / acf[0] * n / (n - np.arange(n))  # unbiased: correct for the shrinking overlap
    peaks, _ = find_peaks(acf[: n // 2], height=0.25)
    kept: list[int] = []
    for p in peaks:
        if not any(abs(p / q - round(p / q)) < 0.03 for q in kept):
            kept.append(int(p))
    return max(kept) if kept else None


def default_wl_range(func: Callable[..., sax.SDict], *, centre: float = 1.55, fsrs: float = 2.0, points: int = 2001,
                     search: tuple[float, float] = (1.50, 1.60), **settings) -> np.ndarray:
    """A wavelength grid (µm) spanning ``fsrs`` free spectral ranges of the circuit around ``centre``.

    The FSR is the longest repeat period of the port pairs' power spectra over
    ``search`` (autocorrelation of a 4001-point sweep); a circuit with no repeat
    within ``search`` gets all of ``search``. The span is clipped to ``search``.
    """
    coarse = np.linspace(*search, 4001)
    with x64():  # a solve over wavelength in float64 (µm to ~1e-16), whatever the process's x64 setting
        s = {k: np.asarray(v) for k, v in sax_module().sdict(func(wl=jnp.asarray(coarse), **settings)).items()}
    step = coarse[1] - coarse[0]
    periods = [p for v in s.values() if (p := _period(np.abs(np.asarray(v)) ** 2)) is not None]
    if not periods:
        return np.linspace(*search, points)
    half = fsrs * max(periods) * step / 2
    lo, hi = max(search[0], centre - half), min(search[1], centre + half)
    return np.linspace(lo, hi, points)


def sweep(func: Callable[..., sax.SDict], wl, port_pairs: Sequence[tuple[str, str]] | None = None, **settings):
    """Evaluate a circuit over ``wl`` (µm) and return {(in, out): |S|^2 in dB}.

    ``port_pairs`` defaults to every output port for input port ``o1`` (or the
    first port). Unknown ports raise a KeyError listing the circuit's ports.
    """
    check_wavelengths(wl)
    with x64():  # float64 wavelengths and S-parameters (a high-Q ring needs them), scoped to this solve
        s = func(wl=jnp.asarray(wl, dtype=float), **settings)
        s = {k: np.asarray(v) for k, v in sax_module().sdict(s).items()}  # host complex128
    ports = sax_module().get_ports(s)
    if port_pairs is None:
        src = "o1" if "o1" in ports else ports[0]
        port_pairs = [(src, p) for p in ports if p != src]
    bad = [f"{a},{b}" for a, b in port_pairs if a not in ports or b not in ports]
    if bad:
        raise KeyError(f"unknown port pair(s) {bad}; this circuit's ports are {list(ports)}")
    return {(a, b): 10 * np.log10(np.abs(s[(a, b)]) ** 2 + 1e-30) for a, b in port_pairs}


def lit_pairs(spectra: dict, floor_db: float = DARK_DB) -> tuple[dict, list]:
    """Split sweep results into (pairs that carry light, names of dark pairs): dark = max |S|² below ``floor_db`` dB."""
    lit = {k: v for k, v in spectra.items() if float(np.max(v)) > floor_db}
    return lit, [f"{a}->{b}" for (a, b) in spectra if (a, b) not in lit]


def plot_sweep(wl, spectra: dict, path: str | Path | None = None, *, title: str = ""):
    """Plot |S|² (dB) vs wavelength (nm) of the pairs that carry light; save to ``path`` when given. Returns the figure.

    Uses pyplot without touching the backend: figures show inline in Jupyter, and
    the CLI (MPLBACKEND=Agg) writes files.
    """
    import matplotlib.pyplot as plt

    lit, _ = lit_pairs(spectra)
    fig, ax = plt.subplots(figsize=(7, 4))
    for (a, b), db in lit.items():
        ax.plot(np.asarray(wl) * 1e3, db, label=f"{a} → {b}")
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("|S|² (dB)")
    if lit:
        ax.set_ylim(bottom=max(-60.0, min(float(np.min(v)) for v in lit.values()) - 3))
        ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
    return fig
