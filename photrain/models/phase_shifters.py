"""Phase shifters with their drive → phase maps.

::

    o1 ──[▓▓▓▓▓▓▓▓]── o2
          heater / pn
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from photrain.models.checks import check_nonnegative, check_positive, check_wavelength
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, propagation
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax

#: TiN heater over a silicon waveguide: about 24 mW per pi (Harris et al.,
#: Opt. Express 22, 10487 (2014), Table 1).
P_PI_THERMAL = 0.024
#: Depletion-mode silicon modulator V_pi L about 2 V cm (Reed et al., Nat.
#: Photonics 4, 518 (2010), Table 1); loss about 10 dB/cm in the doped section.
VPI_L_CARRIER = 2.0
LOSS_DB_PER_CM_CARRIER = 10.0


def thermo_optic_phase(phase0, *, wl, wl0: float = WL0):
    """A heater's phase (rad) at wavelength ``wl`` (µm) given its phase ``phase0`` at ``wl0``: phase0 wl0 / wl.

    A heater sets an index change delta-n over a length L, independent of the
    wavelength to first order; the phase 2 pi delta-n L / wl then scales as 1/wl
    (Harris et al., Opt. Express 22, 10487 (2014)). The one place this scaling is
    written: rings, MZIs, meshes and cells call it.
    """
    return jnp.asarray(phase0) * (wl0 / jnp.asarray(wl))


def thermal_phase(power, *, p_pi: float = P_PI_THERMAL, wl=1.55, wl0: float = WL0):
    """Thermo-optic phase (rad) from heater power (W): phi = pi P / P_pi * wl0 / wl.

    The index change is proportional to dissipated power (steady-state heat
    flow, Harris et al. 2014); :func:`thermo_optic_phase` converts the phase at wl0 to ``wl``.
    """
    return thermo_optic_phase(jnp.pi * jnp.asarray(power) / p_pi, wl=wl, wl0=wl0)


def power_for_phase(phase, *, p_pi: float = P_PI_THERMAL):
    """Heater power (W) for a phase (rad) at ``wl0``; inverse of :func:`thermal_phase`."""
    return jnp.asarray(phase) * p_pi / jnp.pi


def phase_shifter_thermal(
    *,
    wl=1.55,
    power: float = 0.0,
    p_pi: float = P_PI_THERMAL,
    length: float = 100.0,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
) -> sax.SDict:
    """Thermo-optic phase shifter: waveguide of ``length`` (µm) (:func:`~photrain.models.optics.propagation`)
    plus the heater phase pi P / P_pi (:func:`thermal_phase`).

    Args:
        power: heater power (W), >= 0.
        p_pi: heater power for a pi shift (W), > 0.
    """
    check_wavelength(wl)
    check_nonnegative("power", power, unit="W")
    check_positive("p_pi", p_pi, unit="W")
    check_nonnegative("length", length, unit="um")
    check_nonnegative("loss_db_per_cm", loss_db_per_cm, unit="dB/cm")
    wl = jnp.asarray(wl, dtype=float)
    t = propagation(wl, length=length, neff=neff, ng=ng, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
    t = t * jnp.exp(1j * thermal_phase(power, p_pi=p_pi, wl=wl, wl0=wl0))
    return reciprocal({("o1", "o2"): t})


def carrier_phase(voltage, *, vpi_l: float = VPI_L_CARRIER, length: float = 1000.0):
    """Plasma-dispersion phase (rad): phi = pi V L / (V_pi L), L in cm (Soref & Bennett 1987)."""
    return jnp.pi * jnp.asarray(voltage) * (length * 1e-4) / vpi_l


def phase_shifter_carrier(
    *,
    wl=1.55,
    voltage: float = 0.0,
    vpi_l: float = VPI_L_CARRIER,
    length: float = 1000.0,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM_CARRIER,
    dloss_db_per_cm_per_v: float = -0.5,
) -> sax.SDict:
    """Electro-optic (carrier depletion) phase shifter.

    Phase pi V L / V_pi L; loss alpha(V) = alpha_0 + d alpha/dV * V (dB/cm),
    clipped at 0: reverse bias sweeps carriers out and lowers the free-carrier
    absorption (Soref & Bennett, IEEE J. Quantum Electron. 23, 123 (1987)).

    Args:
        voltage: reverse-bias voltage (V).
        vpi_l: V_pi L product (V cm), > 0.
        length: doped length (µm).
        loss_db_per_cm: loss at 0 V (dB/cm).
        dloss_db_per_cm_per_v: loss slope (dB/cm/V).
    """
    check_wavelength(wl)
    check_positive("vpi_l", vpi_l, unit="V cm")
    check_nonnegative("length", length, unit="um")
    check_nonnegative("loss_db_per_cm", loss_db_per_cm, unit="dB/cm")
    wl = jnp.asarray(wl, dtype=float)
    loss = jnp.maximum(loss_db_per_cm + dloss_db_per_cm_per_v * jnp.asarray(voltage), 0.0)
    t = propagation(wl, length=length, neff=neff, ng=ng, wl0=wl0, loss_db_per_cm=loss)
    t = t * jnp.exp(1j * carrier_phase(voltage, vpi_l=vpi_l, length=length))
    return reciprocal({("o1", "o2"): t})
