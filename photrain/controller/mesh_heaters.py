"""Power the heaters of an MZI-mesh core hold: the drawn mesh heater at the phases SVD programming sets.

One mesh tile of n modes (:meth:`photrain.cores.MZIMesh.compile`) holds :func:`mesh_heaters`
heaters: theta and phi of the n(n-1)/2 MZIs of each of its two meshes (V^H and U), the 2n
output phase shifters of those meshes, and one theta heater per attenuator MZI (n). Each holds
P = P_pi phi / pi (:func:`photrain.models.phase_shifters.power_for_phase`; a one-sided heater
reaches phases in [0, 2 pi)), with

* P_pi of the drawn mesh heater (:data:`photrain.layout.heater_layout.MESH_HEATER`, the
  ``heater_straight`` of :func:`photrain.layout.cells.clements_mesh`), so the layout sets the cost;
* phi the mean heater phase of a 16-mode mesh programmed with a DFA feedback matrix
  (800 x 10, U[-1, 1], 50 tiles) in photrain's gauge (:func:`photrain.cores.gauge.fix_gauge`: the
  SVD's free phases chosen to minimise the total heater phase, free nulling phases at 0):
  :data:`MESH_MEAN_PHASE` (reference), or the top of the range, 2 pi (conservative: every heater at
  full power). In LAPACK's own gauge the same matrix held 2.08 rad (and 2.078 or 2.080 rad by the
  OpenBLAS kernel); benchmarks/mesh_gauge.py measures the saving.

The mean phase is copied here (programming compiles JAX code); :func:`mesh_mean_phase` recomputes
it and tests/test_mesh_training.py asserts the copy (it is gauge- and kernel-independent: tested).
"""

from __future__ import annotations

import math

from photrain.layout.heater_layout import MESH_HEATER
from photrain.models.phase_shifters import power_for_phase

#: rad: mean heater phase of a 16-mode tile programmed with an 800 x 10 U[-1, 1] matrix (:func:`mesh_mean_phase`).
MESH_MEAN_PHASE = 1.5160364438188414

#: W per mesh heater held at the mean phase (the energy table's reference value).
MESH_HOLD_POWER_MEAN = float(power_for_phase(MESH_MEAN_PHASE, p_pi=MESH_HEATER.p_pi))
#: W per mesh heater held at the top of its range, 2 pi (the energy table's conservative value).
MESH_HOLD_POWER_MAX = float(power_for_phase(2 * math.pi, p_pi=MESH_HEATER.p_pi))

SOURCE = (f"from the layout: the drawn mesh heater (photrain.layout.heater_layout.MESH_HEATER, P_pi "
          f"{1e3 * MESH_HEATER.p_pi:.1f} mW, photrain.models.heaters) held at the mean phase of an SVD-programmed "
          f"16-mode tile ({MESH_MEAN_PHASE:.3f} rad, reference) or at 2 pi (conservative) "
          f"(photrain.controller.mesh_heaters)")


def mesh_heaters(n: int) -> int:
    """Heaters of one n-mode SVD tile: 2 meshes x (n(n-1)/2 MZIs x 2 + n output phases) + n attenuators."""
    return 2 * (n * (n - 1) + n) + n


def mesh_mean_phase(n: int = 16, shape=(800, 10), seed: int = 0) -> float:
    """Mean heater phase (rad) over every heater of the tiles of a U[-1, 1] matrix of ``shape`` on n-mode meshes,
    programmed in photrain's gauge (:meth:`photrain.cores.MZIMesh.heater_phases`)."""
    import numpy as np

    from photrain.cores import MZIMesh

    w = np.random.default_rng(seed).uniform(-1, 1, shape)
    phases = MZIMesh(n).heater_phases(w)
    assert phases.shape[1] == mesh_heaters(n)
    return float(phases.mean())
