"""The fast paths of issue 27 compute what the plain ones compute: materialised memory writes, prepared crossbar
stacks, single-tile crossbar products, the halving maxima."""

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores import CrossbarCore
from photrain.cores.crossbar import CrossbarReadout
from photrain.xla_forms import computed_once, max_all, max_last

KEY = jax.random.PRNGKey(0)


def test_computed_once_returns_the_tree_bit_for_bit():
    tree = (jnp.array([-0.0, 1.5, jnp.inf]), jnp.array([3, -4], jnp.int32))
    out = jax.jit(lambda t: computed_once(t, t[1][0] > 0))(tree)
    for a, b in zip(jax.tree.leaves(out), jax.tree.leaves(tree), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype
    assert bool(jnp.signbit(out[0][0]))  # -0.0 stays -0.0 (the identity branch ran)


def test_halving_maxima_equal_jnp_max_bit_for_bit():
    rng = np.random.default_rng(0)
    for n in (1, 15, 16, 17, 100, 500, 513):  # below, at and past the lanes, and past a power of two
        a = jnp.asarray(rng.normal(size=(3, n)).astype(np.float32) - 10.0)  # all negative: padding must not win
        got = jax.jit(lambda a: max_last(a, keepdims=True))(a)
        np.testing.assert_array_equal(got, jnp.max(a, axis=-1, keepdims=True))
        assert got.shape == (3, 1)
        assert max_last(a).shape == (3,)
    big = jnp.asarray(rng.normal(size=(64, 784)).astype(np.float32))  # past HALVING_UP_TO: jnp.max itself
    np.testing.assert_array_equal(max_last(big), jnp.max(big, axis=-1))
    ints = jnp.asarray(rng.integers(-(2**31), -(2**30), size=(2, 40)), jnp.int32)
    np.testing.assert_array_equal(max_last(ints), jnp.max(ints, axis=-1))
    x, y = jnp.asarray(rng.random((20, 500), np.float32)), jnp.asarray(rng.random((4, 10), np.float32))
    assert float(jax.jit(max_all)(x, y)) == float(jnp.maximum(x.max(), y.max()))
    assert np.isnan(float(max_all(x.at[7, 300].set(jnp.nan), y)))  # NaN propagates as through jnp.max
    np.testing.assert_array_equal(max_last(jnp.full((2, 40), -jnp.inf)), [-jnp.inf, -jnp.inf])


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
