"""The counter-hash normal generator: moments, tails, independence, determinism."""

import jax
import numpy as np
from scipy import stats

from photrain.models.fast_random import fast_normal, lowbias32

N = 1_000_000


def test_moments_and_tails_match_the_standard_normal():
    z = np.asarray(fast_normal(jax.random.PRNGKey(0), (N,)), dtype=np.float64)
    se = 1 / np.sqrt(N)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1) < 5 * np.sqrt(2) * se
    assert abs(stats.skew(z)) < 5 * np.sqrt(6 / N)
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24 / N)
    for t in (1.0, 2.0, 3.0, 4.0):  # two-sided tail probabilities within 5 binomial standard errors
        p = 2 * stats.norm.sf(t)
        count = np.sum(np.abs(z) > t)
        assert abs(count - N * p) < 5 * np.sqrt(N * p * (1 - p)) + 3, (t, count, N * p)
    assert np.abs(z).max() > 4.5  # the tails reach past 4.5 sigma (P ~ 7e-6 per draw)
    assert np.abs(z).max() <= np.sqrt(2 * 24 * np.log(2)) + 1e-5  # and stop at the 5.77 sigma a 23-bit u allows
    assert stats.kstest(z[:200_000], "norm").pvalue > 1e-3


def test_streams_are_independent_across_keys_and_steps_and_within_a_stream():
    k = jax.random.PRNGKey(1)
    k1, k2 = jax.random.split(k)
    a = np.asarray(fast_normal(k1, (N,)))
    b = np.asarray(fast_normal(k2, (N,)))
    c = np.asarray(fast_normal(jax.random.fold_in(k1, 1), (N,)))  # the next training step's key
    limit = 5 / np.sqrt(N)
    assert abs(np.corrcoef(a, b)[0, 1]) < limit
    assert abs(np.corrcoef(a, c)[0, 1]) < limit
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < limit  # neighbours in one stream
    assert abs(np.corrcoef(a**2, b**2)[0, 1]) < limit  # no dependence in the magnitudes either
    # same key, same draws; a 2-D draw is the flat draw reshaped
    np.testing.assert_array_equal(a, np.asarray(fast_normal(k1, (N,))))
    np.testing.assert_array_equal(np.asarray(fast_normal(k1, (1000, 1000))).ravel(), a)


def test_lowbias32_is_a_bijection_on_a_sample():
    x = np.arange(1 << 20, dtype=np.uint32)
    h = np.asarray(lowbias32(jax.numpy.asarray(x)))
    assert np.unique(h).size == x.size
    # avalanche: flipping one input bit flips about half the output bits
    flipped = np.asarray(lowbias32(jax.numpy.asarray(x ^ np.uint32(1))))
    bits = np.unpackbits((h ^ flipped).view(np.uint8)).reshape(x.size, 32).sum(axis=1)
    assert abs(bits.mean() - 16) < 0.5


def test_draws_are_box_muller_of_two_hashed_words_per_element():
    """z_i = sqrt(-2 ln u_i) cos(2 pi v_i), u from word i and v from word i + n (module docstring), recomputed here in
    float64 from the words: the float32 draws agree to float32 rounding."""
    from photrain.models.fast_random import hash_bits

    key, n = jax.random.PRNGKey(3), 4096
    z = np.asarray(fast_normal(key, (n,)), np.float64)
    u = ((np.asarray(hash_bits(key, (n,))) >> 9).astype(np.float64) + 0.5) / 2**23
    v = (np.asarray(hash_bits(key, (n,), offset=n)) >> 9).astype(np.float64) / 2**23
    np.testing.assert_allclose(z, np.sqrt(-2 * np.log(u)) * np.cos(2 * np.pi * v), atol=5e-6)
