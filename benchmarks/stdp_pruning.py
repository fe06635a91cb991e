"""STDP spiking network on MNIST (Shi, Kuzum et al., Nat. Commun. 2018): unpruned vs soft / conventional pruning.

Full set-up (the paper's): 60k images x 3 epochs, 397 cropped pixels + bias -> 500 neurons; soft- and
conventionally pruned at 25/50/75/90 %; accuracy on the 10k test images, synapse writes and the writes saved by
pruning, training images/s. ``--images`` / ``--epochs`` run a stated subset; ``--seeds`` repeats every configuration
with other seeds (mean and std). Every run reports the test accuracy of each readout (``READOUTS``: Diehl & Cook's
mean, BindsNET's proportion weighting, the Bayesian likelihood decoder); ``accuracy`` is ``--readout``'s. The
training throughput against Brian2 running Diehl & Cook's network is ``benchmarks/stdp_vs_brian2.py``.

Measured (``--data-dir ../shared/datasets``, defaults: 60k x 3 epochs, 500 neurons, seed 0, 15.0 min wall on the 2-core
machine, 679 s of it training): test accuracy with the likelihood / proportion / mean readout

    unpruned              94.49 / 94.19 / 94.06 %
    soft 25 / 50 / 75 / 90 %          94.19 / 93.71 / 93.61, 93.82 / 93.41 / 93.24, 92.72 / 92.13 / 91.74, 88.34 / 85.35 / 84.64 %
    conventional 25 / 50 / 75 / 90 %  92.28 / 91.72 / 91.43, 90.67 / 89.28 / 88.75, 91.48 / 89.97 / 89.50, 86.66 / 82.70 / 81.90 %
    STDP writes saved     16.8 / 33.7 / 50.8 / 60.9 %; unpruned training 1509 images/s

and with ``--seeds 1 2 --fractions 0.75`` (mean +- std over seeds 0-2, likelihood / proportion / mean): unpruned
94.36 +- 0.12 / 94.00 +- 0.18 / 93.79 +- 0.29 %, soft 75 % 92.86 +- 0.15 / 92.24 +- 0.17 / 92.00 +- 0.29 %,
conventional 75 % 91.41 +- 0.43 / 90.00 +- 0.60 / 89.46 +- 0.48 %.

Issue 28 (the paper's 93 % at 75 % soft-pruned): a longer pruning ramp, chosen on a validation proxy (100 neurons,
12k x 3 of the first 50k training images, scored on the last 10k, seed 0, likelihood / mean readout: ramp 1000
86.30 / 85.11 %, maturity at 600 spikes 86.41 / 84.89 %, ramp 1400 87.49 / 86.40 %, unpruned 89.39 / 88.23 %),
then measured once on the test set (``--no-unpruned --modes soft --fractions 0.75 --prune-ramp 1400 --seeds 0 1 2``,
80-90 s per run): likelihood / proportion / mean readout seed 0 93.26 / 92.79 / 92.62 %, seed 1 92.75 / 92.15 /
91.92 %, seed 2 93.25 / 92.68 / 92.56 %; mean +- std 93.09 +- 0.29 % (likelihood), 92.37 +- 0.39 % (mean readout),
against 92.86 +- 0.15 / 92.00 +- 0.29 % with the default ramp 1000; 46.3-46.4 % of the STDP writes saved (50.8 % with
ramp 1000). 75 % of the synapses are frozen at the end either way.

With the paper's mean readout the 500-neuron network stays below 93 %, so (issue 28) twice the output neurons, the one
setting outside the paper (Shi 2018 Fig. 3e: no noticeable gain beyond 500; Diehl & Cook 2015: accuracy grows with
neurons), with the pruning schedule scaled by the spikes per neuron (``--mature-spikes 150 --prune-ramp 700``: half as
many spikes each). Validation split (``--holdout 10000 --images 50000``, seed 0, mean / proportion / likelihood):
500 neurons soft 75 % (ramp 1400) 92.59 / 92.84 / 93.48 %; 1000 neurons unpruned 94.42 / 94.56 / 94.92 %, soft 75 %
93.71 / 93.99 / 94.41 %. Test set, 1000 neurons soft 75 %, seeds 0 / 1 / 2: mean readout 93.50 / 93.90 / 93.56 %
(93.65 +- 0.22 %), proportion 93.65 / 94.05 / 93.71 %, likelihood 94.15 / 94.47 / 94.23 % (94.28 +- 0.17 %); 75.0 %
frozen, 46.3-46.4 % of the STDP writes saved; 118-220 s of training per run (2 shared cores).
Unpruned, 1000 neurons (``--neurons 1000 --fractions --seeds S``), test: mean readout 94.67 / 94.77 / 94.39 %
(94.61 +- 0.20 %), likelihood 95.26 / 95.37 / 95.11 % (95.25 +- 0.13 %): soft-pruning 75 % costs 0.96 points
(mean readout) against 1.42 with 500 neurons (93.79 -> 92.37 %).

    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py                      # full (long)
    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py --images 20000 --epochs 1 --mature-spikes 50
    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py --no-unpruned --modes soft --fractions 0.75 \
        --prune-ramp 1400 --seeds 0 1 2                                         # issue 28: the paper's 93 %
    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py --neurons 1000 --no-unpruned --modes soft \
        --fractions 0.75 --mature-spikes 150 --prune-ramp 700 --readout mean --seeds 0   # 93 % with the mean readout
    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py --neurons 1000 --fractions --seeds 0   # unpruned only
    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py --holdout 10000 --images 50000 ...   # validation split

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

from photrain.train.spiking import READOUTS, STDPConfig


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=60000, help="training images per epoch (default all 60k)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--neurons", type=int, default=500)
    ap.add_argument("--fractions", type=float, nargs="*", default=[0.25, 0.5, 0.75, 0.9],
                    help="pruned fractions (none given: the unpruned run only)")
    ap.add_argument("--modes", nargs="+", default=["soft", "hard"], choices=("soft", "hard"))
    ap.add_argument("--mature-spikes", type=int, default=STDPConfig.mature_spikes,
                    help="output spikes before a neuron matures (its pruning starts)")
    ap.add_argument("--prune-ramp", type=int, default=STDPConfig.prune_ramp,
                    help="output spikes after maturity over which the pruned fraction grows (cubic; 0: all at once)")
    ap.add_argument("--test-images", type=int, default=10000)
    ap.add_argument("--assign-images", type=int, default=None,
                    help="training images used for label assignment (default all, as Diehl & Cook 2015)")
    ap.add_argument("--memory", default="float", help="weight memory of the synapses (float, cbram, ...)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0],
                    help="train every configuration with each seed; the summary gives mean and std over seeds")
    ap.add_argument("--readout", default=STDPConfig.readout, choices=READOUTS,
                    help="how test responses become classes (every readout's accuracy is reported too)")
    ap.add_argument("--no-unpruned", action="store_true", help="skip the unpruned reference run")
    ap.add_argument("--eta-final", type=float, default=STDPConfig.eta_final, help="learning rate at the last image")
    ap.add_argument("--holdout", type=int, default=0,
                    help="score on the last N training images (validation) instead of the test set; train on the rest")
    ap.add_argument("--data-dir", default=os.environ.get("PHOTRAIN_DATA_DIR", "../shared/datasets"))
    ap.add_argument("--out", default="out/stdp_pruning")
    args = ap.parse_args(argv)

    from photrain.train.spiking_run import plot_prune_sweep, run_stdp

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = ([] if args.no_unpruned else [("none", 0.0)]) + [(m, f) for f in args.fractions for m in args.modes]
    if not runs:
        ap.error("nothing to run: --no-unpruned with no --fractions; give a fraction or drop --no-unpruned")
    rows = []
    print(f"STDP on MNIST: {args.neurons} neurons, {args.images} images x {args.epochs} epochs, "
          f"mature after {args.mature_spikes} output spikes, pruned over the next {args.prune_ramp}, memory {args.memory}, "
          f"readout {args.readout}, seeds {args.seeds}, eta_final {args.eta_final}, assign on {args.assign_images}, "
          + (f"scored on the last {args.holdout} training images (validation)" if args.holdout else "scored on the test set"))
    print(f"{'seed':>4} {'prune':>6} {'frac':>5} {'pruned':>7} {'acc %':>6} " + " ".join(f"{r[:5]:>6}" for r in READOUTS)
          + f" {'writes':>12} {'saved':>12} {'saved %':>7} {'img/s':>7}")
    for seed in args.seeds:
        for mode, frac in runs:
            cfg = STDPConfig(neurons=args.neurons, epochs=args.epochs, prune=mode, prune_fraction=frac,
                             mature_spikes=args.mature_spikes, prune_ramp=args.prune_ramp,
                             assign_images=args.assign_images, readout=args.readout, seed=seed,
                             eta_final=args.eta_final)
            r = run_stdp(cfg, out / f"{mode}_{frac:.2f}" / f"seed{seed}", dataset="mnist", data_dir=args.data_dir,
                         memory=args.memory, progress=False, max_images=args.images, test_images=args.test_images,
                         holdout=args.holdout)
            row = {"seed": seed, "prune": mode, "prune_fraction": frac, "pruned_fraction": r["pruned_fraction"],
                   "accuracy": r["accuracy"], "accuracies": r["accuracies"], "writes": r["writes"],
                   "writes_saved": r["writes_saved"], "writes_saved_fraction": r["writes_saved_fraction"],
                   "samples_per_s": r["samples_per_s"], "train_seconds": r["train_seconds"],
                   "device_counts": r["device_counts"]}
            rows.append(row)
            print(f"{seed:4d} {mode:>6} {frac:5.2f} {r['pruned_fraction']:7.3f} {100 * r['accuracy']:6.2f} "
                  + " ".join(f"{100 * r['accuracies'][k]:6.2f}" for k in READOUTS)
                  + f" {r['writes']:12d} {r['writes_saved']:12d} {100 * r['writes_saved_fraction']:7.1f} "
                  f"{r['samples_per_s']:7.0f}", flush=True)
    plot_prune_sweep([r for r in rows if r["seed"] == args.seeds[0]], out / "accuracy_vs_pruned_fraction.png",
                     title=f"STDP, {args.neurons} neurons, MNIST {args.images} x {args.epochs} epochs")
    stats = []
    for mode, frac in runs:
        acc = np.array([r["accuracy"] for r in rows if (r["prune"], r["prune_fraction"]) == (mode, frac)])
        stats.append({"prune": mode, "prune_fraction": frac, "mean": float(acc.mean()),
                      "std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0, "seeds": len(acc)})
    if len(args.seeds) > 1:
        print(f"over seeds {args.seeds} ({args.readout} readout): " + "; ".join(
            f"{s['prune']} {s['prune_fraction']:.2f}: {100 * s['mean']:.2f} +- {100 * s['std']:.2f} %" for s in stats))
    sps = rows[0]["samples_per_s"]
    summary = {"benchmark": "stdp_pruning", "neurons": args.neurons, "images_per_epoch": args.images,
               "epochs": args.epochs, "mature_spikes": args.mature_spikes, "prune_ramp": args.prune_ramp,
               "assign_images": args.assign_images, "memory": args.memory, "readout": args.readout,
               "eta_final": args.eta_final, "seeds": args.seeds, "holdout": args.holdout,
               "unpruned_accuracy": None if args.no_unpruned else rows[0]["accuracy"], "photrain_images_per_s": sps,
               "over_seeds": stats, "runs": rows}
    print(f"plot: {out / 'accuracy_vs_pruned_fraction.png'}")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
