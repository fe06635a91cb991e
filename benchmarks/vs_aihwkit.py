"""photrain's RRAM in aihwkit mode vs IBM aihwkit's ReRamSBPresetDevice: MNIST test accuracy and epoch time.

The run, as a new user of either would write it (issue 27): a 784-256-10 ReLU MLP, MNIST (60,000 training images
scaled to [0, 1], the 10,000 test images), backprop, SGD with lr 0.05 and no momentum, batch 64, 1 epoch,
seeds 0, 1, 2, 2 threads.

* photrain: ``convert(eqx.nn.MLP(784, 10, 256, 1, activation=relu), Hardware(memory="rram", mode=...))`` on the
  digital core, ``fit(..., optax.sgd(0.05), batch_size=64)``, test accuracy through the hardware (the memory's
  weights as read). Modes: ``aihwkit`` (:mod:`photrain.memory.rram_aihwkit`) and photrain's default.
  The epoch time is ``fit``'s (compilation included: a fresh ``fit`` call per seed).
* aihwkit: ``AnalogSequential(AnalogLinear(784, 256), ReLU, AnalogLinear(256, 10))`` with
  ``SingleRPUConfig(device=ReRamSBPresetDevice())``, ``AnalogSGD(lr=0.05)``, ``CrossEntropyLoss``; run by
  ``--aihwkit-python`` (a scratch venv with aihwkit built from source, never a photrain dependency) on this file
  with ``--side aihwkit``; the same IDX files are read with NumPy.

Usage: flock /tmp/team/heavy.lock .venv/bin/python benchmarks/vs_aihwkit.py [--aihwkit-python /tmp/aihwkit-venv/bin/python]
       [--seeds 0,1,2] [--modes aihwkit,photrain] [--examples 60000]
Without ``--aihwkit-python`` (or if it cannot import aihwkit) only photrain's rows are measured, and the JSON
says why aihwkit's are missing. The last printed line is one JSON object.

Measured (2-core CPU container, other jobs running beside it; aihwkit 1.2.0 built from its sdist in
/tmp/aihwkit-venv with torch 2.14.1+cu130 run on the CPU, 15 min 17 s; one run of
``benchmarks/vs_aihwkit.py --aihwkit-python /tmp/aihwkit-venv/bin/python`` under the team lock):

| seeds 0, 1, 2 | test accuracy | s/epoch |
|---|---|---|
| aihwkit ReRamSBPresetDevice | 55.61 / 63.67 / 42.77 %, mean 54.02 % | 33.05 / 32.12 / 33.41 |
| photrain rram mode=aihwkit | 71.34 / 75.35 / 68.28 %, mean 71.66 % | 10.68 / 10.45 / 8.77 (0.30x aihwkit's) |
| photrain rram (default mode) | 90.95 / 90.62 / 90.66 %, mean 90.74 % | 2.83 / 4.27 / 4.43 (0.12x) |

The aihwkit mode lands 17.64 points above aihwkit, not within 2: photrain writes the batch's summed update as
one pulse train per step (2.24-2.39 M pulses per epoch), aihwkit one train per example, whose up and down pulses
cancel in the weight but each carry 3.75 dw_min of additive noise (and redraw the 0.112 write noise): see
:mod:`photrain.memory.rram_aihwkit`, "What is not aihwkit's here".
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def load_mnist(root: str | None, examples: int):
    """(x, y, xt, yt) from the IDX .gz files in <root>/mnist (root: PHOTRAIN_DATA_DIR), x in [0, 1] float32."""
    d = Path(root or os.environ.get("PHOTRAIN_DATA_DIR", "~/.cache/photrain")).expanduser() / "mnist"

    def idx(name, offset):
        with gzip.open(d / name) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)

    x = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255.0
    y = idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)
    xt = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784).astype(np.float32) / 255.0
    yt = idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return x[:examples], y[:examples], xt, yt


def aihwkit_side(args) -> int:
    """One aihwkit run per seed (run by the aihwkit venv's python); prints one JSON line."""
    import aihwkit
    import torch
    from aihwkit.nn import AnalogLinear, AnalogSequential
    from aihwkit.optim import AnalogSGD
    from aihwkit.simulator.configs import SingleRPUConfig
    from aihwkit.simulator.presets.devices import ReRamSBPresetDevice

    torch.set_num_threads(args.threads)
    x, y, xt, yt = load_mnist(args.data_dir, args.examples)
    x, y, xt, yt = map(torch.from_numpy, (x, y, xt, yt))
    rows = []
    for seed in args.seeds:
        torch.manual_seed(seed)
        rpu = SingleRPUConfig(device=ReRamSBPresetDevice())
        model = AnalogSequential(AnalogLinear(784, 256, rpu_config=rpu), torch.nn.ReLU(),
                                 AnalogLinear(256, 10, rpu_config=rpu))
        opt = AnalogSGD(model.parameters(), lr=0.05)
        opt.regroup_param_groups(model)
        loss_fn = torch.nn.CrossEntropyLoss()
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
        model.train()
        t0 = time.perf_counter()
        for b in range(len(x) // args.batch):
            i = order[b * args.batch:(b + 1) * args.batch]
            opt.zero_grad()
            loss = loss_fn(model(x[i]), y[i])
            loss.backward()
            opt.step()
        epoch_s = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            acc = float((model(xt).argmax(1) == yt).float().mean())
        rows.append({"seed": seed, "accuracy": acc, "epoch_s": epoch_s})
        print(f"aihwkit {aihwkit.__version__} seed {seed}: {100 * acc:.2f} % test, {epoch_s:.2f} s/epoch",
              file=sys.stderr, flush=True)
    print(json.dumps({"aihwkit": aihwkit.__version__, "torch": torch.__version__, "rows": rows}))
    return 0


def photrain_side(args, mode: str) -> list[dict]:
    import equinox as eqx
    import jax
    import optax

    from photrain.nn import Hardware, convert, evaluate, fit

    x, y, xt, yt = load_mnist(args.data_dir, args.examples)
    y, yt = y.astype(np.int32), yt.astype(np.int32)
    params = {"mode": "aihwkit"} if mode == "aihwkit" else {}
    rows = []
    for seed in args.seeds:
        k = jax.random.PRNGKey(seed)
        model = convert(eqx.nn.MLP(784, 10, 256, 1, activation=jax.nn.relu, key=k),
                        Hardware(memory="rram", memory_params=params))
        model, hist = fit(model, optax.sgd(args.lr), (x, y), epochs=1, batch_size=args.batch,
                          key=jax.random.fold_in(k, 1), progress=False)
        acc = float(evaluate(model, xt, yt, through="hardware", key=jax.random.fold_in(k, 2)))
        rows.append({"seed": seed, "accuracy": acc, "epoch_s": hist[0]["time_s"],
                     "pulses": hist[0]["ledger"].get("memory_pulses")})
        print(f"photrain rram mode={mode} seed {seed}: {100 * acc:.2f} % test, {hist[0]['time_s']:.2f} s/epoch "
              f"(compilation included)", flush=True)
    return rows


def summary(rows):
    a = np.array([r["accuracy"] for r in rows]) * 100
    t = np.array([r["epoch_s"] for r in rows])
    return {"accuracy_mean": float(a.mean()), "accuracy_min": float(a.min()), "accuracy_max": float(a.max()),
            "epoch_s_mean": float(t.mean()), "rows": rows}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--side", choices=("both", "aihwkit"), default="both")
    ap.add_argument("--aihwkit-python", default=None, help="python of a venv with aihwkit installed")
    ap.add_argument("--seeds", type=lambda s: [int(v) for v in s.split(",")], default=[0, 1, 2])
    ap.add_argument("--modes", default="aihwkit,photrain")
    ap.add_argument("--examples", type=int, default=60000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)
    if args.side == "aihwkit":
        return aihwkit_side(args)
    result = {"settings": {k: v for k, v in vars(args).items() if k not in ("side",)}}
    ak = None
    if args.aihwkit_python is None:
        result["aihwkit_missing"] = "no --aihwkit-python given"
    else:
        cmd = [args.aihwkit_python, __file__, "--side", "aihwkit", "--seeds", ",".join(map(str, args.seeds)),
               "--examples", str(args.examples), "--batch", str(args.batch), "--threads", str(args.threads)]
        if args.data_dir:
            cmd += ["--data-dir", args.data_dir]
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        sys.stdout.write(out.stderr[-3000:])
        if out.returncode == 0:
            ak = json.loads(out.stdout.strip().splitlines()[-1])
            result["aihwkit"] = {"version": ak["aihwkit"], "torch": ak["torch"], **summary(ak["rows"])}
        else:
            result["aihwkit_missing"] = f"the aihwkit run failed (exit {out.returncode}): {out.stderr[-300:]}"
    for mode in args.modes.split(","):
        result[f"photrain_{mode}"] = summary(photrain_side(args, mode))
    for mode in args.modes.split(","):
        s = result[f"photrain_{mode}"]
        line = (f"photrain rram mode={mode}: {s['accuracy_mean']:.2f} % ({s['accuracy_min']:.2f}-"
                f"{s['accuracy_max']:.2f}), {s['epoch_s_mean']:.2f} s/epoch")
        if ak is not None:
            a = result["aihwkit"]
            line += (f"; aihwkit {a['accuracy_mean']:.2f} % ({a['accuracy_min']:.2f}-{a['accuracy_max']:.2f}), "
                     f"{a['epoch_s_mean']:.2f} s/epoch: gap {s['accuracy_mean'] - a['accuracy_mean']:+.2f} points, "
                     f"time ratio {s['epoch_s_mean'] / a['epoch_s_mean']:.2f}x")
        print(line)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
