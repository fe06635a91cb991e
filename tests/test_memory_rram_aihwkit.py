"""RRAM in aihwkit mode (photrain.memory.rram_aihwkit): aihwkit's ReRamSBPresetDevice statistics and its
stochastic pulse trains, against their closed forms; the default mode is untouched."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.memory import RRAMMemory, make_memory
from photrain.memory import rram_aihwkit as ak

KEY = jax.random.PRNGKey(3)
N = 100_000
DW_MIN = ak.RERAM_SB["dw_min"]
MEM = RRAMMemory(mode="aihwkit")


@functools.cache
def _update():
    return jax.jit(MEM.update)


def _flat(w=0.0, key=None, n=N):
    return MEM.init(jnp.full((n,), w, jnp.float32), key)


def test_default_mode_is_photrain_and_aihwkit_mode_is_selectable():
    assert RRAMMemory().mode == "photrain"
    assert type(RRAMMemory().init(jnp.zeros(3), None)).__name__ == "RRAMState"
    assert isinstance(MEM.init(jnp.zeros(3), None), ak.AihwkitRRAMState)
    mem = make_memory("rram", mode="aihwkit")
    assert mem.mode == "aihwkit" and mem.nominal_step == DW_MIN and mem.write_granularity == DW_MIN
    with pytest.raises(ValueError, match="mode"):
        RRAMMemory(mode="ibm")


def test_pulse_train_counts_are_binomial_with_update_bl_management():
    # max|dw| = 10 dw_min -> BL = 10; a weight asking for 3.3 dw_min gets n ~ Binomial(10, 0.33)
    dw = jnp.full((N,), 3.3 * DW_MIN).at[0].set(10 * DW_MIN)
    assert int(ak.train_length(dw)) == 10
    n = np.asarray(ak.train_counts(dw, KEY))[1:]
    assert np.all(n == np.round(n)) and n.min() >= 0 and n.max() <= 10
    assert abs(n.mean() - 3.3) < 0.03
    assert n.var() == pytest.approx(10 * 0.33 * 0.67, rel=0.03)
    # p > 1/2 (the flipped branch) and a saturated train: at most desired_bl = 31 pulses
    n = np.asarray(ak.train_counts(jnp.full((N,), 0.8 * 31 * DW_MIN).at[0].set(31 * DW_MIN), KEY))[1:]
    assert abs(n.mean() - 0.8 * 31) < 0.03 and n.var() == pytest.approx(31 * 0.8 * 0.2, rel=0.03)
    assert np.all(np.asarray(ak.train_counts(jnp.full((8,), 100 * DW_MIN), KEY)) == 31)
    assert np.all(np.asarray(ak.train_counts(jnp.zeros((8,)), KEY)) == 0)


def test_n_pulses_have_the_additive_noise_closed_form_mean_and_variance():
    # every weight asks for >= 31 dw_min: 31 pulses up from w = 0 on nominal devices (no device-to-device spread)
    st = _update()(_flat(0.0), jnp.full((N,), 40 * DW_MIN), KEY)
    w = np.asarray(st.w)
    b, s, n = ak.RERAM_SB["w_max"], DW_MIN, 31
    a = 1 - s / b
    assert w.mean() == pytest.approx(b - b * a**n, rel=0.01)
    var = (s * ak.RERAM_SB["dw_min_std"]) ** 2 * (1 - a ** (2 * n)) / (1 - a**2)
    assert w.var() == pytest.approx(var, rel=0.03)
    assert int(st.counts.pulses) == n * N
    # down pulses: towards w_min with the same additive noise
    st = _update()(_flat(0.0), jnp.full((N,), -40 * DW_MIN), KEY)
    bm = -ak.RERAM_SB["w_min"]
    assert np.asarray(st.w).mean() == pytest.approx(-(bm - bm * (1 - s / bm) ** n), rel=0.01)


def test_noise_is_additive_a_device_at_its_bound_is_moved_by_a_pulse_towards_it():
    # aihwkit's mult_noise=False: one pulse up at the upper bound still moves the weight (std 3.75 dw_min, then
    # clipped); photrain's multiplicative noise would leave it exactly at the bound
    top = ak.RERAM_SB["w_max"]
    dw = jnp.full((N,), DW_MIN).at[0].set(1.0 * DW_MIN)
    st = _update()(_flat(top), dw, KEY)
    w = np.asarray(st.w)
    assert np.all(w <= top + 1e-6)
    below = w < top - 1e-6
    assert 0.45 < below.mean() < 0.55  # half the draws point away from the bound
    # folded normal: the mean distance is sqrt(2 / pi) 3.75 dw_min / 2 over all devices
    assert (top - w).mean() == pytest.approx(np.sqrt(2 / np.pi) * 3.75 * DW_MIN / 2, rel=0.05)


def test_write_noise_redrawn_on_pulsed_devices_only():
    dw = jnp.zeros((N,)).at[: N // 2].set(31 * DW_MIN)
    st = _update()(_flat(0.0), dw, KEY)
    diff = np.asarray(st.w_apparent - st.w)
    assert diff[: N // 2].std() == pytest.approx(ak.RERAM_SB["write_noise_std"] * DW_MIN, rel=0.02)
    assert np.all(diff[N // 2:] == 0)
    assert np.all(np.asarray(MEM.read(st, KEY)) == np.asarray(st.w_apparent))  # reads return the apparent weights
    assert int(st.counts.pulses) == 31 * (N // 2)


def test_device_to_device_spread_and_clipping_at_init():
    st = _flat(5.0, KEY)
    p = ak.RERAM_SB
    assert float(st.bound_max.mean()) == pytest.approx(p["w_max"], abs=0.01)
    assert float(st.bound_max.std()) == pytest.approx(p["w_max"] * p["w_max_dtod"], rel=0.03)
    assert float(st.bound_min.mean()) == pytest.approx(p["w_min"], abs=0.01)
    assert float(st.bound_min.std()) == pytest.approx(0.3, rel=0.03)
    assert float(st.scale_up.std()) == pytest.approx(DW_MIN * np.hypot(0.3, 0.01), rel=0.03)
    assert np.all(np.asarray(st.w) == np.asarray(st.bound_max))  # 5.0 is above every device's bound: clipped
    up_down = np.asarray(st.scale_up - st.scale_down) / DW_MIN  # 2 r, r ~ 0.01 N(0, 1)
    assert up_down.std() == pytest.approx(0.02, rel=0.03)


def test_deterministic_per_key_and_noise_free_without_a_key():
    st0 = MEM.init(jnp.zeros((64,)), KEY)
    dw = jnp.linspace(-5, 5, 64) * DW_MIN
    a, b = _update()(st0, dw, KEY), _update()(st0, dw, KEY)
    assert np.array_equal(np.asarray(a.w), np.asarray(b.w))
    mean = MEM.update(st0, dw, None)
    assert np.all(np.asarray(mean.w_apparent) == np.asarray(mean.w))
    assert np.all(np.sign(np.asarray(mean.w)) == np.sign(np.round(np.asarray(dw) / DW_MIN)))
    gp, gn, k = MEM.conductances(mean)
    assert np.allclose(k * np.asarray(gp - gn), np.asarray(mean.w), atol=1e-6)
