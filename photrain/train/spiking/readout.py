"""Reading the trained network: spike counts of the frozen network (batched over images), a recorded
presentation (:func:`raster`), label assignment and the readouts that turn test responses into classes
(:func:`classify`). Sources: :mod:`photrain.train.spiking`."""

from __future__ import annotations

import functools
import math
from dataclasses import replace
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.train.spiking.config import READOUTS, STDPConfig, static_config
from photrain.train.spiking.neurons import (
    F32,
    Synapses,
    input_weight_sums,
    membrane_potential,
    poisson_spikes,
    sample_winner,
)
from photrain.train.spiking.rule import in_window


def make_responses(cfg: STDPConfig, syn: Synapses, n_in: int):
    """Jitted responses (below), compiled once per :func:`static_config` configuration."""
    return _responses(replace(static_config(cfg), prune="none", prune_fraction=0.0), syn, n_in)


@functools.lru_cache(maxsize=32)
def _responses(cfg: STDPConfig, syn: Synapses, n_in: int):
    """Jitted ``(syn_state, theta, images (B, n_in), key) -> counts (B, K)`` with frozen weights.

    The WTA's output spike times (rate ``eval_rate``) are shared across the batch; the winner of each
    spike is sampled per image from softmax(u - theta) (Nessler 2013), so each image's counts follow the
    model exactly. The synaptic integration of a whole batch is one call to ``integrate``.
    """
    T, K, win = cfg.steps, cfg.neurons, cfg.window_steps
    p_out = -math.expm1(-cfg.eval_rate * cfg.dt)

    @jax.jit
    def responses(state, theta, images, key):
        B = images.shape[0]
        k_in, k_out, k_steps = jax.random.split(key, 3)
        spk = poisson_spikes(k_in, images, T, cfg.rate_max, cfg.dt)
        fire = jax.random.bernoulli(k_out, p_out, (T,))

        wsum = input_weight_sums(syn, state, n_in)

        def on_spike(counts, x_full, key):
            k1, k2 = jax.random.split(key)
            k = sample_winner(k2, membrane_potential(cfg, syn, state, x_full, theta, k1, wsum))
            return counts + jax.nn.one_hot(k, K, dtype=F32)

        def step(carry, xs):
            s, f, key = xs
            since, counts = carry
            since = jnp.where(s, 0, since + 1)
            x_full = jnp.concatenate([in_window(since, win).astype(F32), jnp.ones((B, 1), F32)], axis=1)
            counts = jax.lax.cond(f, on_spike, lambda c, x, k: c, counts, x_full, key)
            return (since, counts), None

        init = (jnp.full((B, n_in), 1 << 20, jnp.int32), jnp.zeros((B, K), F32))
        (_, counts), _ = jax.lax.scan(step, init, (spk, fire, jax.random.split(k_steps, T)))
        return counts

    return responses


def raster(cfg: STDPConfig, syn: Synapses, state, theta, image, key, *, rate: float | None = None):
    """One presentation with frozen weights, recorded: (input spikes (T, n_in) bool, winner (T,) int, -1 where
    the WTA did not fire, membrane potentials u - theta (T, K) at every step). ``rate``: WTA output rate
    (Hz; default ``cfg.out_rate``)."""
    image = jnp.asarray(image, F32)
    n_in, T, win = image.shape[0], cfg.steps, cfg.window_steps
    k_in, k_out, k_steps = jax.random.split(key, 3)
    spk = poisson_spikes(k_in, image, T, cfg.rate_max, cfg.dt)
    fire = jax.random.bernoulli(k_out, -math.expm1(-(rate or cfg.out_rate) * cfg.dt), (T,))
    wsum = input_weight_sums(syn, state, n_in)

    def step(since, xs):
        s, f, k = xs
        since = jnp.where(s, 0, since + 1)
        x_full = jnp.concatenate([in_window(since, win).astype(F32), jnp.ones((1,), F32)])
        k1, k2 = jax.random.split(k)
        u = membrane_potential(cfg, syn, state, x_full, theta, k1, wsum)
        return since, (jnp.where(f, sample_winner(k2, u), -1), u)

    _, (winner, u) = jax.lax.scan(step, jnp.full((n_in,), 1 << 20, jnp.int32),
                                  (spk, fire, jax.random.split(k_steps, T)))
    return np.asarray(spk), np.asarray(winner), np.asarray(u)


class LabelStats(NamedTuple):
    """What label assignment measures on the training set: rates (K, C), each neuron's mean spike count over the
    assignment images of each class (0 where a class has no image); images (C,), assignment images per class."""

    rates: np.ndarray
    images: np.ndarray

    @property
    def assigned(self) -> np.ndarray:
        """Each neuron's class: the one it responds to most on average (Diehl & Cook 2015); -1 if silent."""
        assigned = self.rates.argmax(axis=1)
        assigned[self.rates.sum(axis=1) == 0] = -1
        return assigned


