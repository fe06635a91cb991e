"""Training runs: configuration, the jitted epoch, evaluation, checkpoints, results and plots."""

from __future__ import annotations

import json
import os
import resource
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from photrain.controller import SGD, Ledger, make_memory
from photrain.cores import MRRWeightBank, Readout, bank_matvec, blocked_matvec, tile_counts
from photrain.train import algorithms as alg
from photrain.train.data import Dataset, load_dataset, split_validation
from photrain.train.network import F32, accuracy, init_mlp


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


@dataclass(frozen=True)
class OpticalConfig:
    """The MRR weight-bank core that computes B e in optical DFA.

    core_rows: rows (banks of rings) per physical core, i.e. outputs per pass; channels = number of classes.
    heater_bits: heater-DAC resolution of every ring (None = ideal).
    forward: also run the forward products W x on the cores; the controller
        re-programs them from the weight memory after every batch (closed-form,
        calibrated-bank programming: :meth:`MRRWeightBank.program_blocks`).
    ideal: no detector noise, no converter quantisation and a crosstalk-free bank.
    """

    core_rows: int = 64
    spacing: float = 0.0016
    coupling: float = 0.03
    power_per_channel: float = 1e-3
    bandwidth: float = 10e9
    adc_bits: int | None = 8
    dac_bits: int | None = 8
    rin_db_hz: float | None = -150.0
    signed: str = "offset"  # one optical pass per product (see MRRWeightBank); 'differential' takes two
    heater_bits: int | None = 12
    forward: bool = False
    ideal: bool = False

    def bank(self, n_channels: int) -> MRRWeightBank:
        if self.ideal:
            readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth, noise=False)
        else:
            readout = Readout(power_per_channel=self.power_per_channel, bandwidth=self.bandwidth,
                              adc_bits=self.adc_bits, dac_bits=self.dac_bits, rin_db_hz=self.rin_db_hz)
        return MRRWeightBank(n_channels, self.core_rows, spacing=self.spacing, coupling=self.coupling,
                             readout=readout, crosstalk=not self.ideal, extinction_ratio_db=30.0, signed=self.signed,
                             heater_bits=None if self.ideal else self.heater_bits)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run (saved with each checkpoint)."""

    dataset: str = "digits"
    hidden: tuple[int, ...] = (256, 256)
    algorithm: str = "optical-dfa"
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    seed: int = 1
    val_size: int | None = None  # taken from the test split; default half of it
    noise_sigma: float = 0.618
    noise_mu: float = 0.03
    memory_bits: int | None = None
    memory_w_max: float = 1.0
    memory_rounding: str = "nearest"
    optical: OpticalConfig = field(default_factory=OpticalConfig)
    shuffle: bool = True  # the reference code on CPU keeps MNIST's file order (no shuffle)
    standardize: bool = False  # (x - mean) / std of the training set, as the reference's Normalize((0.1307,), (0.3081,))
    data_dir: str | None = None
    chunk: int = 50  # batches per jitted chunk (progress granularity)

    def __post_init__(self):
        if self.algorithm not in alg.ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; choose one of {', '.join(alg.ALGORITHMS)}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch size must be >= 1; got {self.epochs}, {self.batch_size}")
        if any(int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden widths must be >= 1; got {list(self.hidden)}")
        if not self.lr > 0:
            raise ValueError(f"--lr must be > 0; got {self.lr}")
        if self.optical.forward and self.algorithm == "backprop":
            raise ValueError("forward products on the cores need a DFA algorithm (dfa, dfa-reference-noise, optical-dfa): "
                             "backprop would differentiate through the noisy optical forward pass")

    @property
    def uses_cores(self) -> bool:
        return self.algorithm == "optical-dfa" or self.optical.forward

    @staticmethod
    def from_dict(d: dict) -> TrainConfig:
        d = dict(d)
        d["hidden"] = tuple(d["hidden"])
        d["optical"] = OpticalConfig(**d.get("optical", {}))
        return TrainConfig(**d)


# ------------------------------------------------------------------ checkpoints


def _flatten(prefix, params):
    out = {}
    for i, (w, b) in enumerate(params):
        out[f"{prefix}{i}_w"], out[f"{prefix}{i}_b"] = np.asarray(w), np.asarray(b)
    return out


def _unflatten(prefix, arrays, n):
    return [(jnp.asarray(arrays[f"{prefix}{i}_w"]), jnp.asarray(arrays[f"{prefix}{i}_b"])) for i in range(n)]


def save_checkpoint(path: Path, *, config, epoch, params, velocity, best, history, ledger) -> None:
    """Write a checkpoint atomically (temporary file, then rename)."""
    meta = json.dumps({"config": asdict(config), "epoch": epoch, "history": history, "ledger": ledger.as_dict()})
    arrays = {**_flatten("p", params), **_flatten("v", velocity), **_flatten("best", best), "meta": np.array(meta)}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_checkpoint(path: Path):
    with np.load(path, allow_pickle=False) as z:
        arrays = dict(z)
    meta = json.loads(str(arrays.pop("meta")))
    config = TrainConfig.from_dict(meta["config"])
    n = len(config.hidden) + 1
    return (config, meta["epoch"], _unflatten("p", arrays, n), _unflatten("v", arrays, n), _unflatten("best", arrays, n),
            meta["history"], Ledger(**meta["ledger"]))


# ------------------------------------------------------------------ the run


def standardized(data: Dataset) -> Dataset:
    """Inputs shifted and scaled by the training set's pixel mean and std (MNIST: 0.1307, 0.3081)."""
    mean, std = float(data.x_train.mean()), float(data.x_train.std())
    return replace(data, x_train=((data.x_train - mean) / std).astype(np.float32),
                   x_test=((data.x_test - mean) / std).astype(np.float32))


