"""PCM and PCM + 3T1C weight memories: device statistics against their closed forms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.memory import make_memory
from photrain.memory.pcm import PCMMemory
from photrain.memory.pcm3t1c import PCM3T1CMemory

KEY = jax.random.PRNGKey(0)
SPAN = 25e-6 - 0.1e-6


def ideal_pcm(**kw):
    """A PCM without spread or noise (closed forms apply exactly)."""
    base = dict(step_spread=0.0, gmax_spread=0.0, c2c=0.0, read_noise=0.0, nu_std=0.0)
    return PCMMemory(**{**base, **kw})


# ---------------------------------------------------------------------------------------------- PCM
def test_drift_exponent_recovered_from_log_log_slope():
    m = PCMMemory(nu=0.06, nu_std=0.02)
    s = m.init(jnp.full((16, 16), 0.3), KEY)
    times, g = [], []
    t = 0.0
    for dt in [m.t0, 9 * m.t0, 90 * m.t0, 900 * m.t0, 9000 * m.t0]:
        s = m.elapse(s, dt)
        t += dt
        times.append(t)
        g.append(np.asarray(s.g_pos))
    logt, logg = np.log(times), np.log(np.stack(g))
    slope = np.polyfit(logt, logg.reshape(len(times), -1), 1)[0].reshape(s.g_pos.shape)
    np.testing.assert_allclose(-slope, np.asarray(s.nu_pos), rtol=1e-3, atol=1e-5)  # per device
    assert abs(float(np.mean(s.nu_pos)) - 0.06) < 0.005 and abs(float(np.std(s.nu_pos)) - 0.02) < 0.004


def test_drift_composes_and_waits_for_t0():
    m = PCMMemory()
    s = m.init(jnp.full((16, 16), 0.2), KEY)
    a = m.elapse(m.elapse(s, 100.0), 3600.0)
    b = m.elapse(s, 3700.0)
    np.testing.assert_allclose(a.g_pos, b.g_pos, rtol=1e-5)
    np.testing.assert_array_equal(m.elapse(s, 0.5 * m.t0).g_pos, s.g_pos)  # no drift before t0


def test_saturating_step_shrinks_with_g_per_closed_form():
    m = ideal_pcm()
    g0 = m.g_min + SPAN * jnp.linspace(0.0, 0.9, 10)
    s = m.init(jnp.zeros(10), None)._replace(g_pos=g0)
    one = m.update(s, jnp.full(10, m.nominal_step), None)
    dg = np.asarray(one.g_pos - g0)
    np.testing.assert_allclose(dg, m.set_step * (m.g_max - np.asarray(g0)) / SPAN, rtol=1e-4)
    assert np.all(np.diff(dg) < 0)  # the step shrinks as G grows
    # n pulses at once == n single pulses in sequence == the closed form
    n = 17
    many = m.update(s, jnp.full(10, n * m.nominal_step), None)
    seq = s
    for _ in range(n):
        seq = m.update(seq, jnp.full(10, m.nominal_step), None)
    closed = m.g_max - (m.g_max - g0) * (1 - m.set_step / SPAN) ** n
    np.testing.assert_allclose(many.g_pos, closed, rtol=1e-5)
    np.testing.assert_allclose(seq.g_pos, closed, rtol=1e-4)
    assert int(many.counts.pulses) == 10 * n


def test_set_only_potentiation_and_unbiased_pulse_count():
    m = PCMMemory()
    s = m.init(0.1 * jax.random.normal(KEY, (16, 16)), KEY)
    dw = 3 * m.nominal_step * jax.random.normal(jax.random.PRNGKey(1), (16, 16))
    new = jax.jit(m.update)(s, dw, jax.random.PRNGKey(2))
    # SET only: no device ever loses conductance in an update; G+ moves only where dw > 0
    assert np.all(np.asarray(new.g_pos) >= np.asarray(s.g_pos))
    assert np.all(np.asarray(new.g_neg) >= np.asarray(s.g_neg))
    assert np.all(np.asarray(new.g_pos)[np.asarray(dw) <= 0] == np.asarray(s.g_pos)[np.asarray(dw) <= 0])
    # stochastic rounding: E[pulses] = sum |dw| / nominal_step (5 sigma of the Bernoulli remainders)
    expect = float(jnp.sum(jnp.abs(dw)) / m.nominal_step)
    assert abs(int(new.counts.pulses) - expect) < 5 * np.sqrt(expect)


def test_cycle_to_cycle_noise_has_the_closed_form_variance():
    m = ideal_pcm(c2c=0.6)
    g0 = jnp.full((200_000,), m.g_min)
    s = m.init(jnp.zeros(g0.shape), None)
    n = 5
    new = m.update(s, jnp.full(g0.shape, n * m.nominal_step), KEY)
    a = m.set_step / SPAN
    d = np.asarray(m.g_max - new.g_pos) / SPAN
    assert abs(d.mean() - (1 - a) ** n) < 1e-4
    var = ((1 - a) ** 2 + (a * 0.6) ** 2) ** n - (1 - a) ** (2 * n)
    assert abs(d.var() / var - 1) < 0.02


def test_refresh_resets_saturated_device_and_preserves_weight():
    m = PCMMemory(c2c=0.3)
    w = jnp.array([0.3, -0.2, 0.1, 0.0])
    s = m.init(w, KEY)
    # push both devices of pairs 0, 1 high (same weight), leave pairs 2, 3 alone
    lift = jnp.array([0.6, 0.7, 0.0, 0.0]) * SPAN
    s = s._replace(g_pos=s.g_pos + lift, g_neg=s.g_neg + lift)
    w_before = m.read(s)
    assert list(np.asarray(m.saturated(s))) == [True, True, False, False]
    r = m.refresh(s, jax.random.PRNGKey(3))
    np.testing.assert_allclose(m.read(r), w_before, atol=m.tune_tolerance * m.weight_per_siemens * 1.01)
    g_pos, g_neg = np.asarray(r.g_pos), np.asarray(r.g_neg)
    # the pair was RESET: the device not carrying the weight is back near g_min (tuning may add a step or two)
    assert g_neg[0] < m.g_min + 3 * m.set_step and g_pos[1] < m.g_min + 3 * m.set_step
    np.testing.assert_array_equal(g_pos[2:], np.asarray(s.g_pos)[2:])
    assert int(r.counts.refreshes) == 4 and int(r.counts.pulses) > 4
    assert not np.any(np.asarray(m.saturated(r)))


def test_maintain_refreshes_only_every_refresh_interval():
    m = PCMMemory(refresh_interval=100, c2c=0.3)
    s = m.init(jnp.array([0.2, -0.2, 0.0, 0.1]), KEY)
    s = s._replace(g_pos=s.g_pos + 0.8 * SPAN, g_neg=s.g_neg + 0.8 * SPAN)
    step = jax.jit(m.maintain)
    s1 = step(s, 64, KEY)
    assert int(s1.counts.refreshes) == 0 and int(s1.images) == 64
    s2 = step(s1, 64, KEY)
    assert int(s2.counts.refreshes) == 8 and int(s2.images) == 0


def test_init_programs_within_tolerance_and_read_noise():
    m = PCMMemory()
    w = 0.5 * jax.random.uniform(KEY, (16, 16), minval=-1, maxval=1)
    s = m.init(w, KEY)
    assert float(jnp.max(jnp.abs(m.read(s) - w))) <= m.tune_tolerance * m.weight_per_siemens * 1.01
    g, gn, k = m.conductances(s)
    np.testing.assert_allclose(k * (g - gn), m.read(s), rtol=1e-6)
    big = m.init(0.5 * jax.random.uniform(KEY, (200, 200), minval=-1, maxval=1), None)  # placed, not tuned
    noisy = m.read(big, jax.random.PRNGKey(5)) - m.read(big)
    sigma = m.read_noise * jnp.sqrt(big.g_pos**2 + big.g_neg**2) * m.weight_per_siemens
    assert abs(float(jnp.std(noisy / sigma)) - 1) < 0.02  # 4e4 samples: 0.0035 std of the estimate


def test_pcm_jittable_and_same_key_deterministic():
    m = PCMMemory(refresh_interval=64)
    s = m.init(0.1 * jax.random.normal(KEY, (16, 16)), KEY)
    dw = 0.02 * jax.random.normal(jax.random.PRNGKey(1), (16, 16))

    def step(s, k):
        return m.maintain(m.update(s, dw, k), 64, k)

    jitted = jax.jit(step)
    a = jitted(s, jax.random.PRNGKey(7))
    b = jitted(s, jax.random.PRNGKey(7))
    d = jitted(s, jax.random.PRNGKey(8))
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert int(a.counts.refreshes) >= 0 and int(a.images) == 0  # the refresh check ran (64 >= refresh_interval)
    assert not np.array_equal(a.g_pos, d.g_pos)


@pytest.mark.parametrize("params, word", [
    (dict(g_min=30e-6, g_max=25e-6), "g_min"),
    (dict(nu=-0.1), "nu"),
    (dict(set_step=0.0), "set_step"),
    (dict(refresh_interval=0), "refresh_interval"),
    (dict(c2c=-1.0), "c2c"),
    (dict(refresh_threshold=1.5), "refresh_threshold"),
    (dict(t0=0.0), "t0"),
])
def test_pcm_bad_parameters_name_the_parameter(params, word):
    with pytest.raises(ValueError, match=word):
        PCMMemory(**params)


# ---------------------------------------------------------------------------------------------- PCM + 3T1C
def ideal_3t1c(**kw):
    base = dict(step_spread=0.0, gmax_spread=0.0, c2c=0.0, read_noise=0.0, nu_std=0.0, cap_step_spread=0.0,
                cap_asymmetry_spread=0.0, cap_c2c=0.0, leak_tau=1e12)
    return PCM3T1CMemory(**{**base, **kw})


def test_3t1c_mapping_and_init():
    m = PCM3T1CMemory()
    w = 0.3 * jax.random.uniform(KEY, (16, 16), minval=-1, maxval=1)
    s = m.init(w, KEY)
    np.testing.assert_allclose(m.read(s), w, atol=1e-6)  # PCM tuning residual absorbed by the capacitor
    np.testing.assert_allclose(m.msp(s) + m.lsp(s), m.read(s), rtol=1e-6)
    assert m.gain == 3.0 and m.transfer_interval == 8000 and float(s.polarity) == 1.0
    gp, gn, k = m.conductances(s)
    np.testing.assert_allclose(k * (gp - gn), m.read(s), atol=1e-6)
    flipped = s._replace(polarity=-s.polarity)
    gp, gn, k = m.conductances(flipped)
    np.testing.assert_allclose(k * (gp - gn), m.read(flipped), atol=1e-6)


def test_3t1c_update_is_linear_with_per_device_up_down_steps():
    m = ideal_3t1c()
    s = m.init(jnp.zeros(4), None)
    s = s._replace(cap_up=jnp.array([1.0, 1.2, 1.0, 0.7]), cap_down=jnp.array([1.0, 0.8, 1.0, 1.3]))
    dw = jnp.array([5, 5, -5, -5]) * m.nominal_step
    new = m.update(s, dw, None)
    np.testing.assert_allclose(m.read(new) - m.read(s), dw * jnp.array([1.0, 1.2, 1.0, 1.3]), rtol=1e-4)
    # with p = -1 a positive request discharges the capacitor (down step factor)
    neg = s._replace(polarity=-s.polarity)
    new = m.update(neg, dw, None)
    np.testing.assert_allclose(m.read(new) - m.read(neg), dw * jnp.array([1.0, 0.8, 1.0, 0.7]), rtol=1e-4)
    assert int(new.counts.pulses) == 20
    # PCM untouched by updates
    np.testing.assert_array_equal(new.g_pos, s.g_pos)


def test_3t1c_rc_leakage_matches_exponential():
    m = PCM3T1CMemory(leak_tau=0.5, seconds_per_image=1e-4)
    s = m.init(jnp.zeros((16, 16)), KEY)
    s = s._replace(g_cap=jnp.linspace(0, m.cap_g_max, 256).reshape(16, 16))
    for t in [0.01, 0.3, 2.0]:
        np.testing.assert_allclose(m.elapse(s, t).g_cap, s.g_cap * np.exp(-t / 0.5), rtol=1e-5)
    after = jax.jit(m.maintain)(s, 1000, KEY)  # 1000 images x 1e-4 s, no transfer due
    np.testing.assert_allclose(after.g_cap, s.g_cap * np.exp(-0.1 / 0.5), rtol=1e-5)
    assert int(after.counts.transfers) == 0


def test_3t1c_transfer_preserves_weight_within_tolerance():
    m = PCM3T1CMemory()
    s = m.init(0.2 * jax.random.normal(KEY, (16, 16)), KEY)
    s = s._replace(g_cap=s.g_cap + 0.3 * m.cap_g_max * jax.random.uniform(KEY, (16, 16), minval=-1, maxval=1))
    w0 = m.read(s)
    t = jax.jit(m.transfer)(s, jax.random.PRNGKey(1))
    # the pair takes the weight to within its tuning tolerance; the residual stays on the capacitor,
    # so the weight itself is preserved to float32 rounding and the capacitor is (nearly) reset
    np.testing.assert_allclose(m.read(t), w0, atol=1e-6)
    assert float(jnp.max(jnp.abs(m.msp(t) - w0))) <= m.tune_tolerance * m.gain * m.weight_per_siemens * 1.001
    assert float(jnp.max(jnp.abs(t.g_cap - m.g_ref))) <= m.gain * m.tune_tolerance * 1.001
    assert float(t.polarity) == -1.0 and int(t.counts.transfers) == 256 and int(t.counts.pulses) > 256
    keep = PCM3T1CMemory(polarity_inversion=False).transfer(s, jax.random.PRNGKey(1))
    assert float(keep.polarity) == 1.0
    plain = PCM3T1CMemory(keep_residual=False)  # Ambrogio's plain reset: the weight keeps only the PCM's precision
    t = plain.transfer(s, jax.random.PRNGKey(1))
    np.testing.assert_allclose(t.g_cap, plain.g_ref)
    assert float(jnp.max(jnp.abs(plain.read(t) - w0))) <= plain.tune_tolerance * plain.gain * plain.weight_per_siemens * 1.001
    assert float(jnp.max(jnp.abs(plain.read(t) - w0))) > 1e-4


def test_3t1c_maintain_transfers_every_interval():
    m = PCM3T1CMemory(transfer_interval=100)
    s = m.init(jnp.zeros((16, 16)), KEY)
    step = jax.jit(m.maintain)
    s = step(s, 64, KEY)
    assert int(s.counts.transfers) == 0
    s = step(s, 64, KEY)
    assert int(s.counts.transfers) == 256 and int(s.images) == 28 and float(s.polarity) == -1.0


@pytest.mark.parametrize("inversion", [True, False])
def test_polarity_inversion_cancels_up_down_asymmetry_over_two_transfers(inversion):
    """Zero-mean requests (+d, -d, ...) on a cell whose up step is 1.1 and down step 0.9 of nominal.

    Without inversion every +d/-d pair leaves +0.2 d of weight: after 2 intervals of K requests the
    bias is 2 (K/2) 0.2 d. With inversion the second interval's bias is -0.2 d per pair: the sum cancels
    (to within the two transfers' tuning tolerance).
    """
    interval = 1000
    m = ideal_3t1c(transfer_interval=interval, polarity_inversion=inversion, c2c=0.3)
    s = m.init(jnp.zeros(4), KEY)
    s = s._replace(cap_up=jnp.full(4, 1.1), cap_down=jnp.full(4, 0.9))
    w0 = m.read(s)
    d = m.nominal_step
    signs = jnp.tile(jnp.array([1.0, -1.0]), interval)  # 2 intervals of requests, zero mean

    def step(s, xs):
        sign, k = xs
        s = m.update(s, jnp.full(4, sign * d), k)
        return m.maintain(s, 1, k), None

    keys = jax.random.split(jax.random.PRNGKey(4), signs.shape[0])
    s, _ = jax.jit(lambda s: jax.lax.scan(step, s, (signs, keys)))(s)
    assert int(s.counts.transfers) == 2 * 4
    bias = np.asarray(m.read(s) - w0)
    tol = 2 * m.tune_tolerance * m.gain * m.weight_per_siemens  # two transfers
    expected_without = 2 * (interval / 2) * 0.2 * d
    if inversion:
        assert np.all(np.abs(bias) <= tol * 1.001)
        assert abs(bias.mean()) < 0.1 * expected_without
    else:
        np.testing.assert_allclose(bias, expected_without, atol=tol * 1.001)


def test_3t1c_jittable_and_same_key_deterministic():
    m = PCM3T1CMemory(transfer_interval=128)
    s = m.init(0.1 * jax.random.normal(KEY, (16, 16)), KEY)
    dw = 0.01 * jax.random.normal(jax.random.PRNGKey(1), (16, 16))

    def run(s, k):
        for i in range(3):
            s = m.maintain(m.update(s, dw, jax.random.fold_in(k, i)), 64, jax.random.fold_in(k, 100 + i))
        return s

    jitted = jax.jit(run)
    a = jitted(s, jax.random.PRNGKey(7))
    b = jitted(s, jax.random.PRNGKey(7))
    c = jitted(s, jax.random.PRNGKey(8))
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(x, y)
    assert int(a.counts.transfers) == 256 and not np.array_equal(a.g_cap, c.g_cap)


@pytest.mark.parametrize("params, word", [
    (dict(transfer_interval=0), "transfer_interval"),
    (dict(gain=0.0), "gain"),
    (dict(leak_tau=-1.0), "leak_tau"),
    (dict(cap_levels=1), "cap_levels"),
    (dict(polarity_inversion="yes"), "polarity_inversion"),
    (dict(g_min=30e-6, g_max=25e-6), "g_min"),
    (dict(nu=-0.01), "nu"),
])
def test_3t1c_bad_parameters_name_the_parameter(params, word):
    with pytest.raises(ValueError, match=word):
        PCM3T1CMemory(**params)


def test_registry_builds_both_pcm_memories():
    assert isinstance(make_memory("pcm"), PCMMemory)
    m = make_memory("pcm-3t1c", transfer_interval=500, polarity_inversion=False)
    assert m.name == "pcm-3t1c" and m.transfer_interval == 500
    with pytest.raises(ValueError, match="transfer_interval"):
        make_memory("pcm-3t1c", transfer_interval=0)
