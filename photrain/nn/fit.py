"""fit: train any Equinox model with hardware layers, with any optax optimiser, its updates written into memory."""

from __future__ import annotations

import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from photrain.controller import Ledger
from photrain.nn.evaluate import evaluate
from photrain.nn.layers import recording
from photrain.nn.tree import batched_apply, hardware_layers, program_model, trainable_spec, write_updates

ALGORITHMS = ("backprop",)
#: Batches per jitted ``lax.scan`` call (the progress bar moves once per chunk).
CHUNK = 32
#: Examples of the per-epoch accuracies when no ``val`` is given (the first of the training set).
TRAIN_EVAL = 2000


def cross_entropy(logits, y):
    """Mean softmax cross-entropy for integer labels (the default loss)."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))


def _check_optimizer(optimizer):
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update") and callable(optimizer.update)):
        raise ValueError(f"optimizer must be an optax.GradientTransformation, e.g. optax.adam(1e-3); got "
                         f"{type(optimizer).__name__}")


def make_step(static, optimizer, loss_fn):
    """``step((dyn, opt_state), (x, y, key)) -> ((dyn, opt_state), (loss, counts))``: one optimiser step.

    The controller programs every hardware layer from its memory (read noise), ``jax.grad`` runs the model
    (products on the cores, Wᵀ·δ on the cores where they can), optax turns gradients into updates, and
    the controller writes the hardware layers' updates into memory (pulses, transfers, refreshes counted).
    """
    def step(carry, batch):
        dyn, opt_state = carry
        x, y, key = batch
        k_prog, k_fwd, k_mem = jax.random.split(key, 3)
        model = program_model(eqx.combine(dyn, static), k_prog, transpose=True)
        params, rest = eqx.partition(model, trainable_spec(model))

        def loss_of(p):
            return loss_fn(batched_apply(eqx.combine(p, rest), x, k_fwd), y)

        loss, grads = jax.value_and_grad(loss_of)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        model, counts = write_updates(model, updates, k_mem, x.shape[0])
        return (eqx.partition(model, eqx.is_array)[0], opt_state), (loss, counts)

    return step


def step_ledger(model, optimizer, loss_fn, x, y) -> Ledger:
    """Closed-form counts of one step on a batch like (x, y): every traced product, by the controller."""
    dyn, static = eqx.partition(model, eqx.is_array)
    opt_state = optimizer.init(_params(model))
    with recording() as products:
        jax.eval_shape(make_step(static, optimizer, loss_fn), (dyn, opt_state), (x, y, jax.random.PRNGKey(0)))
    led = Ledger(steps=1)
    for hw, shape, batch, backward in products:
        led.add(hw.controller.layer_ledger(shape, batch, backward=backward))
    return led


def _params(model):
    prog = program_model(model, None, transpose=True)  # the structure the step's programmed model has
    return eqx.filter(prog, trainable_spec(prog))


def _batches(data):
    """(x, y) arrays -> None (fit indexes them); an iterable of (x, y) batches -> itself."""
    if isinstance(data, tuple) and len(data) == 2 and hasattr(data[0], "shape") and hasattr(data[1], "shape"):
        x, y = np.asarray(data[0]), np.asarray(data[1])
        if len(x) != len(y):
            raise ValueError(f"fit: x has {len(x)} examples and y {len(y)}; pass one label per example")
        return x, y
    if hasattr(data, "__iter__"):
        return None
    raise ValueError("fit: data must be (x, y) arrays or an iterable of (x, y) batches")


def fit(model, optimizer, data, *, algorithm: str = "backprop", epochs: int = 1, batch_size: int = 32, key,
        val=None, progress: bool = True, loss=cross_entropy, shuffle: bool = True):
    """Train ``model`` (an Equinox model, its hardware layers made by :func:`convert` or by hand).

    optimizer: any ``optax.GradientTransformation``; its updates of hardware layers become memory writes
    through the controller (the other parameters, e.g. a LayerNorm's, are updated digitally).
    data: ``(x, y)`` arrays (shuffled each epoch, the last partial batch dropped) or an iterable of
    ``(x, y)`` batches (iterated once per epoch: a list, or anything that can be iterated again).
    algorithm: 'backprop' (``jax.grad`` through the hardware products). loss: ``loss(logits, y)``, default
    softmax cross-entropy on integer labels. val: ``(x, y)`` for the per-epoch accuracies (default: the first
    2000 training examples).

    Returns ``(model, history)``; ``history`` has one dict per epoch: loss, accuracy (digital), hw_accuracy
    (through the hardware), ledger (the run's counts so far, as a dict), time_s.
    """
    from tqdm.auto import tqdm

    _check_optimizer(optimizer)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)} (dfa and "
                         "optical-dfa are not available in photrain.nn yet)")
    if not hardware_layers(model):
        raise ValueError("fit: the model has no hardware layers; convert(model, Hardware(...)) it first")
    arrays = _batches(data)
    if arrays is not None and len(arrays[0]) < batch_size:
        raise ValueError(f"fit: {len(arrays[0])} examples are fewer than batch_size {batch_size}; "
                         "lower batch_size")
    if val is None and arrays is not None:
        val = (arrays[0][:TRAIN_EVAL], arrays[1][:TRAIN_EVAL])
    dyn, static = eqx.partition(model, eqx.is_array)
    opt_state = optimizer.init(_params(model))
    step = make_step(static, optimizer, loss)

    @jax.jit
    def run_chunk(dyn, opt_state, xs_all, ys_all, idx, keys):
        def body(carry, batch):
            i, k = batch
            return step(carry, (xs_all[i], ys_all[i], k))

        (dyn, opt_state), (losses, counts) = jax.lax.scan(body, (dyn, opt_state), (idx, keys))
        return dyn, opt_state, losses, counts

    run_one = jax.jit(step)
    ledger, history, per_step = Ledger(), [], {}
    for epoch in range(epochs):
        t0 = time.perf_counter()
        k_epoch = jax.random.fold_in(key, epoch)
        losses, events = [], np.zeros(3, np.int64)
        if arrays is not None:
            x_all, y_all = jnp.asarray(arrays[0]), jnp.asarray(arrays[1])
            n_batches = len(arrays[0]) // batch_size
            order = (np.asarray(jax.random.permutation(jax.random.fold_in(k_epoch, 1), len(arrays[0])))
                     if shuffle else np.arange(len(arrays[0])))
            idx = order[: n_batches * batch_size].reshape(n_batches, batch_size)
            keys = jax.random.split(k_epoch, n_batches)
            bar = tqdm(total=n_batches * batch_size, desc=f"epoch {epoch + 1}/{epochs}", unit="ex",
                       disable=not progress, leave=False)
            if batch_size not in per_step:
                per_step[batch_size] = step_ledger(eqx.combine(dyn, static), optimizer, loss,
                                                   x_all[:batch_size], y_all[:batch_size])
            for c0 in range(0, n_batches, CHUNK):
                dyn, opt_state, chunk_losses, counts = run_chunk(dyn, opt_state, x_all, y_all,
                                                                 jnp.asarray(idx[c0 : c0 + CHUNK]), keys[c0 : c0 + CHUNK])
                chunk_losses = np.asarray(chunk_losses)
                losses.extend(chunk_losses.tolist())
                events += [int(np.asarray(c, np.int64).sum()) for c in counts]
                bar.update(len(chunk_losses) * batch_size)
                bar.set_postfix(loss=f"{np.mean(losses):.4f}")
            bar.close()
            ledger.add(per_step[batch_size].scaled(n_batches))
        else:
            bar = tqdm(desc=f"epoch {epoch + 1}/{epochs}", unit="batch", disable=not progress, leave=False)
            for b, batch in enumerate(data):
                if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
                    raise ValueError("fit: each batch of data must be an (x, y) pair of arrays")
                x, y = jnp.asarray(batch[0]), jnp.asarray(batch[1])
                if x.shape[0] not in per_step:
                    per_step[x.shape[0]] = step_ledger(eqx.combine(dyn, static), optimizer, loss, x, y)
                (dyn, opt_state), (step_loss, counts) = run_one((dyn, opt_state), (x, y, jax.random.fold_in(k_epoch, b)))
                losses.append(float(step_loss))
                events += [int(c) for c in counts]
                ledger.add(per_step[x.shape[0]])
                bar.update(1)
                bar.set_postfix(loss=f"{np.mean(losses):.4f}")
            bar.close()
        ledger.add(memory_pulses=int(events[0]), memory_transfers=int(events[1]), memory_refreshes=int(events[2]))
        if not np.all(np.isfinite(losses)):
            raise FloatingPointError(f"fit: the loss became {losses[int(np.argmin(np.isfinite(losses)))]} in epoch "
                                     f"{epoch + 1}; lower the optimiser's learning rate")
        model = eqx.combine(dyn, static)
        entry = {"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else float("nan")}
        if val is not None:
            k_eval = jax.random.fold_in(k_epoch, 2)
            entry["accuracy"] = evaluate(model, *val, through="digital")
            entry["hw_accuracy"] = evaluate(model, *val, through="hardware", key=k_eval)
        entry["ledger"] = ledger.as_dict()
        entry["time_s"] = time.perf_counter() - t0
        history.append(entry)
        if progress:
            acc = (f"  accuracy {100 * entry['accuracy']:6.2f}%  hardware {100 * entry['hw_accuracy']:6.2f}%"
                   if val is not None else "")
            tqdm.write(f"epoch {epoch + 1}/{epochs}  loss {entry['loss']:.4f}{acc}")
    return model, history
