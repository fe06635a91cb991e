"""Fix the gauge of an SVD before it becomes mesh phases, so programming never depends on the LAPACK build.

An SVD W = U Sigma V^H is not unique: for any diagonal phase matrix D, (U D) Sigma (D^* V^H) is the same
product, and inside a cluster of equal singular values (the zeros of a zero-padded tile above all) any
unitary mixing of the singular vectors is too. LAPACK picks one of these at the whim of its kernel
(another OpenBLAS core type returns another one), and the heater phases of the two meshes that realise
U and V^H follow the pick, so the heater power photrain reports would follow the BLAS build.

:func:`fix_gauge` picks the gauge deliberately, in two steps:

1. a canonical basis (BLAS-independent up to rounding): every cluster of singular vectors is replaced
   by the pivoted Gram-Schmidt basis of its projector P = Q Q^H (a property of W, not of the kernel);
   for a simple singular value this makes the largest entry of the left vector real and positive.
   Nonzero clusters rotate U and V together (U R, R^H V^H), so the product is unchanged; the null
   spaces of U and V are canonicalised separately (Sigma = 0 there).
2. the diagonal gauge D that minimises the total heater phase of both meshes. The meshes' phases are
   affine in the gauge phases alpha (D = diag(e^{i alpha})) modulo 2 pi, with integer coefficients
   that depend only on N and the topology (:func:`gauge_coefficients`, measured once by a small
   perturbation of a seeded Haar unitary). A one-sided heater holds P = P_pi phi / pi for phi in
   [0, 2 pi) (:func:`photrain.models.phase_shifters.power_for_phase`), so the total phase is the hold
   power; it is piecewise linear in each alpha_k and smallest where one of its terms wraps to 0, so a
   coordinate descent over those breakpoints (exact per coordinate, vectorised over tiles) lowers it.

The hold-power saving is measured by :func:`photrain.controller.mesh_heaters.mesh_mean_phase` (README).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from photrain.cores.decompose import WRAP_SNAP, clements_batch, haar_unitary, reck

#: relative gap (to the largest singular value) under which two singular values count as one cluster
CLUSTER_TOL = 1e-9
#: coordinate-descent sweeps over the N gauge phases
SWEEPS = 2
_TWO_PI = 2 * np.pi


def mesh_phases(unitaries, topology: str = "clements") -> np.ndarray:
    """Every heater phase (theta, phi of each MZI, then the output screen) of a stack (T, N, N): (T, H), rad."""
    unitaries = np.asarray(unitaries, dtype=complex)
    if topology == "clements":
        _, _, theta, phi, out = clements_batch(unitaries)
    elif topology == "reck":
        decs = [reck(u) for u in unitaries]
        theta, phi, out = (np.stack([getattr(d, f) for d in decs]) for f in ("theta", "phi", "out_phase"))
    else:
        raise ValueError(f"unknown topology {topology!r}; use 'clements' or 'reck'")
    return np.concatenate([theta, phi, out], axis=1)


@lru_cache(maxsize=32)
def gauge_coefficients(n: int, topology: str = "clements") -> tuple[np.ndarray, np.ndarray]:
    """Integer matrices (A_u, A_v), each (H, N): the heater phases of U D move by A_u alpha and those of
    D^* V^H by A_v alpha (mod 2 pi), D = diag(e^{i alpha}). Measured by a 1e-6 rad perturbation of a
    seeded Haar unitary and rounded (the entries are -1, 0 or 1)."""
    u = haar_unitary(n, np.random.default_rng(0))
    step = 1e-6
    d = np.exp(1j * step * np.eye(n))  # row k: the gauge with alpha_k = step
    base = mesh_phases(u[None], topology)[0]
    right = mesh_phases(u[None] * d[:, None, :], topology) - base  # U D
    left = mesh_phases(np.conj(d)[:, :, None] * u[None], topology) - base  # D^* U
    wrap = lambda x: (x + np.pi) % _TWO_PI - np.pi  # noqa: E731
    return (np.rint(wrap(right) / step).T.astype(np.int64), np.rint(wrap(left) / step).T.astype(np.int64))


def _wrapped(x):
    """Heater phase in [0, 2 pi) with the rounding residue just below 2 pi read as 0 (the same phase, no power)."""
    w = np.mod(x, _TWO_PI)
    return np.where(w > _TWO_PI - WRAP_SNAP, 0.0, w)


def _pivoted_basis(p: np.ndarray, m: int) -> np.ndarray:
    """m orthonormal columns spanning the range of the projector ``p``: pivoted Gram-Schmidt of its columns
    (largest remaining norm first; ties within 1e-9 go to the lowest index), each pivot entry real positive."""
    p = p.copy()
    basis = []
    for _ in range(m):
        norms = np.linalg.norm(p, axis=0)
        j = int(np.flatnonzero(norms >= norms.max() * (1 - 1e-9))[0])
        v = p[:, j] / norms[j]
        v = v * (np.conj(v[j]) / abs(v[j]))
        basis.append(v)
        p = p - np.outer(v, np.conj(v) @ p)
    return np.stack(basis, axis=1)


def _simple(s: np.ndarray) -> np.ndarray:
    """(T, N) bool: singular values that are nonzero and apart from both neighbours (only their phase is free)."""
    top = np.where(s[:, :1] > 0, s[:, :1], 1.0)
    gap = np.diff(s, axis=1) < -CLUSTER_TOL * top  # (T, N-1): s[k] strictly above s[k+1]
    edge = np.ones((s.shape[0], 1), dtype=bool)
    return (s > CLUSTER_TOL * top) & np.concatenate([edge, gap], axis=1) & np.concatenate([gap, edge], axis=1)


def _clusters(s: np.ndarray):
    """(start, stop, is_zero) of the clusters of one descending singular-value vector (N,)."""
    top = s[0] if s[0] > 0 else 1.0
    zero = s <= CLUSTER_TOL * top
    out, i, n = [], 0, s.size
    while i < n:
        j = i + 1
        while j < n and (zero[j] if zero[i] else (not zero[j] and s[j - 1] - s[j] <= CLUSTER_TOL * top)):
            j += 1
        out.append((i, j, bool(zero[i])))
        i = j
    return out


def canonical_basis(u, s, vh):
    """The SVD (u, s, vh) of a stack (T, N, N) in the canonical basis of step 1; returns (u, vh)."""
    u, vh, s = np.array(u, dtype=complex), np.array(vh, dtype=complex), np.asarray(s)
    # simple singular values (all tiles at once): the largest entry of each left vector real and positive
    mag = np.abs(u)  # (T, N, N): entry i of left vector k at [t, i, k]
    pivot = np.argmax(mag >= mag.max(axis=1, keepdims=True) * (1 - 1e-9), axis=1)  # (T, N): first near-largest
    entry = np.take_along_axis(u, pivot[:, None, :], axis=1)[:, 0, :]
    r = np.where(_simple(s), np.conj(entry) / np.maximum(np.abs(entry), 1e-300), 1.0)
    u, vh = u * r[:, None, :], np.conj(r)[:, :, None] * vh
    # clusters (zeros of a padded tile, equal singular values): pivoted Gram-Schmidt of their projectors
    for t in np.flatnonzero(~_simple(s).all(axis=1)):
        for a, b, is_zero in _clusters(s[t]):
            if b - a == 1 and not is_zero:
                continue
            q = u[t, :, a:b]
            new_u = _pivoted_basis(q @ q.conj().T, b - a)
            if is_zero:  # the null spaces of U and V are independent (Sigma = 0 couples nothing)
                v = vh[t, a:b, :].conj().T
                vh[t, a:b, :] = _pivoted_basis(v @ v.conj().T, b - a).conj().T
            else:
                rot = q.conj().T @ new_u  # U_new = U R, V_new^H = R^H V^H
                vh[t, a:b, :] = rot.conj().T @ vh[t, a:b, :]
            u[t, :, a:b] = new_u
    return u, vh


def _minimise_hold(c: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Gauge phases alpha (T, N) lowering sum_h wrap(c_h + coef_h . alpha) by exact coordinate descent."""
    t, n = c.shape[0], coef.shape[1]
    alpha = np.zeros((t, n))
    for _ in range(SWEEPS):
        for k in range(n):
            rows = np.flatnonzero(coef[:, k])
            if rows.size == 0:
                continue
            a = coef[rows, k].astype(float)  # (R,)
            x = c[:, rows] + alpha @ coef[rows].T  # (T, R): the terms that move with alpha_k
            # breakpoints: the shifts of alpha_k that bring one term to 0 (mod 2 pi), and no shift at all
            shifts = np.concatenate([np.zeros((t, 1)), -x / a], axis=1)  # (T, R + 1)
            cost = _wrapped(x[:, None, :] + shifts[:, :, None] * a).sum(-1)  # (T, R + 1)
            best = cost.min(axis=1, keepdims=True)
            pick = np.argmax(cost <= best + 1e-9, axis=1)  # the first candidate within 1e-9 of the best
            improve = best[:, 0] < cost[:, 0] - 1e-9
            alpha[:, k] += np.where(improve, shifts[np.arange(t), pick], 0.0)
    return alpha


def fix_gauge(u, s, vh, topology: str = "clements"):
    """The SVD (u, s, vh) of a stack of N x N blocks (T, N, N) in photrain's gauge: canonical, then the diagonal
    phases that minimise the two meshes' total heater phase. Returns (u, vh); u diag(s) vh is unchanged."""
    u, s, vh = np.asarray(u), np.asarray(s), np.asarray(vh)
    u, vh = canonical_basis(u, s, vh)
    coef_u, coef_v = gauge_coefficients(u.shape[-1], topology)
    c = np.concatenate([mesh_phases(u, topology), mesh_phases(vh, topology)], axis=1)
    alpha = _minimise_hold(c, np.concatenate([coef_u, coef_v], axis=0))
    d = np.exp(1j * alpha)
    return u * d[:, None, :], np.conj(d)[:, :, None] * vh
