"""fit: train any Equinox model with hardware layers, with any optax optimiser, its updates written into memory."""

from __future__ import annotations

import collections
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from photrain.controller import Ledger
from photrain.nn.dfa import ALGORITHMS, Feedback, feedback_product_ledger
from photrain.nn.evaluate import evaluate
from photrain.nn.insitu import GRADIENTS, mesh_layers, mesh_ledger
from photrain.nn.insitu import value_and_grad as measured_value_and_grad
from photrain.nn.layers import recording
from photrain.nn.sharding import data_parallel, devices, place
from photrain.nn.tree import batched_apply, hardware_layers, program_model, trainable_spec, write_updates

#: Batches per jitted ``lax.scan`` call (the progress bar moves once per chunk; the last chunk of an epoch is
#: padded with skipped steps, so one program serves every chunk).
CHUNK = 32


def cross_entropy(logits, y):
    """Mean softmax cross-entropy for integer labels (the default loss)."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))


def _check_optimizer(optimizer):
    if not (hasattr(optimizer, "init") and hasattr(optimizer, "update") and callable(optimizer.update)):
        raise ValueError(f"optimizer must be an optax.GradientTransformation, e.g. optax.adam(1e-3); got "
                         f"{type(optimizer).__name__}")


def make_step(static, optimizer, loss_fn, feedback: Feedback | None = None, gradient: str = "autodiff"):
    """``step((dyn, opt_state), (x, y, key), fb) -> ((dyn, opt_state), (loss, counts))``: one optimiser step.

    The controller programs every hardware layer from its memory (read noise), ``jax.grad`` runs the model
    (products on the cores, Wᵀ·δ on the cores where they can; with ``feedback``, DFA: B·e into every hardware
    layer's input instead, :mod:`photrain.nn.dfa`, ``fb`` its compiled matrices), optax turns gradients into
    updates, and the controller writes the hardware layers' updates into memory (pulses, transfers, refreshes).
    """
    def step(carry, batch, fb=()):
        dyn, opt_state = carry
        x, y, key = batch
        k_prog, k_fwd, k_mem = jax.random.split(key, 3)
        model = program_model(eqx.combine(dyn, static), k_prog, transpose=feedback is None)
        params, rest = eqx.partition(model, trainable_spec(model))
        apply = None if feedback is None else feedback.apply(fb)

        def loss_of(p):
            return loss_fn(batched_apply(eqx.combine(p, rest), x, k_fwd, apply=apply), y)

        if gradient == "autodiff":  # MZIMesh phases: photrain.nn.insitu measures them otherwise
            loss, grads = jax.value_and_grad(loss_of)(params)
        else:
            loss, grads, _ = measured_value_and_grad(loss_of, params, key=k_fwd, gradient=gradient)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        model, counts = write_updates(model, updates, k_mem, x.shape[0])
        return (eqx.partition(model, eqx.is_array)[0], opt_state), (loss, counts)

    return step


def step_ledger(model, optimizer, loss_fn, x, y, feedback: Feedback | None = None,
                gradient: str = "autodiff") -> Ledger:
    """Closed-form counts of one step on a batch like (x, y): every traced product, by the controller.

    The products are traced per example (the model is vmapped): each counts ``x.shape[0]`` times its factor.
    """
    dyn, static = eqx.partition(model, eqx.is_array)
    opt_state = optimizer.init(_params(model, feedback is None))
    fb = () if feedback is None else feedback.arrays
    with recording() as products:
        jax.eval_shape(make_step(static, optimizer, loss_fn, feedback, gradient), (dyn, opt_state),
                       (x, y, jax.random.PRNGKey(0)), fb)
    led = Ledger(steps=1)
    n = x.shape[0]
    for entry in products:
        if entry[0] == "feedback":
            _, hw, shape, factor, _ = entry
            led.add(feedback_product_ledger(hw, shape, factor * n))
        else:
            hw, shape, factor, backward = entry
            led.add(hw.controller.layer_ledger(shape, factor * n, backward=backward))
    if mesh_layers(model):  # MZIMesh layers: mesh passes, detector reads, heater writes (photrain.nn.insitu)
        led.add(mesh_ledger(lambda m: batched_apply(m, x[:1], jax.random.PRNGKey(0)), model, n, gradient))
    return led


#: Jitted step programs kept across fit calls, least recently used dropped beyond :data:`KEEP_PROGRAMS`: a fit of
#: the same model structure with the same optimizer object, loss and feedback (a resumed run, a rerun, a sweep's
#: next seed in one process) reuses the traced and compiled programs instead of tracing and compiling them again.
KEEP_PROGRAMS = 8
_programs_kept: collections.OrderedDict = collections.OrderedDict()


def _program_key(static, optimizer, loss, feedback, gradient, algorithm):
    """What a fit's step programs depend on besides their arguments' shapes, or None where it is not hashable.

    The model's structure and non-array fields (with their types: 1 and 1.0 trace differently), the optimizer
    and loss objects (compared by identity, as functions are), the feedback's hardware, output shape and noise
    (its matrices are arguments), the gradient method, the rule and the devices the batch is sharded over."""
    leaves, treedef = jax.tree_util.tree_flatten(static)
    fb = None if feedback is None else (feedback.hardware, feedback.out_shape, feedback.noise)
    key = (treedef, tuple((type(v), v) for v in leaves), optimizer, loss, fb, gradient, algorithm, tuple(devices()))
    try:
        hash(key)
        bool(key == key)  # a leaf whose == is elementwise (an array) cannot be a key
    except (TypeError, ValueError):
        return None
    return key


def kept(store: collections.OrderedDict, key, build, limit: int):
    """``store[key]``, or ``build()`` kept there under ``key`` (the least recently used dropped beyond ``limit``);
    a ``key`` of None is built and not kept. The store of compiled programs of :func:`fit` and of EP's runs."""
    if key is not None and key in store:
        store.move_to_end(key)
        return store[key]
    value = build()
    if key is not None:
        store[key] = value
        while len(store) > limit:
            store.popitem(last=False)
    return value


def _programs(static, optimizer, loss, feedback, gradient, algorithm) -> dict:
    """{'chunk': jitted chunk of steps, 'one': jitted single step, 'ledgers': {}}, shared by equal fits."""
    return kept(_programs_kept, _program_key(static, optimizer, loss, feedback, gradient, algorithm),
                lambda: _new_programs(static, optimizer, loss, feedback, gradient), KEEP_PROGRAMS)


def _new_programs(static, optimizer, loss, feedback, gradient) -> dict:
    # the batch split over every device JAX sees, weights replicated (photrain.nn.sharding)
    step = data_parallel(make_step(static, optimizer, loss, feedback, gradient))

    @jax.jit
    def run_chunk(dyn, opt_state, fb, xs_all, ys_all, idx, k_epoch, first, live):
        keys = jax.vmap(lambda b: jax.random.fold_in(k_epoch, b))(first + jnp.arange(idx.shape[0]))

        def body(carry, batch):
            i, k, on = batch
            return jax.lax.cond(on, lambda c: step(c, (xs_all[i], ys_all[i], k), fb),
                                lambda c: (c, zero), carry)

        # a skipped batch returns zeros shaped as a step's (loss, counts): the loss's dtype is the model's
        # (float64 when the user runs with x64 on and float64 data)
        zero = jax.eval_shape(lambda c: step(c, (xs_all[idx[0]], ys_all[idx[0]], keys[0]), fb)[1],
                              (dyn, opt_state))
        zero = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), zero)
        (dyn, opt_state), (losses, counts) = jax.lax.scan(body, (dyn, opt_state), (idx, keys, live))
        return dyn, opt_state, losses, jax.tree_util.tree_map(lambda c: jnp.sum(c, axis=0), counts)

    return {"chunk": run_chunk, "one": jax.jit(step), "ledgers": {}}


