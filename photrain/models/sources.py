"""Optical sources: CW laser and frequency-comb lines (plain jittable functions)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from photrain.models.checks import check_nonnegative, check_positive
from photrain.models.wdm import channel_wavelengths


def rin_std(power, *, rin_db_hz: float, bandwidth: float):
    """Standard deviation (W) of relative-intensity noise: sigma = P sqrt(10^(RIN/10) B).

    RIN is the one-sided power spectral density of dP/P in dB/Hz
    (Agrawal, *Fiber-Optic Communication Systems*, 4th ed., eq. 4.6.8).
    """
    return jnp.asarray(power) * jnp.sqrt(10.0 ** (rin_db_hz / 10.0) * bandwidth)


def laser(
    *,
    power: float = 1e-3,
    rin_db_hz: float = -150.0,
    bandwidth: float = 10e9,
    shape: tuple[int, ...] = (),
    key: jax.Array | None = None,
) -> jax.Array:
    """Samples of CW laser output power (W) seen through a receiver of ``bandwidth`` (Hz).

    P = P0 (1 + n), n ~ N(0, 10^(RIN/10) B); noiseless when ``key`` is None.
    """
    check_nonnegative("power", power, unit="W")
    check_positive("bandwidth", bandwidth, unit="Hz")
    p = jnp.broadcast_to(jnp.asarray(power, dtype=float), shape)
    if key is None:
        return p
    return p + rin_std(p, rin_db_hz=rin_db_hz, bandwidth=bandwidth) * jax.random.normal(key, p.shape)


def comb(
    *,
    n_lines: int = 4,
    power_per_line: float = 1e-3,
    wl_center: float = 1.55,
    spacing: float = 0.0016,
    rin_db_hz: float = -140.0,
    bandwidth: float = 10e9,
    key: jax.Array | None = None,
):
    """Frequency-comb / multi-wavelength source: (wavelengths in µm, powers in W) of ``n_lines``.

    Each line has independent RIN (:func:`laser`); lines sit on the grid of
    :func:`photrain.models.wdm.channel_wavelengths`.
    """
    wls = jnp.asarray(channel_wavelengths(int(n_lines), wl_center=wl_center, spacing=spacing))
    powers = laser(power=power_per_line, rin_db_hz=rin_db_hz, bandwidth=bandwidth, shape=(int(n_lines),), key=key)
    return wls, powers
