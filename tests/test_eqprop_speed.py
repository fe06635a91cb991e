"""The fast paths of EP on the crossbar (issue 27 item 2) give what the plain ones give: noise keys prepared before
the relaxation loop (the sparse RRAM write of the mixed-precision accumulator: tests/test_memory_sparse.py)."""

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import photrain.train.eqprop as ep
from photrain.controller.engines import CrossbarEngine
from photrain.cores import CrossbarCore
from photrain.cores.crossbar import CrossbarReadout
from photrain.models import fast_random

KEY = jax.random.PRNGKey(0)


def test_hash_keys_give_the_draws_of_their_keys():
    keys = jax.random.split(KEY, 6).reshape(2, 3, 2)
    hk = fast_random.hash_keys(keys)
    assert hk.words.shape == (2, 3, 2) and hk.words.dtype == jnp.uint32
    for i in range(2):
        for j in range(3):
            one = jax.tree.map(lambda a, i=i, j=j: a[i, j], hk)
            np.testing.assert_array_equal(fast_random.normal(one, (4, 5)), fast_random.normal(keys[i, j], (4, 5)))
    typed = jax.random.split(jax.random.key(1), 3)
    np.testing.assert_array_equal(fast_random.hash_keys(typed).words[2], jax.random.bits(typed[2], (2,), jnp.uint32))
    with pytest.raises(ValueError, match="fast=True"):
        fast_random.normal(one, (2,), fast=False)


def test_relaxation_with_noise_drawn_before_the_loop_is_the_same_relaxation():
    """The products' normals drawn before the loop for every sweep (the controller's preparation) give the states of
    keys folded in per sweep and product."""
    core = CrossbarCore(8, 8, read_noise=0.02, readout=CrossbarReadout(dac_bits=8, adc_bits=8))
    k1, k2, kx = jax.random.split(KEY, 3)
    ws = (jax.random.normal(k1, (12, 20)) * 0.3, jax.random.normal(k2, (3, 12)) * 0.3)
    biases = [jnp.zeros(12), jnp.zeros(3)]
    x = jax.random.uniform(kx, (4, 20))

    def both(ws, key):  # programmed inside the jit: eager programming would cost more than the test
        s = [core.program(w) for w in ws]
        drawn = ep._prepare_keys(SimpleNamespace(core=CrossbarEngine(core)), SimpleNamespace(settings=s), 4)

        def run(prepare):
            return ep.relax(biases, x, lambda i, h, k: core.matvec(h, s[i], k),
                            lambda i, h, k: core.matvec_t(h, s[i], k), steps=3, key=key, prepare_keys=prepare).states

        return run(None), run(drawn), drawn(jax.random.split(KEY, 12).reshape(3, 4, 2))  # 3 sweeps, 4 products

    plain, pre, noise = jax.jit(both)(ws, KEY)
    for a, b in zip(plain, pre, strict=True):
        np.testing.assert_array_equal(a, b)
    assert noise[0] is None and noise[3] is None  # W_1 x once per batch; there is no W_3
    assert noise[1].z.shape == (3, 1, 4, 12) and noise[2].z.shape == (3, 2, 4, 3)  # (sweeps, tiles, batch, out)
    with pytest.raises(ValueError, match="Drawn normals have shape"):
        fast_random.normal(jax.tree.map(lambda a: a[0], noise[1]), (1, 4, 13))
