"""Microring weight banks: structured solver vs sax, inversion, calibration, noise, tiling."""

import functools

import jax
import numpy as np
import pytest

from photrain.circuits import circuit
from photrain.cores import MRRWeightBank, Readout, blocked_matvec, program_tiles, tile_matvec

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True


def bank_netlist(bank, detuning_row, pitch):
    n = bank.n_channels
    inst, conn = {}, {}
    for k in range(n):
        inst[f"r{k}"] = {"component": "ring_add_drop", "settings": {
            "length": float(bank.lengths[k]), "coupling_1": bank.coupling, "coupling_2": bank.coupling,
            "loss_db_per_cm": bank.loss_db_per_cm}}
    for k in range(n - 1):
        inst[f"a{k}"] = {"component": "straight", "settings": {"length": pitch, "loss_db_per_cm": bank.loss_db_per_cm}}
        inst[f"b{k}"] = {"component": "straight", "settings": {"length": pitch, "loss_db_per_cm": bank.loss_db_per_cm}}
        conn[f"r{k},o2"], conn[f"a{k},o2"] = f"a{k},o1", f"r{k + 1},o1"
        conn[f"r{k + 1},o3"], conn[f"b{k},o1"] = f"b{k},o2", f"r{k},o4"
    return {"instances": inst, "connections": conn,
            "ports": {"in": "r0,o1", "thru": f"r{n - 1},o2", "drop": "r0,o3"}}


@pytest.mark.parametrize("n", [2, 5, 8])
def test_structured_bank_equals_sax(n):
    bank = MRRWeightBank(n, 2, spacing=0.0012, pitch=25.0)
    w = np.random.default_rng(n).uniform(-1, 1, (2, n))
    det = np.asarray(bank.program(w).detuning)
    drop, thru = bank.response(det)
    ch = np.asarray(bank.channels)
    f = circuit(bank_netlist(bank, det[0], 25.0))  # one bus for both rows: a row's heater phases are set per call
    for i in range(2):
        for j in range(n):
            # a heater phase is set at the ring's own channel and scales as 1/wl
            s = f(wl=ch[j], **{f"r{k}": {"delta_phase": det[i, k] * ch[k] / ch[j]} for k in range(n)})
            assert abs(s[("in", "drop")] - drop[i, j]) < 1e-9
            assert abs(s[("in", "thru")] - thru[i, j]) < 1e-9


def test_crosstalk_free_bank_reproduces_target_exactly():
    bank = MRRWeightBank(8, 4, crosstalk=False)
    w = np.random.default_rng(0).uniform(-3, 3, (4, 8))
    np.testing.assert_allclose(bank.effective_matrix(bank.program(w)), w, atol=1e-10)


def test_single_ring_inverse_round_trip():
    bank = MRRWeightBank(4)
    w = np.linspace(bank.w_min, bank.w_max, 41)
    back = bank.single_ring_weight(bank.invert_weight(w[:, None]))
    np.testing.assert_allclose(back, np.broadcast_to(w[:, None], back.shape), atol=1e-10)


def test_calibration_reduces_error_10x_on_crowded_bank():
    bank = MRRWeightBank(8, 4, spacing=0.0016, coupling=0.03)  # spacing ~ 9 linewidths
    assert bank.spacing / bank.linewidth < 10
    w = np.random.default_rng(1).uniform(-1, 1, (4, 8))
    before = bank.weight_error(w, bank.program(w, calibrate=False))
    after = bank.weight_error(w, bank.program(w))
    assert before > 0.01  # crosstalk is visible
    assert after < before / 10


