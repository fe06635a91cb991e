"""A layered rule's run (backprop, DFA, reference-noise DFA, optical DFA) through :func:`photrain.nn.fit`.

``photrain train`` builds the run's Equinox MLP (:mod:`photrain.train.network`: the PyTorch-style init written
into the run's memory) on the run's :class:`photrain.nn.Hardware` (core, memory, feedback core, configs), and
fit trains it with ``optax.sgd(lr, momentum)``: v <- momentum v + g, w <- w - lr v, PyTorch's SGD with
momentum, the rule the controller's own ``SGD`` applies (same float32 operations). Around fit, this module
keeps what a run promises: every image of a no-shuffle epoch (the last partial batch included), a checkpoint
of the model and the optimiser state after every epoch (``--resume`` continues bit-exactly: fit keys each
epoch and batch by the run's key), divergence checks after every chunk, validation and test accuracy
digitally and (a run on a core) through the hardware with the run's evaluation key, the ledger.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import time

import equinox as eqx
import jax
import numpy as np
import optax

from photrain.controller import Ledger
from photrain.nn import Hardware, fit
from photrain.train.checkpoint import save_checkpoint
from photrain.train.datasets.base import Uint8Images
from photrain.train.host_memory import release_free_memory
from photrain.train.inference import eval_key
from photrain.train.network import accuracies, build_mlp, init_mlp, weights


def run_hardware(config, n_classes: int) -> Hardware:
    """The :class:`photrain.nn.Hardware` a run's configuration describes (every layer on it)."""
    return Hardware(config.core, config.memory, config.feedback_core, memory_params=dict(config.memory_params),
                    optical=config.optical, crossbar=config.crossbar, mesh=config.mesh, pulse_mode=config.pulse_mode,
                    n_channels=n_classes)


def optimizer(config):
    """The run's optax optimiser: SGD with PyTorch's momentum (module docstring); one object per (lr, momentum),
    so that a resumed run or a rerun in the same process reuses fit's compiled step (photrain.nn.fit)."""
    return _sgd(config.lr, config.momentum)


@functools.lru_cache(maxsize=64, typed=True)  # typed: 1 and 1.0 are other objects, as fit's program key has it
def _sgd(lr, momentum):
    return optax.sgd(lr, momentum=momentum)


def init_state(config, sizes: list[int], n_classes: int, k_init, x_train=None):
    """(model, optimiser state) at the start of a run: the network's init written into its memories.

    x_train: the run's training images; 8-bit ones (:class:`Uint8Images`) set how the model reads their codes
    (``MLP.pixels``), part of the structure the optimiser state and the checkpoint are made for.
    """
    model = build_mlp(init_mlp(k_init, sizes), run_hardware(config, n_classes), jax.random.fold_in(k_init, 1))
    if isinstance(x_train, Uint8Images):
        model = dataclasses.replace(model, pixels=(x_train.shift, x_train.scale))
    opt = optimizer(config)
    from photrain.nn.fit import _params

    return model, opt.init(_params(model, config.algorithm == "backprop"))


def checkpoint_state(model, opt_state):
    """What a checkpoint holds of a run in progress (every array of the model, the optimiser state)."""
    return eqx.filter(model, eqx.is_array), opt_state


def restore(model, state):
    """(model, optimiser state) from :func:`checkpoint_state`'s arrays, the structure from ``model``."""
    dyn, opt_state = state
    return eqx.combine(dyn, eqx.partition(model, eqx.is_array)[1]), opt_state


