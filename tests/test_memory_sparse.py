"""Sparse memory writes (photrain.memory.sparse): the hit list, and PCM / RRAM writes equal to the dense ones."""

import jax
import numpy as np
import pytest

import photrain.memory.sparse as sparse
from photrain.memory import PCMMemory, RRAMMemory

SHAPE = (64, 128)  # 8192 devices: written sparsely (>= MIN_SPARSE)


@pytest.mark.parametrize("size,p", [(100, 0.3), (4097, 0.05), (8192, 0.0), (33, 1.0)])
def test_hit_list_lists_every_true_element_once(size, p):
    mask = jax.random.uniform(jax.random.PRNGKey(size), (size,)) < p
    cap = max(size // 4, 1)
    idx, count = jax.jit(sparse.hit_list, static_argnums=1)(mask, cap)
    idx = np.asarray(idx)
    truth = np.flatnonzero(np.asarray(mask))
    assert int(count) == truth.size
    listed = idx[idx < size]
    assert listed.size == min(cap, truth.size) and np.unique(listed).size == listed.size
    assert np.all(np.asarray(mask)[listed]) and np.all(idx[listed.size:] == size)
    if truth.size <= cap:
        np.testing.assert_array_equal(np.sort(listed), truth)


def _dense_and_sparse(mem, state, dw, key, monkeypatch):
    sparse_state = jax.jit(mem.update)(state, dw, key)
    with monkeypatch.context() as m:
        m.setattr(sparse, "MIN_SPARSE", 10**9)
        dense_state = jax.jit(mem.update)(state, dw, key)
    return dense_state, sparse_state


@pytest.fixture(scope="module")
def pcm():
    mem = PCMMemory()
    return mem, mem.init(0.2 * jax.random.normal(jax.random.PRNGKey(1), SHAPE), jax.random.PRNGKey(2))


@pytest.mark.parametrize("scale", [4e-4, 6e-4, 0.05])  # hits in 2 and 3 chunks of 64; most devices (dense write)
def test_sparse_pcm_write_is_the_dense_write(pcm, scale, monkeypatch):
    mem, state = pcm
    dw = scale * jax.random.normal(jax.random.PRNGKey(3), SHAPE)
    dense, new = _dense_and_sparse(mem, state, dw, jax.random.PRNGKey(4), monkeypatch)
    assert int(new.counts.pulses) == int(dense.counts.pulses) > 0
    for name in ("g_pos", "g_neg"):
        np.testing.assert_allclose(getattr(new, name), getattr(dense, name), rtol=1e-6, atol=0)
    for name in ("age_pos", "age_neg"):
        np.testing.assert_array_equal(getattr(new, name), getattr(dense, name))
    hits = int(np.sum(np.asarray((new.g_pos != state.g_pos) | (new.g_neg != state.g_neg))))  # devices pulsed
    chunk = sparse.chunk_size(dw.size, 128)
    assert (chunk < hits <= dw.size // 32) if scale < 1e-3 else hits > dw.size // 32


@pytest.fixture(scope="module")
def rram():
    mem = RRAMMemory()
    return mem, mem.init(0.3 * jax.random.uniform(jax.random.PRNGKey(1), SHAPE, minval=-1, maxval=1),
                         jax.random.PRNGKey(2))


@pytest.mark.parametrize("scale", [2e-5, 0.01])
def test_sparse_rram_write_is_the_dense_write(rram, scale, monkeypatch):
    mem, state = rram
    dw = scale * jax.random.normal(jax.random.PRNGKey(3), SHAPE)
    dense, new = _dense_and_sparse(mem, state, dw, jax.random.PRNGKey(4), monkeypatch)
    assert int(new.counts.pulses) == int(dense.counts.pulses) > 0
    np.testing.assert_array_equal(mem.levels(new), mem.levels(dense))  # the same draws, the same levels
    np.testing.assert_allclose(new.g, dense.g, rtol=1e-6, atol=0)
    if scale < 1e-3:  # few pulses: the devices without one keep their conductance bit for bit
        assert np.mean(np.asarray(new.g == state.g)) > 0.9


@pytest.mark.parametrize("hits", [3, 64, 65, 250])  # one chunk of 64 (few hits), one of 256, the boundary between
def test_sparse_rram_write_of_whole_granules_is_the_dense_write_where_it_writes(rram, hits, monkeypatch):
    """The mixed-precision accumulator's requests (whole granules on a few weights, issue 27): the devices asked
    get the dense write's conductances, the others keep theirs bit for bit."""
    mem, state = rram
    flat = np.random.default_rng(hits).choice(SHAPE[0] * SHAPE[1], hits, replace=False)
    signs = np.where(np.arange(hits) % 2, 1.0, -2.0) * mem.write_granularity
    dw = jax.numpy.zeros(SHAPE).reshape(-1).at[flat].set(signs).reshape(SHAPE)
    dense, new = _dense_and_sparse(mem, state, dw, jax.random.PRNGKey(5), monkeypatch)
    asked = np.broadcast_to(np.asarray(dw != 0), state.g.shape)
    assert int(new.counts.pulses) == int(dense.counts.pulses) > 0
    np.testing.assert_array_equal(np.asarray(mem.levels(new))[asked], np.asarray(mem.levels(dense))[asked])
    np.testing.assert_allclose(np.asarray(new.g)[asked], np.asarray(dense.g)[asked], rtol=1e-6, atol=0)
    assert np.any(np.asarray(new.g)[asked] != np.asarray(state.g)[asked])  # (a device at its bound stays there)
    np.testing.assert_array_equal(np.asarray(new.g)[~asked], np.asarray(state.g)[~asked])
