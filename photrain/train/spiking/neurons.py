"""Neurons and synapses of the spiking network: Poisson input spikes, the stochastic winner-take-all and its
membrane potentials (Nessler 2013), where the weights live (:class:`Synapses`) and the network's state
(:class:`NetState`). The STDP rule that changes the weights is :mod:`photrain.train.spiking.rule`.
Sources: :mod:`photrain.train.spiking`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.train.spiking.config import STDPConfig

F32 = jnp.float32


def poisson_probability(intensity, rate_max: float, dt: float):
    """Probability of an input spike in one step of length dt: 1 - exp(-rate_max * intensity * dt).

    A Poisson process of rate r has at least one event in dt with that probability (exact, not r dt).
    """
    return -jnp.expm1(-rate_max * jnp.clip(jnp.asarray(intensity, F32), 0.0, None) * dt)


def _bits16(key, shape):
    """Uniform 16-bit integers (as int32): two per 32-bit word of the key's stream (half the generator cost)."""
    n = shape[-1]
    words = jax.random.bits(key, (*shape[:-1], (n + 1) // 2), jnp.uint32)
    half = jax.lax.bitcast_convert_type(words, jnp.uint16).reshape(*shape[:-1], -1)[..., :n]
    return half.astype(jnp.int32)


def poisson_spikes(key, intensity, steps: int, rate_max: float, dt: float):
    """Boolean Poisson spike trains, shape (steps, *intensity.shape): rate = rate_max * intensity (Shi 2018).

    Each step spikes with :func:`poisson_probability`, drawn from 16-bit uniforms (probability
    resolution 2^-16).
    """
    p = poisson_probability(intensity, rate_max, dt)
    level = jnp.round(p * 65536.0).astype(jnp.int32)
    return _bits16(key, (steps, *jnp.shape(p))) < level


def sample_winner(key, u):
    """Index of the WTA neuron that fires, with probability softmax(u) (Nessler 2013), per row of u.

    Inverse-CDF sampling with one uniform per row (the same law as ``jax.random.categorical``, K times
    fewer random numbers).
    """
    p = jax.nn.softmax(u, axis=-1)
    c = jnp.cumsum(p, axis=-1)
    r = jax.random.uniform(key, (*u.shape[:-1], 1), F32) * c[..., -1:]
    return jnp.minimum(jnp.sum(c <= r, axis=-1), u.shape[-1] - 1)


# ------------------------------------------------------------------------------------------ synapses
class Synapses(NamedTuple):
    """Where the weights live. All four are pure and jittable; ``state`` is any pytree.

    init(w, key) -> state; read(state) -> w (K, N); integrate(state, x, key) -> x @ w.T for on/off
    inputs x (..., N); update(state, dw, key) -> state (apply the requested change dw, weight units);
    program(state, mask, value, key) -> state (set the masked synapses to ``value``: pruning); drain
    (optional): state -> (state with its device counters reset, {ledger entry: count}), called after every
    chunk of images so int32 counters never overflow.
    """

    init: Callable[[Any, Any], Any]
    read: Callable[[Any], Any]
    integrate: Callable[[Any, Any, Any], Any]
    update: Callable[[Any, Any, Any], Any]
    program: Callable[[Any, Any, float, Any], Any]
    drain: Callable[[Any], Any] | None = None


@functools.lru_cache(maxsize=8)
def digital_synapses(w_min: float = -1.0, w_max: float = 1.0) -> Synapses:
    """Float32 weights in a plain array, clipped to [w_min, w_max] on every write; integration spikes @ W.T."""
    return Synapses(
        init=lambda w, key: jnp.clip(jnp.asarray(w, F32), w_min, w_max),
        read=lambda s: s,
        integrate=lambda s, x, key: x @ s.T,
        update=lambda s, dw, key: jnp.clip(s + dw, w_min, w_max),
        program=lambda s, mask, value, key: jnp.where(mask, jnp.asarray(value, F32), s),
    )


# ------------------------------------------------------------------------------------------- network
class NetState(NamedTuple):
    syn: Any  # synapse state (weights (K, N) with the bias in the last column)
    theta: Any  # (K,) homeostatic threshold subtracted from the membrane potential
    spikes: Any  # (K,) output spikes so far (each one an STDP update of its row)
    frozen: Any  # (K, N) bool: pruned synapses (no more writes)
    matured: Any  # (K,) bool
    writes: Any  # int32: synapse writes requested in this chunk (STDP + pruning)
    saved: Any  # int32: STDP writes skipped because the synapse was frozen
    wsum: Any = None  # (K,) sum of each neuron's input weights (bias excluded), for ``cfg.normalise``; None: recompute


def foreground_pixels(x_train, n: int):
    """Indices (sorted) of the ``n`` pixels with the highest mean intensity over the training set.

    Shi 2018 crops MNIST to 397 pixels by dropping the background; the exact mask is not published, so we
    keep the pixels that are most often inked (for MNIST n = 397 keeps the digit's central region).
    """
    n_feat = x_train.shape[1]
    if not 1 <= n <= n_feat:
        raise ValueError(f"n_pixels must be in [1, {n_feat}] for this dataset; got {n}")
    mean = np.asarray(x_train, np.float32).mean(axis=0)
    return np.sort(np.argsort(-mean, kind="stable")[:n])


def input_weight_sums(syn: Synapses, state, n_in: int):
    """(K,) sum over the ``n_in`` input synapses (bias excluded) of each neuron's weights as read."""
    return syn.read(state)[:, :n_in].sum(axis=1)


def membrane_potential(cfg: STDPConfig, syn: Synapses, state, x_full, theta, key, wsum):
    """u_k = sum_i w_ki x_i - theta_k, minus, with ``cfg.normalise``, the feed-forward inhibition xbar * wsum_k.

    x_full: (..., n_in + 1) on/off inputs, bias last; wsum: (K,) :func:`input_weight_sums`. The inhibition
    xbar = mean of the n_in inputs makes u_k = sum_i (x_i - xbar) w_ki + w_k0: every neuron sees its input weights
    relative to their own mean, the normalisation of Diehl & Cook 2015 (equal total weight per neuron, here
    zero), so a neuron with many strong synapses no longer wins every image.
    """
    u = syn.integrate(state, x_full, key) - theta
    if cfg.normalise:
        u = u - jnp.mean(x_full[..., :-1], axis=-1, keepdims=True) * wsum
    return u


def _row(state, k):
    """Row k of a synapse state: every array leaf is elementwise over (K, N); scalars (counters) stay whole."""
    return jax.tree_util.tree_map(lambda a: a[k] if jnp.ndim(a) >= 1 else a, state)


def _set_row(state, k, row_state):
    """Write an updated row state back (scalar leaves, e.g. pulse counters, are taken from the row update)."""
    return jax.tree_util.tree_map(lambda a, r: a.at[k].set(r) if jnp.ndim(a) >= 1 else r, state, row_state)