def layer_sizes(config: TrainConfig, data: Dataset) -> list[int]:
    return [data.n_features, *map(int, config.hidden), data.n_classes]


def step_ledger(config: TrainConfig, sizes: list[int], bank: MRRWeightBank | None) -> Ledger:
    """Closed-form operation counts of one optimiser step."""
    b = config.batch_size
    fwd = sum(b * i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True))
    n_weights = sum(i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True))
    led = Ledger(steps=1, memory_writes=n_weights, memory_reads=n_weights)
    if config.algorithm == "backprop":
        return led.add(digital_macs=3 * fwd)
    led.add(digital_macs=fwd)  # delta^T h
    if config.optical.forward:
        for i, o in zip(sizes[:-1], sizes[1:], strict=True):
            c = tile_counts(bank, (o, i), b)
            led.add(optical_macs=c.optical_macs, dac_conversions=c.dac_conversions, adc_conversions=c.adc_conversions,
                    optical_passes=c.passes, symbol_slots=c.passes * b, digital_macs=c.digital_adds,
                    programmings=c.programmings, memory_reads=i * o)  # the controller reads the memory to re-program the cores
    else:
        led.add(digital_macs=fwd)
    feedback = [(w, sizes[-1]) for w in sizes[1:-1]]
    if config.algorithm != "optical-dfa":
        return led.add(digital_macs=sum(b * w * o for w, o in feedback))
    for w, o in feedback:
        c = tile_counts(bank, (w, o), b)
        led.add(optical_macs=c.optical_macs, dac_conversions=c.dac_conversions, adc_conversions=c.adc_conversions,
                optical_passes=c.passes, symbol_slots=c.passes * b, digital_macs=c.digital_adds)
    return led