def test_balanced_detection_noise_statistics():
    """Detector noise in output units, checked against physics rather than the code's own scaling constants.

    The optical state of a bank programmed with W or 3W is the same (W is normalised into the ring range and
    the factor restored digitally), so the noise in y triples; shot noise (variance 2qIB, I ∝ P) against a
    signal ∝ P gives sigma_y ∝ 1/sqrt(P); thermal noise (4kTB/R_L, independent of P) gives sigma_y ∝ 1/P;
    and the mean is W x.
    """
    w = np.array([[0.5, -0.3, 0.2, 0.0]])
    x = np.ones((40000, 4))  # u = 1 on every channel: full power

    def out(scale=1.0, **readout):
        bank = MRRWeightBank(4, 1, readout=Readout(bandwidth=5e9, dark_current=0.0, **readout), crosstalk=False,
                             signed="offset")
        return np.asarray(bank.matvec(x, bank.program(scale * w), jax.random.PRNGKey(0)))[:, 0]

    shot = dict(load_resistance=1e12)  # 4kTB/R_L ~ 1e-22 A^2 against 2qIB ~ 1e-11 A^2
    thermal = dict(load_resistance=0.01)  # 4kTB/R_L ~ 8e-9 A^2
    base = out(power_per_channel=2e-3, **shot)
    assert base.mean() == pytest.approx(float(w[0].sum()), abs=3e-3)
    assert out(scale=3.0, power_per_channel=2e-3, **shot).std() == pytest.approx(3 * base.std(), rel=1e-3)
    assert out(power_per_channel=8e-3, **shot).std() == pytest.approx(base.std() / 2, rel=0.03)
    thermal_2mw = out(power_per_channel=2e-3, **thermal).std()
    assert out(power_per_channel=8e-3, **thermal).std() == pytest.approx(thermal_2mw / 4, rel=0.03)
    assert thermal_2mw > 10 * base.std()


@pytest.mark.parametrize("signed", ["differential", "offset"])
def test_matvec_equals_effective_product_without_noise(signed):
    bank = MRRWeightBank(6, 3, signed=signed)
    rng = np.random.default_rng(2)
    w, x = rng.normal(size=(3, 6)), rng.normal(size=(7, 6))
    s = bank.program(w)
    np.testing.assert_allclose(bank.matvec(x, s), x @ np.asarray(bank.effective_matrix(s)).T, atol=1e-9)


def test_adc_bits_bound_the_error():
    rng = np.random.default_rng(3)
    w, x = rng.uniform(-1, 1, (4, 8)), rng.uniform(-1, 1, (64, 8))
    errs = []
    for bits in [4, 8, 12]:
        bank = MRRWeightBank(8, 4, crosstalk=False, readout=Readout(adc_bits=bits, noise=False))
        s = bank.program(w)
        errs.append(float(np.sqrt(np.mean((bank.matvec(x, s) - x @ w.T) ** 2))))
    assert errs[0] > errs[1] > errs[2]


def test_bank_tiling_exact_without_noise():
    rng = np.random.default_rng(4)
    w, x = rng.normal(size=(10, 20)), rng.normal(size=(5, 20))
    bank = MRRWeightBank(8, 4, crosstalk=False)
    y, counts = tile_matvec(bank, program_tiles(bank, w), x)
    np.testing.assert_allclose(y, x @ w.T, atol=1e-9)
    assert counts.passes == 3 * 3 * 2  # 3 row blocks x 3 column blocks x differential


def test_bank_bad_inputs():
    with pytest.raises(ValueError, match="exceed the ring FSR"):
        MRRWeightBank(64, spacing=0.0016)
    with pytest.raises(ValueError, match="coupling must be in"):
        MRRWeightBank(4, coupling=1.5)
    with pytest.raises(ValueError, match="does not fit"):
        MRRWeightBank(4, 2).program(np.ones((3, 4)))
    with pytest.raises(ValueError, match="signed must be"):
        MRRWeightBank(4, signed="polar")
    with pytest.raises(ValueError, match="Readout.bandwidth must be > 0"):
        Readout(bandwidth=0)


