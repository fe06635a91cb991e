"""How cost grows with size: measured time and memory vs size, the fitted exponent, and the ideal one.

Three families, each timed after compilation (median of ``--repeats`` calls, ``jax.block_until_ready``), its
memory the compiled program's (``jax.jit(...).lower(...).compile().memory_analysis()``: arguments + outputs +
temporaries, the peak a device holds for it). The exponent is the slope of log(time) vs log(size) by least
squares over the sizes given and over the largest three (the asymptote; small sizes are dominated by the fixed
cost of a call, ~10-50 µs). The ideal exponent is that of the operation count (the physical limit of a
simulation is its dense products):

* **mesh solve** (``MZIMesh(n).transfer(settings, wl)``, Clements, random phases, coupler errors 0.01): the
  column scan multiplies an (n, n) state by n columns of n/2 MZIs: n^3 multiply-adds per wavelength
  (ideal exponent 3 in n, 1 in the wavelength count); n = 8 ... 128 at 1 and 100 wavelengths.
* **bank product** (``MRRWeightBank(channels, rows).matvec(x, settings)``, batch 64, the ring response solved in
  the call as in training): the product is batch x rows x channels multiply-adds (ideal exponent 1 in rows and
  1 in channels); the response of a row is every ring at every channel's wavelength (rows x channels^2: the
  inter-channel crosstalk of the Redheffer bus solve), so the channel exponent may exceed 1 until the batch
  dominates. Channels at a spacing of FSR / (channels + 1) (radius 5 µm), rows at 8 channels.
* **training step vs hidden width** (784-w-10 ReLU MLP, batch 64, ``photrain.nn``'s jitted step: the one
  ``fit`` scans): digital DFA (every product digital), optical DFA (B·e on a 64 x 10 weight bank) and forward on
  cores (W·x on the bank too, re-programmed from memory every step), float memory. Ideal exponent 1 in w: the
  products are (784 + 10) w per example (+ 10 w for B·e). The epoch time is ``--steps`` timed steps scaled to
  60,000 / 64 = 937.5 steps (not a full epoch: a few batches per width).

Usage: flock /tmp/team/heavy.lock .venv/bin/python benchmarks/scaling.py [--quick] [--plot out/scaling.png]
The last printed line is one JSON object with every figure.

Measured (2-core CPU container, JAX 0.9.2, float32, under the team lock, 64 s for the whole script;
``benchmarks/scaling.py --plot out/scaling.png``): exponent over the largest three sizes, ideal in brackets.

* mesh solve, 1 wavelength: 0.061 / 0.175 / 0.284 / 1.00 / 4.97 ms at n = 8 / 16 / 32 / 64 / 128: 2.06 (3);
  100 wavelengths: 0.383 / 1.03 / 6.43 / 31.1 / 321 ms: 2.82 (3); memory n^2 W (1.96; 38 MiB at n = 128).
* bank product vs rows (8 channels): 0.167 ... 13.9 ms at 16 ... 4096 rows: 0.98 (1); vs channels (16 rows):
  0.063 ... 1.66 ms at 4 ... 64 channels: 1.09 (1; the rows x channels^2 ring response shows in the memory,
  exponent 1.92, not yet in the time at batch 64).
* epoch (937.5 steps estimated from 3 timed steps per width), w = 64 / 256 / 1024 / 4096: digital DFA
  0.76 / 1.76 / 3.36 / 12.3 s (0.70); optical DFA 0.69 / 1.34 / 4.15 / 9.19 s (0.69); forward on cores
  3.18 / 20.2 / 76.5 / 281 s (0.95); compiled memory 27 / 28 / 834 MiB at w = 4096 (exponent 0.96 / 0.96 / 1.00).

Where growth is below the ideal (mesh at 1 wavelength, the DFA epochs) a call's fixed cost and the n sequential
column steps of the scan still dominate. Forward on cores sat 23x above digital DFA in time and 31x in memory
while the backward rule of the hardware product's ``custom_vjp``, inside ``photrain.nn``'s per-example ``vmap``,
formed every example's dW = δ xᵀ before the batch sum (a (batch, w, 784) float32 array). Issue 27 batches the
product (``photrain/nn/layers.py``: W·x and Wᵀ·δ once per batch on the core, dW one contraction). Re-measured
(``--families epoch``, the old and new ``layers.py`` in one locked run on a loaded machine): forward on cores
5.71 / 31.5 / 150 / 575 s -> 2.98 / 4.23 / 12.5 / 93.8 s at w = 64 / 256 / 1024 / 4096, compiled memory
834 -> 75 MiB at 4096; digital DFA 18.1 / 23.1 s at 4096 in the two halves (27 MiB).
"""