def make_epoch_fn(config: TrainConfig, sgd: SGD, bank: MRRWeightBank | None):
    """A jitted function running a chunk of batches: (params, vel, feedback, compiled, xs, ys, keys) -> ..."""
    algorithm = config.algorithm

    def step(carry, batch):
        params, vel, feedback, compiled = carry
        x, y, key = batch
        k_grad, k_mem, k_fwd = jax.random.split(key, 3)
        matmul = None
        if config.optical.forward:
            fwd_keys = jax.random.split(k_fwd, len(params))

            def matmul(i, h, w):  # the controller writes W from memory onto the cores, then the batch runs
                blocks = bank.program_blocks(w)
                return blocked_matvec(h, blocks, fwd_keys[i], readout=bank.readout, rows_per_bank=bank.n_rows,
                                      floor=bank.floor, signed=bank.signed).astype(F32)
        if algorithm == "backprop":
            loss, grads = alg.backprop_grads(params, x, y)
        elif algorithm == "dfa":
            loss, grads = alg.dfa_grads(params, x, y, alg.ideal_projection(feedback), matmul)
        elif algorithm == "dfa-reference-noise":
            proj = alg.reference_noise_projection(feedback, k_grad, sigma=config.noise_sigma, mu=config.noise_mu)
            loss, grads = alg.dfa_grads(params, x, y, proj, matmul)
        else:
            keys = jax.random.split(k_grad, len(compiled))

            def proj(i, e):
                c = compiled[i]
                return bank_matvec(e, c.t_drop, c.t_thru, c.scale, keys[i], readout=bank.readout,
                                   rows_per_bank=bank.n_rows, floor=bank.floor, signed=bank.signed).astype(F32)

            loss, grads = alg.dfa_grads(params, x, y, proj, matmul)
        params, vel = sgd.update(params, vel, grads, k_mem)
        return (params, vel, feedback, compiled), loss

    @jax.jit
    def run(params, vel, feedback, compiled, xs, ys, keys):
        (params, vel, _, _), losses = jax.lax.scan(step, (params, vel, feedback, compiled), (xs, ys, keys))
        return params, vel, losses

    return run


