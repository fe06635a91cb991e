"""A matrix compiled onto MZI-mesh tiles (:meth:`photrain.cores.mesh.MZIMesh.compile`) and its product through
balanced homodyne detection: the jittable half of the mesh core, what a training step runs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores.readout import Readout


@partial(jax.tree_util.register_dataclass, data_fields=["matrix", "scale"], meta_fields=["shape"])
@dataclass(frozen=True)
class MeshTiles:
    """A matrix programmed on a mesh as tiles (:meth:`MZIMesh.compile`): a pytree whose ``shape`` is static.

    matrix: (row tiles, column tiles, n, n) complex, each tile's realised matrix / its scale;
    scale: (row tiles, column tiles), the digital rescale of each tile; shape: (rows, cols) of W.
    """

    matrix: jax.Array
    scale: jax.Array
    shape: tuple

    def effective_matrix(self):
        """The real matrix the tiles apply, (rows, cols): homodyne detection reads Re(W_realised)."""
        n_r, n_c, n, _ = self.matrix.shape
        full = (self.matrix * self.scale[..., None, None]).transpose(0, 2, 1, 3).reshape(n_r * n, n_c * n)
        return jnp.real(full[: self.shape[0], : self.shape[1]])


def mesh_tiles_matvec(x, tiles: MeshTiles, key, *, readout: Readout, lo_power: float):
    """y = W x for a batch x (batch, cols) through tiled meshes and balanced homodyne detection.

    Each column block of x drives one pass of N modulators: field a = (x / max|x|) sqrt(P)
    per mode (signed by a 0/pi phase), with the input DAC; every tile's output field y
    beats with a local oscillator of ``lo_power`` (laser RIN on its power) on a balanced
    pair: I = R (|y + E_LO|^2 - |y - E_LO|^2) / 2 = 2 R Re(y E_LO*), with shot, dark and
    thermal noise drawn once per read (:meth:`Readout.detect`), then the ADC at full scale
    2 R sqrt(P_LO P n_in) for a block of n_in inputs. Each read is rescaled digitally
    (max|x| and the tile's scale) and the column blocks are summed digitally, as
    :func:`photrain.cores.tile_matvec` does. Jittable; float32 inputs stay float32.
    """
    rows, cols = tiles.shape
    n_r, n_c, n, _ = tiles.matrix.shape
    x = jnp.atleast_2d(jnp.asarray(x))
    if x.shape[-1] != cols:
        raise ValueError(f"input has {x.shape[-1]} features but the programmed matrix has {cols} columns")
    real = jnp.result_type(x.dtype, jnp.float32)
    ro = readout
    xb = jnp.pad(x, ((0, 0), (0, n_c * n - cols))).reshape(x.shape[0], n_c, n)
    xmax = jnp.maximum(jnp.max(jnp.abs(xb), axis=-1, keepdims=True), 1e-30)  # (batch, n_c, 1): per-pass DAC scale
    amp = ro.encode(xb / xmax, signed=True) * np.sqrt(ro.power_per_channel)
    field = jnp.einsum("bcn,rcmn->brcm", amp.astype(tiles.matrix.dtype), tiles.matrix)  # (batch, n_r, n_c, n)
    k_rin, k_det = (None, None) if key is None else jax.random.split(key)
    lo = jnp.sqrt(ro.rin(jnp.full(field.shape, lo_power, real), k_rin))
    p_plus = jnp.abs(field + lo) ** 2 / 2
    p_minus = jnp.abs(field - lo) ** 2 / 2
    current = ro.detect(ro.responsivity * (p_plus - p_minus), p_plus + p_minus, k_det)
    widths = np.minimum(n, cols - n * np.arange(n_c))  # inputs driven in each column block
    unit = 2 * ro.responsivity * np.sqrt(lo_power * ro.power_per_channel)  # current of one full-scale input
    full = jnp.asarray(unit * np.sqrt(widths), real)[None, None, :, None]
    current = ro.digitise(current / full, 1.0) * full  # each block's ADC at its own full scale
    y = current / unit * xmax[:, None] * tiles.scale[None, :, :, None]
    return y.sum(axis=2).reshape(x.shape[0], n_r * n)[:, :rows].astype(real)
