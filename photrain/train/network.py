"""Multilayer perceptrons in JAX (float32)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

F32 = jnp.float32


def init_mlp(key, sizes: list[int]):
    """[(W, b)] for layer sizes, W of shape (out, in), PyTorch ``nn.Linear`` init U(+-1/sqrt(fan_in))."""
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"layer sizes must be >= 1 and at least input and output; got {sizes}")
    params = []
    for k, (n_in, n_out) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:], strict=True),
                                strict=True):
        kw, kb = jax.random.split(k)
        bound = 1.0 / jnp.sqrt(n_in)
        params.append((jax.random.uniform(kw, (n_out, n_in), F32, -bound, bound),
                       jax.random.uniform(kb, (n_out,), F32, -bound, bound)))
    return params


def forward(params, x, matmul=None):
    """Logits and per-layer (input, pre-activation) for ReLU hidden layers.

    ``matmul(layer, h, W)`` replaces ``h @ W.T`` (e.g. to run it on a core).
    """
    h = x
    cache = []
    for i, (w, b) in enumerate(params):
        a = (h @ w.T if matmul is None else matmul(i, h, w)) + b
        cache.append((h, a))
        h = jax.nn.relu(a) if i < len(params) - 1 else a
    return h, cache


def cross_entropy(logits, y):
    """Mean softmax cross-entropy for integer labels."""
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))


def accuracy(params, x, y, batch: int = 2000) -> float:
    """Classification accuracy (fraction) of the digital network."""
    correct = 0
    for i in range(0, len(x), batch):
        logits, _ = _logits(params, jnp.asarray(x[i : i + batch]))
        correct += int(jnp.sum(jnp.argmax(logits, -1) == jnp.asarray(y[i : i + batch])))
    return correct / len(x)


@jax.jit
def _logits(params, x):
    return forward(params, x)
