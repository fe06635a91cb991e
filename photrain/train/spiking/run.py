"""The training run of the spiking network: presentations in sequence, time steps scanned within each, an STDP
write at every output spike, homeostasis and pruning (:func:`make_train_chunk`), then label assignment and the
test (:func:`train_stdp`, :class:`STDPResult`). Sources: :mod:`photrain.train.spiking`."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from photrain.train.spiking.config import READOUTS, STDPConfig, static_config
from photrain.train.spiking.neurons import (
    F32,
    NetState,
    Synapses,
    _row,
    _set_row,
    digital_synapses,
    foreground_pixels,
    input_weight_sums,
    membrane_potential,
    poisson_spikes,
    sample_winner,
)
from photrain.train.spiking.prune import n_pruned, prune_row, pruned_due
from photrain.train.spiking.readout import LabelStats, classify, evaluate, label_stats, make_responses
from photrain.train.spiking.rule import eta_schedule, in_window, stdp_dw


def _step_factory(cfg: STDPConfig, syn: Synapses, n_in: int, n_prune=None, soft_value=None, eta=None):
    """The scan body over time steps. ``n_prune`` (synapses frozen per matured row), ``soft_value`` and ``eta``
    (this presentation's learning rate, default ``cfg.eta``) may be traced (one compilation serves every pruned
    fraction and every point of the annealing schedule); the pruning *mode* is static."""
    K, N = cfg.neurons, n_in + 1
    eta = cfg.eta if eta is None else eta
    win = cfg.window_steps
    prune_on = cfg.prune != "none"
    n_prune = n_pruned(cfg.prune_fraction, n_in) if n_prune is None else n_prune
    target = 0.0 if cfg.prune == "hard" else (cfg.soft_value if soft_value is None else soft_value)

    def on_spike(carry, x_full, key):
        net, since = carry
        k1, k2, k3, k4 = jax.random.split(key, 4)
        wsum = input_weight_sums(syn, net.syn, n_in) if net.wsum is None else net.wsum
        k = sample_winner(k2, membrane_potential(cfg, syn, net.syn, x_full, net.theta, k1, wsum))
        row_state = _row(net.syn, k)
        row = syn.read(row_state)
        fr = net.frozen[k]
        dw = stdp_dw(row, x_full > 0, eta=eta, ltd=cfg.ltd, w_max=cfg.w_max)
        dw = jnp.where(fr, 0.0, jnp.clip(row + dw, cfg.w_min, cfg.w_max) - row)
        state = _set_row(net.syn, k, syn.update(row_state, dw, k3))
        n_frozen = fr.sum(dtype=jnp.int32)
        spikes = net.spikes.at[k].add(1)
        eta_theta = cfg.eta_theta * eta / cfg.eta if cfg.anneal_theta else cfg.eta_theta
        theta = net.theta + eta_theta * (jax.nn.one_hot(k, K, dtype=F32) - F32(1.0 / K))
        net = net._replace(syn=state, theta=theta, spikes=spikes, writes=net.writes + (N - n_frozen),
                           saved=net.saved + n_frozen, wsum=_row_sum(net.wsum, state, k))
        matures = (spikes[k] >= cfg.mature_spikes) & ~net.matured[k]
        net = net._replace(matured=net.matured.at[k].set(net.matured[k] | matures))
        if prune_on:
            # synapses due frozen in row k by now (all n_prune at maturity, or gradually over cfg.prune_ramp spikes)
            n_due = pruned_due(n_prune, spikes[k] - cfg.mature_spikes + 1, cfg.prune_ramp)

            def prune(net):
                row_state = _row(net.syn, k)
                row = syn.read(row_state)
                fr = net.frozen[k]  # frozen already: ranked first (-inf), so the newly pruned are the lowest others
                mask = prune_row(jnp.where(fr, -jnp.inf, row), n_due, n_in) | fr
                new = mask & ~fr
                state = _set_row(net.syn, k, syn.program(row_state, new, target, k4))
                return net._replace(syn=state, frozen=net.frozen.at[k].set(mask),
                                    writes=net.writes + new.sum(dtype=jnp.int32), wsum=_row_sum(net.wsum, state, k))
            due = net.matured[k] & (n_due > net.frozen[k].sum(dtype=jnp.int32))
            net = jax.lax.cond(due, prune, lambda n: n, net)
        return net, since

    def _row_sum(wsum, state, k):
        """Keep the running weight sums in step with row k's new weights (as the memory holds them)."""
        return None if wsum is None else wsum.at[k].set(syn.read(_row(state, k))[:n_in].sum())

    def step(carry, xs):
        spk, fire, key = xs
        net, since = carry
        since = jnp.where(spk, 0, since + 1)
        x_full = jnp.concatenate([in_window(since, win).astype(F32), jnp.ones((1,), F32)])
        carry = jax.lax.cond(fire, on_spike, lambda c, x, k: c, (net, since), x_full, key)
        return carry, None

    return step


