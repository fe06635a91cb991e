"""Touchstone (``.sNp``) files in and out, through scikit-rf.

Export: :func:`write_touchstone` evaluates a circuit (any sax model or circuit
function, or an SDict already computed) over a wavelength sweep and writes its
dense S-matrix, ``S[i, j]`` = output at port i for input at port j (sax's and
Touchstone's convention alike), as real/imaginary pairs at full float
precision. The frequency axis is f = c / wl (Hz, ascending, so the wavelength
sweep is written in reverse order); the header comment states the port order
(``! photrain ports: 1=o1 2=o2 ...``) and the wavelength span. Reference
impedance is the Touchstone default 50 Ohm, which has no meaning for optical
ports: S-parameters are the normalised wave amplitudes sax uses.

Import: :func:`touchstone` is a sax model ``touchstone(*, wl, path, ports=None)``
registered as ``component: touchstone`` for netlists and circuit YAML
(``settings: {path: ring.s4p}``). Its ports are named by the file's photrain
header when present, else ``o1 .. oN`` in file order; ``ports`` renames them.
S is interpolated linearly in wavelength, real and imaginary parts separately
(exact at the file's sample points: sample a resonance densely). A wavelength
outside the file's span, a port list of the wrong length, a file whose
extension disagrees with its port count and a malformed file raise a
ValueError that names the file and the fix.

The layout side (:func:`photrain.layout.cells.touchstone_cell`) is a black box with the file's ports:
the first ceil(N/2) on its west side (bottom to top), the others on its east
side (top to bottom), as gdsfactory numbers ``mmi2x2``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from photrain._platform import x64
from photrain.circuits.saxlib import sax_module
from photrain.constants import C

if TYPE_CHECKING:
    import sax

_PORTS_LINE = re.compile(r"photrain ports:\s*(.*)")
_EXT = re.compile(r"^\.s(\d+)p$", re.IGNORECASE)


def wl_to_freq(wl) -> np.ndarray:
    """Frequency (Hz) of a vacuum wavelength ``wl`` (µm): f = c / wl."""
    return C / (np.asarray(wl, dtype=float) * 1e-6)


def freq_to_wl(f) -> np.ndarray:
    """Vacuum wavelength (µm) of a frequency ``f`` (Hz): wl = c / f."""
    return C / np.asarray(f, dtype=float) * 1e6


def _natural_key(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def sorted_ports(ports: Sequence[str]) -> list[str]:
    """Port names in natural order (o1, o2, ..., o10): the order files are written in by default."""
    return sorted(ports, key=_natural_key)


def _port_count_of_path(path: Path) -> int | None:
    m = _EXT.match(path.suffix)
    return int(m.group(1)) if m else None


def sdict_to_dense(s: Mapping, ports: Sequence[str]) -> np.ndarray:
    """Dense S, ``S[..., i, j]`` = output at ``ports[i]`` for input at ``ports[j]`` (zeros where absent)."""
    first = np.asarray(next(iter(s.values())))
    dense = np.zeros((*first.shape, len(ports), len(ports)), dtype=complex)
    for i, out in enumerate(ports):
        for j, inp in enumerate(ports):
            if (inp, out) in s:
                dense[..., i, j] = np.broadcast_to(np.asarray(s[(inp, out)]), first.shape)
    return dense


def to_network(circuit: Callable | Mapping, wl, *, ports: Sequence[str] | None = None, name: str = "photrain",
               **settings):
    """A :class:`skrf.Network` of ``circuit`` (model/circuit function or SDict over ``wl``) sampled at ``wl`` (µm).

    ``ports`` picks and orders the ports (default: all, natural order). The
    network's frequencies ascend (f = c / wl) and its comment states the port order.
    """
    import skrf

    wl = np.asarray(wl, dtype=float).reshape(-1)
    if wl.size < 1 or not np.all(np.isfinite(wl)) or np.any(wl <= 0):
        raise ValueError("touchstone export: wl must be positive, finite wavelengths in µm, e.g. np.linspace(1.54, 1.56, 2001)")
    if len(np.unique(wl)) != wl.size:
        raise ValueError("touchstone export: wavelengths must be distinct (a Touchstone file needs one row per frequency)")
    if callable(circuit):
        with x64():  # float64 wavelengths and S-parameters, scoped to this solve
            s = circuit(wl=jnp.asarray(wl), **settings)
            s = {k: np.asarray(v) for k, v in sax_module().sdict(s).items()}  # host complex128
    else:
        s = circuit
    have = list(sax_module().get_ports(s))
    if ports is None:
        ports = sorted_ports(have)
    missing = [p for p in ports if p not in have]
    if missing:
        raise KeyError(f"touchstone export: unknown port(s) {missing}; this circuit's ports are {sorted_ports(have)}")
    dense = sdict_to_dense(s, ports)
    if dense.shape[:-2] != wl.shape:
        dense = np.broadcast_to(dense, (*wl.shape, len(ports), len(ports)))
    order = np.argsort(wl)[::-1]  # ascending frequency
    freq = skrf.Frequency.from_f(wl_to_freq(wl[order]), unit="Hz")
    comments = (f"photrain ports: {' '.join(f'{k + 1}={p}' for k, p in enumerate(ports))}\n"
                f"wavelength {wl.min():.9g} to {wl.max():.9g} um, {wl.size} points; f = c / wl; "
                "S[i, j] = output at port i for input at port j (optical wave amplitudes; 50 Ohm is nominal)")
    return skrf.Network(frequency=freq, s=np.ascontiguousarray(dense[order]), name=name, comments=comments)


def write_touchstone(circuit: Callable | Mapping, path: str | Path, wl, *, ports: Sequence[str] | None = None,
                     **settings) -> Path:
    """Write ``circuit``'s S-matrix over ``wl`` (µm) to ``path`` (``.sNp``, N = number of ports); returns the path.

    ``circuit`` is a sax model or circuit function (called as ``circuit(wl=wl, **settings)``)
    or an SDict already evaluated over ``wl``. Values are written at full precision
    (real/imaginary), so :func:`touchstone` reads back the same S to ~1e-15.
    """
    path = Path(path)
    net = to_network(circuit, wl, ports=ports, name=path.stem, **settings)
    n = net.nports
    if _port_count_of_path(path) != n:
        raise ValueError(f"touchstone export: {path.name!r} must end in '.s{n}p' for this {n}-port circuit "
                         f"(e.g. {path.with_suffix(f'.s{n}p').name})")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = net.write_touchstone(return_string=True, form="ri", skrf_comment=True)
    path.write_text(text)
    return path


# ------------------------------------------------------------------ import


@lru_cache(maxsize=32)
def _read(path: str, mtime_ns: int):
    import skrf

    p = Path(path)
    expected = _port_count_of_path(p)
    if expected is None:
        raise ValueError(f"touchstone: {p.name!r} is not a Touchstone file name; use the extension .sNp "
                         "(N = number of ports), e.g. ring.s4p")
    try:
        net = skrf.Network(str(p))
    except Exception as err:  # scikit-rf raises many types for malformed files
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"touchstone: cannot read {p} as a {expected}-port Touchstone file ({detail}); "
                         "check the option line ('# Hz S RI R 50') and that every row has 1 + 2N² numbers") from None
    if net.nports != expected:
        raise ValueError(f"touchstone: {p} holds {net.nports}-port data but its name says {expected} ports; "
                         f"rename it to {p.with_suffix(f'.s{net.nports}p').name}")
    f = np.asarray(net.f, dtype=float)
    if f.size < 1 or np.any(f <= 0) or not np.all(np.isfinite(net.s)):
        raise ValueError(f"touchstone: {p} has no usable data (frequencies must be > 0 Hz and S finite)")
    names = None
    for line in (net.comments or "").splitlines():
        m = _PORTS_LINE.search(line)
        if m:
            pairs = dict(item.split("=", 1) for item in m.group(1).split() if "=" in item)
            names = tuple(pairs.get(str(k + 1), f"o{k + 1}") for k in range(net.nports))
    if names is None or len(set(names)) != net.nports:
        names = tuple(f"o{k + 1}" for k in range(net.nports))
    wl = freq_to_wl(f)
    order = np.argsort(wl)
    s = np.asarray(net.s)[order]
    return wl[order], s, names


def read_touchstone(path: str | Path):
    """``(wl, S, ports)``: ascending wavelengths (µm), dense S (points, N, N) and port names of a ``.sNp`` file."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"touchstone: {str(p)!r} is a folder; give the path of a .sNp file")
    if not p.is_file():
        raise FileNotFoundError(f"touchstone: file {str(p)!r} does not exist (paths are relative to the current "
                                "folder, or to the circuit YAML's folder)")
    return _read(str(p.resolve()), os.stat(p).st_mtime_ns)