def run_layered(config, p: dict, *, ckpt, run_id: str, progress: bool, last_epoch: int, on_divergence: str,
                divergence_factor: float, divergence, diverged_message, diverged_error):
    """Train epochs ``p['start_epoch']..last_epoch-1``; returns (model, best [(W, b)], history, ledger).

    ``divergence`` / ``diverged_message`` / ``diverged_error``: the run loop's checks (photrain.train.trainer).
    """
    from tqdm.auto import tqdm

    data, on_core = p["data"], p["on_core"]
    model, opt_state = restore(p["model"], p["hs"])
    sets = [(p["x_val"], p["y_val"]), (p["x_test"], p["y_test"])]
    best, history, base = p["best"], p["history"], p["ledger"]
    run = {"initial_loss": p["initial_loss"], "warned": False, "best_val": max([h["val_acc"] for h in history],
                                                                                default=-1.0)}

    def on_chunk(epoch, first, losses, trained):
        if not np.all(np.isfinite(losses)):
            bad = first + int(np.argmin(np.isfinite(losses)))
            raise diverged_error(diverged_message(f"the loss became {losses[~np.isfinite(losses)][0]}", epoch,
                                                  bad + 1, config, ckpt))
        if run["initial_loss"] is None and losses.size:
            run["initial_loss"] = float(losses[0])
        sign = divergence(losses, run["initial_loss"], divergence_factor, weights(trained), p["limits"])
        if sign is not None:
            message = diverged_message(sign[1], epoch, first + sign[0] + 1, config, ckpt)
            if on_divergence == "stop":
                raise diverged_error(message)
            if not run["warned"]:
                tqdm.write(f"photrain: warning: {message}", file=sys.stderr)
                run["warned"] = True
        release_free_memory()  # the chunk's (and, the first time, the compiler's) freed pages

    def on_epoch(entry, trained, state):
        nonlocal best
        epoch, train_time = entry["epoch"] - 1, entry["time_s"]
        t_eval = time.perf_counter()
        val_acc, test_acc = accuracies(trained, sets)
        evals = {"eval_time_s": time.perf_counter() - t_eval}
        if on_core:
            t_eval = time.perf_counter()
            hw_val, hw_test = accuracies(trained, sets, through="hardware", key=eval_key(config.seed, epoch))
            evals.update(hw_val_acc=hw_val, hw_test_acc=hw_test, hw_eval_time_s=time.perf_counter() - t_eval)
            release_free_memory()
        if val_acc > run["best_val"]:
            run["best_val"], best = val_acc, weights(trained)
        ledger = Ledger(**base.as_dict()).add(Ledger(**entry["ledger"]))
        history.append({"epoch": epoch + 1, "loss": entry["loss"], "val_acc": val_acc, "test_acc": test_acc,
                        "train_time_s": train_time, "epoch_time_s": train_time + sum(
                            v for k, v in evals.items() if k.endswith("time_s")),
                        "samples_per_s": entry["examples"] / train_time, **evals})
        if progress:
            h = history[-1]
            hw = (f"  hardware: val {100 * h['hw_val_acc']:6.2f}%  test {100 * h['hw_test_acc']:6.2f}%"
                  if on_core else "")
            print(f"epoch {h['epoch']:3d}/{config.epochs}  loss {h['loss']:.4f}  val {100 * val_acc:6.2f}%  "
                  f"test {100 * test_acc:6.2f}%{hw}  {h['samples_per_s']:8.0f} samples/s", flush=True)
        save_checkpoint(ckpt, config=config, epoch=epoch + 1, state=checkpoint_state(trained, state), best=best,
                        history=history, ledger=ledger, run_id=run_id, extra={"initial_loss": run["initial_loss"]})
        run.update(ledger=ledger, model=trained)

    x_train = data.x_train
    if isinstance(x_train, Uint8Images):  # the 8-bit codes go to the device; the model reads them (MLP.pixels)
        x_train = x_train.codes
    run.update(ledger=base, model=model)
    if p["start_epoch"] < last_epoch:
        fit(model, optimizer(config), (x_train, data.y_train), algorithm=config.algorithm, epochs=last_epoch,
            batch_size=config.batch_size, key=p["k_run"], progress=progress, shuffle=config.shuffle,
            drop_last=config.shuffle, chunk=config.chunk, feedback_noise=(config.noise_mu, config.noise_sigma),
            initial_epoch=p["start_epoch"], opt_state=opt_state, on_chunk=on_chunk, on_epoch=on_epoch)
    return run["model"], best, history, run["ledger"]
