"""Thermo-optic heaters as drawn: resistance, power for a pi shift, and thermal crosstalk from geometry.

::

        pad ──[via]══ heater (TiN, R = R_s L / w) ══[via]── pad
                      ───────── waveguide ─────────

* Resistance: R = R_s x squares, squares = drawn resistor length / width.
* Power for pi: a heater of length L_h over a waveguide heated along L_w raises it by
  dT = P / (g L_h) (steady-state, heat flowing per unit length of heater into the
  substrate, conductance g per length), and the phase by
  2 pi / wl x dn/dT x dT x L_w, so P_pi = wl g L_h / (2 dn/dT L_w): independent of the
  heater's length when it covers its waveguide (Harris et al., Opt. Express 22, 10487
  (2014)). g is fixed by that paper's P_pi of a standard TiN heater
  (:data:`photrain.models.phase_shifters.P_PI_THERMAL`, 24 mW), so a drawn straight heater
  reproduces it; a ring heater covering part of its ring needs P_pi x L_h / L_w.
* dn/dT of silicon at 1550 nm, room temperature: 1.8e-4 /K (Komma et al., Appl. Phys.
  Lett. 101, 041905 (2012)).
* Sheet resistance: 10 ohm/sq, assumed: sputtered TiN of about 140 uOhm cm at 0.14 um
  thickness (the TiN heater of Jacques et al., Opt. Express 27, 10456 (2019), as femwell's
  TiN example draws it).
* Crosstalk: a line source at height H above the substrate (an isothermal heat sink) in
  oxide; by the method of images (Carslaw & Jaeger, Conduction of Heat in Solids, 2nd ed.,
  sec. 10.10) the temperature at lateral distance d and height y is proportional to
  ln(((d^2 + (H + y)^2)) / (d^2 + (H - y)^2)) / 2. The crosstalk of a heater onto a
  waveguide d away is that temperature over the one under the heater itself. Heights from
  gdsfactory's generic layer stack: 3 um buried oxide, heater 1.1 um above the 0.22 um core.
"""

from __future__ import annotations

import jax.numpy as jnp

from photrain.models.checks import check_nonnegative, check_positive
from photrain.models.optics import WL0
from photrain.models.phase_shifters import P_PI_THERMAL

DN_DT_SI = 1.8e-4  # 1/K
SHEET_RESISTANCE = 10.0  # ohm per square
BOX = 3.0  # µm, buried oxide (generic layer stack)
HEATER_Z = 1.1  # µm above the top of the buried oxide
CORE_Z = 0.11  # µm: middle of the 0.22 µm silicon core
#: heat flow per unit heater length per kelvin (W / (m K)), from P_PI_THERMAL: g = 2 dn/dT P_pi / wl0
THERMAL_CONDUCTANCE = 2 * DN_DT_SI * P_PI_THERMAL / (WL0 * 1e-6)


def heater_resistance(squares, *, sheet_resistance: float = SHEET_RESISTANCE):
    """Resistance (ohm) of a heater of ``squares`` = drawn length / width."""
    check_positive("sheet_resistance", sheet_resistance, unit="ohm/sq")
    return sheet_resistance * jnp.asarray(squares, dtype=float)


def heater_p_pi(heater_length, heated_length=None, *, wl: float = WL0, dn_dt: float = DN_DT_SI,
                conductance: float = THERMAL_CONDUCTANCE):
    """Power (W) for a pi phase shift: wl g L_h / (2 dn/dT L_w) (lengths in µm, ``wl`` in µm).

    ``heated_length`` L_w defaults to ``heater_length`` L_h (a heater along its whole waveguide).
    """
    check_positive("heater_length", heater_length, unit="um")
    heated = heater_length if heated_length is None else heated_length
    check_positive("heated_length", heated, unit="um")
    check_positive("dn_dt", dn_dt, unit="1/K")
    return (wl * 1e-6) * conductance * jnp.asarray(heater_length) / (2 * dn_dt * jnp.asarray(heated))


def v_pi(resistance, p_pi):
    """Voltage (V) across a heater of ``resistance`` (ohm) that dissipates ``p_pi`` (W): sqrt(P R)."""
    return jnp.sqrt(jnp.asarray(p_pi) * jnp.asarray(resistance))


def thermal_crosstalk(distance, *, heater_z: float = HEATER_Z, core_z: float = CORE_Z, box: float = BOX):
    """Temperature rise of a waveguide ``distance`` µm beside a long heater, over that of the heater's own waveguide.

    Image-method line source above an isothermal substrate (see the module docstring): 1 at
    distance 0, falling as 1 / d^2 far away.
    """
    check_nonnegative("distance", distance, unit="um")
    h, y = box + heater_z, box + core_z
    d2 = jnp.asarray(distance, dtype=float) ** 2

    def temp(d2):
        return jnp.log((d2 + (h + y) ** 2) / (d2 + (h - y) ** 2))

    return temp(d2) / temp(0.0)
