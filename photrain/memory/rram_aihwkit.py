"""RRAM in aihwkit's terms: ``RRAMMemory(mode="aihwkit")``, IBM aihwkit's ``ReRamSBPresetDevice`` trained with
its stochastic pulse trains.

photrain's own RRAM (:mod:`photrain.memory.rram`, the default) keeps the preset's step sizes and spreads but has
multiplicative cycle-to-cycle noise (0.3 per pulse), 64 conductance levels and deterministic pulse counts. This
mode follows aihwkit 1.2.0 instead (source files named below, paths in its sdist / GitHub repository IBM/aihwkit):

**Device** (``src/aihwkit/simulator/presets/devices.py``, ``ReRamSBPresetDevice(SoftBoundsReferenceDevice)``):
one device per weight, in weight units (aihwkit's ``MappingParameter.weight_scaling_omega = 0``: no output
scale), with dw_min = 0.002, up_down = 0, w_max = 1.25, w_min = -0.75, mult_noise = False, dw_min_dtod = 0.3,
up_down_dtod = 0.01, w_max_dtod = 0.3/1.25, w_min_dtod = 0.3/0.75, dw_min_std = 3.75, write_noise_std = 56.
Device-to-device spread (``src/rpucuda/rpu_pulsed_device.cpp``, ``PulsedRPUDevice::populate``, with
``enforce_consistency = True``): bound_max = |w_max (1 + w_max_dtod xi1)|, bound_min = -|w_min (1 + w_min_dtod
xi2)|, gain = 1 + dw_min_dtod xi3, r = up_down_dtod xi4, scale_up = |gain + r| dw_min, scale_down = |gain - r| dw_min.
``init`` clips the programmed weights into each device's bounds (``PulsedRPUDevice::onSetWeights``).

**One pulse** (``src/rpucuda/rpu_softbounds_reference_device.cpp``, ``update_once_add``; reference 0):

    up:    w <- w + scale_up   (1 - w / bound_max + dw_min_std xi)
    down:  w <- w - scale_down (1 - w / bound_min + dw_min_std xi)

then w clipped to [bound_min, bound_max], and the *apparent* weight (the one every product reads) redrawn as
w + write_noise_std dw_min xi' (``getScaledWriteNoise``: 56 x 0.002 = 0.112). The noise is additive: a pulse
moves the weight by 3.75 dw_min (std) whatever its distance to the bound.

n pulses in one direction, closed form (the map is affine in w with Gaussian noise, so this is exact before
the clip): the distance d to the bound (bound_max - w up, w - bound_min down) after n pulses has
E[d_n] = d_0 a^n and Var[d_n] = (s dw_min_std)^2 (1 - a^(2n)) / (1 - a^2), with s the device's scale and
a = 1 - s / |bound|: :func:`pulse_moments`. The result is one Gaussian draw per device, clipped to the bounds
once (aihwkit clips after every pulse: the two differ only for a device within a few noise steps of a bound).

**Pulse trains** (``src/aihwkit/simulator/parameters/training.py`` ``UpdateParameters``: desired_bl = 31,
pulse_type = StochasticCompressed, update_bl_management = True, update_management = True;
``src/rpucuda/rpu_pulsed_meta_parameter.cpp`` ``performUpdateManagement``): for a rank-1 update
dw = lr x dᵀ aihwkit sets the train length BL = min(ceil(max|dw| / dw_min), desired_bl) and the probabilities
of the x and d bits so that a weight's coincidence count n over the BL slots is Binomial(BL, p) with
p = min(|dw| / (BL dw_min), 1) (E[n] dw_min = |dw| until the train saturates at 31 pulses). Here each write
(the optimiser's dw for the step) is one such train: n ~ Binomial(BL, p) per weight (:func:`train_counts`,
drawn by inverting its CDF, <= 31 multiply-adds per weight; ``jax.random.binomial`` costs 100x more).

**What is not aihwkit's here.** (1) aihwkit writes a mini-batch as one pulse train *per example*
(``RPUAbstract::updateMatrix`` loops ``updateVector`` over the batch), each capped at 31 pulses, whose up and
down pulses cancel in the mean but not in the noise; photrain's ``fit`` hands the memory the batch's summed
update, written as one train: fewer pulses, so less cycle-to-cycle noise per step than aihwkit on the same
batch. (2) The coincidences of one train share their x and d bits in aihwkit (correlated along rows and
columns); here every weight's count is drawn independently with the same marginal distribution. (3) aihwkit's
forward and backward periphery (``IOParameters``: 7-bit inputs, 9-bit outputs, output noise 0.06, noise and bound
management) belongs to the core, not to the memory: it is not part of this mode.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from photrain.memory.base import Counts, add_counts, zero_counts

#: aihwkit 1.2.0 ``ReRamSBPresetDevice`` (src/aihwkit/simulator/presets/devices.py), every field it sets.
RERAM_SB = {"dw_min": 0.002, "up_down": 0.0, "w_max": 1.25, "w_min": -0.75, "mult_noise": False,
            "dw_min_dtod": 0.3, "up_down_dtod": 0.01, "w_max_dtod": 0.3 / 1.25, "w_min_dtod": 0.3 / 0.75,
            "dw_min_std": 3.75, "write_noise_std": 56.0}
#: aihwkit 1.2.0 ``UpdateParameters`` defaults (src/aihwkit/simulator/parameters/training.py), the ones used here.
UPDATE = {"desired_bl": 31, "pulse_type": "StochasticCompressed", "update_bl_management": True,
          "update_management": True}
#: |weight| that maps onto the whole conductance window in :func:`conductances` (the bounds' +3 sigma reach 2.15)
W_SPAN = 2.5


class AihwkitRRAMState(NamedTuple):
    """One device per weight (arrays of the weights' shape): aihwkit's persistent and apparent weights and the
    device's sampled parameters."""

    w: jax.Array  # persistent weight (aihwkit's w_persistent_)
    w_apparent: jax.Array  # what a read returns: w plus the write noise of the device's last pulse
    bound_max: jax.Array  # > 0
    bound_min: jax.Array  # < 0
    scale_up: jax.Array  # weight change of one up pulse at w = 0 (dw_min times the device's gain)
    scale_down: jax.Array
    counts: Counts


def init(w, key=None) -> AihwkitRRAMState:
    """Devices with aihwkit's device-to-device spread (none without a key), weights clipped into their bounds."""
    p = RERAM_SB
    w = jnp.asarray(w, jnp.float32)
    if key is None:
        xi = jnp.zeros((4, *w.shape), w.dtype)
    else:
        xi = jax.random.normal(key, (4, *w.shape), w.dtype)
    bound_max = jnp.abs(p["w_max"] * (1 + p["w_max_dtod"] * xi[0]))
    bound_min = -jnp.abs(p["w_min"] * (1 + p["w_min_dtod"] * xi[1]))
    gain, r = 1 + p["dw_min_dtod"] * xi[2], p["up_down_dtod"] * xi[3]
    scale_up = jnp.abs(gain + r) * p["dw_min"]
    scale_down = jnp.abs(gain - r) * p["dw_min"]
    w = jnp.clip(w, bound_min, bound_max)
    return AihwkitRRAMState(w, w, bound_max, bound_min, scale_up, scale_down, zero_counts())


def train_length(dw, dw_min: float = RERAM_SB["dw_min"], desired_bl: int = UPDATE["desired_bl"]):
    """aihwkit's update-BL management: BL = min(ceil(max|dw| / dw_min), desired_bl), at least 1 (int32 scalar)."""
    k = jnp.max(jnp.abs(dw)) / dw_min
    return jnp.clip(jnp.ceil(k), 1, desired_bl).astype(jnp.int32)


def train_counts(dw, key, dw_min: float = RERAM_SB["dw_min"], desired_bl: int = UPDATE["desired_bl"]):
    """Pulse counts of one stochastic train (float32, shape of dw): n ~ Binomial(BL, min(|dw| / (BL dw_min), 1)).

    Drawn by inverting the binomial CDF with one uniform per weight (the pmf by its recursion
    pmf(k + 1) = pmf(k) (BL - k) / (k + 1) q / (1 - q); for q > 1/2 the count is BL - Binomial(BL, 1 - q),
    so pmf(0) >= 2^-31 never underflows)."""
    bl = train_length(dw, dw_min, desired_bl)
    blf = bl.astype(jnp.float32)
    p = jnp.minimum(jnp.abs(dw).astype(jnp.float32) / (blf * dw_min), 1.0)
    flip = p > 0.5
    q = jnp.where(flip, 1.0 - p, p)
    u = jax.random.uniform(key, p.shape, jnp.float32)
    ratio = q / jnp.maximum(1.0 - q, 1e-30)
    pmf = jnp.exp(blf * jnp.log1p(-q))  # P(n = 0)

    def body(k, carry):
        n, cdf, pmf = carry
        n = n + (u > cdf + pmf).astype(jnp.float32) * (k < bl)  # past P(n <= k): at least k + 1
        cdf = cdf + pmf
        pmf = pmf * jnp.maximum(blf - k, 0.0) / (k + 1) * ratio
        return n, cdf, pmf

    n, _, _ = jax.lax.fori_loop(0, desired_bl, body, (jnp.zeros_like(p), jnp.zeros_like(p), pmf))
    n = jnp.minimum(n, blf)
    return jnp.where(flip, blf - n, n)


def pulse_moments(d0, n, scale, bound_abs, dw_min_std: float = RERAM_SB["dw_min_std"]):
    """(mean, std) of the distance to the bound after n additive-noise soft-bound pulses (module docstring):
    E = d0 a^n, Var = (scale dw_min_std)^2 (1 - a^(2n)) / (1 - a^2), a = 1 - scale / bound_abs."""
    log_a = jnp.log1p(-jnp.minimum(scale / bound_abs, 0.999))
    mean = d0 * jnp.exp(n * log_a)
    var = (scale * dw_min_std) ** 2 * jnp.expm1(2 * n * log_a) / jnp.expm1(2 * log_a)
    return mean, jnp.sqrt(jnp.maximum(var, 0.0))


def update(state: AihwkitRRAMState, dw, key=None, *, max_pulses: int = UPDATE["desired_bl"]) -> AihwkitRRAMState:
    """Write dw as one stochastic pulse train (module docstring). Without a key: n = round(|dw| / dw_min)
    (capped at the train length), the mean conductance response and no write noise."""
    p = RERAM_SB
    dw = jnp.asarray(dw, state.w.dtype)
    bl = min(int(max_pulses), UPDATE["desired_bl"])
    if key is None:
        n = jnp.minimum(jnp.round(jnp.abs(dw) / p["dw_min"]), bl)
        xi = xi_write = None
    else:
        k_n, k_c2c, k_wn = jax.random.split(key, 3)
        n = train_counts(dw, k_n, p["dw_min"], bl)
        xi = jax.random.normal(k_c2c, dw.shape, dw.dtype)
        xi_write = jax.random.normal(k_wn, dw.shape, dw.dtype)
    up = dw > 0
    d0 = jnp.where(up, state.bound_max - state.w, state.w - state.bound_min)
    scale = jnp.where(up, state.scale_up, state.scale_down)
    mean, std = pulse_moments(d0, n, scale, jnp.where(up, state.bound_max, -state.bound_min), p["dw_min_std"])
    d = mean if xi is None else mean + std * xi
    w = jnp.where(up, state.bound_max - d, state.bound_min + d)
    w = jnp.clip(w, state.bound_min, state.bound_max)
    w = jnp.where(n > 0, w, state.w)
    if xi_write is None:
        apparent = jnp.where(n > 0, w, state.w_apparent)
    else:
        apparent = jnp.where(n > 0, w + p["write_noise_std"] * p["dw_min"] * xi_write, state.w_apparent)
    return state._replace(w=w, w_apparent=apparent,
                          counts=add_counts(state.counts, pulses=n.astype(jnp.int32)))


def read(state: AihwkitRRAMState):
    """The apparent weights (aihwkit's forward and backward use them; the preset has no read noise)."""
    return state.w_apparent


def conductances(state: AihwkitRRAMState, g_min: float, g_max: float):
    """(G+, G-, w_per_siemens) for a crossbar: G+- = centre +- w / (2 k) with k = 2 W_SPAN / (g_max - g_min), so
    |w| <= W_SPAN fills the window (aihwkit models no conductances; this mapping is photrain's)."""
    k = 2 * W_SPAN / (g_max - g_min)
    centre = 0.5 * (g_min + g_max)
    half = jnp.clip(state.w_apparent, -W_SPAN, W_SPAN) / (2 * k)
    return centre + half, centre - half, k
