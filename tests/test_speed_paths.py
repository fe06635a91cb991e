"""The fast paths of issue 27 compute what the plain ones compute: materialised memory writes, prepared crossbar
stacks, single-tile crossbar products."""

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores import CrossbarCore
from photrain.cores.crossbar import CrossbarReadout
from photrain.memory.base import computed_once

KEY = jax.random.PRNGKey(0)


def test_computed_once_returns_the_tree_bit_for_bit():
    tree = (jnp.array([-0.0, 1.5, jnp.inf]), jnp.array([3, -4], jnp.int32))
    out = jax.jit(lambda t: computed_once(t, t[1][0] > 0))(tree)
    for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(tree), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    assert bool(jnp.signbit(out[0][0]))  # -0.0 stays -0.0 (the identity branch ran)


def test_prepared_crossbar_stacks_give_the_same_products_as_unprepared_settings():
    core = CrossbarCore(16, 16, read_noise=0.02, readout=CrossbarReadout(dac_bits=8, adc_bits=8))
    kw, kx, kd = jax.random.split(KEY, 3)
    w = jax.random.normal(kw, (10, 40))
    s = core.program(w)
    assert s.stacks is not None and s.stacks[0].shape == (3, 3, 10, 16) and s.stacks[1].shape == (3, 1, 40, 10)
    bare = s._replace(stacks=None)
    x, d = jax.random.normal(kx, (5, 40)), jax.random.normal(kd, (5, 10))
    for f in (core.matvec, core.matvec_t):
        arg = x if f == core.matvec else d
        np.testing.assert_allclose(jax.jit(f)(arg, s, KEY), jax.jit(f)(arg, bare, KEY), rtol=1e-5, atol=1e-6)


def test_a_product_narrower_than_a_tile_is_the_dense_product():
    core = CrossbarCore(128, 128, readout=CrossbarReadout(noise=False))
    w = jax.random.normal(KEY, (30, 10))
    s = core.program(w)
    x = jax.random.normal(jax.random.PRNGKey(1), (4, 10))
    d = jax.random.normal(jax.random.PRNGKey(2), (4, 30))
    np.testing.assert_allclose(core.matvec(x, s), x @ w.T, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(core.matvec_t(d, s), d @ w, rtol=1e-4, atol=1e-5)
