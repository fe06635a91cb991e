"""Data-parallel fit (photrain.nn.sharding): epoch time on 1 device vs every device JAX sees, same run.

MNIST 784-256-10 ReLU MLP (``eqx.nn.MLP``), backprop, ``optax.sgd(0.05)``, batch ``--batch`` (split over the
devices), ``--examples`` training images per epoch, memories float and rram (digital core). Each configuration
runs ``--epochs`` epochs with ``fit``; the time is the median of the epochs after the first (compilation
excluded); the 1-device and N-device runs alternate. The losses of both must agree to float32 rounding.

On a CPU-only machine the script splits the CPU into ``--devices`` XLA host devices
(``XLA_FLAGS=--xla_force_host_platform_device_count``) before JAX starts; where JAX sees accelerators it uses them.

Usage: flock /tmp/team/heavy.lock .venv/bin/python benchmarks/data_parallel.py [--devices 2] [--examples 12800]
The last printed line is one JSON object.

Measured (2-core CPU container split into 2 XLA host devices, under the team lock; no GPU was available to this
run, so no GPU scaling is claimed): ``benchmarks/data_parallel.py`` (12,800 examples, batch 256, epochs 2-4):
float memory 0.149 s/epoch on 1 device, 0.161 s on 2: 0.92x; rram 0.268 s vs 0.403 s: 0.67x; losses equal to
1.2e-7 and 2.4e-7. No speedup here: the one-device program already uses both cores (XLA's CPU matmuls are
multi-threaded), the two host devices share the same two cores, and the replicated memory write (every
device runs the whole RRAM update on its replica) is work duplicated, not divided; the one all-reduce of the
gradients per step (one ``all-reduce`` op in the compiled step, checked) is what data parallelism adds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=2, help="host devices to split a CPU into (CPU only)")
    ap.add_argument("--examples", type=int, default=12800)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--memories", default="float,rram")
    args = ap.parse_args(argv)
    if "jax" not in sys.modules and "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   f" --xla_force_host_platform_device_count={args.devices}").strip()
    import equinox as eqx
    import jax
    import numpy as np
    import optax

    from photrain.nn import Hardware, convert, fit, sharding
    from photrain.train.data import load_dataset

    d = load_dataset("mnist", None, download=False)
    x = np.asarray(d.x_train[: args.examples], np.float32).reshape(-1, 784)
    y = np.asarray(d.y_train[: args.examples], np.int32)
    devs = jax.devices()
    print(f"devices: {len(devs)} x {devs[0].device_kind} ({devs[0].platform}); {os.cpu_count()} CPU cores; "
          f"batch {args.batch} ({args.batch // len(devs)} per device), {len(x)} examples/epoch")

    def run(memory, use):
        k = jax.random.PRNGKey(0)
        m = convert(eqx.nn.MLP(784, 10, 256, 1, activation=jax.nn.relu, key=k), Hardware(memory=memory))
        with sharding.using(use):
            _, h = fit(m, optax.sgd(0.05), (x, y), epochs=args.epochs, batch_size=args.batch, key=k,
                       progress=False)
        return [e["loss"] for e in h], [e["time_s"] for e in h]

    rows = []
    for memory in args.memories.split(","):
        l1, t1 = run(memory, devs[:1])
        ln, tn = run(memory, devs)
        s1, sn = statistics.median(t1[1:]), statistics.median(tn[1:])
        dl = float(np.max(np.abs(np.array(l1) - np.array(ln))))
        rows.append({"memory": memory, "epoch_s_1": s1, "epoch_s_n": sn, "speedup": s1 / sn,
                     "first_epoch_s_1": t1[0], "first_epoch_s_n": tn[0], "max_loss_diff": dl, "losses_1": l1})
        print(f"{memory:6s}: 1 device {s1:.3f} s/epoch, {len(devs)} devices {sn:.3f} s/epoch: speedup "
              f"{s1 / sn:.2f}x (first epochs {t1[0]:.2f} / {tn[0]:.2f} s); max |loss difference| {dl:.2e}")
    print(json.dumps({"devices": len(devs), "platform": devs[0].platform, "batch": args.batch,
                      "examples": len(x), "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
