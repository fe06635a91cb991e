"""STDP spiking network on MNIST (Shi, Kuzum et al., Nat. Commun. 2018): unpruned vs soft / conventional pruning.

Full set-up (the paper's): 60k images x 3 epochs, 397 cropped pixels + bias -> 500 neurons; soft- and
conventionally pruned at 25/50/75/90 %; accuracy on the 10k test images, synapse writes and the writes saved by
pruning, training images/s. ``--images`` / ``--epochs`` run a stated subset. With ``--brian2-python`` (a Python
that has Brian2, e.g. a scratch venv; never a photrain dependency) the same run also times the Diehl & Cook (2015)
network of the same size (784 Poisson inputs -> 500 excitatory + 500 inhibitory conductance LIF neurons, adaptive
thresholds, trace STDP; 350 ms presentation + 150 ms rest at dt = 0.5 ms, their published set-up) on
``--brian2-images`` images and prints photrain's training images/s over Brian2's.

    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py                      # full (long)
    nice -n 10 .venv/bin/python benchmarks/stdp_pruning.py --images 20000 --epochs 1 --mature-spikes 50

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from photrain.train.spiking import STDPConfig

BRIAN2_DIEHL_COOK = r'''
import sys, time, json
import numpy as np
from brian2 import *
n_img, n_e, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
prefs.core.default_float_dtype = float64
np.random.seed(seed); seed_fn = seed
defaultclock.dt = 0.5*ms
import gzip, struct
path = sys.argv[4]
raw = gzip.open(path, "rb").read()
x = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784)[:n_img + 1] / 255.0
# Diehl & Cook (2015), Front. Comput. Neurosci. 9:99, and their published Brian code (stdp-mnist)
v_rest_e, v_rest_i, v_reset_e, v_reset_i = -65*mV, -60*mV, -65*mV, -45*mV
v_thresh_e, v_thresh_i, offset = -52*mV, -40*mV, 20*mV
tau_e, tau_i, tc_theta, theta_plus = 100*ms, 10*ms, 1e7*ms, 0.05*mV
eqs_e = """dv/dt = ((v_rest_e - v) + ge*(-v) + gi*(-100*mV - v)) / tau_e : volt (unless refractory)
dge/dt = -ge/(1*ms) : 1
dgi/dt = -gi/(2*ms) : 1
dtheta/dt = -theta/tc_theta : volt"""
eqs_i = """dv/dt = ((v_rest_i - v) + ge*(-v) + gi*(-85*mV - v)) / tau_i : volt (unless refractory)
dge/dt = -ge/(1*ms) : 1
dgi/dt = -gi/(2*ms) : 1"""
E = NeuronGroup(n_e, eqs_e, threshold="v > theta - offset + v_thresh_e", reset="v = v_reset_e; theta += theta_plus",
                refractory=5*ms, method="euler")
I = NeuronGroup(n_e, eqs_i, threshold="v > v_thresh_i", reset="v = v_reset_i", refractory=2*ms, method="euler")
E.v = v_rest_e - 40*mV; I.v = v_rest_i - 40*mV; E.theta = 20*mV
P = PoissonGroup(784, rates=np.zeros(784)*Hz)
S = Synapses(P, E, """w : 1
dpre/dt = -pre/(20*ms) : 1 (event-driven)
dpost1/dt = -post1/(20*ms) : 1 (event-driven)
dpost2/dt = -post2/(40*ms) : 1 (event-driven)""",
             on_pre="ge_post += w; pre = 1.; w = clip(w - 0.0001*post1, 0, 1.0)",
             on_post="post2before = post2; w = clip(w + 0.01*pre*post2before, 0, 1.0); post1 = 1.; post2 = 1.")
S.connect(); S.w = "rand()*0.3"
EI = Synapses(E, I, on_pre="ge_post += 10.4"); EI.connect(j="i")
IE = Synapses(I, E, on_pre="gi_post += 17.0"); IE.connect(condition="i != j")
M = SpikeMonitor(E)
net = Network(E, I, P, S, EI, IE, M)
def present(img):
    P.rates = img * 63.75 * Hz
    net.run(350*ms)
    P.rates = 0*Hz
    net.run(150*ms)
present(x[0])  # build and compile once (not timed)
t0 = time.perf_counter()
for i in range(1, n_img + 1):
    present(x[i])
elapsed = time.perf_counter() - t0
print(json.dumps({"images": n_img, "seconds": elapsed, "images_per_s": n_img / elapsed, "spikes": int(M.num_spikes)}))
'''


def run_brian2(python: str, images: int, neurons: int, data_dir: Path) -> dict:
    """Time Brian2 running Diehl & Cook's network in a separate interpreter (Brian2 is never imported here)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(BRIAN2_DIEHL_COOK)
    try:
        out = subprocess.run([python, f.name, str(images), str(neurons), "0",
                              str(data_dir / "mnist" / "train-images-idx3-ubyte.gz")],
                             capture_output=True, text=True, timeout=3600, check=True)
    finally:
        os.unlink(f.name)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=60000, help="training images per epoch (default all 60k)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--neurons", type=int, default=500)
    ap.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 0.75, 0.9])
    ap.add_argument("--modes", nargs="+", default=["soft", "hard"], choices=("soft", "hard"))
    ap.add_argument("--mature-spikes", type=int, default=STDPConfig.mature_spikes,
                    help="output spikes before a neuron matures (its pruning starts)")
    ap.add_argument("--prune-ramp", type=int, default=STDPConfig.prune_ramp,
                    help="output spikes after maturity over which the pruned fraction grows (cubic; 0: all at once)")
    ap.add_argument("--test-images", type=int, default=10000)
    ap.add_argument("--assign-images", type=int, default=None,
                    help="training images used for label assignment (default all, as Diehl & Cook 2015)")
    ap.add_argument("--memory", default="float", help="weight memory of the synapses (float, cbram, ...)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data-dir", default=os.environ.get("PHOTRAIN_DATA_DIR", "../shared/datasets"))
    ap.add_argument("--out", default="out/stdp_pruning")
    ap.add_argument("--brian2-python", help="a Python with Brian2 installed, to time Diehl & Cook's network")
    ap.add_argument("--brian2-images", type=int, default=20)
    args = ap.parse_args(argv)

    from photrain.train.spiking_run import plot_prune_sweep, run_stdp

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = [("none", 0.0)] + [(m, f) for f in args.fractions for m in args.modes]
    rows = []
    print(f"STDP on MNIST: {args.neurons} neurons, {args.images} images x {args.epochs} epochs, "
          f"mature after {args.mature_spikes} output spikes, pruned over the next {args.prune_ramp}, memory {args.memory}")
    print(f"{'prune':>6} {'frac':>5} {'pruned':>7} {'acc %':>6} {'writes':>12} {'saved':>12} {'saved %':>7} "
          f"{'img/s':>7}")
    for mode, frac in runs:
        cfg = STDPConfig(neurons=args.neurons, epochs=args.epochs, prune=mode, prune_fraction=frac,
                         mature_spikes=args.mature_spikes, prune_ramp=args.prune_ramp,
                         assign_images=args.assign_images, seed=args.seed)
        r = run_stdp(cfg, out / f"{mode}_{frac:.2f}", dataset="mnist", data_dir=args.data_dir, memory=args.memory,
                     progress=False, max_images=args.images, test_images=args.test_images)
        row = {"prune": mode, "prune_fraction": frac, "pruned_fraction": r["pruned_fraction"],
               "accuracy": r["accuracy"], "writes": r["writes"], "writes_saved": r["writes_saved"],
               "writes_saved_fraction": r["writes_saved_fraction"], "samples_per_s": r["samples_per_s"],
               "train_seconds": r["train_seconds"], "device_counts": r["device_counts"]}
        rows.append(row)
        print(f"{mode:>6} {frac:5.2f} {r['pruned_fraction']:7.3f} {100 * r['accuracy']:6.2f} {r['writes']:12d} "
              f"{r['writes_saved']:12d} {100 * r['writes_saved_fraction']:7.1f} {r['samples_per_s']:7.0f}", flush=True)
    plot_prune_sweep(rows, out / "accuracy_vs_pruned_fraction.png",
                     title=f"STDP, {args.neurons} neurons, MNIST {args.images} x {args.epochs} epochs")
    sps = rows[0]["samples_per_s"]
    summary = {"benchmark": "stdp_pruning", "neurons": args.neurons, "images_per_epoch": args.images,
               "epochs": args.epochs, "mature_spikes": args.mature_spikes, "prune_ramp": args.prune_ramp,
               "assign_images": args.assign_images, "memory": args.memory,
               "unpruned_accuracy": rows[0]["accuracy"], "photrain_images_per_s": sps, "runs": rows}
    if args.brian2_python:
        b = run_brian2(args.brian2_python, args.brian2_images, args.neurons, Path(args.data_dir))
        summary["brian2"] = b
        summary["speedup_vs_brian2"] = sps / b["images_per_s"]
        print(f"Brian2 Diehl & Cook {args.neurons} neurons: {b['images_per_s']:.3f} images/s over {b['images']} "
              f"images; photrain {sps:.1f} images/s: ratio {summary['speedup_vs_brian2']:.0f}x")
    print(f"plot: {out / 'accuracy_vs_pruned_fraction.png'}")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
