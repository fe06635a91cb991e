"""Phase-change memory (PCM): a differential pair of SET-only devices per weight.

Mapping (nominal range, the same for every device; the controller does not know each device's spread)::

    W = w_max (G+ - G-) / (g_max - g_min)          weight_per_siemens k = w_max / (g_max - g_min)

Device physics (every number in :data:`SOURCES`):

* Gradual SET (crystallisation) is the only analog direction. One SET pulse moves
  a device a fraction alpha of its distance to its own saturation conductance,
  dG = alpha_i (G_max,i - G), alpha_i = set_step_i / (G_max,i - g_min): the step is
  ``set_step`` right after a RESET and shrinks linearly with G, the linear
  state dependence of the mean SET increment measured on GST mushroom cells
  (Nandakumar et al., J. Appl. Phys. 124, 152135 (2018); Burr et al., IEEE TED 62,
  3498 (2015), Fig. 3, 'jump table'). n pulses have the exact closed form
  G_n = G_max - (G_max - G_0)(1 - alpha)^n with multiplicative cycle-to-cycle
  noise on each step, drawn once per device with the exact n-pulse mean and
  variance (:func:`photrain.memory.base.soft_bound_pulses_from_logs`); a noisy SET never
  lowers G (clipped at the starting value: SET only).
* RESET (melt-quench) is abrupt: one pulse takes a device back to ``g_min``. It is
  used only by the refresh ("occasional RESET", Burr et al. 2015): every
  ``refresh_interval`` images, pairs where either device has passed
  ``refresh_threshold`` of its own range are read, both devices are RESET and the
  weight is re-programmed onto one device by closed-loop tuning (:func:`tune_pair`).
* Device-to-device spread: G_max,i = g_max (1 + gmax_spread xi), set_step,i =
  set_step exp(step_spread xi - step_spread^2/2) (mean set_step), sampled once in ``init``.
* Drift of every device: G(t) = G(t_p) (max(t, t0) / t0)^(-nu_i), t the time since the
  device was last programmed (a pulse restarts its clock), nu_i = |nu + nu_std xi|
  per device (Ielmini et al., IEEE TED 54, 308 (2007); aihwkit ``PCMLikeNoiseModel``,
  Nandakumar et al., ICECS 2019). ``elapse(s)`` composes: elapse(a); elapse(b) == elapse(a + b).
* Read noise: G (1 + read_noise xi), fresh on every read with a key.

Update: a requested dw becomes n = |dw| / nominal_step SET pulses on G+ (dw > 0) or
G- (dw < 0), nominal_step = w_max set_step / (g_max - g_min) (the weight change of
the first pulse after a RESET), with stochastic rounding of n (unbiased pulse count:
E[n] = |dw| / nominal_step; the *weight* change is still biased by the device
nonlinearity, which is the physics). This is the open-loop update of Burr et al.
2015: the number of pulses depends on the requested change only, not on the state.

Counts: ``pulses`` = SET + RESET pulses, ``refreshes`` = devices RESET by a refresh
(two per refreshed pair).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

import photrain.memory.sparse as sparse
from photrain.memory.base import (
    Counts,
    add_counts,
    normal_pair,
    normal_pair_at,
    program_compiled,
    require,
    run_if,
    soft_bound_log_factors,
    soft_bound_pulses_from_logs,
    uniform_noise,
    uniform_pair,
    uniform_pair_at,
    zero_counts,
)
from photrain.xla_forms import computed_once

#: parameter -> (default, unit, source). Every default number of :class:`PCMMemory` is here.
SOURCES: dict[str, tuple[float, str, str]] = {
    "w_max": (1.0, "weight units", "assumed: the weight of a full-range pair, G+ - G- = g_max - g_min"),
    "g_min": (0.1e-6, "S", "assumed RESET (amorphous) conductance, ~10 MOhm; aihwkit's PCM models take 0"),
    "g_max": (25e-6, "S", "nominal saturation (fully SET) conductance: g_max = 25 uS of aihwkit PCMLikeNoiseModel "
                          "(fit to 1 M GST devices, Nandakumar et al., ICECS 2019)"),
    "set_step": (0.5e-6, "S", "assumed mean SET increment right after a RESET: the order of the first-pulse "
                              "increments of Nandakumar et al., J. Appl. Phys. 124, 152135 (2018) and of the "
                              "jump tables of Burr et al., IEEE TED 62, 3498 (2015); ~2 % of the range per pulse "
                              "(aihwkit PCMPresetDevice: dw_min = 0.5 % of its range)"),
    "step_spread": (0.2, "1 (relative)", "device-to-device spread of the step: aihwkit PCMPresetDevice dw_min_dtod = 0.2"),
    "gmax_spread": (0.1, "1 (relative)", "device-to-device spread of G_max: aihwkit PCMPresetDevice w_max_dtod = 0.1"),
    "c2c": (0.6, "1 (relative)", "cycle-to-cycle std of one SET step relative to its mean: aihwkit PCMPresetDevice "
                                 "dw_min_std = 0.6 (PCM SET increments are as noisy as they are large)"),
    "read_noise": (0.033, "1 (relative)", "relative read noise: aihwkit PCMLikeNoiseModel at G = g_max, 1 s after "
                                          "programming, 0.0088 sqrt(ln((1 s + 250 ns) / 500 ns)) = 0.033"),
    "nu": (0.05, "1", "mean drift exponent: aihwkit PCMLikeNoiseModel mu_nu = 0.049..0.1 (clipped), the power-law "
                      "drift of Ielmini et al., IEEE TED 54, 308 (2007)"),
    "nu_std": (0.02, "1", "device-to-device std of nu: aihwkit PCMLikeNoiseModel sigma_nu = 0.008..0.045"),
    "t0": (20.0, "s", "drift reference time: aihwkit PCMLikeNoiseModel t_0 = 20 s"),
    "refresh_threshold": (0.75, "1", "refresh a pair when a device passes 75 % of its range: aihwkit OneSidedUnitCell "
                                    "refresh_upper_thres = 0.75"),
    "refresh_interval": (8000, "images", "assumed: how often the controller checks for saturated pairs (Burr et al. "
                                         "2015 RESET occasionally; aihwkit checks every mini-batch); the cadence of "
                                         "Ambrogio et al.'s transfers, so both PCM memories re-program as often"),
    "tune_tolerance": (0.2e-6, "S", "assumed closed-loop tuning tolerance on G+ - G- (0.8 % of the range; the noisy "
                                    "SET steps of 0.5 uS land in it within the budget: measured rms error 0.5 % of "
                                    "w_max, ~4 pulses per weight)"),
    "tune_iterations": (30, "1", "assumed program-and-verify budget per tuning"),
    "tune_max_pulses": (32, "1", "assumed cap on SET pulses per tuning iteration"),
    "seconds_per_image": (0.0, "s", "assumed wall time per training image for drift during training (0: none)"),
}


class PCMState(NamedTuple):
    """Per-device arrays (the weight array's shape) and scalars of a PCM pair array."""

    g_pos: jax.Array  # S
    g_neg: jax.Array  # S
    gmax_pos: jax.Array  # S, per-device saturation conductance
    gmax_neg: jax.Array
    lk_pos: jax.Array  # log(1 - alpha): per-device SET fraction alpha (soft_bound_log_factors)
    lk_neg: jax.Array
    l2_pos: jax.Array  # log((1 - alpha)^2 + (alpha c2c)^2)
    l2_neg: jax.Array
    nu_pos: jax.Array  # 1, per-device drift exponent
    nu_neg: jax.Array
    age_pos: jax.Array  # s since the device was last programmed
    age_neg: jax.Array
    images: jax.Array  # int32 scalar: images since the last refresh check
    counts: Counts


class PairParams(NamedTuple):
    """The per-device arrays :func:`tune_pair` needs (one pair array)."""

    gmax_pos: jax.Array
    gmax_neg: jax.Array
    lk_pos: jax.Array
    lk_neg: jax.Array
    l2_pos: jax.Array
    l2_neg: jax.Array


def drift_factor(age, seconds, nu, t0):
    """G(age + seconds) / G(age) for G(t) = G(t_p) (max(t, t0) / t0)^(-nu) (Ielmini et al. 2007)."""
    return (jnp.maximum(age + seconds, t0) / jnp.maximum(age, t0)) ** (-nu)


def set_pulses_needed(g, dg, *, alpha, g_sat):
    """SET pulses (real-valued) that take g up by dg on a device with SET fraction alpha and saturation g_sat.

    Inverse of the closed form g_n = g_sat - (g_sat - g)(1 - alpha)^n; inf when g + dg >= g_sat.
    """
    rest = (g_sat - g - dg) / jnp.maximum(g_sat - g, 1e-30)
    return jnp.where(rest > 0, jnp.log(jnp.maximum(rest, 1e-30)) / math.log1p(-alpha), jnp.inf)


#: :func:`tune_pair` with ``compact``: rounds on every pair while more than 1/TUNE_COMPACT[0] of them are pending,
#: then on gathered lists of 1/TUNE_COMPACT[0], 1/TUNE_COMPACT[1], ... of the pairs
TUNE_COMPACT = (8, 64)


@partial(jax.jit, static_argnames=("g_min", "g_max", "set_step", "c2c", "tolerance", "iterations", "max_pulses",
                                   "compact"))
def tune_pair(g_pos, g_neg, target, dev: PairParams, key, *, g_min, g_max, set_step, c2c, tolerance, iterations,
              max_pulses, compact=True):
    """Closed-loop (program-and-verify) tuning of G+ - G- to ``target`` (S), SET pulses only.

    Each of at most ``iterations`` rounds (a fixed budget, ended early once every pair is within tolerance):
    verify e = target - (G+ - G-); pairs with |e| <= tolerance are done;
    otherwise the controller's nominal model (step ``set_step``, saturation
    ``g_max``) predicts the pulses that close the gap, fires floor of that (at least 1,
    at most ``max_pulses``) on G+ (e > 0) or G- (e < 0); an overshoot is corrected
    from the other device in the next round. Verify reads are taken as exact
    (averaged reads). Returns (g_pos, g_neg, pulses fired per pair).

    A pair within tolerance is never pulsed again, and the pending pairs about halve every round (a 256 x 784
    3T1C transfer: 167 k, 109 k, 62 k, ... 7, 0 over 17 rounds), so with ``compact`` the rounds run on all pairs
    only while more than 1/8 of them are pending, then on the pending pairs alone, gathered (a list of 1/8, then
    1/64 of the pairs: :mod:`photrain.memory.sparse`), with the same per-pair draws: the conductances and pulses
    of the rounds on all pairs (issue 27, /tmp timing under the lock: that transfer 41.2 -> 12.7 ms).
    """
    alpha_nom = set_step / (g_max - g_min)
    target = jnp.asarray(target, g_pos.dtype)

    def pending(gp, gn, t):
        return jnp.abs(t - (gp - gn)) > tolerance

    def one_round(i, gp, gn, t, d: PairParams, idx):
        e = t - (gp - gn)
        up = e > tolerance
        down = e < -tolerance
        g_sel = jnp.where(up, gp, gn)
        n = set_pulses_needed(g_sel, jnp.abs(e), alpha=alpha_nom, g_sat=g_max)
        n = jnp.clip(jnp.floor(n), 1.0, float(max_pulses))
        n = jnp.where(up | down, n, 0.0)
        xi = None
        if key is not None and c2c != 0:
            k = jax.random.fold_in(key, i)
            xi = normal_pair(k, g_sel.shape)[0] if idx is None else normal_pair_at(k, idx.astype(jnp.uint32))[0]
        g_new = soft_bound_pulses_from_logs(g_sel, n, log_keep=jnp.where(up, d.lk_pos, d.lk_neg),
                                            log_second=jnp.where(up, d.l2_pos, d.l2_neg),
                                            bound=jnp.where(up, d.gmax_pos, d.gmax_neg), xi=xi)
        g_new = jnp.maximum(g_new, g_sel)  # SET only
        return jnp.where(up, g_new, gp), jnp.where(down, g_new, gn), n

    def rounds(i, gp, gn, pulses, t, d, idx, more):
        """Rounds on these pairs while ``more(count of pending pairs)`` and the budget lasts."""
        def body(c):
            i, gp, gn, pulses, _ = c
            gp, gn, n = one_round(i, gp, gn, t, d, idx)
            return i + 1, gp, gn, pulses + n, jnp.sum(pending(gp, gn, t), dtype=jnp.int32)

        first = jnp.sum(pending(gp, gn, t), dtype=jnp.int32)
        return jax.lax.while_loop(lambda c: (c[0] < iterations) & more(c[4]), body, (i, gp, gn, pulses, first))

    size = g_pos.size
    if not compact or size < sparse.MIN_SPARSE:
        _, g_pos, g_neg, pulses, _ = rounds(jnp.int32(0), g_pos, g_neg, jnp.zeros_like(g_pos), target, dev, None,
                                            lambda c: c > 0)
        return g_pos, g_neg, pulses
    caps = tuple(size // d for d in TUNE_COMPACT)
    i, gp, gn, pulses, _ = rounds(jnp.int32(0), g_pos.reshape(-1), g_neg.reshape(-1), jnp.zeros(size, g_pos.dtype),
                                  target.reshape(-1), PairParams(*(a.reshape(-1) for a in dev)), None,
                                  lambda c: c > caps[0])
    t_all = target.reshape(-1)
    for level, cap in enumerate(caps):  # the pending pairs (at most cap of them) gathered, their rounds, scattered
        idx = sparse.hit_list(pending(gp, gn, t_all), cap)[0]
        at = partial(sparse.gather, idx=idx)
        sub_p, sub_n = at(gp), at(gn)
        sub_t = jnp.where(idx < size, at(t_all), sub_p - sub_n)  # padding: on target, never pulsed
        nxt = caps[level + 1] if level + 1 < len(caps) else 0
        i, sub_p, sub_n, sub_pulses, _ = rounds(i, sub_p, sub_n, jnp.zeros(cap, g_pos.dtype), sub_t,
                                                PairParams(*(at(a) for a in dev)), idx, lambda c, nxt=nxt: c > nxt)
        gp, gn = sparse.scatter(gp, idx, sub_p), sparse.scatter(gn, idx, sub_n)
        pulses = pulses.at[idx].add(sub_pulses, mode="drop")
    return gp.reshape(g_pos.shape), gn.reshape(g_pos.shape), pulses.reshape(g_pos.shape)


@dataclass(frozen=True)
class PCMMemory:
    """PCM differential pair G+ - G- per weight, SET-only updates, refresh, drift (module docstring, :data:`SOURCES`)."""

    name: ClassVar[str] = "pcm"
    w_max: float = 1.0
    g_min: float = 0.1e-6
    g_max: float = 25e-6
    set_step: float = 0.5e-6
    step_spread: float = 0.2
    gmax_spread: float = 0.1
    c2c: float = 0.6
    read_noise: float = 0.033
    nu: float = 0.05
    nu_std: float = 0.02
    t0: float = 20.0
    refresh_threshold: float = 0.75
    refresh_interval: int = 8000
    tune_tolerance: float = 0.2e-6
    tune_iterations: int = 30
    tune_max_pulses: int = 32
    seconds_per_image: float = 0.0

    def __post_init__(self):
        self._validate()

    def _validate(self):
        n = self.name
        require(self.w_max > 0, n, f"w_max must be > 0; got {self.w_max}")
        require(self.g_min >= 0, n, f"g_min must be >= 0 S; got {self.g_min}")
        require(self.g_min < self.g_max, n, f"g_min ({self.g_min:g} S) must be < g_max ({self.g_max:g} S)")
        require(0 < self.set_step < self.g_max - self.g_min, n,
                f"set_step must be in (0, g_max - g_min = {self.g_max - self.g_min:g} S); got {self.set_step:g}")
        for p in ("step_spread", "gmax_spread", "c2c", "read_noise", "nu_std", "seconds_per_image"):
            require(getattr(self, p) >= 0, n, f"{p} must be >= 0; got {getattr(self, p)}")
        require(self.gmax_spread < 0.5, n, f"gmax_spread must be < 0.5 (G_max must stay above g_min); got {self.gmax_spread}")
        require(self.nu >= 0, n, f"nu (drift exponent) must be >= 0; got {self.nu}")
        require(self.t0 > 0, n, f"t0 must be > 0 s; got {self.t0}")
        require(0 < self.refresh_threshold <= 1, n, f"refresh_threshold must be in (0, 1]; got {self.refresh_threshold}")
        for p in ("refresh_interval", "tune_iterations", "tune_max_pulses"):
            v = getattr(self, p)
            require(isinstance(v, int) and v >= 1, n, f"{p} must be an integer >= 1; got {v!r}")
        require(self.tune_tolerance > 0, n, f"tune_tolerance must be > 0 S; got {self.tune_tolerance}")

    # ---- mapping -------------------------------------------------------------------------------
    @property
    def weight_per_siemens(self) -> float:
        return self.w_max / (self.g_max - self.g_min)

    @property
    def nominal_step(self) -> float:
        """Weight change of one SET pulse right after a RESET (the largest step)."""
        return self.set_step * self.weight_per_siemens

    @property
    def write_granularity(self) -> float:
        """Weight units: one SET pulse, :attr:`nominal_step` (PCM conductance is continuous; a pulse is the unit
        of a write). A 3T1C pair's is one capacitor event (its ``nominal_step``)."""
        return self.nominal_step

    def _tune_kw(self):
        return dict(g_min=self.g_min, g_max=self.g_max, set_step=self.set_step, c2c=self.c2c,
                    tolerance=self.tune_tolerance, iterations=self.tune_iterations, max_pulses=self.tune_max_pulses)

    # ---- protocol ------------------------------------------------------------------------------
    def _sample_pair(self, shape, key):
        """Per-device spread (PairParams, nu_pos, nu_neg); nominal devices when key is None."""
        span = self.g_max - self.g_min
        if key is None:
            gmax = [jnp.full(shape, self.g_max, jnp.float32)] * 2
            alpha = [jnp.full(shape, self.set_step / span, jnp.float32)] * 2
            nu = [jnp.full(shape, self.nu, jnp.float32)] * 2
        else:
            k = jax.random.split(key, 6)
            gmax = [self.g_min + span * jnp.maximum(1 + self.gmax_spread * jax.random.normal(k[i], shape, jnp.float32), 0.1)
                    for i in (0, 1)]
            s = self.step_spread
            step = [self.set_step * jnp.exp(s * jax.random.normal(k[i], shape, jnp.float32) - s * s / 2) for i in (2, 3)]
            alpha = [jnp.clip(st / (gm - self.g_min), 0.0, 0.999) for st, gm in zip(step, gmax, strict=True)]
            nu = [jnp.abs(self.nu + self.nu_std * jax.random.normal(k[i], shape, jnp.float32)) for i in (4, 5)]
        (lk_p, l2_p), (lk_n, l2_n) = (soft_bound_log_factors(a, self.c2c) for a in alpha)
        dev = PairParams(*(jnp.asarray(a, jnp.float32) for a in (gmax[0], gmax[1], lk_p, lk_n, l2_p, l2_n)))
        return dev, jnp.asarray(nu[0], jnp.float32), jnp.asarray(nu[1], jnp.float32)

    def init(self, w, key=None) -> PCMState:
        """Program w (clipped to +-w_max) by closed-loop tuning from the RESET state; spread sampled from key.

        Without a key: nominal devices, placed exactly (G+ = g_min + max(w, 0) / k, likewise G-).
        The initial programming is not counted (counts start at zero).
        """
        return program_compiled(self, jnp.asarray(w, jnp.float32), key)

    def _program(self, w, key) -> PCMState:
        """:meth:`init`'s arrays (compiled once per memory and shape: :func:`~photrain.memory.base.program_compiled`)."""
        w = jnp.clip(w, -self.w_max, self.w_max)
        k_dev = k_tune = None
        if key is not None:
            k_dev, k_tune = jax.random.split(key)
        dev, nu_pos, nu_neg = self._sample_pair(w.shape, k_dev)
        target = w / self.weight_per_siemens
        if key is None:
            g_pos = self.g_min + jnp.maximum(target, 0.0)
            g_neg = self.g_min + jnp.maximum(-target, 0.0)
        else:
            g0 = jnp.full(w.shape, self.g_min, jnp.float32)
            g_pos, g_neg, _ = tune_pair(g0, g0, target, dev, k_tune, **self._tune_kw())
        zero = jnp.zeros(w.shape, jnp.float32)
        return PCMState(g_pos, g_neg, *dev, nu_pos, nu_neg, zero, zero, jnp.zeros((), jnp.int32), zero_counts())

    @staticmethod
    def pair_params(state) -> PairParams:
        return PairParams(state.gmax_pos, state.gmax_neg, state.lk_pos, state.lk_neg, state.l2_pos, state.l2_neg)

    def read(self, state, key=None):
        g_pos, g_neg = state.g_pos, state.g_neg
        if key is not None and self.read_noise > 0:
            xi_pos, xi_neg = normal_pair(key, g_pos.shape)
            g_pos = g_pos * (1 + self.read_noise * xi_pos)
            g_neg = g_neg * (1 + self.read_noise * xi_neg)
        return (g_pos - g_neg) * self.weight_per_siemens

    def update(self, state, dw, key=None) -> PCMState:
        """n = stochastic_round(|dw| / nominal_step) SET pulses on G+ where dw > 0, on G- where dw < 0.

        Closed form for the n pulses (no loop over pulses); one 32-bit random word per
        device gives the rounding uniform and the cycle-to-cycle noise (:func:`uniform_pair`;
        the noise has the exact n-pulse mean and variance, uniform-shaped). Without a key:
        nearest rounding and no noise. An array of :data:`~photrain.memory.sparse.MIN_SPARSE` devices or more
        is written sparsely: the closed form only where n > 0 (:mod:`photrain.memory.sparse`), the same
        conductances, ages and counts as the dense write.
        """
        dw = jnp.asarray(dw, state.g_pos.dtype)
        if key is None or dw.size < sparse.MIN_SPARSE:
            return self._update_dense(state, dw, key)
        u_round, _ = uniform_pair(key, dw.shape)
        hit = jnp.floor(jnp.abs(dw) / self.nominal_step + u_round) > 0
        fields = ("g_pos", "g_neg", "age_pos", "age_neg", "counts")  # what a write changes

        def dense(written):
            new = self._update_dense(state._replace(**dict(zip(fields, written, strict=True))), dw, key)
            return tuple(getattr(new, f) for f in fields)

        written = sparse.for_hits(hit, lambda idx, c: self._update_at(state, c, dw, key, idx),
                                  tuple(getattr(state, f) for f in fields), parts=128, dense=dense)  # ~0.2 % hit
        return state._replace(**dict(zip(fields, written, strict=True)))

    def _pulse(self, g_pos, g_neg, dev: PairParams, dw, u_round, u_noise):
        """(n, new conductance of the device pulsed, pos) for requests dw and the devices' two uniforms."""
        x = jnp.abs(dw) / self.nominal_step
        if u_round is None:
            n, xi = jnp.round(x), None
        else:
            n = jnp.floor(x + u_round)
            xi = uniform_noise(u_noise) if self.c2c > 0 else None
        pos = dw > 0
        g_sel = jnp.where(pos, g_pos, g_neg)
        g_new = soft_bound_pulses_from_logs(g_sel, n, log_keep=jnp.where(pos, dev.lk_pos, dev.lk_neg),
                                            log_second=jnp.where(pos, dev.l2_pos, dev.l2_neg),
                                            bound=jnp.where(pos, dev.gmax_pos, dev.gmax_neg), xi=xi)
        return n, jnp.where(n > 0, jnp.maximum(g_new, g_sel), g_sel), pos  # SET only: noise never amorphises

    def _update_dense(self, state, dw, key) -> PCMState:
        u_round, u_noise = (None, None) if key is None else uniform_pair(key, dw.shape)
        n, g_new, pos = self._pulse(state.g_pos, state.g_neg, self.pair_params(state), dw, u_round, u_noise)
        n, g_new = computed_once((n, g_new), state.images >= 0)  # once, not in each of the five outputs below
        hit = n > 0
        up, down = hit & pos, hit & ~pos
        return state._replace(
            g_pos=jnp.where(pos, g_new, state.g_pos), g_neg=jnp.where(pos, state.g_neg, g_new),
            age_pos=jnp.where(up, 0.0, state.age_pos), age_neg=jnp.where(down, 0.0, state.age_neg),
            counts=add_counts(state.counts, pulses=n))

    def _update_at(self, state, written, dw, key, idx):
        """:meth:`_update_dense` at the flat indices ``idx`` (padded with dw.size) only, on ``written`` = (G+, G-,
        age+, age-, counts) (the arrays a write changes; the rest of the devices' arrays from ``state``)."""
        at = partial(sparse.gather, idx=idx)
        put = partial(sparse.scatter, idx=idx)
        g_pos_a, g_neg_a, age_pos_a, age_neg_a, counts = written
        u_round, u_noise = uniform_pair_at(key, idx.astype(jnp.uint32))
        g_pos, g_neg, age_pos, age_neg = at(g_pos_a), at(g_neg_a), at(age_pos_a), at(age_neg_a)
        n, g_new, pos = self._pulse(g_pos, g_neg, PairParams(*map(at, self.pair_params(state))), at(dw), u_round,
                                    u_noise)
        n = jnp.where(idx < dw.size, n, 0.0)
        hit = n > 0
        return (put(g_pos_a, values=jnp.where(pos, g_new, g_pos)), put(g_neg_a, values=jnp.where(pos, g_neg, g_new)),
                put(age_pos_a, values=jnp.where(hit & pos, 0.0, age_pos)),
                put(age_neg_a, values=jnp.where(hit & ~pos, 0.0, age_neg)), add_counts(counts, pulses=n))

    def saturated(self, state):
        """Pairs whose G+ or G- has passed ``refresh_threshold`` of its own range (the refresh criterion)."""
        thr = self.refresh_threshold
        return ((state.g_pos - self.g_min > thr * (state.gmax_pos - self.g_min))
                | (state.g_neg - self.g_min > thr * (state.gmax_neg - self.g_min)))

    def refresh(self, state, key=None) -> PCMState:
        """RESET both devices of every saturated pair and re-program its weight by closed-loop tuning.

        The target is the pair's G+ - G- read (exactly) before the RESET; the refreshed pair
        ends within ``tune_tolerance`` of it unless the tuning budget runs out. Pairs that are
        not saturated are untouched.
        """
        sat = self.saturated(state)
        diff = state.g_pos - state.g_neg
        g_pos = jnp.where(sat, self.g_min, state.g_pos)
        g_neg = jnp.where(sat, self.g_min, state.g_neg)
        target = jnp.where(sat, diff, g_pos - g_neg)  # untouched pairs are already on target
        g_pos, g_neg, n = tune_pair(g_pos, g_neg, target, self.pair_params(state), key, **self._tune_kw())
        n_reset = 2 * sat.astype(jnp.int32)
        return state._replace(
            g_pos=g_pos, g_neg=g_neg,
            age_pos=jnp.where(sat | (g_pos != state.g_pos), 0.0, state.age_pos),
            age_neg=jnp.where(sat | (g_neg != state.g_neg), 0.0, state.age_neg),
            counts=add_counts(state.counts, pulses=n + n_reset, refreshes=n_reset))

    def maintain(self, state, images, key=None) -> PCMState:
        """Drift over ``images * seconds_per_image`` s; every ``refresh_interval`` images, :meth:`refresh`.

        The saturation check and the refresh run only when due (:func:`~photrain.memory.base.run_if`): the
        per-step cost is a counter.
        """
        if self.seconds_per_image > 0:
            state = self.elapse(state, jnp.asarray(images, jnp.float32) * self.seconds_per_image)
        count = state.images + jnp.asarray(images, jnp.int32)
        due = count >= self.refresh_interval
        state = state._replace(images=jnp.where(due, 0, count))

        def check(s):
            return run_if(jnp.any(self.saturated(s)), lambda t: self.refresh(t, key), s)

        return run_if(due, check, state)

    def elapse(self, state, seconds) -> PCMState:
        """Power-law drift of every device over ``seconds`` (per-device nu and age)."""
        seconds = jnp.asarray(seconds, jnp.float32)
        return state._replace(
            g_pos=state.g_pos * drift_factor(state.age_pos, seconds, state.nu_pos, self.t0),
            g_neg=state.g_neg * drift_factor(state.age_neg, seconds, state.nu_neg, self.t0),
            age_pos=state.age_pos + seconds, age_neg=state.age_neg + seconds)

    def conductances(self, state):
        return state.g_pos, state.g_neg, self.weight_per_siemens
