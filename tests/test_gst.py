"""Non-volatile photonic weights (issue 13, part 5): the GST cell, its level grid, the GST bank and its pricing."""

import jax.numpy as jnp
import numpy as np
import pytest

from photrain.controller import OpticalConfig
from photrain.controller.energy import PRESETS, CoreSpec, energy_report
from photrain.controller.ledger import Ledger
from photrain.cores.gst_bank import GSTWeightBank
from photrain.models.gst import (
    SOURCES,
    GSTCell,
    gst_cell,
    gst_fraction,
    gst_level_index,
    gst_levels,
    gst_transmission,
)

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True


def test_transmission_monotone_between_the_phases():
    """T(chi) = T_a^(1-chi) T_c^chi: T_a amorphous, T_c crystalline, strictly decreasing, loss in dB linear in chi."""
    cell = GSTCell()
    chi = np.linspace(0, 1, 101)
    t = np.asarray(gst_transmission(chi))
    assert t[0] == pytest.approx(cell.t_amorphous) and t[-1] == pytest.approx(cell.t_crystalline)
    assert np.all(np.diff(t) < 0)
    assert np.all((t <= cell.t_amorphous + 1e-15) & (t >= cell.t_crystalline - 1e-15))
    np.testing.assert_allclose(np.diff(-10 * np.log10(t)), -10 * np.log10(cell.t_crystalline / cell.t_amorphous) / 100)
    np.testing.assert_allclose(gst_fraction(t), chi, atol=1e-12)


def test_s_model_is_reciprocal_passive_and_matches_the_closed_form():
    s = gst_cell(wl=np.array([1.54, 1.55, 1.56]), crystalline_fraction=0.3, phase_crystalline=0.5)
    assert s[("o1", "o2")].shape == (3,)
    np.testing.assert_allclose(s[("o1", "o2")], s[("o2", "o1")])
    np.testing.assert_allclose(np.abs(s[("o1", "o2")]) ** 2, gst_transmission(0.3))  # broadband
    np.testing.assert_allclose(np.angle(s[("o1", "o2")]), 0.15)
    assert np.all(np.abs(s[("o1", "o2")]) <= 1)
    with pytest.raises(ValueError, match="crystalline_fraction"):
        gst_cell(crystalline_fraction=1.5)


def test_levels():
    """Eight levels (Ríos et al. 2015), equally spaced in T from T_c to T_a; fractions from 1 to 0; nearest-level index."""
    cell = GSTCell()
    assert cell.levels == 8 == SOURCES["levels"][0]
    chi, t = cell.grid()
    assert len(t) == 8
    np.testing.assert_allclose(np.diff(t), cell.contrast / 7)
    assert chi[0] == 1.0 and chi[-1] == 0.0 and np.all(np.diff(chi) < 0)
    np.testing.assert_allclose(gst_transmission(chi), t, atol=1e-12)
    jitter = t + np.array([0.4, -0.4, 0.3, -0.3, 0.2, -0.2, 0.1, -0.1]) * cell.contrast / 7
    np.testing.assert_array_equal(gst_level_index(jitter), np.arange(8))
    np.testing.assert_allclose(cell.level_transmission(np.arange(8)), t, atol=1e-6)
    chi16, t16 = gst_levels(16)
    assert len(t16) == 16
    with pytest.raises(ValueError, match="levels"):
        GSTCell(levels=1)
    with pytest.raises(ValueError, match="t_crystalline"):
        GSTCell(t_amorphous=0.5, t_crystalline=0.6)


def test_energies_and_zero_hold_power():
    cell = GSTCell()
    assert cell.write_energy == 13.4e-12  # Ríos et al. 2015, per switching pulse
    assert cell.pulse_time == 1e-9
    assert cell.write_cost == cell.pulses_per_write * 13.4e-12
    assert cell.hold_power == 0.0
    assert "Ríos" in SOURCES["write_energy"][1] and "Ríos" in SOURCES["levels"][1]


def test_gst_bank_realises_the_nearest_pair_level():
    """Each weight lands on the nearest of the pair's 2L - 1 levels: error <= half a step of w_range / (L - 1)."""
    bank = GSTWeightBank(10, 4)
    w = np.random.default_rng(0).normal(size=(4, 10))
    s = bank.program(w)
    step = float(s.scale) * bank.w_range / (bank.cell.levels - 1)
    err = np.abs(np.asarray(bank.effective_matrix(s)) - w)
    assert err.max() <= step / 2 + 1e-12
    assert err.max() > 0.2 * step  # quantised, not exact
    t_drop, t_thru = bank.transmissions(s)
    assert np.all(np.minimum(t_drop, t_thru) == pytest.approx(bank.split * bank.cell.t_crystalline))  # one cell idle
    x = np.random.default_rng(1).normal(size=(5, 10))
    np.testing.assert_allclose(bank.matvec(x, s), x @ np.asarray(bank.effective_matrix(s)).T, atol=1e-9)
    blocks = bank.program_blocks(jnp.asarray(w, jnp.float32))  # the controller's jitted write: a scale per row
    assert blocks.t_drop.dtype == jnp.float32 and blocks.t_drop.shape == (4, 1, 10)
    realised = np.asarray((blocks.t_drop - blocks.t_thru)[:, 0] * blocks.scale)
    row_step = np.abs(w).max(axis=1, keepdims=True) / (bank.cell.levels - 1)
    assert np.all(np.abs(realised - w) <= row_step / 2 + 1e-6)


def test_optical_config_builds_a_gst_bank():
    bank = OpticalConfig(weight_element="gst", gst_levels=16).bank(10)
    assert isinstance(bank, GSTWeightBank) and bank.cell.levels == 16
    with pytest.raises(ValueError, match="--weight-element"):
        OpticalConfig(weight_element="mems")


def test_energy_report_gst_has_no_hold_term_and_prices_rewrites():
    """With GST weights the heater terms vanish; every programming re-writes rows x channels x 2 cells, 13.4 pJ each."""
    led = Ledger(optical_macs=10_000, dac_conversions=1000, adc_conversions=500, programmings=7, optical_passes=20,
                 symbol_slots=1000, digital_macs=5000, steps=3)
    core = CoreSpec(16, 10)
    heater = energy_report(led, "reference-paper", core)
    gst = energy_report(led, "reference-paper", core, weight_element="gst")
    assert heater.energy["heaters (hold)"] > 0 and heater.energy["heaters (program)"] > 0
    assert heater.energy["GST writes"] == 0.0
    assert gst.energy["heaters (hold)"] == 0.0 and gst.energy["heaters (program)"] == 0.0
    assert gst.energy["GST writes"] == pytest.approx(7 * 16 * 10 * 2 * 13.4e-12)
    assert gst.programming_time == pytest.approx(7 * 16 * 10 * 2 * 1e-9)
    assert heater.programming_time == pytest.approx(7 * PRESETS["reference-paper"].heater_settle_time)
    for k in ("laser", "modulators", "dacs", "adcs", "receivers", "sram", "digital MACs"):
        assert gst.energy[k] == heater.energy[k], k
    with pytest.raises(ValueError, match="weight element"):
        energy_report(led, "reference-paper", core, weight_element="mems")
