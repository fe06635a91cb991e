"""photrain.nn.Conv2d on the cores: im2col patches through the kernel matrix, against jax.lax.conv_general_dilated."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import photrain.nn as pnn
from photrain.nn import conv_ops
from photrain.nn.fit import step_ledger

F32 = jnp.float32
X = jax.random.uniform(jax.random.PRNGKey(1), (4, 9, 8), F32)
#: stride, padding, dilation, groups as eqx.nn.Conv2d takes them
VARIANTS = [dict(), dict(stride=2, padding=1, dilation=2, groups=2), dict(stride=(1, 2), padding="SAME", groups=4)]


@eqx.filter_jit
def _call(layer, x, key=None):
    return layer(x, key=key)


def _reference(conv, x):
    """The digital convolution of the kernel as read from memory (noise-free), with the layer's arguments."""
    return conv_ops.conv_reference(x, conv.kernel(), conv.bias, stride=conv.stride, padding=conv.padding,
                                   dilation=conv.dilation, groups=conv.groups)


@pytest.mark.parametrize("core, cfg", [("bank", {"optical": {"ideal": True}}),
                                       ("crossbar", {"crossbar": {"ideal": True}}),
                                       ("mesh", {"mesh": {"ideal": True, "n": 4}}),
                                       ("gst-crossbar", {"optical": {"ideal": True, "gst_levels": 2**20}})])
def test_conv_on_ideal_core_equals_lax_conv(core, cfg):
    hw = pnn.Hardware(core, **cfg)
    variants = VARIANTS if core == "crossbar" else VARIANTS[:1]  # the im2col arguments: once, on the cheapest core
    for i, args in enumerate(variants):
        conv = pnn.Conv2d(4, 8, 3, hw, key=jax.random.PRNGKey(i), **args)
        y = _call(conv.program(host=True), X)
        ref = _reference(conv, X)
        assert y.shape == ref.shape
        np.testing.assert_allclose(y, ref, atol=1e-5 * float(jnp.max(jnp.abs(ref))) + 1e-6, err_msg=f"{core} {args}")


def test_conv_on_noisy_cores_is_the_core_product_of_the_patches_within_its_noise():
    """A noisy core's conv is that core's product of the im2col patches (same key: the same draw), zero-mean:
    one draw is off by the core's noise, the mean of 24 draws less (the converters' rounding stays)."""
    for core, tol, ratio in (("bank", 0.12, 0.5), ("crossbar", 0.03, 0.75)):
        conv = pnn.Conv2d(4, 6, 3, pnn.Hardware(core), key=jax.random.PRNGKey(0), padding=1).program()
        ref = _reference(conv, X)
        k = jax.random.PRNGKey(5)
        y = _call(conv, X, k)
        cols, _ = conv_ops.patches(X, conv.kernel_size, conv.stride, conv.padding, conv.dilation)
        direct = jax.jit(conv.controller.matmul, static_argnums=1)(
            pnn.layers.Programmed((conv.weight,), (conv.settings,)), 0, cols, k)
        np.testing.assert_allclose(y, direct.T.reshape(y.shape) + conv.bias[:, None, None], rtol=1e-6, atol=1e-6)
        scale = float(jnp.sqrt(jnp.mean(ref**2)))
        one = float(jnp.sqrt(jnp.mean((y - ref) ** 2))) / scale
        mean = jnp.mean(eqx.filter_jit(jax.vmap(_call, in_axes=(None, None, 0)))(conv, X, jax.random.split(k, 24)), axis=0)
        avg = float(jnp.sqrt(jnp.mean((mean - ref) ** 2))) / scale
        assert 1e-4 < one < tol, (core, one)
        assert avg < ratio * one, (core, one, avg)


def test_conv_gradients_on_ideal_bank_equal_float_autodiff():
    """Backward through the bank: dx = Wᵀ·δ on the core (transposed programming), dW digital; both equal autodiff of
    the float convolution."""
    conv = pnn.Conv2d(3, 4, 3, pnn.Hardware("bank", optical={"ideal": True}), key=jax.random.PRNGKey(2),
                      stride=2, padding=1)
    x = X[:3]
    layer = conv.program()
    assert layer.settings[1] is not None  # Wᵀ programmed for Wᵀ·δ

    def loss_hw(w, x):
        return jnp.sum(jnp.sin(eqx.tree_at(lambda m: m.weight, layer, w)(x)))

    def loss_ref(w, x):
        k = w.reshape(4, 3, 3, 3)
        return jnp.sum(jnp.sin(conv_ops.conv_reference(x, k, conv.bias, stride=(2, 2), padding=conv.padding,
                                                       dilation=(1, 1), groups=1)))

    gw, gx = jax.grad(loss_hw, argnums=(0, 1))(layer.weight, x)
    rw, rx = jax.grad(loss_ref, argnums=(0, 1))(layer.weight, x)
    np.testing.assert_allclose(gw, rw, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gx, rx, rtol=1e-4, atol=1e-5)


class _Net(eqx.Module):
    conv: eqx.Module
    fc: eqx.Module

    def __call__(self, x):
        return self.fc(jnp.ravel(jax.nn.relu(self.conv(x))))


def test_conv_ledger_counts_every_patch_product_like_a_dense_layer():
    """One step: the conv is priced as its kernel matrix (out x in·k·k) times every patch of the batch (Ho·Wo per
    image), programmed once per batch; the dense layer on top as usual."""
    hw = pnn.Hardware("bank")
    key = jax.random.PRNGKey(0)
    net = pnn.convert(_Net(eqx.nn.Conv2d(1, 4, 3, stride=2, key=key), eqx.nn.Linear(4 * 3 * 3, 10, key=key)), hw)
    x, y = jnp.zeros((5, 1, 7, 7), F32), jnp.zeros(5, jnp.int32)
    led = step_ledger(net, optax.sgd(0.1), pnn.cross_entropy, x, y)
    ctrl = hw.controller
    expected = ctrl.layer_ledger((4, 9), 5 * 9, backward=False)  # 3 x 3 output positions per image
    expected.add(ctrl.layer_ledger((10, 36), 5, backward=True))
    assert led.optical_macs == expected.optical_macs == 4 * 9 * 45 + 10 * 36 * 5 * 2
    assert led.dac_conversions == expected.dac_conversions and led.adc_conversions == expected.adc_conversions
    assert led.programmings == expected.programmings == 1 + 4 + 1  # per batch (conv, dense, dense transposed)


def test_conv_arguments_are_checked_in_one_line():
    for kwargs, words in [(dict(groups=3), "groups=3"), (dict(stride=0), "stride"), (dict(padding="FULL"), "SAME")]:
        with pytest.raises(ValueError, match=words) as err:
            pnn.Conv2d(4, 8, 3, key=jax.random.PRNGKey(0), **kwargs)
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        pnn.Conv2d(1, 2, 5, key=jax.random.PRNGKey(0))(jnp.zeros((1, 3, 3)))
