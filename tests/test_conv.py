"""photrain.nn.Conv2d on the cores: im2col patches through the kernel matrix, against jax.lax.conv_general_dilated."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import photrain.nn as pnn
from photrain.nn import conv_ops
from photrain.nn.dfa import Feedback
from photrain.nn.fit import step_ledger

F32 = jnp.float32
X = jax.random.uniform(jax.random.PRNGKey(1), (4, 9, 8), F32)
#: stride, padding, dilation, groups as eqx.nn.Conv2d takes them
VARIANTS = [dict(), dict(stride=2, padding=1, dilation=2, groups=2), dict(stride=(1, 2), padding="SAME", groups=4)]


@eqx.filter_jit
def _call(layer, x, key=None):
    return layer(x, key=key)


#: the digital convolution compiled once per shape and arguments, shared by every core's layer (eagerly every op
#: compiles on its own)
_conv_reference = jax.jit(conv_ops.conv_reference, static_argnames=("stride", "padding", "dilation", "groups"))


def _reference(conv, x):
    """The digital convolution of the kernel as read from memory (noise-free), with the layer's arguments."""
    return _conv_reference(x, conv.kernel(), conv.bias, stride=conv.stride, padding=conv.padding,
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


class _TwoConv(eqx.Module):
    c1: eqx.Module
    c2: eqx.Module
    fc: eqx.Module

    def __call__(self, x):
        h = jnp.tanh(self.c2(jnp.tanh(self.c1(x))))
        return self.fc(h.ravel())


def test_dfa_on_conv_layers_is_the_closed_form():
    """One SGD step of fit(algorithm='dfa') on conv - tanh - conv - tanh - dense (Nøkland 2016; Launay et al. 2020):
    each conv layer's output gets δ_l = reshape(B_l e / sqrt(n_l)) ⊙ f'(a_l) (B_l e reshaped to the layer's
    output map), its kernel the correlation of δ_l with its input (autodiff of lax.conv against δ_l), the dense layer e."""
    k = jax.random.split(jax.random.PRNGKey(0), 3)
    net = _TwoConv(eqx.nn.Conv2d(1, 3, 3, key=k[0]), eqx.nn.Conv2d(3, 2, 3, stride=2, padding=1, key=k[1]),
                   eqx.nn.Linear(2 * 3 * 3, 4, key=k[2]))
    x = jax.random.normal(jax.random.PRNGKey(1), (5, 1, 7, 7), F32)
    y = jnp.array([0, 1, 2, 3, 1])
    model, fit_key = pnn.convert(net, pnn.Hardware()), jax.random.PRNGKey(3)
    trained, _ = pnn.fit(model, optax.sgd(1.0), [(x, y)], algorithm="dfa", key=fit_key, progress=False)
    b = Feedback(model, x[0], jax.random.fold_in(fit_key, 0xFB), "dfa").arrays  # B by layer input
    convs = [(net.c1, (1, 1), ((0, 0), (0, 0))), (net.c2, (2, 2), ((1, 1), (1, 1)))]

    @jax.jit
    def closed_form(weights, biases, fc_w, fc_b, b):  # the reference as one compiled program (eagerly: one per op)
        hs, acts = [x], []
        for w, bias, (_, stride, pad) in zip(weights, biases, convs, strict=True):
            acts.append(jax.lax.conv_general_dilated(hs[-1], w, stride, pad) + bias[None])
            hs.append(jnp.tanh(acts[-1]))
        e = (jax.nn.softmax(hs[2].reshape(5, -1) @ fc_w.T + fc_b) - jax.nn.one_hot(y, 4)) / 5
        steps = []
        for i, (w, (_, stride, pad)) in enumerate(zip(weights, convs, strict=True)):
            n = hs[i + 1][0].size
            delta = (e @ b[i + 1].T / jnp.sqrt(float(n))).reshape(hs[i + 1].shape) * (1 - hs[i + 1] ** 2)
            grad = jax.vjp(lambda w, i=i, s=stride, p=pad: jax.lax.conv_general_dilated(hs[i], w, s, p), w)[1](delta)[0]
            steps.append((grad, delta.sum((0, 2, 3))))
        return steps, e.T @ hs[2].reshape(5, -1)

    steps, fc_step = closed_form([c.weight for c, _, _ in convs], [c.bias for c, _, _ in convs], net.fc.weight,
                                 net.fc.bias, b)
    for i, ((c, _, _), (grad, bias_step)) in enumerate(zip(convs, steps, strict=True)):
        layer = trained.c1 if i == 0 else trained.c2
        np.testing.assert_allclose(c.weight.reshape(c.out_channels, -1) - layer.read(), grad.reshape(c.out_channels, -1),
                                   rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(c.bias.ravel() - layer.bias, bias_step, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(net.fc.weight - trained.fc.read(), fc_step, rtol=1e-4, atol=1e-6)
