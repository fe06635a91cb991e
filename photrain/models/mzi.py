"""Mach-Zehnder interferometer (2x2 switch / mesh cell) and Mach-Zehnder modulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from photrain.models.checks import check_nonnegative, check_positive, check_range, check_wavelength
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, db_to_amplitude, propagation
from photrain.models.phase_shifters import thermo_optic_phase
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax


def coupler_matrix(coupling, loss_db=0.0):
    """2x2 mode matrix [[t, i k], [i k, t]] of a coupler (modes: bottom o1/o4, top o2/o3)."""
    a = db_to_amplitude(loss_db)
    t = a * jnp.sqrt(1 - jnp.asarray(coupling))
    k = 1j * a * jnp.sqrt(jnp.asarray(coupling))
    return jnp.stack([jnp.stack([t, k], -1), jnp.stack([k, t], -1)], -2)


def mzi_matrix(theta, phi, *, coupling_1=0.5, coupling_2=0.5, coupler_loss_db=0.0, arm_top=1.0, arm_bottom=1.0):
    """2x2 transfer matrix of an MZI in the mode basis (bottom, top).

    T = C2 · diag(arm_bottom, arm_top e^{i theta}) · C1 · diag(1, e^{i phi}):
    external phase ``phi`` on the top input, internal phase ``theta`` on the
    top arm (Clements et al., Optica 3, 1460 (2016), eq. 1, with couplers
    written out so that their ratio errors enter as device parameters).
    Broadcasts over leading dimensions of all arguments.
    """
    theta = jnp.asarray(theta)
    phi = jnp.asarray(phi)
    c1 = coupler_matrix(coupling_1, coupler_loss_db)
    c2 = coupler_matrix(coupling_2, coupler_loss_db)
    one = jnp.ones_like(theta * phi)
    inner = jnp.stack([arm_bottom * one, arm_top * jnp.exp(1j * theta) * one], -1)
    outer = jnp.stack([one, jnp.exp(1j * phi) * one], -1)
    m = c1 * outer[..., None, :]
    m = inner[..., :, None] * m
    return c2 @ m


def mzi2x2(
    *,
    wl=1.55,
    theta: float = 0.0,
    phi: float = 0.0,
    coupling_1: float = 0.5,
    coupling_2: float = 0.5,
    coupler_loss_db: float = 0.0,
    arm_length: float = 100.0,
    delta_length: float = 0.0,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
) -> sax.SDict:
    """2x2 MZI: coupler, two phase-shifted arms, coupler.

    ::

        o2 ──┐ ┌──[phi]── top arm [theta] ──┐ ┌── o3
             ═══                            ═══
        o1 ──┘ └──────── bottom arm ────────┘ └── o4

    With 50:50 couplers, bar (o1→o4) power = sin^2(theta/2) and cross (o1→o3)
    power = cos^2(theta/2). The arms are waveguides of ``arm_length`` (top one
    ``delta_length`` longer) so wavelength dependence and loss are physical.

    The heater phases are given at ``wl0``; a thermo-optic phase scales as
    wl0 / wl at other wavelengths (:func:`photrain.models.phase_shifters.thermo_optic_phase`).

    Args:
        theta: internal phase (rad at wl0), top arm.
        phi: external phase (rad at wl0), top input.
        coupling_1, coupling_2: power coupling of the input/output couplers in [0, 1].
        coupler_loss_db: excess loss per coupler (dB).
    """
    check_wavelength(wl)
    check_range("coupling_1", coupling_1, 0.0, 1.0)
    check_range("coupling_2", coupling_2, 0.0, 1.0)
    check_nonnegative("coupler_loss_db", coupler_loss_db, unit="dB")
    check_nonnegative("arm_length", arm_length, unit="um")
    check_nonnegative("delta_length", delta_length, unit="um")
    check_nonnegative("loss_db_per_cm", loss_db_per_cm, unit="dB/cm")
    kw = dict(neff=neff, ng=ng, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
    bottom = propagation(wl, length=arm_length, **kw)
    top = propagation(wl, length=arm_length + delta_length, **kw)
    wl = jnp.asarray(wl, dtype=float)
    t = mzi_matrix(
        thermo_optic_phase(theta, wl=wl, wl0=wl0), thermo_optic_phase(phi, wl=wl, wl0=wl0),
        coupling_1=coupling_1, coupling_2=coupling_2,
        coupler_loss_db=coupler_loss_db, arm_top=top, arm_bottom=bottom,
    )
    return reciprocal(
        {
            ("o1", "o4"): t[..., 0, 0],
            ("o2", "o4"): t[..., 0, 1],
            ("o1", "o3"): t[..., 1, 0],
            ("o2", "o3"): t[..., 1, 1],
        }
    )


def mzm_split_ratio(extinction_ratio_db):
    """Power split k of the y-branches that gives a static extinction ratio (dB).

    E_out ∝ k e^{i d/2} + (1-k) e^{-i d/2}: max 1, min (2k-1)^2, so
    ER = 1/(2k-1)^2 and k = (1 + 10^(-ER/20)) / 2.
    """
    return (1.0 + 10.0 ** (-jnp.asarray(extinction_ratio_db) / 20.0)) / 2.0


def mz_modulator(
    *,
    wl=1.55,
    voltage: float = 0.0,
    v_pi: float = 4.0,
    bias_phase: float = 0.0,
    extinction_ratio_db: float = 25.0,
    insertion_loss_db: float = 4.0,
) -> sax.SDict:
    """Push-pull Mach-Zehnder modulator (intensity).

    ::

                ┌── +V/2 arm ──┐
        o1 ─────┤              ├───── o2
                └── -V/2 arm ──┘

    E_out = a [k e^{i d/2} + (1-k) e^{-i d/2}], d = pi V / V_pi + bias_phase,
    so |S21|^2 = a^2 [1 - 4 k (1-k) sin^2(d/2)]: transmission is
    ``insertion_loss_db`` below 1 at d = 0 and the max/min ratio equals
    ``extinction_ratio_db`` (k from :func:`mzm_split_ratio`; Reed et al.,
    Nat. Photonics 4, 518 (2010)).

    Args:
        voltage: drive voltage (V).
        v_pi: voltage for a pi phase difference in push-pull (V), > 0.
        bias_phase: static phase difference (rad); pi/2 is quadrature.
        extinction_ratio_db: static extinction ratio (dB), > 0.
        insertion_loss_db: on-state loss (dB), >= 0.
    """
    check_wavelength(wl)
    check_positive("v_pi", v_pi, unit="V")
    check_positive("extinction_ratio_db", extinction_ratio_db, unit="dB")
    check_nonnegative("insertion_loss_db", insertion_loss_db, unit="dB")
    k = mzm_split_ratio(extinction_ratio_db)
    d = jnp.pi * jnp.asarray(voltage) / v_pi + bias_phase
    e = db_to_amplitude(insertion_loss_db) * (k * jnp.exp(0.5j * d) + (1 - k) * jnp.exp(-0.5j * d))
    e = jnp.broadcast_to(e, jnp.broadcast_shapes(jnp.shape(e), jnp.shape(jnp.asarray(wl))))
    return reciprocal({("o1", "o2"): e})


def mzm_intensity(drive, *, floor: float):
    """Normalised transmitted intensity f + (1 - f) sin^2(pi drive / 2) of a push-pull MZM biased at null.

    The closed form of :func:`mz_modulator`'s |S21|^2 with ``bias_phase = pi`` and
    ``voltage = drive * v_pi``, divided by the on-state transmission a^2:
    a^2 [1 - (1 - f) sin^2(d / 2)], d = pi (drive + 1), and 4 k (1 - k) = 1 - f with
    f = 10^(-ER / 10) = (2 k - 1)^2 (:func:`mzm_split_ratio`). ``drive`` in [0, 1]
    (fraction of the 0..V_pi swing) goes from the extinction floor f to 1 along
    the sin^2 of the interferometer (Reed et al., Nat. Photonics 4, 518 (2010)).
    Keeps the dtype of ``drive`` (``floor`` is a Python float).
    """
    return floor + (1.0 - floor) * jnp.sin((0.5 * jnp.pi) * jnp.asarray(drive)) ** 2


def mzm_drive(intensity, *, floor: float):
    """Inverse of :func:`mzm_intensity`: the drive in [0, 1] (fraction of V_pi) giving a normalised intensity.

    drive = (2 / pi) arcsin(sqrt((I - f) / (1 - f))); intensities outside [f, 1] clip to the ends.
    """
    g = jnp.clip((jnp.asarray(intensity) - floor) / (1.0 - floor), 0.0, 1.0)
    return (2.0 / jnp.pi) * jnp.arcsin(jnp.sqrt(g))
