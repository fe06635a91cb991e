"""Pruning during STDP training: soft-pruning (freeze at a constant) and conventional pruning (freeze at zero).

Shi, Nguyen, Oh, Liu, Koushan, Jameson & Kuzum, "Neuroinspired unsupervised learning and pruning
with subquantum CBRAM arrays", Nat. Commun. 9, 5312 (2018), and Shi, Nguyen, Oh, Liu & Kuzum,
"A soft-pruning method applied during training of spiking neural networks for in-memory computing
applications", Front. Neurosci. 13, 405 (2019): once an output neuron has *matured* (its receptive
field has formed), its weakest synapses are frozen, so they receive no further STDP writes.

* maturity criterion (named ``mature_spikes``): the neuron has fired ``mature_spikes`` output spikes
  (each of them an STDP update of its row). The papers tie maturity to the neuron's firing history
  without a number we could find; the default in :class:`~photrain.train.spiking.config.STDPConfig` is ours.
* pruning threshold: the ``prune_fraction`` quantile of the matured neuron's own input weights
  (bias excluded), so exactly ``prune_fraction`` of each matured row is frozen and the pruned fraction
  of the network is ``prune_fraction`` x (fraction of matured neurons).
* gradual pruning (named ``prune_ramp``): the frozen share of a matured row grows from 0 to ``prune_fraction``
  over the neuron's next ``prune_ramp`` output spikes along the cubic schedule of M. Zhu & S. Gupta, "To prune,
  or not to prune: exploring the efficacy of pruning for model compression", arXiv:1710.01878 (2017), Eq. 1
  (:func:`pruned_due`); each step freezes the lowest of the still-learning weights, so the rest of the row keeps
  adapting to the weights already frozen (Zhu & Gupta's point: pruning in small steps during training lets the
  network recover). ``prune_ramp = 0`` freezes the whole fraction at maturity (the papers' description, as we
  read it). Why, measured with the training images only (validation = the last 10k MNIST training images):
  on a 100-neuron proxy (12k images x 3 epochs, ~1800 output spikes per neuron as in the full run; soft 75 %,
  maturity at 300 spikes) all at once gave 79.9 %, the ramp over 600 / 1000 spikes 82.9 / 83.6 %, unpruned 86.7 %;
  freezing the weights where they stood (no reset to the constant) still lost 5.3 points, so the loss comes
  from freezing a receptive field in one step more than from the constant. Full size (500 neurons, 50k x 3):
  ramp 600 / 1000 gave 92.05 / 92.46 % against 93.98 % unpruned, saving 51.2 / 46.0 % of the STDP writes; the
  default is 1000.
* ``soft``: pruned weights are set to ``soft_value`` (a constant, non-zero; default the lower weight
  bound w_min = -1, where STDP drives synapses of background pixels anyway) and frozen. Of the constants we
  tried on a trained 100-neuron network (its lowest 75 % per row replaced after training: -1, -0.8, -0.6, 0, the
  mean of the replaced weights), -1 cost the least (2.4 points; the row mean 7.8, zero 8.5).
* ``hard`` (conventional): pruned weights are set to 0 and frozen. With weights in [-1, 1] a zero is
  *larger* than the learned negative evidence of those pixels, which is why it costs accuracy.
"""

from __future__ import annotations

import jax.numpy as jnp

PRUNE_MODES = ("none", "soft", "hard")


def check_pruning(mode: str, fraction: float, mature_spikes: int, soft_value: float, w_min: float, w_max: float):
    """Validate pruning parameters; ValueError naming the argument and the fix."""
    if mode not in PRUNE_MODES:
        raise ValueError(f"prune must be one of {', '.join(PRUNE_MODES)}; got {mode!r}")
    if not isinstance(fraction, int | float) or not 0.0 <= fraction < 1.0:
        raise ValueError(f"prune_fraction must be in [0, 1) (the fraction of a matured neuron's weights "
                         f"frozen, e.g. 0.75); got {fraction!r}")
    if mode != "none" and fraction == 0.0:
        raise ValueError(f"prune={mode!r} needs prune_fraction > 0 (e.g. 0.75); use prune='none' for no pruning")
    if int(mature_spikes) < 1:
        raise ValueError(f"mature_spikes must be >= 1 (output spikes before a neuron counts as matured); "
                         f"got {mature_spikes}")
    if mode == "soft" and (soft_value == 0.0 or not w_min <= soft_value <= w_max):
        raise ValueError(f"soft_value must be non-zero and in [w_min, w_max] = [{w_min}, {w_max}]; got {soft_value} "
                         "(a zero constant is conventional pruning: use prune='hard')")


def n_pruned(fraction: float, n_prunable: int) -> int:
    """Synapses frozen in a matured row: round(fraction x n_prunable)."""
    return int(round(fraction * n_prunable))


def prune_row(w_row, n_prune, n_prunable: int):
    """Boolean mask of the synapses to freeze in one matured row.

    w_row: the neuron's weights (inputs then bias); only the first ``n_prunable`` (the inputs) can be
    pruned. The threshold is the ``prune_fraction`` quantile of those weights: the ``n_prune`` =
    :func:`n_pruned` smallest are pruned (ties broken by index, so the count is exact; may be traced).
    """
    order = jnp.argsort(w_row[:n_prunable], stable=True)
    rank = jnp.zeros(n_prunable, jnp.int32).at[order].set(jnp.arange(n_prunable, dtype=jnp.int32))
    mask = rank < n_prune
    return jnp.concatenate([mask, jnp.zeros(w_row.shape[0] - n_prunable, bool)])


def pruned_value(mode: str, soft_value: float) -> float:
    """The constant a pruned weight is frozen at: ``soft_value`` (soft) or 0 (hard)."""
    return soft_value if mode == "soft" else 0.0


def pruned_due(n_prune, spikes_since_maturity, ramp: int):
    """Synapses due frozen in a matured row ``spikes_since_maturity`` = s output spikes after it matured (s = 1
    at the maturing spike): all ``n_prune`` at once when ``ramp`` = 0, else Zhu & Gupta (2017) Eq. 1 with the
    initial sparsity 0, floor(n_prune (1 - (1 - s / ramp)^3)) for s in [0, ramp] and n_prune after (may be traced)."""
    if ramp <= 0:
        return jnp.asarray(n_prune, jnp.int32)
    s = jnp.clip(jnp.asarray(spikes_since_maturity, jnp.float32) / ramp, 0.0, 1.0)
    return jnp.floor(jnp.asarray(n_prune, jnp.float32) * (1.0 - (1.0 - s) ** 3) + 1e-4).astype(jnp.int32)
