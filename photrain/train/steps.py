"""One optimiser step of each learning rule, composed from the controller's products.

A step takes the controller state and a batch and returns the new state, the
loss and the device events. Every product goes through the controller (which
programs its core from the weight memory once per batch); the learning rules
in :mod:`photrain.train.algorithms` only see callables.
"""

from __future__ import annotations

import jax

from photrain.train import algorithms as alg

BACKWARD = {"backprop": "backprop", "dfa": "dfa", "dfa-reference-noise": "dfa", "optical-dfa": "dfa"}


def make_step(config, ctrl):
    """``step((hs, compiled), (x, y, key)) -> ((hs, compiled), (loss, counts))`` for ``lax.scan``.

    ``compiled``: the feedback matrices B_l as the controller compiled them (digital or on a bank).
    """
    algorithm = config.algorithm
    on_core = ctrl.core.kind != "digital"

    def step(carry, batch):
        hs, compiled = carry
        x, y, key = batch
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
