"""Grating couplers: light between a cleaved fibre above the chip and a waveguide.

::

           fibre (o2)
            ╲ ╲ ╲
        ▕▏▕▏▕▏▕▏▕▏╲
        ▕▏▕▏▕▏▕▏▕▏─────── o1 waveguide

A Gaussian passband (the shape sax's ``grating_coupler`` model and measured
couplers share): power transmission
T(wl) = 10^(-IL/10) exp(-4 ln 2 (wl - wl0)^2 / B^2) with peak insertion loss IL
(dB) at the design wavelength wl0 and full width at half maximum B (the 3 dB
bandwidth). Defaults: IL = 3 dB and B = 40 nm, a standard single-etch C-band
coupler: measured single-etch couplers on 220 nm SOI made in MPW runs reach
-2.8 dB (inverse-designed, 180 nm features, DUV; Chinese Optics Letters / researching.cn
article OJ2fa8b7bc6b9a6673) and double-etched apodized couplers -1.5 dB with a
54 nm 3 dB bandwidth ("CMOS-compatible high efficiency double-etched apodized
waveguide grating coupler"); sax documents 20-50 nm as typical bandwidths.
The reference planes are the waveguide port and the fibre facet (zero phase).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from photrain.models.checks import check_nonnegative, check_positive, check_wavelength
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax

INSERTION_LOSS_DB = 3.0
BANDWIDTH_3DB = 0.040  # µm


def grating_coupler_transmission(wl, *, wl0: float = 1.55, insertion_loss_db: float = INSERTION_LOSS_DB,
                                 bandwidth: float = BANDWIDTH_3DB):
    """Power transmission fibre <-> waveguide (0..1) of the Gaussian passband; ``bandwidth`` is the FWHM (µm)."""
    wl = jnp.asarray(wl, dtype=float)
    return 10 ** (-insertion_loss_db / 10) * jnp.exp(-4 * jnp.log(2.0) * (wl - wl0) ** 2 / bandwidth**2)


def grating_coupler(*, wl=1.55, wl0: float = 1.55, insertion_loss_db: float = INSERTION_LOSS_DB,
                    bandwidth: float = BANDWIDTH_3DB, reflection: float = 0.0) -> sax.SDict:
    """Grating coupler: o1 waveguide, o2 fibre; amplitude sqrt(T(wl)) (see the module docstring).

    Args:
        wl0: design (peak) wavelength (µm).
        insertion_loss_db: loss at wl0 (dB), >= 0.
        bandwidth: 3 dB (FWHM) bandwidth (µm), > 0.
        reflection: power reflected back into the waveguide (0..1), taken from the transmitted share.
    """
    check_wavelength(wl)
    check_nonnegative("insertion_loss_db", insertion_loss_db, unit="dB")
    check_positive("bandwidth", bandwidth, unit="um")
    if not 0 <= reflection < 1:
        raise ValueError(f"reflection must be in [0, 1) (power fraction); got {reflection}")
    t = jnp.sqrt(grating_coupler_transmission(wl, wl0=wl0, insertion_loss_db=insertion_loss_db, bandwidth=bandwidth)
                 * (1 - reflection))
    r = jnp.sqrt(reflection) * jnp.ones_like(t)
    return reciprocal({("o1", "o2"): t, ("o1", "o1"): r})
