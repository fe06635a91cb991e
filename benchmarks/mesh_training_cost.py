"""What training on the mesh core would cost: programming every layer from memory once per batch (issue 25).

A bank or crossbar is programmed from the memory inside the jitted training step (every batch). The mesh is
programmed by SVD + Clements decomposition of every n x n tile on the host (``MZIMesh.compile``: NumPy, then
the realised transfer), so ``photrain.nn.fit`` keeps the mesh's training products digital and evaluates the
trained network through the meshes. This measures, in one process, for the same Equinox MLP through
``photrain.nn.fit``:

1. one epoch of backprop/DFA training on the bank core (W·x, and Wᵀ·δ for backprop, on the banks,
   re-programmed every batch) and on the mesh core as it trains today (products digital);
2. one host programming of every layer on 16-mode meshes (what a forward-on-mesh step would need after
   every batch, since the weights change) and one forward batch through the programmed meshes;
3. the epoch a per-batch mesh programming would take: batches x (programming + mesh forward) + today's epoch.

Usage: python benchmarks/mesh_training_cost.py [--dataset digits] [--hidden 64] [--batch-size 32]
                                               [--algorithm dfa] [--mnist-layers]
``--mnist-layers`` also times one programming of 784-800-800-10 (the reference network) on the meshes.
The last printed line is one JSON object with every figure printed.
"""

from __future__ import annotations

import argparse
import json
import time

import equinox as eqx
import jax
import numpy as np
import optax

import photrain.nn as pnn
from photrain.nn.tree import batched_apply, program_model
from photrain.train.data import load_dataset
from photrain.train.network import build_mlp, init_mlp


def epoch_time(hw, sizes, data, algorithm: str, batch: int) -> float:
    """Training time of the second epoch (the first compiles) through photrain.nn.fit."""
    model = build_mlp(init_mlp(jax.random.PRNGKey(0), sizes), hw, jax.random.PRNGKey(1))
    _, history = pnn.fit(model, optax.sgd(0.01, momentum=0.9), data, algorithm=algorithm, epochs=2,
                         batch_size=batch, key=jax.random.PRNGKey(2), progress=False)
    return float(history[-1]["time_s"])


def programming_time(sizes, repeats: int = 3) -> float:
    """Median seconds to program every layer of ``sizes`` on 16-mode meshes from its memory (host)."""
    model = build_mlp(init_mlp(jax.random.PRNGKey(0), sizes), pnn.Hardware(core="mesh"), jax.random.PRNGKey(1))
    program_model(model, jax.random.PRNGKey(3), transpose=False, host=True)  # compile the realisation once
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        prog = program_model(model, jax.random.PRNGKey(4 + r), transpose=False, host=True)
        jax.block_until_ready(eqx.filter(prog, eqx.is_array))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def mesh_forward_time(sizes, x, repeats: int = 5) -> float:
    """Median seconds of one forward batch through meshes already programmed (noise and readout on)."""
    model = build_mlp(init_mlp(jax.random.PRNGKey(0), sizes), pnn.Hardware(core="mesh"), jax.random.PRNGKey(1))
    prog = program_model(model, jax.random.PRNGKey(3), transpose=False, host=True)
    run = eqx.filter_jit(lambda m, x, k: batched_apply(m, x, k))
    jax.block_until_ready(run(prog, x, jax.random.PRNGKey(0)))
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(run(prog, x, jax.random.PRNGKey(r)))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--hidden", type=int, nargs="+", default=[64])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--algorithm", default="dfa", choices=["backprop", "dfa"])
    ap.add_argument("--mnist-layers", action="store_true")
    args = ap.parse_args()
    data = load_dataset(args.dataset, args.data_dir)
    x, y = np.asarray(data.x_train, np.float32), np.asarray(data.y_train)
    sizes = [data.n_features, *args.hidden, data.n_classes]
    n_batches = len(x) // args.batch_size
    out = {"dataset": args.dataset, "sizes": sizes, "batch_size": args.batch_size, "algorithm": args.algorithm,
           "batches_per_epoch": n_batches}
    out["bank_epoch_s"] = epoch_time(pnn.Hardware(core="bank"), sizes, (x, y), args.algorithm, args.batch_size)
    out["mesh_epoch_s"] = epoch_time(pnn.Hardware(core="mesh"), sizes, (x, y), args.algorithm, args.batch_size)
    out["program_s"] = programming_time(sizes)
    out["mesh_forward_s"] = mesh_forward_time(sizes, x[: args.batch_size])
    out["mesh_per_batch_epoch_s"] = n_batches * (out["program_s"] + out["mesh_forward_s"]) + out["mesh_epoch_s"]
    out["per_batch_mesh_over_bank"] = out["mesh_per_batch_epoch_s"] / out["bank_epoch_s"]
    out["program_over_bank_step"] = out["program_s"] / (out["bank_epoch_s"] / n_batches)
    net = "-".join(map(str, sizes))
    print(f"{net} {args.algorithm}, batch {args.batch_size}, {n_batches} batches/epoch: epoch on the bank "
          f"{out['bank_epoch_s']:.2f} s, on the mesh as it trains today (products digital) {out['mesh_epoch_s']:.2f} s; "
          f"programming every layer on 16-mode meshes {1e3 * out['program_s']:.1f} ms = "
          f"x{out['program_over_bank_step']:.0f} one bank step; forward batch through the meshes "
          f"{1e3 * out['mesh_forward_s']:.2f} ms; programmed once per batch an epoch would take "
          f"{out['mesh_per_batch_epoch_s']:.1f} s = x{out['per_batch_mesh_over_bank']:.1f} the bank's", flush=True)
    if args.mnist_layers:
        out["mnist_program_s"] = programming_time([784, 800, 800, 10], repeats=1)
        out["mnist_epoch_programming_h"] = out["mnist_program_s"] * (60000 // 64) / 3600
        print(f"784-800-800-10: programming every layer {out['mnist_program_s']:.2f} s; once per batch of 64 that is "
              f"{out['mnist_epoch_programming_h']:.2f} h of programming per MNIST epoch", flush=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
