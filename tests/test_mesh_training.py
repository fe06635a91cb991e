"""MZI-mesh cores in training (issue 13, part 3): SVD programming of tiled matrices, the mesh engine,
optical DFA with B·e on meshes, inference through meshes, the ledger and bad configurations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.cli import main
from photrain.controller import MeshConfig, MeshEngine, build_controller
from photrain.cores import MZIMesh, Readout, clements, haar_unitary, program_tiles, tiled_effective_matrix
from photrain.cores.decompose import clements_batch
from photrain.cores.mesh_tiles import MeshTiles, mesh_tiles_matvec
from photrain.train import TrainConfig
from photrain.train.network import forward, init_mlp
from photrain.train.trainer import make_run_controller, step_ledger


def test_clements_batch_equals_clements_matrix_by_matrix():
    rng = np.random.default_rng(3)
    for n in (2, 5, 8):
        us = np.stack([haar_unitary(n, rng) for _ in range(3)])
        modes, columns, theta, phi, out = clements_batch(us)
        for t, u in enumerate(us):
            dec = clements(u)
            np.testing.assert_array_equal(modes, dec.modes)
            np.testing.assert_array_equal(columns, dec.columns)
            np.testing.assert_allclose(theta[t], dec.theta, atol=1e-9)
            np.testing.assert_allclose(np.exp(1j * phi[t]), np.exp(1j * dec.phi), atol=1e-9)
            np.testing.assert_allclose(np.exp(1j * out[t]), np.exp(1j * dec.out_phase), atol=1e-9)
    with pytest.raises(ValueError, match="not unitary"):
        clements_batch(np.ones((2, 3, 3)))


def test_svd_programming_round_trip_tile_by_tile():
    """Each tile's programmed (realised) transfer on ideal meshes is the block of B over its scale, the scale is the
    block's largest singular value, and the meshes are unitary (the attenuators carry Sigma / s)."""
    rng = np.random.default_rng(0)
    mesh = MZIMesh(4)
    b = rng.uniform(-1, 1, (4, 4))
    tiles = mesh.compile(b)
    s = np.linalg.svd(b, compute_uv=False)
    np.testing.assert_allclose(float(tiles.scale[0, 0]), s[0], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(tiles.matrix[0, 0]), b / s[0], atol=1e-6)
    settings = mesh.program(b)  # the single-matrix path agrees with the tiled one
    np.testing.assert_allclose(np.asarray(mesh.complex_matrix(settings)), b, atol=2e-6)  # float32 (JAX default): rounding


def test_tiling_a_matrix_larger_than_the_mesh():
    rng = np.random.default_rng(1)
    mesh = MZIMesh(4)
    w = rng.normal(size=(10, 7))  # 3 x 2 tiles of 4 x 4, the last ones partly padding
    tiles = mesh.compile(w)
    assert tiles.matrix.shape == (3, 2, 4, 4) and tiles.shape == (10, 7)
    np.testing.assert_allclose(np.asarray(tiles.effective_matrix()), w, atol=2e-6 * np.abs(w).max())
    x = rng.normal(size=(5, 7)).astype(np.float32)
    y = jax.jit(lambda x, t: mesh_tiles_matvec(x, t, None, readout=mesh.readout, lo_power=mesh.lo_power))(
        jnp.asarray(x), tiles)  # one compiled product (eagerly every op compiles on its own)
    assert y.dtype == jnp.float32 and y.shape == (5, 10)
    np.testing.assert_allclose(np.asarray(y), x @ w.T, atol=1e-5 * np.abs(x @ w.T).max())
    reck = MZIMesh(4, topology="reck").compile(w)  # Reck (2N - 3 columns) tiles too
    np.testing.assert_allclose(np.asarray(reck.effective_matrix()), w, atol=2e-6 * np.abs(w).max())
    # with static errors the tiled compile realises what program_tiles + tiled_effective_matrix realise
    noisy = MZIMesh(4, coupler_sigma=0.03, phase_sigma=0.02, crosstalk=0.02, phase_bits=8, chip_seed=2)
    realised = np.asarray(noisy.compile(w).effective_matrix())
    reference = np.asarray(tiled_effective_matrix(noisy, program_tiles(noisy, w)))
    np.testing.assert_allclose(realised, reference, atol=1e-5)
    assert np.abs(realised - w).max() > 1e-3  # and the errors are in


