"""Equilibrium propagation / contrastive Hebbian learning and the Braille task."""

import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.train import eqprop as ep
from photrain.train.data import load_dataset
from photrain.train.datasets import braille as br

F32 = jnp.float32


@pytest.fixture(scope="module")
def small():
    """A 6-8-5-3 network (two hidden layers: both sweep parities), 4 examples, one-hot targets."""
    params = ep.init_eqprop(jax.random.PRNGKey(0), [6, 8, 5, 3])
    params = [(w, b + 0.1) for w, b in params]
    x = jax.random.uniform(jax.random.PRNGKey(1), (4, 6), F32)
    t = jax.nn.one_hot(jnp.array([0, 1, 2, 0]), 3, dtype=F32)
    return params, x, t


@pytest.fixture(scope="module")
def rbp(small):
    """Recurrent-backprop gradient of C(s0): autodiff through 150 sweeps started at the fixed point."""
    params, x, t = small
    return _flat(ep.recurrent_backprop_grads(params, x, t, steps=400, unroll=150)[1])


def _flat(grads):
    return jnp.concatenate([jnp.concatenate([gw.ravel(), gb]) for gw, gb in grads])


def _ep_grads(params, x, t, **kw):
    mm, mt = ep.digital_products(params)
    cfg = ep.EqPropConfig(free_steps=400, nudged_steps=400, tol=0.0, **kw)
    return ep.eqprop_step([b for _, b in params], x, t, mm, mt, cfg)


def test_ep_gradient_tends_to_recurrent_backprop(small, rbp):
    """Scellier & Bengio (2017) Theorem 1: the EP update -> the gradient of C(s0) as beta -> 0.

    The reference is recurrent backpropagation (Almeida-Pineda): autodiff through 150 sweeps of the
    relaxation map started at the fixed point (the truncated Neumann series of the implicit gradient).
    """
    params, x, t = small
    ref = rbp
    stats = {}
    for beta in (0.5, 0.01):
        g = _flat(_ep_grads(params, x, t, beta=beta).grads)
        stats[beta] = (float(g @ ref / jnp.linalg.norm(g) / jnp.linalg.norm(ref)),
                       float(jnp.linalg.norm(g) / jnp.linalg.norm(ref)))
    cos_small, ratio_small = stats[0.01]
    assert cos_small > 0.999 and abs(ratio_small - 1) < 0.03, stats
    # finite nudging is biased, and the bias shrinks with beta (the test can tell the two apart)
    assert stats[0.5][0] < cos_small and abs(stats[0.5][1] - 1) > abs(ratio_small - 1), stats


def test_free_phase_reaches_a_stationary_point_and_energy_decreases(small):
    params, x, t = small
    mm, mt = ep.digital_products(params)
    biases = [b for _, b in params]
    free = ep.relax(biases, x, mm, mt, steps=500, tol=1e-7)
    assert int(free.sweeps) < 500  # converged before the cap
    assert ep.stationarity(params, x, free.states) < 1e-5
    # a few sweeps are not yet stationary, and every sweep lowers the energy (exact block minimisation)
    one_sweep = jax.jit(lambda s: ep.relax(biases, x, mm, mt, steps=1, tol=-1.0, init=s).states)
    s = one_sweep([jnp.zeros((4, 8), F32), jnp.zeros((4, 5), F32), jnp.zeros((4, 3), F32)])
    assert ep.stationarity(params, x, s) > 1e-3
    energies = [float(jnp.sum(ep.energy(params, x, s)))]
    for _ in range(8):
        s = one_sweep(s)
        energies.append(float(jnp.sum(ep.energy(params, x, s))))
    assert all(b <= a + 1e-6 for a, b in zip(energies, energies[1:], strict=False)), energies
    # damped sweeps (eps < 1, Scellier & Bengio's leaky step) reach the same fixed point
    damped = ep.relax(biases, x, mm, mt, steps=2000, tol=1e-8, eps=0.5)
    for a, b in zip(damped.states, free.states, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)
    # the nudged phase is stationary for F = E + beta C, warm-started from s0
    nudged = ep.relax(biases, x, mm, mt, steps=500, tol=1e-7, beta=0.3, target=t, init=free.states)
    assert ep.stationarity(params, x, nudged.states, beta=0.3, target=t) < 1e-5
    assert ep.stationarity(params, x, nudged.states) > 1e-3  # but not for E alone


