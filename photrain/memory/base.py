"""What every weight memory shares: the protocol, the per-step counters and elementwise helpers.

A weight memory is a frozen dataclass of *parameters* (hashable, static under
``jax.jit``) whose *state* is a NamedTuple pytree of arrays, elementwise over
the weight array, with a ``counts`` field of :class:`Counts`. Methods are pure:

    init(w, key) -> state               program weights w (sample device-to-device spread)
    read(state, key=None) -> w          weights; read noise when a key is given
    update(state, dw, key) -> state     a requested change dw (weight units) written as device pulses
    maintain(state, images, key) -> state   after every optimiser step (transfers, refreshes, leakage)
    elapse(state, seconds) -> state     wall time passes (drift, leakage)
    conductances(state)                 (g_pos, g_neg, weight_per_siemens) or None for digital memories

and two step sizes, in weight units: ``nominal_step`` (one programming pulse, or pulse pair, at
the device's reference point) and ``write_granularity`` (the smallest change one write makes
reliably: a level of a device with discrete levels, a pulse otherwise; 0 for float). The
controller's mixed-precision update (``pulse_mode='accumulate'``) writes in granules of
``write_granularity`` and keeps the rest in a digital accumulator.

The controller (``photrain.controller``) is the only caller. It emits
``state.counts`` after every step and resets them, so the int32 counters never
overflow; the ledger accumulates them as Python integers.
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar, NamedTuple, Protocol

import jax
import jax.numpy as jnp

from photrain.counter_hash import FMIX32, WEYL, box_muller, counter_hash


class Counts(NamedTuple):
    """Device events since the controller last reset them (int32 scalars).

    pulses: programming pulses applied (SET, RESET, capacitor charge/discharge), all devices.
    transfers: weights moved from a volatile to a non-volatile store (3T1C -> PCM).
    refreshes: devices RESET and re-programmed because they saturated.
    """

    pulses: jax.Array
    transfers: jax.Array
    refreshes: jax.Array


def zero_counts() -> Counts:
    """Three separate zero counters (separate buffers, so a state can be donated to ``jax.jit``)."""
    return Counts(*(jnp.zeros((), jnp.int32) for _ in range(3)))


def add_counts(counts: Counts, *, pulses=0, transfers=0, refreshes=0) -> Counts:
    """Counts plus the given events (scalars or arrays, summed)."""
    return Counts(counts.pulses + jnp.sum(pulses).astype(jnp.int32),
                  counts.transfers + jnp.sum(transfers).astype(jnp.int32),
                  counts.refreshes + jnp.sum(refreshes).astype(jnp.int32))


class WeightMemory(Protocol):
    """The interface the controller uses (module docstring)."""

    name: ClassVar[str]
    w_max: float
    nominal_step: float  # weight change of one programming pulse (pair) at the device's reference point
    write_granularity: float  # smallest weight change one write makes reliably (weight units; 0 = any change)

    def init(self, w: jax.Array, key: jax.Array | None) -> Any: ...
    def read(self, state: Any, key: jax.Array | None = None) -> jax.Array: ...
    def update(self, state: Any, dw: jax.Array, key: jax.Array | None) -> Any: ...
    def maintain(self, state: Any, images, key: jax.Array | None) -> Any: ...
    def elapse(self, state: Any, seconds) -> Any: ...
    def conductances(self, state: Any): ...


def stochastic_round(x: jax.Array, key: jax.Array) -> jax.Array:
    """floor(x + U[0, 1)): unbiased integer rounding, E[result] = x (Gupta et al., ICML 2015)."""
    return jnp.floor(x + jax.random.uniform(key, x.shape, x.dtype))


def soft_bound_pulses(g, n, *, alpha, bound, sigma=0.0, key=None):
    """Conductance after ``n`` identical soft-bound pulses towards ``bound`` (vectorised, no loop over pulses).

    One pulse moves g a fraction alpha of its distance to the bound, with
    multiplicative cycle-to-cycle noise on the step (xi ~ N(0, 1) per pulse):
    g <- g + alpha (1 + sigma xi) (bound - g). SET uses bound = g_max
    (dG = alpha (g_max - g)), RESET bound = g_min (dG = -alpha (g - g_min)):
    the soft-bounds model of Fusi & Abbott, Nat. Neurosci. 10, 485 (2007) and
    aihwkit's ``SoftBoundsDevice`` (Gokmen & Vlasov, Front. Neurosci. 10, 333 (2016)).

    The distance d = bound - g is a product of independent factors,
    d_n = d_0 prod_k (1 - alpha - alpha sigma xi_k), so exactly
    E[d_n] = d_0 (1 - alpha)^n and
    Var[d_n] = d_0^2 [((1 - alpha)^2 + alpha^2 sigma^2)^n - (1 - alpha)^(2n)].
    With a key the result is one Gaussian draw per device with that mean and
    variance (the factor is clipped at 0: noise never carries g past the bound).
    ``n`` is an array of non-negative pulse counts (float or int); ``alpha``,
    ``bound`` broadcast against ``g``.
    """
    log_keep, log_second = soft_bound_log_factors(alpha, sigma)
    xi = None if key is None or sigma == 0 else jax.random.normal(key, jnp.shape(g), jnp.result_type(g))
    return soft_bound_pulses_from_logs(g, n, log_keep=log_keep, log_second=log_second, bound=bound, xi=xi)


def soft_bound_log_factors(alpha, sigma=0.0):
    """(log E[f], log E[f^2]) of one soft-bound pulse's distance factor f = 1 - alpha (1 + sigma xi).

    log E[f] = log(1 - alpha), log E[f^2] = log((1 - alpha)^2 + (alpha sigma)^2). Devices whose
    alpha is a per-device array can compute these once (in ``init``) and call
    :func:`soft_bound_pulses_from_logs` every update: n pulses then cost two exp instead of two pow.
    """
    return jnp.log1p(-alpha), jnp.log((1.0 - alpha) ** 2 + (alpha * sigma) ** 2)


def soft_bound_pulses_from_logs(g, n, *, log_keep, log_second, bound, xi=None):
    """:func:`soft_bound_pulses` from precomputed :func:`soft_bound_log_factors`, with caller-drawn noise.

    ``xi``: zero-mean, unit-variance noise per device (None: the mean, no noise), e.g. from
    :func:`uniform_pair`. Same closed form: E[d_n] = d_0 exp(n log_keep),
    Var[d_n] = d_0^2 (exp(n log_second) - exp(2 n log_keep)).
    """
    n = jnp.asarray(n, jnp.result_type(g))
    keep = jnp.exp(n * log_keep)
    if xi is None:
        return bound - (bound - g) * keep
    var = jnp.exp(n * log_second) - keep**2
    factor = keep + jnp.sqrt(jnp.maximum(var, 0.0)) * xi
    return bound - (bound - g) * jnp.maximum(factor, 0.0)


def hash_bits(key, shape):
    """One uint32 random word per element from a counter-based hash seeded by ``key``.

    word(i) = fmix32(fmix32(i * 0x9E3779B9 + s1) ^ s2), with (s1, s2) two threefry words drawn
    from ``key``: :func:`photrain.counter_hash.counter_hash` with MurmurHash3's finaliser
    (:data:`~photrain.counter_hash.FMIX32`, the memories' stream since they were written, kept so that
    their draws keep their bits). Deterministic for a key, and about 25x cheaper than ``jax.random.bits``
    on CPU for a 784 x 800 array (0.4 ms vs 11 ms per draw inside a jitted scan on the shared 2-core
    machine, /tmp timing, 2026-11-21), which matters for per-step elementwise device updates.
    Quality: each word is an avalanche hash of a distinct counter (uniform marginals, no
    visible correlation between neighbours); use ``jax.random`` where cost does not matter.
    """
    return hash_bits_at(key, jax.lax.iota(jnp.uint32, math.prod(shape)).reshape(shape))


def hash_bits_at(key, idx):
    """:func:`hash_bits` at flat element indices ``idx`` (uint32, any shape) of a larger draw: the words that
    ``hash_bits(key, shape).reshape(-1)[idx]`` holds, without drawing the rest (a sparse write's devices)."""
    seeds = jax.random.bits(key, (2,), jnp.uint32)
    return counter_hash(idx, seeds, FMIX32, stride=WEYL)


def _two_uniforms(bits):
    """The two U(0, 1) variates of one 32-bit word: its high and low 16 bits, centred on the 2^-16 grid."""
    scale = jnp.float32(1.0 / 65536)
    return ((bits >> 16).astype(jnp.float32) + 0.5) * scale, ((bits & 0xFFFF).astype(jnp.float32) + 0.5) * scale


def uniform_pair_at(key, idx):
    """:func:`uniform_pair` at flat element indices ``idx`` (as :func:`hash_bits_at`)."""
    return _two_uniforms(hash_bits_at(key, idx))


def uniform_pair(key, shape):
    """Two independent U(0, 1) arrays from ONE 32-bit random word per element (16 bits each).

    The word comes from :func:`hash_bits` (cheap). For elementwise updates that need a
    stochastic-rounding uniform and a noise variate per device (the 2^-16 grid is far finer
    than any pulse count needs). :func:`uniform_noise` turns one into unit-variance noise.
    """
    return _two_uniforms(hash_bits(key, shape))


def normal_pair(key, shape):
    """Two independent standard normal arrays from ONE hashed 32-bit word per element (Box-Muller).

    z1 = r cos(2 pi v), z2 = r sin(2 pi v), r = sqrt(-2 ln u), with u, v the two 16-bit uniforms of
    :func:`uniform_pair` (tails cut at |z| <= 4.8: u >= 2^-17). Gaussian read and programming noise
    at a fraction of ``jax.random.normal``'s cost on CPU.
    """
    return box_muller(*uniform_pair(key, shape))


def normal_pair_at(key, idx):
    """:func:`normal_pair` at flat element indices ``idx`` (as :func:`hash_bits_at`): the same draws."""
    return box_muller(*uniform_pair_at(key, idx))


def uniform_noise(u):
    """Zero-mean, unit-variance noise sqrt(3) (2u - 1) from u ~ U(0, 1): a cheap stand-in for a Gaussian."""
    return jnp.float32(math.sqrt(3.0)) * (2.0 * u - 1.0)


@functools.partial(jax.jit, static_argnums=0)
def program_compiled(memory, w, key):
    """``memory._program(w, key)`` (a memory's ``init`` arrays) as one compiled program per memory and shape
    (``memory``: a frozen, hashable dataclass, static). Called eagerly, its few dozen operations would each compile
    on their own for every new shape (~17 ms each on a CPU; issue 23); the same operations."""
    return memory._program(w, key)


def run_if(pred, fn, operand):
    """``fn(operand)`` if the traced boolean ``pred`` holds, else ``operand``: ``lax.cond(pred, fn, identity)``
    without its copies. XLA on CPU copies every array a conditional passes through unchanged (a PCM+3T1C
    maintenance that is not due: ~0.2 ms per 256 x 784 layer and step, issue 27); a while loop of zero or one
    trip updates its carry in place."""
    return jax.lax.while_loop(lambda c: c[0], lambda c: (jnp.zeros((), bool), fn(c[1])),
                              (jnp.asarray(pred, bool), operand))[1]


def reset_counts(state):
    """The state with its counters zeroed (the controller calls this after reading them)."""
    return state._replace(counts=zero_counts())


def require(condition: bool, device: str, message: str) -> None:
    """Raise ``ValueError('<device>: <message>')`` when a parameter check fails."""
    if not condition:
        raise ValueError(f"{device}: {message}")
