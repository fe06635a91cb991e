"""Hold power of SVD-programmed meshes in LAPACK's gauge vs photrain's gauge (issue 23).

An SVD's singular vectors carry a free diagonal phase (and, for equal or zero singular values, a free
rotation); the two meshes' heater phases follow it. photrain fixes it (photrain.cores.gauge.fix_gauge):
a canonical basis, then the diagonal phases that minimise the total heater phase, which a one-sided
heater holds at P = P_pi phi / pi. This script programs the same matrices three ways and reports the
mean heater phase (rad; proportional to the hold power) over every heater of every tile:

* ``lapack``: NumPy's singular vectors as returned (this machine's kernel);
* ``other-lapack``: the same regauged by random diagonal phases and null-space rotations (what another
  kernel may return), mean and spread over ``--regaugings`` draws;
* ``canonical``: step 1 of fix_gauge only (a sign convention: largest entry of each vector real positive);
* ``photrain``: fix_gauge (canonical + minimising diagonal phases).

Matrices: the DFA feedback of the energy table (800 x 10 U[-1, 1] on 16-mode tiles) and a full-rank
64 x 64 Gaussian matrix on 16-mode tiles. Usage: python benchmarks/mesh_gauge.py [--regaugings 5].
The last printed line is one JSON object with every figure and the ratios photrain / lapack.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from photrain.cores import MZIMesh, haar_unitary
from photrain.cores.gauge import canonical_basis, fix_gauge


def mean_phase(mesh: MZIMesh, w, gauge) -> float:
    """Mean heater phase of ``w`` on ``mesh`` with the SVD gauge chosen by ``gauge(u, s, vh) -> (u, vh)``."""
    svd = mesh.svd
    try:
        def regauged(blocks):
            u, s, vh = np.linalg.svd(np.asarray(blocks, dtype=complex))
            u, vh = gauge(u, s, vh)
            return u, s, vh

        mesh.svd = regauged
        return float(mesh.heater_phases(w).mean())
    finally:
        mesh.svd = svd


def random_gauge(rng):
    def gauge(u, s, vh):
        d = np.exp(1j * rng.uniform(0, 2 * np.pi, s.shape))
        u, vh = u * d[:, None, :], np.conj(d)[:, :, None] * vh
        for k in range(s.shape[0]):
            idx = np.flatnonzero(s[k] <= 1e-9 * max(s[k, 0], 1e-300))
            if idx.size > 1:
                u[k][:, idx] = u[k][:, idx] @ haar_unitary(idx.size, rng)
                vh[k][idx, :] = haar_unitary(idx.size, rng) @ vh[k][idx, :]
        return u, vh
    return gauge


def regauge_then_fix(other):
    """The photrain gauge of an SVD first moved to another gauge (``other``): equal to photrain's of the original."""
    def gauge(u, s, vh):
        ru, rvh = other(u, s, vh)
        return fix_gauge(ru, s, rvh)
    return gauge


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regaugings", type=int, default=5, help="random gauges standing in for other LAPACK kernels")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    mesh = MZIMesh(16)
    cases = {"dfa-feedback-800x10": np.random.default_rng(0).uniform(-1, 1, (800, 10)),
             "gaussian-64x64": np.random.default_rng(1).normal(size=(64, 64))}
    out = {}
    for name, w in cases.items():
        others = [mean_phase(mesh, w, random_gauge(rng)) for _ in range(args.regaugings)]
        row = {"lapack": mean_phase(mesh, w, lambda u, s, vh: (u, vh)),
               "other_lapack_mean": float(np.mean(others)), "other_lapack_spread": float(np.ptp(others)),
               "canonical": mean_phase(mesh, w, canonical_basis),
               "photrain": float(mesh.heater_phases(w).mean())}
        row["photrain_over_lapack"] = row["photrain"] / row["lapack"]
        row["photrain_over_canonical"] = row["photrain"] / row["canonical"]
        check = mean_phase(mesh, w, regauge_then_fix(random_gauge(rng)))
        row["photrain_after_regauging"] = check
        out[name] = row
        print(f"{name}: mean heater phase (rad) lapack {row['lapack']:.4f}, other kernels {row['other_lapack_mean']:.4f} "
              f"(spread {row['other_lapack_spread']:.4f}), canonical {row['canonical']:.4f}, photrain "
              f"{row['photrain']:.4f} (regauged input: {check:.4f}); hold power photrain/lapack "
              f"{row['photrain_over_lapack']:.3f}, photrain/canonical {row['photrain_over_canonical']:.3f}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