def test_clamped_variant_is_contrastive_hebbian_and_the_large_beta_limit(small):
    params, x, t = small
    chl = _ep_grads(params, x, t, variant="chl")
    np.testing.assert_array_equal(np.asarray(chl.nudged.states[-1]), np.asarray(t))  # outputs forced to the target
    # CHL by hand (Movellan 1991): dW = <s^c_l s^c_{l-1}^T> - <s^0_l s^0_{l-1}^T>
    n = x.shape[0]
    for i, (gw, gb) in enumerate(chl.grads):
        pre_c = x if i == 0 else chl.nudged.states[i - 1]
        pre_0 = x if i == 0 else chl.free.states[i - 1]
        dw = (np.asarray(chl.nudged.states[i]).T @ np.asarray(pre_c) - np.asarray(chl.free.states[i]).T @ np.asarray(pre_0)) / n
        np.testing.assert_allclose(-np.asarray(gw), dw, atol=1e-6)
        np.testing.assert_allclose(-np.asarray(gb), (np.asarray(chl.nudged.states[i]) - np.asarray(chl.free.states[i])).mean(0),
                                   atol=1e-6)
    # EP with a huge beta pins the outputs to the target: beta * (EP update) -> the CHL update
    big = 1e4
    g_ep = _flat(_ep_grads(params, x, t, beta=big).grads) * big
    np.testing.assert_allclose(np.asarray(g_ep), np.asarray(_flat(chl.grads)), atol=5e-3)
    assert float(jnp.abs(_flat(chl.grads)).max()) > 0.05  # a non-trivial update


def test_random_sign_beta(small, rbp):
    params, x, t = small
    mm, mt = ep.digital_products(params)
    biases = [b for _, b in params]
    cfg = ep.EqPropConfig(beta=0.2, random_sign=True, free_steps=400, nudged_steps=400, tol=0.0)
    step = jax.jit(lambda k: ep.eqprop_step(biases, x, t, mm, mt, cfg, k))
    runs = [step(jax.random.PRNGKey(k)) for k in range(8)]
    assert {round(float(r.beta), 6) for r in runs} == {0.2, -0.2}
    pos = next(r for r in runs if float(r.beta) > 0)
    neg = next(r for r in runs if float(r.beta) < 0)
    # the mean of the +beta and -beta estimates (what random signs average to) cancels the O(beta) bias
    ref = rbp
    err_one = float(jnp.linalg.norm(_flat(pos.grads) - ref))
    err_sym = float(jnp.linalg.norm((_flat(pos.grads) + _flat(neg.grads)) / 2 - ref))
    assert err_sym < 0.5 * err_one


