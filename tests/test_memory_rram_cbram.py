"""RRAM (soft-bound pair, levels) and CBRAM (stochastic few-level) memories against their closed forms."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.memory import MEMORIES, CBRAMMemory, RRAMMemory, make_memory
from photrain.memory.base import soft_bound_pulses
from photrain.memory.rram import reset_curve, set_curve, symmetry_point

KEY = jax.random.PRNGKey(0)


@functools.cache
def _jit(mem, method):
    """One compiled ``mem.<method>`` per device (memories are hashable frozen dataclasses)."""
    return jax.jit(getattr(mem, method))


def upd(mem):
    return _jit(mem, "update")


def ini(mem):
    return _jit(mem, "init")
IDEAL_RRAM = dict(c2c=0.0, step_dtod=0.0, up_down_dtod=0.0, range_dtod=0.0, n_levels=None, read_noise=0.0)


def _pair(mem, w=0.0, shape=(4,)):
    return ini(mem)(jnp.full(shape, w, jnp.float32), None)


# ------------------------------------------------------------------ RRAM


def test_rram_n_pulses_follow_the_soft_bound_closed_form():
    mem = RRAMMemory(**IDEAL_RRAM)
    s = _pair(mem)
    g_star = mem.g_star
    np.testing.assert_allclose(s.g, g_star, rtol=1e-6)  # w = 0 programs both devices at the symmetry point
    n = 37
    s1 = upd(mem)(s, jnp.full((4,), n * mem.nominal_step), None)  # dw > 0: SET on G+, RESET on G-
    np.testing.assert_allclose(s1.g[0], set_curve(g_star, n, a_set=mem.a_set, g_max=mem.g_max), rtol=1e-5)
    np.testing.assert_allclose(s1.g[1], reset_curve(g_star, n, a_reset=mem.a_reset, g_min=mem.g_min), rtol=1e-5)
    assert int(s1.counts.pulses) == 4 * 2 * n
    # at G+ = G- the pair answers up and down requests symmetrically whatever a_set != a_reset
    w_up = mem.read(upd(mem)(s, jnp.full((4,), mem.nominal_step), None))
    w_down = mem.read(upd(mem)(s, jnp.full((4,), -mem.nominal_step), None))
    np.testing.assert_allclose(w_up, mem.nominal_step, rtol=1e-4)
    np.testing.assert_allclose(w_down, -mem.nominal_step, rtol=1e-4)
    # n pulses in one update equal n one-pulse updates
    s2, up = s, upd(mem)
    for _ in range(n):
        s2 = up(s2, jnp.full((4,), mem.nominal_step), None)
    np.testing.assert_allclose(s2.g, s1.g, rtol=1e-5)
    assert int(s2.counts.pulses) == int(s1.counts.pulses)


def test_rram_step_shrinks_geometrically_and_set_reset_are_asymmetric():
    mem = RRAMMemory(**IDEAL_RRAM, a_set=0.05, a_reset=0.12)
    s = _pair(mem, shape=(1,))
    gs = [s.g[:, 0]]
    for _ in range(6):
        s = upd(mem)(s, jnp.array([mem.nominal_step]), None)
        gs.append(s.g[:, 0])
    steps = np.diff(np.array(gs), axis=0)  # (6, 2): G+ steps up, G- steps down
    assert np.all(steps[:, 0] > 0) and np.all(steps[:, 1] < 0)
    np.testing.assert_allclose(steps[1:, 0] / steps[:-1, 0], 1 - 0.05, rtol=1e-4)
    np.testing.assert_allclose(steps[1:, 1] / steps[:-1, 1], 1 - 0.12, rtol=1e-4)
    # first pulses from G*: SET step a_set (G_max - G*), RESET step a_reset (G* - G_min) -- equal at G* only
    g_star = mem.g_star
    np.testing.assert_allclose(steps[0, 0], 0.05 * (mem.g_max - g_star), rtol=1e-4)
    np.testing.assert_allclose(-steps[0, 1], 0.12 * (g_star - mem.g_min), rtol=1e-4)
    # away from G* the same device steps differently up and down: SET/RESET asymmetry
    g = jnp.array([0.8 * mem.g_max])
    up = soft_bound_pulses(g, 1, alpha=0.05, bound=mem.g_max) - g
    down = g - soft_bound_pulses(g, 1, alpha=0.12, bound=mem.g_min)
    np.testing.assert_allclose(down / up, 0.12 * (0.8 * mem.g_max - mem.g_min) / (0.05 * 0.2 * mem.g_max), rtol=1e-4)
    assert float(down[0]) > 5 * float(up[0])


def test_rram_alternating_pulses_settle_at_the_symmetry_point():
    mem = RRAMMemory(**IDEAL_RRAM, a_set=0.04, a_reset=0.1)
    s = ini(mem)(jnp.array([0.9, -0.9, 0.3]), None)  # devices far from G*
    dws = jnp.tile(jnp.array([1.0, -1.0]) * mem.nominal_step, 400)

    def step(state, dw):
        return upd(mem)(state, jnp.full((3,), dw), None), None

    s, _ = jax.lax.scan(step, s, dws)
    g_star = symmetry_point(a_set=0.04, a_reset=0.1, g_min=mem.g_min, g_max=mem.g_max)
    # the two-pulse cycle's fixed point: G after SET then RESET is G*_RESET-side; both within one step of G*
    step_size = 0.04 * (mem.g_max - g_star)
    assert np.all(np.abs(np.asarray(s.g) - g_star) < step_size)
    assert np.all(np.abs(np.asarray(mem.read(s))) < 2 * mem.nominal_step)


def test_rram_cycle_to_cycle_noise_has_the_closed_form_mean_and_variance():
    mem = RRAMMemory(**{**IDEAL_RRAM, "c2c": 0.5}, a_set=0.02, a_reset=0.03)
    m = 40_000
    s = _pair(mem, shape=(m,))
    n = 10
    s1 = upd(mem)(s, jnp.full((m,), n * mem.nominal_step), KEY)
    d0 = mem.g_max - mem.g_star
    mean = mem.g_max - d0 * 0.98**n
    var = d0**2 * ((0.98**2 + (0.02 * 0.5) ** 2) ** n - 0.98 ** (2 * n))
    g = np.asarray(s1.g[0], np.float64)
    assert abs(g.mean() - mean) < 5 * np.sqrt(var / m)
    assert abs(g.var() / var - 1) < 0.05


def test_rram_discrete_levels_count_and_unbiased_level_switching():
    mem = RRAMMemory(**{**IDEAL_RRAM, "n_levels": 8})
    w = jnp.linspace(-1, 1, 401)
    s = ini(mem)(w, None)
    spacing = (mem.g_max - mem.g_min) / 7
    lv = np.asarray(mem.levels(s))
    np.testing.assert_allclose(np.asarray(s.g), mem.g_min + lv * spacing, rtol=1e-5)
    assert set(np.unique(lv)) == set(range(8))  # every one of the 8 levels is used, no more
    # a tiny request switches a level with the probability that keeps the mean on the soft-bound curve
    m = 50_000
    s = ini(mem)(jnp.zeros((m,)), None)
    s1 = upd(mem)(s, jnp.full((m,), 3 * mem.nominal_step), KEY)
    expect = set_curve(s.g[0, 0], 3, a_set=mem.a_set, g_max=mem.g_max)
    change = np.asarray(mem.levels(s1) - mem.levels(s))
    assert set(np.unique(change[0])) == {0, 1} and set(np.unique(change[1])) == {-1, 0}  # one level at most
    se = spacing / np.sqrt(m)
    assert abs(float(jnp.mean(s1.g[0])) - float(expect)) < 5 * se


def test_rram_weights_stay_in_range_under_any_update():
    mem = RRAMMemory()
    k1, k2, k3 = jax.random.split(KEY, 3)
    s, up = ini(mem)(jax.random.uniform(k1, (64, 64), minval=-1, maxval=1), k2), upd(mem)
    for k in jax.random.split(k3, 5):
        s = up(s, 5.0 * jax.random.normal(k, (64, 64)), k)
        w = mem.read(s)
        assert float(jnp.max(jnp.abs(w))) <= mem.w_max * (1 + 1e-6)
        assert float(jnp.min(s.g)) >= mem.g_min * (1 - 1e-6) and float(jnp.max(s.g)) <= mem.g_max * (1 + 1e-6)
    assert int(s.counts.pulses) <= 5 * 2 * 64 * 64 * mem.max_pulses


def test_rram_read_noise_and_conductances():
    mem = RRAMMemory(**{**IDEAL_RRAM, "read_noise": 0.02})
    s = ini(mem)(jnp.full((20_000,), 0.4), None)
    g_pos, g_neg, k = mem.conductances(s)
    np.testing.assert_allclose(k * (g_pos - g_neg), 0.4, rtol=1e-5)
    w = np.asarray(mem.read(s, KEY), np.float64)
    expect_std = k * 0.02 * np.sqrt(float(g_pos[0]) ** 2 + float(g_neg[0]) ** 2)
    assert abs(w.std() / expect_std - 1) < 0.05 and abs(w.mean() - 0.4) < 5 * expect_std / np.sqrt(w.size)


# ------------------------------------------------------------------ CBRAM


def test_cbram_levels_and_reference():
    mem = CBRAMMemory(c2c=0.0)
    np.testing.assert_allclose(mem.level_weights, [-1, -1 / 3, 1 / 3, 1], rtol=1e-6)
    w = jnp.array([-1.0, -0.5, -0.1, 0.2, 0.7, 1.5])
    s = ini(mem)(w, KEY)
    np.testing.assert_array_equal(mem.levels(s), [0, 1, 1, 2, 3, 3])
    np.testing.assert_allclose(mem.read(s), mem.level_weights[np.asarray(mem.levels(s))], atol=1e-6)
    g, g_ref, k = mem.conductances(s)
    assert float(g_ref[0]) == pytest.approx(0.5 * (mem.g_min + mem.g_max)) and float(jnp.max(g)) <= mem.g_max
    assert mem.g_max < 77.5e-6  # subquantum: below the conductance quantum


@pytest.mark.parametrize("p_switch", [1.0, 0.5])
def test_cbram_switching_probability_statistics(p_switch):
    mem = CBRAMMemory(c2c=0.0, p_switch=p_switch)
    m = 40_000
    s = ini(mem)(jnp.full((m,), -1 / 3), None)  # level 1: room to move one level either way
    frac = 0.3
    up = upd(mem)(s, jnp.full((m,), frac * mem.level_step), KEY)
    down = upd(mem)(s, jnp.full((m,), -frac * mem.level_step), KEY)
    p = frac * p_switch
    for st, sign in ((up, 1), (down, -1)):
        change = np.asarray(mem.levels(st) - mem.levels(s))
        assert set(np.unique(change)) <= {0, sign}
        assert abs(np.mean(change != 0) - p) < 5 * np.sqrt(p * (1 - p) / m)
        # pulses count the attempts (every pulse sent), switches happen with p_switch
        assert abs(int(st.counts.pulses) / m - frac) < 5 * np.sqrt(frac * (1 - frac) / m)
    # a full-level request always pulses once (max_levels_per_update = 1), even for |dw| > level_step
    big = upd(mem)(s, jnp.full((m,), 2.5 * mem.level_step), KEY)
    assert int(big.counts.pulses) == m


def test_cbram_cycle_to_cycle_variation_of_the_reached_level_and_range():
    mem = CBRAMMemory(c2c=0.1)
    m = 40_000
    s = ini(mem)(jnp.full((m,), 1 / 3), None)  # level 2, deterministic (no key)
    s1 = upd(mem)(s, jnp.full((m,), -mem.level_step), KEY)  # every device to level 1
    assert np.all(np.asarray(mem.levels(s1)) == 1)
    g = np.asarray(s1.g, np.float64)
    nominal = mem.g_min + mem.spacing
    assert abs(g.mean() - nominal) < 5 * 0.1 * mem.spacing / np.sqrt(m)
    assert abs(g.std() / (0.1 * mem.spacing) - 1) < 0.05
    # many random updates: weights never leave [-w_max, w_max]
    up = upd(mem)
    for k in jax.random.split(KEY, 10):
        s1 = up(s1, 3 * jax.random.normal(k, (m,)), k)
    w = mem.read(s1)
    assert float(jnp.max(jnp.abs(w))) <= mem.w_max + 1e-6
    assert set(np.unique(np.asarray(mem.levels(s1)))) == {0, 1, 2, 3}


def test_cbram_frozen_devices_never_change():
    mem = CBRAMMemory(n_levels=8)
    k1, k2, k3 = jax.random.split(KEY, 3)
    s = ini(mem)(jax.random.uniform(k1, (200, 50), minval=-1, maxval=1), k2)
    mask = jax.random.bernoulli(k3, 0.5, (200, 50))
    s = mem.freeze(s, mask)
    g0, l0 = np.asarray(s.g), np.asarray(s.level)
    pulses_free, up = 0, upd(mem)
    for k in jax.random.split(KEY, 20):
        before = s.counts.pulses
        s = up(s, 2 * jax.random.normal(k, (200, 50)), k)
        pulses_free += int(s.counts.pulses - before)
    frozen = np.asarray(mask)
    np.testing.assert_array_equal(np.asarray(s.g)[frozen], g0[frozen])
    np.testing.assert_array_equal(np.asarray(s.level)[frozen], l0[frozen])
    assert np.any(np.asarray(s.level)[~frozen] != l0[~frozen])
    assert pulses_free == int(s.counts.pulses) and pulses_free <= 20 * int((~frozen).sum())
    assert not np.any(np.asarray(mem.unfreeze(s).frozen))


# ------------------------------------------------------------------ both


@pytest.mark.parametrize("name", ["rram", "cbram"])
def test_updates_are_jittable_and_deterministic_per_key(name):
    mem = make_memory(name)
    assert MEMORIES[name] is type(mem)
    k1, k2, k3 = jax.random.split(KEY, 3)
    s = ini(mem)(jax.random.uniform(k1, (32, 16), minval=-0.5, maxval=0.5), k2)
    dw = 0.05 * jax.random.normal(k3, (32, 16))
    up = upd(mem)
    a, b = up(s, dw, KEY), up(s, dw, KEY)
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    c = up(s, dw, jax.random.PRNGKey(1))
    assert not np.array_equal(np.asarray(mem.read(a)), np.asarray(mem.read(c)))
    assert int(a.counts.pulses) > 0
    assert mem.elapse(a, 3600.0) is a and mem.maintain(a, 100, KEY) is a


@pytest.mark.parametrize(("cls", "params", "word"), [
    (RRAMMemory, dict(g_min=30e-6, g_max=25e-6), "g_min"),
    (RRAMMemory, dict(g_min=-1e-6), "g_min"),
    (RRAMMemory, dict(a_set=1.5), "a_set"),
    (RRAMMemory, dict(a_reset=0.0), "a_reset"),
    (RRAMMemory, dict(c2c=-0.1), "c2c"),
    (RRAMMemory, dict(n_levels=1), "n_levels"),
    (RRAMMemory, dict(w_max=0.0), "w_max"),
    (RRAMMemory, dict(max_pulses=0), "max_pulses"),
    (CBRAMMemory, dict(n_levels=1), "n_levels"),
    (CBRAMMemory, dict(g_min=50e-6, g_max=40e-6), "g_min"),
    (CBRAMMemory, dict(p_switch=0.0), "p_switch"),
    (CBRAMMemory, dict(max_levels_per_update=0), "max_levels_per_update"),
])
def test_bad_parameters_name_the_parameter(cls, params, word):
    with pytest.raises(ValueError, match=rf"^{cls.name}: .*{word}"):
        cls(**params)


def test_registry_rejects_unknown_parameters():
    with pytest.raises(ValueError, match="no parameter 'bogus'.*g_min"):
        make_memory("rram", bogus=1)
    assert make_memory("cbram", n_levels=2).level_weights.tolist() == [-1.0, 1.0]


def test_pulse_response_curves_and_figure():
    from matplotlib.figure import Figure

    from photrain.memory.plots import plot_pulse_response, pulse_response

    mem = RRAMMemory(**{**IDEAL_RRAM, "n_levels": None}, a_set=0.05, a_reset=0.08)
    r = pulse_response(mem, n_up=10, n_down=10, devices=2, key=None)
    assert r["w"].shape == (21, 2) and r["g_pos"].shape == (21, 2)
    np.testing.assert_allclose(r["g_pos"][10], set_curve(mem.g_star, 10, a_set=0.05, g_max=mem.g_max), rtol=1e-5)
    assert np.all(np.diff(r["w"][:11, 0]) > 0) and np.all(np.diff(r["w"][10:, 0]) < 0)
    fig = plot_pulse_response(CBRAMMemory(), n_up=5, n_down=5, devices=2)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    with pytest.raises(ValueError, match="no programming pulse"):
        pulse_response(make_memory("float"))