def train(config: TrainConfig, out_dir: str | Path, *, resume: bool = False, progress: bool = True,
          stop_after_epoch: int | None = None) -> dict:
    """Train, checkpointing every epoch to ``out_dir/checkpoint.npz``; returns the results dict.

    With ``resume`` the run continues from the checkpoint and ends with the same
    weights as an uninterrupted run (all randomness is keyed by seed, epoch and step).
    ``stop_after_epoch`` stops early (to test resumption).
    """
    from tqdm.auto import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "checkpoint.npz"
    start_epoch, history, ledger = 0, [], Ledger()
    if resume:
        if not ckpt.exists():
            raise FileNotFoundError(f"--resume: no checkpoint at {ckpt}; run without --resume to start")
        saved, start_epoch, params, vel, best, history, ledger = load_checkpoint(ckpt)
        if saved != config:
            diff = {k: (v, getattr(config, k)) for k, v in asdict(saved).items() if asdict(config)[k] != v}
            raise ValueError(f"--resume with a different configuration than the checkpoint's: {diff}")
    data = load_dataset(config.dataset, config.data_dir)
    if config.standardize:
        data = standardized(data)
    n_val = config.val_size if config.val_size is not None else len(data.x_test) // 2
    (x_val, y_val), (x_test, y_test) = split_validation(data.x_test, data.y_test, n_val, seed=0)
    sizes = layer_sizes(config, data)
    root = jax.random.PRNGKey(config.seed)
    k_init, k_fb, k_run = jax.random.split(root, 3)
    if not resume:
        params = init_mlp(k_init, sizes)
        vel = jax.tree_util.tree_map(jnp.zeros_like, params)
        best = params
    feedback = alg.init_feedback(k_fb, sizes)
    memory = make_memory(config.memory_bits, config.memory_w_max, config.memory_rounding)
    sgd = SGD(config.lr, config.momentum, memory)
    bank, compiled = None, []
    if config.uses_cores:
        bank = config.optical.bank(data.n_classes)
    if config.algorithm == "optical-dfa":
        # B is programmed once; float32 transmissions keep the training step in single precision
        compiled = [jax.tree_util.tree_map(lambda a: a.astype(F32), bank.compile(np.asarray(b))) for b in feedback]
        if not resume:
            ledger.add(programmings=sum(-(-b.shape[0] // bank.n_rows) for b in feedback))
    run = make_epoch_fn(config, sgd, bank)
    per_step = step_ledger(config, sizes, bank)
    n_batches = len(data.x_train) // config.batch_size
    best_val = max([h["val_acc"] for h in history], default=-1.0)
    last_epoch = config.epochs if stop_after_epoch is None else min(config.epochs, stop_after_epoch)
    for epoch in range(start_epoch, last_epoch):
        order = (np.random.default_rng([config.seed, epoch]).permutation(len(data.x_train)) if config.shuffle
                 else np.arange(len(data.x_train)))[: n_batches * config.batch_size]
        xs = data.x_train[order].reshape(n_batches, config.batch_size, -1)
        ys = data.y_train[order].reshape(n_batches, config.batch_size)
        keys = jax.random.split(jax.random.fold_in(k_run, epoch), n_batches)
        t0 = time.perf_counter()
        losses = []
        bar = tqdm(total=n_batches * config.batch_size, desc=f"epoch {epoch + 1}/{config.epochs}", unit="sample",
                   disable=not progress, leave=False)
        for c0 in range(0, n_batches, config.chunk):
            sl = slice(c0, min(c0 + config.chunk, n_batches))
            new_params, new_vel, chunk_losses = run(params, vel, feedback, compiled, jnp.asarray(xs[sl]),
                                                    jnp.asarray(ys[sl]), keys[sl])
            chunk_losses = np.asarray(chunk_losses)
            if not np.all(np.isfinite(chunk_losses)):
                bar.close()
                bad = c0 + int(np.argmin(np.isfinite(chunk_losses)))
                raise TrainingDiverged(
                    f"loss became {chunk_losses[~np.isfinite(chunk_losses)][0]} at epoch {epoch + 1}, batch {bad + 1}; "
                    f"stopped. The last good checkpoint (end of epoch {epoch}) is kept at {ckpt}. "
                    "Lower --lr or check the input data.")
            params, vel = new_params, new_vel
            losses.extend(chunk_losses.tolist())
            bar.update((sl.stop - sl.start) * config.batch_size)
            bar.set_postfix(loss=f"{np.mean(losses):.4f}", rate=f"{bar.n / (time.perf_counter() - t0):.0f}/s")
        bar.close()
        train_time = time.perf_counter() - t0
        val_acc, test_acc = accuracy(params, x_val, y_val), accuracy(params, x_test, y_test)
        if val_acc > best_val:
            best_val, best = val_acc, params
        ledger.add(per_step.scaled(n_batches))
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "val_acc": val_acc, "test_acc": test_acc,
                        "train_time_s": train_time, "epoch_time_s": time.perf_counter() - t0,
                        "samples_per_s": n_batches * config.batch_size / train_time})
        if progress:
            h = history[-1]
            print(f"epoch {h['epoch']:3d}/{config.epochs}  loss {h['loss']:.4f}  val {100 * val_acc:6.2f}%  "
                  f"test {100 * test_acc:6.2f}%  {h['samples_per_s']:8.0f} samples/s", flush=True)
        save_checkpoint(ckpt, config=config, epoch=epoch + 1, params=params, velocity=vel, best=best,
                        history=history, ledger=ledger)
    results = summarise(config, history, ledger, best, x_test, y_test, sizes)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    if history:
        plot_learning_curve(history, out / "learning_curve.png", title=f"{config.algorithm} on {config.dataset}")
    results["params"] = params
    return results


def summarise(config, history, ledger, best, x_test, y_test, sizes):
    best_epoch = max(history, key=lambda h: h["val_acc"]) if history else None
    times = [h["epoch_time_s"] for h in history[1:]] or [h["epoch_time_s"] for h in history]
    return {
        "config": asdict(config),
        "layer_sizes": sizes,
        "epochs_run": len(history),
        "best_epoch": best_epoch["epoch"] if best_epoch else None,
        "best_val_acc": best_epoch["val_acc"] if best_epoch else None,
        "test_acc_at_best_val": accuracy(best, x_test, y_test) if history else None,
        "mean_epoch_time_s": float(np.mean(times)) if times else None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "ledger": ledger.as_dict(),
        "history": history,
    }


def plot_learning_curve(history, path, *, title=""):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.6))
    a1.plot(ep, [h["loss"] for h in history], "o-")
    a1.set(xlabel="epoch", ylabel="training loss", yscale="log")
    a2.plot(ep, [100 * h["val_acc"] for h in history], "o-", label="validation")
    a2.plot(ep, [100 * h["test_acc"] for h in history], "s--", label="test")
    a2.set(xlabel="epoch", ylabel="accuracy (%)")
    a2.legend()
    for a in (a1, a2):
        a.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
