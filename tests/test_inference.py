"""Inference through the hardware (photrain.train.inference): validation/test accuracy on the run's core."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.cli import main
from photrain.controller.hardware import MeshConfig
from photrain.train import CrossbarConfig, OpticalConfig, TrainConfig, train
from photrain.train import eqprop as ep
from photrain.train.inference import eval_key, hardware_accuracy, make_hardware_predict
from photrain.train.network import forward, init_mlp
from photrain.train.trainer import make_run_controller

SIZES = [64, 24, 10]


def _controller_state(config):
    ctrl = make_run_controller(config, 10)
    k = jax.random.PRNGKey(3)
    params = ep.init_eqprop(k, SIZES) if config.algorithm == "eqprop" else init_mlp(k, SIZES)
    params = [(w, b + 0.1) for w, b in params]  # non-zero biases, so the hardware path must add them
    return ctrl, ctrl.init(params, jax.random.PRNGKey(4))


def _batches(n=2, batch=16, seed=0):
    return jax.random.uniform(jax.random.PRNGKey(seed), (n, batch, SIZES[0]), jnp.float32)


@pytest.mark.parametrize("hardware", [dict(core="bank", optical=OpticalConfig(ideal=True, core_rows=16)),
                                      dict(core="crossbar", crossbar=CrossbarConfig(ideal=True)),
                                      dict(core="mesh", mesh=MeshConfig(n=16, ideal=True))],  # programmed on the host
                         ids=["bank", "crossbar", "mesh"])
def test_ideal_core_inference_equals_digital_logits(hardware):
    config = TrainConfig(algorithm="dfa", hidden=(SIZES[1],), **hardware)
    ctrl, hs = _controller_state(config)
    xs = _batches()
    hw = np.asarray(make_hardware_predict(config, ctrl)(hs, xs, eval_key(1, 0)))
    digital = np.stack([np.asarray(forward(ctrl.weights(hs), x)[0]) for x in xs])
    assert hw.shape == digital.shape == (2, 16, 10)
    np.testing.assert_allclose(hw, digital, rtol=1e-4, atol=1e-4 * np.abs(digital).max())


def test_ideal_crossbar_eqprop_inference_equals_the_float_free_phase():
    config = TrainConfig(algorithm="eqprop", hidden=(SIZES[1],), core="crossbar", crossbar=CrossbarConfig(ideal=True),
                         free_steps=12)
    ctrl, hs = _controller_state(config)
    xs = _batches()
    hw = np.asarray(make_hardware_predict(config, ctrl)(hs, xs, eval_key(1, 0)))
    f = ep.float_predict_fn(config.free_steps, 1e-4, config.relax_step)
    digital = np.stack([np.asarray(f(ctrl.weights(hs), x)) for x in xs])
    np.testing.assert_allclose(hw, digital, atol=1e-4)


def test_noisy_core_inference_is_noisy_and_fixed_by_its_key():
    config = TrainConfig(algorithm="dfa", hidden=(SIZES[1],), core="bank",
                         optical=OpticalConfig(core_rows=16, power_per_channel=1e-6))  # 1 µW: noise dominates
    ctrl, hs = _controller_state(config)
    xs = _batches()
    predict = make_hardware_predict(config, ctrl)
    a, b = np.asarray(predict(hs, xs, eval_key(1, 0))), np.asarray(predict(hs, xs, eval_key(1, 0)))
    c = np.asarray(predict(hs, xs, eval_key(1, 1)))
    digital = np.stack([np.asarray(forward(ctrl.weights(hs), x)[0]) for x in xs])
    np.testing.assert_array_equal(a, b)  # one key, one measurement (resumed runs measure the same)
    assert not np.allclose(a, c)  # another epoch's key, fresh detector noise
    assert np.std(a - digital) > 0.05 * np.std(digital)  # the noise reaches the logits
    same = np.asarray(predict(hs, jnp.stack([xs[0], xs[0]]), eval_key(1, 0)))
    assert not np.array_equal(same[0], same[1])  # the same images in two batches: each batch has its own noise
    # accuracy over padded batches: every image counted once, the padding never
    x = np.asarray(xs.reshape(-1, SIZES[0]))[:21]
    y = np.arange(21) % 10
    acc_val, acc_test = hardware_accuracy(predict, hs, [(x[:13], y[:13]), (x[13:], y[13:])], eval_key(1, 0), batch=8)
    out = np.asarray(predict(hs, jnp.asarray(np.concatenate([x, np.zeros((3, SIZES[0]), np.float32)]).reshape(3, 8, -1)),
                             eval_key(1, 0))).reshape(24, -1)[:21]
    hits = out.argmax(-1) == y
    assert (acc_val, acc_test) == (hits[:13].mean(), hits[13:].mean())


def test_run_on_ideal_bank_reports_equal_hardware_accuracy(tmp_path, capsys):
    rc = main(["train", "--dataset", "digits", "--hidden", "16", "--algorithm", "dfa", "--epochs", "2",
               "--batch-size", "64", "--lr", "0.05", "--forward-on-cores", "--ideal-core", "--core-rows", "16",
               "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    assert out.count("hardware: val") == 2  # the per-epoch line has both
    assert "% through the hardware)" in out  # and the final line
    saved = json.loads((tmp_path / "results.json").read_text())
    for h in saved["history"]:  # an ideal core computes the same products: the same predictions
        assert h["hw_val_acc"] == h["val_acc"] and h["hw_test_acc"] == h["test_acc"]
        assert h["hw_eval_time_s"] > 0 and h["eval_time_s"] > 0
    assert saved["hw_test_acc_at_best_val"] == saved["test_acc_at_best_val"]
    assert saved["mean_hw_eval_time_s"] > 0 and saved["mean_train_time_s"] > 0


def test_noisy_core_run_resumes_with_the_same_hardware_accuracy(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(16,), algorithm="dfa", epochs=2, batch_size=64, lr=0.05, core="bank",
                      optical=OpticalConfig(core_rows=16, power_per_channel=2e-6))
    full = train(cfg, tmp_path / "full", progress=False)
    train(cfg, tmp_path / "cut", progress=False, stop_after_epoch=1)
    resumed = train(cfg, tmp_path / "cut", progress=False, resume=True)
    keys = ("val_acc", "test_acc", "hw_val_acc", "hw_test_acc")
    assert [[h[k] for k in keys] for h in full["history"]] == [[h[k] for k in keys] for h in resumed["history"]]
    assert any(h["hw_test_acc"] != h["test_acc"] for h in full["history"])  # 2 µW per channel: noise shows
    digital = train(TrainConfig(**{**cfg.__dict__, "core": "digital", "epochs": 1}), tmp_path / "d", progress=False)
    assert not any(k.startswith("hw_") for k in digital["history"][0]) and "hw_test_acc_at_best_val" not in digital


def test_learning_curve_draws_both_accuracies_when_the_run_has_them():
    from photrain.train.plots import learning_curve_figure

    base = [{"epoch": e, "loss": 1.0 / e, "val_acc": 0.8, "test_acc": 0.79} for e in (1, 2)]
    hw = [{**h, "hw_val_acc": 0.75, "hw_test_acc": 0.74} for h in base]
    labels = [line.get_label() for line in learning_curve_figure(hw).axes[1].get_lines()]
    assert labels == ["validation, digital", "test, digital", "validation, through the hardware",
                      "test, through the hardware"]
    assert [line.get_label() for line in learning_curve_figure(base).axes[1].get_lines()] == ["validation", "test"]
