"""The MZI-mesh physics, handed up to the model layer (:class:`photrain.nn.MZIMesh`, issue 30).

``photrain.nn`` imports only the controller (DESIGN.md); a mesh whose phases are trained in the phase domain
needs the mesh's own device physics, not a copy of it: the MZI's couplers and transfer
(:mod:`photrain.models.mzi`), the mesh grid and its structured solver (:mod:`photrain.circuits.mesh_solver`), the
Clements / Reck decompositions (:mod:`photrain.cores.decompose`), the heater DAC (:mod:`photrain.models.converters`),
the detectors (:mod:`photrain.models.detectors`) and the drawn heaters with their thermal crosstalk
(:mod:`photrain.models.heaters`, :mod:`photrain.layout.heater_layout`). This module only re-exports them.
"""

from photrain.circuits.mesh_solver import mesh_grid, mesh_transfer
from photrain.cores.decompose import clements, haar_unitary, reck
from photrain.cores.mesh import settings_from_decomposition
from photrain.layout.heater_layout import MESH_HEATER, MESH_HEATER_DISTANCE
from photrain.models.converters import dac
from photrain.models.detectors import BANDWIDTH, DARK_CURRENT, RESPONSIVITY, balanced_variance, photodiode
from photrain.models.heaters import thermal_crosstalk
from photrain.models.mzi import coupler_matrix, mzi_matrix

__all__ = ["mesh_grid", "mesh_transfer", "clements", "reck", "haar_unitary", "settings_from_decomposition",
           "MESH_HEATER", "MESH_HEATER_DISTANCE", "dac", "BANDWIDTH", "DARK_CURRENT", "RESPONSIVITY",
           "balanced_variance", "photodiode", "thermal_crosstalk", "coupler_matrix", "mzi_matrix"]
