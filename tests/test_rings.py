"""Microring models against Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)."""

import gdsfactory as gf
import numpy as np
import pytest
from scipy.optimize import brentq, minimize_scalar

from photrain import models as m
from photrain.circuits import circuit
from photrain.circuits.gf_models import ring_double, ring_single
from photrain.layout.pdk import activate_pdk

# The closed forms are checked to 1e-9..1e-12 against float64 references: each test runs in float64, scoped
# (conftest.py's x64 fixture, jax.enable_x64); photrain itself leaves x64 off (a model computes in the
# dtype its caller runs, float32 by default; circuit solves and sweeps scope float64 themselves).
pytestmark = pytest.mark.usefixtures("x64")


R, K1, K2, LOSS = 8.0, 0.08, 0.04, 3.0
L = 2 * np.pi * R


def drop_power(wl):
    return float(np.abs(m.ring_add_drop(wl=wl, radius=R, coupling_1=K1, coupling_2=K2, loss_db_per_cm=LOSS)[("o1", "o3")]) ** 2)


def test_add_drop_matches_closed_form(wl_sweep):
    wl = np.linspace(1.54, 1.56, 4001)
    s = m.ring_add_drop(wl=wl, radius=R, coupling_1=K1, coupling_2=K2, loss_db_per_cm=LOSS, delta_phase=0.3)
    phi, a = m.round_trip(wl, length=L, neff=2.44, ng=4.2, wl0=1.55, loss_db_per_cm=LOSS, delta_phase=0.3)
    r1, r2 = np.sqrt(1 - K1), np.sqrt(1 - K2)
    np.testing.assert_allclose(np.abs(s[("o1", "o2")]) ** 2, m.ring_through_power(phi, r1=r1, r2=r2, a=a), atol=1e-9)
    np.testing.assert_allclose(np.abs(s[("o1", "o3")]) ** 2, m.ring_drop_power(phi, r1=r1, r2=r2, a=a), atol=1e-9)
    # all-pass is the r2 = 1 limit
    ap = m.ring_allpass(wl=wl, radius=R, coupling=K1, loss_db_per_cm=LOSS, delta_phase=0.3)
    np.testing.assert_allclose(np.abs(ap[("o1", "o2")]) ** 2, m.ring_through_power(phi, r1=r1, r2=1.0, a=a), atol=1e-9)


def _resonance(guess):
    res = minimize_scalar(lambda w: -drop_power(w), bracket=(guess - 2e-4, guess, guess + 2e-4), tol=1e-14)
    return res.x


def _resonances_near(wl0, count=2):
    wl = np.linspace(wl0, wl0 + 0.03, 30001)
    d = np.abs(m.ring_add_drop(wl=wl, radius=R, coupling_1=K1, coupling_2=K2, loss_db_per_cm=LOSS)[("o1", "o3")]) ** 2
    peaks = [i for i in range(1, wl.size - 1) if d[i] > d[i - 1] and d[i] >= d[i + 1] and d[i] > 0.5 * d.max()]
    return [_resonance(wl[i]) for i in peaks[:count]]


def test_fsr_matches_closed_form():
    l1, l2 = _resonances_near(1.55)
    fsr = l2 - l1
    # exact for first-order dispersion: FSR = wl_m wl_{m+1} / (n_g L)
    assert fsr == pytest.approx(l1 * l2 / (4.2 * L), rel=1e-6)
    assert fsr == pytest.approx(float(m.ring_fsr((l1 + l2) / 2, ng=4.2, length=L)), rel=1e-3)


def test_loaded_q_matches_closed_form():
    (res,) = _resonances_near(1.55, count=1)
    half = drop_power(res) / 2
    lo = brentq(lambda w: drop_power(w) - half, res - 2e-3, res)
    hi = brentq(lambda w: drop_power(w) - half, res, res + 2e-3)
    q_measured = res / (hi - lo)
    a = float(10 ** (-LOSS * L * 1e-4 / 20))
    q_closed = float(m.ring_loaded_q(res, ng=4.2, length=L, r1=np.sqrt(1 - K1), r2=np.sqrt(1 - K2), a=a))
    assert q_measured == pytest.approx(q_closed, rel=0.01)


