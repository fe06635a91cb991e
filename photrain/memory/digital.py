"""Digital weight memories: ideal float32 and signed fixed point (SRAM registers of the controller)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from photrain.memory.base import Counts, require, stochastic_round, zero_counts


class DigitalState(NamedTuple):
    w: jax.Array
    counts: Counts


@dataclass(frozen=True)
class FloatMemory:
    """Ideal float32 memory: stores exactly what it is given (w + dw in float32 arithmetic)."""

    name: ClassVar[str] = "float"
    bits: ClassVar[None] = None
    w_max: ClassVar[float] = float("inf")

    @property
    def nominal_step(self) -> float:
        return 0.0

    @property
    def write_granularity(self) -> float:
        """0: a float register stores any change (no granularity to accumulate towards)."""
        return 0.0

    def init(self, w, key=None) -> DigitalState:
        return DigitalState(jnp.asarray(w), zero_counts())

    def read(self, state, key=None):
        return state.w

    def update(self, state, dw, key=None) -> DigitalState:
        return state._replace(w=self._store(state.w + dw, key))

    def _store(self, w, key):
        return w

    def maintain(self, state, images, key=None):
        return state

    def elapse(self, state, seconds):
        return state

    def conductances(self, state):
        return None


@dataclass(frozen=True)
class FixedPointMemory(FloatMemory):
    """Signed fixed point: ``bits`` per weight over [-w_max, w_max].

    Step = 2 w_max / (2^bits - 1); values clip at +-w_max. Rounding is
    'nearest' (deterministic) or 'stochastic' (round up with probability equal
    to the fractional part, unbiased: E[stored] = w; Gupta et al., ICML 2015).
    """

    name: ClassVar[str] = "fixed"
    bits: int = 8
    w_max: float = 1.0
    rounding: str = "nearest"

    def __post_init__(self):
        require(1 <= self.bits <= 32, "fixed", f"bits must be in [1, 32]; got {self.bits}")
        require(self.w_max > 0, "fixed", f"w_max must be > 0; got {self.w_max}")
        require(self.rounding in ("nearest", "stochastic"), "fixed",
                f"rounding must be 'nearest' or 'stochastic'; got {self.rounding!r}")

    @property
    def step(self) -> float:
        return 2 * self.w_max / (2**self.bits - 1)

    @property
    def nominal_step(self) -> float:
        return self.step

    @property
    def write_granularity(self) -> float:
        """One code step, 2 w_max / (2^bits - 1) (weight units): the grid every stored value is on."""
        return self.step

    def init(self, w, key=None) -> DigitalState:
        return DigitalState(self._store(jnp.asarray(w), key), zero_counts())

    def _store(self, w, key):
        x = (jnp.clip(w, -self.w_max, self.w_max) + self.w_max) / self.step
        if self.rounding == "stochastic":
            if key is None:
                raise ValueError("fixed: stochastic rounding needs a jax.random key")
            x = stochastic_round(x, key)
        else:
            x = jnp.round(x)
        return (x * self.step - self.w_max).astype(w.dtype)