def test_tiled_homodyne_noise_is_the_shot_noise_of_each_read():
    """Detector noise through tiles: a zero input gives a current whose spread is the balanced shot+thermal
    noise of the LO alone, rescaled, summed over the column blocks (independent reads)."""
    ro = Readout(power_per_channel=1e-3)
    mesh = MZIMesh(4, readout=ro)
    w = np.eye(8)
    tiles = mesh.compile(w)
    x = np.zeros((4000, 8), np.float32)
    x[:, 0] = 1.0  # block 0 drives mode 0 at full scale; block 1 is dark (its xmax floor scales its noise to 0)
    y = np.asarray(jax.jit(lambda x, t, k: mesh_tiles_matvec(x, t, k, readout=ro, lo_power=mesh.lo_power))(
        jnp.asarray(x), tiles, jax.random.PRNGKey(0)))
    np.testing.assert_allclose(y[:, 0].mean(), 1.0, atol=5e-3)
    unit = 2 * ro.responsivity * np.sqrt(mesh.lo_power * ro.power_per_channel)
    lo_p = mesh.lo_power
    sigma = np.sqrt(float(ro.noise_variance(lo_p + 1e-3))) / unit  # mode 0: field and LO on the pair
    sigma_dark = np.sqrt(float(ro.noise_variance(lo_p))) / unit  # modes 1-3 of block 0: LO only
    assert y[:, 0].std() == pytest.approx(sigma, rel=0.06)
    assert y[:, 1:4].std() == pytest.approx(sigma_dark, rel=0.06)


def _dfa_runs(steps=4):
    """Weights after a few optical-DFA steps with B·e on an ideal mesh, and the same steps of digital DFA
    (photrain.nn.fit, the path photrain train runs)."""
    import optax

    import photrain.nn as pnn
    from photrain.train.network import build_mlp, weights

    params = init_mlp(jax.random.PRNGKey(0), [12, 9, 7, 3])
    x = np.asarray(jax.random.uniform(jax.random.PRNGKey(2), (steps * 16, 12), jnp.float32))
    y = np.asarray(jax.random.randint(jax.random.PRNGKey(3), (steps * 16,), 0, 3))
    out = {}
    for name, hw, algorithm in (
        ("mesh", pnn.Hardware(core="mesh", feedback="mesh", mesh=MeshConfig(n=4, ideal=True)), "optical-dfa"),
        ("digital", pnn.Hardware(), "dfa"),
    ):
        model = build_mlp(params, hw, jax.random.PRNGKey(5))
        model, history = pnn.fit(model, optax.sgd(0.01, momentum=0.9), (x, y), algorithm=algorithm, epochs=1,
                                 batch_size=16, key=jax.random.PRNGKey(4), progress=False, shuffle=False)
        out[name] = (model.layers[0].controller, weights(model), history[0]["loss"])
    return out


def test_mesh_b_dfa_equals_digital_dfa_with_an_ideal_mesh():
    runs = _dfa_runs()
    ctrl, w_mesh, loss_mesh = runs["mesh"]
    _, w_dig, loss_dig = runs["digital"]
    assert isinstance(ctrl.feedback, MeshEngine) and ctrl.core is ctrl.feedback  # one mesh chip serves both
    assert not ctrl.forward_on_core
    np.testing.assert_allclose(loss_mesh, loss_dig, rtol=1e-5)
    for (w_m, b_m), (w_d, b_d) in zip(w_mesh, w_dig, strict=True):
        np.testing.assert_allclose(np.asarray(w_m), np.asarray(w_d), atol=2e-6)
        np.testing.assert_allclose(np.asarray(b_m), np.asarray(b_d), atol=2e-6)
    moved = max(float(jnp.abs(w - w0).max()) for (w, _), (w0, _) in
                zip(w_mesh, init_mlp(jax.random.PRNGKey(0), [12, 9, 7, 3]), strict=True))
    assert moved > 1e-3  # the steps did change the weights (the comparison is not of two untouched networks)


def test_mesh_b_with_noise_is_b_plus_detector_noise():
    """With every noise source on, B·e on meshes is unbiased around the digital product and noisy."""
    ctrl = build_controller(core="mesh", feedback_core="mesh", mesh=MeshConfig(n=4))
    b = np.asarray(jax.random.uniform(jax.random.PRNGKey(0), (10, 3), minval=-1, maxval=1))
    (compiled,) = ctrl.compile_feedback([b])
    e = jax.random.normal(jax.random.PRNGKey(1), (2000, 3), jnp.float32) * 0.3
    got = np.asarray(jax.jit(lambda c, e, k: ctrl.project([c], 0, e, k))(compiled, e, jax.random.PRNGKey(2)))
    ref = np.asarray(e) @ b.T
    err = got - ref
    assert abs(err.mean()) < 3e-3 * np.abs(ref).max()
    assert 1e-4 * np.abs(ref).max() < err.std() < 0.05 * np.abs(ref).max()


