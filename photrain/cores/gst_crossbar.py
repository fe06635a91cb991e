"""The photonic tensor core of Feldmann et al.: GST phase-change cells on a waveguide crossbar with WDM inputs.

Feldmann et al., "Parallel convolutional processing using an integrated photonic tensor core", Nature 589,
52 (2021) (arXiv:2002.00281). The input vector is carried by the lines of a soliton frequency comb, one
comb line per input waveguide (row) of the crossbar, each line modulated with one input value. At every
crossing a directional coupler sends a fixed fraction of the row's light through a GST cell onto the
output waveguide (column); the coupling ratios are graded so every cell of a row receives the same power,
1/M of it for M columns. A column collects light of different wavelengths (one per row), so the powers add
without interference and a photodetector at its end reads

    I_i = R sum_j P_j T_ij,           T_ij the cell's non-volatile power transmission,

a matrix-vector product computed by measuring transmissions of passive, broadband (non-resonant) cells:
the matrix is held without power, and a new input vector costs only modulation and detection.
Transmissions are non-negative; a signed weight uses two columns read by a balanced pair, w_ij = split
(T+_ij - T-_ij) with the cell of the sign set and the other left crystalline (2 L - 1 weight levels from L
cell levels), as :class:`photrain.cores.gst_bank.GSTWeightBank` reads its cell pairs. The arithmetic is that
bank's (same readout, converters, balanced detection, level grid), so this class *is* a
:class:`~photrain.cores.gst_bank.GSTWeightBank` laid out as a crossbar: inputs on rows (``n_inputs``, the
comb lines), outputs on column pairs (``n_outputs``); what the crossbar adds is the geometry, a per-path
loss, and the parameters below. Larger matrices are tiled over core-sized blocks like every photrain core
(:func:`photrain.cores.tile_counts`); every (re)programming writes every cell of a tile.

Parameters and their sources (figure: value here -- source):

* architecture: PCM memory arrays, soliton-microcomb WDM inputs, broadband passive cells -- Feldmann 2021, abstract.
* modulation / detection bandwidth: > 14 GHz, "limited only by the modulators and photodetectors" -- Feldmann
  2021, abstract; here ``OpticalConfig.bandwidth`` (default 10 GHz; pass ``optical={"bandwidth": 14e9}``).
* throughput: ~10^12 MAC/s (TMAC/s) -- Feldmann 2021, abstract.
* hold power: 0 W, non-volatile -- Feldmann 2021; Ríos et al., Nat. Photonics 9, 725 (2015).
* levels per cell: 8 -- Ríos et al. 2015, the same groups' GST-on-waveguide cell
  (:data:`photrain.models.gst.SOURCES`). Feldmann 2021's own level count could not be read here (only its
  abstract was at hand); ``OpticalConfig.gst_levels`` sets another.
* write energy and time: 13.4 pJ per cell and pulse, 1 ns -- Ríos et al. 2015 (:class:`photrain.models.gst.GSTCell`).
* cell transmissions T_a = 0.95, T_c = 0.25 -- assumed (:data:`photrain.models.gst.SOURCES`).
* path loss: ``path_loss_db`` per crossing, rows + columns - 2 crossings, equalised to the worst path -- assumed,
  0 dB by default (a calibrated chip).
* MNIST with the convolution on the chip: 95.3 % on chip vs 96.1 % on a computer -- recalled, NOT verified
  (only Feldmann 2021's abstract could be read here; ``benchmarks/conv.py`` keeps them as ``PAPER_UNVERIFIED``).
"""

from __future__ import annotations

from photrain.cores.gst_bank import GSTWeightBank
from photrain.models.gst import GSTCell


class GSTCrossbar(GSTWeightBank):
    """An ``n_inputs`` (rows, comb lines) x ``n_outputs`` (column pairs) GST crossbar (module docstring).

    Args:
        n_inputs: input waveguides = WDM comb lines = matrix columns per tile.
        n_outputs: output column pairs = matrix rows per tile.
        cell: the GST cell (levels, transmissions, write energy); default :class:`photrain.models.gst.GSTCell`.
        path_loss_db: loss of one crossing or coupler passed (dB); the light of cell (i, j) passes at most
            rows + columns - 2 of them, and the programming equalises every path to the worst one (a passive
            cell can only attenuate), so every weight carries 10^(-path_loss_db (rows + cols - 2) / 10).
        **bank: :class:`GSTWeightBank`'s readout arguments (readout, signed, extinction_ratio_db, ...).
    """

    kind = "gst-crossbar"

    def __init__(self, n_inputs: int, n_outputs: int, *, cell: GSTCell | None = None, path_loss_db: float = 0.0,
                 **bank):
        if not path_loss_db >= 0:
            raise ValueError(f"path_loss_db is a loss per crossing in dB, >= 0; got {path_loss_db}")
        path = 10 ** (-float(path_loss_db) * (int(n_inputs) + int(n_outputs) - 2) / 10)
        # the graded couplers give every cell 1/M of its row (the bank's rows_per_bank); the pair's 50:50 split
        # and the equalised path loss set the light that reaches each cell's detector
        # no rings: the bank's ring-FSR check must not limit the comb lines (tiny rings, a grid that fits)
        bank.setdefault("radius", 0.5)
        bank.setdefault("spacing", min(0.0016, 0.1 / int(n_inputs)))
        super().__init__(n_inputs, n_outputs, cell=cell, split=0.5 * path, **bank)
        self.path_loss_db = float(path_loss_db)

    @property
    def n_inputs(self) -> int:
        return self.n_channels

    @property
    def n_outputs(self) -> int:
        return self.n_rows

    @property
    def cells(self) -> int:
        """GST cells of one tile (two per weight)."""
        return 2 * self.n_inputs * self.n_outputs
