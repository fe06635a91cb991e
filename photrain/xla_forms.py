"""Forms of common array operations that XLA compiles well on CPU, shared by every layer.

Two idioms, each measured against the plain form inside the jitted loops that use them (issue 27, the shared
2-core AMD EPYC CPU, jax 0.9.2):

* :func:`computed_once`: a value computed once into buffers. XLA fuses an elementwise chain into every consumer of
  its result and recomputes it in each (a memory write whose new conductance feeds G+, G-, two ages and a pulse
  count paid the chain five times; a crossbar product read four times by a relaxation sweep paid its noise and
  converter chain four times), and an ``optimization_barrier`` does not prevent it. A conditional's result is
  never fused into its consumers.
* :func:`max_last` / :func:`max_all`: a maximum by a tree of halving slices. XLA on CPU lowers a reduction of a
  few thousand elements to a reduce-window and a reduce that cost ~10 µs for a (20, 500) array, as much as the
  product it normalises; the elementwise maxima of halves fuse into one vectorised loop (~2 µs) and the last 16
  lanes are reduced as before. Measured per maximum along the last axis (µs, plain / halving): (20, 500) 9.8 / 2.2,
  (20, 784) 15.4 / 4.5, (64, 256) 15.8 / 4.0, but (64, 784) 12.1 / 13.9 and (64, 800) 11.2 / 13.9: past
  :data:`HALVING_UP_TO` elements XLA's own reduction runs on both cores and is the faster, and is kept. A maximum
  is exact in any order, so the result is the same to the bit (NaN propagates through ``jnp.maximum`` as through ``jnp.max``).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

#: lanes left to a plain reduction after the halving (small enough to be cheap, a multiple of the vector width)
LANES = 16
#: largest array :func:`max_last` halves (module docstring); larger ones take ``jnp.max``
HALVING_UP_TO = 32768


def computed_once(tree, pred):
    """``tree`` as it is, computed once into buffers (module docstring): ``lax.cond(pred, identity, plus zero,
    tree)`` (two identical branches would be folded away, and the cond with them). ``pred``: a traced boolean that
    is true (the other branch would turn -0.0 into +0.0)."""
    return jax.lax.cond(pred, lambda t: t, lambda t: jax.tree.map(lambda a: a + jnp.zeros((), a.dtype), t), tree)


def _lowest(dtype):
    return -jnp.inf if jnp.issubdtype(dtype, jnp.floating) else jnp.iinfo(dtype).min


def max_last(a, keepdims: bool = False):
    """``jnp.max(a, axis=-1, keepdims=keepdims)`` by halving (module docstring); the same values."""
    n = a.shape[-1]
    if n > LANES and a.size <= HALVING_UP_TO:
        width = LANES << max(0, (n - 1).bit_length() - LANES.bit_length() + 1)  # LANES x a power of two >= n
        pad = [(0, 0)] * (a.ndim - 1) + [(0, width - n)]
        a = jnp.pad(a, pad, constant_values=_lowest(a.dtype)) if width > n else a
        while a.shape[-1] > LANES:
            half = a.shape[-1] // 2
            a = jnp.maximum(a[..., :half], a[..., half:])
    return jnp.max(a, axis=-1, keepdims=keepdims)


def max_all(*arrays):
    """The largest element of all ``arrays`` (a scalar), by :func:`max_last` of each flattened."""
    return functools.reduce(jnp.maximum, [max_last(jnp.reshape(a, (-1,))) for a in arrays])