def test_inference_through_meshes_equals_digital_with_an_ideal_mesh():
    sizes = [12, 9, 3]
    params = init_mlp(jax.random.PRNGKey(0), sizes)
    ctrl = build_controller(core="mesh", mesh=MeshConfig(n=4, ideal=True))
    hs = ctrl.init(params, jax.random.PRNGKey(1))
    prog = ctrl.program_core(hs, None)  # host-side: SVD + decomposition of every tile
    assert isinstance(prog.settings[0], MeshTiles)
    x = jax.random.uniform(jax.random.PRNGKey(2), (8, 12), jnp.float32)

    @jax.jit
    def logits(prog, x):
        return forward(ctrl.params(prog, hs), x, lambda i, h, w: ctrl.matmul(prog, i, h, None))[0]

    ref, _ = forward(params, x)
    np.testing.assert_allclose(np.asarray(logits(prog, x)), np.asarray(ref), atol=1e-4)
    # inside a jitted step the controller only reads the memory for the mesh (no host-side programming)
    jitted = jax.jit(lambda hs: ctrl.program(hs, None).settings)(hs)
    np.testing.assert_allclose(np.asarray(jitted[0]), np.asarray(params[0][0]))


def test_ledger_counts_b_on_meshes_and_a_digital_forward():
    config = TrainConfig(hidden=(9, 7), algorithm="optical-dfa", core="mesh", batch_size=16, mesh=MeshConfig(n=4))
    sizes = [12, 9, 7, 3]
    ctrl = make_run_controller(config, 3)
    led = step_ledger(config, sizes, ctrl)
    # B_1 (9 x 3): 3 row tiles x 1 column tile; B_2 (7 x 3): 2 x 1; one pass per tile per batch
    assert led.optical_passes == 3 + 2
    assert led.optical_macs == 16 * (9 * 3 + 7 * 3)
    assert led.adc_conversions == 16 * (9 + 7) and led.dac_conversions == 16 * (3 * 3 + 2 * 3)
    assert led.programmings == 0  # B is programmed once, at the start (feedback_ledger)
    forward_macs = 16 * (12 * 9 + 9 * 7 + 7 * 3)
    assert led.digital_macs >= forward_macs + 16 * (12 * 9 + 9 * 7 + 7 * 3)  # digital W·x and the outer products
    assert ctrl.feedback_ledger(sizes).programmings == 5


def test_bad_mesh_configuration_is_one_clear_error(tmp_path, capsys):
    with pytest.raises(ValueError, match="--mesh-modes"):
        MeshConfig(n=1)
    with pytest.raises(ValueError, match="topology"):
        MeshConfig(topology="triangle")
    with pytest.raises(ValueError, match="phase_bits"):
        MeshConfig(phase_bits=0)
    ctrl = build_controller(core="mesh", mesh=MeshConfig(n=4, ideal=True))
    with pytest.raises(ValueError, match="Wᵀ·δ"):
        ctrl.core.program(np.ones((3, 3)), None, None, transpose=True)
    with pytest.raises(ValueError, match="outside jax.jit"):
        jax.jit(lambda w: ctrl.core.mesh.compile(w).matrix)(jnp.ones((3, 3)))
    assert main(["train", "--core", "mesh", "--mesh-modes", "1", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "--mesh-modes" in err and len(err.strip().splitlines()) == 1
    assert TrainConfig.from_dict({**__import__("dataclasses").asdict(TrainConfig(core="mesh", mesh=MeshConfig(n=8))),
                                  "hidden": [4]}).mesh == MeshConfig(n=8)  # saved with the run, read back


def test_mesh_heater_hold_is_priced_per_heater_of_every_tile():
    from photrain.controller import CoreSpec, Ledger, energy_report, load_preset
    from photrain.controller.mesh_heaters import MESH_MEAN_PHASE, mesh_heaters, mesh_mean_phase

    assert mesh_heaters(16) == 2 * (16 * 15 + 16) + 16 == 528
    # the copied operating point is current; the gauge is fixed, so only rounding (not the LAPACK kernel) can move it
    assert mesh_mean_phase() == pytest.approx(MESH_MEAN_PHASE, rel=1e-6)
    p = load_preset("reference-paper")
    led = Ledger(optical_macs=10**6, dac_conversions=10**5, adc_conversions=10**5, optical_passes=10, symbol_slots=10**4,
                 programmings=3, steps=1)
    mesh, bank = energy_report(led, p, CoreSpec(16, 16, kind="mesh")), energy_report(led, p, CoreSpec(16, 16))
    assert mesh.energy["heaters (hold)"] == pytest.approx(528 * p.mzi_heater_power * mesh.latency, rel=1e-12)
    assert mesh.energy["heaters (program)"] == pytest.approx(3 * 528 * p.mzi_heater_power * p.heater_settle_time)
    assert bank.energy["heaters (hold)"] == pytest.approx(256 * p.ring_tuning_power * bank.latency, rel=1e-12)
    assert mesh.energy["laser"] == bank.energy["laser"]  # the rest of the model does not depend on the core kind
    with pytest.raises(ValueError, match="n x n"):
        CoreSpec(16, 10, kind="mesh")
