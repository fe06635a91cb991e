"""Phase-change (Ge2Sb2Te5, GST) cell on a waveguide: a non-volatile photonic transmission element.

A thin GST patch on top of a waveguide absorbs the evanescent field: strongly
when crystalline, weakly when amorphous. Partial amorphisation of the patch by
an optical (or electrical) write pulse leaves a crystalline fraction chi in
[0, 1] that sets the transmission, and the state holds with no power applied
(Ríos et al., "Integrated all-photonic non-volatile multi-level memory",
Nat. Photonics 9, 725 (2015); Feldmann et al., "Parallel convolutional
processing using an integrated photonic tensor core", Nature 589, 52 (2021),
where such cells hold the matrix of a WDM tensor core as broadband,
non-resonant transmissions).

Closed form used here (Beer-Lambert over the patch, absorption linear in the
crystalline fraction, an effective-medium assumption):

    T(chi) = T_a^(1 - chi) T_c^chi,   i.e. loss_dB(chi) = (1 - chi) loss_a + chi loss_c,

monotone from the amorphous T_a (chi = 0) to the crystalline T_c (chi = 1).

Figures (:data:`SOURCES` says where each comes from):

* levels: 8 per cell -- Ríos et al. 2015 store "up to eight levels in a single device".
* write energy: 13.4 pJ per pulse -- Ríos et al. 2015, "switching energies as low as 13.4 pJ".
* pulse time: 1 ns -- assumed from Ríos et al. 2015, "speeds approaching 1 GHz".
* T_a = 0.95, T_c = 0.25 (0.2 dB amorphous, 6 dB crystalline: a 70 % transmission
  contrast): ASSUMED. The sources at hand give no transmission values for the
  cells; these are a design choice (a patch long enough that crystalline GST
  absorbs 6 dB while amorphous GST stays nearly transparent). The contrast sets the
  weight range of a bank (split x contrast) and with it the signal over the detector
  noise; change ``t_amorphous`` / ``t_crystalline`` when a measured cell is known.
* hold power: 0 W -- both phases are stable at room temperature (non-volatile).
* pulses per re-write: 1 -- assumed single-shot writes between levels, as Ríos et al. 2015
  report ("readily switches between intermediate states").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import jax.numpy as jnp
import numpy as np

from photrain.models.checks import check_range, check_wavelength
from photrain.models.sdict import reciprocal

if TYPE_CHECKING:
    import sax

#: parameter -> (value, source) of the default GST cell.
SOURCES: dict[str, tuple[float, str]] = {
    "levels": (8, "Ríos et al., Nat. Photonics 9, 725 (2015): up to eight levels in a single device"),
    "write_energy": (13.4e-12, "Ríos et al. 2015: switching energies as low as 13.4 pJ per pulse"),
    "pulse_time": (1e-9, "assumed from Ríos et al. 2015, 'speeds approaching 1 GHz': 1 ns per write pulse"),
    "t_amorphous": (0.95, "assumed: amorphous GST absorbs weakly (about 0.2 dB over the patch)"),
    "t_crystalline": (0.25, "assumed: a patch long enough for 6 dB crystalline loss (70 % contrast)"),
    "pulses_per_write": (1, "assumed: one single-shot pulse moves a cell between any two levels (Ríos et al. 2015)"),
    "hold_power": (0.0, "non-volatile: both phases are stable without power (Ríos et al. 2015; Feldmann et al., "
                        "Nature 589, 52 (2021))"),
}

GST_LEVELS = int(SOURCES["levels"][0])
GST_WRITE_ENERGY = SOURCES["write_energy"][0]
GST_PULSE_TIME = SOURCES["pulse_time"][0]
GST_T_AMORPHOUS = SOURCES["t_amorphous"][0]
GST_T_CRYSTALLINE = SOURCES["t_crystalline"][0]


def _check_transmissions(t_amorphous, t_crystalline):
    if not 0 < t_crystalline < t_amorphous <= 1:
        raise ValueError(f"GST transmissions need 0 < t_crystalline < t_amorphous <= 1; "
                         f"got t_crystalline={t_crystalline}, t_amorphous={t_amorphous}")


def gst_transmission(crystalline_fraction, *, t_amorphous: float = GST_T_AMORPHOUS,
                     t_crystalline: float = GST_T_CRYSTALLINE):
    """Power transmission T(chi) = T_a^(1 - chi) T_c^chi of a GST cell at crystalline fraction chi in [0, 1].

    Beer-Lambert over the patch with the absorption linear in chi (module docstring);
    chi outside [0, 1] clips. Keeps the dtype of ``crystalline_fraction``.
    """
    chi = jnp.clip(jnp.asarray(crystalline_fraction), 0.0, 1.0)
    la, lc = float(np.log(t_amorphous)), float(np.log(t_crystalline))
    return jnp.exp(la + chi * (lc - la))


def gst_fraction(transmission, *, t_amorphous: float = GST_T_AMORPHOUS, t_crystalline: float = GST_T_CRYSTALLINE):
    """Inverse of :func:`gst_transmission`: the crystalline fraction giving ``transmission`` (clipped to [0, 1])."""
    la, lc = float(np.log(t_amorphous)), float(np.log(t_crystalline))
    return jnp.clip((jnp.log(jnp.asarray(transmission)) - la) / (lc - la), 0.0, 1.0)


def gst_levels(levels: int = GST_LEVELS, *, t_amorphous: float = GST_T_AMORPHOUS,
               t_crystalline: float = GST_T_CRYSTALLINE) -> tuple[np.ndarray, np.ndarray]:
    """The level grid of a multi-level cell: (crystalline fractions, transmissions), each (levels,), T increasing.

    Levels are equally spaced in transmission from T_c (level 0, fully crystalline)
    to T_a (top level, amorphous), so a read tells them apart with equal margins; the
    fraction of each is :func:`gst_fraction` of its transmission.
    """
    if int(levels) != levels or levels < 2:
        raise ValueError(f"levels must be an integer >= 2; got {levels!r}")
    _check_transmissions(t_amorphous, t_crystalline)
    t = np.linspace(t_crystalline, t_amorphous, int(levels))
    chi = np.array(gst_fraction(t, t_amorphous=t_amorphous, t_crystalline=t_crystalline), dtype=float)
    chi[0], chi[-1] = 1.0, 0.0
    return chi, t


def gst_level_index(transmission, *, levels: int = GST_LEVELS, t_amorphous: float = GST_T_AMORPHOUS,
                    t_crystalline: float = GST_T_CRYSTALLINE):
    """Nearest level (int32, 0 .. levels - 1) of :func:`gst_levels` for a requested transmission (jittable)."""
    k = jnp.round((jnp.asarray(transmission) - t_crystalline) * ((levels - 1) / (t_amorphous - t_crystalline)))
    return jnp.clip(k, 0, levels - 1).astype(jnp.int32)


def gst_cell(
    *,
    wl=1.55,
    crystalline_fraction: float = 0.0,
    t_amorphous: float = GST_T_AMORPHOUS,
    t_crystalline: float = GST_T_CRYSTALLINE,
    phase_crystalline: float = 0.0,
) -> sax.SDict:
    """GST patch on a waveguide (two-port, reciprocal).

    ::

             ▄▄▄▄ GST (chi)
        o1 ─────────────── o2

    S21 = sqrt(T(chi)) exp(i chi phase_crystalline), T from :func:`gst_transmission`.
    Broadband: T does not depend on ``wl`` across a WDM grid of a few nm (the cells of
    Feldmann et al. 2021 are non-resonant). The phase change of crystallisation
    (real-index contrast) is ``phase_crystalline`` rad at chi = 1 (default 0: an
    intensity element; set it for coherent circuits such as a mesh's attenuators).

    Args:
        crystalline_fraction: chi in [0, 1] (0 amorphous, 1 crystalline).
        t_amorphous, t_crystalline: power transmissions of the two phases, 0 < T_c < T_a <= 1.
        phase_crystalline: extra phase at chi = 1 (rad), linear in chi.
    """
    check_wavelength(wl)
    check_range("crystalline_fraction", crystalline_fraction, 0.0, 1.0)
    _check_transmissions(t_amorphous, t_crystalline)
    chi = jnp.asarray(crystalline_fraction)
    t = jnp.sqrt(gst_transmission(chi, t_amorphous=t_amorphous, t_crystalline=t_crystalline))
    e = t * jnp.exp(1j * chi * phase_crystalline)
    e = jnp.broadcast_to(e, jnp.broadcast_shapes(jnp.shape(e), jnp.shape(jnp.asarray(wl))))
    return reciprocal({("o1", "o2"): e})


@dataclass(frozen=True)
class GSTCell:
    """A multi-level GST cell as a weight element: its level grid, write cost and (zero) hold power.

    Defaults and their sources: :data:`SOURCES`.
    """

    levels: int = GST_LEVELS
    t_amorphous: float = GST_T_AMORPHOUS
    t_crystalline: float = GST_T_CRYSTALLINE
    write_energy: float = GST_WRITE_ENERGY  # J per pulse
    pulse_time: float = GST_PULSE_TIME  # s per pulse
    pulses_per_write: int = int(SOURCES["pulses_per_write"][0])

    def __post_init__(self):
        if int(self.levels) != self.levels or self.levels < 2:
            raise ValueError(f"GSTCell.levels must be an integer >= 2; got {self.levels!r}")
        _check_transmissions(self.t_amorphous, self.t_crystalline)
        if not self.write_energy >= 0 or not self.pulse_time >= 0:
            raise ValueError(f"GSTCell.write_energy (J) and pulse_time (s) must be >= 0; "
                             f"got {self.write_energy}, {self.pulse_time}")
        if int(self.pulses_per_write) != self.pulses_per_write or self.pulses_per_write < 1:
            raise ValueError(f"GSTCell.pulses_per_write must be an integer >= 1; got {self.pulses_per_write!r}")

    @property
    def hold_power(self) -> float:
        """W to hold a level: 0 (non-volatile)."""
        return 0.0

    @property
    def contrast(self) -> float:
        """T_a - T_c: the transmission span of the cell."""
        return self.t_amorphous - self.t_crystalline

    @property
    def write_cost(self) -> float:
        """J to re-write one cell: pulses_per_write x write_energy."""
        return self.pulses_per_write * self.write_energy

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """(crystalline fractions, transmissions) of every level: :func:`gst_levels`."""
        return gst_levels(self.levels, t_amorphous=self.t_amorphous, t_crystalline=self.t_crystalline)

    def level_transmission(self, k, dtype=jnp.float32):
        """Transmission of level ``k`` (int array): T_c + k (T_a - T_c) / (levels - 1), in ``dtype`` (jittable)."""
        return self.t_crystalline + jnp.asarray(k).astype(dtype) * (self.contrast / (self.levels - 1))

    def nearest_level(self, transmission):
        """Nearest level index of a requested transmission (:func:`gst_level_index`)."""
        return gst_level_index(transmission, levels=self.levels, t_amorphous=self.t_amorphous,
                               t_crystalline=self.t_crystalline)
