"""The counter-based hash behind photrain's cheap random draws: one uint32 word per element index, keyed by two words.

    word(i) = mix(mix(i * stride + s0) ^ s1)          (uint32 arithmetic, wrapping)

``mix`` is a two-round xorshift-multiply bijection of uint32, x ^= x >> a; x *= m1; x ^= x >> b; x *= m2;
x ^= x >> c (Wellons, "Prospecting for hash functions", https://nullprogram.com/blog/2018/07/31/ and
https://github.com/skeeto/hash-prospector), and (s0, s1) two words drawn once from a ``jax.random`` key
(Threefry). A word costs ~10 integer operations where ``jax.random.bits`` runs Threefry's 20 rounds per pair
(detector noise: :mod:`photrain.models.fast_random`; device writes: :mod:`photrain.memory.base`). Each element's
word depends on its index only, so the words of a few indices are those of the whole draw (a sparse write's).

Two parameter sets of ``mix`` are in use, each named here, so that every stream keeps the bits it had (pinned
test values and measured runs rest on them):

* :data:`LOWBIAS32`, stride 1: Wellons' ``lowbias32`` (exact avalanche bias 0.1735, hash-prospector README),
  the detector-noise normals of :mod:`photrain.models.fast_random`. New streams use this one.
* :data:`FMIX32`, stride :data:`WEYL` (2^32 / golden ratio): MurmurHash3's 32-bit finaliser (Appleby,
  https://github.com/aappleby/smhasher, ``fmix32``), which ``lowbias32`` "beats by a tiny margin" (Wellons), the
  device draws of the weight memories (:mod:`photrain.memory.base`).

:func:`box_muller` turns two uniforms into two standard normals (Box & Muller, Ann. Math. Stat. 29, 610 (1958)),
with sine and cosine as short polynomials (:func:`cos_sin_2pi`): the memories' device noise and the cores' detector
and read noise take their Gaussians from it.

Also :func:`fabrication_normal` and :func:`host_uniform`: one-off Threefry draws on the host (a chip's fabrication
errors, initial weights) taken from a few shared compiled draws (Threefry is counter-based too).

Shared by every layer (DESIGN.md), as ``constants`` is: models and memory may not import each other.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class Mix(NamedTuple):
    """The shifts and odd multipliers of a two-round xorshift-multiply (module docstring)."""

    a: int
    m1: int
    b: int
    m2: int
    c: int


#: Wellons' lowbias32 (hash-prospector: [16 7feb352d 15 846ca68b 16], exact bias 0.17353355999581582)
LOWBIAS32 = Mix(16, 0x7FEB352D, 15, 0x846CA68B, 16)
#: MurmurHash3's 32-bit finaliser fmix32 (Appleby, smhasher's MurmurHash3.cpp)
FMIX32 = Mix(16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
#: round(2^32 / golden ratio): a Weyl-sequence stride that spreads consecutive counters over the 32 bits
WEYL = 0x9E3779B9


def mix32(x, mix: Mix = LOWBIAS32):
    """One two-round xorshift-multiply of uint32 words ``x`` (a bijection on uint32)."""
    x = x ^ (x >> mix.a)
    x = x * jnp.uint32(mix.m1)
    x = x ^ (x >> mix.b)
    x = x * jnp.uint32(mix.m2)
    return x ^ (x >> mix.c)


def counter_hash(idx, seeds, mix: Mix = LOWBIAS32, stride: int = 1):
    """The words ``mix(mix(idx * stride + seeds[0]) ^ seeds[1])`` of element indices ``idx`` (uint32, any shape);
    ``seeds``: two uint32 words (e.g. ``jax.random.bits(key, (2,), jnp.uint32)``)."""
    idx = jnp.asarray(idx, jnp.uint32)
    if stride != 1:
        idx = idx * jnp.uint32(stride)
    return mix32(mix32(idx + seeds[0], mix) ^ seeds[1], mix)


def cos_sin_2pi(v):
    """(cos 2 pi v, sin 2 pi v) for v in [0, 1) by half-angle Taylor polynomials (|error| < 1e-6).

    XLA's CPU cos/sin cost ~10x an exp; this is a few multiply-adds. With x = pi (v - 1/2) in
    [-pi/2, pi/2): s = sin x, c = cos x to order 11/12, then cos 2 pi v = -(1 - 2 s^2), sin 2 pi v = -2 s c.
    """
    x = jnp.float32(math.pi) * (v - 0.5)
    x2 = x * x
    # Horner form with the Taylor coefficients (one multiply-add per term: 19 fewer instructions per 8 elements in
    # the read's fused loop than the nested form, issue 27; the same values within 1e-6)
    s = x + x * x2 * (-1 / 6 + x2 * (1 / 120 + x2 * (-1 / 5040 + x2 * (1 / 362880 + x2 * (-1 / 39916800)))))
    c = 1 + x2 * (-1 / 2 + x2 * (1 / 24 + x2 * (-1 / 720 + x2 * (1 / 40320 + x2 * (-1 / 3628800 + x2 / 479001600)))))
    return 2 * s * s - 1, -2 * s * c


def box_muller(u, v):
    """Two independent standard normals r cos(2 pi v), r sin(2 pi v), r = sqrt(-2 ln u), from independent uniforms
    u in (0, 1] and v in [0, 1) (Box & Muller 1958). A caller that needs one takes the first: XLA drops the other's
    polynomial."""
    r = jnp.sqrt(-2.0 * jnp.log(u))
    cos, sin = cos_sin_2pi(v)
    return r * cos, r * sin


def fabrication_normal(key, shape) -> np.ndarray:
    """``jax.random.normal(key, shape)`` (JAX's default float dtype), for draws made once on the host when a chip is
    built (ring resonance offsets, coupler and phase errors): the same values, from fewer compiled programs.

    JAX's Threefry is counter-based (``jax_threefry_partitionable``, on by default): element i of a draw depends on
    the key and i only, so a shape's normals are the first elements of any longer draw. They are taken from a draw of
    the next power of two (at least 64), one compiled program per size class instead of one per shape (each costs
    ~0.1 s to compile on a CPU; a test run builds chips of many shapes). Tested equal to ``jax.random.normal`` for
    several shapes, float32 and float64 (tests/test_counter_hash.py). Under ``jit`` (a traced key) it is
    ``jax.random.normal`` itself.
    """
    dtype = jnp.result_type(float)  # float32, or float64 inside an x64 scope: what jax.random.normal would give
    if isinstance(key, jax.core.Tracer):
        return jax.random.normal(key, shape, dtype)
    n = math.prod(shape)
    return np.asarray(_normal_draw(key, _size_class(n), dtype))[:n].reshape(shape)


def host_uniform(key, shape, dtype, minval, maxval) -> np.ndarray:
    """``jax.random.uniform(key, shape, dtype, minval, maxval)`` for a one-off host draw (initial weights), the same
    values from a shared compiled draw, as :func:`fabrication_normal` (each element of ``jax.random.uniform`` is
    ``max(minval, u * (maxval - minval) + minval)`` of its own counter's bits). Under ``jit``: ``jax.random.uniform``."""
    if isinstance(key, jax.core.Tracer):
        return jax.random.uniform(key, shape, dtype, minval, maxval)
    n = math.prod(shape)
    return np.asarray(_uniform_draw(key, _size_class(n), jnp.dtype(dtype), minval, maxval))[:n].reshape(shape)


def _size_class(n: int) -> int:
    return max(64, 1 << max(n - 1, 0).bit_length())


@functools.partial(jax.jit, static_argnums=(1, 2))
def _normal_draw(key, size: int, dtype):
    return jax.random.normal(key, (size,), dtype)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _uniform_draw(key, size: int, dtype, minval, maxval):
    return jax.random.uniform(key, (size,), dtype, minval, maxval)
