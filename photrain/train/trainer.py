"""A training run: data, splits, the run folder, checkpoints, divergence checks, results.

The layered rules (backprop, DFA, reference-noise DFA, optical DFA) train an Equinox MLP through
:func:`photrain.nn.fit` (:mod:`photrain.train.layered_run`); equilibrium propagation keeps its own rule
(:mod:`photrain.train.eqprop`) on the same controller, in jitted chunks of steps here.
"""

from __future__ import annotations

import collections
import os
import resource
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from photrain.atomic_file import write_json_atomic
from photrain.controller import Ledger, build_controller
from photrain.nn.fit import kept
from photrain.train.checkpoint import load_checkpoint, save_checkpoint
from photrain.train.config import OpticalConfig, TrainConfig
from photrain.train.data import Dataset, Uint8Images, load_dataset, split_validation
from photrain.train.eqprop import eqprop_accuracy, init_eqprop
from photrain.train.host_memory import pin_mmap_threshold, release_free_memory
from photrain.train.inference import eval_key, hardware_accuracy, make_hardware_predict
from photrain.train.layered_run import checkpoint_state, init_state, run_layered
from photrain.train.network import accuracy as mlp_accuracy
from photrain.train.network import hub_state
from photrain.train.network import weights as mlp_weights
from photrain.train.plots import plot_learning_curve
from photrain.train.run_folder import claim_run_folder
from photrain.train.steps import BACKWARD, eqprop_ledger, eqprop_run_ledger, init_carry, make_step

__all__ = ["OpticalConfig", "TrainConfig", "TrainingDiverged", "train", "make_run_controller"]


class TrainingDiverged(RuntimeError):
    """The loss became NaN/inf or grew past a multiple of its initial value, or the weights left the memory's range."""


#: A run has diverged when its loss exceeds this multiple of the run's first batch loss ...
DIVERGENCE_FACTOR = 20.0
#: ... or a layer's weights exceed this multiple of the memory's range (w_max; the initial weights' peak for float).
WEIGHT_RANGE_FACTOR = 1e3


def _weight_limits(ctrl, weights) -> list[float]:
    w_max = float(getattr(ctrl.memory, "w_max", float("inf")))
    return [WEIGHT_RANGE_FACTOR * (w_max if np.isfinite(w_max) else max(float(jnp.max(jnp.abs(w))), 1e-3))
            for w, _ in weights]


def _divergence(losses: np.ndarray, initial: float, factor: float, weights, limits) -> tuple[int, str] | None:
    """(batch index in the chunk, what) of the first sign of divergence in a chunk, or None."""
    if factor > 0 and initial is not None:
        over = np.nonzero(losses > factor * max(initial, 1e-3))[0]
        if over.size:
            return int(over[0]), f"loss {losses[over[0]]:.4g} is more than {factor:g}x its initial {initial:.4g}"
    for i, ((w, b), lim) in enumerate(zip(weights, limits, strict=True)):
        peak = max(float(jnp.max(jnp.abs(w))), float(jnp.max(jnp.abs(b))))
        if not peak <= lim:
            return len(losses) - 1, f"layer {i + 1} weights reach {peak:.3g}, {peak / lim * WEIGHT_RANGE_FACTOR:.3g}x the " \
                                    "memory's range"
    return None


def _diverged_message(what: str, epoch: int, batch: int, config, ckpt: Path) -> str:
    kept = (f"the checkpoint of epoch {epoch} is kept at {ckpt}" if ckpt.exists()
            else "no checkpoint was written (it diverged in its first epoch)")
    suggested = min(config.lr / 10, TrainConfig.lr)  # 10x lower, and no higher than the default
    return (f"training diverged at epoch {epoch + 1}, batch {batch}: {what}; {kept}. "
            f"Lower --lr, e.g. --lr {suggested:g} (with --overwrite), or check the input data")


