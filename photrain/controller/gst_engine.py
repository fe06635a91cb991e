"""The controller's engine for the GST crossbar (:class:`photrain.cores.gst_crossbar.GSTCrossbar`): programming the
cells from memory, the products, their ledger, and the core's description for the energy model.

It runs as the weight-bank engine does (the kernel or weight matrix written onto column blocks of the tile
once per batch, W·x and Wᵀ·δ as optical passes), with two differences: the name (``kind``), and its
ledger counts the programming of *every* product it runs, Wᵀ·δ included: a transposed product needs the
transposed matrix written into the cells (as the bank re-tunes its rings), and on this core every write is
GST pulses (priced as "GST writes" by :func:`photrain.controller.energy.energy_report` with
``weight_element='gst'``, :func:`energy_kwargs`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from photrain.controller.energy import CoreSpec
from photrain.controller.engines import BankEngine
from photrain.controller.hardware import OpticalConfig
from photrain.cores import Readout
from photrain.cores.gst_crossbar import GSTCrossbar
from photrain.cores.tiling import TileCounts, tile_counts
from photrain.models.gst import GSTCell


@dataclass(frozen=True)
class GSTCrossbarEngine(BankEngine):
    """W·x and Wᵀ·δ on GST crossbar tiles (module docstring); ``bank`` is the :class:`GSTCrossbar`."""

    kind = "gst-crossbar"
    supports_transpose = True
    transpose_programmed = True  # Wᵀ·δ runs on its own programming (settings[1]), as on the bank

    def counts(self, shape, batch: int, *, reprogram: bool = True) -> TileCounts:
        """Tiled work of one product; the cells are written for every product (``reprogram`` is not consulted:
        W and Wᵀ are separate writes of the tile)."""
        return tile_counts(self.bank, shape, batch)


def gst_crossbar(optical: OpticalConfig, n_inputs: int) -> GSTCrossbar:
    """The GST crossbar an :class:`~photrain.controller.OpticalConfig` describes: ``n_inputs`` comb lines (rows)
    by ``core_rows`` outputs, its readout and converters (``ideal``: none of their noise), ``gst_levels``.

    ``optical.receiver``: 'per-block' reads every tile pass on its own (its own weight scale, input full scale,
    detector noise and ADC; partial sums digital), as a photodetector at each column reads Feldmann et al.'s
    crossbar; 'integrating' (OpticalConfig's default) shares one scale over a row's column blocks, so a block
    of small weights uses little of the cells' split x (T_a - T_c) = 0.35 transmission range under the same
    detector noise. Measured on a GST-trained LeNet-5 (``benchmarks/conv.py``, 60,000 x 1, 10,000 test
    digits): 95.31 % integrating, 97.42 % per-block, 97.69 % read digitally; 97.46 % integrating at 10x the
    channel power; 97.63 % with the 8 levels and no noise or converters (the loss is detector noise)."""
    if optical.ideal:
        readout = Readout(power_per_channel=optical.power_per_channel, bandwidth=optical.bandwidth, noise=False,
                          modulator=optical.modulator())
    else:
        readout = Readout(power_per_channel=optical.power_per_channel, bandwidth=optical.bandwidth,
                          adc_bits=optical.adc_bits, dac_bits=optical.dac_bits, rin_db_hz=optical.rin_db_hz,
                          receiver=optical.receiver, modulator=optical.modulator())
    core = GSTCrossbar(n_inputs, optical.core_rows, cell=GSTCell(levels=optical.gst_levels), readout=readout,
                       extinction_ratio_db=30.0, signed=optical.signed)
    # the ADC range matched to the largest balanced current an output can give (every weight at +w_range)
    core.readout = dataclasses.replace(readout, adc_headroom=min(1.0, core.w_range))
    return core


def gst_crossbar_engine(optical: OpticalConfig, n_inputs: int) -> GSTCrossbarEngine:
    return GSTCrossbarEngine(gst_crossbar(optical, n_inputs))


def energy_kwargs(engine: GSTCrossbarEngine) -> dict:
    """Keyword arguments of :func:`photrain.controller.energy.energy_report` that price a ledger on this core:
    one tile (rows x channels), no heaters, every programming re-writing the tile's cells."""
    core = engine.bank
    return {"core": CoreSpec(rows=core.n_outputs, channels=core.n_inputs), "weight_element": "gst",
            "gst_cell": core.cell}
