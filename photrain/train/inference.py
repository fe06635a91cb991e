"""Inference through the hardware: accuracy with every forward product on the run's core.

A run whose forward core is not digital (``--core bank``/``--forward-on-cores``,
``--core crossbar``, EP on a core) is evaluated twice each epoch: digitally
(the weights read from memory without noise, float products:
:func:`photrain.train.network.accuracy`) and through the hardware, here. The
controller reads the memory (with its read noise) and programs its core once
for the whole evaluation, as a chip is programmed once and then serves the
images; every product of the forward pass (MLP) or of the free-phase
relaxation (EP) then runs on that core with its converters and fresh detector
noise. The evaluation images go through in batches under one ``jax.jit``
(``lax.map``), with a key fixed by the run's seed and the epoch
(:func:`eval_key`), so a resumed run measures the same numbers.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import photrain.train.eqprop as ep
from photrain.train.network import forward

#: Images per batch of a hardware evaluation: large enough to amortise the per-call cost, small enough that a
#: per-block bank read of a 784-wide layer (blocks x batch x 2 rows floats) stays near 100 MB.
EVAL_BATCH = 256
#: Salt of the evaluation keys (distinct from the init / feedback / training keys split from the seed).
_EVAL_SALT = 0x65766C  # "evl"


def eval_key(seed: int, epoch: int):
    """The PRNG key of the hardware evaluation after ``epoch`` (0-based) of a run seeded by ``seed``."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), _EVAL_SALT), epoch)


def _programmer(ctrl, transpose: bool):
    """(hs, key) -> the controller's programmed core: jitted where the core is programmed inside a step,
    on the host for a core programmed there (``ctrl.forward_on_core`` False: the mesh's SVD + decomposition)."""
    if getattr(ctrl, "forward_on_core", True):
        return jax.jit(lambda hs, key: ctrl.program(hs, key, transpose=transpose))
    return lambda hs, key: ctrl.program_core(hs, key, transpose=transpose)


def make_hardware_predict(config, ctrl):
    """``predict(hs, xs, key) -> outputs``: xs (n_batches, batch, n_in) -> (n_batches, batch, n_out) on the core.

    The controller programs its core once from the memory (read noise from ``key``); a jitted
    ``lax.map`` over the batches then runs, for MLP runs, the logits of the forward pass with W·h of
    every layer on the core (biases and ReLU digital), and for EP runs the free phase's output states
    (:func:`photrain.train.eqprop.predict`) with every relaxation product on the core (W and Wᵀ).
    """
    is_eqprop = config.algorithm == "eqprop"
    program = _programmer(ctrl, is_eqprop)

    @jax.jit
    def run(prog, hs, xs, key):
        n_layers = len(hs.mem)

        def one(batch):
            x, i = batch
            k = jax.random.fold_in(key, i)
            if is_eqprop:
                mm, mt = ep._controller_products(ctrl, prog)
                return ep.predict(list(hs.bias), x, mm, mt, steps=config.free_steps, key=k, eps=config.relax_step)
            keys = jax.random.split(k, n_layers)
            logits, _ = forward(ctrl.params(prog, hs), x, lambda j, h, w: ctrl.matmul(prog, j, h, keys[j]))
            return logits

        return jax.lax.map(one, (xs, jnp.arange(xs.shape[0])))

    def predict(hs, xs, key):
        k_prog, k_run = jax.random.split(key)
        return run(program(hs, k_prog), hs, xs, k_run)

    return predict


def hardware_accuracy(predict, hs, sets, key, *, batch: int = EVAL_BATCH) -> list[float]:
    """Accuracy (fraction) of each ``(x, y)`` in ``sets`` through one programming of the core.

    The sets are run together (one compiled shape per total size), padded to whole batches.
    """
    sizes = [len(x) for x, _ in sets]
    x = np.concatenate([np.asarray(x, np.float32) for x, _ in sets])
    y = np.concatenate([np.asarray(y) for _, y in sets])
    n = len(x)
    if n == 0:
        return [float("nan")] * len(sets)
    n_batches = -(-n // batch)
    xs = np.zeros((n_batches * batch, x.shape[1]), np.float32)
    xs[:n] = x
    out = predict(hs, jnp.asarray(xs.reshape(n_batches, batch, -1)), key)
    correct = np.asarray(jnp.argmax(out.reshape(n_batches * batch, -1), -1))[:n] == y
    edges = np.cumsum([0, *sizes])
    return [float(np.mean(correct[a:b])) if b > a else float("nan") for a, b in zip(edges[:-1], edges[1:], strict=True)]