def standardized(data: Dataset) -> Dataset:
    """Inputs shifted and scaled by the training set's pixel mean and std (MNIST: 0.1307, 0.3081).

    8-bit training images (:class:`~photrain.train.data.Uint8Images`) stay 8-bit and are scaled where read.
    """
    x = data.x_train
    if isinstance(x, Uint8Images):
        mean, std = x.moments()
    else:
        mean = float(x.mean(dtype=np.float64))
        rows = range(0, len(x), 4096)  # the variance in float64 over row blocks: no dataset-sized temporary
        std = float(np.sqrt(sum(float(np.square(x[i : i + 4096] - mean, dtype=np.float64).sum()) for i in rows)
                            / x.size))

    def scaled(x):  # one float32 copy, scaled in place (no float64 or second temporary)
        x = x.astype(np.float32)  # a copy: the caller's dataset is left as it was
        x -= np.float32(mean)
        x /= np.float32(std)
        return x

    x_train = x.standardized(mean, std) if isinstance(x, Uint8Images) else scaled(x)
    return replace(data, x_train=x_train, x_test=scaled(data.x_test))


def evaluation_split(config: TrainConfig, data: Dataset):
    """((x_val, y_val), (x_test, y_test)): the dataset's test split cut by a permutation seeded by ``config.seed``
    (as the reference's ``random_split`` is seeded by its seed); ``val_size`` images (default half) validate."""
    n_test = len(data.x_test)
    n_val = config.val_size if config.val_size is not None else n_test // 2
    if not 1 <= n_val <= n_test - 1:
        raise ValueError(f"--val-size {n_val} leaves no test images: {config.dataset}'s test split has {n_test}, so "
                         f"--val-size can be at most {n_test - 1} (default half, {n_test // 2})")
    return split_validation(data.x_test, data.y_test, n_val, seed=config.seed)


def epoch_batches(config: TrainConfig, n_train: int, epoch: int) -> tuple[np.ndarray, int]:
    """(order of the training images in this epoch, number of full batches).

    With ``shuffle`` a fresh permutation seeded by (seed, epoch), cut to whole batches (the remainder,
    different every epoch, waits for a later epoch); without, the file's order and every image, the last
    partial batch included (as the reference's DataLoader, ``drop_last=False``).
    """
    n_full = n_train // config.batch_size
    if config.shuffle:
        return np.random.default_rng([config.seed, epoch]).permutation(n_train)[: n_full * config.batch_size], n_full
    return np.arange(n_train), n_full


def layer_sizes(config: TrainConfig, data: Dataset) -> list[int]:
    return [data.n_features, *map(int, config.hidden), data.n_classes]


def make_run_controller(config: TrainConfig, n_classes: int):
    """The controller a run's configuration describes (memory device, forward core, feedback core)."""
    return build_controller(memory=config.memory, memory_params=config.memory_params, core=config.core,
                            feedback_core=config.feedback_core, optical=config.optical, crossbar=config.crossbar,
                            mesh=config.mesh,
                            lr=config.lr, momentum=config.momentum, n_channels=n_classes, pulse_mode=config.pulse_mode)


def step_ledger(config: TrainConfig, sizes: list[int], ctrl=None) -> Ledger:
    """Closed-form operation counts of one optimiser step (the controller counts them)."""
    ctrl = ctrl or make_run_controller(config, sizes[-1])
    if config.algorithm == "eqprop":
        return eqprop_ledger(ctrl, sizes, config.batch_size, config.eqprop)
    return ctrl.step_ledger(sizes, config.batch_size, backward=BACKWARD[config.algorithm])


def last_sweeps(chunk_sweeps) -> int:
    """Sweeps (both phases) of the last EP step of a chunk."""
    return int(np.asarray(chunk_sweeps, dtype=np.int64)[-1].sum())


def run_accuracy(config: TrainConfig):
    """accuracy(params, x, y) of the run's network, read digitally from memory (EP: the free phase's output)."""
    if config.algorithm == "eqprop":
        return lambda params, x, y: eqprop_accuracy(params, x, y, steps=config.free_steps, eps=config.relax_step)
    return mlp_accuracy


#: EP's jitted chunk functions kept across runs in one process (the last few): a resumed run or a rerun of the same
#: controller and EP settings is not traced and compiled again (photrain.nn.fit keeps the layered rules' programs).
_chunk_fns: collections.OrderedDict = collections.OrderedDict()
KEEP_CHUNK_FNS = 4


