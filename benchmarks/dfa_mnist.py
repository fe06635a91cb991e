"""The reference DFA experiment (Filipovich et al., Optica 9, 1323 (2022)) on photrain.

784-800-800-10 ReLU MLP, SGD lr 0.01 momentum 0.9, batch 64; the MNIST test set
split 5000 validation / 5000 test; the best-validation model's test accuracy
is reported. Inputs are standardised (the reference's Normalize((0.1307,), (0.3081,)))
and, as the reference code does on CPU, the training set keeps its file order
(no shuffling; ``--shuffle`` shuffles every epoch). Algorithms: backprop, dfa,
dfa-reference-noise, optical-dfa, and optical-dfa-forward (optical DFA with the
forward products W x on the cores too, re-programmed after every batch).

Usage: python benchmarks/dfa_mnist.py --epochs 50 [--algorithms dfa optical-dfa] [--seeds 1 2 3]
                                      [--data-dir ../shared/datasets]
Each algorithm and seed runs in its own process so that peak memory is its own;
with several seeds the mean and standard deviation are printed.
The last printed line is one JSON object with every figure printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ALGORITHMS = ["backprop", "dfa", "dfa-reference-noise", "optical-dfa", "optical-dfa-forward"]
DEFAULT = ALGORITHMS[:4]


def run_one(algorithm: str, epochs: int, data_dir: str | None, seed: int, shuffle: bool) -> dict:
    with tempfile.TemporaryDirectory() as out:
        extra = ["--forward-on-cores"] if algorithm == "optical-dfa-forward" else []
        cmd = [sys.executable, "-m", "photrain.cli", "train", "--dataset", "mnist", "--hidden", "800", "800",
               "--algorithm", algorithm.removesuffix("-forward"), "--epochs", str(epochs), "--batch-size", "64",
               "--lr", "0.01", "--momentum", "0.9", "--val-size", "5000", "--seed", str(seed), "--out", out, "--quiet",
               "--standardize", *extra, *([] if shuffle else ["--no-shuffle"])]
        if data_dir:
            cmd += ["--data-dir", data_dir]
        subprocess.run(cmd, check=True)
        return json.loads((Path(out) / "results.json").read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--algorithms", nargs="+", default=DEFAULT, choices=ALGORITHMS)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--shuffle", action="store_true", help="shuffle the training set every epoch")
    args = ap.parse_args()
    summary = {"epochs": args.epochs, "seeds": args.seeds, "shuffle": args.shuffle, "runs": {}}
    for algorithm in args.algorithms:
        per_seed = []
        for seed in args.seeds:
            r = run_one(algorithm, args.epochs, args.data_dir, seed, args.shuffle)
            row = {"seed": seed, "test_acc": r["test_acc_at_best_val"], "best_val_acc": r["best_val_acc"],
                   "best_epoch": r["best_epoch"], "epoch_time_s": r["mean_epoch_time_s"],
                   "train_time_s": r.get("mean_train_time_s", r["mean_epoch_time_s"]),
                   "peak_rss_mb": r["peak_rss_mb"], "final_test_acc": r["history"][-1]["test_acc"]}
            if "hw_test_acc_at_best_val" in r:  # forward on the cores: test accuracy through the hardware too
                row.update(hw_test_acc=r["hw_test_acc_at_best_val"], hw_eval_time_s=r["mean_hw_eval_time_s"])
            per_seed.append(row)
            print(f"{algorithm:22s} seed {seed}  test {100 * row['test_acc']:6.2f}% (best val "
                  f"{100 * row['best_val_acc']:.2f}% at epoch {row['best_epoch']})  {row['epoch_time_s']:6.2f} s/epoch  "
                  f"(training {row['train_time_s']:6.2f} s)  peak {row['peak_rss_mb']:.0f} MB"
                  + (f"  through the hardware: test {100 * row['hw_test_acc']:6.2f}%, "
                     f"{row['hw_eval_time_s']:.2f} s per evaluation" if "hw_test_acc" in row else ""), flush=True)
        accs = [r["test_acc"] for r in per_seed]
        mean = sum(accs) / len(accs)
        std = (sum((a - mean) ** 2 for a in accs) / max(len(accs) - 1, 1)) ** 0.5
        summary["runs"][algorithm] = {
            "test_acc": mean, "test_acc_std": std, "per_seed": per_seed,
            "epoch_time_s": sum(r["epoch_time_s"] for r in per_seed) / len(per_seed),
            "train_time_s": sum(r["train_time_s"] for r in per_seed) / len(per_seed),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in per_seed)}
        if len(per_seed) > 1:
            print(f"{algorithm:22s} mean test {100 * mean:6.2f}% +- {100 * std:.2f} over seeds {args.seeds}", flush=True)
    runs = summary["runs"]
    if "dfa" in runs and "optical-dfa" in runs:
        summary["optical_over_dfa_time"] = runs["optical-dfa"]["epoch_time_s"] / runs["dfa"]["epoch_time_s"]
        summary["optical_minus_dfa_points"] = 100 * (runs["optical-dfa"]["test_acc"] - runs["dfa"]["test_acc"])
        print(f"optical-DFA / DFA time per epoch: {summary['optical_over_dfa_time']:.2f}x; "
              f"accuracy difference {summary['optical_minus_dfa_points']:+.2f} points")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
