"""Closed-loop PCM tuning (photrain.memory.pcm.tune_pair): the rounds on the pending pairs alone, gathered, give the
conductances and pulses of the rounds on every pair (issue 27)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.memory import PCM3T1CMemory, PCMMemory
from photrain.memory.pcm import tune_pair

SHAPE = (64, 128)  # 8192 pairs: compacted to 1024, then 128 pending pairs


@pytest.fixture(scope="module")
def transfer_case():
    m = PCM3T1CMemory()
    s = m.init(0.1 * jax.random.normal(jax.random.PRNGKey(0), SHAPE), jax.random.PRNGKey(1))
    s = s._replace(g_cap=m.g_ref + 0.4 * m.g_ref * jax.random.uniform(jax.random.PRNGKey(2), SHAPE, minval=-1))
    target = s.g_pos - s.g_neg + s.polarity * (s.g_cap - m.g_ref) / m.gain
    return m, s, target


@pytest.mark.parametrize("key", [jax.random.PRNGKey(5), None])
def test_compacted_tuning_is_the_tuning_of_every_pair(transfer_case, key):
    m, s, target = transfer_case
    args = (s.g_pos, s.g_neg, target, m.pair_params(s), key)
    dense = tune_pair(*args, **m._tune_kw(), compact=False)
    compact = tune_pair(*args, **m._tune_kw(), compact=True)
    pending = np.abs(np.asarray(target - (s.g_pos - s.g_neg))) > m.tune_tolerance
    assert pending.mean() > 0.5  # most pairs start pending: every level of the compaction runs
    np.testing.assert_array_equal(compact[2], dense[2])  # the same pulses on every pair
    for a, b in zip(compact[:2], dense[:2], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=0)
    err = np.abs(np.asarray(target - (compact[0] - compact[1])))
    assert np.mean(err <= m.tune_tolerance) > 0.99 and int(jnp.sum(compact[2])) > 0


def test_refresh_of_a_few_saturated_pairs_compacted_from_the_start():
    m = PCMMemory()
    s = m.init(0.3 * jax.random.uniform(jax.random.PRNGKey(0), SHAPE, minval=-1), jax.random.PRNGKey(1))
    sat = jax.random.uniform(jax.random.PRNGKey(3), SHAPE) < 0.01  # 1 %: below 1/8, no round on every pair
    s = s._replace(g_pos=jnp.where(sat, 0.9 * s.gmax_pos, s.g_pos))
    new = jax.jit(m.refresh)(s, jax.random.PRNGKey(4))
    sat = np.asarray(m.saturated(s))
    assert 0 < sat.mean() < 1 / 8
    w_before, w_after = np.asarray(m.read(s)), np.asarray(m.read(new))
    np.testing.assert_allclose(w_after, w_before, atol=1.01 * m.tune_tolerance * m.weight_per_siemens)
    np.testing.assert_array_equal(np.asarray(new.g_pos)[~sat], np.asarray(s.g_pos)[~sat])  # untouched pairs
    assert int(new.counts.refreshes) == 2 * sat.sum() and int(new.counts.pulses) > 2 * sat.sum()
