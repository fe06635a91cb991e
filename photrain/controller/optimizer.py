"""The digital controller's optimiser: SGD with momentum, in float32 registers.

It turns gradients into requested weight changes; the controller writes those
into the weight memory (:meth:`photrain.controller.Controller.apply`).
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp


@dataclass(frozen=True)
class SGD:
    """SGD with momentum, PyTorch convention: v <- mu v + g; delta = -lr v (then w <- w + delta)."""

    lr: float = 0.01
    momentum: float = 0.9

    def __post_init__(self):
        if not self.lr > 0:
            raise ValueError(f"learning rate must be > 0; got {self.lr}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {self.momentum}")

    def init(self, params):
        return jax.tree_util.tree_map(jnp.zeros_like, params)

    def step(self, velocity, grads):
        """(new velocity, requested changes -lr v); jittable, same pytree structure as ``grads``."""
        velocity = jax.tree_util.tree_map(lambda v, g: self.momentum * v + g, velocity, grads)
        return velocity, jax.tree_util.tree_map(lambda v: -(self.lr * v), velocity)
