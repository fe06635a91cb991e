"""Training throughput of photrain's STDP network against Brian2 running Diehl & Cook's (2015) network, same machine.

What is compared (every row trains on the same ``--images`` MNIST training images, in one run, interleaved
``--repeats`` times; the median of the repeats is reported, the build/compile of each side excluded):

* **photrain**: :func:`photrain.train.spiking.train_stdp` with the benchmark's defaults (397 cropped pixels + bias
  -> ``--neurons`` stochastic-WTA neurons, Poisson inputs at 500 Hz x intensity, dt = 1 ms, 50 ms per image,
  STDP on every output spike), one epoch over ``--images`` images; training time only (no label assignment).
* **brian2 equal work**: Diehl & Cook's network (Poisson inputs -> ``--neurons`` excitatory conductance LIF
  neurons with adaptive thresholds and trace STDP + as many inhibitory neurons; their published equations and
  constants, input rate 63.75 Hz x intensity) simulated by Brian2 on the *same* 397 pixels, with photrain's time
  step (1 ms) and presentation time (50 ms, no rest), in two ways: ``brian2_per_image``, one ``net.run`` per image
  as Diehl & Cook's code drives it, and ``brian2_one_run``, every image's rates in a ``TimedArray`` and one
  ``net.run`` for all images (no per-run overhead; Brian2's best case). At dt = 1 ms their forward-Euler
  integration is unstable (measured: 3161-4127 output spikes per image instead of ~5, at 63.75 and at 446 Hz), so
  this row integrates the same equations with Brian2's exponential Euler (measured: 4.3 output spikes per image,
  photrain's network fires 4.8). Both sides report their output spikes per image; Brian2's input spikes per image
  are ~7x fewer than photrain's (500 Hz x intensity, 50 ms): ``--equal-rate 446.25`` gives about the same input
  spikes (then ~450-800 output spikes per image).
* **brian2 published set-up** (``--published`` images): the network as Diehl & Cook ran it (784 pixels, dt = 0.5 ms,
  forward Euler, 350 ms presentation + 150 ms rest at 63.75 Hz x intensity, one run per presentation): 20x the time
  steps per image, shown for scale.

Brian2 runs in a separate interpreter given by ``--brian2-python`` (a scratch virtual environment; Brian2 is never
a photrain dependency; its default code generation, Cython, single-threaded). photrain's JAX uses the machine's
cores (XLA's CPU threads); Brian2's runtime uses one.

    python3 -m venv /tmp/brian2env && /tmp/brian2env/bin/pip install brian2 cython "numpy<2.3"   # Brian2 2.9.0
    flock /tmp/team/heavy.lock nice -n 10 .venv/bin/python benchmarks/stdp_vs_brian2.py --brian2-python /tmp/brian2env/bin/python

Measured (that command with ``--data-dir ../shared/datasets``: 500 images, 500 neurons, 3 interleaved repeats, the
2-core machine, Brian2 2.9.0 with Cython; medians): photrain 1439 images/s (repeats 1188 / 1439 / 1658; 4.7-4.8
output spikes per image); Brian2 equal work, one ``net.run`` per image 8.30 images/s (8.30 / 9.18 / 8.09) and one
run for all images 229.5 images/s (229.5 / 235.4 / 183.2; 4.0-4.6 output and 311 input spikes per image); Diehl &
Cook's own set-up 3.53 images/s (50 images, 19.3 output spikes per image). Ratios: **6.3x** against Brian2's best
case at equal work (one run), 173x against one run per image, 407x against the published set-up. The one-run
figure is the fair one for the simulator; the others include Brian2's per-``run`` overhead and, for the last,
20x the time steps and 784 inputs. With as many input spikes per image as photrain (``--equal-rate 446.25
--repeats 1 --published 0``): Brian2 50.6 images/s in one run and 7.81 one run per image (448.8 output spikes per
image), photrain 1551: 31x and 199x.

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

BRIAN2_DIEHL_COOK = r'''
import sys, time, json, gzip
import numpy as np
from brian2 import *
a = json.loads(sys.argv[1])
np.random.seed(a["seed"]); seed(a["seed"])
defaultclock.dt = a["dt_ms"] * ms
raw = gzip.open(a["mnist"], "rb").read()
x = np.frombuffer(raw, np.uint8, offset=16).reshape(-1, 784)[a["first"]:a["first"] + a["images"] + 1] / 255.0
px = np.load(a["pixels"]) if a["pixels"] else np.arange(784)
x = x[:, px]
n_in, n_e = len(px), a["neurons"]
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
                refractory=5*ms, method=a["method"])
I = NeuronGroup(n_e, eqs_i, threshold="v > v_thresh_i", reset="v = v_reset_i", refractory=2*ms, method=a["method"])
E.v = v_rest_e - 40*mV; I.v = v_rest_i - 40*mV; E.theta = 20*mV
if a["timed"]:  # every image's rates in one TimedArray, all images in one net.run
    if a["rest_ms"] > 0:
        raise SystemExit("timed presentation has no rest period")
    ta = TimedArray(x * a["rate_hz"] * Hz, dt=a["present_ms"] * ms)
    P = PoissonGroup(n_in, rates="ta(t, i)")
else:
    P = PoissonGroup(n_in, rates=np.zeros(n_in)*Hz)
S = Synapses(P, E, """w : 1
dpre/dt = -pre/(20*ms) : 1 (event-driven)
dpost1/dt = -post1/(20*ms) : 1 (event-driven)
dpost2/dt = -post2/(40*ms) : 1 (event-driven)""",
             on_pre="ge_post += w; pre = 1.; w = clip(w - 0.0001*post1, 0, 1.0)",
             on_post="post2before = post2; w = clip(w + 0.01*pre*post2before, 0, 1.0); post1 = 1.; post2 = 1.")
S.connect(); S.w = "rand()*0.3"
EI = Synapses(E, I, on_pre="ge_post += 10.4"); EI.connect(j="i")
IE = Synapses(I, E, on_pre="gi_post += 17.0"); IE.connect(condition="i != j")
M = SpikeMonitor(E, record=False)
MP = SpikeMonitor(P, record=False)
net = Network(E, I, P, S, EI, IE, M, MP)
def present(img):
    P.rates = img * a["rate_hz"] * Hz
    net.run(a["present_ms"] * ms)
    if a["rest_ms"] > 0:
        P.rates = 0*Hz
        net.run(a["rest_ms"] * ms)
if a["timed"]:
    net.run(a["present_ms"] * ms)  # build and compile once (not timed): image 0
    s0, p0 = M.num_spikes, MP.num_spikes
    t0 = time.perf_counter()
    net.run(a["images"] * a["present_ms"] * ms)
    elapsed = time.perf_counter() - t0
else:
    present(x[0])  # build and compile once (not timed)
    s0, p0 = M.num_spikes, MP.num_spikes
    t0 = time.perf_counter()
    for i in range(1, a["images"] + 1):
        present(x[i])
    elapsed = time.perf_counter() - t0
print(json.dumps({"images": a["images"], "seconds": elapsed, "images_per_s": a["images"] / elapsed,
                  "output_spikes_per_image": (M.num_spikes - s0) / a["images"],
                  "input_spikes_per_image": (MP.num_spikes - p0) / a["images"],
                  "steps_per_image": int(round((a["present_ms"] + a["rest_ms"]) / a["dt_ms"])),
                  "inputs": int(n_in), "neurons": int(n_e), "method": a["method"], "timed": a["timed"],
                  "codegen": str(prefs.codegen.target)}))
'''


def run_brian2(python: str, spec: dict) -> dict:
    """Time Brian2 running Diehl & Cook's network in a separate interpreter (Brian2 is never imported here)."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(BRIAN2_DIEHL_COOK)
    try:
        out = subprocess.run([python, f.name, json.dumps(spec)], capture_output=True, text=True, timeout=3600)
    finally:
        os.unlink(f.name)
    if out.returncode != 0:
        raise RuntimeError(f"Brian2 run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def photrain_throughput(cfg, x, y, images: int) -> dict:
    """One epoch of ``images`` training images (compiled beforehand); training time only."""
    from photrain.train.spiking import train_stdp

    r = train_stdp(cfg, x, y, x[:10], y[:10], max_images=images)
    spikes_per_image = float(r.spikes.sum()) / r.images_trained
    return {"images": r.images_trained, "seconds": r.train_seconds, "images_per_s": r.samples_per_s,
            "output_spikes_per_image": spikes_per_image, "steps_per_image": cfg.steps, "neurons": cfg.neurons,
            "inputs": int(len(r.pixels))}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--brian2-python", required=True, help="a Python with Brian2 installed (scratch venv)")
    ap.add_argument("--images", type=int, default=500, help="training images per timed run, every row")
    ap.add_argument("--neurons", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved repeats; the median is reported")
    ap.add_argument("--published", type=int, default=50,
                    help="images for the Brian2 row in Diehl & Cook's own set-up (0: skip; it is 10x slower per image)")
    ap.add_argument("--equal-rate", type=float, default=63.75,
                    help="Brian2 input rate (Hz) at intensity 1 in the equal-work row (Diehl & Cook: 63.75)")
    ap.add_argument("--data-dir", default=os.environ.get("PHOTRAIN_DATA_DIR", "../shared/datasets"))
    args = ap.parse_args(argv)
    if args.images < 1 or args.neurons < 1 or args.repeats < 1 or args.published < 0:
        ap.error("--images, --neurons and --repeats must be >= 1 and --published >= 0")

    from photrain.train.data import load_dataset
    from photrain.train.spiking import STDPConfig, foreground_pixels, train_stdp

    data = load_dataset("mnist", args.data_dir)
    cfg = STDPConfig(neurons=args.neurons, epochs=1, assign_images=10)
    x, y = data.x_train, data.y_train
    pixels = foreground_pixels(x, cfg.n_pixels)
    train_stdp(cfg, x, y, x[:10], y[:10], max_images=cfg.chunk)  # compile (not timed)
    mnist = str(Path(args.data_dir) / "mnist" / "train-images-idx3-ubyte.gz")
    with tempfile.NamedTemporaryFile(suffix=".npy", delete=False) as f:
        np.save(f, pixels)
        pix_path = f.name
    base = {"images": args.images, "neurons": args.neurons, "seed": 0, "mnist": mnist, "first": 0, "timed": False}
    equal = {**base, "pixels": pix_path, "dt_ms": cfg.dt * 1e3, "present_ms": cfg.t_present * 1e3, "rest_ms": 0.0,
             "rate_hz": args.equal_rate, "method": "exponential_euler"}
    rows = {"photrain": [], "brian2_per_image": [], "brian2_one_run": []}
    print(f"{args.images} training images per run, {args.neurons} neurons, {args.repeats} interleaved repeats")
    try:
        for rep in range(args.repeats):
            p = photrain_throughput(replace(cfg, seed=rep), x, y, args.images)
            rows["photrain"].append(p)
            b1 = run_brian2(args.brian2_python, {**equal, "seed": rep})
            rows["brian2_per_image"].append(b1)
            b2 = run_brian2(args.brian2_python, {**equal, "seed": rep, "timed": True})
            rows["brian2_one_run"].append(b2)
            print(f"repeat {rep}: photrain {p['images_per_s']:.1f} img/s ({p['output_spikes_per_image']:.1f} output "
                  f"spikes/image); Brian2 equal work: one run per image {b1['images_per_s']:.2f} img/s "
                  f"({b1['output_spikes_per_image']:.1f}), one run for all {b2['images_per_s']:.2f} img/s "
                  f"({b2['output_spikes_per_image']:.1f})", flush=True)
        published = None
        if args.published:
            published = run_brian2(args.brian2_python, {**base, "images": args.published, "pixels": "", "dt_ms": 0.5,
                                                         "present_ms": 350.0, "rest_ms": 150.0, "rate_hz": 63.75,
                                                         "method": "euler"})
            print(f"Brian2, Diehl & Cook's set-up: {published['images_per_s']:.3f} img/s over {args.published} images "
                  f"({published['output_spikes_per_image']:.1f} output spikes/image)")
    finally:
        os.unlink(pix_path)
    med = {k: statistics.median(r["images_per_s"] for r in v) for k, v in rows.items()}
    summary = {"benchmark": "stdp_vs_brian2", "images": args.images, "neurons": args.neurons, "repeats": args.repeats,
               "photrain_images_per_s": med["photrain"],
               "brian2_per_image_images_per_s": med["brian2_per_image"],
               "brian2_one_run_images_per_s": med["brian2_one_run"],
               "ratio_vs_brian2_per_image": med["photrain"] / med["brian2_per_image"],
               "ratio_vs_brian2_one_run": med["photrain"] / med["brian2_one_run"],
               "brian2_published_images_per_s": published["images_per_s"] if published else None,
               "ratio_vs_published_setup": med["photrain"] / published["images_per_s"] if published else None,
               "cpu_count": os.cpu_count(), "time_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "runs": rows, "brian2_published": published}
    print(f"equal work: photrain {med['photrain']:.1f} img/s; Brian2 {med['brian2_per_image']:.2f} img/s one run per "
          f"image ({summary['ratio_vs_brian2_per_image']:.0f}x), {med['brian2_one_run']:.2f} img/s in one run "
          f"({summary['ratio_vs_brian2_one_run']:.0f}x)")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
