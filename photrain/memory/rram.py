"""RRAM (filamentary oxide memristor) differential pair with soft bounds and discrete conductance levels.

The system this stands for: tantalum-oxide memristor crossbars trained in situ
(Yi, Kendall, Williams & Kumar, Nat. Electron. 6, 45 (2023)). Their device
figures were not available to us, so the defaults come from IBM aihwkit's
``ReRamSBPresetDevice`` (a soft-bounds fit to RRAM data) or are assumed; the
table below and :data:`SOURCES` say which.

One weight is a pair of devices, W = w_per_siemens (G+ - G-). Each device
follows the soft-bounds model (:func:`photrain.memory.base.soft_bound_pulses`):

    SET pulse:   G <- G + a_set   (1 + s xi) (G_max - G)     (step shrinks towards G_max)
    RESET pulse: G <- G - a_reset (1 + s xi) (G - G_min)     (step shrinks towards G_min)

with multiplicative cycle-to-cycle noise s xi on every step. Closed forms (exact
in the mean; :func:`set_curve`, :func:`reset_curve`, :func:`symmetry_point`):

* n SET pulses from G_0: G_n = G_max - (G_max - G_0)(1 - a_set)^n; RESET: G_n = G_min + (G_0 - G_min)(1 - a_reset)^n.
* The step shrinks geometrically, by a factor (1 - a) per pulse.
* Alternating SET and RESET pulses settle at the fixed point (symmetry point)
  G* = (a_set G_max + a_reset G_min) / (a_set + a_reset), where both steps are equal.

**Update scheme.** A requested dw becomes n = stochastic_round(|dw| / nominal_step)
pulse pairs (at most ``max_pulses``): dw > 0 applies n SET pulses to G+ and n
RESET pulses to G-; dw < 0 the opposite (2n pulses in the counts). Both devices
of an oxide RRAM switch gradually in both directions (unlike PCM, whose RESET is
abrupt), so each update moves both devices. Why: at G+ = G- the up and down
responses of the pair are equal whatever a_set/a_reset (the device's SET/RESET
asymmetry cancels at w = 0), and the common mode G+ + G- is pulled back to 2 G*
instead of creeping to saturation, so the pair needs no refresh. ``nominal_step``
is the weight change of one pulse pair at G+ = G- = G*:
w_per_siemens * 2 a_set a_reset (G_max - G_min) / (a_set + a_reset).

**Randomness** (cheap, elementwise): per update one uniform per weight for the
pulse rounding and two per device (cycle-to-cycle noise, level rounding), all
16-bit uniforms from :func:`photrain.memory.base.uniform_pair`. The n-pulse
cycle-to-cycle noise is one zero-mean, unit-variance draw per device scaled to
the exact closed-form variance (a uniform variate, not a Gaussian: the first two
moments are exact, the shape is not modelled).

**Discrete levels.** A device holds one of ``n_levels`` conductances evenly
spaced over [G_min, G_max]: the write-verify targets of the periphery, common
to all devices (a device whose window falls short reaches only the levels below
its top, assumed). After each update the reached conductance
is rounded to a neighbouring level, up with probability equal to the fractional
distance (unbiased: a step smaller than a level spacing switches a level with a
probability proportional to its size, so the mean follows the soft-bound curve).
``n_levels=None`` gives continuous conductance. ``init`` programs the nearest
level by closed-loop write-verify (no pulses counted: programming, not training).

**Device-to-device spread** (sampled once in ``init``): each device's step size
is scaled by (1 + step_dtod xi) (clipped at 0.05), its SET/RESET balance by
(1 +- up_down_dtod xi'), and its top conductance falls short of G_max by
abs(range_dtod xi'') (G_max - G_min) (at most to 20 % of the window). G_max is
the ceiling no device passes (assumed), so weights stay in [-w_max, w_max].
**Read noise**: ``read(state, key)`` returns weights from G (1 + read_noise xi), fresh per read.
Retention: none modelled (``elapse`` and ``maintain`` are the identity).

State (:class:`RRAMState`): every per-device array has shape (2, *w.shape):
index 0 is G+, index 1 is G-.

Parameters (:data:`SOURCES` has each default with its source):

=============  ============  ==============================================================
parameter      default       source / assumption
=============  ============  ==============================================================
g_min          5 µS          assumed (see SOURCES)
g_max          100 µS        assumed (see SOURCES)
a_set          0.0016        aihwkit ReRamSBPresetDevice: dw_min / w_max = 0.002 / 1.25
a_reset        0.002667      aihwkit ReRamSBPresetDevice: dw_min / abs(w_min) = 0.002 / 0.75
c2c            0.3           assumed (aihwkit's 3.75 dw_min is additive: see SOURCES)
step_dtod      0.3           aihwkit ReRamSBPresetDevice.dw_min_dtod
up_down_dtod   0.01          aihwkit ReRamSBPresetDevice.up_down_dtod
range_dtod     0.15          aihwkit ReRamSBPresetDevice: 0.3 spread of each bound / range 2
n_levels       64            assumed: 6-bit devices (see SOURCES)
read_noise     0.01          assumed (see SOURCES)
w_max          1.0           weight at G+ - G- = G_max - G_min (photrain convention)
max_pulses     1000          assumed cap per update (bounds the int32 pulse counter)
mode           "photrain"    "aihwkit": aihwkit's ReRamSBPresetDevice and stochastic pulse trains
=============  ============  ==============================================================

``mode="aihwkit"`` (``--memory-param mode=aihwkit``) replaces all of the above by IBM aihwkit's own model of the
preset: one device per weight with additive cycle-to-cycle noise (3.75 dw_min per pulse), write noise on the
weights as read, and one stochastic pulse train (<= 31 pulses) per write; see :mod:`photrain.memory.rram_aihwkit`.
The default stays "photrain": its multiplicative noise keeps the soft bounds exact, its write-verify levels
model multilevel programming, and it trains (90 % on MNIST where aihwkit's preset reaches 43-56 %, issue 27).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import jax
import jax.numpy as jnp

import photrain.memory.rram_aihwkit as aihwkit
import photrain.memory.sparse as sparse
from photrain.memory.base import (
    Counts,
    add_counts,
    normal_pair,
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

#: parameter -> (default, source). Every default number of :class:`RRAMMemory` is here.
SOURCES: dict[str, tuple[float | int | None, str]] = {
    "g_min": (5e-6,
              "assumed: 5 µS, low end of the analog window of Ta/TaOx memristors. Yi, Kendall, Williams & Kumar, "
              "Nat. Electron. 6, 45 (2023) train TaOx crossbars in situ; the exact window was not available to us"),
    "g_max": (100e-6,
              "assumed: 100 µS (a 20:1 analog window, typical of filamentary TaOx/HfOx 1T1R cells); see g_min"),
    "a_set": (0.0016,
              "aihwkit ReRamSBPresetDevice (soft-bounds fit to Gong et al., Nat. Commun. 9, 2102 (2018)): "
              "dw_min = 0.002 at w = 0 on [w_min, w_max] = [-0.75, 1.25], i.e. a fraction 0.002 / 1.25 of the "
              "distance to the upper bound per pulse"),
    "a_reset": (0.002 / 0.75,
                "aihwkit ReRamSBPresetDevice: fraction 0.002 / 0.75 of the distance to the lower bound per pulse; "
                "a_reset / a_set = 5/3 is the preset's SET/RESET asymmetry (symmetry point at 3/8 of the window)"),
    "c2c": (0.3,
            "assumed: relative std of one pulse's step. aihwkit's preset has dw_min_std = 3.75 dw_min, additive "
            "(mult_noise=False), which would also move a device sitting at its bound; photrain keeps the soft bound "
            "exact by making the noise multiplicative, and takes 0.3 (aihwkit's multiplicative presets, e.g. "
            "IdealizedPresetDevice.dw_min_std)"),
    "step_dtod": (0.3, "aihwkit ReRamSBPresetDevice.dw_min_dtod = 0.3 (device-to-device spread of the step size)"),
    "up_down_dtod": (0.01, "aihwkit ReRamSBPresetDevice.up_down_dtod = 0.01 (spread of the SET/RESET balance)"),
    "range_dtod": (0.15,
                   "aihwkit ReRamSBPresetDevice: w_max_dtod = 0.3/1.25 and w_min_dtod = 0.3/0.75, an absolute "
                   "spread of 0.3 on each bound of a range of 2 -> 0.15 of the range; applied to the top of the "
                   "window only, as a shortfall below G_max (G_min kept; assumed)"),
    "n_levels": (64,
                 "assumed: 64 levels (6 bits) per device; multilevel oxide RRAM programmed with write-verify "
                 "reaches this order (and beyond, e.g. 2048 levels in Rao et al., Nature 615, 823 (2023))"),
    "read_noise": (0.01, "assumed: 1 % relative conductance fluctuation per read (random telegraph / 1/f noise)"),
    "w_max": (1.0, "photrain convention: weights in [-w_max, w_max]"),
    "max_pulses": (1000, "assumed: at most 1000 pulse pairs per update; it bounds the int32 pulse counter "
                          "(training updates need a few)"),
    "mode": ("photrain", "'photrain' (this module) or 'aihwkit': IBM aihwkit 1.2.0's ReRamSBPresetDevice "
                         "(src/aihwkit/simulator/presets/devices.py) with its stochastic pulse-train update "
                         "(UpdateParameters: desired_bl 31, StochasticCompressed, update (BL) management): "
                         "photrain.memory.rram_aihwkit"),
}
MODES = ("photrain", "aihwkit")


class RRAMState(NamedTuple):
    """Conductances and per-device parameters; arrays of shape (2, *w.shape) (index 0: G+, 1: G-).

    The per-device SET/RESET fractions (device-to-device spread included) are kept as the
    :func:`photrain.memory.base.soft_bound_log_factors` of one pulse, computed once in ``init``:
    log_set = log(1 - a_set), log_set2 = log((1 - a_set)^2 + (a_set c2c)^2), and likewise for RESET.
    """

    g: jax.Array  # S
    log_set: jax.Array
    log_set2: jax.Array
    log_reset: jax.Array
    log_reset2: jax.Array
    g_top: jax.Array  # each device's top conductance (S), <= g_max
    counts: Counts


def set_curve(g0, n, *, a_set, g_max):
    """Mean conductance after n SET pulses from g0: G_max - (G_max - g0)(1 - a_set)^n."""
    return g_max - (g_max - g0) * (1.0 - a_set) ** n


def reset_curve(g0, n, *, a_reset, g_min):
    """Mean conductance after n RESET pulses from g0: G_min + (g0 - G_min)(1 - a_reset)^n."""
    return g_min + (g0 - g_min) * (1.0 - a_reset) ** n


def symmetry_point(*, a_set, a_reset, g_min, g_max):
    """Fixed point of alternating SET/RESET pulses: G* = (a_set G_max + a_reset G_min) / (a_set + a_reset)."""
    return (a_set * g_max + a_reset * g_min) / (a_set + a_reset)


def _d(name):
    return SOURCES[name][0]


@dataclass(frozen=True)
class RRAMMemory:
    """Differential RRAM pair with soft bounds, discrete levels and noise (module docstring)."""

    name: ClassVar[str] = "rram"
    g_min: float = _d("g_min")
    g_max: float = _d("g_max")
    a_set: float = _d("a_set")
    a_reset: float = _d("a_reset")
    c2c: float = _d("c2c")
    step_dtod: float = _d("step_dtod")
    up_down_dtod: float = _d("up_down_dtod")
    range_dtod: float = _d("range_dtod")
    n_levels: int | None = _d("n_levels")
    read_noise: float = _d("read_noise")
    w_max: float = _d("w_max")
    max_pulses: int = _d("max_pulses")
    mode: str = _d("mode")

    def __post_init__(self):
        r = "rram"
        require(self.mode in MODES, r, f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        require(self.g_min >= 0, r, f"g_min ({self.g_min} S) must be >= 0")
        require(self.g_min < self.g_max, r, f"g_min ({self.g_min} S) must be < g_max ({self.g_max} S); "
                "swap them or widen the window")
        for p in ("a_set", "a_reset"):
            require(0 < getattr(self, p) < 1, r, f"{p} is a fraction of the distance to the bound per pulse, "
                    f"in (0, 1); got {getattr(self, p)}")
        for p in ("c2c", "step_dtod", "up_down_dtod", "range_dtod", "read_noise"):
            require(getattr(self, p) >= 0, r, f"{p} is a relative standard deviation, >= 0; got {getattr(self, p)}")
        require(self.up_down_dtod < 1, r, f"up_down_dtod must be < 1; got {self.up_down_dtod}")
        require(self.n_levels is None or (int(self.n_levels) == self.n_levels and self.n_levels >= 2), r,
                f"n_levels must be an integer >= 2, or None for continuous conductance; got {self.n_levels}")
        require(self.w_max > 0, r, f"w_max must be > 0; got {self.w_max}")
        require(int(self.max_pulses) == self.max_pulses and self.max_pulses >= 1, r,
                f"max_pulses must be an integer >= 1; got {self.max_pulses}")

    # ------------------------------------------------------------------ derived

    @property
    def w_per_siemens(self) -> float:
        """Weight per siemens of G+ - G-: w_max / (G_max - G_min)."""
        return self.w_max / (self.g_max - self.g_min)

    @property
    def g_star(self) -> float:
        """Nominal symmetry point (S), :func:`symmetry_point`."""
        return symmetry_point(a_set=self.a_set, a_reset=self.a_reset, g_min=self.g_min, g_max=self.g_max)

    @property
    def nominal_step(self) -> float:
        """Weight change of one pulse pair at G+ = G- = G* (SET on one device, RESET on the other)."""
        if self.mode == "aihwkit":
            return aihwkit.RERAM_SB["dw_min"]
        a, b = self.a_set, self.a_reset
        return self.w_per_siemens * 2 * a * b * (self.g_max - self.g_min) / (a + b)

    @property
    def write_granularity(self) -> float:
        """Smallest weight change a write makes reliably (weight units).

        With discrete levels: both devices of the pair one level, in opposite directions (G+ up and G- down, or
        the reverse), 2 w_per_siemens level_spacing = 2 w_max / (n_levels - 1); a smaller request only moves
        levels by chance (the stochastic level rounding of :meth:`update`). About that many pulse pairs:
        write_granularity / nominal_step (~15.9 at the defaults, at G+ = G- = G*). Continuous conductance:
        one pulse pair, :attr:`nominal_step`.
        """
        if self.n_levels is None or self.mode == "aihwkit":
            return self.nominal_step
        return 2 * self.w_per_siemens * self.level_spacing

    # ------------------------------------------------------------------ protocol

    def init(self, w, key=None) -> RRAMState:
        """Program w by write-verify: G+- = c +- w / (2 k) around the symmetry point c = G* (shifted where |w| needs
        room), each device then on its nearest level; device-to-device spread sampled from ``key`` (none if None)."""
        if self.mode == "aihwkit":
            return aihwkit.init(w, key)
        return program_compiled(self, jnp.asarray(w, jnp.float32), key)

    def _program(self, w, key) -> RRAMState:
        """:meth:`init`'s arrays (compiled once per memory and shape: :func:`~photrain.memory.base.program_compiled`)."""
        shape = (2, *w.shape)
        ones = jnp.ones(shape, w.dtype)
        a_set, a_reset, g_top = self.a_set * ones, self.a_reset * ones, self.g_max * ones
        if key is not None:
            k1, k2, k3 = jax.random.split(key, 3)
            scale = jnp.maximum(1 + self.step_dtod * jax.random.normal(k1, shape, w.dtype), 0.05)
            tilt = self.up_down_dtod * jax.random.normal(k2, shape, w.dtype)
            a_set = jnp.clip(a_set * scale * (1 + tilt), 1e-6, 0.999)
            a_reset = jnp.clip(a_reset * scale * (1 - tilt), 1e-6, 0.999)
            short = jnp.abs(self.range_dtod * (self.g_max - self.g_min) * jax.random.normal(k3, shape, w.dtype))
            g_top = jnp.maximum(self.g_max - short, self.g_min + 0.2 * (self.g_max - self.g_min))
            if self.n_levels is not None:  # a device reaches the grid levels below its top
                g_top = self.g_min + jnp.floor((g_top - self.g_min) / self.level_spacing + 1e-4) * self.level_spacing
        half = jnp.clip(w, -self.w_max, self.w_max) / (2 * self.w_per_siemens)
        top = jnp.minimum(g_top[0], g_top[1])  # write-verify places the pair inside both devices' windows
        centre = jnp.clip(self.g_star, self.g_min + jnp.abs(half), top - jnp.abs(half))
        g = jnp.stack([centre + half, centre - half])
        g = jnp.clip(self._to_levels(g, None), self.g_min, g_top)
        log_set, log_set2 = soft_bound_log_factors(a_set, self.c2c)
        log_reset, log_reset2 = soft_bound_log_factors(a_reset, self.c2c)
        return RRAMState(g, log_set, log_set2, log_reset, log_reset2, g_top, zero_counts())

    def step_fractions(self, state: RRAMState):
        """(a_set, a_reset) of every device, shape (2, *w.shape) each (from the stored log factors)."""
        return -jnp.expm1(state.log_set), -jnp.expm1(state.log_reset)

    def read(self, state: RRAMState, key=None):
        """Weights k (G+ - G-) in [-w_max, w_max]; with a key, each device read with relative noise ``read_noise``."""
        if self.mode == "aihwkit":
            return aihwkit.read(state)
        g_pos, g_neg = state.g[0], state.g[1]
        if key is not None and self.read_noise > 0:  # one hashed word per weight gives both devices' Gaussians
            xi_pos, xi_neg = normal_pair(key, g_pos.shape)  # (photrain.memory.base.normal_pair)
            g_pos = g_pos * (1 + self.read_noise * xi_pos.astype(g_pos.dtype))
            g_neg = g_neg * (1 + self.read_noise * xi_neg.astype(g_neg.dtype))
        return self.w_per_siemens * (g_pos - g_neg)

    def update(self, state: RRAMState, dw, key=None, requests=None) -> RRAMState:
        """Write dw as pulse pairs (module docstring). Without a key: nearest rounding and no noise. An array of
        :data:`photrain.memory.sparse.MIN_SPARSE` weights or more is written sparsely: the pulse pairs computed
        for the weights with n > 0 only, from the dense write's draws (:meth:`_pulses_at`), by
        :func:`photrain.memory.sparse.for_hits` at any density (the mixed-precision accumulator's whole granules,
        ~1e-4 of the weights per step, as well as a DFA step's ~1.5 %; the one sparse write path, issue 27).
        ``requests``: :meth:`write_mask` of this dw and key, if the caller has it (computed once for both)."""
        if self.mode == "aihwkit":
            return aihwkit.update(state, dw, key, max_pulses=self.max_pulses)
        dw = jnp.asarray(dw, state.g.dtype)
        if key is None:
            return self._pulses(state, dw, jnp.round(jnp.abs(dw) / self.nominal_step), None, None)
        k_n, k_dev = jax.random.split(key)
        if dw.size < sparse.MIN_SPARSE:
            n = jnp.floor(jnp.abs(dw) / self.nominal_step + uniform_pair(k_n, dw.shape)[0])
            return self._pulses(state, dw, n, *uniform_pair(k_dev, state.g.shape))

        def body(idx, c):
            return self._pulses_at(state, c, dw, k_n, k_dev, idx)

        def every(written):  # every weight's rounding draw, then the hits n > 0 (or the dense write past 1/32)
            n = jnp.floor(jnp.abs(dw) / self.nominal_step + uniform_pair(k_n, dw.shape)[0])

            def dense(w):
                new = self._pulses(state._replace(g=w[0], counts=w[1]), dw, n, *uniform_pair(k_dev, state.g.shape))
                return new.g, new.counts

            return sparse.for_hits(n > 0, body, written, dense=dense)

        # n > 0 needs dw != 0: with few requests (at most 1/32 of the weights, so the write above would be sparse too)
        # the rounding is drawn at the requests only (issue 27: drawing it for all 392 k weights of a 500 x 784
        # layer cost ~0.5 ms of an EP step whose accumulator requests ~40); the same hits, draws and bits
        p, many = self._requests(dw) if requests is None else requests
        carry = run_if(many, every, (state.g, state.counts))
        g, counts = run_if(~many, lambda c: sparse.for_hits(p, body, c), carry)
        return state._replace(g=g, counts=counts)

    @staticmethod
    def _requests(dw):
        """(:func:`~photrain.memory.sparse.pack` of dw != 0, whether more than 1/32 of the weights are requested)."""
        p = sparse.pack(dw != 0)
        return p, p.count > p.size // 32

    def write_mask(self, dw, key=None):
        """(mask, everywhere) of an :meth:`update` of ``dw`` with ``key``: it changes the devices of the weights where
        the boolean ``mask`` (dw != 0, packed: :class:`~photrain.memory.sparse.Packed`) is true and no others, unless
        the traced flag ``everywhere`` is true (a dense write re-rounds every device onto its level; the write is
        dense without a key, in aihwkit mode, and below :data:`~photrain.memory.sparse.MIN_SPARSE` weights).
        ``maintain`` changes nothing. For a controller that keeps state derived per device (issue 27: the crossbar's
        conductance stacks, patched where a write lands)."""
        p, many = self._requests(jnp.asarray(dw))
        if key is None or self.mode == "aihwkit" or p.size < sparse.MIN_SPARSE:
            return p, jnp.ones((), bool)
        return p, many

    def _pulses_at(self, state: RRAMState, written, dw, k_n, k_dev, idx):
        """:meth:`update`'s pulses at the flat weight indices ``idx`` (padded with dw.size) only, on ``written``
        = (g, counts); the devices' draws are those of the dense write. Devices without a pulse are untouched
        (the dense write re-rounds them to their level, at times one float32 ulp away)."""
        g_all, counts = written
        size = dw.size
        safe = jnp.minimum(idx, size - 1)

        def at(a):
            return a.reshape(2, size)[:, safe]

        u_n, _ = uniform_pair_at(k_n, idx.astype(jnp.uint32))
        u_c2c, u_lvl = uniform_pair_at(k_dev, jnp.stack([idx, idx + size]).astype(jnp.uint32))  # G+ then G-
        d = dw.reshape(-1)[safe]
        n = jnp.where(idx < size, jnp.floor(jnp.abs(d) / self.nominal_step + u_n), 0.0)
        sub = RRAMState(at(g_all), *(at(a) for a in state[1:6]), counts)
        new = self._pulses(sub, d, n, u_c2c, u_lvl)
        idx = jnp.where(n > 0, idx, size)  # a request rounded to no pulse leaves its devices as they are
        g = g_all.reshape(2, size).at[:, idx].set(new.g, mode="drop").reshape(g_all.shape)
        return g, new.counts

    def _pulses(self, state: RRAMState, dw, n, u_c2c, u_lvl) -> RRAMState:
        """Apply n pulse pairs in the direction of dw (n from :meth:`update`'s rounding); u_c2c, u_lvl: the
        devices' uniforms for cycle-to-cycle noise and level rounding (None: no noise, nearest level)."""
        xi = uniform_noise(u_c2c) if u_c2c is not None and self.c2c > 0 else None
        n = jnp.minimum(n, self.max_pulses)
        up = dw > 0
        n = computed_once(n, jnp.all(state.counts.pulses >= 0))  # one buffer for both devices and the count

        def device(i, is_set):  # G+ (i = 0) is SET when dw > 0, G- (i = 1) when dw < 0; one device at a time
            g = soft_bound_pulses_from_logs(
                state.g[i], n, log_keep=jnp.where(is_set, state.log_set[i], state.log_reset[i]),
                log_second=jnp.where(is_set, state.log_set2[i], state.log_reset2[i]),
                bound=jnp.where(is_set, state.g_top[i], self.g_min), xi=None if xi is None else xi[i])
            g = self._to_levels(g, None if u_lvl is None else u_lvl[i])
            return jnp.clip(g, self.g_min, state.g_top[i])  # g_top is on the grid: g stays on it

        # each device's chain computed on its own (stacked inside one fusion XLA picks per element between them)
        g = jnp.stack(computed_once((device(0, up), device(1, ~up)), jnp.all(state.counts.pulses >= 0)))
        return state._replace(g=g, counts=add_counts(state.counts, pulses=2 * n.astype(jnp.int32)))

    def maintain(self, state, images, key=None):
        return state

    def elapse(self, state, seconds):
        return state

    def conductances(self, state: RRAMState):
        """(G+, G-, w_per_siemens) for a crossbar computing in this memory."""
        if self.mode == "aihwkit":
            return aihwkit.conductances(state, self.g_min, self.g_max)
        return state.g[0], state.g[1], self.w_per_siemens

    # ------------------------------------------------------------------ helpers

    @property
    def level_spacing(self) -> float | None:
        """Conductance between neighbouring levels (S): (G_max - G_min) / (n_levels - 1); None if continuous."""
        return None if self.n_levels is None else (self.g_max - self.g_min) / (self.n_levels - 1)

    def levels(self, state: RRAMState):
        """Level index (int32, shape (2, *w.shape)) of each device; None without discrete levels."""
        if self.n_levels is None or self.mode == "aihwkit":
            return None
        return jnp.round((state.g - self.g_min) / self.level_spacing).astype(jnp.int32)

    def _to_levels(self, g, u):
        """Round to the level grid: nearest (u None) or up with probability = fractional part (u uniform)."""
        if self.n_levels is None:
            return g
        x = (g - self.g_min) * (1.0 / self.level_spacing)
        x = jnp.floor(x + u) if u is not None else jnp.round(x)
        return self.g_min + x * self.level_spacing
