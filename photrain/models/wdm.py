"""WDM channel filters: cascaded add-drop rings as a demultiplexer / multiplexer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from photrain.models.checks import check_positive, check_range, check_wavelength
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, neff_at
from photrain.models.rings import ring_add_drop, ring_fsr
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax


def channel_wavelengths(n_channels: int, *, wl_center: float = 1.55, spacing: float = 0.0016):
    """Channel grid (µm): n_channels wavelengths ``spacing`` apart, centred on ``wl_center``."""
    return wl_center + spacing * (np.arange(n_channels) - (n_channels - 1) / 2)


def resonant_lengths(
    channels, *, radius: float = 10.0, neff: float = NEFF, ng: float = NG, wl0: float = WL0
):
    """Ring lengths (µm) resonant at ``channels`` (µm) with the azimuthal order of a ring of ``radius``.

    n_eff(wl_i) L_i = m wl_i with m = round(n_eff(wl_c) 2 pi R / wl_c).
    """
    channels = np.asarray(channels, dtype=float)
    wl_c = float(np.mean(channels))
    m = np.round(float(neff_at(wl_c, neff=neff, ng=ng, wl0=wl0)) * 2 * np.pi * radius / wl_c)
    return m * channels / np.asarray(neff_at(channels, neff=neff, ng=ng, wl0=wl0))


def ring_demux(
    *,
    wl=1.55,
    n_channels: int = 4,
    wl_center: float = 1.55,
    spacing: float = 0.0016,
    radius: float = 10.0,
    coupling: float = 0.03,
    neff: float = NEFF,
    ng: float = NG,
    wl0: float = WL0,
    loss_db_per_cm: float = LOSS_DB_PER_CM,
) -> sax.SDict:
    """Ring WDM demultiplexer: ``n_channels`` add-drop rings in cascade on one bus.

    ::

             d1        d2        d3        d4        (o3, o4, o5, o6)
             │         │         │         │
            (R1)      (R2)      (R3)      (R4)
        o1 ──┴─────────┴─────────┴─────────┴──── o2  (through)

    Ring i is resonant at channel i (:func:`resonant_lengths`). Since rings
    are travelling-wave devices with no reflection, the cascade is exact:
    S(o1→drop_i) = prod_{j<i} through_j · drop_i, S(o1→o2) = prod_j through_j,
    and drops do not couple to each other. Run backwards (reciprocity) it is the
    multiplexer :func:`ring_mux`.

    Args:
        n_channels: number of channels (a Python int: it sets the ports).
        wl_center: grid centre (µm).
        spacing: channel spacing (µm); 0.0016 = 1.6 nm (200 GHz).
        radius: nominal ring radius (µm); lengths are trimmed per channel.
        coupling: power coupling of each ring to both buses.
    """
    check_wavelength(wl)
    check_positive("spacing", spacing, unit="um")
    check_range("coupling", coupling, 0.0, 1.0)
    n_channels = int(n_channels)
    if n_channels < 1:
        raise ValueError(f"n_channels must be >= 1; got {n_channels}")
    channels = channel_wavelengths(n_channels, wl_center=wl_center, spacing=spacing)
    lengths = resonant_lengths(channels, radius=radius, neff=neff, ng=ng, wl0=wl0)
    fsr = float(ring_fsr(wl_center, ng=ng, length=float(lengths.mean())))
    if n_channels * spacing > fsr:
        raise ValueError(
            f"{n_channels} channels x spacing {spacing} um = {n_channels * spacing:.4g} um exceed the ring "
            f"FSR {fsr:.4g} um: channels alias onto each other. Use a smaller radius or spacing."
        )
    s: dict = {}
    passed = jnp.ones_like(jnp.asarray(wl, dtype=complex))
    for i, length in enumerate(lengths):
        ring = ring_add_drop(
            wl=wl, length=float(length), radius=radius, coupling_1=coupling, coupling_2=coupling,
            neff=neff, ng=ng, wl0=wl0, loss_db_per_cm=loss_db_per_cm,
        )
        s[("o1", f"o{3 + i}")] = passed * ring[("o1", "o3")]
        passed = passed * ring[("o1", "o2")]
    s[("o1", "o2")] = passed
    return reciprocal(s)


def ring_mux(**kwargs) -> sax.SDict:
    """Ring WDM multiplexer: :func:`ring_demux` used backwards (inputs o3.., output o1).

    By reciprocity S(o{3+i}→o1) = S(o1→o{3+i}); same parameters as :func:`ring_demux`.
    """
    return ring_demux(**kwargs)