def test_ring_as_sax_circuit_equals_closed_form():
    """Two point couplers + two half-ring waveguides solved by sax == the closed form."""
    half = L / 2
    wg = {"component": "straight", "settings": {"length": half, "loss_db_per_cm": LOSS}}
    net = {
        "instances": {
            "bot": {"component": "ring_coupler", "settings": {"coupling": K1}},
            "top": {"component": "ring_coupler", "settings": {"coupling": K2}},
            "right": wg,
            "left": wg,
        },
        "connections": {"bot,o3": "right,o1", "right,o2": "top,o2", "top,o3": "left,o1", "left,o2": "bot,o2"},
        "ports": {"o1": "bot,o1", "o2": "bot,o4", "o3": "top,o4", "o4": "top,o1"},
    }
    wl = np.linspace(1.545, 1.555, 301)
    s_sax = circuit(net)(wl=wl)
    s_cf = m.ring_add_drop(wl=wl, radius=R, coupling_1=K1, coupling_2=K2, loss_db_per_cm=LOSS)
    for pair in [("o1", "o2"), ("o1", "o3"), ("o4", "o3"), ("o4", "o2")]:
        np.testing.assert_allclose(s_sax[pair], s_cf[pair], atol=1e-9, err_msg=str(pair))


@pytest.mark.parametrize("cell,adapter,settings", [
    ("ring_double", ring_double, dict(radius=10.0, gap=0.2, length_x=0.5, length_y=1.0)),
    ("ring_single", ring_single, dict(radius=10.0, gap=0.2, length_x=4.0, length_y=0.6)),
])
def test_layout_netlist_equals_closed_form(cell, adapter, settings):
    """gdsfactory's ring (coupler_ring + straights + bends) through sax == the ring model."""
    activate_pdk()
    comp = gf.get_component(cell, **settings)
    wl = np.linspace(1.545, 1.555, 301)
    s_sax = circuit(comp.get_netlist(), strict_settings=False)(wl=wl)  # layout-only settings (npoints, bend)
    s_cf = adapter(wl=wl, **settings)
    for pair in s_cf:
        np.testing.assert_allclose(s_sax[pair], s_cf[pair], atol=1e-9, err_msg=str(pair))


def test_euler_bend_length_matches_gdsfactory():
    activate_pdk()
    for radius, p in [(10.0, 0.5), (5.0, 0.3), (20.0, 1.0)]:
        c = gf.components.bend_euler(radius=radius, p=p, npoints=4000)
        assert float(m.euler_bend_length(radius, 90.0, p)) == pytest.approx(c.info["length"], abs=1.5e-3)


def test_ring_modulator_shifts_resonance():
    def dip(v, wl):
        t = np.abs(m.ring_modulator(wl=wl, voltage=v, loss_db_per_cm=0.5)[("o1", "o2")]) ** 2
        return wl[np.argmin(t)]
    wl0 = dip(0.0, np.linspace(1.545, 1.555, 100001))
    window = np.linspace(wl0 - 5e-4, wl0 + 5e-4, 200001)
    shift = dip(-2.0, window) - dip(0.0, window)
    expected = -2.0 * m.rings.DNEFF_DV_RING * wl0 / 4.2
    assert shift == pytest.approx(expected, rel=0.02)


def test_demux_equals_sax_cascade():
    lengths = m.resonant_lengths(m.channel_wavelengths(3, spacing=0.002), radius=10.0)
    inst = {f"r{i}": {"component": "ring_add_drop", "settings": {"length": float(x), "coupling_1": 0.03,
            "coupling_2": 0.03}} for i, x in enumerate(lengths)}
    net = {"instances": inst, "connections": {"r0,o2": "r1,o1", "r1,o2": "r2,o1"},
           "ports": {"o1": "r0,o1", "o2": "r2,o2", "o3": "r0,o3", "o4": "r1,o3", "o5": "r2,o3"}}
    wl = np.linspace(1.545, 1.555, 501)
    s_sax = circuit(net)(wl=wl)
    s_cf = m.ring_demux(wl=wl, n_channels=3, spacing=0.002)
    for pair in s_cf:
        if ("o1" in pair):
            np.testing.assert_allclose(s_sax[pair], s_cf[pair], atol=1e-9, err_msg=str(pair))
    # each channel peaks at its grid wavelength
    for i, ch in enumerate(m.channel_wavelengths(3, spacing=0.002)):
        d = np.abs(m.ring_demux(wl=np.linspace(ch - 1e-4, ch + 1e-4, 2001), n_channels=3, spacing=0.002)[("o1", f"o{3 + i}")])
        assert abs(np.argmax(d) - 1000) <= 2
