"""The photonic hardware a run's ledger is priced on: :class:`CoreSpec` (cores of heater-tuned rings or MZI-mesh
tiles, and what attenuates a mesh) and the weight elements a bank can use (:data:`WEIGHT_ELEMENTS`)."""

from __future__ import annotations

from dataclasses import dataclass

from photrain.controller.energy.params import EnergyParams
from photrain.controller.hardware import MESH_ATTENUATORS
from photrain.controller.mesh_heaters import mesh_heaters


@dataclass(frozen=True)
class CoreSpec:
    """The photonic hardware a run uses: ``n_cores`` cores of ``rows`` x ``channels`` rings (``kind='bank'``),
    or of n x n MZI-mesh tiles (``kind='mesh'``, rows = channels = n: two meshes and an attenuator column,
    :func:`photrain.controller.mesh_heaters.mesh_heaters` heaters each). A mesh's ``attenuator`` column is
    'mzi' (heaters) or 'gst' (``gst_cells`` GST cells per mode, :class:`photrain.cores.GSTAttenuator`: its n
    attenuator heaters are gone, and every programming re-writes n x gst_cells cells instead)."""

    rows: int
    channels: int
    n_cores: int = 1
    kind: str = "bank"
    attenuator: str = "mzi"
    gst_cells: int = 6

    def __post_init__(self):
        if min(self.rows, self.channels, self.n_cores) < 1:
            raise ValueError(f"rows, channels and n_cores must be >= 1; got {self}")
        if self.kind not in ("bank", "mesh"):
            raise ValueError(f"CoreSpec kind must be 'bank' or 'mesh'; got {self.kind!r}")
        if self.kind == "mesh" and self.rows != self.channels:
            raise ValueError(f"a mesh core is n x n (rows = channels = modes); got {self.rows} x {self.channels}")
        if self.attenuator not in MESH_ATTENUATORS or (self.attenuator == "gst" and self.kind != "mesh"):
            raise ValueError(f"CoreSpec attenuator must be 'mzi' or 'gst' (mesh cores only); got {self.attenuator!r}")
        if self.gst_cells < 1:
            raise ValueError(f"CoreSpec gst_cells must be >= 1; got {self.gst_cells}")

    @property
    def rings(self) -> int:
        return self.rows * self.channels * self.n_cores

    @property
    def heaters_per_core(self) -> int:
        """Heaters one core holds: one per ring, or every heater of a mesh tile (less its n attenuator
        heaters when GST cells attenuate)."""
        if self.kind == "mesh":
            return mesh_heaters(self.rows) - (self.rows if self.attenuator == "gst" else 0)
        return self.rows * self.channels

    @property
    def gst_attenuator_cells(self) -> int:
        """GST cells of one mesh tile's attenuator column (0 with MZI attenuators or on a bank)."""
        return self.rows * self.gst_cells if self.attenuator == "gst" else 0

    def heater_power(self, params: EnergyParams) -> float:
        """W one of this core's heaters holds (``ring_tuning_power`` or ``mzi_heater_power``)."""
        return params.mzi_heater_power if self.kind == "mesh" else params.ring_tuning_power


#: What sets the bank's weights: heater-tuned rings (held with power) or non-volatile GST cell pairs.
WEIGHT_ELEMENTS = ("heater", "gst")
