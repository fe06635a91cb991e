"""Couplers and splitters: directional coupler, ring coupler, MMIs, y-branch.

Convention for 4-port devices (gdsfactory port order)::

        o2 ──┐    ┌── o3
             ════
        o1 ──┘    └── o4

bar (through): o1→o4, o2→o3; cross: o1→o3, o2→o4. A lossless symmetric
coupler has S_bar = t = sqrt(1 - kappa^2) and S_cross = i kappa (kappa^2 = power
coupling), which is unitary and reciprocal (Yariv & Yeh, *Photonics*, §13.7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax.numpy as jnp

from photrain.models.checks import check_nonnegative, check_range, check_wavelength
from photrain.models.optics import db_to_amplitude
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax

#: Coupled-mode constants for 500 nm x 220 nm strip waveguides near 1550 nm:
#: coupling coefficient kappa(gap) = KAPPA0 * exp(-gap / GAP_DECAY) in 1/µm.
#: KAPPA0 and GAP_DECAY put the cross-over length pi/(2 kappa) at about 16 µm
#: for a 200 nm gap, the order reported in Chrostowski & Hochberg,
#: *Silicon Photonics Design* (2015), Fig. 4.16.
KAPPA0 = 0.739
GAP_DECAY = 0.1


def _four_port(wl, t, k) -> sax.SDict:
    """Symmetric 4-port SDict from bar amplitude ``t`` and cross amplitude ``k``."""
    t = jnp.broadcast_to(t, jnp.shape(jnp.asarray(wl)))
    k = jnp.broadcast_to(k, jnp.shape(jnp.asarray(wl)))
    return reciprocal(
        {
            ("o1", "o4"): t,
            ("o2", "o3"): t,
            ("o1", "o3"): k,
            ("o2", "o4"): k,
        }
    )


def coupler_power(*, wl=1.55, coupling: float = 0.5, loss_db: float = 0.0) -> sax.SDict:
    """Directional coupler given its power coupling ratio.

    ::

        o2 ──┐    ┌── o3
             ════
        o1 ──┘    └── o4

    S_bar = a sqrt(1 - k), S_cross = i a sqrt(k), a = 10^(-loss_db/20).

    Args:
        wl: wavelength (µm); the model is wavelength-flat.
        coupling: power coupling k in [0, 1].
        loss_db: excess loss (dB), >= 0.
    """
    check_wavelength(wl)
    check_range("coupling", coupling, 0.0, 1.0)
    check_nonnegative("loss_db", loss_db, unit="dB")
    a = db_to_amplitude(loss_db)
    return _four_port(wl, a * jnp.sqrt(1 - coupling), 1j * a * jnp.sqrt(coupling))


def coupling_from_gap(gap, interaction_length, *, kappa0: float = KAPPA0, gap_decay: float = GAP_DECAY):
    """Power coupling of two parallel waveguides from coupled-mode theory.

    k = sin^2(kappa(gap) L), kappa(gap) = kappa0 exp(-gap / gap_decay)
    (Yariv & Yeh, *Photonics*, eq. 13.7-10 with phase matching).

    Args:
        gap: edge-to-edge gap (µm).
        interaction_length: effective coupling length (µm).
    """
    kappa = kappa0 * jnp.exp(-jnp.asarray(gap) / gap_decay)
    return jnp.sin(kappa * interaction_length) ** 2


def ring_interaction_length(radius, length_x, *, gap_decay: float = GAP_DECAY):
    """Effective interaction length (µm) of a bus next to a ring of ``radius``.

    Straight section ``length_x`` plus the curved region: with the gap growing
    as x^2 / (2 R), integrating exp(-x^2 / (2 R gap_decay)) gives sqrt(2 pi R gap_decay).
    """
    return length_x + jnp.sqrt(2 * jnp.pi * radius * gap_decay)


def coupler(
    *,
    wl=1.55,
    gap: float = 0.236,
    length: float = 20.0,
    coupling: float | None = None,
    loss_db: float = 0.0,
) -> sax.SDict:
    """Directional coupler of ``length`` (µm) at edge gap ``gap`` (µm).

    ::

        o2 ──┐    ┌── o3
             ════
        o1 ──┘    └── o4

    The power coupling comes from :func:`coupling_from_gap` unless ``coupling``
    is given. Ports and parameters follow gdsfactory's ``coupler`` cell.
    """
    check_nonnegative("gap", gap, unit="um")
    check_nonnegative("length", length, unit="um")
    k = coupling_from_gap(gap, length) if coupling is None else coupling
    return coupler_power(wl=wl, coupling=k, loss_db=loss_db)


def mmi2x2(*, wl=1.55, loss_db: float = 0.0, imbalance_db: float = 0.0) -> sax.SDict:
    """2x2 multimode interference coupler (3 dB).

    ::

        o2 ──┐┌─────┐┌── o3
             ││ MMI ││
        o1 ──┘└─────┘└── o4

    Ideal self-imaging 2x2 MMI: S_bar = 1/sqrt(2), S_cross = i/sqrt(2)
    (Soldano & Pennings, J. Lightwave Technol. 13, 615 (1995)); ``imbalance_db``
    is the bar/cross power ratio in dB and ``loss_db`` the excess loss.
    """
    check_wavelength(wl)
    check_nonnegative("loss_db", loss_db, unit="dB")
    ratio = 10 ** (jnp.asarray(imbalance_db) / 10)  # P_bar / P_cross
    coupling = 1.0 / (1.0 + ratio)
    return coupler_power(wl=wl, coupling=coupling, loss_db=loss_db)


def mmi1x2(*, wl=1.55, loss_db: float = 0.0) -> sax.SDict:
    """1x2 MMI splitter.

    ::

                 ┌── o2
        o1 ──────┤
                 └── o3

    S_21 = S_31 = a / sqrt(2), a = 10^(-loss_db/20) (Soldano & Pennings 1995).
    Port names follow gdsfactory's ``mmi1x2``.
    """
    check_wavelength(wl)
    check_nonnegative("loss_db", loss_db, unit="dB")
    a = db_to_amplitude(loss_db) / jnp.sqrt(2.0)
    a = jnp.broadcast_to(a, jnp.shape(jnp.asarray(wl))).astype(complex)
    return reciprocal({("o1", "o2"): a, ("o1", "o3"): a})


def y_branch(*, wl=1.55, loss_db: float = 0.0) -> sax.SDict:
    """Y-branch splitter/combiner, the same S-matrix as an ideal 1x2 MMI.

    ::

                 ┌── o2
        o1 ──────┤
                 └── o3

    A reciprocal 3-port cannot be lossless and matched: in reverse, half the
    power of a single input radiates (Pozar, *Microwave Engineering*, §7.1).
    """
    return mmi1x2(wl=wl, loss_db=loss_db)


def ring_coupler(
    *,
    wl=1.55,
    coupling: float = 0.1,
    loss_db: float = 0.0,
) -> sax.SDict:
    """Point coupler between a bus (o1→o4) and a ring (o2→o3), zero length.

    ::

            o2        o3
             ╲   ring  ╱
              ╰──────╯
        o1 ──────────────── o4

    The building block of the ring closed forms: through t = sqrt(1-k),
    cross i sqrt(k).
    """
    return coupler_power(wl=wl, coupling=coupling, loss_db=loss_db)
