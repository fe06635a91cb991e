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
    # below, at and past the lanes, past a power of two; all negative, so that padding must not win
    arrays = [jnp.asarray(rng.normal(size=(3, n)).astype(np.float32) - 10.0) for n in (1, 16, 17, 500, 513)]
    arrays.append(jnp.asarray(rng.normal(size=(64, 784)).astype(np.float32)))  # past HALVING_UP_TO: jnp.max itself
    arrays.append(jnp.asarray(rng.integers(-(2**31), -(2**30), size=(2, 40)), jnp.int32))
    arrays.append(jnp.full((2, 40), -jnp.inf, jnp.float32))
    x, y = jnp.asarray(rng.random((20, 500), np.float32)), jnp.asarray(rng.random((4, 10), np.float32))

    @jax.jit  # one program for every case
    def maxima(arrays, x, y):
        return ([max_last(a, keepdims=True) for a in arrays], [max_last(a) for a in arrays], max_all(x, y),
                max_all(x.at[7, 300].set(jnp.nan), y))

    kept, flat, both, with_nan = maxima(arrays, x, y)
    for a, k, f in zip(arrays, kept, flat, strict=True):
        np.testing.assert_array_equal(k, jnp.max(a, axis=-1, keepdims=True))
        np.testing.assert_array_equal(f, jnp.max(a, axis=-1))
        assert k.shape == (a.shape[0], 1) and f.shape == (a.shape[0],)
    assert float(both) == float(jnp.maximum(x.max(), y.max()))
    assert np.isnan(float(with_nan))  # NaN propagates as through jnp.max


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
