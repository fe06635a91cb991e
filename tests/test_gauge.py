"""The SVD's gauge is fixed before it becomes mesh phases (issue 23): programming and heater power are the same
whatever gauge LAPACK returns, simulated here by random diagonal phases and random rotations of the degenerate
singular subspaces applied to NumPy's singular vectors."""

import numpy as np
import pytest

from photrain.controller.mesh_heaters import mesh_heaters
from photrain.cores import MZIMesh, clements, haar_unitary, reck
from photrain.cores.gauge import canonical_basis, fix_gauge, gauge_coefficients, mesh_phases


def _regauge(u, s, vh, rng):
    """Another valid SVD of the same blocks: U D, D* V^H, and a random unitary inside every cluster of equal
    singular values (independently for U and V where they are 0), as another LAPACK kernel might return."""
    u, vh = u.copy(), vh.copy()
    t, n = s.shape
    d = np.exp(1j * rng.uniform(0, 2 * np.pi, (t, n)))
    u, vh = u * d[:, None, :], np.conj(d)[:, :, None] * vh
    for k in range(t):
        zero = s[k] <= 1e-9 * max(s[k, 0], 1e-300)
        if zero.sum() > 1:
            idx = np.flatnonzero(zero)
            u[k][:, idx] = u[k][:, idx] @ haar_unitary(idx.size, rng)
            vh[k][idx, :] = haar_unitary(idx.size, rng) @ vh[k][idx, :]
        start = 0
        for stop in range(1, n + 1):  # runs of equal nonzero singular values: rotate U and V together
            if stop < n and not zero[stop] and abs(s[k, stop] - s[k, start]) < 1e-9 * s[k, 0]:
                continue
            if stop - start > 1 and not zero[start]:
                idx = np.arange(start, stop)
                r = haar_unitary(idx.size, rng)
                u[k][:, idx] = u[k][:, idx] @ r
                vh[k][idx, :] = r.conj().T @ vh[k][idx, :]
            start = stop
    return u, vh


def _blocks(rng):
    """Full-rank blocks, zero-padded blocks (rank 3 of 6) and blocks with repeated singular values."""
    full = rng.normal(size=(3, 6, 6)) + 1j * rng.normal(size=(3, 6, 6))
    padded = np.zeros((2, 6, 6), complex)
    padded[:, :, :3] = rng.uniform(-1, 1, (2, 6, 3))
    repeated = np.stack([2.0 * haar_unitary(6, rng), np.diag([3.0, 3.0, 1.0, 1.0, 1.0, 0.5]).astype(complex)])
    return np.concatenate([full, padded, repeated])


@pytest.mark.parametrize("topology", ["clements", "reck"])
def test_fixed_gauge_is_the_same_for_every_gauge_lapack_could_return(topology):
    rng = np.random.default_rng(0)
    blocks = _blocks(rng)
    u, s, vh = np.linalg.svd(blocks)
    ref_u, ref_vh = fix_gauge(u, s, vh, topology)
    np.testing.assert_allclose(ref_u * s[:, None, :] @ ref_vh, blocks, atol=1e-12)  # the same product
    ref = np.concatenate([mesh_phases(ref_u, topology), mesh_phases(ref_vh, topology)], axis=1)
    for _ in range(3):
        gu, gvh = fix_gauge(*_insert(_regauge(u, s, vh, rng), s), topology)
        np.testing.assert_allclose(gu, ref_u, atol=1e-9)
        np.testing.assert_allclose(gvh, ref_vh, atol=1e-9)
        phases = np.concatenate([mesh_phases(gu, topology), mesh_phases(gvh, topology)], axis=1)
        np.testing.assert_allclose(phases, ref, atol=1e-8)  # heater phases, not only their exponentials
    # NumPy's own gauge, regauged, gives other phases: the test above is not vacuous
    raw = np.concatenate([mesh_phases(u, topology), mesh_phases(vh, topology)], axis=1)
    ru, rvh = _regauge(u, s, vh, rng)
    assert np.abs(np.concatenate([mesh_phases(ru, topology), mesh_phases(rvh, topology)], axis=1) - raw).max() > 0.1


def _insert(uvh, s):
    return uvh[0], s, uvh[1]


