"""Writes that compute only the devices a step pulses: the hit list of a sparse mask, and a loop over it.

An optimiser step's pulse counts are zero for almost every device (issue 27, MNIST 784-256-10 DFA, SGD lr 0.01,
momentum 0.9, batch 64, 100 steps: PCM pulses 0.15 % of its devices per step, RRAM 1.7 %), but a dense write
evaluates the n-pulse closed form (two exponentials, a square root, the noise) for every device and rewrites
every array. A sparse write draws the rounding uniform of every device (the pulse count needs it), lists the
devices with n > 0 (:func:`hit_list`), evaluates the closed form for those only, from the same random words
(``uniform_pair_at``), and scatters the results: the conductances of the dense write, computed for the hits.

:func:`hit_list` avoids ``jnp.nonzero`` (a prefix sum over every element: 0.75 ms for 200 k elements on the
shared 2-core CPU, 2026-12-07, as much as the dense write) and a reduction along a short minor axis (0.22 ms):
the mask is packed into N / 32 words along the middle axis of a (N / 2048, 32, 64) view (:func:`pack`), one
prefix sum runs over the words' population counts, and the k-th hit's word is the number of words that end at or
before k (a scatter of one mark per word and a prefix sum over the chunk), its bit a 5-step popcount search inside
the word. :func:`for_hits` runs a write over the hits
in chunks of a fraction of the devices (a ``while_loop``: one iteration at the usual rates, as many as a step needs),
scattering into the written arrays in place. A ``lax.cond`` between a sparse and a dense write was slower: XLA
copies every array a conditional's branch scatters into.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from photrain.memory.base import run_if
from photrain.xla_forms import computed_once

#: smallest array a memory writes sparsely (smaller ones are cheap to write densely; the device tests of small
#: arrays see the dense form)
MIN_SPARSE = 4096

#: words of :func:`pack` side by side: a word's 32 elements lie BLOCK apart
BLOCK = 64


class Packed(NamedTuple):
    """A mask packed by :func:`pack`: words (M,) uint32, cnt (M,) int32 hits per word, ends = cumsum(cnt),
    count = hits in all (int32 scalar), size = the mask's element count (static)."""

    words: jax.Array
    cnt: jax.Array
    ends: jax.Array
    count: jax.Array
    size: int


def pack(mask) -> Packed:
    """The mask as M words (padded with False to a multiple of 32 x :data:`BLOCK` elements): word r BLOCK + c holds
    elements r 32 BLOCK + b BLOCK + c, b = 0 ... 31 (bit b)."""
    flat = mask.reshape(-1)
    size = flat.size
    span = 32 * BLOCK
    full, rest = divmod(size, span)
    # packed along the middle axis of the (rows, 32, BLOCK) view: vectorised over the contiguous BLOCK axis (a
    # reduction along a short minor axis costs XLA on CPU 4x as much: 0.22 ms for 200 k elements), and the hits
    # of a word lie within 32 x BLOCK elements, so that gathers and scatters walk the arrays forwards block by
    # block. The last partial block is packed on its own: padding the whole mask (a concatenate inside the
    # fusion) made the packing of a 784 x 800 mask 10x slower.
    bits = jnp.left_shift(jnp.uint32(1), jnp.arange(32, dtype=jnp.uint32))

    def words_of(block):
        return jnp.sum(jnp.where(block.reshape(-1, 32, BLOCK), bits[None, :, None], jnp.uint32(0)), axis=1,
                       dtype=jnp.uint32).reshape(-1)

    parts = [words_of(flat[: full * span])] if full else []
    if rest:
        parts.append(words_of(jnp.concatenate([flat[full * span:], jnp.zeros((span - rest,), bool)])))
    words = parts[0] if len(parts) == 1 else jnp.concatenate(parts)
    cnt = jax.lax.population_count(words).astype(jnp.int32)
    ends = jnp.cumsum(cnt)
    return Packed(words, cnt, ends, ends[-1], size)


