"""Equilibrium propagation's step on the controller, and the closed-form counts of EP steps.

The layered rules (backprop, DFA, reference-noise DFA, optical DFA) have one step only:
:func:`photrain.nn.fit.make_step`, which ``photrain train`` runs through :mod:`photrain.train.layered_run`.
EP's step takes the controller state and a batch and returns the new state, the loss and the device events;
every relaxation product goes through the controller (which programs its core from the weight memory once per
batch). The layered rules' formulas in :mod:`photrain.train.algorithms` remain as the float reference the tests
compare against.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

import photrain.train.eqprop as ep
from photrain.controller.ledger import Ledger

BACKWARD = {"backprop": "backprop", "dfa": "dfa", "dfa-reference-noise": "dfa", "optical-dfa": "dfa",
            "eqprop": "none"}  # eqprop's relaxation products are counted by eqprop_ledger


def make_step(config, ctrl):
    """EP: ``step((hs, compiled), (x, y, key)) -> ((hs, compiled), (loss, (counts, sweeps)))`` for ``lax.scan``.

    ``sweeps``: [free, nudged] sweeps the two phases ran, for :func:`eqprop_run_ledger`; ``compiled`` is
    carried unchanged (EP has no feedback matrices). The carry may be :func:`init_carry`'s
    ``(hs, compiled, settings)``: the core's settings carried from step to step and patched where each write lands
    instead of programmed anew every batch (the same products, bit for bit; ``photrain.controller.carried``).
    """
    if config.algorithm != "eqprop":
        raise ValueError(f"train.steps.make_step runs eqprop; {config.algorithm!r} trains through "
                         "photrain.nn.fit (photrain.train.layered_run)")

    def step(carry, batch):
        hs, compiled, *settings = carry
        x, y, key = batch
        target = jax.nn.one_hot(y, hs.bias[-1].shape[-1], dtype=x.dtype)
        hs, r, counts, *settings = ep.controller_step(ctrl, config.eqprop, hs, x, target, key, *settings)
        return (hs, compiled, *settings), (r.loss, (counts, jnp.stack([r.free.sweeps, r.nudged_sweeps])))

    return step


def init_carry(ctrl, hs, compiled=()):
    """:func:`make_step`'s carry for ``lax.scan`` with the core's settings carried (``ctrl.carry``: ``()`` where the
    controller cannot carry them, and each step programs its core as before)."""
    return hs, compiled, ctrl.carry(hs)


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

