"""Heater electrical model: resistance from drawn squares, P_pi closed form, V_pi, crosstalk from distance."""

import numpy as np
import pytest

from photrain.layout.cells import bank_ring, heater_straight
from photrain.layout.heater_layout import heater_design, mesh_crosstalk, ring_hold_power
from photrain.models.heaters import (
    DN_DT_SI,
    SHEET_RESISTANCE,
    THERMAL_CONDUCTANCE,
    heater_p_pi,
    heater_resistance,
    thermal_crosstalk,
    v_pi,
)
from photrain.models.phase_shifters import P_PI_THERMAL, power_for_phase, thermal_phase

# closed-form physics checked to 1e-9..1e-12 against float64 references: the module runs in float64, scoped
# (conftest.py: X64); photrain's float32 accuracy (its default) is checked in tests/test_x64.py
X64 = True


def test_straight_heater_p_pi_is_the_closed_form_and_harris():
    # P_pi = wl g L / (2 dn/dT L): a heater over its whole waveguide needs Harris et al.'s 24 mW at any length
    for length in (20.0, 100.0, 500.0):
        assert float(heater_p_pi(length)) == pytest.approx(P_PI_THERMAL, rel=1e-12)
    # half the waveguide heated by the same resistor: twice the power; closed form by hand
    p = float(heater_p_pi(100.0, 50.0, wl=1.55, dn_dt=DN_DT_SI))
    assert p == pytest.approx(1.55e-6 * THERMAL_CONDUCTANCE * 100.0 / (2 * DN_DT_SI * 50.0), rel=1e-12)
    assert p == pytest.approx(2 * P_PI_THERMAL, rel=1e-12)


def test_drawn_heater_resistance_power_and_voltage():
    cell = heater_straight(length=50.0)
    d = heater_design(cell)
    # 46 µm of 2.5 µm wide heater plus two leads: squares from the drawing, R = R_s x squares
    assert d.squares == pytest.approx(cell.info["heater_squares"])
    assert d.resistance == pytest.approx(SHEET_RESISTANCE * d.squares)
    assert 18.0 < d.squares < 20.0
    # V_pi^2 / R dissipates P_pi, and that power gives pi through the thermo-optic helper
    assert float(v_pi(d.resistance, d.p_pi)) ** 2 / d.resistance == pytest.approx(d.p_pi, rel=1e-12)
    assert float(thermal_phase(d.p_pi, p_pi=d.p_pi)) == pytest.approx(np.pi, rel=1e-12)
    ring = heater_design(bank_ring())
    assert ring.heated_length < 37.5  # part of the ~37 µm ring
    assert ring.p_pi > P_PI_THERMAL  # the resistor is longer than the ring length it heats
    assert ring_hold_power(mean_phase=np.pi) == pytest.approx(ring.p_pi)
    assert float(heater_resistance(4.0, sheet_resistance=7.0)) == 28.0


def test_thermal_crosstalk_falls_with_distance():
    d = np.array([0.0, 5.0, 15.0, 30.0, 100.0])
    x = np.asarray(thermal_crosstalk(d))
    assert x[0] == pytest.approx(1.0)
    assert np.all(np.diff(x) < 0) and x[-1] > 0
    # far field ~ 1 / d^2 (image dipole): quadrupling going from 100 to 50 µm
    assert float(thermal_crosstalk(50.0)) / float(thermal_crosstalk(100.0)) == pytest.approx(4.0, rel=0.02)
    # a mesh column's neighbours (2 modes = 30 µm apart) get a few per cent
    assert mesh_crosstalk(15.0) == pytest.approx(float(thermal_crosstalk(30.0)))
    assert 0.001 < mesh_crosstalk() < 0.05


def test_layout_crosstalk_feeds_the_mesh_core():
    from photrain.cores import MZIMesh, haar_unitary

    mesh = MZIMesh(4, crosstalk=mesh_crosstalk())
    ideal = MZIMesh(4)
    u = haar_unitary(4, np.random.default_rng(0))
    s = mesh.program_unitary(u)
    err = np.abs(np.asarray(mesh.transfer(s)) - np.asarray(ideal.transfer(s))).max()
    assert 1e-4 < err < 0.5  # the drawn crosstalk perturbs the realised matrix


