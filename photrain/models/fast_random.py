"""A cheap counter-based normal generator for per-read detector and crossbar read noise.

``jax.random.normal`` spends most of its time in the Threefry-2x32 block
cipher (20 rounds per pair of 32-bit words); on a CPU that is ~30 ns a draw,
which made the per-block detector reads of a weight-bank forward pass cost
more than the whole digital training step. Detector noise needs independent,
correctly distributed draws, not cryptographic strength, so here each element
takes two 32-bit words from a counter-based hash, two rounds of Wellons'
``lowbias32`` integer hash (bijective; bias 0.17 in his avalanche test,
https://github.com/skeeto/hash-prospector), keyed by two words drawn once
from the ``jax.random`` key (:func:`photrain.counter_hash.counter_hash`, the project's counter hash):

    h_i = lowbias32(lowbias32(i + s0) ^ s1),   i = 0, 1, ... (element index; the second word at i + n)

maps the top 23 bits k of the first to u = (k + 1/2) 2^-23 in (0, 1) and those of the second to v = k 2^-23
in [0, 1), and returns z = sqrt(-2 ln u) cos(2 pi v), the Box-Muller transform (Box & Muller, Ann. Math. Stat.
29, 610 (1958); :func:`photrain.counter_hash.box_muller`): exactly standard normal for exact uniforms, |z|
reaching 5.77 (u >= 2^-24), so the tails are right to that depth. Until issue 27 the draw was the inverse CDF,
sqrt(2) erfinv(2u - 1) of one word (the method ``jax.random.normal`` uses); XLA's erfinv on CPU costs more than
the logarithm, square root and cosine polynomial here (259 k normals in one call: 423 us before, 280 us now, on the
shared 2-core CPU, 2026-12-08; ``jax.random.normal`` 1467 us), and an EP step on the crossbar draws ~330 k.
Pure and jittable; the same key gives the same draws, different keys (``jax.random.split``/``fold_in``) give independent streams.
Mean, variance, tail probabilities and independence across keys are tested
in ``tests/test_models_fast_random.py``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from photrain.counter_hash import LOWBIAS32, box_muller, counter_hash, mix32
from photrain.xla_forms import computed_once


def lowbias32(x):
    """Wellons' ``lowbias32`` 32-bit integer hash (a bijection on uint32): :func:`photrain.counter_hash.mix32`."""
    return mix32(x, LOWBIAS32)


class HashKey(NamedTuple):
    """A key's two seed words (s0, s1), drawn in advance by :func:`hash_keys`: the same draws as the key.

    Deriving the words costs one Threefry call, which XLA on CPU runs as a rolled loop (~20 µs inside a jitted
    loop, issue 27: six per EP relaxation sweep cost more than the sweep's products); a loop that draws noise
    every iteration prepares all its keys' words at once before it and passes the HashKeys in.
    """

    words: jax.Array  # uint32 (..., 2)


class Drawn(NamedTuple):
    """Standard normals drawn in advance, passed where a key goes: :func:`normal` returns them as they are.

    A loop whose products draw the same shapes every iteration draws all its iterations' normals in one
    vectorised call before it (:func:`drawn`); drawn inside a loop, a crossbar's per-read normals cost three times
    as much per draw on CPU (issue 27: ~8 ns instead of ~3 for the 10 k reads of an EP sweep's W^T s).
    """

    z: jax.Array


def drawn(hk: HashKey, shape, dtype=jnp.float32) -> Drawn:
    """``fast_normal(hk[i], shape)`` for every key of the batch ``hk`` (leading axes), in one call: the same draws."""
    batch, shape = hk.words.shape[:-1], tuple(int(n) for n in shape)
    # drawn flat (the hash counts elements in row-major order: the same values), so that the innermost axis is long,
    # and into a buffer of that shape: reshaped before it is computed, XLA emits the draw's loop over the product's
    # short minor axis (issue 27: 24 x (4, 20, 10) normals of an EP relaxation took 250 us instead of 43 us)
    words = hk.words.reshape(-1, 2)
    z = jax.vmap(lambda w: fast_normal(HashKey(w), (math.prod(shape),), dtype))(words)
    z = computed_once(z, jnp.all(words[:1] == words[:1]))
    return Drawn(z.reshape(*batch, *shape))


def hash_keys(keys) -> HashKey:
    """The seed words of a batch of jax.random keys (typed or raw uint32), in one vectorised draw:
    ``hash_bits(hash_keys(keys)[i], shape) == hash_bits(keys[i], shape)``. Index the result with
    ``jax.tree.map(lambda a: a[i], hk)``."""
    typed = jnp.issubdtype(keys.dtype, jax.dtypes.prng_key)
    batch = keys.shape if typed else keys.shape[:-1]
    flat = keys.reshape(-1) if typed else keys.reshape(-1, keys.shape[-1])
    words = jax.vmap(lambda k: jax.random.bits(k, (2,), jnp.uint32))(flat)
    return HashKey(words.reshape(*batch, 2))


def hash_bits(key, shape, offset: int = 0) -> jax.Array:
    """uint32 words of ``shape`` (fewer than 2^31 elements), one hash per element, keyed by ``key`` (a jax.random
    key or a :class:`HashKey`); ``offset``: the first counter (:func:`fast_normal`'s second words start at the
    element count)."""
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    if size >= 2**31:
        raise ValueError(f"fast_normal draws fewer than 2^31 values per key (two words each); got shape {shape}")
    seed = key.words if isinstance(key, HashKey) else jax.random.bits(key, (2,), jnp.uint32)
    return counter_hash(jax.lax.iota(jnp.uint32, size).reshape(shape) + jnp.uint32(offset), seed, LOWBIAS32)


def fast_normal(key, shape=(), dtype=jnp.float32) -> jax.Array:
    """Standard normal draws of ``shape`` (see the module docstring); ``dtype`` float32 or float64. ``key``: a
    jax.random key, a :class:`HashKey`, or :class:`Drawn` normals of this shape (returned as they are)."""
    if isinstance(key, Drawn):
        if tuple(key.z.shape) != tuple(int(n) for n in shape):
            raise ValueError(f"Drawn normals have shape {tuple(key.z.shape)}; this draw needs {tuple(shape)}: "
                             "draw them for the product they are passed to")
        return key.z.astype(dtype)
    if isinstance(key, HashKey):
        seeded = key
    else:  # the seed words once for both streams
        seeded = HashKey(jax.random.bits(key, (2,), jnp.uint32))
    size = math.prod(int(n) for n in shape)
    # top 23 bits -> u = (k + 1/2) 2^-23 in (0, 1) and v = k 2^-23 in [0, 1), every step exact in float32
    u = ((hash_bits(seeded, shape) >> 9).astype(jnp.float32) + 0.5) * (1.0 / 2**23)
    v = (hash_bits(seeded, shape, offset=size) >> 9).astype(jnp.float32) * (1.0 / 2**23)
    return box_muller(u, v)[0].astype(dtype)


def normal(key, shape=(), dtype=jnp.float32, *, fast: bool = True) -> jax.Array:
    """:func:`fast_normal` when ``fast``, else ``jax.random.normal`` (Threefry): one switch for the cores."""
    if fast:
        return fast_normal(key, shape, dtype)
    if isinstance(key, (HashKey, Drawn)):
        raise ValueError("a HashKey or Drawn normals serve fast normals only: pass fast=True or a jax.random key")
    return jax.random.normal(key, shape, dtype)
