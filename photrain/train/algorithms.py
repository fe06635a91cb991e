"""Learning rules: backprop, DFA, DFA with the reference paper's noise, and optical DFA.

DFA (Nøkland, NeurIPS 2016): with output error e = softmax(a_L) - onehot(y)
and fixed random B_l ~ U[-1, 1] of shape (width_l, n_out),
delta_l = (e B_l^T) ⊙ f'(a_l), dW_l = delta_l^T h_{l-1} / batch. photrain
follows the reference code (Filipovich et al., Optica 9, 1323 (2022)) and
divides B_l e by sqrt(width_l). In 'reference noise' mode the product is
e B^T + max|e| N(mu, sigma) (max over the batch), the convention of that
paper's code; in optical DFA, B_l e runs on an MRR weight-bank core.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from photrain.train.network import F32, cross_entropy, forward

ALGORITHMS = ("backprop", "dfa", "dfa-reference-noise", "optical-dfa", "eqprop")  # eqprop: photrain.train.eqprop


def init_feedback(key, sizes: list[int]):
    """Fixed random feedback matrices B_l ~ U[-1, 1], (width_l, n_out), one per hidden layer."""
    n_out = sizes[-1]
    return [jax.random.uniform(k, (w, n_out), F32, -1.0, 1.0)
            for k, w in zip(jax.random.split(key, len(sizes) - 2), sizes[1:-1], strict=True)]


def backprop_grads(params, x, y):
    """(loss, grads) by reverse-mode autodiff."""
    def loss_fn(p):
        logits, _ = forward(p, x)
        return cross_entropy(logits, y)

    return jax.value_and_grad(loss_fn)(params)


def backprop_products(params, x, y, matmul, matmul_t):
    """(loss, grads) by backprop written as the products a core runs: forward W·x, backward Wᵀ·δ.

    ``matmul(l, h) -> h W_lᵀ`` and ``matmul_t(l, d) -> d W_l`` (e.g. on a crossbar: drive the rows,
    then the columns). delta_L = softmax - onehot, delta_l = (delta_{l+1} W_{l+1}) ⊙ relu'(a_l),
    dW_l = delta_lᵀ h_{l-1} / batch. With exact products this is :func:`backprop_grads`.
    """
    logits, cache = forward(params, x, lambda i, h, w: matmul(i, h))
    loss = cross_entropy(logits, y)
    n = x.shape[0]
    delta = jax.nn.softmax(logits) - jax.nn.one_hot(y, logits.shape[-1], dtype=logits.dtype)
    grads = [None] * len(cache)
    for i in range(len(cache) - 1, -1, -1):
        h, _ = cache[i]
        grads[i] = (delta.T @ h / n, delta.sum(0) / n)
        if i > 0:
            delta = matmul_t(i, delta) * (cache[i - 1][1] > 0)
    return loss, grads


def dfa_grads(params, x, y, project, matmul=None):
    """(loss, grads) by direct feedback alignment; ``project(l, e) -> B_l e`` (batch, width_l).

    ``matmul(l, h, W)`` runs the forward products (e.g. on a core); DFA never differentiates through it.
    """
    logits, cache = forward(params, x, matmul)
    loss = cross_entropy(logits, y)
    n = x.shape[0]
    e = jax.nn.softmax(logits) - jax.nn.one_hot(y, logits.shape[-1], dtype=logits.dtype)
    grads = []
    for i, (h, a) in enumerate(cache):
        if i == len(cache) - 1:
            delta = e
        else:
            delta = project(i, e) / jnp.sqrt(jnp.asarray(a.shape[-1], F32)) * (a > 0)
        grads.append((delta.T @ h / n, delta.sum(0) / n))
    return loss, grads


def ideal_projection(feedback):
    return lambda i, e: e @ feedback[i].T


def reference_noise_projection(feedback, key, *, sigma: float = 0.618, mu: float = 0.03):
    """B e + max|e| N(mu, sigma): the reference code's Gaussian noise on each MAC of B e."""
    keys = jax.random.split(key, len(feedback))

    def project(i, e):
        clean = e @ feedback[i].T
        return clean + jnp.max(jnp.abs(e)) * (mu + sigma * jax.random.normal(keys[i], clean.shape, clean.dtype))

    return project