def _chunk_key(config: TrainConfig, n_classes: int):
    """What EP's step program depends on: the controller :func:`make_run_controller` builds and the EP settings
    (None where a memory parameter cannot be hashed)."""
    key = (config.eqprop, config.memory, tuple(sorted(config.memory_params.items())), config.core,
           config.feedback_core, config.optical, config.crossbar, config.mesh, config.lr, config.momentum,
           config.pulse_mode, n_classes)
    try:
        hash(key)
    except TypeError:
        return None
    return tuple((type(v), v) for v in key)


def make_chunk_fn(config: TrainConfig, ctrl, n_classes: int | None = None):
    """EP: a jitted function running a chunk of batches: (hs, compiled, xs, ys, keys) -> (hs, losses, counts).

    ``ctrl``: the run's controller, ``make_run_controller(config, n_classes)``; given ``n_classes``, the function
    of an earlier run with an equal controller and EP settings is reused."""
    key = None if n_classes is None else _chunk_key(config, n_classes)
    return kept(_chunk_fns, key, lambda: _new_chunk_fn(config, ctrl), KEEP_CHUNK_FNS)


def _new_chunk_fn(config: TrainConfig, ctrl):
    step = make_step(config, ctrl)

    @jax.jit
    def run(hs, compiled, xs, ys, keys):
        (hs, *_), (losses, counts) = jax.lax.scan(step, init_carry(ctrl, hs, compiled), (xs, ys, keys))
        return hs, losses, counts

    return run


def train(config: TrainConfig, out_dir: str | Path, *, resume: bool = False, progress: bool = True,
          stop_after_epoch: int | None = None, overwrite: bool = False, on_divergence: str = "stop",
          divergence_factor: float = DIVERGENCE_FACTOR) -> dict:
    """Train, checkpointing every epoch to ``out_dir/checkpoint.npz``; returns the results dict.

    With ``resume`` the run continues from the checkpoint and ends with the same
    weights as an uninterrupted run (all randomness is keyed by seed, epoch and step);
    a larger ``config.epochs`` extends a finished run. ``stop_after_epoch`` stops
    early (to test resumption). The run owns ``out_dir`` (:mod:`photrain.train.run_folder`):
    a second run into it is refused, and so is a new run over another run's checkpoint
    unless ``overwrite``. Divergence (loss above ``divergence_factor`` x its initial value,
    weights 1000x beyond the memory's range) raises :class:`TrainingDiverged`, or only
    warns with ``on_divergence='warn'``; a NaN/inf loss always stops.
    """
    out = Path(out_dir)
    ckpt = out / "checkpoint.npz"
    if resume and not ckpt.exists():
        raise FileNotFoundError(f"--resume: no checkpoint at {ckpt}; run without --resume to start")
    if on_divergence not in ("stop", "warn"):
        raise ValueError(f"on_divergence must be 'stop' or 'warn'; got {on_divergence!r}")
    check_out_folder(out)
    # Everything the configuration, the data and the checkpoint can refuse is refused before --out is touched:
    # an error never leaves an empty folder, and --overwrite removes the old run only once the new one can start.
    prepared = _prepare(config, ckpt, resume)
    with claim_run_folder(out, resume=resume, overwrite=overwrite) as run_id:
        return _run(config, out, ckpt, run_id, prepared, resume=resume, progress=progress,
                    stop_after_epoch=stop_after_epoch, on_divergence=on_divergence, divergence_factor=divergence_factor)


