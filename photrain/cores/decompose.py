"""Unitary decompositions into MZI meshes (Reck 1994, Clements 2016).

Each MZI on modes (m, m+1) has the transfer matrix of
:func:`photrain.models.mzi.mzi_matrix` with ideal 50:50 couplers::

    T(theta, phi) = i e^{i theta/2} [[-sin(theta/2), cos(theta/2) e^{i phi}],
                                     [ cos(theta/2), sin(theta/2) e^{i phi}]]

A decomposition is a list of MZIs in the order light meets them plus an
output phase screen D: U = D · T_K ··· T_1. Nulling follows Clements et al.,
Optica 3, 1460 (2016), Appendix, with the nulling angles and the
T^{-1} D = D' T' commutation solved for this T.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from photrain.cores.checks import check_matrix


def mzi_t(theta: float, phi: float) -> np.ndarray:
    """2x2 ideal MZI matrix T(theta, phi) in the mode basis (m, m+1)."""
    s, c = np.sin(theta / 2), np.cos(theta / 2)
    k = 1j * np.exp(0.5j * theta)
    return k * np.array([[-s, c * np.exp(1j * phi)], [c, s * np.exp(1j * phi)]])


@dataclass(frozen=True)
class Decomposition:
    """MZIs in light order: ``modes[k]`` = m (acts on m, m+1), phases, mesh ``columns[k]``; output phases."""

    n: int
    modes: np.ndarray
    theta: np.ndarray
    phi: np.ndarray
    columns: np.ndarray
    out_phase: np.ndarray

    @property
    def n_columns(self) -> int:
        return int(self.columns.max()) + 1 if self.columns.size else 0


#: an entry of a unitary this small is a rounding residue (read as 0): a nulling angle it would set is free
FREE_PHASE_TOL = 1e-11


def _nulling_angles(a, b, *, left: bool):
    """(theta, phi) of the MZI that nulls the pair (a, b): theta = 2 atan(|b|/|a|) and phi = arg b - arg a
    (right nulling) or theta = 2 atan(|a|/|b|) and phi = pi + arg a - arg b (left). An entry below
    :data:`FREE_PHASE_TOL` is read as 0; where an angle is then free (the MZI nulls for any phi, or any
    theta when both are 0) it is set to 0. Left to the residue, it would follow the LAPACK kernel, not the matrix."""
    a = np.where(np.abs(a) <= FREE_PHASE_TOL, 0.0, a)
    b = np.where(np.abs(b) <= FREE_PHASE_TOL, 0.0, b)
    free = (a == 0) | (b == 0)
    if left:
        return 2 * np.arctan2(np.abs(a), np.abs(b)), np.where(free, 0.0, np.pi + np.angle(a) - np.angle(b))
    return 2 * np.arctan2(np.abs(b), np.abs(a)), np.where(free, 0.0, np.angle(b) - np.angle(a))


def _null_right(u, r, m):
    """theta, phi with (U T^{-1})[r, m] = 0, acting on columns (m, m+1)."""
    return _nulling_angles(u[r, m], u[r, m + 1], left=False)


def _null_left(u, r, m):
    """theta, phi with (T U)[m+1, r] = 0, acting on rows (m, m+1) of column r."""
    return _nulling_angles(u[m, r], u[m + 1, r], left=True)


def _apply_right_inverse(u, m, theta, phi):
    t = mzi_t(theta, phi)
    u[:, m : m + 2] = u[:, m : m + 2] @ t.conj().T


def _apply_left(u, m, theta, phi):
    t = mzi_t(theta, phi)
    u[m : m + 2, :] = t @ u[m : m + 2, :]


def _assign_columns(n, modes):
    """Pack MZIs (in light order) into columns; column parity equals mode parity."""
    free = np.zeros(n + 1, dtype=int)
    cols = np.empty(len(modes), dtype=int)
    for k, m in enumerate(modes):
        c = max(free[m], free[m + 1])
        if c % 2 != m % 2:
            c += 1
        cols[k] = c
        free[m] = free[m + 1] = c + 1
    return cols


def _check_unitary(u):
    check_matrix(u, "u", square=True)
    u = np.asarray(u, dtype=complex)
    err = np.abs(u.conj().T @ u - np.eye(u.shape[0])).max()
    if err > 1e-8:
        raise ValueError(f"matrix is not unitary (max |U^H U - I| = {err:.2e}); use MZIMesh.program for arbitrary matrices (SVD)")
    return u.copy()


#: rad: a wrapped phase this close below 2 pi is read as 0 (the same phase; a one-sided heater holds no power for it)
WRAP_SNAP = 1e-9


def _wrap(x):
    """Heater phase in [0, 2 pi); rounding residue just below 2 pi becomes 0 (same transfer, no hold power)."""
    w = np.mod(x, 2 * np.pi)
    return np.where(w > 2 * np.pi - WRAP_SNAP, 0.0, w)


def clements(u) -> Decomposition:
    """Clements (rectangular) decomposition of an N x N unitary: N(N-1)/2 MZIs in N columns."""
    u = _check_unitary(u)
    n = u.shape[0]
    right, left = [], []
    for i in range(n - 1):
        if i % 2 == 0:
            for j in range(i + 1):
                r, m = n - 1 - j, i - j
                th, ph = _null_right(u, r, m)
                _apply_right_inverse(u, m, th, ph)
                right.append((m, th, ph))
        else:
            for j in range(i + 1):
                m, col = n - 2 - i + j, j
                th, ph = _null_left(u, col, m)
                _apply_left(u, m, th, ph)
                left.append((m, th, ph))
    d = np.diag(u).copy()
    # Move the left MZIs through D: T^{-1}(theta, phi) D = D' T(theta, phi')
    moved = []
    for m, th, ph in reversed(left):
        d1, d2 = d[m], d[m + 1]
        new_phi = np.angle(d2) - np.angle(d1)
        f = -np.exp(-1j * th)
        d[m], d[m + 1] = f * d1, f * np.exp(-1j * ph) * d1
        moved.append((m, th, new_phi))
    # U = D' T'_1 ... T'_K R: light meets the right MZIs (as nulled), then T'_K ... T'_1,
    # which is the order in which they were moved.
    order = right + moved
    return _make(n, order, d)


def reck(u) -> Decomposition:
    """Reck (triangular) decomposition of an N x N unitary: N(N-1)/2 MZIs in 2N-3 columns."""
    u = _check_unitary(u)
    n = u.shape[0]
    ops = []
    for r in range(n - 1, 0, -1):
        for m in range(r):
            th, ph = _null_right(u, r, m)
            _apply_right_inverse(u, m, th, ph)
            ops.append((m, th, ph))
    return _make(n, ops, np.diag(u).copy())


def _make(n, ops, d):
    modes = np.array([o[0] for o in ops], dtype=int)
    theta = _wrap(np.array([o[1] for o in ops], dtype=float))
    phi = _wrap(np.array([o[2] for o in ops], dtype=float))
    return Decomposition(n=n, modes=modes, theta=theta, phi=phi, columns=_assign_columns(n, modes),
                         out_phase=_wrap(np.angle(d)))


def reconstruct(dec: Decomposition) -> np.ndarray:
    """Rebuild U = D · T_K ··· T_1 from a decomposition (NumPy reference, ideal devices)."""
    u = np.eye(dec.n, dtype=complex)
    for m, th, ph in zip(dec.modes, dec.theta, dec.phi, strict=True):
        u[m : m + 2, :] = mzi_t(th, ph) @ u[m : m + 2, :]
    return np.exp(1j * dec.out_phase)[:, None] * u


def haar_unitary(n: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-random N x N unitary (Mezzadri, Notices AMS 54, 592 (2007))."""
    z = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))) / np.sqrt(2)
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def _clements_schedule(n: int):
    """The nulling order of :func:`clements` (it does not depend on U): ('right', r, m) and ('left', col, m)."""
    ops = []
    for i in range(n - 1):
        if i % 2 == 0:
            ops += [("right", n - 1 - j, i - j) for j in range(i + 1)]
        else:
            ops += [("left", j, n - 2 - i + j) for j in range(i + 1)]
    return ops


