"""The memories' cheap draws (photrain.memory.base): Box-Muller normals from one hashed word per element, checked
against the float64 formula on the same words and against N(0, 1) (issue 27 rewrote their polynomial)."""

import jax
import numpy as np
from scipy import stats

from photrain.memory.base import hash_bits, normal_pair, normal_pair_at

SHAPE = (256, 512)


def test_normal_pair_is_box_muller_of_the_hashed_words_and_standard_normal():
    key = jax.random.PRNGKey(11)
    z1, z2 = (np.asarray(z, np.float64) for z in normal_pair(key, SHAPE))
    bits = np.asarray(hash_bits(key, SHAPE)).astype(np.uint64)
    u, v = ((bits >> 16) + 0.5) / 65536, ((bits & 0xFFFF) + 0.5) / 65536
    r = np.sqrt(-2 * np.log(u))
    np.testing.assert_allclose(z1, r * np.cos(2 * np.pi * v), rtol=0, atol=1e-5)
    np.testing.assert_allclose(z2, r * np.sin(2 * np.pi * v), rtol=0, atol=1e-5)
    for z in (z1, z2):  # 131 072 draws each: std of the mean 0.0028, of the variance 0.0039
        assert abs(z.mean()) < 0.012 and abs(z.var() - 1) < 0.016
        assert stats.kstest(z.ravel(), "norm").pvalue > 1e-3
    assert abs(np.corrcoef(z1.ravel(), z2.ravel())[0, 1]) < 0.012  # the two of a word independent


def test_normal_pair_at_gives_the_draws_of_those_elements():
    key = jax.random.PRNGKey(3)
    idx = np.array([0, 5, 1000, 131071], np.uint32)
    full = [np.asarray(z).ravel()[idx] for z in normal_pair(key, SHAPE)]
    at = [np.asarray(z) for z in normal_pair_at(key, idx)]
    for a, b in zip(at, full, strict=True):
        np.testing.assert_array_equal(a, b)
