"""Optical DFA with B·e on MZI meshes vs on MRR weight banks (issue 13, part 3), and what programming a mesh costs.

Two parts, both measured in this process:

1. Programming cost (``--timing``): the mesh is programmed by SVD + Clements decomposition of
   every n x n tile (``MZIMesh.compile``, on the host). For the reference network 784-800-800-10
   it times one programming of all three layers (what a forward-on-mesh training step would
   need after every batch, since the weights change) against one digital forward step
   (batch 64) and one B·e projection on meshes and on banks.
2. Accuracy (``--dataset``): optical DFA trained with the feedback on banks (``--core digital``:
   B·e on a bank, W·x digital) and on meshes (``--core mesh``: B·e on meshes, W·x digital, the
   trained network also evaluated through meshes), same seed, same data, every noise source on.

Usage: python benchmarks/mesh_dfa.py [--dataset digits|mnist] [--hidden 256 256] [--epochs 5]
                                     [--seeds 1] [--mesh-modes 16] [--timing] [--data-dir ../shared/datasets]
The last printed line is one JSON object with every figure printed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np


def timing(mesh_modes: int, repeats: int = 3) -> dict:
    from photrain.controller import MeshConfig, OpticalConfig, build_controller
    from photrain.train import algorithms as alg
    from photrain.train.network import forward, init_mlp

    sizes = [784, 800, 800, 10]
    params = init_mlp(jax.random.PRNGKey(0), sizes)
    x = jax.random.normal(jax.random.PRNGKey(1), (64, 784), jnp.float32)
    e = jax.random.normal(jax.random.PRNGKey(2), (64, 10), jnp.float32)
    fwd = jax.jit(lambda p, x: forward(p, x)[0])
    fwd(params, x).block_until_ready()
    mesh_ctrl = build_controller(core="mesh", feedback_core="mesh", mesh=MeshConfig(n=mesh_modes))
    bank_ctrl = build_controller(feedback_core="bank", optical=OpticalConfig())
    feedback = alg.init_feedback(jax.random.PRNGKey(3), sizes)
    engine = mesh_ctrl.core
    ws = [np.asarray(w) for w, _ in params]
    for w in ws:  # compile the jitted realisation once (its cost is per distinct mesh, not per batch)
        engine.program(w, None, None).matrix.block_until_ready()
    t_prog, t_fwd = [], []
    for _ in range(repeats):  # interleaved, same process
        t0 = time.perf_counter()
        for w in ws:
            engine.program(w + 1e-3, None, None).matrix.block_until_ready()
        t_prog.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for _ in range(20):
            fwd(params, x).block_until_ready()
        t_fwd.append((time.perf_counter() - t0) / 20)
    out = {"mesh_modes": mesh_modes, "program_all_layers_s": float(np.median(t_prog)),
           "digital_forward_step_s": float(np.median(t_fwd))}
    out["program_over_forward"] = out["program_all_layers_s"] / out["digital_forward_step_s"]
    for name, ctrl in (("mesh", mesh_ctrl), ("bank", bank_ctrl)):
        compiled = ctrl.compile_feedback(feedback)
        proj = jax.jit(lambda c, e, k, ctrl=ctrl: [ctrl.project(c, i, e, jax.random.fold_in(k, i)) for i in range(2)])
        jax.block_until_ready(proj(compiled, e, jax.random.PRNGKey(4)))
        t0 = time.perf_counter()
        for r in range(20):
            jax.block_until_ready(proj(compiled, e, jax.random.PRNGKey(r)))
        out[f"project_{name}_s"] = (time.perf_counter() - t0) / 20
    out["project_mesh_over_bank"] = out["project_mesh_s"] / out["project_bank_s"]
    print(f"784-800-800-10 on {mesh_modes}-mode meshes: programming every layer {out['program_all_layers_s']:.3f} s = "
          f"x{out['program_over_forward']:.0f} one digital forward step ({1e3 * out['digital_forward_step_s']:.2f} ms, "
          f"batch 64); B·e (both hidden layers, batch 64): mesh {1e3 * out['project_mesh_s']:.2f} ms, "
          f"bank {1e3 * out['project_bank_s']:.2f} ms (x{out['project_mesh_over_bank']:.2f})", flush=True)
    return out


def accuracy(args) -> dict:
    from photrain.controller import MeshConfig
    from photrain.train import TrainConfig, train

    runs = {}
    for core in ("digital", "mesh"):  # digital forward, B on a bank / forward digital, B on meshes
        label = "bank" if core == "digital" else "mesh"
        rows = []
        for seed in args.seeds:
            config = TrainConfig(dataset=args.dataset, hidden=tuple(args.hidden), algorithm="optical-dfa",
                                 epochs=args.epochs, batch_size=64, lr=0.01, momentum=0.9, seed=seed, core=core,
                                 mesh=MeshConfig(n=args.mesh_modes), data_dir=args.data_dir,
                                 standardize=args.dataset != "digits", val_size=args.val_size)
            with tempfile.TemporaryDirectory() as out:
                r = train(config, out, progress=False)
            row = {"seed": seed, "test_acc": r["test_acc_at_best_val"], "best_epoch": r["best_epoch"],
                   "final_test_acc": r["history"][-1]["test_acc"], "train_time_s": r["mean_train_time_s"]}
            if "hw_test_acc_at_best_val" in r:
                row["hw_test_acc"] = r["hw_test_acc_at_best_val"]
                row["hw_eval_time_s"] = r.get("mean_hw_eval_time_s")
            rows.append(row)
            hw = f", through the meshes {100 * row['hw_test_acc']:.2f}%" if "hw_test_acc" in row else ""
            print(f"{args.dataset} {'-'.join(map(str, args.hidden))} optical DFA, B on {label}, seed {seed}: test "
                  f"{100 * row['test_acc']:.2f}% (best epoch {row['best_epoch']}){hw}; "
                  f"{row['train_time_s']:.2f} s training per epoch", flush=True)
        runs[label] = rows
    mean = {k: float(np.mean([r["test_acc"] for r in v])) for k, v in runs.items()}
    gap = 100 * (mean["mesh"] - mean["bank"])
    print(f"mean test: bank {100 * mean['bank']:.2f}%, mesh {100 * mean['mesh']:.2f}%: mesh - bank = {gap:+.2f} points")
    return {"dataset": args.dataset, "hidden": args.hidden, "epochs": args.epochs, "mesh_modes": args.mesh_modes,
            "runs": runs, "mean_test_acc": mean, "mesh_minus_bank_points": gap}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--mesh-modes", type=int, default=16)
    ap.add_argument("--val-size", type=int, default=None)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--timing", action="store_true", help="also time programming vs the digital forward step")
    ap.add_argument("--no-accuracy", action="store_true", help="only the timing")
    args = ap.parse_args()
    summary = {}
    if args.timing:
        summary["timing"] = timing(args.mesh_modes)
    if not args.no_accuracy:
        summary["accuracy"] = accuracy(args)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