def make_train_chunk(cfg: STDPConfig, syn: Synapses, n_in: int):
    """``(net, images (B, n_in), key, valid (B,), etas (B,) = cfg.eta) -> net``: B presentations in sequence, T
    time steps each, presentation b learning at rate ``etas[b]`` (:func:`eta_schedule`); images with ``valid``
    False are skipped (padding, so every chunk has one shape). Compiled once per :func:`static_config`
    configuration (pruned fraction, soft value and learning rates are arguments)."""
    jitted = _train_chunk(static_config(cfg), syn, n_in)
    n_prune = jnp.int32(n_pruned(cfg.prune_fraction, n_in))
    value = jnp.float32(cfg.soft_value)

    def run(net, images, key, valid, etas=None):
        etas = jnp.full((images.shape[0],), cfg.eta, F32) if etas is None else jnp.asarray(etas, F32)
        return jitted(net, images, key, valid, etas, n_prune, value)

    return run


@functools.lru_cache(maxsize=32)
def _train_chunk(cfg: STDPConfig, syn: Synapses, n_in: int):
    T = cfg.steps
    p_out = -math.expm1(-cfg.out_rate * cfg.dt)

    def present(net, xs, n_prune, soft_value):
        img, key, valid, eta = xs
        step = _step_factory(cfg, syn, n_in, n_prune, soft_value, eta)
        return jax.lax.cond(valid, lambda n, i, k: present_one(n, i, k, step), lambda n, i, k: n, net, img, key), None

    def present_one(net, img, key, step):
        k_in, k_out, k_steps = jax.random.split(key, 3)
        spk = poisson_spikes(k_in, img, T, cfg.rate_max, cfg.dt)
        fire = jax.random.bernoulli(k_out, p_out, (T,))
        since = jnp.full((n_in,), 1 << 20, jnp.int32)  # no input spike yet in this presentation
        (net, _), _ = jax.lax.scan(step, (net, since), (spk, fire, jax.random.split(k_steps, T)))
        return net

    @jax.jit
    def chunk(net, images, key, valid, etas, n_prune, soft_value):
        net = net._replace(writes=jnp.int32(0), saved=jnp.int32(0))
        net, _ = jax.lax.scan(lambda n, xs: present(n, xs, n_prune, soft_value), net,
                              (images, jax.random.split(key, images.shape[0]), valid, etas))
        return net

    return chunk


# ----------------------------------------------------------------------------------------- training
@dataclass
class STDPResult:
    """A trained network and what it cost. weights: (K, n_in + 1), bias last; pixels: input features used."""

    config: STDPConfig
    weights: np.ndarray
    theta: np.ndarray
    pixels: np.ndarray
    labels: np.ndarray
    spikes: np.ndarray
    frozen: np.ndarray
    matured: np.ndarray
    accuracy: float
    writes: int
    writes_saved: int
    train_seconds: float
    images_trained: int
    history: list = field(default_factory=list)
    device_counts: dict = field(default_factory=dict)
    accuracies: dict = field(default_factory=dict)  # test accuracy of every readout (READOUTS); accuracy: cfg's
    stats: LabelStats | None = None

    @property
    def pruned_fraction(self) -> float:
        """Fraction of the input synapses (bias excluded) frozen by pruning."""
        return float(self.frozen[:, :-1].mean())

    @property
    def samples_per_s(self) -> float:
        return self.images_trained / self.train_seconds if self.train_seconds > 0 else float("nan")

    def summary(self) -> dict:
        return {"accuracy": self.accuracy, "accuracies": self.accuracies, "readout": self.config.readout,
                "pruned_fraction": self.pruned_fraction, "writes": self.writes,
                "writes_saved": self.writes_saved, "matured": int(self.matured.sum()),
                "images_trained": self.images_trained, "train_seconds": self.train_seconds,
                "samples_per_s": self.samples_per_s, "config": asdict(self.config)}

    def receptive_fields(self, side: int | None = None) -> np.ndarray:
        """Weights mapped back onto the image grid, (K, side, side); cropped-away pixels are NaN."""
        n_feat = int(self.pixels.max()) + 1 if side is None else side * side
        side = side or int(round(math.sqrt(n_feat)))
        img = np.full((self.weights.shape[0], side * side), np.nan, np.float32)
        img[:, self.pixels] = self.weights[:, :-1]
        return img.reshape(-1, side, side)