def test_per_batch_programming_is_jittable_and_exact_without_noise():
    bank = MRRWeightBank(10, 64, signed="offset")
    rng = np.random.default_rng(3)
    w, x = rng.normal(size=(30, 37)), rng.normal(size=(5, 37))
    blocks = jax.jit(bank.program_blocks)(jax.numpy.asarray(w))
    assert blocks.t_drop.shape == (30, 4, 10) and blocks.scale.shape == (30, 4)  # (rows, blocks, channels)
    y = jax.jit(functools.partial(blocked_matvec, readout=bank.readout, rows_per_bank=64, floor=bank.floor,
                                  signed="offset"))(jax.numpy.asarray(x), blocks, None)
    np.testing.assert_allclose(y, x @ w.T, atol=1e-9)
    # drop and through powers of the closed form match the structured solver with crosstalk off
    phase = bank.invert_weight(jax.numpy.asarray(w[:1, :10]) / float(blocks.scale[0, 0]))
    drop, thru = MRRWeightBank(10, 1, crosstalk=False).response(phase)
    np.testing.assert_allclose(blocks.t_drop[0, 0], np.abs(drop[0]) ** 2, atol=1e-12)
    np.testing.assert_allclose(blocks.t_thru[0, 0], np.abs(thru[0]) ** 2, atol=1e-12)


def test_heater_dac_bits_bound_the_weight_error():
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, size=(8, 8))
    ideal = MRRWeightBank(8, 8, crosstalk=False)
    assert ideal.weight_error(w, ideal.program(w, calibrate=False)) < 1e-9
    errs = {}
    for bits in (4, 8):
        bank = MRRWeightBank(8, 8, crosstalk=False, heater_bits=bits)
        errs[bits] = bank.weight_error(w, bank.program(w, calibrate=False))
        # uniform phase quantisation: RMS error = slope x LSB / sqrt(12); the Lorentzian slope is a few x range / max_phase
        assert 2.0**-bits < errs[bits] < 4 * 2.0**-bits
    assert 10 < errs[4] / errs[8] < 25  # the error follows the LSB (x16 for 4 bits)
    with pytest.raises(ValueError, match="heater_bits"):
        MRRWeightBank(8, 8, heater_bits=0)


def _noise_only(receiver):
    return Readout(receiver=receiver, power_per_channel=1e-5, bandwidth=10e9)  # weak light: shot and thermal matter


def test_integrating_receiver_variance_is_the_closed_form_sum():
    from photrain.constants import K_B, Q_E

    ro = _noise_only("integrating")
    bank = MRRWeightBank(4, 3, signed="offset", readout=ro)
    rng = np.random.default_rng(0)
    w = jax.numpy.asarray(rng.uniform(-1, 1, (3, 12)))
    x1 = rng.uniform(-1, 1, 12)
    blocks = bank.program_blocks(w)
    assert np.ptp(np.asarray(blocks.scale), axis=1).max() == 0  # one scale per row over its blocks
    n = 40_000
    x = jax.numpy.asarray(np.broadcast_to(x1, (n, 12)))
    # one compiled product per receiver (eagerly every op compiles on its own): the same draws for the same key
    integrating = jax.jit(functools.partial(blocked_matvec, readout=ro, rows_per_bank=3, floor=bank.floor,
                                            signed="offset"))
    y = np.asarray(integrating(x, blocks, jax.random.PRNGKey(0)))
    np.testing.assert_allclose(y.mean(axis=0), x1 @ np.asarray(w).T, atol=6 * y.std(axis=0).max() / np.sqrt(n))
    # closed form: every block's read adds 2 q (R (P+ + P-) + 2 I_d) B + 4 k T B / R_L; y = 2 I / (R p (1 - f)) xmax scale
    p_row = ro.power_per_channel / 3
    u = (x1 / np.abs(x1).max() + 1) / 2
    power = p_row * (bank.floor + (1 - bank.floor) * u)
    total = (np.asarray(blocks.t_drop) + np.asarray(blocks.t_thru)).reshape(3, 12)
    var_i = (2 * Q_E * ro.responsivity * ro.bandwidth * total @ power
             + 3 * (4 * Q_E * ro.dark_current * ro.bandwidth + 4 * K_B * ro.temperature * ro.bandwidth / ro.load_resistance))
    gain = 2 / (ro.responsivity * p_row * (1 - bank.floor)) * np.abs(x1).max() * np.asarray(blocks.scale)[:, 0]
    expected = var_i * gain**2
    np.testing.assert_allclose(y.var(axis=0), expected, rtol=5 * np.sqrt(2 / n))
    # the per-block receiver with the same scales and DAC full scale has the same total variance (three draws)
    per_block = Readout(receiver="per-block", power_per_channel=1e-5, bandwidth=10e9)
    xs = np.broadcast_to(np.tile(x1[:4], 3), (n, 12))  # equal |x|max in every block
    xs1 = xs[0]
    yb = np.asarray(jax.jit(functools.partial(blocked_matvec, readout=per_block, rows_per_bank=3, floor=bank.floor,
                                              signed="offset"))(jax.numpy.asarray(xs), blocks, jax.random.PRNGKey(1)))
    yi = np.asarray(integrating(jax.numpy.asarray(xs), blocks, jax.random.PRNGKey(2)))
    np.testing.assert_allclose(yb.var(axis=0), yi.var(axis=0), rtol=8 * np.sqrt(2 / n))
    np.testing.assert_allclose(yb.mean(axis=0), xs1 @ np.asarray(w).T, atol=6 * yb.std(axis=0).max() / np.sqrt(n))