def _port_names(file_ports: tuple[str, ...], ports, path) -> tuple[str, ...]:
    if ports is None:
        return file_ports
    ports = tuple(str(p) for p in ports)
    if len(ports) != len(file_ports):
        raise ValueError(f"touchstone: ports lists {len(ports)} names but {Path(path).name} has {len(file_ports)} ports; "
                         f"give {len(file_ports)} names or leave ports out (file order: {list(file_ports)})")
    if len(set(ports)) != len(ports):
        raise ValueError(f"touchstone: ports {list(ports)} repeats a name; each port needs its own")
    return ports


def touchstone_ports(*, path: str | Path = "", ports: Sequence[str] | None = None, **_) -> tuple[str, ...]:
    """Port names of the model :func:`touchstone` builds from ``path`` (without evaluating it)."""
    _check_path(path)
    return _port_names(read_touchstone(path)[2], ports, path)


def _check_path(path) -> None:
    if not path:
        raise ValueError("touchstone: settings.path is required, e.g. {component: touchstone, settings: {path: ring.s4p}}")


def touchstone(*, wl=1.55, path: str | Path = "", ports: Sequence[str] | None = None) -> sax.SDict:
    """S-parameters read from a Touchstone file ``path`` at wavelengths ``wl`` (µm).

    Linear interpolation of Re S and Im S in wavelength between the file's points
    (exact at them). ``ports`` renames the file's ports (same count, file order).
    Raises ValueError when ``wl`` leaves the file's span (checked whenever ``wl`` is
    concrete; inside ``jax.jit`` out-of-span points give NaN).
    """
    _check_path(path)
    wl_file, s, file_ports = read_touchstone(path)
    names = _port_names(file_ports, ports, path)
    lo, hi = float(wl_file[0]), float(wl_file[-1])
    wl_arr = jnp.asarray(wl, dtype=float)  # float64 inside a circuit solve (scoped x64), else the caller's float
    if not isinstance(wl_arr, jax.core.Tracer):
        w = np.asarray(wl, dtype=np.float64)  # the span check on the caller's own values, not a float32 copy
        tol = 1e-12 * hi
        if w.size and (float(w.min()) < lo - tol or float(w.max()) > hi + tol):
            raise ValueError(f"touchstone: {Path(path).name} covers {lo:.6f}-{hi:.6f} µm but the sweep asks "
                             f"{float(w.min()):.6f}-{float(w.max()):.6f} µm; narrow the sweep (--wl) or export the file "
                             "over a wider span")
    flat = wl_arr.reshape(-1)
    xp = jnp.asarray(wl_file)
    rel = max(1e-12, 4 * float(jnp.finfo(flat.dtype).eps))  # a float32 copy of the end points is not outside
    outside = (flat < lo * (1 - rel)) | (flat > hi * (1 + rel))

    def interp(col):
        if len(wl_file) == 1:
            v = jnp.full(flat.shape, complex(col[0]))
        else:
            v = jnp.interp(flat, xp, jnp.asarray(col.real)) + 1j * jnp.interp(flat, xp, jnp.asarray(col.imag))
        return jnp.where(outside, jnp.nan, v).reshape(wl_arr.shape)

    return {(names[j], names[i]): interp(s[:, i, j]) for i in range(len(names)) for j in range(len(names))}


touchstone.ports = touchstone_ports  # netlist validation asks a model for its ports this way when it has it


def bind_touchstone(settings: Mapping) -> Callable:
    """The model of one ``touchstone`` instance, its file and port names fixed: ``f(*, wl) -> SDict``.

    sax analyses each model once by name with its default arguments; an instance
    bound to its own file (default ``wl`` inside the file's span) keeps that
    analysis right when several files, or port counts, share a netlist.
    """
    path, ports = settings.get("path", ""), settings.get("ports")
    _check_path(path)
    wl_file, _, file_ports = read_touchstone(path)
    names = _port_names(file_ports, ports, path)
    centre = float(wl_file[len(wl_file) // 2])

    def model(*, wl=centre) -> sax.SDict:
        return touchstone(wl=wl, path=path, ports=names)

    model.ports = lambda **_: names
    model.__doc__ = f"Touchstone file {path} (ports {', '.join(names)})."
    return model
