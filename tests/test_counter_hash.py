"""The project's counter hash (photrain.counter_hash): its two mixers are the published C functions, word for word."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.counter_hash import FMIX32, LOWBIAS32, WEYL, counter_hash, fabrication_normal, host_uniform, mix32


def _c_reference(x: int, a: int, m1: int, b: int, m2: int, c: int) -> int:
    """The C functions of Wellons' hash-prospector README (lowbias32) and smhasher's MurmurHash3.cpp (fmix32)."""
    x ^= x >> a
    x = (x * m1) & 0xFFFFFFFF
    x ^= x >> b
    x = (x * m2) & 0xFFFFFFFF
    return x ^ (x >> c)


@pytest.mark.parametrize("mix", [LOWBIAS32, FMIX32], ids=["lowbias32", "fmix32"])
def test_mixers_are_the_published_functions(mix):
    x = np.asarray(jax.random.bits(jax.random.PRNGKey(0), (200,), jnp.uint32))
    got = np.asarray(mix32(jnp.asarray(x), mix))
    assert [int(v) for v in got] == [_c_reference(int(v), *mix) for v in x]
    assert int(mix32(jnp.uint32(0), mix)) == 0 and len(set(got.tolist())) == x.size


def test_counter_hash_of_some_indices_is_that_of_the_whole_draw():
    seeds = jnp.asarray([0x12345678, 0x9ABCDEF0], jnp.uint32)
    full = np.asarray(counter_hash(jnp.arange(1000, dtype=jnp.uint32), seeds, FMIX32, stride=WEYL))
    idx = np.array([0, 7, 999, 500])
    np.testing.assert_array_equal(counter_hash(jnp.asarray(idx, jnp.uint32), seeds, FMIX32, stride=WEYL), full[idx])
    i, s0, s1 = 5, 0x12345678, 0x9ABCDEF0
    assert int(full[i]) == _c_reference(_c_reference((i * WEYL + s0) & 0xFFFFFFFF, *FMIX32) ^ s1, *FMIX32)


@pytest.mark.parametrize("x64", [False, True], ids=["float32", "float64"])
def test_fabrication_normal_is_jax_random_normal(x64):
    """A chip's static draws come from a shared longer draw: the values jax.random.normal gives for the shape."""
    with jax.enable_x64(x64):
        key = jax.random.PRNGKey(11)
        for shape in [(1,), (7, 5), (16, 9), (3, 64), (65,)]:
            got = fabrication_normal(key, shape)
            want = np.asarray(jax.random.normal(key, shape))
            assert got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
        assert not np.array_equal(fabrication_normal(jax.random.PRNGKey(12), (65,)), want)  # the key matters


def test_host_uniform_is_jax_random_uniform_and_traces():
    key, lo, hi = jax.random.PRNGKey(3), -jnp.float32(0.125), jnp.float32(0.125)
    for shape in [(10, 16), (5,), (33, 64)]:
        want = np.asarray(jax.random.uniform(key, shape, jnp.float32, lo, hi))
        got = host_uniform(key, shape, jnp.float32, lo, hi)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    traced = jax.jit(lambda k: host_uniform(k, (5,), jnp.float32, lo, hi))(key)  # under jit: jax.random itself
    np.testing.assert_array_equal(traced, np.asarray(jax.random.uniform(key, (5,), jnp.float32, lo, hi)))
