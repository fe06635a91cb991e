"""Simulated weight memory: what the digital controller writes and the cores are programmed from.

A memory is any object with ``write(w, key) -> stored`` (pure, jittable) and
``bits`` (bits per weight, or None for float32). Analog memories (PCM,
capacitors, memristors) plug in by implementing the same two members.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import jax
import jax.numpy as jnp


class WeightMemory(Protocol):
    bits: int | None

    def write(self, w: jax.Array, key: jax.Array | None) -> jax.Array: ...


@dataclass(frozen=True)
class FloatMemory:
    """Ideal float32 memory."""

    bits: int | None = None

    def write(self, w, key=None):
        return w


@dataclass(frozen=True)
class FixedPointMemory:
    """Signed fixed-point memory: ``bits`` per weight over [-w_max, w_max].

    Step = 2 w_max / (2^bits - 1); values clip at +-w_max. Rounding is
    'nearest' (deterministic) or 'stochastic' (round up with probability equal
    to the fractional part, unbiased: E[stored] = w; Gupta et al., ICML 2015).
    """

    bits: int = 8
    w_max: float = 1.0
    rounding: str = "nearest"

    def __post_init__(self):
        if not 1 <= self.bits <= 32:
            raise ValueError(f"memory bits must be in [1, 32]; got {self.bits}")
        if not self.w_max > 0:
            raise ValueError(f"memory w_max must be > 0; got {self.w_max}")
        if self.rounding not in ("nearest", "stochastic"):
            raise ValueError(f"rounding must be 'nearest' or 'stochastic'; got {self.rounding!r}")

    @property
    def step(self) -> float:
        return 2 * self.w_max / (2**self.bits - 1)

    def write(self, w, key=None):
        x = (jnp.clip(w, -self.w_max, self.w_max) + self.w_max) / self.step
        if self.rounding == "stochastic":
            if key is None:
                raise ValueError("stochastic rounding needs a jax.random key")
            x = jnp.floor(x + jax.random.uniform(key, x.shape, dtype=x.dtype))
        else:
            x = jnp.round(x)
        return (x * self.step - self.w_max).astype(w.dtype)


def make_memory(bits: int | None, w_max: float = 1.0, rounding: str = "nearest") -> WeightMemory:
    """FloatMemory when ``bits`` is None, else FixedPointMemory."""
    return FloatMemory() if bits is None else FixedPointMemory(bits=bits, w_max=w_max, rounding=rounding)