def test_symmetric_beta_is_the_centred_difference(small, rbp):
    params, x, t = small
    mm, mt = ep.digital_products(params)
    biases = [b for _, b in params]
    kw = dict(free_steps=400, nudged_steps=400, tol=0.0)
    sym = ep.eqprop_step(biases, x, t, mm, mt, ep.EqPropConfig(beta=0.2, symmetric=True, **kw))
    pos = ep.eqprop_step(biases, x, t, mm, mt, ep.EqPropConfig(beta=0.2, **kw))
    neg = ep.eqprop_step(biases, x, t, mm, mt, ep.EqPropConfig(beta=-0.2, **kw))
    # (P(+b) - P(-b)) / 2b = mean of the one-sided +b and -b estimates taken from the same free state
    np.testing.assert_allclose(np.asarray(_flat(sym.grads)), np.asarray((_flat(pos.grads) + _flat(neg.grads)) / 2),
                               atol=1e-5)
    np.testing.assert_allclose(np.asarray(sym.nudged_neg.states[-1]), np.asarray(neg.nudged.states[-1]), atol=1e-6)
    assert pos.nudged_neg is None and int(pos.nudged_sweeps) == int(pos.nudged.sweeps)
    assert int(sym.nudged_sweeps) == int(pos.nudged.sweeps) + int(neg.nudged.sweeps)  # the ledger counts both phases
    err_one = float(jnp.linalg.norm(_flat(pos.grads) - rbp))
    assert float(jnp.linalg.norm(_flat(sym.grads) - rbp)) < 0.5 * err_one  # O(beta^2) bias, not O(beta)
    for bad, word in ((dict(beta=1.0, symmetric=True), "|beta| < 1"),
                      (dict(beta=0.5, symmetric=True, random_sign=True), "random-sign"),
                      (dict(beta=0.5, symmetric=True, variant="chl"), "chl")):
        with pytest.raises(ValueError, match=re.escape(word)):
            ep.EqPropConfig(**bad)


def test_products_go_through_the_callables(small):
    """Every product of the relaxation uses the callables: noisy products change the states, keys are used."""
    params, x, t = small
    mm, mt = ep.digital_products(params)
    calls = {"mm": 0, "mt": 0}

    def counting_mm(i, s, key):
        calls["mm"] += 1
        return mm(i, s) + 0.05 * jax.random.normal(key, (s.shape[0], params[i][0].shape[0]), F32)

    def counting_mt(i, s, key):
        calls["mt"] += 1
        return mt(i, s) + 0.05 * jax.random.normal(key, (s.shape[0], params[i][0].shape[1]), F32)

    cfg = ep.EqPropConfig(free_steps=5, nudged_steps=3)
    noisy = ep.eqprop_step([b for _, b in params], x, t, counting_mm, counting_mt, cfg, jax.random.PRNGKey(3))
    clean = ep.eqprop_step([b for _, b in params], x, t, mm, mt, cfg)
    assert calls["mm"] > 0 and calls["mt"] > 0
    assert not np.allclose(np.asarray(noisy.free.states[0]), np.asarray(clean.free.states[0]), atol=1e-3)


def test_bad_input_gives_clear_errors(small):
    params, x, t = small
    mm, mt = ep.digital_products(params)
    for beta in (0.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="--beta"):
            ep.EqPropConfig(beta=beta)
    with pytest.raises(ValueError, match="|beta| < 1"):
        ep.EqPropConfig(beta=1.5, random_sign=True)
    with pytest.raises(ValueError, match="--free-steps"):
        ep.EqPropConfig(free_steps=0)
    with pytest.raises(ValueError, match="--nudged-steps"):
        ep.EqPropConfig(nudged_steps=0)
    for eps in (0.0, 1.5):
        with pytest.raises(ValueError, match="--relax-step"):
            ep.EqPropConfig(eps=eps)
    with pytest.raises(ValueError, match="--eqprop-variant"):
        ep.EqPropConfig(variant="hebb")
    with pytest.raises(ValueError, match="steps must be >= 1"):
        ep.relax([b for _, b in params], x, mm, mt, steps=0)
    with pytest.raises(ValueError, match="no transpose"):
        ep.eqprop_step([b for _, b in params], x, t, mm, None, ep.EqPropConfig())
    # a core that cannot run W^T s (e.g. a forward-only mesh) is refused by the hardware path too
    from types import SimpleNamespace

    meshy = SimpleNamespace(core=SimpleNamespace(kind="mesh", supports_transpose=False),
                            program=lambda hs, key, transpose=False: None)
    hs = SimpleNamespace(bias=tuple(b for _, b in params))
    with pytest.raises(ValueError, match="'mesh' core has no transpose"):
        ep.controller_update(meshy, ep.EqPropConfig(), hs, x, t, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="--layer-scale"):
        ep.eqprop_step([b for _, b in params], x, t, mm, mt, ep.EqPropConfig(layer_scale=(1.0, 0.5)))
    with pytest.raises(ValueError, match="needs a PRNG key"):
        ep.eqprop_step([b for _, b in params], x, t, mm, mt, ep.EqPropConfig(random_sign=True))


