"""Power the heaters of an MZI-mesh core hold: the drawn mesh heater at the phases SVD programming sets.

One mesh tile of n modes (:meth:`photrain.cores.MZIMesh.compile`) holds :func:`mesh_heaters`
heaters: theta and phi of the n(n-1)/2 MZIs of each of its two meshes (V^H and U), the 2n
output phase shifters of those meshes, and one theta heater per attenuator MZI (n). Each holds
P = P_pi phi / pi (:func:`photrain.models.phase_shifters.power_for_phase`; a one-sided heater
reaches phases in [0, 2 pi)), with

* P_pi of the drawn mesh heater (:data:`photrain.circuits.heater_layout.MESH_HEATER`, the
  ``heater_straight`` of :func:`photrain.circuits.cells.clements_mesh`), so the layout sets the cost;
* phi the mean heater phase of a 16-mode mesh programmed with a DFA feedback matrix
  (800 x 10, U[-1, 1], 50 tiles): :data:`MESH_MEAN_PHASE` (reference), or the top of the range,
  2 pi (conservative: every heater at full power).

The mean phase is copied here (programming compiles JAX code); :func:`mesh_mean_phase` recomputes
it and tests/test_mesh_training.py asserts the copy.
"""

from __future__ import annotations

import math

from photrain.circuits.heater_layout import MESH_HEATER
from photrain.models.phase_shifters import power_for_phase

#: rad: mean heater phase of a 16-mode tile programmed with an 800 x 10 U[-1, 1] matrix (:func:`mesh_mean_phase`).
MESH_MEAN_PHASE = 2.0783101289783783

#: W per mesh heater held at the mean phase (the energy table's reference value).
MESH_HOLD_POWER_MEAN = float(power_for_phase(MESH_MEAN_PHASE, p_pi=MESH_HEATER.p_pi))
#: W per mesh heater held at the top of its range, 2 pi (the energy table's conservative value).
MESH_HOLD_POWER_MAX = float(power_for_phase(2 * math.pi, p_pi=MESH_HEATER.p_pi))

SOURCE = (f"from the layout: the drawn mesh heater (photrain.circuits.heater_layout.MESH_HEATER, P_pi "
          f"{1e3 * MESH_HEATER.p_pi:.1f} mW, photrain.models.heaters) held at the mean phase of an SVD-programmed "
          f"16-mode tile ({MESH_MEAN_PHASE:.3f} rad, reference) or at 2 pi (conservative) "
          f"(photrain.controller.mesh_heaters)")


def mesh_heaters(n: int) -> int:
    """Heaters of one n-mode SVD tile: 2 meshes x (n(n-1)/2 MZIs x 2 + n output phases) + n attenuators."""
    return 2 * (n * (n - 1) + n) + n


def mesh_mean_phase(n: int = 16, shape=(800, 10), seed: int = 0) -> float:
    """Mean heater phase (rad) over every heater of the tiles of a U[-1, 1] matrix of ``shape`` on n-mode meshes."""
    import numpy as np

    from photrain.cores import MZIMesh

    mesh = MZIMesh(n)
    w = np.random.default_rng(seed).uniform(-1, 1, shape)
    n_r, n_c = -(-shape[0] // n), -(-shape[1] // n)
    padded = np.zeros((n_r * n, n_c * n))
    padded[: shape[0], : shape[1]] = w
    u, s, vh = np.linalg.svd(padded.reshape(n_r, n, n_c, n).transpose(0, 2, 1, 3).reshape(-1, n, n))
    phases = []
    for unitaries in (u, vh):
        st = mesh._grid_settings(unitaries)
        active = np.asarray(st.active[0])
        phases += [np.asarray(st.theta)[:, active], np.asarray(st.phi)[:, active], np.asarray(st.out_phase)]
    scale = np.where(s[:, :1] > 0, s[:, :1], 1.0)
    phases.append(2 * np.arcsin(np.clip(s / scale, 0.0, 1.0)))
    values = np.concatenate([p.ravel() for p in phases])
    assert values.size == mesh_heaters(n) * u.shape[0]
    return float(values.mean())
