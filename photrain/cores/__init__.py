"""Photonic tensor cores: weights in, matrix-vector products out, through the physics.

Common interface: ``program(W) -> settings``, ``matvec(x, settings, key) -> y``,
``effective_matrix(settings) -> W_realised``; :func:`tile_matvec` runs matrices
larger than the core. Cores keep no weights between calls (the controller does).
"""

from photrain.cores.bank_passes import CompiledBank, bank_matvec, blocked_matvec
from photrain.cores.crossbar import CrossbarCore, CrossbarReadout, CrossbarSettings
from photrain.cores.decompose import Decomposition, clements, haar_unitary, reck, reconstruct
from photrain.cores.gst_attenuator import GSTAttenuator
from photrain.cores.mesh import MeshSettings, MZIMesh, SVDSettings, fidelity, mesh_netlist, mesh_transfer, relative_error
from photrain.cores.mrr_bank import BankSettings, MRRWeightBank, bank_response
from photrain.cores.readout import IDEAL, Readout
from photrain.cores.tiling import TileCounts, program_tiles, tile_counts, tile_matvec, tiled_effective_matrix
