"""Non-volatile attenuators for an MZI-mesh core: a cascade of multi-level GST cells on each mode.

An SVD-programmed mesh tile (:meth:`photrain.cores.MZIMesh.compile`) needs one amplitude per mode,
sigma_i / sigma_max in [0, 1], between its two meshes. With heater-tuned MZIs (the default) every
attenuator holds power; here each mode instead carries ``cells`` GST patches in series
(:class:`photrain.models.gst.GSTCell`: power transmission T(chi) from T_c to T_a on ``levels`` levels
equally spaced in transmission, zero hold power; Ríos et al., Nat. Photonics 9, 725 (2015); Feldmann
et al., Nature 589, 52 (2021)). The cascade's field amplitude is

    a = prod_j sqrt(T_j),   T_j one of the cell's levels,

so the reachable amplitudes are the products over every multiset of ``cells`` levels (C(L + k - 1, k)
of them: 1716 for 8 levels and 6 cells). The top one, all cells amorphous, is T_a^(k/2): the
cascade's insertion loss, a known design constant that the digital rescale of the tile takes back
(the light still loses it, so the detectors see the weaker field). A requested relative amplitude r
is written as the reachable amplitude nearest to r T_a^(k/2); amplitudes below the darkest,
T_c^(k/2) (relative (T_c / T_a)^(k/2): 0.018 for the default 6 cells), are clipped to it, since a
passive absorber cannot switch a mode off.

Assumption (stated, not sourced): the cells change only the amplitude (the model's
``phase_crystalline`` = 0); a real patch also shifts the phase with its level, which a calibrated
chip takes into the output mesh's phase shifters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from photrain.models.gst import GSTCell

#: GST cells per mode by default: 6 cells of 6 dB crystalline loss reach 1/55 of the top amplitude and program
#: 16-mode tiles of U[-1, 1] matrices to 1.0 % (relative Frobenius error; 2.5 % with 4 cells, 15 % with 2).
DEFAULT_CELLS = 6


@dataclass(frozen=True)
class GSTAttenuator:
    """The attenuator column of a mesh tile as ``cells`` GST cells in series on each mode.

    Attributes:
        cell: the multi-level GST cell (levels, transmissions, write energy and time).
        cells: cells in series per mode (>= 1).
    """

    cell: GSTCell = field(default_factory=GSTCell)
    cells: int = DEFAULT_CELLS

    def __post_init__(self):
        if int(self.cells) != self.cells or self.cells < 1:
            raise ValueError(f"GSTAttenuator.cells must be an integer >= 1 (GST cells in series per mode); "
                             f"got {self.cells!r}")

    @property
    def insertion_amplitude(self) -> float:
        """Field amplitude with every cell amorphous, T_a^(cells/2): the cascade's insertion loss."""
        return float(self.cell.t_amorphous ** (self.cells / 2))

    def amplitudes(self) -> np.ndarray:
        """Every reachable field amplitude of the cascade, ascending (absolute, not relative)."""
        with jax.ensure_compile_time_eval():  # concrete even when called while tracing a jitted realisation
            _, t = self.cell.grid()
        products = {float(np.prod(np.sqrt(c))) for c in itertools.combinations_with_replacement(t, self.cells)}
        return np.array(sorted(products))

    def realise(self, relative):
        """Field amplitude (absolute) the cascade writes for requested relative amplitudes in [0, 1]:
        the reachable amplitude nearest to ``relative`` x :attr:`insertion_amplitude` (jittable)."""
        table = jnp.asarray(self.amplitudes())
        target = jnp.clip(jnp.asarray(relative), 0.0, 1.0) * self.insertion_amplitude
        hi = jnp.clip(jnp.searchsorted(table, target), 1, table.shape[0] - 1)
        lo = hi - 1
        nearer_lo = jnp.abs(target - table[lo]) <= jnp.abs(table[hi] - target)
        return jnp.where(nearer_lo, table[lo], table[hi]).astype(jnp.result_type(target, jnp.float32))