def train_stdp(cfg: STDPConfig, x_train, y_train, x_test, y_test, *, n_classes: int = 10,
               synapses: Synapses | None = None, progress: bool = False, on_chunk: Callable | None = None,
               max_images: int | None = None) -> STDPResult:
    """Train the network without labels, assign labels on the training set, classify the test set.

    x_*: images (n, features) with intensities in [0, 1]; y_*: integer classes. ``synapses``: where the
    weights live (default :func:`digital_synapses`). ``on_chunk(images_done, net)`` is called after every
    chunk (controller ledger, logging). ``max_images`` limits images per epoch (small runs).
    """
    x_train = np.asarray(x_train, np.float32)
    x_test = np.asarray(x_test, np.float32)
    if x_train.ndim != 2 or len(x_train) == 0:
        raise ValueError(f"x_train must be a non-empty (images, features) array; got shape {x_train.shape}")
    if len(y_train) != len(x_train) or len(y_test) != len(x_test):
        raise ValueError("x_train/y_train and x_test/y_test must have the same number of images")
    n_feat = x_train.shape[1]
    pixels = np.arange(n_feat) if cfg.n_pixels is None or cfg.n_pixels >= n_feat \
        else foreground_pixels(x_train, cfg.n_pixels)
    n_in = len(pixels)
    xtr, xte = x_train[:, pixels], x_test[:, pixels]
    syn = synapses or digital_synapses(cfg.w_min, cfg.w_max)
    K, N = cfg.neurons, n_in + 1

    key = jax.random.PRNGKey(cfg.seed)
    k_w, k_mem, k_train, k_eval = jax.random.split(key, 4)
    w0 = jax.random.uniform(k_w, (K, N), F32, cfg.w_min, cfg.w_max)
    net = NetState(syn=syn.init(w0, k_mem), theta=jnp.zeros(K, F32), spikes=jnp.zeros(K, jnp.int32),
                   frozen=jnp.zeros((K, N), bool), matured=jnp.zeros(K, bool), writes=jnp.int32(0),
                   saved=jnp.int32(0))
    net = net._replace(wsum=input_weight_sums(syn, net.syn, n_in))
    chunk = make_train_chunk(cfg, syn, n_in)
    n_per_epoch = len(xtr) if max_images is None else min(max_images, len(xtr))
    total = cfg.epochs * n_per_epoch
    writes = saved = done = 0
    history, device_counts = [], {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, unit="img", desc=f"stdp {K} neurons")
    rng = np.random.default_rng(cfg.seed)
    t0 = time.perf_counter()
    for epoch in range(cfg.epochs):
        order = rng.permutation(len(xtr))[:n_per_epoch]
        for i, start in enumerate(range(0, n_per_epoch, cfg.chunk)):
            idx = order[start:start + cfg.chunk]
            xb = np.zeros((cfg.chunk, n_in), np.float32)
            xb[:len(idx)] = xtr[idx]
            etas = eta_schedule(cfg, epoch * n_per_epoch + start + np.arange(cfg.chunk), total)
            net = chunk(net, jnp.asarray(xb), jax.random.fold_in(k_train, epoch * 1_000_003 + i),
                        jnp.arange(cfg.chunk) < len(idx), jnp.asarray(etas))
            writes += int(net.writes)
            saved += int(net.saved)
            if syn.drain is not None:
                state, counts = syn.drain(net.syn)
                net = net._replace(syn=state)
                for name, value in counts.items():
                    device_counts[name] = device_counts.get(name, 0) + int(value)
            done += len(idx)
            if on_chunk is not None:
                on_chunk(done, net)
            if bar is not None:
                bar.update(len(idx))
                bar.set_postfix(pruned=f"{float(net.frozen[:, :-1].mean()):.2f}", refresh=False)
        history.append({"epoch": epoch + 1, "images": done, "seconds": time.perf_counter() - t0})
    jax.block_until_ready(net.syn)
    train_s = time.perf_counter() - t0
    if bar is not None:
        bar.close()

    n_assign = len(xtr) if cfg.assign_images is None else min(cfg.assign_images, len(xtr))
    k_a, k_t = jax.random.split(k_eval)
    resp = make_responses(cfg, syn, n_in)
    c_train = evaluate(cfg, syn, net.syn, net.theta, xtr[:n_assign], k_a, n_in=n_in, responses=resp)
    stats = label_stats(c_train, np.asarray(y_train)[:n_assign], n_classes)
    assigned = stats.assigned
    c_test = evaluate(cfg, syn, net.syn, net.theta, xte, k_t, n_in=n_in, responses=resp)
    accs = {name: float(np.mean(classify(c_test, assigned, n_classes, readout=name, stats=stats) == np.asarray(y_test)))
            if len(xte) else float("nan") for name in READOUTS}
    acc = accs[cfg.readout]
    return STDPResult(config=cfg, weights=np.asarray(syn.read(net.syn)), theta=np.asarray(net.theta), pixels=pixels,
                      labels=assigned, spikes=np.asarray(net.spikes), frozen=np.asarray(net.frozen),
                      matured=np.asarray(net.matured), accuracy=acc, writes=writes, writes_saved=saved,
                      train_seconds=train_s, images_trained=done, history=history,
                      device_counts=device_counts, accuracies=accs, stats=stats)
