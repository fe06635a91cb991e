"""Time per training step of an MZI mesh's phases: autodiff of the digital twin vs in-situ adjoint measurement
(Hughes et al., Optica 5, 864 (2018)) vs finite differences, N = 8 ... 64 modes (issue 30).

One ``photrain.nn.MZIMesh(N, scheme=--scheme)`` on the default (non-ideal, noisy) chip, intensity readout, a
softmax cross-entropy over the first 10 output detectors, a batch of ``--batch`` random complex inputs, one
``optax.adam`` step (``photrain.nn.insitu.value_and_grad`` + the update) jitted; the median of ``--repeats``
timed steps after one warm-up (compilation excluded). Finite differences run for N <= ``--fd-max`` (2 x phases
loss runs per step: 4,096 phases at N = 64). Reports per step: simulated time, the ratio to autodiff measured in
the same run, and the chip's mesh passes, detector reads and heater writes (``counts`` of
:func:`photrain.nn.insitu_grad`); the fitted growth exponent k of time ~ N^k per method.

Simulated time is the cost of simulating the chip on this CPU; on a chip, in situ costs 3 passes per example
whatever N, finite differences 2 x N^2 passes, the twin needs a model of the chip.

Usage: flock /tmp/team/heavy.lock .venv/bin/python benchmarks/insitu.py [--sizes 8 16 32 64] [--batch 32]
       [--repeats 5] [--fd-max 32] [--scheme clements]
The last printed line is one JSON object with every figure.

Measured (2-CPU container shared with other jobs, ``nice -n 19``, ``--repeats 3 --fd-max 64``), s/step autodiff /
in situ / finite differences: N = 8: 0.0010 / 0.0013 / 0.0084; 16: 0.0011 / 0.0014 / 0.048; 32: 0.0021 / 0.0044 /
0.54; 64: 0.0105 / 0.0136 / 11.7; growth N^1.09 / N^1.17 / N^3.48; chip passes per step 32 / 96 / 2 x phases x 32.
"""

from __future__ import annotations

import argparse
import json
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from photrain.nn import MZIMesh, insitu_grad
from photrain.nn import insitu as ins

METHODS = ("autodiff", "insitu", "finite-difference")


def loss_fn(model, x, labels):
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(10.0 * jax.vmap(model)(x)[:, :10], labels))


def make_step(optimizer, gradient):
    @eqx.filter_jit
    def step(model, opt_state, x, labels, key):
        loss, grads, _ = ins.value_and_grad(lambda m: loss_fn(m, x, labels), model, key=key, gradient=gradient)
        updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state, loss

    return step


def time_step(n, gradient, args):
    key = jax.random.PRNGKey(n)
    mesh = MZIMesh(n, scheme=args.scheme, key=key)
    rng = np.random.default_rng(n)
    x = jnp.asarray((rng.normal(size=(args.batch, n)) + 1j * rng.normal(size=(args.batch, n))) / np.sqrt(2 * n),
                    jnp.complex64)
    labels = jnp.asarray(rng.integers(0, 10, args.batch))
    optimizer = optax.adam(1e-2)
    opt_state = optimizer.init(eqx.filter(mesh, eqx.is_inexact_array))
    step = make_step(optimizer, gradient)
    t0 = time.perf_counter()
    model, opt_state, loss = step(mesh, opt_state, x, labels, key)
    jax.block_until_ready(loss)
    first = time.perf_counter() - t0
    times = []
    repeats = args.repeats if gradient != "finite-difference" or n <= 16 else max(1, args.repeats // 2)
    for r in range(repeats):
        t0 = time.perf_counter()
        model, opt_state, loss = step(model, opt_state, x, labels, jax.random.fold_in(key, r))
        jax.block_until_ready(loss)
        times.append(time.perf_counter() - t0)
    _, _, counts = insitu_grad(loss_fn, mesh, x[:1], labels[:1], key=None, gradient=gradient) if n <= 8 else (
        None, None, None)
    return float(np.median(times)), first, counts, mesh


def chip_counts(mesh, gradient, batch):
    """Per step (closed form, checked against insitu_grad's counts at the smallest N)."""
    passes, reads = ins.per_vector_counts(mesh, gradient)
    if gradient == "finite-difference":
        return {"mesh_passes": 2 * mesh.n_phases * batch, "detector_reads": 2 * mesh.n_phases * reads * batch,
                "heater_writes": 3 * mesh.n_phases + mesh.n_phases}
    return {"mesh_passes": passes * batch, "detector_reads": reads * batch, "heater_writes": mesh.n_phases}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--fd-max", type=int, default=32)
    ap.add_argument("--scheme", default="clements", choices=("clements", "reck"))
    args = ap.parse_args(argv)
    rows = []
    print(f"{'N':>4} {'method':>18} {'s/step':>10} {'vs autodiff':>11} {'first s':>8} {'passes':>9} "
          f"{'reads':>10} {'writes':>7}")
    for n in args.sizes:
        ref = None
        for gradient in METHODS:
            if gradient == "finite-difference" and n > args.fd_max:
                continue
            t, first, measured, mesh = time_step(n, gradient, args)
            counts = chip_counts(mesh, gradient, args.batch)
            if measured is not None:  # one example through insitu_grad: the closed form per example
                per_example = chip_counts(mesh, gradient, 1)
                assert measured["mesh_passes"] == per_example["mesh_passes"], (measured, per_example)
            ref = t if gradient == "autodiff" else ref
            rows.append({"n": n, "method": gradient, "s_per_step": t, "vs_autodiff": t / ref, "first_s": first,
                         "phases": mesh.n_phases, **counts})
            print(f"{n:>4} {gradient:>18} {t:>10.4f} {t / ref:>10.2f}x {first:>8.2f} {counts['mesh_passes']:>9} "
                  f"{counts['detector_reads']:>10} {counts['heater_writes']:>7}", flush=True)
    exponents = {}
    for gradient in METHODS:
        pts = [(r["n"], r["s_per_step"]) for r in rows if r["method"] == gradient]
        if len(pts) >= 2:
            k = np.polyfit(np.log([p[0] for p in pts]), np.log([p[1] for p in pts]), 1)[0]
            exponents[gradient] = float(k)
            print(f"{gradient}: time per step ~ N^{k:.2f} over N = {[p[0] for p in pts]}")
    print(json.dumps({"benchmark": "insitu", "scheme": args.scheme, "batch": args.batch, "rows": rows,
                      "growth_exponent": exponents, "device": str(jax.devices()[0])}))


if __name__ == "__main__":
    main()
