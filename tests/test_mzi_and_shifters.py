import numpy as np
import pytest

from photrain import models as m
from photrain.circuits import circuit

# The closed forms are checked to 1e-9..1e-12 against float64 references: each test runs in float64, scoped
# (conftest.py's x64 fixture, jax.enable_x64); photrain itself leaves x64 off (a model computes in the
# dtype its caller runs, float32 by default; circuit solves and sweeps scope float64 themselves).
pytestmark = pytest.mark.usefixtures("x64")



@pytest.mark.parametrize("theta", np.linspace(0, 2 * np.pi, 7))
def test_mzi_bar_cross_follow_half_phase(theta):
    s = m.mzi2x2(theta=theta, phi=0.4, loss_db_per_cm=0.0)
    assert abs(s[("o1", "o4")]) ** 2 == pytest.approx(np.sin(theta / 2) ** 2, abs=1e-12)
    assert abs(s[("o1", "o3")]) ** 2 == pytest.approx(np.cos(theta / 2) ** 2, abs=1e-12)


def test_mzi_equals_sax_circuit_of_its_parts():
    """Coupler, two phase-shifted arms, coupler solved by sax == the structured MZI model."""
    theta, phi, k1, k2, arm, dl = 1.1, 2.3, 0.47, 0.53, 50.0, 3.0
    p_pi = 0.024
    net = {
        "instances": {
            "c1": {"component": "coupler_power", "settings": {"coupling": k1}},
            "c2": {"component": "coupler_power", "settings": {"coupling": k2}},
            "ext": {"component": "phase_shifter_thermal",
                    "settings": {"power": phi * p_pi / np.pi, "length": 0.0, "wl0": 1.55}},
            "top": {"component": "phase_shifter_thermal",
                    "settings": {"power": theta * p_pi / np.pi, "length": arm + dl, "loss_db_per_cm": 2.0}},
            "bot": {"component": "straight", "settings": {"length": arm, "loss_db_per_cm": 2.0}},
        },
        "connections": {"ext,o2": "c1,o2", "c1,o3": "top,o1", "c1,o4": "bot,o1", "top,o2": "c2,o2", "bot,o2": "c2,o1"},
        "ports": {"o1": "c1,o1", "o2": "ext,o1", "o3": "c2,o3", "o4": "c2,o4"},
    }
    s_sax = circuit(net)(wl=1.55)
    s = m.mzi2x2(wl=1.55, theta=theta, phi=phi, coupling_1=k1, coupling_2=k2, arm_length=arm, delta_length=dl)
    for pair in [("o1", "o3"), ("o1", "o4"), ("o2", "o3"), ("o2", "o4")]:
        np.testing.assert_allclose(s_sax[pair], s[pair], atol=1e-12, err_msg=str(pair))


@pytest.mark.parametrize("er_db", [10.0, 20.0, 30.0])
def test_mzm_extinction_ratio_equals_parameter(er_db):
    v = np.linspace(-4, 4, 8001)  # V_pi = 4: covers d = 0 and d = pi
    t = np.abs(m.mz_modulator(voltage=v, v_pi=4.0, extinction_ratio_db=er_db, insertion_loss_db=3.0)[("o1", "o2")]) ** 2
    assert 10 * np.log10(t.max() / t.min()) == pytest.approx(er_db, abs=1e-6)
    assert 10 * np.log10(t.max()) == pytest.approx(-3.0, abs=1e-9)


def test_thermal_phase_shifter_gives_pi_at_p_pi():
    s0 = m.phase_shifter_thermal(power=0.0, loss_db_per_cm=0.0)[("o1", "o2")]
    s1 = m.phase_shifter_thermal(power=0.03, p_pi=0.03, loss_db_per_cm=0.0)[("o1", "o2")]
    assert complex(s1 / s0) == pytest.approx(-1.0, abs=1e-12)
    assert float(m.power_for_phase(np.pi, p_pi=0.03)) == pytest.approx(0.03)


def test_carrier_phase_shifter_phase_and_loss_follow_voltage():
    length, vpi_l = 2000.0, 2.0
    v_pi = vpi_l / (length * 1e-4)
    s0 = m.phase_shifter_carrier(voltage=0.0, length=length, vpi_l=vpi_l)[("o1", "o2")]
    s1 = m.phase_shifter_carrier(voltage=v_pi, length=length, vpi_l=vpi_l)[("o1", "o2")]
    assert np.angle(complex(s1 / s0)) == pytest.approx(np.pi, abs=1e-9) or np.angle(complex(s1 / s0)) == pytest.approx(
        -np.pi, abs=1e-9)
    # reverse bias lowers the loss: 10 dB/cm - 0.5 dB/cm/V * V over 0.2 cm
    expected_db = (10.0 - 0.5 * v_pi) * 0.2
    assert -20 * np.log10(abs(complex(s1))) == pytest.approx(expected_db, rel=1e-9)
