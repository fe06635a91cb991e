"""PCM pair + 3T1C capacitor per weight: Ambrogio et al., Nature 558, 60 (2018).

Each weight has a most-significant pair (MSP), two PCM devices G+ and G-
(:mod:`photrain.memory.pcm`: SET-only, drift, refresh), and a least-significant
part (LSP), a 3-transistor-1-capacitor cell whose read transistor has a conductance g
set by the capacitor voltage, read against a shared reference g_ref::

    W = k [F (G+ - G-) + p (g - g_ref)],    k = w_max / (F (g_max - g_min))

F the gain between MSP and LSP (Ambrogio et al. use F = 3 for their MNIST runs, the
value adopted here), p = +-1 the polarity bit of the array.

* Training updates go to the capacitor only: near-linear charge (PMOS) / discharge (NMOS)
  steps of cap_step = cap_g_max / cap_levels, scaled per device by an up factor and a
  down factor (threshold-voltage spread of the two transistors): up_i = s_i (1 + a_i),
  down_i = s_i (1 - a_i), s_i = 1 + cap_step_spread xi, a_i = cap_asymmetry_spread xi'.
  A requested dw becomes n = stochastic_round(|dw| / nominal_step) events, up when
  p dw > 0; n events move g by step_i (n + cap_c2c sqrt(n) xi) (independent
  cycle-to-cycle noise per event, summed). g is clipped to the rails [0, cap_g_max].
* The capacitor leaks: g(t) = g(0) exp(-t / leak_tau) (RC discharge towards 0 V, the read
  conductance taken linear in the voltage). ``maintain`` applies it for
  images x seconds_per_image seconds, ``elapse`` for wall time.
* Every ``transfer_interval`` images ``maintain`` transfers: the controller reads
  W_LSP = p (g - g_ref) / F (in MSP siemens), RESETs pairs that are saturated
  (refresh, as :class:`~photrain.memory.pcm.PCMMemory`), tunes G+ - G- to
  (G+ - G-) + W_LSP by closed-loop SET pulses (:func:`~photrain.memory.pcm.tune_pair`,
  fixed iteration budget, within ``tune_tolerance``), resets g to g_ref plus the tuning
  residual (what the pair could not take stays on the capacitor) and, with
  ``polarity_inversion``, flips p. With p flipped, the same up/down asymmetry biases
  the next interval's weight updates the other way, so it cancels over two transfers
  (Ambrogio et al. 2018, 'polarity inversion').

The PCM parameters are those of :class:`~photrain.memory.pcm.PCMMemory` (its
``refresh_interval`` is not used here: refreshes happen at transfers).
PCM drift is not applied during training (training time images x seconds_per_image
stays below t0 for any realistic run); ``elapse`` drifts the PCM and leaks the capacitor.

Counts: ``pulses`` = capacitor charge/discharge events (one per weight for the reset of g
at a transfer) + PCM SET and RESET pulses; ``transfers`` = weights transferred;
``refreshes`` = PCM devices RESET at transfers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

from photrain.memory.base import Counts, add_counts, require, run_if, uniform_noise, uniform_pair, zero_counts
from photrain.memory.pcm import SOURCES as PCM_SOURCES
from photrain.memory.pcm import PCMMemory, tune_pair

#: parameter -> (default, unit, source) for the 3T1C part; the PCM part is :data:`photrain.memory.pcm.SOURCES`.
SOURCES: dict[str, tuple[float, str, str]] = {
    **PCM_SOURCES,
    "gain": (3.0, "1", "F, MSP/LSP gain: Ambrogio et al., Nature 558, 60 (2018) (F = 3 in their MNIST experiments, "
                       "as stated in the brief; the full text could not be consulted here)"),
    "transfer_interval": (8000, "images", "LSP -> MSP transfer every 8,000 training images: Ambrogio et al. 2018"),
    "polarity_inversion": (True, "-", "flip p at every transfer: Ambrogio et al. 2018"),
    "keep_residual": (True, "-", "photrain's choice: a transfer leaves the PCM tuning residual on the capacitor "
                                 "(written by its own closed loop, as at init) instead of resetting g to g_ref; "
                                 "False is the plain reset. MNIST 784-250-10, 5 epochs, backprop: 97.26 % with, "
                                 "95.36 % without (float 97.16 %), benchmarks/analog_memory.py"),
    "cap_g_max": (25e-6, "S", "assumed read-transistor conductance at the top rail, the PCM range so that MSP and LSP "
                              "currents share the columns; g_ref = cap_g_max / 2"),
    "cap_levels": (400, "1", "charge/discharge steps across the capacitor range: aihwkit CapacitorPresetDevice "
                             "dw_min = 0.005 of a [-1, 1] range (fit to Li et al., VLSI 2018)"),
    "cap_step_spread": (0.1, "1 (relative)", "device-to-device spread of the step: aihwkit CapacitorPresetDevice "
                                             "dw_min_dtod = 0.1"),
    "cap_asymmetry_spread": (0.06, "1 (relative)", "device-to-device up/down asymmetry (PMOS/NMOS threshold spread): "
                                                   "aihwkit CapacitorPresetDevice up_down_dtod = 0.06"),
    "cap_c2c": (0.3, "1 (relative)", "cycle-to-cycle std of one step: aihwkit CapacitorPresetDevice dw_min_std = 0.3"),
    "leak_tau": (1.0, "s", "assumed RC time constant of the capacitor (Ambrogio et al. need it long against the "
                           "transfer interval: 8,000 images x 1 us = 8 ms here); aihwkit CapacitorPresetDevice "
                           "lifetime = 1e6 mini-batches"),
    "seconds_per_image": (1e-6, "s", "assumed wall time per training image (sets the leakage between updates)"),
}


class PCM3T1CState(NamedTuple):
    """The PCM pair arrays (same names as :class:`~photrain.memory.pcm.PCMState`) plus the capacitor."""

    g_pos: jax.Array
    g_neg: jax.Array
    gmax_pos: jax.Array
    gmax_neg: jax.Array
    lk_pos: jax.Array
    lk_neg: jax.Array
    l2_pos: jax.Array
    l2_neg: jax.Array
    nu_pos: jax.Array
    nu_neg: jax.Array
    age_pos: jax.Array
    age_neg: jax.Array
    images: jax.Array  # int32 scalar: images since the last transfer
    counts: Counts
    g_cap: jax.Array  # S, read conductance of the 3T1C cell
    cap_up: jax.Array  # 1, per-device charge-step factor
    cap_down: jax.Array  # 1, per-device discharge-step factor
    polarity: jax.Array  # float32 scalar, +1 or -1


@dataclass(frozen=True)
class PCM3T1CMemory(PCMMemory):
    """Ambrogio et al. 2018 weight: F (G+ - G-) + p (g - g_ref) (module docstring; :data:`SOURCES`)."""

    name: ClassVar[str] = "pcm-3t1c"
    gain: float = 3.0
    transfer_interval: int = 8000
    polarity_inversion: bool = True
    keep_residual: bool = True
    cap_g_max: float = 25e-6
    cap_levels: int = 400
    cap_step_spread: float = 0.1
    cap_asymmetry_spread: float = 0.06
    cap_c2c: float = 0.3
    leak_tau: float = 1.0
    seconds_per_image: float = 1e-6

    def _validate(self):
        super()._validate()
        n = self.name
        require(self.gain > 0, n, f"gain (F) must be > 0; got {self.gain}")
        require(isinstance(self.transfer_interval, int) and self.transfer_interval >= 1, n,
                f"transfer_interval must be an integer >= 1 (images); got {self.transfer_interval!r}")
        require(isinstance(self.polarity_inversion, bool), n,
                f"polarity_inversion must be True or False; got {self.polarity_inversion!r}")
        require(isinstance(self.keep_residual, bool), n,
                f"keep_residual must be True or False; got {self.keep_residual!r}")
        require(self.cap_g_max > 0, n, f"cap_g_max must be > 0 S; got {self.cap_g_max}")
        require(isinstance(self.cap_levels, int) and self.cap_levels >= 2, n,
                f"cap_levels must be an integer >= 2; got {self.cap_levels!r}")
        for p in ("cap_step_spread", "cap_asymmetry_spread", "cap_c2c"):
            require(0 <= getattr(self, p) < 1, n, f"{p} must be in [0, 1); got {getattr(self, p)}")
        require(self.leak_tau > 0, n, f"leak_tau must be > 0 s (use a large value for no leakage); got {self.leak_tau}")

    # ---- mapping -------------------------------------------------------------------------------
    @property
    def weight_per_siemens(self) -> float:
        """k: weight per siemens of the LSP; the MSP counts F k per siemens."""
        return self.w_max / (self.gain * (self.g_max - self.g_min))

    @property
    def g_ref(self) -> float:
        return self.cap_g_max / 2

    @property
    def cap_step(self) -> float:
        return self.cap_g_max / self.cap_levels

    @property
    def nominal_step(self) -> float:
        """Weight change of one nominal capacitor charge/discharge event."""
        return self.cap_step * self.weight_per_siemens

    # ---- protocol ------------------------------------------------------------------------------
    def init(self, w, key=None) -> PCM3T1CState:
        """Program w into the PCM pair (closed-loop tuning) and the tuning residual into g; p = +1; spread from key.

        Initial programming is not counted (counts start at zero).
        """
        w = jnp.clip(jnp.asarray(w, jnp.float32), -self.w_max, self.w_max)
        k_pcm = k_cap = None
        if key is not None:
            k_pcm, k_cap = jax.random.split(key)
        pcm = PCMMemory.init(self._pcm_view(), w, k_pcm)
        if k_cap is None:
            up = down = jnp.ones(w.shape, jnp.float32)
        else:
            ks, ka = jax.random.split(k_cap)
            s = 1 + self.cap_step_spread * jax.random.normal(ks, w.shape, jnp.float32)
            a = self.cap_asymmetry_spread * jax.random.normal(ka, w.shape, jnp.float32)
            s = jnp.maximum(s, 0.1)
            up, down = s * jnp.maximum(1 + a, 0.1), s * jnp.maximum(1 - a, 0.1)
        state = PCM3T1CState(*pcm[:-1], zero_counts(), g_cap=jnp.full(w.shape, self.g_ref, jnp.float32), cap_up=up,
                             cap_down=down, polarity=jnp.ones((), jnp.float32))
        # the PCM tuning residual goes to the capacitor (set by its own closed loop, taken as exact)
        g = self.g_ref + (w - self.msp(state)) / self.weight_per_siemens
        return state._replace(g_cap=jnp.clip(g, 0.0, self.cap_g_max))

    def _pcm_view(self) -> PCMMemory:
        """The PCM pair alone, mapped so that its full range is w_max (used to program the MSP)."""
        return PCMMemory(**{f.name: getattr(self, f.name) for f in dataclasses.fields(PCMMemory)})

    def msp(self, state):
        """Weight held by the PCM pair: F k (G+ - G-)."""
        return self.gain * self.weight_per_siemens * (state.g_pos - state.g_neg)

    def lsp(self, state):
        """Weight held by the capacitor: k p (g - g_ref)."""
        return self.weight_per_siemens * state.polarity * (state.g_cap - self.g_ref)

    def read(self, state, key=None):
        """W = k [F (G+ - G-) + p (g - g_ref)]; PCM read noise with a key (the capacitor read taken as exact)."""
        msp = PCMMemory.read(self._pcm_view(), state, key)
        return msp + self.lsp(state)

    def update(self, state, dw, key=None) -> PCM3T1CState:
        """n = stochastic_round(|dw| / nominal_step) charge (p dw > 0) or discharge events on the capacitor."""
        dw = jnp.asarray(dw, state.g_cap.dtype)
        x = jnp.abs(dw) / self.nominal_step
        if key is None:
            n, noise = jnp.round(x), 0.0
        else:
            u_round, u_noise = uniform_pair(key, dw.shape)
            n = jnp.floor(x + u_round)
            noise = self.cap_c2c * jnp.sqrt(n) * uniform_noise(u_noise) if self.cap_c2c > 0 else 0.0
        up = state.polarity * dw > 0
        step = self.cap_step * jnp.where(up, state.cap_up, -state.cap_down)
        g = jnp.clip(state.g_cap + step * (n + noise), 0.0, self.cap_g_max)
        return state._replace(g_cap=g, counts=add_counts(state.counts, pulses=n))

    def leak(self, state, seconds):
        """RC discharge of every capacitor for ``seconds``: g <- g exp(-seconds / leak_tau)."""
        return state._replace(g_cap=state.g_cap * jnp.exp(-jnp.asarray(seconds, jnp.float32) / self.leak_tau))

    def transfer(self, state, key=None) -> PCM3T1CState:
        """Move the LSP into the PCM pair (closed-loop tuning), reset g, flip p (if enabled).

        With ``keep_residual`` g is reset to g_ref plus the tuning residual (the part of the weight inside
        the pair's tuning tolerance, written by the capacitor's own closed loop, as at :meth:`init`): a
        transfer moves the weight, it does not round it to the PCM's precision. Without it, g = g_ref.

        Saturated pairs (past ``refresh_threshold``) are RESET first and tuned from g_min.
        """
        target = state.g_pos - state.g_neg + state.polarity * (state.g_cap - self.g_ref) / self.gain
        sat = self.saturated(state)
        g_pos = jnp.where(sat, self.g_min, state.g_pos)
        g_neg = jnp.where(sat, self.g_min, state.g_neg)
        g_pos, g_neg, n = tune_pair(g_pos, g_neg, target, self.pair_params(state), key, **self._tune_kw())
        n_reset = 2 * sat.astype(jnp.int32)
        size = math.prod(state.g_cap.shape)
        polarity = state.polarity * (-1.0 if self.polarity_inversion else 1.0)
        # keep_residual: what the pair could not take (inside the tuning tolerance) stays on the capacitor, under
        # the new polarity, k p' (g' - g_ref) = F k (target - (G+ - G-)); otherwise g is reset to g_ref
        residual = polarity * self.gain * (target - (g_pos - g_neg)) if self.keep_residual else 0.0
        g_cap = jnp.clip(self.g_ref + residual + jnp.zeros_like(state.g_cap), 0.0, self.cap_g_max)
        return state._replace(
            g_pos=g_pos, g_neg=g_neg,
            age_pos=jnp.where(g_pos != state.g_pos, 0.0, state.age_pos),
            age_neg=jnp.where(g_neg != state.g_neg, 0.0, state.age_neg),
            g_cap=g_cap, polarity=polarity,
            counts=add_counts(state.counts, pulses=jnp.sum(n) + jnp.sum(n_reset) + size, transfers=size,
                              refreshes=n_reset))

    def maintain(self, state, images, key=None) -> PCM3T1CState:
        """Leak for images x seconds_per_image; every ``transfer_interval`` images, :meth:`transfer` (only when due:
        :func:`~photrain.memory.base.run_if`)."""
        state = self.leak(state, jnp.asarray(images, jnp.float32) * self.seconds_per_image)
        count = state.images + jnp.asarray(images, jnp.int32)
        due = count >= self.transfer_interval
        state = state._replace(images=jnp.where(due, count - self.transfer_interval, count))
        return run_if(due, lambda s: self.transfer(s, key), state)

    def elapse(self, state, seconds) -> PCM3T1CState:
        """PCM drift (per-device nu and age) and capacitor leakage over ``seconds``."""
        return self.leak(PCMMemory.elapse(self, state, seconds), seconds)

    def deploy(self, state, key=None) -> PCM3T1CState:
        """Before deployment: a final :meth:`transfer` of the LSP into the PCM pair, then the 3T1C cell is
        switched out of the columns (p = 0, g = g_ref), so the capacitor's leak no longer reaches the weight.

        Without it a deployed chip loses its weights with the capacitor (tau = ``leak_tau``): g leaks to 0 V,
        which reads as an offset of -p k g_ref on every weight. The pair's tuning residual (inside
        ``tune_tolerance``) is lost with the capacitor. Counted as one transfer per weight. A deployed state
        keeps p = 0 (its capacitor no longer trains the weight); ``elapse`` then drifts the PCM pair.
        """
        state = self.transfer(state, key)
        return state._replace(g_cap=jnp.full_like(state.g_cap, self.g_ref), polarity=jnp.zeros_like(state.polarity))

    def conductances(self, state):
        """An equivalent differential pair: (F G+ + g or g_ref, F G- + g_ref or g, k), by the polarity p
        (p = 0, deployed: g_ref on both sides)."""
        pos = state.polarity > 0
        off = state.polarity == 0
        g_hi = jnp.where(pos | off, jnp.where(off, self.g_ref, state.g_cap), self.g_ref)
        g_lo = jnp.where(pos | off, self.g_ref, state.g_cap)
        return self.gain * state.g_pos + g_hi, self.gain * state.g_neg + g_lo, self.weight_per_siemens
