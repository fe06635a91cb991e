"""photrain.nn.hardware_product under jax.vmap: one product per batch on the core, dW one contraction (issue 27)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.nn import Dense, Hardware, hardware_product
from photrain.nn.layers import _on_core, _t_on_core

B, N_IN, N_OUT = 5, 24, 12


@pytest.fixture(scope="module")
def bank():
    """A noisy 8-channel bank layer 24 -> 12, programmed (W and Wᵀ), a batch and per-example keys."""
    hw = Hardware(core="bank", n_channels=8, optical=dict(core_rows=8))
    layer = Dense(N_IN, N_OUT, hw, key=jax.random.PRNGKey(0)).program(jax.random.PRNGKey(1))
    xs = jax.random.uniform(jax.random.PRNGKey(2), (B, N_IN), jnp.float32, -1.0, 1.0)
    keys = jax.random.split(jax.random.PRNGKey(3), B)
    return hw, layer.weight, layer.settings, xs, keys


def _loss(hw, settings, keys):
    c = jnp.arange(N_OUT, dtype=jnp.float32)

    def loss(w, xs):
        y = jax.vmap(lambda x, k: hardware_product(hw, w, settings, x, k))(xs, keys)
        return jnp.sum(y * c), y
    return loss, jnp.broadcast_to(c, (B, N_OUT))


def test_vmapped_grad_has_no_per_example_weight_gradient(bank):
    """The old custom_vjp backward, vmapped, stacked every example's dW: a (batch, out, in) array in the step."""
    hw, w, s, xs, keys = bank
    loss, _ = _loss(hw, s, keys)
    jaxpr = str(jax.make_jaxpr(jax.grad(lambda w: loss(w, xs)[0]))(w))
    assert f"f32[{B},{N_OUT},{N_IN}]" not in jaxpr
    assert f"f32[{N_OUT},{N_IN}]" in jaxpr


def test_vmapped_product_is_one_batch_product_on_the_core(bank):
    """W·x of the vmapped batch is the core's product of the whole batch keyed by the first example's key; Wᵀ·δ
    likewise (its key folded with 1); dW = Gᵀ X; noise independent per example (it is on: rows differ from W x)."""
    hw, w, s, xs, keys = bank
    loss, g = _loss(hw, s, keys)

    @jax.jit
    def run(w, s, xs, keys):
        (_, y), (dw, dx) = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(w, xs)
        ref_y, ref_dx = _on_core(hw, w, s, xs, keys[0]), _t_on_core(hw, w, s, g, jax.random.fold_in(keys[0], 1))
        # one shared key, the same input in every example: each example still draws its own noise
        same = jax.vmap(lambda x: hardware_product(hw, w, s, x, keys[0]))(jnp.broadcast_to(xs[0], (B, N_IN)))
        return y, dw, dx, ref_y, ref_dx, same

    y, dw, dx, ref_y, ref_dx, same = run(w, s, xs, keys)
    np.testing.assert_allclose(y, ref_y, rtol=1e-5, atol=1e-6)  # same noise draw: float32 round-off; another key: 4.6e-2
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-5, atol=1e-5)  # float32 round-off; another key: ~0.4
    np.testing.assert_allclose(dw, g.T @ xs, rtol=1e-6, atol=1e-6)
    assert float(jnp.max(jnp.abs(y - xs @ w.T))) > 1e-3  # the bank's converters and noise are in the product
    assert len({tuple(np.asarray(r)) for r in same}) > 1


def test_per_example_gradients_and_batched_weights_keep_per_example_semantics(bank):
    """vmap(grad) gives each example's own dW = g xᵀ; a batched W (one matrix per example) runs per example."""
    hw, w, s, xs, keys = bank
    c = jnp.arange(N_OUT, dtype=jnp.float32)

    @jax.jit
    def run(w, s, xs, keys):
        per = jax.vmap(jax.grad(lambda w, x, k: jnp.sum(hardware_product(hw, w, s, x, k) * c)),
                       in_axes=(None, 0, 0))(w, xs, keys)
        ws, ss = jax.tree_util.tree_map(lambda a: jnp.stack([a] * 2), (w, s))
        y2 = jax.vmap(lambda w, s, x, k: hardware_product(hw, w, s, x, k))(ws, ss, xs[:2], keys[:2])
        return per, y2, [_on_core(hw, w, s, xs[i], keys[i]) for i in range(2)]

    per, y2, ref = run(w, s, xs, keys)
    np.testing.assert_allclose(per, c[None, :, None] * xs[:, None, :], rtol=1e-6, atol=1e-6)
    for i in range(2):
        np.testing.assert_allclose(y2[i], ref[i], rtol=1e-5, atol=1e-6)  # the example's own key; XLA may fuse differently


def test_step_ledger_counts_every_forward_product_on_the_core():
    """DFA with the forward on the bank (inputs and W not differentiated through the product): the ledger still
    counts every example's W·x on the core, 8 x (20·16 + 16·4) optical MACs (B·e digital)."""
    import equinox as eqx
    import optax

    from photrain.nn import convert
    from photrain.nn.dfa import Feedback
    from photrain.nn.fit import cross_entropy, step_ledger

    hw = Hardware(core="bank", n_channels=8, optical=dict(core_rows=8))
    model = convert(eqx.nn.MLP(20, 4, 16, 1, activation=jax.nn.relu, key=jax.random.PRNGKey(0)), hw)
    x, y = jnp.ones((8, 20), jnp.float32), jnp.zeros(8, jnp.int32)
    led = step_ledger(model, optax.sgd(0.01), cross_entropy, x, y,
                      Feedback(model, x[0], jax.random.PRNGKey(1), "dfa"))
    assert led.optical_macs == 8 * (20 * 16 + 16 * 4)