def _step_ledger_of(run: dict, model, optimizer, loss, x, y, gradient) -> Ledger:
    """:func:`step_ledger` of a batch like (x, y), kept with the programs (the counts follow from the shapes)."""
    shapes = tuple((a.shape, a.dtype) for a in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array)))
    k = (shapes, x.shape, x.dtype, y.shape, y.dtype)
    if k not in run["ledgers"]:
        run["ledgers"][k] = step_ledger(model, optimizer, loss, x, y, run["feedback"], gradient)
    return Ledger(**run["ledgers"][k].as_dict())


def _params(model, transpose: bool = True):
    prog = program_model(model, None, transpose=transpose)  # the structure the step's programmed model has
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


def _epoch_order(key, epoch: int, n: int, shuffle: bool):
    """The epoch's order of the examples (NumPy's generator seeded by fit's key and the epoch: no device work)."""
    if not shuffle:
        return np.arange(n)
    return np.random.default_rng([*np.asarray(jax.random.key_data(key)).ravel().tolist(), epoch]).permutation(n)


def fit(model, optimizer, data, *, algorithm: str = "backprop", epochs: int = 1, batch_size: int = 32, key,
        val=None, progress: bool = True, loss=cross_entropy, shuffle: bool = True, drop_last: bool = True,
        chunk: int = CHUNK, feedback_noise: tuple = (0.03, 0.618), initial_epoch: int = 0, opt_state=None,
        on_chunk=None, on_epoch=None, gradient: str = "autodiff"):
    """Train ``model`` (an Equinox model, its hardware layers made by :func:`convert` or by hand).

    optimizer: any ``optax.GradientTransformation``; its updates of hardware layers become memory writes
    through the controller (the other parameters, e.g. a LayerNorm's, are updated digitally).
    data: ``(x, y)`` arrays (shuffled each epoch unless ``shuffle=False``; the last partial batch dropped
    unless ``drop_last=False``, then it is one more step of its own size) or an iterable of ``(x, y)``
    batches (iterated once per epoch: a list, or anything that can be iterated again).
    algorithm: 'backprop' (``jax.grad`` through the hardware products), 'dfa' (direct feedback alignment:
    every hardware layer's input receives B·e, digital), 'dfa-reference-noise' (DFA with the reference code's
    noise on B·e: + max|e| N(mu, sigma), max over the batch, ``feedback_noise=(mu, sigma)``) or 'optical-dfa'
    (B·e on each layer's feedback core, a weight bank unless ``Hardware(feedback=...)`` names another):
    :mod:`photrain.nn.dfa`.
    loss: ``loss(logits, y)``, default softmax cross-entropy on integer labels (DFA's e is its gradient at
    the model's output). val: ``(x, y)``: after every epoch the accuracy on it, digital and through the
    hardware (None: no evaluation, the fastest). chunk: batches per jitted call (progress granularity).

    Continuing a run: ``initial_epoch`` (epochs already done; the epochs run are initial_epoch..epochs-1,
    each keyed by ``key`` and its index, so a continued run is bit-identical to an uninterrupted one) and
    ``opt_state`` (the optimiser state then; None: ``optimizer.init``). Hooks: ``on_chunk(epoch, first_batch,
    losses, model)`` after every jitted chunk (it may raise to stop the run: e.g. divergence);
    ``on_epoch(entry, model, opt_state)`` after every epoch (it may add to the history entry; then fit
    prints no epoch line of its own).

    Returns ``(model, history)``; ``history`` has one dict per epoch run: loss, ledger (this call's counts so
    far, as a dict), time_s (the epoch's training time, without the evaluation) and, with ``val``, accuracy
    (digital) and hw_accuracy (through the hardware); examples (trained on in the epoch).

    gradient: how the phases of :class:`photrain.nn.MZIMesh` layers get their gradients: 'autodiff' (the digital
    twin), 'insitu' (Hughes et al.'s adjoint measurement on the simulated chip) or 'finite-difference'
    (:mod:`photrain.nn.insitu`); the ledger counts the meshes' passes (optical_passes), detector reads
    (adc_conversions) and heater writes (dac_conversions).

    The jitted step programs are kept for the next fit of the same model structure with the same optimizer
    object, loss, rule and feedback (the last :data:`KEEP_PROGRAMS`): a resumed or repeated run is not traced
    and compiled again.
    """
    from tqdm.auto import tqdm

    _check_optimizer(optimizer)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    if gradient not in GRADIENTS:
        raise ValueError(f"unknown gradient {gradient!r}; use gradient='autodiff', 'insitu' or 'finite-difference'")
    if gradient != "autodiff" and algorithm != "backprop":
        raise ValueError(f"fit: gradient={gradient!r} measures backprop's gradient; use algorithm='backprop'")
    if not hardware_layers(model) and not mesh_layers(model):
        raise ValueError("fit: the model has no hardware layers; convert(model, Hardware(...)) it first or use "
                         "photrain.nn.MZIMesh layers")
    if isinstance(chunk, bool) or int(chunk) != chunk or chunk < 1:
        raise ValueError(f"fit: chunk must be an integer >= 1; got {chunk!r}")
    arrays = _batches(data)
    if arrays is not None and len(arrays[0]) < batch_size:
        raise ValueError(f"fit: {len(arrays[0])} examples are fewer than batch_size {batch_size}; "
                         "lower batch_size")
    if val is not None and not (isinstance(val, (tuple, list)) and len(val) == 2):
        raise ValueError("fit: val must be an (x, y) pair of arrays")
    dyn, static = eqx.partition(model, eqx.is_array)
    if opt_state is None:
        opt_state = optimizer.init(_params(model, algorithm == "backprop"))
    ledger, history = Ledger(), []
    run = {}

    def setup(x_example):  # the DFA feedback (needs an example's shape) and the jitted programs, once
        feedback = None
        if algorithm != "backprop":
            feedback = Feedback(eqx.combine(dyn, static), x_example, jax.random.fold_in(key, 0xFB), algorithm,
                                noise=feedback_noise)
            if initial_epoch == 0:  # B is programmed once, when the run starts
                ledger.add(feedback.ledger)
        run.update(feedback=feedback, fb=() if feedback is None else feedback.arrays,
                   **_programs(static, optimizer, loss, feedback, gradient, algorithm))

    def count(x, y):  # kept with the programs, per batch shape (_step_ledger_of)
        return _step_ledger_of(run, eqx.combine(dyn, static), optimizer, loss, x, y, gradient)

    def checked(epoch, first, chunk_losses, dyn_after):
        if on_chunk is not None:
            on_chunk(epoch, first, chunk_losses, eqx.combine(dyn_after, static))
        return chunk_losses

    if arrays is not None:
        x_all, y_all = place((jnp.asarray(arrays[0]), jnp.asarray(arrays[1])))
        setup(x_all[0])
    dyn, opt_state = place((dyn, opt_state))  # replicated on every device (photrain.nn.sharding)
    for epoch in range(initial_epoch, epochs):
        t0 = time.perf_counter()
        k_epoch = jax.random.fold_in(key, epoch)
        losses, events = [], []
        if arrays is not None:
            n_batches = len(arrays[0]) // batch_size
            n_chunks = -(-n_batches // chunk)
            order = _epoch_order(key, epoch, len(arrays[0]), shuffle)
            rest = np.zeros(0, np.int64) if drop_last else order[n_batches * batch_size:]
            idx = np.zeros((n_chunks * chunk, batch_size), np.int32)
            idx[:n_batches] = order[: n_batches * batch_size].reshape(n_batches, batch_size)
            live = np.arange(n_chunks * chunk) < n_batches
            bar = tqdm(total=n_batches * batch_size + rest.size, desc=f"epoch {epoch + 1}/{epochs}", unit="ex",
                       disable=not progress, leave=False)
            led = count(x_all[:batch_size], y_all[:batch_size])
            pending = None
            for c in range(n_chunks):
                sl = slice(c * chunk, (c + 1) * chunk)
                dyn, opt_state, chunk_losses, counts = run["chunk"](dyn, opt_state, run["fb"], x_all, y_all,
                                                                    idx[sl], k_epoch, c * chunk, live[sl])
                events.append(counts)
                done, pending = pending, (chunk_losses[: int(live[sl].sum())], int(live[sl].sum()), c * chunk, dyn)
                if done is not None:  # the previous chunk: read back while this one runs
                    losses.append(checked(epoch, done[2], np.asarray(done[0]), done[3]))
                    bar.update(done[1] * batch_size)
                    bar.set_postfix(loss=f"{np.mean(np.concatenate(losses)):.4f}")
            losses.append(checked(epoch, pending[2], np.asarray(pending[0]), pending[3]))
            bar.update(pending[1] * batch_size)
            ledger.add(led.scaled(n_batches))
            seen = n_batches * batch_size + int(rest.size)
            if rest.size:  # the last partial batch: one step of its own size, keyed after the full ones
                xr, yr = x_all[rest], y_all[rest]
                ledger.add(count(xr, yr))
                (dyn, opt_state), (step_loss, counts) = run["one"](
                    (dyn, opt_state), (xr, yr, jax.random.fold_in(k_epoch, n_batches)), run["fb"])
                events.append(counts)
                losses.append(checked(epoch, n_batches, np.asarray(step_loss)[None], dyn))
                bar.update(rest.size)
            bar.close()
        else:
            bar = tqdm(desc=f"epoch {epoch + 1}/{epochs}", unit="batch", disable=not progress, leave=False)
            seen = 0
            for b, batch in enumerate(data):
                if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
                    raise ValueError("fit: each batch of data must be an (x, y) pair of arrays")
                x, y = jnp.asarray(batch[0]), jnp.asarray(batch[1])
                if not run:
                    setup(x[0])
                ledger.add(count(x, y))
                (dyn, opt_state), (step_loss, counts) = run["one"]((dyn, opt_state),
                                                                   (x, y, jax.random.fold_in(k_epoch, b)), run["fb"])
                losses.append(step_loss[None])
                events.append(counts)
                seen += int(x.shape[0])
                bar.update(1)
            bar.close()
            losses = [np.asarray(jnp.concatenate(losses))] if losses else []
        totals = [int(sum(int(np.asarray(c[i]).sum()) for c in events)) for i in range(3)] if events else [0, 0, 0]
        ledger.add(memory_pulses=totals[0], memory_transfers=totals[1], memory_refreshes=totals[2])
        losses = np.concatenate(losses) if losses else np.zeros(0)
        if not np.all(np.isfinite(losses)):
            raise FloatingPointError(f"fit: the loss became {losses[int(np.argmin(np.isfinite(losses)))]} in epoch "
                                     f"{epoch + 1}; lower the optimiser's learning rate")
        model = eqx.combine(dyn, static)
        entry = {"epoch": epoch + 1, "loss": float(np.mean(losses)) if len(losses) else float("nan"),
                 "ledger": ledger.as_dict(), "time_s": time.perf_counter() - t0, "examples": seen}
        if val is not None:
            k_eval = jax.random.fold_in(k_epoch, 2)
            entry["accuracy"] = evaluate(model, *val, through="digital")
            entry["hw_accuracy"] = evaluate(model, *val, through="hardware", key=k_eval)
        history.append(entry)
        if on_epoch is not None:
            on_epoch(entry, model, opt_state)
        elif progress:
            acc = (f"  accuracy {100 * entry['accuracy']:6.2f}%  hardware {100 * entry['hw_accuracy']:6.2f}%"
                   if val is not None else "")
            tqdm.write(f"epoch {epoch + 1}/{epochs}  loss {entry['loss']:.4f}{acc}")
    return model, history