# ------------------------------------------------------------------ Braille


def test_braille_letters_follow_the_standard_alphabet():
    pats = {c: br.cell(c) for c in br.LETTERS}
    assert len({p.tobytes() for p in pats.values()}) == 26  # 26 distinct cells
    top = "abcdefghij"
    for a, k in zip(top, "klmnopqrst", strict=True):  # second decade = first + dot 3
        np.testing.assert_array_equal(pats[k], pats[a] + np.eye(6, dtype=np.float32)[2])
    for a, u in zip("abcde", "uvxyz", strict=True):  # third decade = first + dots 3 and 6
        np.testing.assert_array_equal(pats[u], pats[a] + np.eye(6, dtype=np.float32)[2] + np.eye(6, dtype=np.float32)[5])
    np.testing.assert_array_equal(pats["w"], pats["j"] + np.eye(6, dtype=np.float32)[5])
    assert all(pats[c][[2, 5]].sum() == 0 for c in top)  # a-j use only the top two rows
    np.testing.assert_array_equal(pats["a"], [1, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="a-z"):
        br.cell("7")


def test_braille_rendering_and_noise():
    img = br.render(br.cells("b").ravel(), dot_px=1)
    np.testing.assert_array_equal(img, [[1, 0], [1, 0], [0, 0]])  # dots 1, 2: left column, top two
    word = br.render(br.cells("cab").ravel(), dot_px=2)
    assert word.shape == (6, 2 * (3 * 3 - 1))
    np.testing.assert_array_equal(word[:, 4:6], 0)  # blank gap column between cells
    rng = np.random.default_rng(0)
    clean = np.zeros((200, 54), np.float32)
    flipped = br.corrupt(clean, rng, flip=0.2, sigma=0.0)
    assert set(np.unique(flipped)) == {0.0, 1.0}
    p = flipped.mean()
    assert abs(p - 0.2) < 4 * math.sqrt(0.2 * 0.8 / flipped.size)
    gauss = br.corrupt(clean + 0.5, rng, flip=0.0, sigma=0.1)
    assert abs(gauss.std() - 0.1) < 0.005 and abs(gauss.mean() - 0.5) < 0.005
    with pytest.raises(ValueError, match="flip"):
        br.corrupt(clean, rng, flip=1.5)


def test_braille_dataset():
    d = load_dataset("braille")
    assert d.name == "braille" and d.n_classes == 26 and d.x_train.shape == (5200, 54) and d.x_test.shape == (1560, 54)
    assert d.x_train.dtype == np.float32 and 0 <= d.x_train.min() and d.x_train.max() <= 1
    assert np.bincount(d.y_train).tolist() == [200] * 26
    again = load_dataset("braille")
    np.testing.assert_array_equal(d.x_train, again.x_train)  # seeded
    # the noisy images sit near their clean cells: nearest clean template recovers most labels
    templates = br.render(br.dots(np.arange(26)), 3).reshape(26, -1)
    nearest = np.argmin(((d.x_test[:, None, :] - templates[None]) ** 2).sum(-1), 1)
    assert (nearest == d.y_test).mean() > 0.97
    w = load_dataset("braille-words")
    assert w.n_classes == len(br.WORDS) and w.x_train.shape[1] == 3 * 3 * 3 * (3 * 3 - 1)
    assert br.dots(w.y_test[:2], br.WORDS).shape == (2, 18)


def test_tiny_eqprop_run_learns_braille():
    d = br.load_braille(seed=1, n_train=40, n_test=20)
    sizes = [54, 64, 26]
    params = ep.init_eqprop(jax.random.PRNGKey(0), sizes)
    epoch = ep.make_float_epoch(ep.EqPropConfig(beta=1.0, free_steps=20, nudged_steps=10), (0.1, 0.02))
    pred = ep.float_predict_fn(20)
    acc0 = float((np.asarray(pred(params, jnp.asarray(d.x_test))).argmax(1) == d.y_test).mean())
    b = 10
    nb = len(d.x_train) // b
    for e in range(8):
        order = np.random.default_rng(e).permutation(len(d.x_train))[: nb * b]
        xs = jnp.asarray(d.x_train[order].reshape(nb, b, -1))
        ts = jnp.asarray(np.eye(26, dtype=np.float32)[d.y_train[order]].reshape(nb, b, -1))
        params, (losses, _, _) = epoch(params, xs, ts, jax.random.PRNGKey(e))
    acc = float((np.asarray(pred(params, jnp.asarray(d.x_test))).argmax(1) == d.y_test).mean())
    assert acc0 < 0.2 and acc > 0.8, (acc0, acc)


def test_eqprop_run_through_the_controller(tmp_path):
    """--algorithm eqprop in the run loop (products through the controller): results.json, learning curve, ledger."""
    import json

    from photrain.train import TrainConfig, train

    cfg = TrainConfig(dataset="braille", hidden=(32,), algorithm="eqprop", epochs=1, batch_size=20, lr=0.1,
                      momentum=0.0, beta=1.0, free_steps=30, nudged_steps=3, chunk=300)
    r = train(cfg, tmp_path / "run", progress=False)
    saved = json.loads((tmp_path / "run" / "results.json").read_text())
    assert (tmp_path / "run" / "learning_curve.png").exists() and saved["config"]["algorithm"] == "eqprop"
    assert r["test_acc_at_best_val"] > 0.2  # above chance (1/26) after one short epoch
    led = saved["ledger"]
    sizes, b, n_steps = [54, 32, 26], 20, 5200 // 20
    # W1 x once per batch, W2 s_1 and W2^T s_2 for every sweep the two phases ran (at most their caps, 30 + 3;
    # at least 1 + 1), two outer products: digital MACs = n_steps * base + sweeps * per_sweep
    base, per_sweep = b * 54 * 32 + 2 * b * (54 * 32 + 32 * 26), b * 2 * 32 * 26
    sweeps, rem = divmod(led["digital_macs"] - n_steps * base, per_sweep)
    assert rem == 0 and 2 * n_steps <= sweeps <= 33 * n_steps and led["steps"] == n_steps, (led, sizes)
    assert sweeps < 33 * n_steps  # float products settle below tol before the caps: the ledger counts what ran


def test_eqprop_cli_flags(tmp_path, capsys):
    """photrain train --algorithm eqprop: bad flags are one line and exit 2; a short run writes results.json."""
    import json

    from photrain.cli import main

    for flags, word in ((["--beta", "0"], "--beta"), (["--free-steps", "0"], "--free-steps"),
                        (["--beta", "nan"], "--beta"), (["--layer-scale", "1"], "--layer-scale"),
                        (["--symmetric-beta", "--random-sign-beta"], "--symmetric-beta")):
        assert main(["train", "--algorithm", "eqprop", "--dataset", "braille", "--hidden", "16", *flags,
                     "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and word in err, err
    assert main(["train", "--algorithm", "eqprop", "--dataset", "braille", "--hidden", "16", "--epochs", "1",
                 "--batch-size", "40", "--lr", "0.1", "--momentum", "0", "--beta", "1", "--free-steps", "4",
                 "--nudged-steps", "2", "--eqprop-variant", "chl", "--layer-scale", "1", "0.5", "--quiet",
                 "--out", str(tmp_path / "run")]) == 0
    r = json.loads((tmp_path / "run" / "results.json").read_text())
    assert r["config"]["eqprop_variant"] == "chl" and r["config"]["layer_scale"] == [1.0, 0.5]
