"""Weight bank with non-volatile phase-change (GST) weights instead of heater-tuned rings.

The bank keeps the broadcast-and-weight layout of :class:`photrain.cores.MRRWeightBank`
(N WDM input channels broadcast to M rows, a balanced photodiode per row, the same
input modulators, readout and converters), but each weight is set by a pair of
GST cells (:mod:`photrain.models.gst`) instead of a ring detuned by a heater: in
row i, channel j is split 50:50 (``split``) into two waveguides, each through one
GST cell, onto the two photodiodes of the balanced pair, so

    w_ij = split (T+_ij - T-_ij),   T± on the cell's level grid [T_c, T_a],

the differential pair of Feldmann et al., Nature 589, 52 (2021)-style PCM tensor
cores read by a balanced receiver. A positive weight sets T+ and leaves T- at
the crystalline floor (and vice versa), so the pair realises 2 L - 1 weight
levels from L cell levels. The cells are broadband and do not couple channels:
no inter-channel crosstalk, no calibration loop, and no heater holds anything
(zero hold power; re-writing costs pulses, priced by
:func:`photrain.controller.energy.energy_report` with ``weight_element='gst'``).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores.bank_passes import CompiledBank
from photrain.cores.mrr_bank import MRRWeightBank
from photrain.models.gst import GSTCell

#: GST cells per weight (the differential pair).
CELLS_PER_WEIGHT = 2


class GSTSettings(NamedTuple):
    """Levels (int, 0 .. levels - 1) of the plus and minus cells of a rows x channels bank, and the digital scale."""

    plus: jax.Array  # (M, N)
    minus: jax.Array  # (M, N)
    scale: jax.Array  # () matrix units per unit weight
    shape: tuple  # (rows, cols) of the target (static)


class GSTWeightBank(MRRWeightBank):
    """A rows x channels bank whose weights are GST cell pairs (see the module docstring).

    Args:
        n_channels, n_rows: as :class:`MRRWeightBank` (inputs, outputs per pass).
        cell: the GST cell (levels, transmissions, write energy and time).
        split: power fraction of a channel that reaches each cell of a pair (0.5: a 50:50 splitter).
        **bank: the rest of :class:`MRRWeightBank`'s arguments (readout, signed, WDM grid, ...);
            the ring/heater ones are unused. ``headroom`` defaults to 1: every level is reachable.
    """

    def __init__(self, n_channels: int, n_rows: int = 1, *, cell: GSTCell | None = None, split: float = 0.5, **bank):
        bank.setdefault("headroom", 1.0)
        bank.setdefault("crosstalk", False)
        super().__init__(n_channels, n_rows, **bank)
        if not 0 < split <= 1:
            raise ValueError(f"split is the power fraction reaching each GST cell, in (0, 1]; got {split}")
        self.cell = cell or GSTCell()
        self.split = float(split)
        self.w_max = self.w_range = self.split * self.cell.contrast
        self.w_min = -self.w_max
        self.heater_bits = None

    # ------------------------------------------------------------ level mapping

    def pair_levels(self, wn):
        """(plus, minus) cell levels (int32) for weights ``wn`` in units of ``w_range`` (clipped to [-1, 1]).

        k = round(|wn| (levels - 1)) on the cell carrying the sign, level 0 (crystalline) on the other.
        """
        wn = jnp.clip(jnp.asarray(wn), -1.0, 1.0)
        k = jnp.round(jnp.abs(wn) * (self.cell.levels - 1)).astype(jnp.int32)
        zero = jnp.zeros_like(k)
        return jnp.where(wn > 0, k, zero), jnp.where(wn < 0, k, zero)

    def pair_transmissions(self, plus, minus, dtype=jnp.float32):
        """(t_drop, t_thru): the power each photodiode of the pair gets per unit channel power, split x T(level)."""
        return (self.split * self.cell.level_transmission(plus, dtype),
                self.split * self.cell.level_transmission(minus, dtype))

    # ------------------------------------------------------------ the core interface

    def program(self, w, *, calibrate: bool = True) -> GSTSettings:
        """Levels of every cell pair for a matrix (rows <= M, cols <= N); max |W| maps to the top level.

        ``calibrate`` is accepted for the interface and has nothing to do: broadband cells do not
        couple channels.
        """
        target, scale = self._normalise(w)
        plus, minus = self.pair_levels(target / self.w_range)
        return GSTSettings(plus, minus, jnp.asarray(scale), tuple(np.shape(w)))

    def transmissions(self, settings: GSTSettings):
        """Power transmissions (M, N) onto the plus (drop) and minus (through) photodiodes."""
        return self.pair_transmissions(settings.plus, settings.minus, float)  # JAX's default float (float64 under x64)

    def effective_matrix(self, settings: GSTSettings):
        """The realised matrix in matrix units (rows x cols)."""
        rows, cols = settings.shape
        t_plus, t_minus = self.transmissions(settings)
        return settings.scale * (t_plus - t_minus)[:rows, :cols]

    def weight_error(self, w, settings: GSTSettings):
        """RMS error of the realised weights vs the target, as a fraction of the usable range."""
        target, _ = self._normalise(w)
        rows, cols = settings.shape
        t_plus, t_minus = self.transmissions(settings)
        err = (t_plus - t_minus - target)[:rows, :cols]
        return float(jnp.sqrt(jnp.mean(err**2)) / self.w_range)

    def weights(self, detuning):
        raise TypeError("a GST bank has no heater detunings; use effective_matrix(program(w))")

    def spectrum(self, settings, wl):
        raise NotImplementedError("GST cells are broadband (no resonances): the bank's transmission does not "
                                  "depend on the probe wavelength; see transmissions(settings)")

    def program_blocks(self, w, *, shared_scale: bool | None = None) -> CompiledBank:
        """Jittable re-programming of a whole matrix (R, C) onto column blocks (see :meth:`MRRWeightBank.program_blocks`).

        Each (row, block) -- or each row with ``shared_scale`` -- is scaled so its max |w| reaches
        the top cell level; every weight goes to the nearest of the pair's 2 levels - 1 values.
        """
        wb, scale = self._column_blocks(w, shared_scale)
        plus, minus = self.pair_levels(wb / (scale[..., None] * self.w_range))
        t_drop, t_thru = self.pair_transmissions(plus, minus, wb.dtype)
        return CompiledBank(t_drop, t_thru, scale)
