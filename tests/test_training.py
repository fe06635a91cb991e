"""Learning rules, controller, data loading, training runs, checkpoints and their errors."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.cli import main
from photrain.controller import SGD, Ledger
from photrain.memory import FixedPointMemory
from photrain.train import OpticalConfig, TrainConfig, TrainingDiverged, load_dataset, train
from photrain.train import algorithms as alg
from photrain.train.data import read_idx
from photrain.train.network import cross_entropy, forward, init_mlp
from photrain.train.trainer import load_checkpoint


@pytest.fixture(scope="module")
def tiny():
    key = jax.random.PRNGKey(0)
    x = jax.random.uniform(key, (8, 6), jnp.float32)
    y = jnp.array([0, 1, 2, 0, 1, 2, 0, 1])
    return x, y


def test_backprop_gradients_match_finite_differences(tiny, x64):
    x, y = tiny
    params = [(w.astype(jnp.float64), b.astype(jnp.float64)) for w, b in init_mlp(jax.random.PRNGKey(1), [6, 5, 3])]
    _, grads = alg.backprop_grads(params, x.astype(jnp.float64), y)

    def loss(p):
        return float(cross_entropy(forward(p, x.astype(jnp.float64))[0], y))

    eps = 1e-6
    for layer in range(2):
        for idx in [(0, 0), (2, 3), (1, 4)]:
            w, b = params[layer]
            plus = [list(p) for p in params]
            minus = [list(p) for p in params]
            plus[layer][0] = w.at[idx].add(eps)
            minus[layer][0] = w.at[idx].add(-eps)
            fd = (loss(plus) - loss(minus)) / (2 * eps)
            assert float(grads[layer][0][idx]) == pytest.approx(fd, rel=1e-5, abs=1e-9)


def test_dfa_with_transposed_weights_equals_backprop_for_one_hidden_layer(tiny):
    """B = W_out^T (times sqrt(width), undoing the reference scaling) makes DFA exact for the hidden layer."""
    x, y = tiny
    params = init_mlp(jax.random.PRNGKey(2), [6, 5, 3])
    width = 5
    feedback = [params[1][0].T * jnp.sqrt(jnp.float32(width))]
    _, g_dfa = alg.dfa_grads(params, x, y, alg.ideal_projection(feedback))
    _, g_bp = alg.backprop_grads(params, x, y)
    for (a, b), (c, d) in zip(g_dfa, g_bp, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(b, d, rtol=1e-5, atol=1e-7)


def test_reference_noise_matches_its_formula(tiny):
    x, y = tiny
    feedback = alg.init_feedback(jax.random.PRNGKey(3), [6, 5, 3])
    key = jax.random.PRNGKey(4)
    e = jax.random.normal(jax.random.PRNGKey(5), (8, 3), jnp.float32)
    got = alg.reference_noise_projection(feedback, key, sigma=0.618, mu=0.03)(0, e)
    k0 = jax.random.split(key, 1)[0]
    expected = e @ feedback[0].T + jnp.max(jnp.abs(e)) * (0.03 + 0.618 * jax.random.normal(k0, (8, 5), jnp.float32))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    noise = np.asarray(got - e @ feedback[0].T) / float(jnp.max(jnp.abs(e)))
    assert abs(noise.mean() - 0.03) < 0.5 and noise.std() > 0.3  # it is really noisy


def test_fixed_point_memory():
    w = jnp.linspace(-1.5, 1.5, 1001, dtype=jnp.float32)
    mem = FixedPointMemory(bits=4, w_max=1.0)
    q = np.asarray(mem.read(mem.init(w)))
    assert len(np.unique(q)) == 16 and q.min() == -1.0 and q.max() == 1.0
    inside = np.abs(np.asarray(w)) <= 1
    assert np.max(np.abs(q - np.asarray(w))[inside]) <= mem.step / 2 + 1e-6
    st = FixedPointMemory(bits=4, rounding="stochastic")
    zero = st.init(jnp.zeros(2000, jnp.float32), jax.random.PRNGKey(0))
    samples = np.stack([np.asarray(st.read(st.update(zero, jnp.full(2000, 0.05, jnp.float32), jax.random.PRNGKey(i))))
                        for i in range(5)])
    assert samples.mean() == pytest.approx(0.05, abs=0.01)  # unbiased
    with pytest.raises(ValueError, match="needs a jax.random key"):
        st.update(zero, jnp.zeros(2000, jnp.float32), None)
    with pytest.raises(ValueError, match="bits must be in"):
        FixedPointMemory(bits=0)


def test_sgd_momentum_update():
    sgd = SGD(lr=0.1, momentum=0.5)
    grads = [(jnp.full((2, 2), 2.0), jnp.ones(2))]
    v1, d1 = sgd.step(sgd.init(grads), grads)
    _, d2 = sgd.step(v1, grads)
    np.testing.assert_allclose(d1[0][0], -0.1 * 2)
    np.testing.assert_allclose(d2[0][0], -0.1 * (0.5 * 2 + 2))
    np.testing.assert_allclose(d2[0][1], -0.1 * (0.5 * 1 + 1))
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.5)


def test_ledger_add_and_errors():
    led = Ledger().add(optical_macs=5).add(Ledger(optical_macs=2, steps=1))
    assert led.optical_macs == 7 and led.steps == 1
    with pytest.raises(KeyError, match="unknown ledger entry"):
        led.add(flops=1)


def test_mnist_loader_reads_idx(tmp_path):
    d = load_dataset("mnist")  # PHOTRAIN_DATA_DIR points at ../shared/datasets
    assert d.x_train.shape == (60000, 784) and d.x_test.shape == (10000, 784)
    x = np.asarray(d.x_train)
    assert x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert np.bincount(d.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    bad = tmp_path / "bad-idx3-ubyte"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(ValueError, match="not an unsigned-byte IDX"):
        read_idx(bad)


def test_digits_are_scikit_learns_without_importing_it():
    """photrain reads scikit-learn's shipped digits table itself (no ~1.2 s import of scikit-learn per process): the
    same images and labels as sklearn.datasets.load_digits, split by the seed."""
    import subprocess
    import sys

    from sklearn.datasets import load_digits as sk_digits

    d, ref = load_dataset("digits"), sk_digits()
    x, y = (ref.data / 16.0).astype(np.float32), ref.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(x))
    np.testing.assert_array_equal(d.x_test, x[order[:359]])
    np.testing.assert_array_equal(d.y_test, y[order[:359]])
    np.testing.assert_array_equal(d.x_train, x[order[359:]])
    np.testing.assert_array_equal(d.y_train, y[order[359:]])
    code = ("import sys; from photrain.train.datasets.digits import load_digits; load_digits(); "
            "print('sklearn' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_missing_data_says_where_to_put_it(tmp_path, monkeypatch):
    import photrain.train.datasets.idx as data

    monkeypatch.setattr(data, "SOURCES", {"mnist": ("mnist", ("http://127.0.0.1:9/",), data.SOURCES["mnist"][2], "raw")})
    with pytest.raises(FileNotFoundError, match="Copy the four standard IDX"):
        data.load_idx_dataset("mnist", tmp_path)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("cifar")


def test_two_epochs_on_digits_reach_90_percent(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(128, 128), algorithm="dfa", epochs=2, batch_size=8, lr=0.02)
    r = train(cfg, tmp_path, progress=False)
    assert r["test_acc_at_best_val"] > 0.90
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["epochs_run"] == 2 and (tmp_path / "learning_curve.png").stat().st_size > 5000
    assert saved["ledger"]["steps"] == 2 * (1438 // 8)
    # the run trained an Equinox MLP through photrain.nn.fit; results["state"] is still the controller's state
    import photrain.nn as pnn
    from photrain.train.trainer import make_run_controller

    assert [type(layer).__name__ for layer in r["model"].layers] == ["Dense"] * 3
    weights = make_run_controller(cfg, 10).weights(r["state"])
    for (w, b), (w2, b2) in zip(weights, r["params"], strict=True):
        np.testing.assert_array_equal(w, w2)
        np.testing.assert_array_equal(b, b2)
    from photrain.train.trainer import evaluation_split

    _, (x_test, y_test) = evaluation_split(cfg, load_dataset("digits"))
    assert pnn.evaluate(r["model"], x_test, y_test, through="digital") == pytest.approx(saved["history"][-1]["test_acc"])


def test_optical_dfa_on_ideal_core_equals_digital_dfa(tmp_path):
    common = dict(dataset="digits", hidden=(32,), epochs=1, batch_size=32, lr=0.02)
    digital = train(TrainConfig(algorithm="dfa", **common), tmp_path / "d", progress=False)
    optical = train(TrainConfig(algorithm="optical-dfa", optical=OpticalConfig(ideal=True), **common),
                    tmp_path / "o", progress=False)
    for (a, b), (c, d) in zip(digital["params"], optical["params"], strict=True):
        np.testing.assert_allclose(a, c, atol=2e-5)
        np.testing.assert_allclose(b, d, atol=2e-5)


def test_optical_dfa_with_noise_learns_and_counts_optical_work(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(64,), algorithm="optical-dfa", epochs=2, batch_size=16, lr=0.05,
                      optical=OpticalConfig(core_rows=16))
    r = train(cfg, tmp_path, progress=False)
    assert r["test_acc_at_best_val"] > 0.85
    steps = 2 * (1438 // 16)
    led = r["ledger"]
    assert led["optical_macs"] == steps * 16 * 64 * 10  # batch x width x classes, one pass (offset scheme)
    assert led["adc_conversions"] == steps * 16 * 64
    assert led["programmings"] == 64 // 16  # B programmed once, 4 row blocks


def test_resume_gives_same_weights_as_uninterrupted(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(32,), algorithm="optical-dfa", epochs=3, batch_size=32, lr=0.02,
                      memory="fixed", memory_params={"bits": 8, "rounding": "stochastic"},
                      optical=OpticalConfig(core_rows=16))
    full = train(cfg, tmp_path / "full", progress=False)
    train(cfg, tmp_path / "cut", progress=False, stop_after_epoch=1)
    resumed = train(cfg, tmp_path / "cut", progress=False, resume=True)
    for (a, b), (c, d) in zip(full["params"], resumed["params"], strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.npz")["epoch"] == 3


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(32,), algorithm="backprop", epochs=2, batch_size=32, lr=1e30)
    with pytest.raises(TrainingDiverged, match="Lower --lr") as err:
        train(cfg, tmp_path, progress=False)
    assert "checkpoint" in str(err.value)
    assert not (tmp_path / "checkpoint.npz.tmp").exists()


def test_bad_training_arguments():
    with pytest.raises(ValueError, match="unknown algorithm"):
        TrainConfig(algorithm="hebbian")
    with pytest.raises(ValueError, match="hidden widths"):
        TrainConfig(hidden=(0,))
    with pytest.raises(ValueError, match="--lr must be > 0"):
        TrainConfig(lr=-1)


def test_resume_without_checkpoint_and_with_other_config(tmp_path, capsys):
    assert main(["train", "--dataset", "digits", "--out", str(tmp_path), "--resume", "--quiet"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    cfg = TrainConfig(dataset="digits", hidden=(16,), algorithm="dfa", epochs=1)
    train(cfg, tmp_path, progress=False)
    with pytest.raises(ValueError, match="different configuration"):
        train(TrainConfig(dataset="digits", hidden=(16,), algorithm="dfa", epochs=1, lr=0.5), tmp_path, resume=True)


def test_cli_train_writes_results(tmp_path, capsys):
    rc = main(["train", "--dataset", "digits", "--hidden", "32", "--algorithm", "optical-dfa", "--epochs", "1",
               "--batch-size", "32", "--out", str(tmp_path), "--quiet"])
    assert rc == 0
    assert "test" in capsys.readouterr().out
    assert (tmp_path / "results.json").exists() and (tmp_path / "checkpoint.npz").exists()


def test_forward_on_ideal_cores_equals_digital_dfa(tmp_path):
    common = dict(dataset="digits", hidden=(32,), epochs=1, batch_size=32, lr=0.02)
    digital = train(TrainConfig(algorithm="dfa", **common), tmp_path / "d", progress=False)
    optical = train(TrainConfig(algorithm="dfa", core="bank", optical=OpticalConfig(ideal=True), **common),
                    tmp_path / "o", progress=False)
    for (a, b), (c, d) in zip(digital["params"], optical["params"], strict=True):
        np.testing.assert_allclose(a, c, atol=5e-5)
        np.testing.assert_allclose(b, d, atol=5e-5)


def test_forward_on_noisy_cores_learns_and_ledger_counts_reprogramming(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(32,), algorithm="optical-dfa", epochs=2, batch_size=16, lr=0.05,
                      core="bank", optical=OpticalConfig(core_rows=16))
    r = train(cfg, tmp_path, progress=False)
    assert r["test_acc_at_best_val"] > 0.8
    steps, b = 2 * (1438 // 16), 16
    # 64 inputs -> 32 hidden -> 10 classes on a 16-row x 10-channel bank, offset scheme (one pass per block)
    fwd_blocks = [(-(-32 // 16)) * (-(-64 // 10)), (-(-10 // 16)) * (-(-32 // 10))]  # row blocks x column blocks
    led = r["ledger"]
    assert led["programmings"] == steps * sum(fwd_blocks) + 32 // 16
    assert led["optical_macs"] == steps * b * (64 * 32 + 32 * 10 + 32 * 10)
    assert led["adc_conversions"] == steps * b * (32 * 7 + 10 * 4 + 32)


def test_reference_data_order_and_standardisation(tmp_path, monkeypatch):
    """shuffle=False feeds the training file in its own order whatever the seed; shuffle=True draws it from the seed."""
    import importlib

    from photrain.train.trainer import standardized

    nn_fit = importlib.import_module("photrain.nn.fit")  # the module (photrain.nn.fit is also the function's name)

    data = load_dataset("digits")
    s = standardized(data)
    assert abs(float(s.x_train.mean())) < 1e-5 and abs(float(s.x_train.std()) - 1) < 1e-4
    fed, order = [], nn_fit._epoch_order

    def recording(key, epoch, n, shuffle):  # the order photrain.nn.fit trains the images in, every epoch
        o = order(key, epoch, n, shuffle)
        fed[-1].append(np.asarray(data.y_train)[o])
        return o

    monkeypatch.setattr(nn_fit, "_epoch_order", recording)

    def labels_fed(**kw):
        fed.append([])
        r = train(TrainConfig(dataset="digits", hidden=(8,), algorithm="dfa", epochs=2, batch_size=32, lr=0.02,
                              standardize=True, **kw), tmp_path / str(len(fed)), progress=False)
        return np.concatenate(fed[-1]), r["ledger"]["steps"]

    (file1, steps), (file2, _) = labels_fed(shuffle=False, seed=1), labels_fed(shuffle=False, seed=2)
    assert len(data.y_train) % 32  # 1438 images: a last partial batch of 30, trained on as the reference does
    assert steps == 2 * (1438 // 32 + 1)
    np.testing.assert_array_equal(file1, np.tile(np.asarray(data.y_train), 2))  # the whole file, in order, every epoch
    n = len(data.y_train)
    np.testing.assert_array_equal(file2, file1)  # ... whatever the seed
    (shuf1, steps), (shuf2, _) = labels_fed(shuffle=True, seed=1), labels_fed(shuffle=True, seed=2)
    assert steps == 2 * (1438 // 32)  # a shuffled epoch drops its (random) remainder
    assert not np.array_equal(shuf1, file1) and not np.array_equal(shuf1, shuf2)
    assert not np.array_equal(shuf1[:n], shuf1[n:])  # a fresh permutation each epoch


def test_no_shuffle_trains_the_last_partial_batch_and_counts_it(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(8,), algorithm="dfa", epochs=1, batch_size=100, lr=0.02, shuffle=False)
    r = train(cfg, tmp_path, progress=False)
    assert r["ledger"]["steps"] == 15  # 14 full batches of 100 + one of 38 (1438 images)
    shuffled = train(TrainConfig(**{**cfg.__dict__, "shuffle": True}), tmp_path / "s", progress=False)
    assert shuffled["ledger"]["steps"] == 14  # a shuffled epoch leaves its (random) remainder for later epochs
    two = TrainConfig(**{**cfg.__dict__, "epochs": 2, "memory": "fixed",
                         "memory_params": {"bits": 8, "rounding": "stochastic"}})  # keyed randomness every step
    full = train(two, tmp_path / "full", progress=False)
    train(two, tmp_path / "cut", progress=False, stop_after_epoch=1)
    resumed = train(two, tmp_path / "cut", progress=False, resume=True)
    for (a, b), (c, d) in zip(full["params"], resumed["params"], strict=True):  # the partial batch's key resumes too
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_validation_split_is_seeded_by_the_run_seed():
    from photrain.train.trainer import evaluation_split

    data = load_dataset("digits")
    (xv1, yv1), (xt1, _) = evaluation_split(TrainConfig(seed=1, val_size=100), data)
    (xv2, _), _ = evaluation_split(TrainConfig(seed=2, val_size=100), data)
    (xv1b, yv1b), _ = evaluation_split(TrainConfig(seed=1, val_size=100), data)
    assert len(xv1) == 100 and len(xt1) == len(data.x_test) - 100
    np.testing.assert_array_equal(xv1, xv1b)  # the same seed gives the same split (resume, reruns)
    assert not np.array_equal(xv1, xv2)  # another seed, another split
    both = np.concatenate([xv1, xt1])  # a partition of the test set: every image once
    np.testing.assert_array_equal(np.sort(both, axis=0), np.sort(data.x_test, axis=0))


def test_uint8_inputs_are_read_as_the_dataset_reads_them():
    """A run keeps 8-bit images on the device as their codes; the MLP reads them with the same float32 operations as
    Uint8Images indexing, so training on the codes is bit-identical to training on the decoded floats."""
    import dataclasses

    import optax

    import photrain.nn as pnn
    from photrain.train.datasets.base import Uint8Images
    from photrain.train.network import build_mlp, weights

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (96, 12), dtype=np.uint8)
    y = rng.integers(0, 3, 96)
    images = Uint8Images(codes).standardized(0.1307, 0.3081)
    plain = build_mlp(init_mlp(jax.random.PRNGKey(0), [12, 8, 3]), pnn.Hardware(), jax.random.PRNGKey(1))
    reading = dataclasses.replace(plain, pixels=(images.shift, images.scale))
    np.testing.assert_array_equal(jax.vmap(reading)(jnp.asarray(codes)), jax.vmap(plain)(jnp.asarray(images[:])))
    np.testing.assert_array_equal(jax.vmap(reading)(jnp.asarray(images[:])), jax.vmap(plain)(jnp.asarray(images[:])))
    runs = [pnn.fit(m, optax.sgd(0.05, momentum=0.9), (x, y), algorithm="dfa", epochs=1, batch_size=16,
                    key=jax.random.PRNGKey(2), progress=False)[0] for m, x in ((reading, codes), (plain, images[:]))]
    for (a, b), (c, d) in zip(weights(runs[0]), weights(runs[1]), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert not np.array_equal(weights(runs[0])[0][0], weights(plain)[0][0])  # it trained


def test_standardized_8bit_run_trains_on_the_codes_and_resumes_bit_exactly(tmp_path, monkeypatch):
    """An 8-bit dataset (MNIST's Uint8Images) with --standardize trains on its codes on the device, and resumes."""
    import dataclasses

    import photrain.train.trainer as trainer
    from photrain.train.datasets.base import Uint8Images

    digits = load_dataset("digits")
    codes = np.round(np.asarray(digits.x_train) / 16 * 255).astype(np.uint8)
    fake = dataclasses.replace(digits, x_train=Uint8Images(codes), x_test=np.round(digits.x_test / 16 * 255) / 255)
    monkeypatch.setattr(trainer, "load_dataset", lambda *a, **k: fake)
    cfg = TrainConfig(dataset="digits", hidden=(16,), algorithm="dfa", epochs=2, batch_size=32, lr=0.05,
                      standardize=True)
    full = train(cfg, tmp_path / "full", progress=False)
    assert full["model"].pixels[0] == pytest.approx(float(codes.mean() / 255), rel=1e-6)  # read as the set's moments
    assert full["test_acc_at_best_val"] > 0.5
    train(cfg, tmp_path / "cut", progress=False, stop_after_epoch=1)
    resumed = train(cfg, tmp_path / "cut", progress=False, resume=True)
    for (a, b), (c, d) in zip(full["params"], resumed["params"], strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