def clements_batch(u):
    """:func:`clements` of a stack of unitaries ``u`` (T, N, N) at once, vectorised over T.

    Clements' nulling order depends only on N, so every step runs on all T matrices
    together (NumPy), which is what programming a tiled matrix (hundreds of blocks) per
    batch or per evaluation needs. Returns ``(modes, columns, theta, phi, out_phase)``:
    ``modes``, ``columns`` (K,) shared by all; ``theta``, ``phi`` (T, K) in [0, 2 pi);
    ``out_phase`` (T, N). Equal to :func:`clements` matrix by matrix (tested).
    """
    u = np.array(u, dtype=complex)
    if u.ndim != 3 or u.shape[1] != u.shape[2]:
        raise ValueError(f"clements_batch needs a (T, N, N) stack of unitaries; got shape {u.shape}")
    err = np.abs(np.einsum("tji,tjk->tik", u.conj(), u) - np.eye(u.shape[1])).max() if u.size else 0.0
    if err > 1e-8:
        raise ValueError(f"matrix is not unitary (max |U^H U - I| = {err:.2e}); use MZIMesh.program for arbitrary matrices (SVD)")
    t, n = u.shape[0], u.shape[1]
    right, left = [], []
    for kind, r, m in _clements_schedule(n):
        if kind == "right":
            th, ph = _nulling_angles(u[:, r, m], u[:, r, m + 1], left=False)
            blk = _mzi_t_batch(th, ph)  # (T, 2, 2)
            u[:, :, m : m + 2] = u[:, :, m : m + 2] @ np.conj(np.swapaxes(blk, 1, 2))
            right.append((m, th, ph))
        else:
            th, ph = _nulling_angles(u[:, m, r], u[:, m + 1, r], left=True)
            u[:, m : m + 2, :] = _mzi_t_batch(th, ph) @ u[:, m : m + 2, :]
            left.append((m, th, ph))
    d = np.diagonal(u, axis1=1, axis2=2).copy()
    moved = []
    for m, th, ph in reversed(left):  # T^{-1}(theta, phi) D = D' T(theta, phi'), as in clements
        d1, d2 = d[:, m].copy(), d[:, m + 1].copy()
        new_phi = np.angle(d2) - np.angle(d1)
        f = -np.exp(-1j * th)
        d[:, m], d[:, m + 1] = f * d1, f * np.exp(-1j * ph) * d1
        moved.append((m, th, new_phi))
    order = right + moved
    modes = np.array([o[0] for o in order], dtype=int)
    theta = _wrap(np.stack([o[1] for o in order], axis=1)) if order else np.zeros((t, 0))
    phi = _wrap(np.stack([o[2] for o in order], axis=1)) if order else np.zeros((t, 0))
    return modes, _assign_columns(n, modes), theta, phi, _wrap(np.angle(d))


def _mzi_t_batch(theta, phi):
    """:func:`mzi_t` for arrays of phases: (T, 2, 2)."""
    s, c = np.sin(theta / 2), np.cos(theta / 2)
    k = 1j * np.exp(0.5j * theta)
    e = np.exp(1j * phi)
    return k[:, None, None] * np.stack([np.stack([-s, c * e], -1), np.stack([c, s * e], -1)], -2)
