"""The controller's mixed-precision update (pulse_mode 'accumulate', Nandakumar et al. 2020) and write granularity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.cli import main
from photrain.controller import Controller, CoreSpec, build_controller, energy_report
from photrain.controller.hub import accumulate_granules
from photrain.memory import FixedPointMemory, make_memory
from photrain.train import TrainConfig, train

SGD1 = build_controller(lr=1.0, momentum=0.0).optimizer  # requested change = -gradient


def _zero_bias(n):
    return jnp.zeros(n, jnp.float32)


def test_write_granularity_of_each_memory():
    rram = make_memory("rram", w_max=0.5)
    assert rram.write_granularity == pytest.approx(2 * 0.5 / 63)  # both devices one level: 2 w_max / (levels - 1)
    assert rram.write_granularity == pytest.approx(2 * rram.w_per_siemens * rram.level_spacing)
    assert make_memory("rram", n_levels=None).write_granularity == make_memory("rram").nominal_step
    assert make_memory("fixed", bits=4).write_granularity == pytest.approx(2 / 15)
    assert make_memory("cbram").write_granularity == pytest.approx(2 / 3)
    assert make_memory("pcm").write_granularity == make_memory("pcm").nominal_step
    assert make_memory("float").write_granularity == 0.0
    # one granule written into a noiseless RRAM pair at its symmetry point moves G+ up and G- down one level each
    state = rram.init(jnp.zeros((4, 3)), None)
    before = rram.levels(state)
    state = rram.update(state, jnp.full((4, 3), rram.write_granularity), None)
    np.testing.assert_array_equal(rram.levels(state) - before, np.stack([np.ones((4, 3)), -np.ones((4, 3))]))


def test_granules_split_exactly():
    eps = 0.25
    chi = jnp.array([0.0, 0.1, 0.25, -0.25, 0.6, -0.99, 3.0, 1e-8])
    written, rest = accumulate_granules(chi, eps)
    np.testing.assert_allclose(written, [0, 0, 0.25, -0.25, 0.5, -0.75, 3.0, 0])
    np.testing.assert_allclose(written + rest, chi, rtol=0, atol=1e-7)
    assert np.all(np.abs(np.asarray(rest)) < eps)
    capped, kept = accumulate_granules(chi, eps, max_granules=2)
    np.testing.assert_allclose(capped[6], 0.5)
    np.testing.assert_allclose(kept[6], 2.5)  # what the cap holds back stays in the accumulator


def test_accumulator_conserves_requests_on_a_noiseless_grid():
    """Sum of written changes + residual == sum of requests; |residual| < epsilon after every step."""
    mem = FixedPointMemory(bits=6, w_max=1.0)  # nearest rounding: writes of whole steps land exactly
    eps = mem.write_granularity
    ctrl = Controller(memory=mem, optimizer=SGD1, pulse_mode="accumulate")
    w0 = jnp.full((6, 5), mem.step / 2)  # on the grid (-1 + 32 steps)
    hs = ctrl.init([(w0, _zero_bias(6))], jax.random.PRNGKey(0))
    rng = np.random.default_rng(3)
    requested = np.zeros((6, 5))
    apply = jax.jit(lambda hs, g, k: ctrl.apply(hs, [(g, _zero_bias(6))], k, 1))
    for i in range(40):
        g = (rng.normal(size=(6, 5)) * eps * (0.3 if i % 5 else 2.5)).astype(np.float32)  # mostly sub-granule
        requested -= g
        hs, _ = apply(hs, jnp.asarray(g), jax.random.PRNGKey(i))
        chi = np.asarray(hs.acc[0])
        assert np.all(np.abs(chi) < eps), i
        written = np.asarray(ctrl.weights(hs)[0][0]) - np.asarray(w0)
        np.testing.assert_allclose(written / eps, np.round(written / eps), atol=1e-4)  # whole granules only
        np.testing.assert_allclose(written + chi, requested, rtol=0, atol=1e-5)
    # the analog mode on the same memory rounds every request to the grid: the sub-step remainders are lost
    analog = Controller(memory=mem, optimizer=SGD1)
    hs_a = analog.init([(w0, _zero_bias(6))], jax.random.PRNGKey(0))
    g = jnp.full((6, 5), -0.3 * eps)
    for i in range(4):
        hs_a, _ = analog.apply(hs_a, [(g, _zero_bias(6))], jax.random.PRNGKey(i), 1)
    np.testing.assert_allclose(analog.weights(hs_a)[0][0], w0, rtol=0, atol=1e-7)


def test_sub_granule_requests_pulse_nothing_until_they_add_up():
    rram = make_memory("rram", w_max=0.5)
    eps = rram.write_granularity
    ctrl = Controller(memory=rram, optimizer=SGD1, pulse_mode="accumulate")
    hs = ctrl.init([(jnp.zeros((16, 16)), _zero_bias(16))], jax.random.PRNGKey(1))
    g0 = hs.mem[0].g
    grads = [(jnp.full((16, 16), -0.26 * eps), _zero_bias(16))]  # each step requests +0.26 epsilon
    for i in range(3):
        hs, counts = ctrl.apply(hs, grads, jax.random.PRNGKey(10 + i), 1)
        assert int(counts.pulses) == 0
        np.testing.assert_array_equal(hs.mem[0].g, g0)  # the devices are not touched
        np.testing.assert_allclose(hs.acc[0], 0.26 * eps * (i + 1), rtol=1e-5)
    hs, counts = ctrl.apply(hs, grads, jax.random.PRNGKey(13), 1)  # 1.04 epsilon: one granule each
    assert int(counts.pulses) > 0
    np.testing.assert_allclose(hs.acc[0], 0.04 * eps, rtol=1e-3)
    change = np.asarray(ctrl.weights(hs)[0][0])
    # written open loop: the device-to-device spread (step sizes, shortened windows) scatters it around epsilon
    assert np.mean(change > 0) > 0.9 and np.all(change >= 0) and np.mean(change) == pytest.approx(eps, rel=0.25)
    # the analog mode pulses every device on the first request
    analog = Controller(memory=rram, optimizer=SGD1)
    hs_a = analog.init([(jnp.zeros((16, 16)), _zero_bias(16))], jax.random.PRNGKey(1))
    assert int(analog.apply(hs_a, grads, jax.random.PRNGKey(10), 1)[1].pulses) > 0
    assert hs_a.acc == ()  # no accumulator outside 'accumulate': checkpoints keep their layout


def test_accumulator_counted_in_the_ledger_and_energy():
    analog = build_controller(memory="rram", core="crossbar")
    acc = build_controller(memory="rram", core="crossbar", pulse_mode="accumulate")
    sizes, n_weights = [12, 7, 3], 12 * 7 + 7 * 3
    la, lc = analog.step_ledger(sizes, 4, backward="backprop"), acc.step_ledger(sizes, 4, backward="backprop")
    assert lc.memory_reads - la.memory_reads == n_weights and lc.memory_writes - la.memory_writes == n_weights
    ra = energy_report(la.as_dict(), "reference-paper", CoreSpec(32, 32), memory="rram")
    rc = energy_report(lc.as_dict(), "reference-paper", CoreSpec(32, 32), memory="rram")
    assert rc.energy["sram"] - ra.energy["sram"] == pytest.approx(2 * n_weights * 5e-12)


def test_eqprop_run_with_accumulator_resumes_bit_exactly(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(24,), algorithm="eqprop", epochs=2, batch_size=64, lr=0.1,
                      momentum=0.0, beta=1.0, free_steps=4, nudged_steps=2, memory="rram", pulse_mode="accumulate")
    full = train(cfg, tmp_path / "full", progress=False)
    hs = full["state"]
    assert len(hs.acc) == 2 and all(a.shape == s.g.shape[1:] for a, s in zip(hs.acc, hs.mem, strict=True))
    eps = make_memory("rram").write_granularity
    assert 0 < float(jnp.max(jnp.abs(hs.acc[0]))) < eps
    assert full["ledger"]["memory_pulses"] > 0
    train(cfg, tmp_path / "cut", progress=False, stop_after_epoch=1)
    resumed = train(cfg, tmp_path / "cut", progress=False, resume=True)
    leaves, again = jax.tree_util.tree_leaves(hs), jax.tree_util.tree_leaves(resumed["state"])
    assert len(leaves) == len(again)
    for a, c in zip(leaves, again, strict=True):
        np.testing.assert_array_equal(a, c)
    assert resumed["ledger"] == full["ledger"]


def test_bad_pulse_mode_is_one_clear_line(tmp_path, capsys):
    with pytest.raises(ValueError, match="pulse_mode 'accumulate' needs a memory with a write granularity"):
        Controller(pulse_mode="accumulate")
    with pytest.raises(ValueError, match="--pulse-mode accumulate .* --memory float"):
        TrainConfig(pulse_mode="accumulate")
    with pytest.raises(ValueError, match="unknown pulse mode 'chi'"):
        TrainConfig(memory="rram", pulse_mode="chi")
    assert main(["train", "--pulse-mode", "accumulate", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--memory float" in err
    with pytest.raises(SystemExit) as bad:  # argparse's choices: exit 2 with one line
        main(["train", "--memory", "rram", "--pulse-mode", "chi", "--out", str(tmp_path / "b")])
    assert bad.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "invalid choice: 'chi'" in err and "accumulate" in err
    assert not any(tmp_path.iterdir())


def test_float_path_stays_plain_sgd():
    """The analog mode on a float memory is w + (-lr g) in float32, bit for bit, and keeps no accumulator."""
    ctrl = build_controller(lr=0.05, momentum=0.0)
    w = jax.random.normal(jax.random.PRNGKey(2), (7, 5), jnp.float32)
    g = jax.random.normal(jax.random.PRNGKey(3), (7, 5), jnp.float32)
    hs = ctrl.init([(w, _zero_bias(7))], jax.random.PRNGKey(0))
    hs, _ = ctrl.apply(hs, [(g, _zero_bias(7))], jax.random.PRNGKey(1), 1)
    np.testing.assert_array_equal(ctrl.weights(hs)[0][0], w + (-(jnp.float32(0.05) * g)))
    assert hs.acc == () and len(jax.tree_util.tree_leaves(hs)) == 7  # W, 3 counters, b, v_w, v_b: the old layout
