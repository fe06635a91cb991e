"""Input modulators of the bank (issue 13, part 4): DAC -> drive -> MZM / ring transfer, floor, predistortion."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import photrain.models as m
from photrain.controller import OpticalConfig
from photrain.cores import MRRWeightBank, Readout
from photrain.cores.modulator import InputModulator
from photrain.models.mzi import mzm_drive, mzm_intensity
from photrain.models.optics import NEFF, NG
from photrain.models.rings import ring_through_power, ring_through_sin2, round_trip

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True

DRIVE = np.linspace(0.0, 1.0, 41)


def test_mzm_closed_form_is_the_s_model():
    """mzm_intensity = |S21|^2 / a^2 of mz_modulator biased at null, V = drive V_pi; the floor is 10^(-ER/10)."""
    er, il = 27.0, 3.0
    t = np.abs(m.mz_modulator(voltage=4.0 * DRIVE, v_pi=4.0, bias_phase=np.pi, extinction_ratio_db=er,
                              insertion_loss_db=il)[("o1", "o2")]) ** 2 / 10 ** (-il / 10)
    f = 10 ** (-er / 10)
    np.testing.assert_allclose(mzm_intensity(DRIVE, floor=f), t, atol=1e-12)
    assert t[0] == pytest.approx(f, rel=1e-9) and t[-1] == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(mzm_drive(mzm_intensity(DRIVE, floor=f), floor=f), DRIVE, atol=1e-7)
    mod = InputModulator("mzm", extinction_ratio_db=er)
    np.testing.assert_allclose(mod.intensity(DRIVE), t, atol=1e-12)


def test_ring_modulator_closed_form_is_the_s_model():
    """The ring input modulator's intensity is ring_modulator's |S21|^2 (resonance aligned to the channel at 0 V)."""
    mod = InputModulator("ring")
    phi0, _ = round_trip(mod.wl, length=mod.ring_length, neff=NEFF, ng=NG, wl0=mod.wl,
                         loss_db_per_cm=mod.ring_loss_db_per_cm)
    s = m.ring_modulator(wl=mod.wl, voltage=DRIVE * mod.ring_v_max, coupling=mod.ring_coupling, radius=mod.ring_radius,
                         loss_db_per_cm=mod.ring_loss_db_per_cm, dneff_dv=mod.dneff_dv, delta_phase=-float(phi0))
    t = np.abs(s[("o1", "o2")]) ** 2
    assert t[0] == pytest.approx(10 ** (-mod.extinction_ratio_db / 10), rel=1e-6)  # the coupling sets the ER
    np.testing.assert_allclose(mod.intensity(DRIVE), t / t[-1], atol=1e-9)
    np.testing.assert_allclose(mod.inverse(mod.transfer(DRIVE)), DRIVE, atol=1e-6)
    # the all-pass inverse used by the predistortion
    phi = np.linspace(0, 0.3, 7)
    tp = ring_through_power(phi, r1=0.99, r2=1.0, a=0.995)
    np.testing.assert_allclose(ring_through_sin2(tp, r1=0.99, r2=1.0, a=0.995), np.sin(phi / 2) ** 2, atol=1e-12)


@pytest.mark.parametrize("kind", ["mzm", "ring"])
def test_predistortion_picks_the_nearest_dac_level(kind):
    """Predistortion sends, for every request, the DAC code whose transmitted intensity is nearest (brute force)."""
    bits = 8
    mod = InputModulator(kind)
    levels = mod.levels(bits)
    u = np.linspace(0.0, 1.0, 20001)
    g = np.asarray(jax.jit(lambda v: mod.modulate(v, bits=bits))(jnp.asarray(u, jnp.float32)), dtype=float)
    nearest = np.min(np.abs(levels[None, :] - u[:, None]), axis=1)
    assert np.max(np.abs(g - u) - nearest) < 1e-6
    codes = np.asarray(mod.code(jnp.asarray(levels, jnp.float32), bits=bits))
    np.testing.assert_array_equal(levels[codes], levels)  # every reachable level maps back onto itself


def test_mzm_predistortion_inverts_the_transfer_to_the_lsb():
    """MZM, 8-bit DAC: |t - request| <= (pi/4) LSB (half the widest gap, where sin^2 is steepest), and that bound is met."""
    bits, lsb = 8, 1 / 255
    mod = InputModulator("mzm")
    u = jnp.linspace(0.0, 1.0, 100001, dtype=jnp.float32)
    err = np.abs(np.asarray(mod.modulate(u, bits=bits)) - np.asarray(u))
    assert err.max() <= np.pi / 4 * lsb * (1 + 1e-3)
    assert err.max() > 0.7 * lsb  # the bound is tight: the sin^2 does widen the gaps
    off = np.abs(np.asarray(InputModulator("mzm", predistortion=False).modulate(u, bits=bits)) - np.asarray(u))
    assert off.max() > 25 * err.max()
    assert mod.modulate(u, bits=bits).dtype == jnp.float32


def test_extinction_floor():
    """Zero drive leaks the floor: f = 10^(-ER/10) for the MZM (ratio of S-model max/min = ER), T(0)/T(full) for the ring."""
    for er in (20.0, 30.0):
        mod = InputModulator("mzm", extinction_ratio_db=er)
        assert mod.floor == pytest.approx(10 ** (-er / 10))
        assert float(mod.intensity(0.0)) == pytest.approx(mod.floor) and float(mod.intensity(1.0)) == pytest.approx(1)
        t = np.abs(m.mz_modulator(voltage=np.array([0.0, 4.0]), v_pi=4.0, bias_phase=np.pi, extinction_ratio_db=er)
                   [("o1", "o2")]) ** 2
        assert 10 * np.log10(t[1] / t[0]) == pytest.approx(er, rel=1e-9)
    ring = InputModulator("ring")
    assert 1e-3 < ring.floor < 1.05e-3  # 30 dB resonance over a full-drive transmission a little below 1
    bank = MRRWeightBank(4, 2, readout=Readout(noise=False, modulator=ring))
    assert bank.floor == ring.floor  # the bank subtracts the modulators' own floor


def test_predistortion_off_puts_the_sin2_in_the_product():
    """Ideal core, MZM without predistortion, offset encoding: y = xmax W sin(pi x / (2 xmax)) exactly; with it, y = W x."""
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (3, 5))
    x = rng.normal(size=(4, 5))
    xmax = np.abs(x).max(axis=1, keepdims=True)
    outs = {}
    for pre in (False, True):
        ro = Readout(noise=False, modulator=InputModulator("mzm", predistortion=pre))
        bank = MRRWeightBank(5, 3, readout=ro, crosstalk=False, signed="offset")
        s = bank.program(w)
        outs[pre] = np.asarray(bank.matvec(x, s))
        weff = np.asarray(bank.effective_matrix(s))
    np.testing.assert_allclose(outs[False], (xmax * np.sin(np.pi * x / (2 * xmax))) @ weff.T, atol=1e-9)
    np.testing.assert_allclose(outs[True], x @ weff.T, atol=1e-9)
    assert np.abs(outs[False] - outs[True]).max() > 0.05


def test_optical_config_wires_the_modulator():
    bank = OpticalConfig(input_modulator="mzm", predistortion=False).bank(10)
    assert bank.readout.modulator == InputModulator("mzm", predistortion=False)
    assert OpticalConfig().bank(10).readout.modulator is None  # the linear model stays the default
    with pytest.raises(ValueError, match="--input-modulator"):
        OpticalConfig(input_modulator="eam")
    with pytest.raises(ValueError, match="input modulator must be one of"):
        InputModulator("eam")
