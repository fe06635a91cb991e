"""Microring resonators: all-pass, add-drop, ring modulator, and their closed forms.

Closed forms from Bogaerts et al., "Silicon microring resonators",
Laser Photonics Rev. 6, 47 (2012), eqs. (1)-(5): with round-trip phase
phi = beta L, single-pass amplitude a and self-coupling r_i = sqrt(1 - k_i)

    T_through = (r2^2 a^2 - 2 r1 r2 a cos(phi) + r1^2) / (1 - 2 r1 r2 a cos(phi) + (r1 r2 a)^2)
    T_drop    = (1 - r1^2)(1 - r2^2) a / (1 - 2 r1 r2 a cos(phi) + (r1 r2 a)^2)
    FSR       = wl^2 / (n_g L)
    Q_loaded  = pi n_g L sqrt(r1 r2 a) / (wl (1 - r1 r2 a))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from photrain.models.checks import check_nonnegative, check_positive, check_range, check_wavelength
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, db_per_cm_to_amplitude, phase_parts, propagation_phase
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax

#: Depletion microring modulator: about 20 pm/V resonance shift at 1550 nm
#: (Dong et al., Opt. Express 18, 10941 (2010)); dneff/dV = dlambda/dV * n_g / wl.
DNEFF_DV_RING = 20e-6 * NG / 1.55


def _ring_length(radius, length):
    return 2 * jnp.pi * radius if length is None else length


def round_trip(wl, *, length, neff, ng, wl0, loss_db_per_cm, delta_phase=0.0):
    """Round-trip phase phi (rad) and single-pass amplitude a of a ring of ``length`` (µm)."""
    phi = propagation_phase(wl, length=length, neff=neff, ng=ng, wl0=wl0) + delta_phase  # host float64 mod 4 pi
    a = db_per_cm_to_amplitude(loss_db_per_cm, length)
    return phi, a


def _check_ring(wl, radius, length, loss_db_per_cm, **couplings):
    check_wavelength(wl)
    check_positive("radius", radius, unit="um")
    if length is not None:
        check_positive("length", length, unit="um")
    check_nonnegative("loss_db_per_cm", loss_db_per_cm, unit="dB/cm")
    for name, k in couplings.items():
        check_range(name, k, 0.0, 1.0)


def ring_allpass(
    *,
    wl=1.55,
    radius: float = 10.0,
    length: float | None = None,
    coupling: float = 0.1,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
    delta_phase: float = 0.0,
) -> sax.SDict:
    """All-pass microring (one bus).

    ::

             ╭──────╮
             │ ring │
             ╰──────╯
        o1 ──────────── o2

    t = (r - a e^{i phi}) / (1 - r a e^{i phi}), r = sqrt(1 - coupling)
    (Bogaerts et al. 2012, eq. 1, with a lossless i-kappa coupler).

    Args:
        radius: ring radius (µm); the ring length is 2 pi R unless ``length`` is given.
        length: round-trip length (µm), overrides ``radius``.
        coupling: bus-ring power coupling in [0, 1].
        delta_phase: extra round-trip phase from a heater or carriers (rad).
    """
    _check_ring(wl, radius, length, loss_db_per_cm, coupling=coupling)
    phi, a = round_trip(
        wl, length=_ring_length(radius, length), neff=neff, ng=ng, wl0=wl0,
        loss_db_per_cm=loss_db_per_cm, delta_phase=delta_phase,
    )
    r = jnp.sqrt(1 - coupling)
    e = a * jnp.exp(1j * phi)
    return reciprocal({("o1", "o2"): (r - e) / (1 - r * e)})


def ring_add_drop(
    *,
    wl=1.55,
    radius: float = 10.0,
    length: float | None = None,
    coupling_1: float = 0.1,
    coupling_2: float = 0.1,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
    delta_phase: float = 0.0,
) -> sax.SDict:
    """Add-drop microring (two buses), ports as gdsfactory's ``ring_double``.

    ::

        o3 ──────────── o4      drop bus (o3 = drop, o4 = add)
             ╭──────╮
             │ ring │
             ╰──────╯
        o1 ──────────── o2      input bus (o1 = in, o2 = through)

    through = (r1 - r2 a e^{i phi}) / D, drop = -k1 k2 sqrt(a) e^{i phi/2} / D,
    D = 1 - r1 r2 a e^{i phi}, k_i = sqrt(coupling_i) (Bogaerts et al. 2012,
    eqs. 4-5); the couplers sit half a round trip apart.

    Args:
        coupling_1: input-bus power coupling in [0, 1].
        coupling_2: drop-bus power coupling in [0, 1].
        delta_phase: extra round-trip phase from the ring heater (rad).
    """
    _check_ring(wl, radius, length, loss_db_per_cm, coupling_1=coupling_1, coupling_2=coupling_2)
    length = _ring_length(radius, length)
    # phase = 2 pi m + residual (host float64 when concrete): exact near resonance in float32 too
    residual, sign = phase_parts(wl, length=length, neff=neff, ng=ng, wl0=wl0)
    a = db_per_cm_to_amplitude(loss_db_per_cm, length)
    through, drop, back = add_drop_fields(residual + delta_phase, a, coupling_1, coupling_2, sign)
    return reciprocal({("o1", "o2"): through, ("o1", "o3"): drop, ("o4", "o2"): drop, ("o4", "o3"): back})


def add_drop_fields(phi, a, coupling_1, coupling_2, sign=None):
    """(through, drop, add-to-drop-bus) field amplitudes of an add-drop ring: :func:`ring_add_drop`'s closed form
    (Bogaerts et al. 2012, eqs. 4-5) for a round-trip phase ``phi`` (rad) and single-pass amplitude ``a``.

    ``sign``: (-1)^m when ``phi`` is the residual of a round trip 2 pi m + phi
    (:func:`photrain.models.optics.phase_parts`): the half round trip between the couplers then gains that sign."""
    r1, r2 = jnp.sqrt(1 - coupling_1), jnp.sqrt(1 - coupling_2)
    k1, k2 = jnp.sqrt(coupling_1), jnp.sqrt(coupling_2)
    e = a * jnp.exp(1j * phi)
    d = 1 - r1 * r2 * e
    drop = -k1 * k2 * jnp.sqrt(a) * jnp.exp(0.5j * phi) / d
    return (r1 - r2 * e) / d, drop if sign is None else sign * drop, (r2 - r1 * e) / d


def ring_modulator(
    *,
    wl=1.55,
    voltage: float = 0.0,
    dneff_dv: float = DNEFF_DV_RING,
    dloss_db_per_cm_per_v: float = 0.0,
    radius: float = 7.5,
    coupling: float = 0.05,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = 5.0,
    delta_phase: float = 0.0,
) -> sax.SDict:
    """Microring modulator: an all-pass ring whose index follows the drive voltage.

    ::

             ╭──────╮  ← V
             ╰──────╯
        o1 ──────────── o2

    n_eff(V) = n_eff + dneff_dv V, which shifts the resonance by
    d wl = wl dneff_dv V / n_g (Bogaerts et al. 2012, eq. 12).

    Args:
        voltage: drive voltage (V).
        dneff_dv: effective-index change per volt (1/V).
        dloss_db_per_cm_per_v: loss change per volt (dB/cm/V); total loss is clipped at 0.
    """
    loss = jnp.maximum(loss_db_per_cm + dloss_db_per_cm_per_v * jnp.asarray(voltage), 0.0)
    return ring_allpass(
        wl=wl, radius=radius, coupling=coupling, neff=neff + dneff_dv * jnp.asarray(voltage),
        ng=ng + dneff_dv * jnp.asarray(voltage), wl0=wl0, loss_db_per_cm=loss, delta_phase=delta_phase,
    )


# ---------------------------------------------------------------- closed forms


def _half_angle(phi, r1, r2, a):
    """x = r1 r2 a and 4 x sin^2(phi / 2) = 2 x (1 - cos phi): the detuning term, exact near resonance in float32."""
    x = r1 * r2 * a
    return x, 4 * x * jnp.sin(jnp.asarray(phi) / 2) ** 2


def ring_through_power(phi, *, r1, r2, a):
    """Add-drop through-port power (Bogaerts et al. 2012, eq. 4); all-pass with r2 = 1.

    Written with 1 - cos(phi) = 2 sin^2(phi / 2): (r1 - r2 a)^2 + 4 x s over
    (1 - x)^2 + 4 x s, x = r1 r2 a, s = sin^2(phi / 2) -- the same expression,
    without the cancellation of 1 - 2 x cos(phi) + x^2 near resonance.
    """
    x, d = _half_angle(phi, r1, r2, a)
    return ((r1 - r2 * a) ** 2 + d) / ((1 - x) ** 2 + d)


def ring_drop_power(phi, *, r1, r2, a):
    """Add-drop drop-port power (Bogaerts et al. 2012, eq. 5), half-angle form as :func:`ring_through_power`."""
    x, d = _half_angle(phi, r1, r2, a)
    return (1 - r1**2) * (1 - r2**2) * a / ((1 - x) ** 2 + d)


def ring_balanced_weight(phi, *, r1, r2, a):
    """Balanced-detection weight T_drop - T_through of an add-drop ring (eqs. 4-5 subtracted).

    w = (N0 - 4 x s) / ((1 - x)^2 + 4 x s), N0 = (1 - r1^2)(1 - r2^2) a - (r1 - r2 a)^2,
    x = r1 r2 a, s = sin^2(phi / 2); w(0) = N0 / (1 - x)^2 is the on-resonance maximum
    (Tait et al., J. Lightwave Technol. 32, 4029 (2014) use this difference as the weight).
    """
    x, d = _half_angle(phi, r1, r2, a)
    n0 = (1 - r1**2) * (1 - r2**2) * a - (r1 - r2 * a) ** 2
    return (n0 - d) / ((1 - x) ** 2 + d)


def ring_balanced_detuning(w, *, r1, r2, a):
    """Inverse of :func:`ring_balanced_weight`: the detuning phi in [0, pi] (rad) giving weight ``w``.

    Solving w ((1 - x)^2 + 4 x s) = N0 - 4 x s for s = sin^2(phi / 2):
    s = (1 - x)^2 (w_max - w) / (4 x (1 + w)), w_max = N0 / (1 - x)^2; then
    phi = 2 arcsin(sqrt(s)). Written around w_max so that weights near
    resonance keep their precision in float32 (no arccos of a number near 1).
    Weights outside [w(pi), w_max] clip to the nearest end.
    """
    return 2 * jnp.arcsin(jnp.sqrt(ring_balanced_sin2(w, r1=r1, r2=r2, a=a)))


def ring_balanced_sin2(w, *, r1, r2, a):
    """s = sin^2(phi / 2) in [0, 1] of the detuning giving balanced weight ``w`` (see :func:`ring_balanced_detuning`)."""
    x = r1 * r2 * a
    w_max = ((1 - r1**2) * (1 - r2**2) * a - (r1 - r2 * a) ** 2) / (1 - x) ** 2
    w = jnp.minimum(jnp.asarray(w), w_max)
    s = (1 - x) ** 2 * (w_max - w) / (4 * x * jnp.maximum(1 + w, jnp.finfo(jnp.result_type(w)).tiny))
    return jnp.clip(s, 0.0, 1.0)


def ring_through_sin2(t, *, r1, r2, a):
    """Inverse of :func:`ring_through_power`: s = sin^2(phi / 2) in [0, 1] of the detuning giving through power ``t``.

    Solving t ((1 - x)^2 + 4 x s) = (r1 - r2 a)^2 + 4 x s for s, x = r1 r2 a:
    s = (t (1 - x)^2 - (r1 - r2 a)^2) / (4 x (1 - t)). Powers below the on-resonance
    minimum give s = 0; ``t`` must stay below 1 (the off-resonance limit is < 1 with loss).
    """
    x = r1 * r2 * a
    t = jnp.asarray(t)
    s = (t * (1 - x) ** 2 - (r1 - r2 * a) ** 2) / (4 * x * jnp.maximum(1 - t, jnp.finfo(jnp.result_type(t, float)).tiny))
    return jnp.clip(s, 0.0, 1.0)


def ring_powers_from_sin2(s, *, r1, r2, a):
    """(T_drop, T_through) of :func:`ring_drop_power` / :func:`ring_through_power` given s = sin^2(phi / 2)."""
    x = r1 * r2 * a
    d = 4 * x * jnp.asarray(s)
    inv = 1 / ((1 - x) ** 2 + d)
    return (1 - r1**2) * (1 - r2**2) * a * inv, ((r1 - r2 * a) ** 2 + d) * inv


def ring_fsr(wl, *, ng, length):
    """Free spectral range (µm): wl^2 / (n_g L)."""
    return jnp.asarray(wl) ** 2 / (ng * length)


def ring_loaded_q(wl, *, ng, length, r1, r2, a):
    """Loaded quality factor: pi n_g L sqrt(r1 r2 a) / (wl (1 - r1 r2 a)) (Bogaerts 2012, eq. 8)."""
    x = r1 * r2 * a
    return jnp.pi * ng * length * jnp.sqrt(x) / (jnp.asarray(wl) * (1 - x))
