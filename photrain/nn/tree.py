"""Walking a model's hardware layers: program them, install noise keys, write optimiser updates through the controller."""

from __future__ import annotations

import inspect

import equinox as eqx
import jax

from photrain.controller import Counts, zero_counts
from photrain.nn.layers import HardwareLayer

#: The name of the batch axis of :func:`batched_apply`'s vmap (collectives over the batch: DFA's reference noise).
BATCH_AXIS = "batch"


def is_hardware(x) -> bool:
    return isinstance(x, HardwareLayer)


def hardware_layers(model) -> list[HardwareLayer]:
    """The model's hardware layers, in tree order."""
    return [x for x in jax.tree_util.tree_leaves(model, is_leaf=is_hardware) if is_hardware(x)]


def map_hardware(fn, model, *rest):
    """The model with every hardware layer replaced by ``fn(i, layer, *rest_layers)`` (i: its index in tree order)."""
    counter = iter(range(1 << 30))

    def f(x, *r):
        return fn(next(counter), x, *r) if is_hardware(x) else x

    return jax.tree_util.tree_map(f, model, *rest, is_leaf=is_hardware)


def program_model(model, key, *, transpose: bool = True, host: bool = False):
    """Every hardware layer programmed (memory read with noise from ``key``; None: noise-free)."""
    return map_hardware(lambda i, layer: layer.program(None if key is None else jax.random.fold_in(key, i),
                                                       transpose=transpose, host=host), model)


def clear_model(model):
    return map_hardware(lambda i, layer: layer.clear(), model)


def trainable_spec(model):
    """Filter spec of what an optimiser trains: every inexact array, except inside hardware layers, where only the
    read weights and the bias (not the memory state) are parameters. ``model`` must be programmed."""
    def spec(layer):
        s = jax.tree_util.tree_map(lambda _: False, layer)
        return eqx.tree_at(lambda m: (m.weight, m.state.bias), s, (True, (bool(getattr(layer, "use_bias", True)),)))

    return jax.tree_util.tree_map(lambda x: spec(x) if is_hardware(x) else eqx.is_inexact_array(x), model,
                                  is_leaf=is_hardware)


def takes_key(model) -> bool:
    """Whether ``model.__call__`` accepts a ``key`` keyword (Equinox's convention for randomness)."""
    try:
        params = inspect.signature(model).parameters
    except (TypeError, ValueError):
        return False
    return "key" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def call_model(model, x, key=None):
    """``model(x)``, with ``key=`` when the model takes one (Equinox's convention; a fixed key when None)."""
    if takes_key(model):
        return model(x, key=jax.random.PRNGKey(0) if key is None else key)
    return model(x)


def batched_apply(model, xs, key, *, apply=None):
    """vmap of ``model`` over the batch ``xs``; each example gets its own core-noise keys (and ``key=`` if taken).

    apply: ``apply(model, x, key) -> output`` in place of :func:`call_model` (DFA's taps: :mod:`photrain.nn.dfa`).
    """
    n = len(hardware_layers(model))
    batch = xs.shape[0]
    keys = jax.random.split(key, n + 1)
    noise = tuple(jax.random.split(k, batch) for k in keys[:n])
    model_keys = jax.random.split(keys[n], batch)

    def one(ks, mk, x):
        m = map_hardware(lambda i, layer: eqx.tree_at(lambda l: l.noise_key, layer, ks[i],
                                                      is_leaf=lambda v: v is None), model)
        return (apply or call_model)(m, x, mk)

    return jax.vmap(one, axis_name=BATCH_AXIS)(noise, model_keys, xs)


def write_updates(model, updates, key, images) -> tuple[object, Counts]:
    """Apply an optax update: to every hardware layer through its controller (memory writes: pulses, transfers,
    refreshes, counted), to every other parameter digitally (``eqx.apply_updates``). Returns (model, counts)."""
    total = [zero_counts()]

    def write(i, layer, upd):
        ctrl = layer.controller
        hs, counts = ctrl.write(layer.state, ((upd.weight, upd.state.bias[0]),), jax.random.fold_in(key, i), images)
        total[0] = Counts(*(a + c for a, c in zip(total[0], counts, strict=True)))
        return eqx.tree_at(lambda m: m.state, layer, hs).clear()

    digital_updates = jax.tree_util.tree_map(lambda u: None if is_hardware(u) else u, updates, is_leaf=is_hardware)
    model_new = eqx.apply_updates(model, digital_updates)
    model_new = map_hardware(write, model_new, updates)
    return model_new, total[0]
