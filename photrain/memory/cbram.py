"""CBRAM synapse: a few-level (or binary) device with stochastic switching, after Shi, Kuzum et al.

Shi, Nguyen, Oh, Liu, Koushan, Jameson & Kuzum, "Neuroinspired unsupervised
learning and pruning with subquantum CBRAM arrays", Nat. Commun. 9, 5312 (2018):
Cu-based conductive-bridging cells run in the *subquantum* regime (conductance
below the conductance quantum G0 = 2 e^2 / h = 77.5 µS, for low write energy),
an STDP network of 397 inputs (cropped MNIST, plus a bias) and 500 outputs with
weights in [-1, 1], pruning during training, and a 512 kbit CBRAM array holding
the weights digitally.

Model. Each weight is one device at one of ``n_levels`` nominal conductances
evenly spaced over [g_min, g_max], read against a fixed reference conductance
g_ref = (g_min + g_max) / 2 (the differential pair the crossbar sees is
(g, g_ref)): w = w_per_siemens (g - g_ref), w_per_siemens = 2 w_max / (g_max - g_min),
so the levels sit at w = -w_max + 2 w_max j / (n_levels - 1).

Update (``update(state, dw, key)``): a request dw becomes
m = min(stochastic_round(|dw| / level_step), max_levels_per_update) pulses in
the direction of sign(dw) (level_step = 2 w_max / (n_levels - 1) in weight
units); with the default ``max_levels_per_update = 1`` a device moves one
level up or down with probability min(|dw| / level_step, 1): stochastic
rounding, E[level change] = dw / level_step while |dw| <= level_step. Each pulse
switches the device with probability ``p_switch`` (the device's intrinsic
switching probability; 1 = always). Every switch lands on the new level with
cycle-to-cycle variation: g = g_level + c2c (level spacing) xi, clipped to
[g_min, g_max] (xi: zero-mean, unit-variance; Gaussian in ``init``, a cheap
uniform variate from :func:`photrain.memory.base.uniform_pair` in ``update``). Pulses are
counted only where a device can move (not at the end level it is pushed into,
not frozen). Without a key the update is deterministic (nearest rounding, no
variation, p_switch treated as 1).

Freezing (pruning). The state has a boolean ``frozen`` array: frozen devices
never change (no pulse, no switch, no variation). Set it with
``memory.freeze(state, mask)`` (ORs ``mask`` in; ``memory.unfreeze`` clears).
Read levels with ``memory.levels(state)`` (int32 level indices, 0 ..
n_levels - 1) and their nominal weights with ``memory.level_weights``
(a float32 array of n_levels values from -w_max to w_max).

Parameters (:data:`SOURCES`):

=======================  ========  ==================================================================
parameter                default   source / assumption
=======================  ========  ==================================================================
n_levels                 4         assumed from Shi et al.'s array: 398 x 500 weights in 512 kbit
                                   leave room for 2 bits (4 levels) per weight, not 3
g_min                    2 µS      assumed, subquantum regime (< G0)
g_max                    40 µS     assumed, subquantum regime (< G0 = 77.5 µS)
w_max                    1.0       Shi et al., Fig. 3c: weights kept in [-1, 1]
p_switch                 1.0       assumed: a programming pulse always switches
c2c                      0.1       assumed: std of the reached conductance, in level spacings
read_noise               0.01      assumed: 1 % relative conductance fluctuation per read
max_levels_per_update    1         one pulse per update (stochastic binary STDP)
=======================  ========  ==================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from photrain.constants import Q_E, H
from photrain.memory.base import Counts, add_counts, require, uniform_noise, uniform_pair, zero_counts

G0 = 2 * Q_E**2 / H  #: conductance quantum 2 e^2 / h (S), 77.5 µS

#: parameter -> (default, source). Every default number of :class:`CBRAMMemory` is here.
SOURCES: dict[str, tuple[float | int, str]] = {
    "n_levels": (4,
                 "assumed: Shi et al., Nat. Commun. 9, 5312 (2018) store a 397-input (+ bias) x 500-output network "
                 "in a 512 kbit CBRAM array: 398 x 500 x 2 = 398,000 <= 524,288 bits < 398 x 500 x 3, so at most "
                 "2 bits (4 levels) per weight; their exact encoding was not available to us"),
    "g_min": (2e-6, "assumed: 2 µS, a high-resistance state well inside the subquantum regime"),
    "g_max": (40e-6,
              "assumed: 40 µS, about G0 / 2; 'subquantum' means the filament conducts below G0 = 2 e^2/h = 77.5 µS "
              "(Shi et al. 2018)"),
    "w_max": (1.0, "Shi et al. 2018, Fig. 3c: the STDP update keeps weights within [-1, 1]"),
    "p_switch": (1.0, "assumed: every programming pulse switches the device (lower it to model failed switching)"),
    "c2c": (0.1, "assumed: cycle-to-cycle std of the reached conductance, 0.1 level spacings"),
    "read_noise": (0.01, "assumed: 1 % relative conductance fluctuation per read"),
    "max_levels_per_update": (1, "one pulse (at most one level) per update: stochastic binary switching"),
}


class CBRAMState(NamedTuple):
    """Per-device arrays of the weight's shape."""

    level: jax.Array  # int32 level index, 0 .. n_levels - 1
    g: jax.Array  # reached conductance (S), the level's nominal value plus cycle-to-cycle variation
    frozen: jax.Array  # bool: pruned devices never change
    counts: Counts