def indices(p: Packed, capacity: int, start=0):
    """Flat indices (int32, (capacity,)) of hits ``start`` ... ``start + capacity - 1`` of a packed mask, in word
    order (not ascending), padded with ``p.size`` past the last hit (out of range: :func:`scatter` drops them,
    :func:`gather` reads element 0)."""
    m = p.words.size
    k = start + jnp.arange(capacity, dtype=jnp.int32)
    # j = searchsorted(ends, k, side='right') = #{words with ends <= k}: one mark per word at its end (relative to
    # the chunk, clipped to it), summed up the chunk: a scatter of M marks and a prefix sum over the chunk instead of
    # a binary search per slot (issue 27: 0.12 -> 0.045 ms with the packing, 6272 slots of a 256 x 784 RRAM write)
    marks = jnp.zeros(capacity + 1, jnp.int32).at[jnp.clip(p.ends - start, 0, capacity)].add(1)
    j = jnp.minimum(jnp.cumsum(marks[:capacity]), m - 1).astype(jnp.int32)
    w = p.words[j]
    r = (k - (p.ends[j] - p.cnt[j])).astype(jnp.uint32)  # rank of the hit inside its word
    bit = jnp.zeros(capacity, jnp.uint32)
    for s in (16, 8, 4, 2, 1):  # skip a block of s bits while it holds no more than r hits
        low = jax.lax.population_count(jnp.right_shift(w, bit) & jnp.uint32((1 << s) - 1))
        skip = low <= r
        bit = jnp.where(skip, bit + s, bit)
        r = jnp.where(skip, r - low, r)
    idx = jnp.where(k < p.count, (j // BLOCK) * (32 * BLOCK) + bit.astype(jnp.int32) * BLOCK + j % BLOCK, p.size)
    return computed_once(idx, p.count >= 0)  # one buffer: XLA would recompute the search in every gather


def hit_list(mask, capacity: int):
    """(idx, count): the flat indices of the first ``capacity`` True elements of ``mask`` (:func:`indices`) and
    the number of True elements (int32; may exceed ``capacity``)."""
    p = pack(mask)
    return indices(p, capacity), p.count


def chunk_size(size: int, parts: int = 32) -> int:
    """Hits :func:`for_hits` handles per iteration: 1/``parts`` of the devices (at least 64)."""
    return max(size // parts, 64)


def for_hits(mask, body, carry, parts: int = 32, dense=None, dense_above: int = 32, few: int = 64):
    """``carry = body(idx, carry)`` for the hits of ``mask`` in chunks of :func:`chunk_size` (a ``while_loop``:
    no iteration without hits, as many as the hits need; the arrays ``body`` scatters into are updated in place).
    ``idx``: :func:`indices` of the chunk, padded with ``mask.size``. The search costs ~8 ns per slot of a chunk
    on the shared CPU (27 ns with a binary search per slot; issue 27, 256 x 784 at 1.7 %: pack and search of a 1/32
    chunk 0.186 -> 0.071 ms, this loop with a one-scatter body 0.235 -> 0.093 ms):
    ``parts`` is best about 1 / (the usual fraction of hits). A step with few hits (at most
    1/(``parts`` ``few``) of the devices, e.g. the whole granules of a mixed-precision accumulator: ~1e-4 of the
    weights) runs one iteration of a chunk that size instead (issue 27, benchmarks/sparse_write.py under the lock:
    0.78 -> 0.49 ms for a 500 x 784 RRAM write at 1e-4 of the weights).
    With ``dense``, a step with more than 1/``dense_above`` of the devices hit runs ``carry = dense(carry)``
    instead (the dense write is cheaper there), by :func:`~photrain.memory.base.run_if` (a conditional would copy
    every array). ``mask`` may come packed (:class:`Packed`): one packing shared by two loops over the same hits."""
    p = mask if isinstance(mask, Packed) else pack(mask)
    chunk, small = chunk_size(p.size, parts), chunk_size(p.size, parts * few)
    sparse = jnp.ones((), bool)
    if dense is not None:
        sparse = p.count <= p.size // dense_above
        carry = run_if(~sparse, dense, carry)
    if small < chunk:
        carry = run_if((p.count > 0) & (p.count <= small), lambda c: body(indices(p, small), c), carry)
        sparse = sparse & (p.count > small)

    def step(c):
        t, carry = c
        return t + 1, body(indices(p, chunk, t * chunk), carry)

    return jax.lax.while_loop(lambda c: sparse & (c[0] * chunk < p.count), step, (jnp.int32(0), carry))[1]


def gather(a, idx):
    """``a.reshape(-1)[idx]``, out-of-range entries (the padding of :func:`indices`) read as element 0."""
    return a.reshape(-1)[jnp.minimum(idx, a.size - 1)]


def scatter(a, idx, values):
    """``a`` with ``a.reshape(-1)[idx] = values``, out-of-range entries dropped, in ``a``'s shape."""
    return a.reshape(-1).at[idx].set(values, mode="drop").reshape(a.shape)
