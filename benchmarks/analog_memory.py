"""The equivalent-accuracy experiment (Ambrogio et al., Nature 558, 60 (2018)) on photrain's weight memories.

One network, one data pipeline, one seed; only the weight memory changes:
float32 (the software reference), ``pcm`` (a PCM pair alone), ``pcm-3t1c``
(PCM pair + 3T1C capacitor, transfer every 8,000 images, polarity inversion on),
``pcm-3t1c`` with polarity inversion off (transistor spread on in both), and
``rram`` (soft-bound pairs). Then the trained ``pcm`` network is left to drift
for 1 s ... 1 year and re-evaluated (accuracy vs time after training).

Network: 784-250-10 ReLU MLP, backprop (``--algorithms backprop dfa`` adds DFA);
the MNIST topology Ambrogio et al. report for their MNIST runs, as far as our
stored copy of the paper shows (only the abstract is stored: its largest network,
204,900 synapses, is their CIFAR-100 transfer layer). SGD lr 0.01, momentum 0.9,
batch 64 (the paper updates after every image; a batch of 64 keeps the run
affordable: 8,000 images = 125 steps between transfers). Products are digital:
this experiment isolates the memory.

Usage: python benchmarks/analog_memory.py [--epochs 5] [--dataset mnist|digits]
                                          [--data-dir ../shared/datasets] [--out out/analog_memory]
Ratios (accuracy gaps, step-time ratios) are against the float memory measured in
the same run. The last printed line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from photrain.train import TrainConfig, load_dataset, train
from photrain.train.network import accuracy
from photrain.train.trainer import evaluation_split, make_run_controller

MEMORIES = {
    "float": ("float", {}),
    "pcm": ("pcm", {}),
    "pcm-3t1c": ("pcm-3t1c", {"polarity_inversion": True}),
    "pcm-3t1c, no inversion": ("pcm-3t1c", {"polarity_inversion": False}),
    "rram": ("rram", {}),
}
DRIFT_TIMES = (1.0, 60.0, 3600.0, 86400.0, 30 * 86400.0, 365 * 86400.0)  # s after training


def drift_curve(config: TrainConfig, state, x_test, y_test, n_classes: int) -> list[dict]:
    """Test accuracy of a trained network after each of DRIFT_TIMES seconds of drift (from the end of training)."""
    ctrl = make_run_controller(config, n_classes)
    return [{"seconds": t, "test_acc": accuracy(ctrl.weights(ctrl.elapse(state, t)), x_test, y_test)}
            for t in DRIFT_TIMES]


def _train_time(r: dict) -> float:
    """Mean training time per epoch, leaving out the first epoch (it includes the jit compile) when there are more."""
    h = r["history"][1:] or r["history"]
    return float(np.mean([e["train_time_s"] for e in h]))


def plot(results: dict, drift: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    a1, a2 = fig.subplots(1, 2)
    for (alg, name), r in results.items():
        h = r["history"]
        a1.plot([e["epoch"] for e in h], [100 * e["test_acc"] for e in h], "o-" if alg == "backprop" else "s--",
                label=f"{name} ({alg})")
    a1.set(xlabel="epoch", ylabel="test accuracy (%)", title="accuracy vs epoch, per weight memory")
    a1.xaxis.get_major_locator().set_params(integer=True)
    a1.grid(alpha=0.3)
    a1.legend(fontsize=8)
    a2.semilogx([d["seconds"] for d in drift], [100 * d["test_acc"] for d in drift], "o-")
    a2.set(xlabel="time after training (s)", ylabel="test accuracy (%)", title="pcm: accuracy vs drift time")
    for t, label in ((60, "1 min"), (3600, "1 h"), (86400, "1 day"), (365 * 86400, "1 year")):
        a2.axvline(t, color="k", lw=0.5, ls=":")
        a2.text(t, a2.get_ylim()[0], label, rotation=90, va="bottom", fontsize=7)
    a2.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--data-dir")
    ap.add_argument("--hidden", type=int, nargs="+", default=[250])
    ap.add_argument("--algorithms", nargs="+", default=["backprop"], choices=["backprop", "dfa"])
    ap.add_argument("--memories", nargs="+", default=list(MEMORIES), choices=list(MEMORIES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="out/analog_memory")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    results, configs = {}, {}
    for algorithm in args.algorithms:
        for name in args.memories:
            memory, params = MEMORIES[name]
            cfg = TrainConfig(dataset=args.dataset, data_dir=args.data_dir, hidden=tuple(args.hidden),
                              algorithm=algorithm, epochs=args.epochs, batch_size=64, lr=0.01, momentum=0.9,
                              seed=args.seed, memory=memory, memory_params=params)
            with tempfile.TemporaryDirectory() as tmp:
                r = train(cfg, tmp, progress=False)
            results[(algorithm, name)], configs[(algorithm, name)] = r, cfg
            print(f"{algorithm:8s} {name:24s} test {100 * r['test_acc_at_best_val']:6.2f}%  "
                  f"{r['mean_epoch_time_s']:6.2f} s/epoch  pulses {r['ledger']['memory_pulses']:.3g}  "
                  f"transfers {r['ledger']['memory_transfers']:.3g}  refreshes {r['ledger']['memory_refreshes']:.3g}",
                  flush=True)

    summary = {"dataset": args.dataset, "layers": [784 if args.dataset == "mnist" else None, *args.hidden, 10],
               "epochs": args.epochs, "seed": args.seed, "runs": {}}
    for (algorithm, name), r in results.items():
        ref = results.get((algorithm, "float"))
        ref_time = _train_time(ref) if ref else None
        time = _train_time(r)
        summary["runs"][f"{algorithm}/{name}"] = {
            "test_acc": r["test_acc_at_best_val"],
            "gap_to_float_points": None if ref is None else 100 * (r["test_acc_at_best_val"] - ref["test_acc_at_best_val"]),
            "train_time_per_epoch_s": float(time),
            "step_time_ratio_to_float": None if ref is None else float(time / ref_time),
            "memory_pulses": r["ledger"]["memory_pulses"], "memory_transfers": r["ledger"]["memory_transfers"],
            "memory_refreshes": r["ledger"]["memory_refreshes"],
        }
    drift = []
    pcm_key = next((k for k in results if k[1] == "pcm"), None)
    if pcm_key:
        data = load_dataset(args.dataset, args.data_dir)
        _, (x_test, y_test) = evaluation_split(configs[pcm_key], data)  # the run's own test images
        drift = drift_curve(configs[pcm_key], results[pcm_key]["state"], x_test, y_test, data.n_classes)
        for d in drift:
            print(f"pcm after {d['seconds']:>10.0f} s of drift: test {100 * d['test_acc']:6.2f}%")
    summary["pcm_drift"] = drift
    plot(results, drift, out / "analog_memory.png")
    print(f"wrote {out / 'analog_memory.png'}", file=sys.stderr)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