def test_mesh_compensates_the_drawn_crosstalk():
    """A calibrated mesh pre-compensates the drawn cell's crosstalk: the heaters then produce the programmed phases."""
    from photrain.cores import MZIMesh, haar_unitary
    from photrain.layout.heater_layout import MESH_HEATER_CROSSTALK

    n = 6
    u = haar_unitary(n, np.random.default_rng(1))
    ideal = MZIMesh(n)
    s = ideal.program_unitary(u)
    raw = MZIMesh(n, crosstalk=MESH_HEATER_CROSSTALK)
    cal = MZIMesh(n, crosstalk=MESH_HEATER_CROSSTALK, compensate_crosstalk=True)
    t0 = np.asarray(ideal.transfer(s))
    np.testing.assert_allclose(t0, u, atol=1e-9)
    rel = lambda t: np.linalg.norm(np.asarray(t) - t0) / np.linalg.norm(t0)  # noqa: E731
    assert rel(raw.transfer(s)) > 0.05  # uncompensated: several per cent off at 6 modes
    assert rel(cal.transfer(s)) < 1e-8
    theta, phi, _ = cal.realised_phases(s)
    active = np.asarray(s.active)
    for got, want in ((theta, s.theta), (phi, s.phi)):
        np.testing.assert_allclose(np.angle(np.exp(1j * (got - np.asarray(want))))[active], 0.0, atol=1e-9)
    # heaters that are not drawn (inactive slots) are never driven
    from photrain.cores.mesh import _column_drive

    assert (~active).any()
    np.testing.assert_array_equal(np.asarray(_column_drive(s.theta, s.active, cal._spec))[~active], 0.0)
    with pytest.raises(ValueError, match="heater"):
        heater_design(type("C", (), {"info": {}, "name": "x"})())


def test_layout_figures_are_the_drawn_cells():
    """The constants the cores and the energy table take are what the cells draw: a drifting layout fails here."""
    from photrain.layout import heater_layout as hl

    drawn = hl.drawn_geometry()
    for name, geometry in hl.DRAWN_HEATERS.items():
        assert drawn[name] == pytest.approx(geometry, rel=1e-12), name
    assert drawn["mesh_heater_distance"] == pytest.approx(hl.MESH_HEATER_DISTANCE, rel=1e-12)
    for written, cell, name in ((hl.RING_HEATER, bank_ring(), "bank_ring"),
                                (hl.MESH_HEATER, heater_straight(length=50.0), "heater_straight")):
        for design in (heater_design(cell), hl.design_from_geometry(*hl.DRAWN_HEATERS[name])):
            assert tuple(vars(written).values()) == pytest.approx(tuple(vars(design).values()), rel=1e-12), name
    assert hl.MESH_HEATER_CROSSTALK == pytest.approx(float(thermal_crosstalk(drawn["mesh_heater_distance"])), rel=1e-12)
    # a mesh drawn at another pitch is read as such (the distance comes from the drawing, not a parameter)
    from photrain.layout.cells import clements_mesh

    assert hl.mesh_heater_distance(clements_mesh(4, pitch=20.0)) == pytest.approx(40.0)


def test_energy_table_holds_the_drawn_ring_heater():
    """ring_tuning_power of both presets = P_pi of the drawn bank_ring x the bank's held phase / pi."""
    from photrain.controller import heater_power as hp
    from photrain.controller.energy import PRESETS, SOURCES

    mean, top = hp.bank_detuning()  # programs the default bank again
    assert mean == pytest.approx(hp.BANK_MEAN_DETUNING, rel=1e-3)
    assert top == pytest.approx(hp.BANK_MAX_DETUNING, rel=1e-12)
    p_pi = heater_design(bank_ring()).p_pi  # drawn again
    assert PRESETS["reference-paper"].ring_tuning_power == pytest.approx(p_pi * mean / np.pi, rel=1e-3)
    assert PRESETS["conservative"].ring_tuning_power == pytest.approx(p_pi * top / np.pi, rel=1e-12)
    assert "drawn bank_ring heater" in SOURCES["ring_tuning_power"][2]
    for written, phase in ((hp.RING_HOLD_POWER_MEAN, hp.BANK_MEAN_DETUNING), (hp.RING_HOLD_POWER_MAX, top)):
        assert written == pytest.approx(float(power_for_phase(phase, p_pi=p_pi)), rel=1e-12)
    # a bigger P_pi in the drawing would raise the hold power in proportion
    assert hp.RING_HOLD_POWER_MAX == pytest.approx(ring_hold_power(mean_phase=top), rel=1e-12)


def test_training_mesh_is_the_drawn_mesh():
    """The mesh core training builds (MeshConfig) carries the drawn crosstalk, compensated; ideal drops it."""
    from photrain.controller.hardware import MeshConfig
    from photrain.layout.heater_layout import MESH_HEATER_CROSSTALK, mesh_heater_distance

    assert MESH_HEATER_CROSSTALK == pytest.approx(float(thermal_crosstalk(mesh_heater_distance())), rel=1e-12)
    mesh = MeshConfig(n=4).mesh()
    assert mesh.crosstalk == MESH_HEATER_CROSSTALK and mesh.compensate_crosstalk
    assert MeshConfig(n=4, ideal=True).mesh().crosstalk == 0.0
