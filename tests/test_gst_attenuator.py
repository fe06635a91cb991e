"""Non-volatile GST attenuators for MZI-mesh cores (issue 13, part 5): the reachable amplitudes of a cascade,
the nearest-amplitude write, SVD tiles programmed through them, configuration and energy."""

import itertools
from math import comb

import jax
import numpy as np
import pytest

from photrain.controller import CoreSpec, Ledger, MeshConfig, energy_report, load_preset
from photrain.controller.mesh_heaters import mesh_heaters
from photrain.cores import GSTAttenuator, MZIMesh
from photrain.models.gst import GSTCell

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True


def test_cascade_amplitudes_are_the_products_of_the_cell_levels():
    cell = GSTCell()
    t = np.linspace(cell.t_crystalline, cell.t_amorphous, cell.levels)  # levels equally spaced in transmission
    np.testing.assert_allclose(GSTAttenuator(cell, cells=1).amplitudes(), np.sqrt(t), rtol=1e-12)
    two = GSTAttenuator(cell, cells=2)
    expected = sorted(np.sqrt(a * b) for a, b in itertools.combinations_with_replacement(t, 2))
    np.testing.assert_allclose(two.amplitudes(), expected, rtol=1e-12)
    six = GSTAttenuator(cell, cells=6).amplitudes()
    assert len(six) == comb(8 + 6 - 1, 6) == 1716  # every product of 6 levels is distinct
    assert six[0] == pytest.approx(0.25**3) and six[-1] == pytest.approx(0.95**3)
    assert GSTAttenuator(cell, cells=6).insertion_amplitude == pytest.approx(0.95**3)


def test_realise_writes_the_nearest_reachable_amplitude_and_clips_below_the_darkest():
    att = GSTAttenuator(cells=3)
    table = att.amplitudes()
    r = np.random.default_rng(0).uniform(0, 1, 500)
    got = np.asarray(jax.jit(att.realise)(r))  # one compiled program (eagerly every op compiles on its own)
    want = table[np.argmin(np.abs(r[:, None] * att.insertion_amplitude - table[None, :]), axis=1)]
    np.testing.assert_allclose(got, want, rtol=1e-12)  # brute force over every reachable amplitude
    np.testing.assert_allclose(np.asarray(att.realise(np.array([0.0, 1.0, 1.5]))), [table[0], table[-1], table[-1]])


def test_svd_tiles_through_gst_attenuators_approach_the_target_as_cells_are_added():
    rng = np.random.default_rng(1)
    w = rng.uniform(-1, 1, (16, 16))
    errors = {}
    for cells in (2, 4, 6):
        mesh = MZIMesh(16, attenuator=GSTAttenuator(cells=cells))
        tiles = mesh.compile(w)
        errors[cells] = np.linalg.norm(np.asarray(tiles.effective_matrix()) - w) / np.linalg.norm(w)
        # the field carries the cascade's insertion loss; the digital rescale takes it back
        top = np.linalg.svd(np.asarray(tiles.matrix[0, 0]), compute_uv=False)[0]
        assert top == pytest.approx(GSTAttenuator(cells=cells).insertion_amplitude, rel=0.02)
        single = mesh.effective_matrix(mesh.program(w))  # one tile programmed directly: the same matrix
        np.testing.assert_allclose(np.asarray(single), np.asarray(tiles.effective_matrix()), atol=2e-5)
    assert errors[2] > errors[4] > errors[6] and errors[6] < 0.015
    exact = MZIMesh(16).compile(w)  # ideal heater-tuned MZI attenuators
    assert np.linalg.norm(np.asarray(exact.effective_matrix()) - w) / np.linalg.norm(w) < 1e-6


def test_gst_mesh_attenuators_remove_their_heaters_and_cost_writes_instead():
    p = load_preset("reference-paper")
    led = Ledger(optical_macs=10**6, dac_conversions=10**5, adc_conversions=10**5, optical_passes=10, symbol_slots=10**4,
                 programmings=3, steps=1)
    mzi = energy_report(led, p, CoreSpec(16, 16, kind="mesh"))
    gst = energy_report(led, p, CoreSpec(16, 16, kind="mesh", attenuator="gst", gst_cells=6))
    assert CoreSpec(16, 16, kind="mesh", attenuator="gst").heaters_per_core == mesh_heaters(16) - 16 == 512
    assert gst.energy["heaters (program)"] == pytest.approx(3 * 512 * p.mzi_heater_power * p.heater_settle_time)
    assert gst.energy["GST writes"] == pytest.approx(3 * 16 * 6 * 13.4e-12)  # programmings x cells x pulse energy
    assert mzi.energy["GST writes"] == 0
    assert gst.energy["heaters (hold)"] == pytest.approx(512 * p.mzi_heater_power * gst.latency, rel=1e-12)
    assert gst.programming_time == pytest.approx(mzi.programming_time + 3 * 16 * 6 * 1e-9)  # cells written in turn
    with pytest.raises(ValueError, match="mesh cores only"):
        CoreSpec(16, 16, attenuator="gst")


def test_mesh_config_builds_gst_attenuators_and_rejects_bad_ones():
    mesh = MeshConfig(n=4, attenuator="gst", gst_cells=3, gst_levels=5).mesh()
    assert mesh.attenuator == GSTAttenuator(GSTCell(levels=5), cells=3)
    assert MeshConfig(n=4).mesh().attenuator is None and MeshConfig(n=4, ideal=True, attenuator="gst").mesh().attenuator
    with pytest.raises(ValueError, match="--mesh-attenuator"):
        MeshConfig(attenuator="gst-mzi")
    with pytest.raises(ValueError, match="--mesh-gst-cells"):
        MeshConfig(attenuator="gst", gst_cells=0)
    with pytest.raises(ValueError, match="cells in series"):
        GSTAttenuator(cells=0)
    with pytest.raises(ValueError, match="GSTAttenuator"):
        MZIMesh(4, attenuator="gst")


def test_steady_state_core_of_a_gst_bank_holds_no_heater_power():
    from photrain.controller.energy import steady_state_core

    heater = steady_state_core("reference-paper", CoreSpec(64, 10))
    gst = steady_state_core("reference-paper", CoreSpec(64, 10), weight_element="gst")
    assert heater.energy["heaters (hold)"] > 0 and gst.energy["heaters (hold)"] == 0
    assert gst.energy["laser"] == heater.energy["laser"] and gst.pj_per_optical_mac < heater.pj_per_optical_mac
