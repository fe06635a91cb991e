"""One optimiser step of each learning rule, composed from the controller's products.

A step takes the controller state and a batch and returns the new state, the
loss and the device events. Every product goes through the controller (which
programs its core from the weight memory once per batch); the learning rules
in :mod:`photrain.train.algorithms` only see callables.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

import photrain.train.algorithms as alg
import photrain.train.eqprop as ep
from photrain.controller.ledger import Ledger

BACKWARD = {"backprop": "backprop", "dfa": "dfa", "dfa-reference-noise": "dfa", "optical-dfa": "dfa",
            "eqprop": "none"}  # eqprop's relaxation products are counted by eqprop_ledger


def make_step(config, ctrl):
    """``step((hs, compiled), (x, y, key)) -> ((hs, compiled), (loss, counts))`` for ``lax.scan``.

    For ``eqprop`` the counts are ``(device counts, [free sweeps, nudged sweeps])``: the sweeps the two
    phases ran, for :func:`eqprop_run_ledger`.

    ``compiled``: the feedback matrices B_l as the controller compiled them (digital or on a bank).
    """
    algorithm = config.algorithm
    on_core = ctrl.forward_on_core  # a mesh core (programmed on the host) leaves training's W·x digital

    def step(carry, batch):
        hs, compiled = carry
        x, y, key = batch
        if algorithm == "eqprop":  # every relaxation product on the core, the update written as pulses
            target = jax.nn.one_hot(y, hs.bias[-1].shape[-1], dtype=x.dtype)
            hs, r, counts = ep.controller_step(ctrl, config.eqprop, hs, x, target, key)
            return (hs, compiled), (r.loss, (counts, jnp.stack([r.free.sweeps, r.nudged_sweeps])))
        k_grad, k_mem, k_fwd = jax.random.split(key, 3)
        n = len(hs.mem)
        prog = ctrl.program(hs, jax.random.fold_in(k_mem, 7), transpose=on_core and algorithm == "backprop")
        params = ctrl.params(prog, hs)
        fwd_keys = jax.random.split(k_fwd, n)
        matmul = (lambda i, h, w: ctrl.matmul(prog, i, h, fwd_keys[i])) if on_core else None
        if algorithm == "backprop":
            if on_core:
                bwd_keys = jax.random.split(jax.random.fold_in(k_fwd, 1), n)
                loss, grads = alg.backprop_products(params, x, y, lambda i, h: matmul(i, h, None),
                                                    lambda i, d: ctrl.matmul_t(prog, i, d, bwd_keys[i]))
            else:
                loss, grads = alg.backprop_grads(params, x, y)
        elif algorithm == "dfa":
            loss, grads = alg.dfa_grads(params, x, y, alg.ideal_projection(compiled), matmul)
        elif algorithm == "dfa-reference-noise":
            proj = alg.reference_noise_projection(compiled, k_grad, sigma=config.noise_sigma, mu=config.noise_mu)
            loss, grads = alg.dfa_grads(params, x, y, proj, matmul)
        else:  # optical-dfa: B e on the feedback bank
            keys = jax.random.split(k_grad, len(compiled))
            loss, grads = alg.dfa_grads(params, x, y, lambda i, e: ctrl.project(compiled, i, e, keys[i]), matmul)
        hs, counts = ctrl.apply(hs, grads, k_mem, x.shape[0])
        return (hs, compiled), (loss, counts)

    return step



def eqprop_ledger(ctrl, sizes: list[int], batch: int, config, sweeps: tuple[int, int] | None = None):
    """Operation counts of one EP step. Per batch: W_1 x once (x is clamped in both phases); per sweep
    W_l s_{l-1} for l >= 2 and W_{l+1}^T s_{l+1} for every hidden layer; two outer products (digital).

    sweeps: (free, nudged) sweeps actually run (``Relaxed.sweeps`` of the two phases); None counts both
    phases at their caps, an upper bound (a phase stops early once its states settle).
    """
    free, nudged = (config.free_steps, config.nudged_steps) if sweeps is None else map(int, sweeps)
    if free < 1 or nudged < 1:
        raise ValueError(f"eqprop ledger: a phase runs at least one sweep; got sweeps {sweeps}")
    led = ctrl.step_ledger(sizes, batch, backward="none")  # memory traffic, one pass of every W, one outer product
    n_sweeps = free + nudged
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))[1:]
    for i, o in pairs:
        if ctrl.core.kind == "bank":  # W^T programmed on the rings too, once per batch
            led.add(programmings=ctrl.core.counts((i, o), batch).programmings)
        for _ in range(n_sweeps - 1):
            ctrl.count_core_product(led, (o, i), batch, reprogram=False)  # W_l s_{l-1}
        for _ in range(n_sweeps):
            ctrl.count_core_product(led, (i, o), batch, reprogram=False)  # W_l^T s_l
    return led.add(digital_macs=batch * sum(i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True)))


def eqprop_run_ledger(ctrl, sizes: list[int], batch: int, config, steps: int, sweeps: int):
    """Counts of ``steps`` EP steps that ran ``sweeps`` relaxation sweeps in all (both phases, every step).

    A step's ledger is linear in its sweeps: (the counts of a 1 + 1 sweep step) + (sweeps - 2) x (one sweep's
    products), so the sum over steps needs only the total.
    """
    if steps < 0 or sweeps < 2 * steps:
        raise ValueError(f"eqprop run ledger: {steps} steps run at least {2 * steps} sweeps; got {sweeps}")
    one = eqprop_ledger(ctrl, sizes, batch, config, (1, 1)).as_dict()
    two = eqprop_ledger(ctrl, sizes, batch, config, (2, 1)).as_dict()
    return Ledger(**{k: steps * one[k] + (sweeps - 2 * steps) * (two[k] - one[k]) for k in one})

