"""The digital controller's update step: SGD with momentum, written through weight memory."""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp

from photrain.controller.memory import FloatMemory, WeightMemory


@dataclass(frozen=True)
class SGD:
    """SGD with momentum (PyTorch convention: v <- mu v + g; w <- w - lr v), weights stored in ``memory``.

    Biases stay in float registers; weight matrices go through the memory's write.
    """

    lr: float = 0.01
    momentum: float = 0.9
    memory: WeightMemory = field(default_factory=FloatMemory)

    def __post_init__(self):
        if not self.lr > 0:
            raise ValueError(f"learning rate must be > 0; got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum}")

    def init(self, params):
        return jax.tree_util.tree_map(jnp.zeros_like, params)

    def update(self, params, velocity, grads, key):
        """Return (new params, new velocity); jittable."""
        velocity = jax.tree_util.tree_map(lambda v, g: self.momentum * v + g, velocity, grads)
        new = []
        keys = jax.random.split(key, len(params))
        for (w, b), (vw, vb), k in zip(params, velocity, keys, strict=True):
            new.append((self.memory.write(w - self.lr * vw, k), b - self.lr * vb))
        return new, velocity
