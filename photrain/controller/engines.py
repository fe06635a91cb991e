"""Product engines: how the controller runs W·x, Wᵀ·δ and B·e on one kind of core.

An engine turns the weights the controller read from memory (or, for a
crossbar, the memory's own conductances) into core settings once per batch
(``program``), runs batched products on them (``matmul``: h Wᵀ, ``matmul_t``:
δ W) and gives the closed-form work of a product for the ledger (``counts``).
Engines hold no weights; everything they return is a pytree a jitted step
carries. Fixed matrices (the DFA feedback B) are compiled once (``compile``)
and applied with ``project``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores import MRRWeightBank, MZIMesh, TileCounts, bank_matvec, blocked_matvec, tile_counts
from photrain.cores.mesh_tiles import mesh_tiles_matvec
from photrain.models.fast_random import drawn, hash_keys

F32 = jnp.float32


def _product_counts(core, shape, batch: int, reprogram: bool) -> TileCounts:
    """Tiled work of one product on ``core``; without re-programming its programmings are 0."""
    c = tile_counts(core, shape, batch)
    return c if reprogram else dataclasses.replace(c, programmings=0)


@dataclass(frozen=True)
class DigitalEngine:
    """The controller's own float32 arithmetic (no core)."""

    kind = "digital"
    supports_transpose = True

    def program(self, w, memory, mem_state, *, transpose: bool = False):
        return w

    def matmul(self, settings, h, key):
        return h @ settings.T

    def matmul_t(self, settings, d, key):
        return d @ settings

    def counts(self, shape, batch: int, *, reprogram: bool = True) -> TileCounts | None:
        return None

    def compile(self, b):
        return jnp.asarray(b, F32)

    def project(self, compiled, e, key):
        return e @ compiled.T


@dataclass(frozen=True)
class BankEngine:
    """MRR weight banks: the whole matrix re-programmed onto column blocks every batch (closed-form inverse).

    Wᵀ·δ needs Wᵀ on the rings: a second programming of the transposed matrix.
    """

    bank: MRRWeightBank
    kind = "bank"
    supports_transpose = True

    def program(self, w, memory, mem_state, *, transpose: bool = False):
        return (self.bank.program_blocks(w), self.bank.program_blocks(w.T) if transpose else None)

    def _run(self, blocks, x, key):
        b = self.bank
        return blocked_matvec(x, blocks, key, readout=b.readout, rows_per_bank=b.n_rows, floor=b.floor,
                              signed=b.signed).astype(F32)

    def matmul(self, settings, h, key):
        return self._run(settings[0], h, key)

    def matmul_t(self, settings, d, key):
        if settings[1] is None:
            raise ValueError("Wᵀ·δ on the bank needs the transpose programmed: program(..., transpose=True)")
        return self._run(settings[1], d, key)

    def counts(self, shape, batch: int, *, reprogram: bool = True) -> TileCounts:
        return _product_counts(self.bank, shape, batch, reprogram)

    def compile(self, b):
        """B programmed once with the bank's calibrated solver; float32 keeps the training step single precision."""
        return jax.tree_util.tree_map(lambda a: a.astype(F32), self.bank.compile(np.asarray(b)))

    def project(self, compiled, e, key):
        b = self.bank
        return bank_matvec(e, compiled.t_drop, compiled.t_thru, compiled.scale, key, readout=b.readout,
                           rows_per_bank=b.n_rows, floor=b.floor, signed=b.signed).astype(F32)


@dataclass(frozen=True)
class CrossbarEngine:
    """Memristive crossbars computing in the memory: Ohm's law per device, Kirchhoff's law per column.

    With an analog memory the conductances *are* the memory state (no
    programming step); with a digital memory the weights are written onto the
    arrays every batch.
    """

    core: Any  # photrain.cores.CrossbarCore
    kind = "crossbar"
    supports_transpose = True

    def program(self, w, memory, mem_state, *, transpose: bool = False):
        g = memory.conductances(mem_state)
        return self.core.program(w) if g is None else self.core.from_conductances(*g)

    def matmul(self, settings, h, key):
        return self.core.matvec(h, settings, key).astype(F32)

    def matmul_t(self, settings, d, key):
        return self.core.matvec_t(d, settings, key).astype(F32)

    #: most normals drawn in advance for one product over a loop (float32: 16 MB); more: seed words only
    MAX_DRAWN = 4_000_000

    def draw_noise(self, settings, keys, batch: int, *, transpose: bool = False):
        """The read noise of one product repeated over a loop, one key per iteration (``keys``: (iterations,)),
        as the products will take it: all the standard normals at once (:class:`~photrain.models.fast_random.Drawn`,
        the draws the keys give; ~3x cheaper per draw than inside the loop on CPU), or, past :attr:`MAX_DRAWN`
        normals, each key's seed words (:func:`~photrain.models.fast_random.hash_keys`); None without noise."""
        shape = self.core.noise_shape(settings, batch, transpose=transpose)
        if shape is None:
            return None
        hk = hash_keys(keys)
        if hk.words.shape[0] * math.prod(shape) > self.MAX_DRAWN:
            return hk
        return drawn(hk, shape)

    def counts(self, shape, batch: int, *, reprogram: bool = True) -> TileCounts:
        return _product_counts(self.core, shape, batch, reprogram)

    def compile(self, b):
        return self.core.program(jnp.asarray(b, F32))

    def project(self, compiled, e, key):
        return self.core.matvec(e, compiled, key).astype(F32)


@dataclass(frozen=True)
class MeshEngine:
    """Coherent MZI meshes: each n x n tile of a matrix programmed by SVD on two meshes and an attenuator column.

    Programming (:meth:`photrain.cores.MZIMesh.compile`: SVD, Clements decomposition, the realised
    transfer of every tile) runs on the host, not inside a jitted step: an 800 x 784 layer takes
    seconds, so the mesh serves fixed matrices (the DFA feedback B, compiled once) and the forward
    products of a trained network (programmed once per evaluation, outside jit). ``programs_in_step``
    is False: the controller keeps training forward products digital on this core
    (:attr:`photrain.controller.Controller.forward_on_core`). No Wᵀ·δ.
    """

    mesh: MZIMesh
    kind = "mesh"
    supports_transpose = False
    programs_in_step = False

    def program(self, w, memory, mem_state, *, transpose: bool = False):
        if transpose:
            raise ValueError("the mesh core runs W·x and B·e only; Wᵀ·δ (backprop on the core) needs --core bank "
                             "or crossbar")
        return self.mesh.compile(w)

    def matmul(self, settings, h, key):
        return mesh_tiles_matvec(h, settings, key, readout=self.mesh.readout, lo_power=self.mesh.lo_power).astype(F32)

    def matmul_t(self, settings, d, key):
        raise ValueError("the mesh core cannot run Wᵀ·δ; choose --core bank or crossbar for backprop on a core")

    def counts(self, shape, batch: int, *, reprogram: bool = True) -> TileCounts:
        return _product_counts(self.mesh, shape, batch, reprogram)

    def compile(self, b):
        """B programmed once: every tile's realised matrix (complex64) and scale."""
        return self.mesh.compile(np.asarray(b))

    def project(self, compiled, e, key):
        return self.matmul(compiled, e, key)