@pytest.mark.parametrize("signed", ["offset", "differential"])
def test_per_block_reads_are_each_blocks_own_pass_added(signed):
    # per-block receiver, converters on, no noise: the multi-block product (passes laid out batch-last, summed by one
    # product over the passes) is the sum of each column block run as its own single-block pass (bank_matvec)
    from photrain.cores import bank_matvec

    ro = Readout(receiver="per-block", adc_bits=8, dac_bits=6, noise=False)
    bank = MRRWeightBank(10, 16, signed=signed, readout=ro)
    rng = np.random.default_rng(4)
    w = jax.numpy.asarray(rng.normal(size=(7, 34)) * rng.uniform(0.1, 1, 34), jax.numpy.float32)
    x = jax.numpy.asarray(rng.normal(size=(9, 34)) * rng.uniform(0.1, 1, 34), jax.numpy.float32)
    blocks = jax.jit(bank.program_blocks)(w)
    kw = dict(readout=ro, rows_per_bank=16, floor=bank.floor, signed=signed)
    y = np.asarray(jax.jit(functools.partial(blocked_matvec, **kw))(x, blocks, None))
    xp = np.pad(np.asarray(x), ((0, 0), (0, 6)))
    one_block = jax.jit(functools.partial(bank_matvec, **kw))  # one compiled pass for the four blocks
    parts = [np.asarray(one_block(jax.numpy.asarray(xp[:, 10 * c : 10 * c + 10]), blocks.t_drop[:, c],
                                  blocks.t_thru[:, c], blocks.scale[:, c], None)) for c in range(4)]
    np.testing.assert_allclose(y, sum(parts), rtol=1e-5, atol=1e-5 * np.abs(y).max())
    assert 1e-4 < np.abs(y - np.asarray(x @ w.T)).max() / np.abs(y).max() < 0.05  # the converters are in


def test_integrating_receiver_adc_and_fast_noise_switch():
    rng = np.random.default_rng(1)
    w = jax.numpy.asarray(rng.normal(size=(16, 40)))
    x = jax.numpy.asarray(rng.normal(size=(64, 40)))
    ideal = x @ w.T
    for fast in (True, False):
        ro = Readout(receiver="integrating", adc_bits=10, dac_bits=8, rin_db_hz=-150.0, fast_noise=fast)
        bank = MRRWeightBank(10, 16, signed="offset", readout=ro)
        y = jax.jit(lambda x, w, k, bank=bank, ro=ro: blocked_matvec(
            x, bank.program_blocks(w), k, readout=ro, rows_per_bank=16, floor=bank.floor, signed="offset"))(
            x, w, jax.random.PRNGKey(3))
        err = float(np.sqrt(np.mean((np.asarray(y) - ideal) ** 2)) / np.abs(ideal).max())
        assert 1e-4 < err < 0.03, err  # converters and noise are in, the product is still the product
    with pytest.raises(ValueError, match="receiver must be one of"):
        Readout(receiver="sampling")