def check_out_folder(out: Path) -> None:
    """Refuse an --out that is a file or lies in a folder nobody can write, before anything is created."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, not a folder; choose a folder for the run")
    parent = out.absolute()
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"--out {str(out)!r}: {str(parent)!r} is a file; choose a folder for the run")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"--out {str(out)!r}: cannot write in {str(parent)!r}; choose a writable folder")


def check_size(config: TrainConfig, sizes: list[int], n_train: int) -> None:
    """Refuse a network too large for memory and a batch larger than the training set, naming the limit."""
    from photrain.train.config import MAX_WEIGHTS

    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    if weights > MAX_WEIGHTS:
        raise ValueError(f"--hidden {' '.join(map(str, config.hidden))}: {weights:,} weights on {config.dataset} is more "
                         f"than {MAX_WEIGHTS:,} (out of memory); give smaller or fewer hidden layers")
    if config.batch_size > n_train:
        raise ValueError(f"--batch-size {config.batch_size} is larger than {config.dataset}'s training set "
                         f"({n_train} images); give at most {n_train}")


def _prepare(config: TrainConfig, ckpt: Path, resume: bool) -> dict:
    """Data, splits, controller, initial state and (resuming) the checkpoint: all checks of a run, nothing written."""
    pin_mmap_threshold()  # large temporaries go back to the system when freed (host_memory)
    data = load_dataset(config.dataset, config.data_dir)
    if config.standardize:
        data = standardized(data)
    (x_val, y_val), (x_test, y_test) = evaluation_split(config, data)
    sizes = layer_sizes(config, data)
    check_size(config, sizes, len(data.x_train))
    ctrl = make_run_controller(config, data.n_classes)
    root = jax.random.PRNGKey(config.seed)
    k_init, k_fb, k_run = jax.random.split(root, 3)
    accuracy = run_accuracy(config)
    on_core = ctrl.core.kind != "digital"  # then validation and test run through the core too
    model, hw_predict = None, None
    if config.algorithm == "eqprop":
        hw_predict = make_hardware_predict(config, ctrl) if on_core else None
        hs = ctrl.init(init_eqprop(k_init, sizes), jax.random.fold_in(k_init, 1))
        best = ctrl.weights(hs)
    else:  # the Equinox MLP of photrain.nn; the checkpointed state is its arrays and the optimiser state
        model, opt_state = init_state(config, sizes, data.n_classes, k_init, data.x_train)
        hs, best = checkpoint_state(model, opt_state), mlp_weights(model)
    start_epoch, history, ledger = 0, [], Ledger()
    limits, initial_loss = _weight_limits(ctrl, best), None
    if resume:
        saved = load_checkpoint(ckpt)  # the configuration is compared first: its difference is the clearer message
        try:
            saved_config = TrainConfig.from_dict(saved["config"])
            saved_ledger = Ledger(**saved["ledger"])
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise ValueError(f"{ckpt} was not written by this photrain's train (its configuration or ledger: "
                             f"{type(err).__name__}: {err}); delete it, or start again with --overwrite") from err
        if replace(saved_config, epochs=config.epochs) != config:  # --epochs may extend a run
            diff = {k: (v, getattr(config, k)) for k, v in asdict(saved_config).items()
                    if asdict(config)[k] != v and k != "epochs"}
            raise ValueError(f"--resume with a different configuration than the checkpoint's: {diff}")
        if saved["epoch"] > config.epochs:
            raise ValueError(f"--resume --epochs {config.epochs}: the checkpoint in {ckpt.parent} has already done "
                             f"{saved['epoch']} epochs; pass --epochs {saved['epoch'] + 1} or more to extend it")
        saved = load_checkpoint(ckpt, template=hs)
        hs, best, start_epoch, history = saved["state"], saved["best"], saved["epoch"], saved["history"]
        ledger = saved_ledger
        initial_loss = saved.get("initial_loss")
    return {"data": data, "x_val": x_val, "y_val": y_val, "x_test": x_test, "y_test": y_test, "sizes": sizes,
            "ctrl": ctrl, "k_fb": k_fb, "k_run": k_run, "accuracy": accuracy, "on_core": on_core,
            "hw_predict": hw_predict, "hs": hs, "model": model, "best": best, "start_epoch": start_epoch, "history": history,
            "ledger": ledger, "limits": limits, "initial_loss": initial_loss}


def _run(config: TrainConfig, out: Path, ckpt: Path, run_id: str, p: dict, *, resume: bool, progress: bool,
         stop_after_epoch: int | None, on_divergence: str, divergence_factor: float) -> dict:
    last_epoch = config.epochs if stop_after_epoch is None else min(config.epochs, stop_after_epoch)
    if config.algorithm == "eqprop":
        hs, best, history, ledger = _run_eqprop(config, ckpt, run_id, p, progress=progress, last_epoch=last_epoch,
                                                on_divergence=on_divergence, divergence_factor=divergence_factor)
        params, state, model = p["ctrl"].weights(hs), hs, None
    else:
        model, best, history, ledger = run_layered(
            config, p, ckpt=ckpt, run_id=run_id, progress=progress, last_epoch=last_epoch, on_divergence=on_divergence,
            divergence_factor=divergence_factor, divergence=lambda *a: _divergence(*a),
            diverged_message=_diverged_message, diverged_error=TrainingDiverged)
        params, state = mlp_weights(model), hub_state(model)
    results = {"run_id": run_id, **summarise(config, history, ledger, best, p["x_test"], p["y_test"], p["sizes"],
                                             p["accuracy"])}
    write_json_atomic(out / "results.json", results)
    if history:
        plot_learning_curve(history, out / "learning_curve.png", title=f"{config.algorithm} on {config.dataset}")
    results["params"] = params
    results["state"] = state  # the controller's HubState (memories, biases, accumulators)
    if model is not None:
        results["model"] = model  # the trained Equinox MLP (photrain.nn: evaluate, elapse, save)
    return results


def _run_eqprop(config: TrainConfig, ckpt: Path, run_id: str, p: dict, *, progress: bool, last_epoch: int,
                on_divergence: str, divergence_factor: float):
    """EP's epochs in jitted chunks of its own steps on the controller; returns (hs, best, history, ledger)."""
    from tqdm.auto import tqdm
    data, x_val, y_val, x_test, y_test, sizes, ctrl = (p[k] for k in ("data", "x_val", "y_val", "x_test", "y_test",
                                                                       "sizes", "ctrl"))
    k_run, accuracy, on_core, hw_predict = (p[k] for k in ("k_run", "accuracy", "on_core", "hw_predict"))
    hs, best, start_epoch, history, ledger = (p[k] for k in ("hs", "best", "start_epoch", "history", "ledger"))
    limits, initial_loss = p["limits"], p["initial_loss"]
    compiled = ()  # EP has no feedback matrices
    run = make_chunk_fn(config, ctrl, data.n_classes)
    best_val = max([h["val_acc"] for h in history], default=-1.0)
    warned = False
    for epoch in range(start_epoch, last_epoch):
        order, n_batches = epoch_batches(config, len(data.x_train), epoch)
        n_full = n_batches * config.batch_size
        epoch_key = jax.random.fold_in(k_run, epoch)
        keys = jax.random.split(epoch_key, n_batches)
        # each chunk's samples are gathered only when it runs: no epoch-sized copy of the training set
        chunks = [(order[c0 * config.batch_size : min(c0 + config.chunk, n_batches) * config.batch_size],
                   keys[c0 : c0 + config.chunk]) for c0 in range(0, n_batches, config.chunk)]
        rest = order[n_full:]  # the last partial batch (no-shuffle runs): one more step of its own size
        if rest.size:
            chunks.append((rest, jax.random.fold_in(epoch_key, n_batches)[None]))
        n_samples = len(order)
        t0 = time.perf_counter()
        losses, events, sweeps = [], np.zeros(3, dtype=np.int64), 0
        bar = tqdm(total=n_samples, desc=f"epoch {epoch + 1}/{config.epochs}", unit="sample",
                   disable=not progress, leave=False)
        c0 = 0
        for chunk_order, chunk_keys in chunks:
            shape = (len(chunk_keys), len(chunk_order) // len(chunk_keys))
            chunk_x = data.x_train[chunk_order].reshape(*shape, data.n_features)
            chunk_y = data.y_train[chunk_order].reshape(shape)
            new_hs, chunk_losses, counts = run(hs, compiled, jnp.asarray(chunk_x), jnp.asarray(chunk_y), chunk_keys)
            chunk_losses = np.asarray(chunk_losses)
            release_free_memory()  # the chunk's (and, the first time, the compiler's) freed pages
            if not np.all(np.isfinite(chunk_losses)):
                bar.close()
                bad = c0 + int(np.argmin(np.isfinite(chunk_losses)))
                raise TrainingDiverged(_diverged_message(
                    f"the loss became {chunk_losses[~np.isfinite(chunk_losses)][0]}", epoch, bad + 1, config, ckpt))
            if initial_loss is None and chunk_losses.size:
                initial_loss = float(chunk_losses[0])
            sign = _divergence(chunk_losses, initial_loss, divergence_factor, ctrl.weights(new_hs), limits)
            if sign is not None:
                message = _diverged_message(sign[1], epoch, c0 + sign[0] + 1, config, ckpt)
                if on_divergence == "stop":
                    bar.close()
                    raise TrainingDiverged(message)
                if not warned:
                    tqdm.write(f"photrain: warning: {message}", file=sys.stderr)
                    warned = True
            hs = new_hs
            counts, chunk_sweeps = counts  # (device counts, sweeps of both phases per step)
            sweeps += int(np.asarray(chunk_sweeps, dtype=np.int64).sum())
            events += np.array([np.asarray(c, dtype=np.int64).sum() for c in counts])
            losses.extend(chunk_losses.tolist())
            c0 += len(chunk_losses)
            bar.update(chunk_x.shape[0] * chunk_x.shape[1])
            bar.set_postfix(loss=f"{np.mean(losses):.4f}", rate=f"{bar.n / (time.perf_counter() - t0):.0f}/s")
        bar.close()
        train_time = time.perf_counter() - t0
        weights = ctrl.weights(hs)
        t_eval = time.perf_counter()
        val_acc, test_acc = accuracy(weights, x_val, y_val), accuracy(weights, x_test, y_test)
        evals = {"eval_time_s": time.perf_counter() - t_eval}
        if on_core:
            t_eval = time.perf_counter()
            hw_val, hw_test = hardware_accuracy(hw_predict, hs, [(x_val, y_val), (x_test, y_test)],
                                                eval_key(config.seed, epoch))
            evals.update(hw_val_acc=hw_val, hw_test_acc=hw_test, hw_eval_time_s=time.perf_counter() - t_eval)
            release_free_memory()
        if val_acc > best_val:
            best_val, best = val_acc, weights
        full_sweeps = sweeps if not rest.size else sweeps - last_sweeps(chunk_sweeps)  # run, not their caps
        ledger.add(eqprop_run_ledger(ctrl, sizes, config.batch_size, config.eqprop, n_batches, full_sweeps))
        if rest.size:
            ledger.add(eqprop_run_ledger(ctrl, sizes, int(rest.size), config.eqprop, 1, last_sweeps(chunk_sweeps)))
        ledger.add(memory_pulses=int(events[0]), memory_transfers=int(events[1]), memory_refreshes=int(events[2]))
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "val_acc": val_acc, "test_acc": test_acc,
                        "train_time_s": train_time, "epoch_time_s": time.perf_counter() - t0,
                        "samples_per_s": n_samples / train_time, **evals})
        if progress:
            h = history[-1]
            hw = (f"  hardware: val {100 * h['hw_val_acc']:6.2f}%  test {100 * h['hw_test_acc']:6.2f}%"
                  if on_core else "")
            print(f"epoch {h['epoch']:3d}/{config.epochs}  loss {h['loss']:.4f}  val {100 * val_acc:6.2f}%  "
                  f"test {100 * test_acc:6.2f}%{hw}  {h['samples_per_s']:8.0f} samples/s", flush=True)
        save_checkpoint(ckpt, config=config, epoch=epoch + 1, state=hs, best=best, history=history, ledger=ledger,
                        run_id=run_id, extra={"initial_loss": initial_loss})
    return hs, best, history, ledger


