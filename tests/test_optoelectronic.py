import jax
import numpy as np
import pytest

from photrain import models as m
from photrain.constants import K_B, Q_E

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True


def test_photodiode_noise_variance_is_shot_plus_thermal():
    power, resp, b, r, temp, dark = 1e-3, 0.9, 20e9, 500.0, 300.0, 1e-8
    key = jax.random.PRNGKey(0)
    n = 400_000
    i = m.photodiode(np.full(n, power), key=key, responsivity=resp, bandwidth=b, load_resistance=r,
                     temperature=temp, dark_current=dark)
    i_mean = resp * power + dark
    expected = 2 * Q_E * i_mean * b + 4 * K_B * temp * b / r
    # sample variance has relative standard error sqrt(2/n) = 0.22 %; allow 5 sigma
    assert float(np.var(i)) == pytest.approx(expected, rel=5 * np.sqrt(2 / n))
    assert float(np.mean(i)) == pytest.approx(i_mean, rel=1e-3)


def test_photodiode_without_key_is_noiseless_and_key_is_deterministic():
    p = np.linspace(0, 1e-3, 10)
    np.testing.assert_allclose(m.photodiode(p, dark_current=0.0), p * 1.0)
    k = jax.random.PRNGKey(3)
    np.testing.assert_array_equal(m.photodiode(p, key=k), m.photodiode(p, key=k))


def test_balanced_photodiode_mean_and_variance():
    pp, pm, b, r = 0.7e-3, 0.2e-3, 10e9, 1e3
    n = 400_000
    i = m.balanced_photodiode(np.full(n, pp), np.full(n, pm), key=jax.random.PRNGKey(1), bandwidth=b,
                              load_resistance=r, dark_current=0.0)
    assert float(np.mean(i)) == pytest.approx(pp - pm, rel=1e-3)
    expected = 2 * Q_E * (pp + pm) * b + 4 * K_B * 300.0 * b / r
    assert float(np.var(i)) == pytest.approx(expected, rel=5 * np.sqrt(2 / n))


def test_laser_rin_variance():
    n = 200_000
    p = m.laser(power=2e-3, rin_db_hz=-140.0, bandwidth=5e9, shape=(n,), key=jax.random.PRNGKey(2))
    expected = (2e-3) ** 2 * 10 ** (-14.0) * 5e9
    assert float(np.var(p)) == pytest.approx(expected, rel=5 * np.sqrt(2 / n))


def test_tia_gain_and_noise():
    n = 200_000
    v = m.tia(np.full(n, 1e-4), gain=2e3, input_noise_density=20e-12, bandwidth=10e9, key=jax.random.PRNGKey(4))
    assert float(np.mean(v)) == pytest.approx(0.2, rel=1e-3)
    assert float(np.var(v)) == pytest.approx((2e3 * 20e-12) ** 2 * 10e9, rel=5 * np.sqrt(2 / n))


@pytest.mark.parametrize("bits,signed", [(4, True), (8, False), (12, True)])
def test_adc_error_bounded_by_half_lsb_and_clips(bits, signed):
    fs = 2.5
    lo = -fs if signed else 0.0
    x = np.linspace(lo, fs, 100_001)
    y = np.asarray(m.adc(x, bits=bits, full_scale=fs, signed=signed))
    step = m.lsb(bits=bits, full_scale=fs, signed=signed)
    assert np.max(np.abs(y - x)) <= step / 2 + 1e-12
    assert len(np.unique(np.round((y - lo) / step))) == 2**bits
    outside = np.array([lo - 1.0, fs + 3.0])
    np.testing.assert_allclose(m.adc(outside, bits=bits, full_scale=fs, signed=signed), [lo, fs])


def test_dac_levels():
    y = m.dac(np.array([0.0, 0.5, 1.0, 1.7]), bits=2, full_scale=1.0)
    np.testing.assert_allclose(y, [0.0, 2 / 3, 1.0, 1.0])  # round(1.5) -> 2 (banker's rounding)


def test_converter_bad_bits():
    with pytest.raises(ValueError, match="bits must be an integer"):
        m.adc(0.1, bits=0)
    with pytest.raises(ValueError, match="full_scale must be > 0"):
        m.adc(0.1, bits=8, full_scale=-1)


def test_comb_lines_on_grid():
    wls, powers = m.comb(n_lines=4, power_per_line=1e-3, spacing=0.0016)
    np.testing.assert_allclose(np.diff(wls), 0.0016, atol=1e-12)
    np.testing.assert_allclose(powers, 1e-3)