def _d(name):
    return SOURCES[name][0]


@dataclass(frozen=True)
class CBRAMMemory:
    """Few-level stochastic CBRAM synapses read against a reference conductance (module docstring)."""

    name: ClassVar[str] = "cbram"
    n_levels: int = _d("n_levels")
    g_min: float = _d("g_min")
    g_max: float = _d("g_max")
    w_max: float = _d("w_max")
    p_switch: float = _d("p_switch")
    c2c: float = _d("c2c")
    read_noise: float = _d("read_noise")
    max_levels_per_update: int = _d("max_levels_per_update")

    def __post_init__(self):
        c = "cbram"
        require(int(self.n_levels) == self.n_levels and self.n_levels >= 2, c,
                f"n_levels must be an integer >= 2 (2 = binary); got {self.n_levels}")
        require(self.g_min >= 0, c, f"g_min ({self.g_min} S) must be >= 0")
        require(self.g_min < self.g_max, c, f"g_min ({self.g_min} S) must be < g_max ({self.g_max} S)")
        require(self.w_max > 0, c, f"w_max must be > 0; got {self.w_max}")
        require(0 < self.p_switch <= 1, c, f"p_switch is a probability in (0, 1]; got {self.p_switch}")
        for p in ("c2c", "read_noise"):
            require(getattr(self, p) >= 0, c, f"{p} must be >= 0; got {getattr(self, p)}")
        require(int(self.max_levels_per_update) == self.max_levels_per_update and self.max_levels_per_update >= 1,
                c, f"max_levels_per_update must be an integer >= 1; got {self.max_levels_per_update}")

    # ------------------------------------------------------------------ derived

    @property
    def spacing(self) -> float:
        """Conductance between neighbouring levels (S)."""
        return (self.g_max - self.g_min) / (self.n_levels - 1)

    @property
    def g_ref(self) -> float:
        """Reference conductance (S) the device is read against: the middle of the window (w = 0)."""
        return 0.5 * (self.g_min + self.g_max)

    @property
    def w_per_siemens(self) -> float:
        return 2 * self.w_max / (self.g_max - self.g_min)

    @property
    def level_step(self) -> float:
        """Weight change of one level: 2 w_max / (n_levels - 1)."""
        return 2 * self.w_max / (self.n_levels - 1)

    @property
    def nominal_step(self) -> float:
        return self.level_step

    @property
    def write_granularity(self) -> float:
        """One level, :attr:`level_step` (weight units)."""
        return self.level_step

    @property
    def level_weights(self):
        """Nominal weight of each level, float32 (n_levels,), from -w_max to w_max."""
        return jnp.linspace(-self.w_max, self.w_max, self.n_levels, dtype=jnp.float32)

    # ------------------------------------------------------------------ protocol

    def init(self, w, key=None) -> CBRAMState:
        """Program each device to the level nearest w (clipped to [-w_max, w_max]); with a key, the reached
        conductance carries cycle-to-cycle variation. No device starts frozen."""
        w = jnp.asarray(w, jnp.float32)
        level = jnp.round((jnp.clip(w, -self.w_max, self.w_max) + self.w_max) / self.level_step).astype(jnp.int32)
        xi = None if key is None or self.c2c == 0 else jax.random.normal(key, w.shape, w.dtype)
        return CBRAMState(level, self._reach(level, xi, w.dtype), jnp.zeros(w.shape, bool), zero_counts())

    def read(self, state: CBRAMState, key=None):
        """Weights w_per_siemens (g - g_ref); with a key, g read with relative noise ``read_noise``."""
        g = state.g
        if key is not None and self.read_noise > 0:
            g = g * (1 + self.read_noise * jax.random.normal(key, g.shape, g.dtype))
        return self.w_per_siemens * (g - self.g_ref)

    def update(self, state: CBRAMState, dw, key=None) -> CBRAMState:
        """Stochastic level switching (module docstring); frozen devices never change."""
        dw = jnp.asarray(dw, state.g.dtype)
        x = jnp.abs(dw) * (1.0 / self.level_step)
        if key is None:
            n, xi = jnp.round(x), None
        else:
            k_u, k_sw = jax.random.split(key)
            u_n, u_c2c = uniform_pair(k_u, dw.shape)  # cheap 16-bit uniforms (photrain.memory.base)
            n = jnp.floor(x + u_n)  # stochastic rounding: E[n] = |dw| / level_step
            xi = uniform_noise(u_c2c) if self.c2c > 0 else None
        n = jnp.minimum(n, self.max_levels_per_update).astype(jnp.int32)
        direction = jnp.sign(dw).astype(jnp.int32)
        room = jnp.where(direction > 0, self.n_levels - 1 - state.level, state.level)
        pulses = jnp.where(state.frozen, 0, jnp.minimum(n, room))  # no pulse into an end level or a frozen device
        if key is not None and self.p_switch < 1:
            if self.max_levels_per_update == 1:
                u_sw, _ = uniform_pair(k_sw, dw.shape)
                moved = pulses * (u_sw < self.p_switch).astype(jnp.int32)
            else:
                moved = jax.random.binomial(k_sw, pulses.astype(jnp.float32), self.p_switch).astype(jnp.int32)
        else:
            moved = pulses
        level = state.level + direction * moved
        g = jnp.where(moved > 0, self._reach(level, xi, state.g.dtype), state.g)
        return state._replace(level=level, g=g, counts=add_counts(state.counts, pulses=pulses))

    def maintain(self, state, images, key=None):
        return state

    def elapse(self, state, seconds):
        return state

    def conductances(self, state: CBRAMState):
        """(g, g_ref, w_per_siemens): the device and its reference conductance as a differential pair."""
        return state.g, jnp.full_like(state.g, self.g_ref), self.w_per_siemens

    # ------------------------------------------------------------------ levels and pruning

    def levels(self, state: CBRAMState):
        """Level index of each device (int32, 0 .. n_levels - 1)."""
        return state.level

    def freeze(self, state: CBRAMState, mask) -> CBRAMState:
        """State with the devices where ``mask`` is True frozen (pruned) as well as those frozen already."""
        return state._replace(frozen=state.frozen | jnp.asarray(mask, bool))

    def unfreeze(self, state: CBRAMState) -> CBRAMState:
        return state._replace(frozen=jnp.zeros_like(state.frozen))

    def _reach(self, level, xi, dtype):
        """Conductance reached on ``level``, with cycle-to-cycle variation c2c * spacing * xi (xi: unit variance)."""
        g = self.g_min + level.astype(dtype) * self.spacing
        if xi is not None:
            g = g + self.c2c * self.spacing * xi
        return jnp.clip(g, self.g_min, self.g_max)  # the window bounds the filament: w stays in [-w_max, w_max]
