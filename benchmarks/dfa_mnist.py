"""The reference DFA experiment (Filipovich et al., Optica 9, 1323 (2022)) on photrain.

784-800-800-10 ReLU MLP, SGD lr 0.01 momentum 0.9, batch 64; the MNIST test set
split 5000 validation / 5000 test; the best-validation model's test accuracy
is reported. Algorithms: backprop, dfa, dfa-reference-noise, optical-dfa.

Usage: python benchmarks/dfa_mnist.py --epochs 50 [--algorithms dfa optical-dfa] [--data-dir ../shared/datasets]
Each algorithm runs in its own process so that peak memory is its own.
The last printed line is one JSON object with every figure printed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ALGORITHMS = ["backprop", "dfa", "dfa-reference-noise", "optical-dfa"]


def run_one(algorithm: str, epochs: int, data_dir: str | None, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "photrain.cli", "train", "--dataset", "mnist", "--hidden", "800", "800",
               "--algorithm", algorithm, "--epochs", str(epochs), "--batch-size", "64", "--lr", "0.01",
               "--momentum", "0.9", "--val-size", "5000", "--seed", str(seed), "--out", out, "--quiet"]
        if data_dir:
            cmd += ["--data-dir", data_dir]
        subprocess.run(cmd, check=True)
        return json.loads((Path(out) / "results.json").read_text())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--algorithms", nargs="+", default=ALGORITHMS, choices=ALGORITHMS)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    summary = {"epochs": args.epochs, "runs": {}}
    for algorithm in args.algorithms:
        r = run_one(algorithm, args.epochs, args.data_dir, args.seed)
        row = {"test_acc": r["test_acc_at_best_val"], "best_val_acc": r["best_val_acc"], "best_epoch": r["best_epoch"],
               "epoch_time_s": r["mean_epoch_time_s"], "peak_rss_mb": r["peak_rss_mb"],
               "final_test_acc": r["history"][-1]["test_acc"]}
        summary["runs"][algorithm] = row
        print(f"{algorithm:22s} test {100 * row['test_acc']:6.2f}% (best val {100 * row['best_val_acc']:.2f}% "
              f"at epoch {row['best_epoch']})  {row['epoch_time_s']:6.2f} s/epoch  peak {row['peak_rss_mb']:.0f} MB",
              flush=True)
    runs = summary["runs"]
    if "dfa" in runs and "optical-dfa" in runs:
        summary["optical_over_dfa_time"] = runs["optical-dfa"]["epoch_time_s"] / runs["dfa"]["epoch_time_s"]
        summary["optical_minus_dfa_points"] = 100 * (runs["optical-dfa"]["test_acc"] - runs["dfa"]["test_acc"])
        print(f"optical-DFA / DFA time per epoch: {summary['optical_over_dfa_time']:.2f}x; "
              f"accuracy difference {summary['optical_minus_dfa_points']:+.2f} points")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
