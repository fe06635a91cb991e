"""Waveguides: straight, circular bend, Euler bend.

All models take wavelength ``wl`` in micrometres and lengths in micrometres and
return a sax ``SDict``. They are reciprocal and reflection-free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from photrain.models.checks import check_nonnegative, check_positive, check_range, check_wavelength
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, propagation
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax

# 32-point Gauss-Legendre nodes on [0, 1] for the Fresnel integrals of the Euler bend.
_GL_X, _GL_W = np.polynomial.legendre.leggauss(32)
_GL_X = (_GL_X + 1.0) / 2.0
_GL_W = _GL_W / 2.0


def straight(
    *,
    wl=1.55,
    length: float = 10.0,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
) -> sax.SDict:
    """Straight waveguide.

    ::

        o1 ──────────── o2

    S21 = a exp(i 2 pi n_eff(wl) L / wl), a = 10^(-alpha L / 20) with alpha in
    dB/cm and L in cm (Chrostowski & Hochberg, *Silicon Photonics Design*, §3.1).

    Args:
        wl: wavelength (µm), scalar or array.
        length: physical length (µm), >= 0.
        neff: effective index at ``wl0``.
        ng: group index (sets first-order dispersion).
        wl0: reference wavelength (µm) for ``neff``.
        loss_db_per_cm: propagation loss (dB/cm), >= 0.
    """
    check_wavelength(wl)
    check_nonnegative("length", length, unit="um")
    check_nonnegative("loss_db_per_cm", loss_db_per_cm, unit="dB/cm")
    t = propagation(wl, length=length, neff=neff, ng=ng, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
    return reciprocal({("o1", "o2"): t})


def bend_circular(
    *,
    wl=1.55,
    radius: float = 10.0,
    angle: float = 90.0,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
) -> sax.SDict:
    """Circular bend of ``radius`` (µm) through ``angle`` (degrees).

    ::

                 o2
                 │
        o1 ──────╯

    Length L = R * |angle| (rad); otherwise a straight of that length.
    """
    check_positive("radius", radius, unit="um")
    length = radius * jnp.abs(jnp.deg2rad(angle))
    return straight(wl=wl, length=length, neff=neff, ng=ng, wl0=wl0, loss_db_per_cm=loss_db_per_cm)


def euler_bend_length(radius, angle=90.0, p=0.5, *, with_arc_floorplan: bool = True):
    """Arc length (µm) of a partial Euler bend, as drawn by gdsfactory's ``bend_euler``.

    The curvature rises linearly over a fraction ``p`` of the bend and is
    constant in between (Vogelbacher et al., Opt. Express 27, 31394 (2019)).
    With R0 = 1, the clothoid part ends at s_p = sqrt(p alpha); the arc part
    has radius R_p = 1 / s_p and total unscaled length s0 = 2 s_p + R_p alpha (1-p).
    With ``with_arc_floorplan`` the curve is scaled so that its end points match
    a circular arc of ``radius`` (Fresnel integrals by 32-point Gauss-Legendre
    quadrature), otherwise ``radius`` is the minimum bend radius.
    Valid for 0 < angle < 180 degrees and 0 < p <= 1.
    """
    alpha = jnp.deg2rad(jnp.abs(angle))
    sp = jnp.sqrt(p * alpha)
    rp = 1.0 / sp
    s0 = 2 * sp + rp * alpha * (1 - p)
    if not with_arc_floorplan:
        return s0 * radius / rp
    t = sp * _GL_X
    xp = sp * jnp.sum(_GL_W * jnp.cos(t**2 / 2))
    yp = sp * jnp.sum(_GL_W * jnp.sin(t**2 / 2))
    # Shift of the arc centre so that the arc joins the clothoid at angle p*alpha/2.
    dx = xp - rp * jnp.sin(p * alpha / 2)
    dy = yp - rp * (1 - jnp.cos(p * alpha / 2))
    mx = rp * jnp.sin(alpha / 2) + dx
    my = rp * (1 - jnp.cos(alpha / 2)) + dy
    # The second half mirrors the first: chord to the midpoint, reflected.
    chord = jnp.hypot(mx, my)
    phi = jnp.arctan2(my, mx)
    ex = mx + chord * jnp.cos(alpha - phi)
    ey = my + chord * jnp.sin(alpha - phi)
    reff = ey - jnp.tan(alpha - jnp.pi / 2) * ex
    return s0 * radius / reff


def bend_euler(
    *,
    wl=1.55,
    radius: float = 10.0,
    angle: float = 90.0,
    p: float = 0.5,
    with_arc_floorplan: bool = True,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
) -> sax.SDict:
    """Euler (clothoid) bend: a waveguide of length ``euler_bend_length(radius, angle, p)``.

    ::

                 o2
                 │
        o1 ──────╯

    Args:
        radius: effective radius (µm) with ``with_arc_floorplan``, else minimum radius.
        angle: bend angle (degrees), 0 < |angle| < 180.
        p: Euler fraction of the bend, 0 < p <= 1.
    """
    check_positive("radius", radius, unit="um")
    check_range("p", p, 1e-9, 1.0)
    length = euler_bend_length(radius, angle, p, with_arc_floorplan=with_arc_floorplan)
    return straight(wl=wl, length=length, neff=neff, ng=ng, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
