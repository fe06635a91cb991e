"""MZI meshes: decomposition round trips, structured solver vs sax, errors and fidelity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.circuits import circuit
from photrain.cores import (
    MeshSettings,
    MZIMesh,
    Readout,
    clements,
    fidelity,
    haar_unitary,
    mesh_netlist,
    program_tiles,
    reck,
    reconstruct,
    relative_error,
    tile_matvec,
    tiled_effective_matrix,
)

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True


@pytest.mark.parametrize("n", [2, 3, 5, 8, 16, 33, 64])
@pytest.mark.parametrize("method", [clements, reck])
def test_decomposition_round_trip(n, method):
    rng = np.random.default_rng(n)
    u = haar_unitary(n, rng)
    dec = method(u)
    assert len(dec.modes) == n * (n - 1) // 2
    assert dec.n_columns == ((n if n > 2 else 1) if method is clements else max(2 * n - 3, 1))
    np.testing.assert_allclose(reconstruct(dec), u, atol=1e-10)


def test_decomposition_rejects_non_unitary():
    with pytest.raises(ValueError, match="not unitary"):
        clements(np.ones((3, 3)))
    with pytest.raises(ValueError, match="square"):
        reck(np.ones((3, 2)))


@pytest.mark.parametrize("topology", ["clements", "reck"])
@pytest.mark.parametrize("n", [2, 3, 4, 8])
def test_structured_solver_equals_sax(topology, n):
    mesh = MZIMesh(n, topology=topology, coupler_sigma=0.03, phase_sigma=0.05, crosstalk=0.04, mzi_loss_db=0.2,
                   column_length=40.0, loss_db_per_cm=2.0, chip_seed=n)
    settings = mesh.program_unitary(haar_unitary(n, np.random.default_rng(0)))
    wl = np.array([1.54, 1.55, 1.565])
    t = np.asarray(mesh.transfer(settings, wl))
    s = circuit(mesh_netlist(mesh, settings))(wl=wl)
    s_sax = np.stack([np.stack([np.asarray(s[(f"in{j}", f"out{i}")]) for j in range(n)], -1) for i in range(n)], -2)
    np.testing.assert_allclose(t, s_sax, atol=1e-12)


def test_ideal_mesh_is_unitary_and_programs_target():
    n = 12
    u = haar_unitary(n, np.random.default_rng(5))
    mesh = MZIMesh(n)
    t = np.asarray(mesh.transfer(mesh.program_unitary(u), np.linspace(1.53, 1.57, 5)))
    eye = np.broadcast_to(np.eye(n), t.shape)
    np.testing.assert_allclose(np.conj(np.swapaxes(t, -1, -2)) @ t, eye, atol=1e-12)
    np.testing.assert_allclose(t[2], u, atol=1e-12)  # 1.55 µm is the programming wavelength
    assert float(fidelity(u, t[0])) < 0.999  # phases drift off wl0


def test_lossy_mesh_is_passive():
    mesh = MZIMesh(6, mzi_loss_db=0.3, coupler_sigma=0.05)
    t = np.asarray(mesh.transfer(mesh.program_unitary(haar_unitary(6, np.random.default_rng(1)))))
    assert np.linalg.svd(t, compute_uv=False).max() <= 1 + 1e-12


def test_errors_reduce_fidelity_monotonically():
    n = 16
    u = haar_unitary(n, np.random.default_rng(2))
    fids = []
    for sigma in [0.0, 0.01, 0.05, 0.2]:
        mesh = MZIMesh(n, phase_sigma=sigma, chip_seed=3)
        fids.append(float(fidelity(u, mesh.transfer(mesh.program_unitary(u)))))
    assert fids[0] == pytest.approx(1.0, abs=1e-12)
    assert fids == sorted(fids, reverse=True) and fids[-1] < 0.9


def test_crosstalk_and_quantisation_are_switchable():
    n = 8
    u = haar_unitary(n, np.random.default_rng(4))
    base = float(fidelity(u, MZIMesh(n).transfer(MZIMesh(n).program_unitary(u))))
    for kw in [dict(crosstalk=0.05), dict(phase_bits=4), dict(coupler_sigma=0.05)]:
        mesh = MZIMesh(n, **kw)
        f = float(fidelity(u, mesh.transfer(mesh.program_unitary(u))))
        assert f < base - 1e-4, kw
    assert base == pytest.approx(1.0, abs=1e-12)


def test_svd_programming_reproduces_real_and_complex_matrices():
    rng = np.random.default_rng(7)
    mesh = MZIMesh(8)
    w = rng.normal(size=(5, 8))
    settings = mesh.program(w)
    np.testing.assert_allclose(mesh.effective_matrix(settings), w, atol=1e-11)
    assert float(settings.scale) == pytest.approx(np.linalg.svd(w, compute_uv=False)[0])
    wc = rng.normal(size=(8, 3)) + 1j * rng.normal(size=(8, 3))
    np.testing.assert_allclose(mesh.complex_matrix(mesh.program(wc)), wc, atol=1e-11)
    x = rng.normal(size=(4, 8))
    np.testing.assert_allclose(jax.jit(lambda x: mesh.matvec(x, settings))(x), x @ w.T, atol=1e-10)  # one program


def test_mesh_matvec_noise_matches_homodyne_shot_noise():
    """Output noise is the shot noise of both homodyne diodes, 2 q R (P_LO + |y|^2) B, rescaled."""
    from photrain.constants import Q_E

    ro = Readout(power_per_channel=1e-3, bandwidth=10e9, load_resistance=1e12, dark_current=0.0)
    mesh = MZIMesh(4, readout=ro, lo_power=10e-3)
    settings = mesh.program(np.eye(4))
    x = np.tile([[1.0, 0.5, -0.5, 0.25]], (20000, 1))
    y = np.asarray(jax.jit(lambda x, k: mesh.matvec(x, settings, k))(x, jax.random.PRNGKey(0)))  # one program
    np.testing.assert_allclose(y.mean(0), x[0], atol=2e-3)
    # the two diodes see |y +- E_LO|^2 / 2: total power P_LO + |y|^2, here |y|^2 = 1 mW on output 0
    i_std = np.sqrt(2 * Q_E * 1.0 * (10e-3 + 1e-3) * 10e9)
    y_std = i_std / (2 * 1.0 * np.sqrt(10e-3 * 1e-3))
    assert y.std(0)[0] == pytest.approx(y_std, rel=0.05)


def test_tiling_reproduces_full_product_without_noise():
    rng = np.random.default_rng(8)
    w, x = rng.normal(size=(11, 9)), rng.normal(size=(3, 9))
    mesh = MZIMesh(4)
    tiled = program_tiles(mesh, w)
    y, counts = tile_matvec(mesh, tiled, x)
    np.testing.assert_allclose(y, x @ w.T, atol=1e-10)
    np.testing.assert_allclose(tiled_effective_matrix(mesh, tiled), w, atol=1e-11)
    assert counts.passes == 3 * 3 and counts.optical_macs == 11 * 9 * 3
    assert counts.adc_conversions == 3 * 11 * 3 and counts.dac_conversions == 3 * 9 * 3


def test_mesh_bad_inputs():
    with pytest.raises(ValueError, match="unknown topology"):
        MZIMesh(4, topology="triangle")
    with pytest.raises(ValueError, match="does not fit"):
        MZIMesh(4).program(np.ones((5, 4)))
    with pytest.raises(ValueError, match="NaN"):
        MZIMesh(4).program(np.full((2, 2), np.nan))
    with pytest.raises(ValueError, match="features"):
        mesh = MZIMesh(4)
        mesh.matvec(np.ones((2, 3)), mesh.program(np.ones((4, 4))))
    with pytest.raises(ValueError, match="phase_sigma must be >= 0"):
        MZIMesh(4, phase_sigma=-0.1)


def test_relative_error_metric():
    assert float(relative_error(np.eye(2), np.eye(2) * 1.1)) == pytest.approx(0.1)


def test_structured_solver_is_differentiable():
    """jax.grad through the mesh solver matches a finite difference (the solver can be trained in situ)."""
    n = 4
    mesh = MZIMesh(n, coupler_sigma=0.02)
    s = mesh.program_unitary(haar_unitary(n, np.random.default_rng(9)))
    chip = mesh.chip

    def power(theta):
        from photrain.circuits.mesh_solver import mesh_transfer

        u = mesh_transfer(theta, s.phi, s.active, s.out_phase, chip.coupling_1, chip.coupling_2, 1.55, n=n)
        return jax.numpy.abs(u[0, 0]) ** 2

    g = jax.jit(jax.grad(power))(s.theta)  # one compiled program each (eagerly every op compiles on its own)
    eps = 1e-6
    bump = np.zeros(s.theta.shape)
    bump[1, 0] = eps
    power = jax.jit(power)
    fd = (power(s.theta + bump) - power(s.theta - bump)) / (2 * eps)
    assert float(g[1, 0]) == pytest.approx(float(fd), rel=1e-6, abs=1e-10)


def test_padding_slots_are_never_active():
    # even N: the last slot of odd columns would couple mode N-1 to the padding mode N
    n = 4
    mesh = MZIMesh(n)
    rng = np.random.default_rng(0)
    c, p = 4, 2
    theta, phi = rng.uniform(0, 2 * np.pi, (2, c, p))
    settings = MeshSettings(jnp.asarray(theta), jnp.asarray(phi), jnp.ones((c, p), bool), jnp.zeros(n))
    t = np.asarray(mesh.transfer(settings))
    assert np.abs(t.conj().T @ t - np.eye(n)).max() < 1e-12


def test_odd_column_count_gets_no_padding_column_of_loss():
    # Reck at N = 4 has 2N - 3 = 5 columns; the solver's grid pads to 6
    mesh = MZIMesh(4, topology="reck", column_length=100.0, loss_db_per_cm=3.0)
    assert mesh.n_columns == 5
    settings = mesh.program_unitary(np.eye(4))
    idle = settings._replace(active=jnp.zeros_like(settings.active), out_phase=jnp.zeros(4))
    t = np.asarray(mesh.transfer(idle))
    np.testing.assert_allclose(np.abs(np.diag(t)), 10 ** (-3.0 * 100.0 * 5 * 1e-4 / 20), rtol=1e-12)


def test_core_api_friction():
    u = haar_unitary(4, np.random.default_rng(2))
    mesh = MZIMesh(4)
    x = np.random.default_rng(3).normal(size=(5, 4))
    settings = mesh.program_unitary(u)
    y = jax.jit(lambda x: mesh.matvec(x, settings))(x)  # a unitary's settings run directly (one compiled program)
    np.testing.assert_allclose(y, x @ np.real(u).T, atol=1e-9)
    spec = mesh.spectrum(mesh.program_unitary(u), np.array([1.549, 1.55, 1.551]))
    assert spec.shape == (3, 4, 4)
    np.testing.assert_allclose(spec[1], u, atol=1e-9)
    with pytest.raises(ValueError, match="program_tiles"):
        mesh.program(np.ones((5, 4)))


def test_bank_spectrum_at_the_channels_is_the_programmed_transmission():
    from photrain.cores import MRRWeightBank

    bank = MRRWeightBank(4, 2)
    s = bank.program(np.random.default_rng(0).uniform(-1, 1, (2, 4)))
    drop, thru = bank.spectrum(s, bank.channels)
    t_drop, t_thru = bank.transmissions(s)
    np.testing.assert_allclose(drop, t_drop, atol=1e-12)
    np.testing.assert_allclose(thru, t_thru, atol=1e-12)
    drop, _ = bank.spectrum(s, np.linspace(1.545, 1.555, 101))
    assert drop.shape == (2, 101)
    with pytest.raises(ValueError, match="program_tiles"):
        bank.program(np.ones((3, 4)))
