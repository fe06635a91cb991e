"""Crossbar core: Ohm/Kirchhoff products, read and TIA noise statistics, converters, tiling, memory conductances."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.constants import K_B, Q_E
from photrain.cores import CrossbarCore, CrossbarReadout, program_tiles, tile_counts, tile_matvec
from photrain.memory import RRAMMemory

KEY = jax.random.PRNGKey(0)
QUIET = CrossbarReadout(noise=False)


class _Jitted:
    """A core's products, programming and noise as compiled programs, one per core and call (eagerly every op
    compiles on its own): the same functions, the same draws for the same key."""

    def __init__(self, core):
        self.core = core
        self.matvec, self.matvec_t = jax.jit(core.matvec), jax.jit(core.matvec_t)
        self.program, self.effective_matrix = jax.jit(core.program), jax.jit(core.effective_matrix)
        self.noise_std = jax.jit(core.noise_std, static_argnames="transpose")


def _wx(rows=24, cols=40, batch=6, seed=0):
    kw, kx = jax.random.split(jax.random.PRNGKey(seed))
    return jax.random.normal(kw, (rows, cols)), jax.random.normal(kx, (batch, cols))


def test_noise_free_product_is_ohm_and_kirchhoff():
    core = CrossbarCore(64, 64, read_voltage=0.3, readout=QUIET)
    gp = jax.random.uniform(KEY, (24, 40), minval=5e-6, maxval=100e-6)
    gn = jax.random.uniform(jax.random.PRNGKey(1), (24, 40), minval=5e-6, maxval=100e-6)
    s = jax.jit(core.from_conductances)(gp, gn, 2e4)
    _, x = _wx()
    xmax = np.max(np.abs(np.asarray(x)), axis=1, keepdims=True)
    v = 0.3 * np.asarray(x) / xmax  # read voltages
    current = v @ (np.asarray(gp) - np.asarray(gn)).T  # I_i = sum_j (G+_ij - G-_ij) V_j
    j = _Jitted(core)
    np.testing.assert_allclose(j.matvec(x, s, KEY), current / 0.3 * xmax * 2e4, rtol=2e-5, atol=1e-5)
    w = j.effective_matrix(s)
    np.testing.assert_allclose(j.matvec(x, s), x @ w.T, rtol=2e-5, atol=1e-5)
    d = jax.random.normal(jax.random.PRNGKey(2), (5, 24))
    np.testing.assert_allclose(j.matvec_t(d, s), d @ w, rtol=2e-5, atol=1e-5)  # drive rows, read columns


def test_program_uses_the_window_and_tiles_agree():
    w, x = _wx(rows=30, cols=50)
    big = CrossbarCore(64, 64, readout=QUIET)
    s = jax.jit(big.program)(w)
    assert float(jnp.min(s.g_pos)) == pytest.approx(big.g_min) and float(jnp.max(jnp.maximum(s.g_pos, s.g_neg))) == \
        pytest.approx(big.g_max, rel=1e-6)
    np.testing.assert_allclose(big.effective_matrix(s), w, atol=1e-5)
    small = CrossbarCore(8, 16, readout=QUIET)  # 50 inputs over 4 tiles inside one matvec
    np.testing.assert_allclose(jax.jit(lambda x, w: small.matvec(x, small.program(w)))(x, w), x @ w.T, rtol=1e-4,
                               atol=1e-4)
    y, counts = tile_matvec(small, program_tiles(small, np.asarray(w)), x)
    np.testing.assert_allclose(y, x @ w.T, rtol=1e-4, atol=1e-4)
    assert counts == tile_counts(small, (30, 50), 6) and counts.optical_energy == 0.0 and counts.passes == 4 * 4
    with pytest.raises(ValueError, match="40 features"):
        small.matvec(jnp.ones((2, 40)), small.program(w))


def test_read_noise_has_the_stated_variance():
    core = CrossbarCore(16, 16, read_noise=0.05, readout=CrossbarReadout(tia_noise=False))
    j = _Jitted(core)
    w, x = _wx(rows=5, cols=40, batch=1)
    s = j.program(w)
    xs = jnp.tile(x, (20_000, 1))
    y = np.asarray(j.matvec(xs, s, KEY), np.float64)
    # closed form: Var I_i = sigma^2 sum_j V_j^2 (G+_ij^2 + G-_ij^2), in weight units
    xmax = float(jnp.max(jnp.abs(x)))
    v = core.read_voltage * np.asarray(x[0]) / xmax
    var_i = 0.05**2 * (v**2) @ (np.asarray(s.g_pos) ** 2 + np.asarray(s.g_neg) ** 2).T
    std = np.sqrt(var_i) / core.read_voltage * xmax * float(s.w_per_siemens)
    np.testing.assert_allclose(j.noise_std(x, s)[0], std, rtol=1e-4)
    np.testing.assert_allclose(y.std(axis=0), std, rtol=0.04)
    np.testing.assert_allclose(y.mean(axis=0), np.asarray(x @ w.T)[0], atol=5 * std.max() / np.sqrt(20_000))
    # the transposed read has the same law with the transposed conductances
    d = jax.random.normal(KEY, (1, 5))
    yt = np.asarray(j.matvec_t(jnp.tile(d, (20_000, 1)), s, KEY), np.float64)
    np.testing.assert_allclose(yt.std(axis=0), j.noise_std(d, s, transpose=True)[0], rtol=0.04)


def test_tia_thermal_and_shot_noise():
    ro = CrossbarReadout(bandwidth=1e9, load_resistance=1e3)
    core = CrossbarCore(64, 64, read_noise=0.0, readout=ro)
    j = _Jitted(core)
    w, x = _wx(rows=3, cols=20, batch=1)
    s = j.program(w)
    xmax = float(jnp.max(jnp.abs(x)))
    v = core.read_voltage * np.abs(np.asarray(x[0])) / xmax
    cells = v @ (np.asarray(s.g_pos) + np.asarray(s.g_neg)).T
    var = 2 * 4 * K_B * 300.0 * 1e9 / 1e3 + 2 * Q_E * cells * 1e9  # two TIAs per output + shot of cell currents
    std = np.sqrt(var) / core.read_voltage * xmax * float(s.w_per_siemens)
    np.testing.assert_allclose(j.noise_std(x, s)[0], std, rtol=1e-4)
    y = np.asarray(j.matvec(jnp.tile(x, (20_000, 1)), s, KEY), np.float64)
    np.testing.assert_allclose(y.std(axis=0), std, rtol=0.04)


def test_adc_and_dac_quantisation():
    w, x = _wx(rows=10, cols=32, batch=50)
    core = CrossbarCore(16, 32, readout=CrossbarReadout(adc_bits=6, adc_headroom=0.25, noise=False))
    s = jax.jit(core.program)(w)
    y = np.asarray(jax.jit(core.matvec)(x, s), np.float64)
    xmax = np.max(np.abs(np.asarray(x)), axis=1, keepdims=True)
    current = y * core.read_voltage / (xmax * float(s.w_per_siemens))
    lsb = 2 * 0.25 * core.read_voltage * 32 * (core.g_max - core.g_min) / (2**6 - 1)
    steps = (current + 0.25 * core.read_voltage * 32 * (core.g_max - core.g_min)) / lsb
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)  # every output on the ADC grid
    ideal = np.asarray(x @ w.T) * core.read_voltage / (xmax * float(s.w_per_siemens))
    inside = np.abs(ideal) < 0.25 * core.read_voltage * 32 * (core.g_max - core.g_min)
    assert np.all(np.abs(current - ideal)[inside] <= lsb / 2 * (1 + 1e-4))
    ranged = CrossbarCore(16, 32, readout=CrossbarReadout(adc_bits=6, adc_range=1.5, noise=False))
    i_r = np.asarray(jax.jit(ranged.matvec)(x, s), np.float64) * core.read_voltage / (xmax * float(s.w_per_siemens))
    fs = 1.5 * core.read_voltage * (core.g_max - core.g_min)  # full scale: 1.5 fully-on inputs
    steps = (i_r + fs) / (2 * fs / 63)
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)
    assert np.max(np.abs(i_r)) == pytest.approx(fs) and np.any(np.abs(ideal) > fs)  # clips at the full scale
    dac = CrossbarCore(16, 32, readout=CrossbarReadout(dac_bits=3, noise=False))
    u = np.asarray(x) / xmax
    uq = np.round((u + 1) / (2 / 7)) * (2 / 7) - 1  # signed 3-bit DAC: 7 steps over [-1, 1]
    np.testing.assert_allclose(jax.jit(dac.matvec)(x, s), (uq * xmax) @ np.asarray(w).T, rtol=1e-4, atol=1e-4)


def test_transposed_read_has_its_own_adc_range_capped_at_the_lines_driven():
    w, _ = _wx(rows=10, cols=40)
    d = jax.random.normal(jax.random.PRNGKey(3), (6, 10))
    core = CrossbarCore(16, 64, readout=CrossbarReadout(adc_bits=6, adc_range=20.0, adc_range_t=2.0, noise=False))
    assert core.adc_inputs(40) == 20.0 and core.adc_inputs(10, transpose=True) == 2.0
    assert CrossbarCore(16, 64, readout=CrossbarReadout(adc_range=20.0)).adc_inputs(10, transpose=True) == 10.0
    assert CrossbarCore(16, 64, readout=CrossbarReadout()).adc_inputs(300) == 64.0  # whole tile
    s = jax.jit(core.program)(w)
    dmax = np.max(np.abs(np.asarray(d)), axis=1, keepdims=True)
    i_t = np.asarray(jax.jit(core.matvec_t)(d, s), np.float64) * core.read_voltage / (dmax * float(s.w_per_siemens))
    fs = 2.0 * core.read_voltage * (core.g_max - core.g_min)  # 2 fully-on inputs, not the forward 20
    steps = (i_t + fs) / (2 * fs / 63)
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)
    # 10 driven lines can never draw 20 inputs' current: without adc_range_t the full scale is 10 lines
    capped = CrossbarCore(16, 64, readout=CrossbarReadout(adc_bits=6, adc_range=20.0, noise=False))
    i_c = np.asarray(jax.jit(capped.matvec_t)(d, s), np.float64) * core.read_voltage / (dmax * float(s.w_per_siemens))
    fs = 10.0 * core.read_voltage * (core.g_max - core.g_min)
    steps = (i_c + fs) / (2 * fs / 63)
    np.testing.assert_allclose(steps, np.round(steps), atol=1e-3)
    with pytest.raises(ValueError, match="adc_range_t"):
        CrossbarReadout(adc_range_t=-1.0)


def test_jittable_and_same_key_same_result():
    w, x = _wx()
    core = CrossbarCore(16, 16)
    s = jax.jit(core.program)(w)
    f = jax.jit(core.matvec)
    a, b, c = f(x, s, KEY), f(x, s, KEY), f(x, s, jax.random.PRNGKey(9))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert float(jnp.max(jnp.abs(a - x @ w.T))) < 0.2 * float(jnp.max(jnp.abs(x @ w.T)))
    g = jax.jit(lambda w, x, k: core.matvec_t(x, core.program(w), k))  # programming is jittable too
    np.testing.assert_array_equal(g(w, x[:, :24], KEY), g(w, x[:, :24], KEY))


def test_products_computed_in_an_rram_memory():
    mem = RRAMMemory()
    w, x = _wx(rows=20, cols=30)
    state = jax.jit(mem.init)(0.3 * jnp.tanh(w), KEY)  # one compiled program (eagerly every op compiles on its own)
    core = CrossbarCore(16, 16, g_min=mem.g_min, g_max=mem.g_max, readout=QUIET)
    s = jax.jit(lambda state: core.from_conductances(*mem.conductances(state)))(state)
    j = _Jitted(core)
    w_read = jax.jit(mem.read)(state)
    np.testing.assert_allclose(j.matvec(x, s), x @ w_read.T, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(j.matvec_t(x[:, :20], s), x[:, :20] @ w_read, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("make", "word"), [
    (lambda: CrossbarCore(g_min=100e-6, g_max=10e-6), "g_min"),
    (lambda: CrossbarCore(read_voltage=0.0), "read_voltage"),
    (lambda: CrossbarCore(read_noise=-0.1), "read_noise"),
    (lambda: CrossbarCore(0, 4), "n_rows"),
    (lambda: CrossbarReadout(adc_headroom=0.0), "adc_headroom"),
    (lambda: CrossbarReadout(adc_range=0.0), "adc_range"),
    (lambda: CrossbarReadout(power_per_channel=1e-3), "power_per_channel"),
    (lambda: CrossbarCore().program(jnp.ones(3)), "2-D"),
    (lambda: CrossbarCore().from_conductances(jnp.ones((2, 2)), jnp.ones((2, 3)), 1.0), "one shape"),
])
def test_bad_parameters_raise(make, word):
    with pytest.raises(ValueError, match=word):
        make()