from __future__ import annotations

import argparse
import json
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

STEPS_PER_EPOCH = 60000 / 64


def timed(f, *args, repeats=5):
    """Median seconds of f(*args) after one warm-up (compile) call."""
    jax.block_until_ready(f(*args))
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def peak_bytes(f, *args) -> int:
    """Arguments + outputs + temporaries of the compiled program (bytes; -1 where XLA does not say)."""
    try:
        m = f.lower(*args).compile().memory_analysis()
        return int(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
                   - m.alias_size_in_bytes)
    except Exception:  # noqa: BLE001 (a backend without memory analysis)
        return -1


def exponent(sizes, values, last: int | None = None) -> float:
    """Least-squares slope of log(values) vs log(sizes) (over the last ``last`` points if given)."""
    s, v = np.log(np.asarray(sizes, float)), np.log(np.asarray(values, float))
    if last is not None:
        s, v = s[-last:], v[-last:]
    return float(np.polyfit(s, v, 1)[0])


def family(name, sizes, times, mems, ideal, size_name):
    row = {"family": name, "size": size_name, "sizes": list(sizes), "time_s": times, "peak_bytes": mems,
           "exponent_all": exponent(sizes, times), "exponent_top3": exponent(sizes, times, 3),
           "memory_exponent_top3": exponent(sizes, mems, 3) if min(mems) > 0 else None, "ideal": ideal}
    t = "  ".join(f"{s}:{v * 1e3:.3g}ms" for s, v in zip(sizes, times, strict=True))
    print(f"{name:34s} {t}\n{'':34s} exponent {row['exponent_all']:.2f} (all), {row['exponent_top3']:.2f} "
          f"(largest 3); ideal {ideal}; memory {mems[0] / 2**20:.2f} -> {mems[-1] / 2**20:.2f} MiB"
          + (f" (exponent {row['memory_exponent_top3']:.2f})" if row["memory_exponent_top3"] is not None else ""),
          flush=True)
    return row


def mesh_rows(sizes, wavelengths, repeats):
    from photrain.circuits.mesh_solver import mesh_grid
    from photrain.cores import MZIMesh
    from photrain.cores.mesh import MeshSettings

    rows = []
    for n_wl in wavelengths:
        wl = jnp.linspace(1.54, 1.56, n_wl, dtype=jnp.float32) if n_wl > 1 else jnp.asarray([1.55], jnp.float32)
        times, mems = [], []
        for n in sizes:
            mesh = MZIMesh(n, coupler_sigma=0.01)
            c, p = mesh_grid(n, mesh.n_columns)
            rng = np.random.default_rng(n)
            th, ph = (jnp.asarray(rng.uniform(0, 2 * np.pi, (c, p)), jnp.float32) for _ in range(2))
            base = MeshSettings(th, ph, jnp.ones((c, p), bool), jnp.zeros((n,), jnp.float32))
            f = jax.jit(lambda th, ph, mesh=mesh, base=base, wl=wl: mesh.transfer(base._replace(theta=th, phi=ph), wl))
            times.append(timed(f, th, ph, repeats=repeats))
            mems.append(peak_bytes(f, th, ph))
        rows.append(family(f"mesh solve, {n_wl} wavelength(s)", sizes, times, mems, 3, "n (modes)"))
    return rows


def bank_rows(rows_sizes, channel_sizes, repeats, batch=64):
    from photrain.cores import MRRWeightBank

    def one(channels, rows):
        probe = MRRWeightBank(1, 1)
        fsr = probe.fsr
        bank = MRRWeightBank(channels, rows, spacing=fsr / (channels + 1))
        rng = np.random.default_rng(channels * 1000 + rows)
        settings = bank.program(rng.uniform(-1, 1, (rows, channels)))
        x = jnp.asarray(rng.uniform(0, 1, (batch, channels)), jnp.float32)
        f = jax.jit(lambda d, x, bank=bank, s=settings: bank.matvec(x, s._replace(detuning=d)))
        return timed(f, settings.detuning, x, repeats=repeats), peak_bytes(f, settings.detuning, x)

    out = []
    t, m = zip(*(one(8, r) for r in rows_sizes), strict=True)
    out.append(family("bank product vs rows (8 channels)", rows_sizes, list(t), list(m), 1, "rows"))
    t, m = zip(*(one(c, 16) for c in channel_sizes), strict=True)
    out.append(family("bank product vs channels (16 rows)", channel_sizes, list(t), list(m),
                      "1 (product); 2 (ring response: every ring at every channel)", "channels"))
    return out


