"""Photodiodes, balanced photodiodes and transimpedance amplifiers.

Noise (one-sided, over a receiver bandwidth B; Agrawal, *Fiber-Optic
Communication Systems*, 4th ed., §4.4.1, eqs. 4.4.5 and 4.4.8):

    shot:    sigma_s^2 = 2 q (I_signal + I_dark) B
    thermal: sigma_T^2 = 4 k_B T B / R_L
    RIN:     sigma_R^2 = I_signal^2 10^(RIN/10) B

Noise is drawn fresh each call from an explicit ``jax.random`` key; with
``key=None`` the detector is noiseless (the mean photocurrent).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from photrain.constants import K_B, Q_E
from photrain.models.checks import check_nonnegative, check_positive

RESPONSIVITY = 1.0  #: A/W, Ge-on-Si photodiode at 1550 nm (Michel et al., Nat. Photonics 4, 527 (2010))
DARK_CURRENT = 10e-9  #: A, same source
BANDWIDTH = 10e9  #: Hz, receiver noise bandwidth
LOAD_RESISTANCE = 1e3  #: Ohm, effective resistance setting thermal noise (TIA feedback)
TEMPERATURE = 300.0  #: K


def photocurrent_variance(
    current,
    *,
    dark_current: float = DARK_CURRENT,
    bandwidth: float = BANDWIDTH,
    temperature: float = TEMPERATURE,
    load_resistance: float = LOAD_RESISTANCE,
    rin_db_hz: float | None = None,
):
    """Total photocurrent noise variance (A^2): shot + thermal (+ RIN if ``rin_db_hz``)."""
    current = jnp.asarray(current)
    var = 2 * Q_E * (jnp.abs(current) + dark_current) * bandwidth
    var = var + 4 * K_B * temperature * bandwidth / load_resistance
    if rin_db_hz is not None:
        var = var + current**2 * 10.0 ** (rin_db_hz / 10.0) * bandwidth
    return var


def _check_detector(responsivity, dark_current, bandwidth, temperature, load_resistance):
    check_nonnegative("responsivity", responsivity, unit="A/W")
    check_nonnegative("dark_current", dark_current, unit="A")
    check_positive("bandwidth", bandwidth, unit="Hz")
    check_nonnegative("temperature", temperature, unit="K")
    check_positive("load_resistance", load_resistance, unit="Ohm")


def photodiode(
    power,
    *,
    key: jax.Array | None = None,
    responsivity: float = RESPONSIVITY,
    dark_current: float = DARK_CURRENT,
    bandwidth: float = BANDWIDTH,
    temperature: float = TEMPERATURE,
    load_resistance: float = LOAD_RESISTANCE,
    rin_db_hz: float | None = None,
) -> jax.Array:
    """Photocurrent (A) for optical ``power`` (W): I = R P + I_dark + noise.

    Args:
        power: optical power on the diode (W), any shape.
        key: ``jax.random`` key for the noise; None gives the noiseless current.
        responsivity: A/W.
        dark_current: A.
        bandwidth: receiver noise bandwidth (Hz).
        temperature: K, for thermal noise.
        load_resistance: Ohm, for thermal noise 4 k T B / R.
        rin_db_hz: laser RIN seen by this diode (dB/Hz); None for none.
    """
    _check_detector(responsivity, dark_current, bandwidth, temperature, load_resistance)
    signal = responsivity * jnp.asarray(power)
    mean = signal + dark_current
    if key is None:
        return mean
    var = photocurrent_variance(
        signal, dark_current=dark_current, bandwidth=bandwidth, temperature=temperature,
        load_resistance=load_resistance, rin_db_hz=rin_db_hz,
    )
    return mean + jnp.sqrt(var) * jax.random.normal(key, jnp.shape(mean), jnp.result_type(mean))


def balanced_photodiode(
    power_plus,
    power_minus,
    *,
    key: jax.Array | None = None,
    responsivity: float = RESPONSIVITY,
    dark_current: float = DARK_CURRENT,
    bandwidth: float = BANDWIDTH,
    temperature: float = TEMPERATURE,
    load_resistance: float = LOAD_RESISTANCE,
) -> jax.Array:
    """Balanced photodiode pair: I = R (P+ - P-) + noise (A).

    Dark currents cancel in the mean; shot noise of both diodes adds,
    sigma_s^2 = 2 q R (P+ + P-) B + 4 q I_dark B, and one thermal term
    4 k T B / R_L comes from the shared load/TIA. Laser RIN is common to both
    diodes of one channel and is applied to the channel powers at the source.
    """
    _check_detector(responsivity, dark_current, bandwidth, temperature, load_resistance)
    p_plus, p_minus = jnp.asarray(power_plus), jnp.asarray(power_minus)
    mean = responsivity * (p_plus - p_minus)
    if key is None:
        return mean
    var = balanced_variance(jnp.abs(p_plus) + jnp.abs(p_minus), responsivity=responsivity, dark_current=dark_current,
                            bandwidth=bandwidth, temperature=temperature, load_resistance=load_resistance)
    return mean + jnp.sqrt(var) * jax.random.normal(key, jnp.shape(mean), jnp.result_type(mean))


def balanced_variance(
    power_total,
    *,
    responsivity: float = RESPONSIVITY,
    dark_current: float = DARK_CURRENT,
    bandwidth: float = BANDWIDTH,
    temperature: float = TEMPERATURE,
    load_resistance: float = LOAD_RESISTANCE,
    reads=1,
):
    """Current-noise variance (A^2) of a balanced pair with ``power_total`` = P+ + P- (W) on its two diodes.

    sigma^2 = 2 q (R (P+ + P-) + 2 I_dark) B + 4 k T B / R_L per read (Agrawal eqs. 4.4.5,
    4.4.8). An integrating receiver that sums ``reads`` reads (independent symbols)
    before one conversion has the sum of their variances: pass the summed power
    of those reads and ``reads`` (the dark and thermal terms add once per read).
    """
    dark_and_thermal = 4 * Q_E * dark_current * bandwidth + 4 * K_B * temperature * bandwidth / load_resistance
    return 2 * Q_E * responsivity * bandwidth * power_total + reads * dark_and_thermal


def tia(
    current,
    *,
    gain: float = 1e3,
    input_noise_density: float = 10e-12,
    bandwidth: float = BANDWIDTH,
    key: jax.Array | None = None,
) -> jax.Array:
    """Transimpedance amplifier: V = G (I + n), n ~ N(0, i_n^2 B).

    Args:
        current: input current (A).
        gain: transimpedance (V/A = Ohm), > 0.
        input_noise_density: input-referred current noise (A/sqrt(Hz)).
        bandwidth: Hz.
    """
    check_positive("gain", gain, unit="Ohm")
    check_nonnegative("input_noise_density", input_noise_density, unit="A/sqrt(Hz)")
    current = jnp.asarray(current)
    if key is not None:
        current = current + input_noise_density * jnp.sqrt(bandwidth) * jax.random.normal(key, current.shape, current.dtype)
    return gain * current