def label_stats(counts, labels, n_classes: int) -> LabelStats:
    """:class:`LabelStats` of spike counts (images, K) of images with the given classes."""
    counts = np.asarray(counts, np.float64)
    labels = np.asarray(labels)
    images = np.array([np.sum(labels == c) for c in range(n_classes)])
    rates = np.stack([counts[labels == c].mean(axis=0) if images[c] else np.zeros(counts.shape[1])
                      for c in range(n_classes)], axis=1)
    return LabelStats(rates=rates, images=images)


def assign_labels(counts, labels, n_classes: int):
    """Each neuron's class: the one it responds to most on average (Diehl & Cook 2015); -1 if silent."""
    return label_stats(counts, labels, n_classes).assigned


def classify(counts, assigned, n_classes: int, *, readout: str = "mean", stats: LabelStats | None = None):
    """Predicted class of each row of spike counts (images, K), by ``readout``:

    * ``mean`` (Diehl & Cook 2015): the class whose assigned neurons respond most on average,
      score_c = mean_{k: a_k = c} n_k.
    * ``proportion`` (H. Hazan et al., "BindsNET: a machine learning-oriented spiking neural networks library in
      Python", Front. Neuroinform. 12, 89 (2018): ``bindsnet.evaluation.proportion_weighting``): each assigned
      neuron's spikes are weighted by the share of its training responses that came from its class,
      score_c = sum_{k: a_k = c} n_k p_kc / #{k: a_k = c}, p_kc = r_kc / sum_c' r_kc' (``stats.rates`` r). A
      neuron that fires for its class only counts fully; one that also fires for others counts less.
    * ``likelihood``: the Bayesian decoder of independent spike counts (K. Zhang, I. Ginzburg, B. McNaughton,
      T. Sejnowski, J. Neurophysiol. 79, 1017 (1998), their Poisson Bayesian decoder): log P(c | n) = log P(c) +
      sum_k n_k log r_kc - sum_k r_kc + const; the WTA fires at one total rate whatever the image (Nessler 2013),
      so sum_k r_kc is the same for every class and each spike is a draw from p(k | c) = r_kc / sum_k' r_k'c
      (add-one smoothed on the spike totals). Uses every neuron for every class, not only the assigned labels.

    ``assigned``: (K,) classes from :func:`assign_labels` (-1: silent); ``stats``: the :class:`LabelStats` they
    came from (needed by ``proportion`` and ``likelihood``).
    """
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {', '.join(READOUTS)}; got {readout!r}")
    if readout != "mean" and stats is None:
        raise ValueError(f"readout {readout!r} needs the label statistics: pass stats=label_stats(...)")
    counts = np.asarray(counts, np.float64)
    if readout == "likelihood":
        totals = stats.rates * stats.images  # (K, C) spikes of neuron k over the class-c images
        log_p = np.log((totals + 1.0) / (totals.sum(axis=0, keepdims=True) + totals.shape[0]))
        log_prior = np.log(np.maximum(stats.images, 1) / max(stats.images.sum(), 1))
        return (counts @ log_p + log_prior).argmax(axis=1)
    scores = np.full((counts.shape[0], n_classes), -1.0)
    for c in range(n_classes):
        sel = assigned == c
        if sel.any():
            if readout == "proportion":
                r = stats.rates[sel]
                weight = r[:, c] / np.maximum(r.sum(axis=1), 1e-300)
                scores[:, c] = counts[:, sel] @ weight / sel.sum()
            else:
                scores[:, c] = counts[:, sel].mean(axis=1)
    return scores.argmax(axis=1)



def evaluate(cfg: STDPConfig, syn: Synapses, state, theta, x, key, *, n_in: int, responses=None):
    """Spike counts (images, K) of the frozen network, in batches of ``cfg.eval_batch`` (the last one padded,
    so one compilation serves every batch). ``responses``: a :func:`make_responses` to reuse."""
    resp = responses or make_responses(cfg, syn, n_in)
    b = min(cfg.eval_batch, max(len(x), 1))
    out = []
    for i, start in enumerate(range(0, len(x), b)):
        xb = np.asarray(x[start:start + b], np.float32)
        pad = b - len(xb)
        xb = np.concatenate([xb, np.zeros((pad, xb.shape[1]), np.float32)]) if pad else xb
        out.append(np.asarray(resp(state, theta, jnp.asarray(xb), jax.random.fold_in(key, i)))[:b - pad])
    return np.concatenate(out) if out else np.zeros((0, cfg.neurons), np.float32)