MODES = {"digital DFA": dict(core="digital", feedback=None, algorithm="dfa"),
         "optical DFA": dict(core="digital", feedback="bank", algorithm="optical-dfa"),
         "forward on cores": dict(core="bank", feedback="bank", algorithm="optical-dfa")}


def step_rows(widths, steps, batch=64):
    import sys

    from photrain.nn import Hardware, convert
    from photrain.nn.dfa import Feedback

    fitmod = sys.modules["photrain.nn.fit"]
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(0, 1, (batch, 784)), jnp.float32)
    y = jnp.asarray(rng.integers(0, 10, batch), jnp.int32)
    out = []
    for mode, cfg in MODES.items():
        times, mems = [], []
        for w in widths:
            k = jax.random.PRNGKey(w)
            hw = Hardware(core=cfg["core"], feedback=cfg["feedback"], n_channels=10, optical=dict(core_rows=64))
            model = convert(eqx.nn.MLP(784, 10, w, 1, activation=jax.nn.relu, key=k), hw)
            opt = optax.sgd(0.01)
            dyn, static = eqx.partition(model, eqx.is_array)
            opt_state = opt.init(fitmod._params(model, False))
            fb = Feedback(model, x[0], k, cfg["algorithm"])
            step = jax.jit(fitmod.make_step(static, opt, fitmod.cross_entropy, fb))
            carry = (dyn, opt_state)
            jax.block_until_ready(step(carry, (x, y, k), fb.arrays))
            ts = []
            for i in range(steps):
                t0 = time.perf_counter()
                carry, _ = step(carry, (x, y, jax.random.fold_in(k, i)), fb.arrays)
                jax.block_until_ready(carry)
                ts.append(time.perf_counter() - t0)
            times.append(float(np.median(ts)) * STEPS_PER_EPOCH)
            mems.append(peak_bytes(step, (dyn, opt_state), (x, y, k), fb.arrays))
        out.append(family(f"epoch (est.), {mode}", widths, times, mems, 1, "hidden width"))
    return out


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    groups = [("mesh", axes[0]), ("bank", axes[1]), ("epoch", axes[2])]
    for prefix, ax in groups:
        for r in rows:
            if r["family"].startswith(prefix):
                s = np.asarray(r["sizes"], float)
                ax.loglog(s, r["time_s"], "o-", label=f"{r['family']} (slope {r['exponent_top3']:.2f})")
                ideal = r["ideal"] if isinstance(r["ideal"], int | float) else 1
                ax.loglog(s, r["time_s"][-1] * (s / s[-1]) ** ideal, ":", color="grey")
        ax.set_xlabel({"mesh": "modes n", "bank": "rows or channels", "epoch": "hidden width"}[prefix])
        ax.set_ylabel("seconds" + (" per epoch (est.)" if prefix == "epoch" else " per call"))
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_title("mesh transfer solve (dotted: ideal slope)")
    axes[1].set_title("bank product, batch 64")
    axes[2].set_title("784-w-10 training, batch 64")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3, help="timed training steps per width")
    ap.add_argument("--plot", default=None, help="PNG path of the figure")
    ap.add_argument("--families", default="mesh,bank,epoch")
    args = ap.parse_args(argv)
    fams = args.families.split(",")
    print(f"JAX {jax.__version__} on {jax.devices()[0].device_kind} ({jax.devices()[0].platform}), "
          f"x64 {jax.config.jax_enable_x64}")
    t0 = time.perf_counter()
    rows = []
    if "mesh" in fams:
        rows += mesh_rows([8, 16, 32] if args.quick else [8, 16, 32, 64, 128], [1, 100], args.repeats)
    if "bank" in fams:
        rows += bank_rows([16, 64, 256] if args.quick else [16, 64, 256, 1024, 4096],
                          [4, 8, 16] if args.quick else [4, 8, 16, 32, 64], args.repeats)
    if "epoch" in fams:
        rows += step_rows([64, 128, 256] if args.quick else [64, 256, 1024, 4096], args.steps)
    if args.plot:
        plot(rows, args.plot)
    print(f"total {time.perf_counter() - t0:.1f} s")
    print(json.dumps({"rows": rows, "platform": jax.devices()[0].platform}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