def summarise(config, history, ledger, best, x_test, y_test, sizes, accuracy=mlp_accuracy):
    best_epoch = max(history, key=lambda h: h["val_acc"]) if history else None
    steady = history[1:] or history  # the first epoch includes compilation
    times = [h["epoch_time_s"] for h in steady]
    hardware = {}
    if best_epoch and "hw_test_acc" in best_epoch:  # through the core, measured at that epoch (its eval key)
        hardware = {"hw_val_acc_at_best_val": best_epoch["hw_val_acc"],
                    "hw_test_acc_at_best_val": best_epoch["hw_test_acc"]}
    return {
        "config": asdict(config),
        "layer_sizes": sizes,
        "epochs_run": len(history),
        "best_epoch": best_epoch["epoch"] if best_epoch else None,
        "best_val_acc": best_epoch["val_acc"] if best_epoch else None,
        "test_acc_at_best_val": accuracy(best, x_test, y_test) if history else None,
        **hardware,
        "mean_epoch_time_s": float(np.mean(times)) if times else None,  # training and both evaluations
        **{f"mean_{k}": float(np.mean([h[k] for h in steady])) for k in ("train_time_s", "eval_time_s", "hw_eval_time_s")
           if steady and all(k in h for h in steady)},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "ledger": ledger.as_dict(),
        "history": history,
    }