def test_minimising_gauge_holds_less_phase_than_the_canonical_one():
    rng = np.random.default_rng(1)
    blocks = rng.normal(size=(40, 8, 8))
    u, s, vh = np.linalg.svd(blocks)
    cu, cvh = canonical_basis(u, s, vh)
    fu, fvh = fix_gauge(u, s, vh)
    total = lambda a, b: np.concatenate([mesh_phases(a), mesh_phases(b)], axis=1).sum(axis=1)  # noqa: E731
    canonical, fixed = total(cu, cvh), total(fu, fvh)
    assert np.all(fixed <= canonical + 1e-9)
    assert fixed.mean() < 0.95 * canonical.mean()  # measured 0.91 (8 modes)


def test_gauge_coefficients_predict_how_the_phases_move():
    """The heater phases of U D and D* V^H are those of U and V^H plus A alpha (mod 2 pi) for a generic unitary."""
    rng = np.random.default_rng(2)
    n = 5
    a_u, a_v = gauge_coefficients(n)
    assert set(np.unique(np.concatenate([a_u, a_v]))) <= {-1, 0, 1}
    u = haar_unitary(n, rng)
    alpha = rng.uniform(-0.3, 0.3, n)
    d = np.exp(1j * alpha)
    for moved, base, a in ((u * d, u, a_u), (np.conj(d)[:, None] * u, u, a_v)):
        diff = mesh_phases(moved[None])[0] - mesh_phases(base[None])[0] - a @ alpha
        np.testing.assert_allclose(np.exp(1j * diff), 1.0, atol=1e-9)


def test_mesh_programming_and_heater_power_do_not_follow_the_lapack_gauge(monkeypatch):
    rng = np.random.default_rng(3)
    w = rng.uniform(-1, 1, (12, 5))  # 3 x 2 tiles of 4 modes, partly zero padding
    mesh = MZIMesh(4, coupler_sigma=0.02, phase_sigma=0.01, phase_bits=10, crosstalk=0.01, chip_seed=1)
    ref_tiles, ref_phases = mesh.compile(w), mesh.heater_phases(w)
    ref_single = mesh.program(w[:4, :3])
    assert ref_phases.shape == (6, mesh_heaters(4))
    svd = np.linalg.svd

    def other_lapack(a, *args, **kwargs):
        u, s, vh = svd(a, *args, **kwargs)
        batched = u.ndim == 3
        u, vh = _regauge(u if batched else u[None], s if batched else s[None], vh if batched else vh[None], rng)
        return (u, s, vh) if batched else (u[0], s, vh[0])

    monkeypatch.setattr(np.linalg, "svd", other_lapack)
    tiles = mesh.compile(w)
    np.testing.assert_allclose(np.asarray(tiles.matrix), np.asarray(ref_tiles.matrix), atol=1e-6)
    np.testing.assert_allclose(mesh.heater_phases(w), ref_phases, atol=1e-8)
    single = mesh.program(w[:4, :3])
    for a, b in zip((single.u_mesh, single.v_mesh), (ref_single.u_mesh, ref_single.v_mesh), strict=True):
        np.testing.assert_allclose(np.asarray(a.theta), np.asarray(b.theta), atol=1e-8)
        np.testing.assert_allclose(np.asarray(a.phi), np.asarray(b.phi), atol=1e-8)
        np.testing.assert_allclose(np.asarray(a.out_phase), np.asarray(b.out_phase), atol=1e-8)


def test_free_nulling_phases_are_zero_not_the_rounding_residue():
    """Where an MZI meets a zero its nulling phase is free: it is set to 0 (no hold power), so residues of
    either sign (what another kernel leaves) give the same phases."""
    rng = np.random.default_rng(4)
    for decompose in (clements, reck):
        assert np.all(decompose(np.eye(5, dtype=complex)).phi[:4] == 0.0)  # the first column nulls zeros only
        for p in (np.eye(5), np.eye(5)[::-1], np.eye(5)[[1, 0, 3, 2, 4]]):
            decs = [decompose(p + 1e-14 * (rng.normal(size=(5, 5)) + 1j * rng.normal(size=(5, 5)))) for _ in range(3)]
            for d in decs[1:]:
                for field in ("theta", "phi", "out_phase"):
                    np.testing.assert_allclose(getattr(d, field), getattr(decs[0], field), atol=1e-9)
