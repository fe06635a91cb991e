"""The controller hub: products on each core, memory writes, pulse modes, the ledger, analog-memory runs."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.cli import main
from photrain.controller import Controller, CoreSpec, CrossbarConfig, OpticalConfig, build_controller, energy_report
from photrain.controller.energy import MEMORY_WRITE_ENERGY
from photrain.memory import FixedPointMemory
from photrain.train import TrainConfig, train
from photrain.train import algorithms as alg
from photrain.train.checkpoint import load_checkpoint
from photrain.train.network import init_mlp
from photrain.train.trainer import step_ledger


@pytest.fixture(scope="module")
def batch():
    x = jax.random.uniform(jax.random.PRNGKey(0), (16, 12), jnp.float32)
    y = jax.random.randint(jax.random.PRNGKey(1), (16,), 0, 4)
    return x, y


def test_backprop_as_core_products_equals_autodiff(batch):
    x, y = batch
    params = init_mlp(jax.random.PRNGKey(2), [12, 9, 7, 4])
    _, g_ref = alg.backprop_grads(params, x, y)
    _, g = alg.backprop_products(params, x, y, lambda i, h: h @ params[i][0].T, lambda i, d: d @ params[i][0])
    for (a, b), (c, d) in zip(g, g_ref, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(b, d, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("core", ["bank", "crossbar"])
def test_ideal_core_products_equal_digital(batch, core):
    """With an ideal core, W·x and Wᵀ·δ through the controller equal the digital products."""
    x, _ = batch
    params = init_mlp(jax.random.PRNGKey(3), [12, 9, 4])
    ctrl = build_controller(core=core, optical=OpticalConfig(ideal=True, core_rows=4), crossbar=CrossbarConfig(ideal=True),
                            n_channels=4)
    hs = ctrl.init(params, jax.random.PRNGKey(4))
    prog = ctrl.program(hs, jax.random.PRNGKey(5), transpose=True)
    w = params[0][0]
    np.testing.assert_allclose(ctrl.matmul(prog, 0, x, None), x @ w.T, rtol=1e-4, atol=1e-5)
    d = jax.random.normal(jax.random.PRNGKey(6), (16, 9))
    np.testing.assert_allclose(ctrl.matmul_t(prog, 0, d, None), d @ w, rtol=1e-4, atol=1e-4)


def test_apply_writes_through_the_memory_and_sign_pulses():
    mem = FixedPointMemory(bits=4, w_max=1.0)
    w0 = mem.step / 2  # a level of the 4-bit grid (-1 + 8 steps); 0 is not one
    params = [(jnp.full((3, 2), w0), jnp.zeros(3))]
    grads = [(jnp.array([[1.0, -1e-4], [0.0, -3.0], [2.0, 5.0]]), jnp.ones(3))]
    analog = Controller(memory=mem, optimizer=build_controller(lr=0.1, momentum=0.0).optimizer)
    hs, _ = analog.apply(analog.init(params, jax.random.PRNGKey(0)), grads, jax.random.PRNGKey(1), 8)
    w = np.asarray(analog.weights(hs)[0][0])
    np.testing.assert_allclose(w, w0 + np.round(-0.1 * np.asarray(grads[0][0]) / mem.step) * mem.step, atol=1e-6)
    np.testing.assert_allclose(hs.bias[0], -0.1 * np.ones(3), rtol=1e-6)
    sign = Controller(memory=mem, optimizer=analog.optimizer, pulse_mode="sign")
    hs, _ = sign.apply(sign.init(params, jax.random.PRNGKey(0)), grads, jax.random.PRNGKey(1), 8)
    np.testing.assert_allclose(sign.weights(hs)[0][0], w0 - np.sign(np.asarray(grads[0][0])) * mem.step, atol=1e-6)
    with pytest.raises(ValueError, match="pulse_mode"):
        Controller(pulse_mode="manhattan")
    with pytest.raises(ValueError, match="finite pulse step"):
        Controller(pulse_mode="sign")


def test_rram_crossbar_run_learns_counts_pulses_and_resumes_bit_exactly(tmp_path):
    cfg = TrainConfig(dataset="digits", hidden=(32,), algorithm="backprop", epochs=2, batch_size=32, lr=0.05,
                      memory="rram", core="crossbar", crossbar=CrossbarConfig(rows=32, cols=32))
    full = train(cfg, tmp_path / "full", progress=False)
    assert full["test_acc_at_best_val"] > 0.75
    led = full["ledger"]
    steps, b = 2 * (1438 // 32), 32
    assert led["memory_pulses"] > 0 and led["memory_writes"] == 0
    # forward 64->32->10 and the backward Wᵀ·δ of the second layer run in the arrays; no optics
    assert led["analog_macs"] == steps * b * (64 * 32 + 32 * 10 + 10 * 32) and led["optical_macs"] == 0
    assert led["analog_adc_conversions"] == steps * b * (32 * 2 + 10 * 1 + 32 * 1)
    assert led["programmings"] == led["analog_programmings"] == 0  # computing in the memory: no re-programming
    train(cfg, tmp_path / "cut", progress=False, stop_after_epoch=1)
    resumed = train(cfg, tmp_path / "cut", progress=False, resume=True)
    for a, c in zip(jax.tree_util.tree_leaves(full["state"]), jax.tree_util.tree_leaves(resumed["state"]), strict=True):
        np.testing.assert_array_equal(a, c)
    assert resumed["ledger"] == led
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.npz")["epoch"] == 2
    # the energy model prices the device pulses for the device the run used, and nothing for SRAM-held weights
    rep = energy_report(led, "reference-paper", CoreSpec(32, 32), memory="rram")
    assert rep.energy["memory writes"] == pytest.approx(led["memory_pulses"] * MEMORY_WRITE_ENERGY["rram"][0])
    assert energy_report(led, "reference-paper", CoreSpec(32, 32), memory="pcm").energy["memory writes"] > \
        rep.energy["memory writes"]  # a PCM SET pulse costs more than an RRAM pulse
    assert energy_report(led, "reference-paper", CoreSpec(32, 32)).energy["memory writes"] == 0.0
    assert rep.energy["heaters (hold)"] == 0.0  # no optical core was used: its rings stay unpowered
    with pytest.raises(ValueError, match="no write energy for memory 'sram'"):
        energy_report(led, "reference-paper", CoreSpec(32, 32), memory="sram")


def test_bad_hardware_options_name_the_option(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown core 'mesh2'"):
        TrainConfig(core="mesh2")
    with pytest.raises(ValueError, match="unknown memory 'sram'"):
        TrainConfig(memory="sram")
    with pytest.raises(ValueError, match="no parameter 'bitz'"):
        TrainConfig(memory="fixed", memory_params={"bitz": 3})
    assert main(["train", "--memory-param", "bits", "--out", str(tmp_path)]) == 2
    assert "--memory-param 'bits' must be KEY=VALUE" in capsys.readouterr().err
    assert main(["train", "--memory", "rram", "--memory-bits", "4", "--out", str(tmp_path)]) == 2
    assert "cannot be combined" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing written


def test_crossbar_fed_from_a_digital_memory_rewrites_its_tiles_every_step():
    led = step_ledger(TrainConfig(hidden=(800,), algorithm="dfa", batch_size=8, core="crossbar"), [784, 800, 10])
    # 128 x 128 arrays: ceil(800/128) x ceil(784/128) tiles for W1, ceil(10/128) x ceil(800/128) for W2
    assert led.analog_programmings == 7 * 7 + 1 * 7 and led.programmings == 0
    assert led.analog_macs == 8 * (784 * 800 + 800 * 10) and led.optical_macs == 0
