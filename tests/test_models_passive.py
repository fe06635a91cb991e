"""Every passive model is reciprocal and passive; lossless ones are unitary."""

import numpy as np
import pytest
from conftest import dense

from photrain import models as m

# The closed forms are checked to 1e-9..1e-12 against float64 references: each test runs in float64, scoped
# (conftest.py's x64 fixture, jax.enable_x64); photrain itself leaves x64 off (a model computes in the
# dtype its caller runs, float32 by default; circuit solves and sweeps scope float64 themselves).
pytestmark = pytest.mark.usefixtures("x64")


LOSSLESS = {
    "straight": (m.straight, dict(length=123.4, loss_db_per_cm=0.0)),
    "bend_euler": (m.bend_euler, dict(radius=5.0, loss_db_per_cm=0.0)),
    "bend_circular": (m.bend_circular, dict(radius=5.0, loss_db_per_cm=0.0)),
    "coupler_power": (m.coupler_power, dict(coupling=0.3)),
    "coupler_gap": (m.coupler, dict(gap=0.25, length=12.0)),
    "mmi2x2": (m.mmi2x2, dict(imbalance_db=0.5)),
    "phase_shifter_thermal": (m.phase_shifter_thermal, dict(power=0.01, loss_db_per_cm=0.0)),
    "mzi2x2": (m.mzi2x2, dict(theta=0.7, phi=1.9, coupling_1=0.45, delta_length=20.0, loss_db_per_cm=0.0)),
    "ring_allpass": (m.ring_allpass, dict(coupling=0.2, loss_db_per_cm=0.0)),
    "ring_add_drop": (m.ring_add_drop, dict(coupling_1=0.2, coupling_2=0.05, loss_db_per_cm=0.0)),
}
LOSSY = {
    "straight_lossy": (m.straight, dict(length=5000.0, loss_db_per_cm=3.0)),
    "coupler_lossy": (m.coupler_power, dict(coupling=0.7, loss_db=0.3)),
    "mmi1x2": (m.mmi1x2, dict(loss_db=0.2)),
    "y_branch": (m.y_branch, dict()),
    "phase_shifter_carrier": (m.phase_shifter_carrier, dict(voltage=2.0)),
    "mzi2x2_lossy": (m.mzi2x2, dict(theta=2.0, coupler_loss_db=0.2)),
    "mz_modulator": (m.mz_modulator, dict(voltage=1.3)),
    "ring_allpass_lossy": (m.ring_allpass, dict(coupling=0.05, loss_db_per_cm=4.0)),
    "ring_add_drop_lossy": (m.ring_add_drop, dict(coupling_1=0.1, coupling_2=0.1, loss_db_per_cm=4.0)),
    "ring_modulator": (m.ring_modulator, dict(voltage=-1.0)),
    "ring_demux": (m.ring_demux, dict(n_channels=4)),
}


@pytest.mark.parametrize("name", sorted({**LOSSLESS, **LOSSY}))
def test_reciprocal_and_passive(name, wl_sweep):
    model, params = {**LOSSLESS, **LOSSY}[name]
    s, _ = dense(model(wl=wl_sweep, **params))
    assert s.shape[0] == wl_sweep.size
    np.testing.assert_allclose(s, np.swapaxes(s, -1, -2), atol=1e-14)
    sv = np.linalg.svd(s, compute_uv=False)
    assert sv.max() <= 1 + 1e-9


@pytest.mark.parametrize("name", sorted(LOSSLESS))
def test_lossless_models_are_unitary(name, wl_sweep):
    model, params = LOSSLESS[name]
    s, _ = dense(model(wl=wl_sweep, **params))
    eye = np.eye(s.shape[-1])
    np.testing.assert_allclose(np.conj(np.swapaxes(s, -1, -2)) @ s, np.broadcast_to(eye, s.shape), atol=1e-12)


def test_lossy_models_lose_power(wl_sweep):
    s, _ = dense(m.straight(wl=wl_sweep, length=1e4, loss_db_per_cm=2.0))
    # 1 cm at 2 dB/cm: |S21|^2 = 10^(-0.2)
    np.testing.assert_allclose(np.abs(s[:, 0, 1]) ** 2, 10 ** (-0.2), rtol=1e-12)


def test_straight_phase_and_group_delay():
    """Phase 2 pi n_eff L / wl, and d(phase)/d(omega) gives the group index."""
    length, wl = 1000.0, np.array([1.5499, 1.55, 1.5501])
    s = m.straight(wl=wl, length=length, loss_db_per_cm=0.0)
    phase = np.unwrap(np.angle(np.asarray(s[("o1", "o2")])))
    np.testing.assert_allclose(np.angle(np.exp(1j * phase[1])), np.angle(np.exp(2j * np.pi * 2.44 * length / 1.55)), atol=1e-9)
    # n_g = -(wl^2 / (2 pi L)) dphi/dwl
    ng = -(1.55**2) / (2 * np.pi * length) * (phase[2] - phase[0]) / (wl[2] - wl[0])
    assert abs(ng - 4.2) < 1e-3
