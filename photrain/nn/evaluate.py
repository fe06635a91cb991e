"""evaluate / predict (through the hardware or digitally) and elapse (a deployed chip's time: drift, leakage)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from photrain.nn.tree import batched_apply, clear_model, hardware_layers, is_hardware, map_hardware, program_model

THROUGH = ("hardware", "digital")
EVAL_BATCH = 256


def _digital(model):
    """Every hardware layer read noise-free from memory, its products float32 (no core, no converters)."""
    def one(i, layer):
        return layer.with_hardware(layer.hardware.replace(core="digital")).program(None, transpose=False)

    return map_hardware(one, clear_model(model))


def _compensated(model, key):
    """Global drift compensation (aihwkit's GlobalDriftCompensation idea): each deployed layer's output is
    scaled by (its calibration output at deployment) / (its calibration output now), the calibration output
    being the mean |W c| over fixed inputs c (:func:`photrain.nn.layers.calibration_inputs`)."""
    def one(i, layer):
        if layer.drift_ref is None:
            return layer
        scale = layer.drift_ref / jnp.maximum(layer.calibration_output(), 1e-30)
        return eqx.tree_at(lambda m: m.output_scale, layer, scale, is_leaf=lambda v: v is None)

    return map_hardware(one, model)


@eqx.filter_jit
def _run(model, xs, key):
    def one(batch):
        x, i = batch
        return batched_apply(model, x, jax.random.fold_in(key, i))

    return jax.lax.map(one, (xs, jnp.arange(xs.shape[0])))


def predict(model, x, *, through: str = "hardware", key=None, drift_compensation: bool = False,
            batch_size: int = EVAL_BATCH):
    """The model's outputs for the examples ``x`` (n, ...), as :func:`evaluate` runs them."""
    if through not in THROUGH:
        raise ValueError(f"through must be one of {', '.join(THROUGH)}; got {through!r}")
    key = jax.random.PRNGKey(0) if key is None else key
    k_prog, k_run = jax.random.split(key)
    x = np.asarray(x)
    if through == "digital":
        prog = _digital(model)
    else:
        host = any(not layer.controller.forward_on_core and layer.controller.core.kind != "digital"
                   for layer in hardware_layers(model))  # a core programmed on the host (the mesh)
        prog = program_model(clear_model(model), k_prog, transpose=False, host=host)
    if drift_compensation:
        prog = _compensated(prog, k_prog)
    n = len(x)
    batch = max(1, min(batch_size, n))
    n_batches = -(-n // batch)
    xs = np.zeros((n_batches * batch, *x.shape[1:]), x.dtype if x.dtype.kind == "f" else np.float32)
    xs[:n] = x
    out = _run(prog, jnp.asarray(xs.reshape(n_batches, batch, *x.shape[1:])), k_run)
    return out.reshape(n_batches * batch, *out.shape[2:])[:n]


def evaluate(model, x, y, *, through: str = "hardware", key=None, drift_compensation: bool = False,
             batch_size: int = EVAL_BATCH) -> float:
    """Accuracy (fraction) of ``argmax(model(x))`` against integer labels ``y``.

    through: 'hardware' (the controller reads every memory with its read noise, from ``key``, and programs
    the cores once; every product then runs on its core with converters and fresh noise) or 'digital' (the
    weights read noise-free, float products). drift_compensation: scale each deployed layer's output by its
    calibration at deployment over its calibration now (see :func:`elapse`).
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"evaluate: x has {len(x)} examples and y {len(y)}; pass one label per example")
    out = predict(model, x, through=through, key=key, drift_compensation=drift_compensation, batch_size=batch_size)
    return float(np.mean(np.asarray(jnp.argmax(out.reshape(len(x), -1), -1)) == y))


def elapse(model, seconds: float, *, key=None):
    """The model after ``seconds`` as a deployed chip holds it: each memory's drift and leakage.

    The first call deploys every hardware layer: the controller runs the memory's deployment step (PCM+3T1C:
    the final transfer of the capacitor into the PCM pair, the capacitor switched out, as the 3T1C scheme
    needs for anything longer than the capacitor's retention) and the drift-compensation reference is taken.
    Calls add up: ``elapse(elapse(m, 60), 3540)`` is one hour after deployment.
    """
    if not seconds >= 0:
        raise ValueError(f"elapse: seconds must be >= 0; got {seconds}")
    key = jax.random.PRNGKey(0) if key is None else key

    def one(i, layer):
        ctrl, hs = layer.controller, layer.state
        if layer.drift_ref is None:
            hs = ctrl.deploy(hs, jax.random.fold_in(key, i))
            layer = eqx.tree_at(lambda m: (m.state, m.drift_ref), layer, (hs, layer.calibration_output(hs)),
                                is_leaf=lambda v: v is None)
        return eqx.tree_at(lambda m: m.state, layer, ctrl.elapse(hs, seconds))

    return map_hardware(one, clear_model(model))


__all__ = ["evaluate", "predict", "elapse", "is_hardware"]