def _bank_at_q(spacing, q=20000.0, **kw):
    from scipy.optimize import brentq

    coupling = brentq(lambda k: 1.55 / MRRWeightBank(8, 4, spacing=spacing, coupling=k).linewidth - q, 1e-4, 0.5)
    return MRRWeightBank(8, 4, spacing=spacing, coupling=coupling, **kw)


def test_every_weight_within_one_percent_at_50ghz_q20000():
    bank = _bank_at_q(0.0004)  # 50 GHz at 1550 nm
    assert abs(1.55 / bank.linewidth - 20000) < 1
    for seed in range(2):
        w = np.random.default_rng(seed).uniform(-1, 1, (4, 8))
        w[0, 0] = 1.0  # an extreme weight (the full-range mapping missed these by 1.5-3.9 %)
        w[1, 1] = -1.0
        worst = np.max(np.abs(np.asarray(bank.effective_matrix(bank.program(w))) - w)) / np.abs(w).max()
        assert worst < 0.01, worst
    # and the calibrated compile (the DFA feedback path) realises the same matrix; the isolated-ring inverse does not
    w = np.random.default_rng(5).uniform(-1, 1, (4, 8))
    for calibrate, bound in ((True, 0.01), (False, None)):
        c = bank.compile(w, calibrate=calibrate)
        realised = np.asarray(c.scale)[:, None] * (np.asarray(c.t_drop) - np.asarray(c.t_thru))
        err = np.max(np.abs(realised - w)) / np.abs(w).max()
        if bound:
            assert err < bound, err
        else:
            assert err > 0.02, err  # crosstalk at 50 GHz uncorrected


def test_heater_table_programming_equals_the_closed_form_at_the_quantised_phase():
    """program_blocks looks each ring's (T_drop, T_thru) up in its channel's heater-DAC table: it must equal the
    single-ring closed form evaluated at the quantised detuning, ring by ring (channels differ in loss)."""
    from photrain.models.converters import quantize, quantize_code

    bank = MRRWeightBank(10, 8, signed="offset", heater_bits=10, loss_db_per_cm=20.0)
    rng = np.random.default_rng(5)
    w = rng.uniform(-1, 1, (7, 23)).astype(np.float32)
    blocks = jax.jit(bank.program_blocks)(jax.numpy.asarray(w))
    u = np.pad(w, ((0, 0), (0, 7))).reshape(7, 3, 10) / np.asarray(blocks.scale)[..., None]
    phase = np.asarray(bank.invert_weight(jax.numpy.asarray(u, dtype=jax.numpy.float64)))  # float64 inverse + DAC
    drop, thru = bank.single_ring_transmissions(jax.numpy.asarray(phase))
    np.testing.assert_allclose(blocks.t_drop, drop, atol=2e-6)
    np.testing.assert_allclose(blocks.t_thru, thru, atol=2e-6)
    assert np.ptp(np.asarray(bank._ring()[1])) > 0  # the channels' round-trip losses differ: per-channel tables
    # the code is the one quantize picks: quantize(x) == code * LSB, ties included
    x = np.concatenate([rng.uniform(-0.1, 1.1, 1000), np.arange(16) / 15.0, (np.arange(15) + 0.5) / 15.0])
    codes = np.asarray(quantize_code(x, bits=4, full_scale=1.0, signed=False))
    np.testing.assert_array_equal(codes * (1 / 15), np.asarray(quantize(x, bits=4, full_scale=1.0, signed=False)))
    assert codes.min() == 0 and codes.max() == 15 and codes.dtype == np.int32
    with pytest.raises(ValueError, match="heater_bits is None"):
        MRRWeightBank(10, 8).heater_table()
