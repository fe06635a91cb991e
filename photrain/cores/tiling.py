"""Tiling: run a matrix larger than the physical core as repeated passes over blocks.

Block (r, c) of W is programmed onto the core, multiplies the matching slice
of x, and the partial products are summed digitally over c. Counts of passes,
conversions and optical energy feed the controller's ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np


@dataclass(frozen=True)
class TileCounts:
    """Work done by one tiled matvec of a batch."""

    passes: int  # optical passes (a pass = one block x one batch of symbols)
    optical_macs: int  # multiply-accumulates done in optics
    dac_conversions: int  # input-modulator symbols
    adc_conversions: int  # detector readouts
    digital_adds: int  # partial-sum additions done digitally
    programmings: int  # block (re)programmings
    optical_energy: float  # laser light on chip (J): power x channels x symbols / symbol rate

    def __add__(self, other: TileCounts) -> TileCounts:
        return TileCounts(*(a + b for a, b in zip(self.astuple(), other.astuple(), strict=True)))

    def astuple(self):
        return (self.passes, self.optical_macs, self.dac_conversions, self.adc_conversions, self.digital_adds,
                self.programmings, self.optical_energy)


@dataclass(frozen=True)
class TiledSettings:
    blocks: tuple  # blocks[r][c] = core settings
    row_edges: tuple
    col_edges: tuple
    shape: tuple


def _edges(total, size):
    return tuple(range(0, total, size)) + (total,)


def program_tiles(core, w) -> TiledSettings:
    """Program every core-sized block of ``w`` (rows x cols)."""
    w = np.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"expected a 2-D matrix; got shape {w.shape}")
    rows, cols = core.shape
    re, ce = _edges(w.shape[0], rows), _edges(w.shape[1], cols)
    blocks = tuple(tuple(core.program(w[r0:r1, c0:c1]) for c0, c1 in zip(ce[:-1], ce[1:], strict=True))
                   for r0, r1 in zip(re[:-1], re[1:], strict=True))
    return TiledSettings(blocks, re, ce, tuple(w.shape))


def tile_counts(core, shape, batch: int) -> TileCounts:
    """Closed-form counts for a (rows x cols) matrix times a batch of ``batch`` vectors on ``core``."""
    rows, cols = shape
    cr, cc = core.shape
    n_r, n_c = -(-rows // cr), -(-cols // cc)
    per = core.passes_per_matvec()
    passes = n_r * n_c * per
    ro = core.readout
    return TileCounts(
        passes=passes,
        optical_macs=rows * cols * batch * per,
        dac_conversions=n_r * cols * batch * per,
        adc_conversions=n_c * rows * batch * per,
        digital_adds=(n_c - 1) * rows * batch + (per - 1) * rows * batch * n_c,
        programmings=n_r * n_c,
        optical_energy=passes * ro.power_per_channel * cc * batch / ro.bandwidth,
    )


def tile_matvec(core, tiled: TiledSettings, x, key=None):
    """y = W x for a batch x (batch, cols) on a finite core: returns (y, TileCounts)."""
    x = jnp.atleast_2d(jnp.asarray(x))
    if x.shape[-1] != tiled.shape[1]:
        raise ValueError(f"input has {x.shape[-1]} features but the tiled matrix has {tiled.shape[1]} columns")
    n_blocks = len(tiled.blocks) * len(tiled.blocks[0])
    keys = [None] * n_blocks if key is None else list(jax.random.split(key, n_blocks))
    out, i = [], 0
    for row_blocks in tiled.blocks:
        acc = None
        for c, settings in enumerate(row_blocks):
            part = core.matvec(x[:, tiled.col_edges[c] : tiled.col_edges[c + 1]], settings, keys[i])
            acc = part if acc is None else acc + part
            i += 1
        out.append(acc)
    return jnp.concatenate(out, axis=-1), tile_counts(core, tiled.shape, x.shape[0])


def tiled_effective_matrix(core, tiled: TiledSettings):
    """The full realised matrix assembled from the blocks' effective matrices."""
    return jnp.block([[core.effective_matrix(s) for s in row] for row in tiled.blocks])
