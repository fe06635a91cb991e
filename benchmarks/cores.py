"""Tensor-core benchmark: structured mesh solver vs sax, and matvec error vs noise, ADC bits and spacing.

Usage: python benchmarks/cores.py [--sax-max-n 16] [--plot out/cores_error.png] [--step-only]
--step-only times one forward-on-cores step (784-800-800-10 on 64 x 10 banks, batch 64, programming
included) against the digital forward product, in process CPU time (min of repeats) so that other
load on the machine does not enter the ratio; run it with
XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" for single-threaded figures.
The last printed line is one JSON object with every figure printed.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import jax
import numpy as np

from photrain.circuits import circuit
from photrain.cores import MRRWeightBank, MZIMesh, Readout, haar_unitary, mesh_netlist


def timed(f, repeats=5):
    t0 = time.perf_counter()
    jax.block_until_ready(f())
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(repeats):
        jax.block_until_ready(f())
    return first, (time.perf_counter() - t0) / repeats


def mesh_timing(sizes, sax_max_n, results):
    print("mesh solve (Clements), seconds: structured first / steady, sax klu first / steady, ratio steady")
    for n in sizes:
        mesh = MZIMesh(n, coupler_sigma=0.01, column_length=50.0)
        settings = mesh.program_unitary(haar_unitary(n, np.random.default_rng(n)))
        for n_wl in (1, 100):
            wl = np.linspace(1.54, 1.56, n_wl) if n_wl > 1 else np.array([1.55])
            first, steady = timed(lambda wl=wl, mesh=mesh, settings=settings: mesh.transfer(settings, wl))
            row = {"n": n, "wavelengths": n_wl, "structured_first_s": first, "structured_steady_s": steady}
            if n <= sax_max_n:
                t0 = time.perf_counter()
                func = circuit(mesh_netlist(mesh, settings))
                build = time.perf_counter() - t0
                sfirst, ssteady = timed(lambda func=func, wl=wl: func(wl=wl)["in0", "out0"], repeats=2)
                row.update(sax_first_s=build + sfirst, sax_steady_s=ssteady, ratio_steady=ssteady / steady,
                           ratio_first=(build + sfirst) / first)
            results["mesh"].append(row)
            text = f"  N={n:3d} wl={n_wl:3d}: {first:8.4f} / {steady:9.6f}"
            if "sax_steady_s" in row:
                text += f"   sax {row['sax_first_s']:8.3f} / {row['sax_steady_s']:9.5f}   x{row['ratio_steady']:.0f} faster"
            print(text, flush=True)


def cpu_time(f, *args, repeats=15):
    """Min process CPU time (s) of f(*args) over ``repeats`` calls after one warm-up (compile) call."""
    jax.block_until_ready(f(*args))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        jax.block_until_ready(f(*args))
        best = min(best, time.process_time() - t0)
    return best


def step_timing(results):
    """Forward-on-cores step (program every layer, then the products) vs the digital forward product."""
    import dataclasses

    import jax.numpy as jnp

    from photrain.cores import blocked_matvec

    sizes, batch = [784, 800, 800, 10], 64
    k = jax.random.PRNGKey(0)
    ws = [0.05 * jax.random.normal(jax.random.fold_in(k, i), (o, n), jnp.float32)
          for i, (n, o) in enumerate(zip(sizes[:-1], sizes[1:], strict=True))]
    x = jax.random.uniform(k, (batch, sizes[0]), jnp.float32)

    def digital(ws, x):
        h = x
        for i, w in enumerate(ws):
            h = h @ w.T
            h = jax.nn.relu(h) if i < len(ws) - 1 else h
        return h

    t_digital = cpu_time(jax.jit(digital), ws, x)
    rows = []
    noisy = Readout(adc_bits=8, dac_bits=8, rin_db_hz=-150.0)
    for name, readout, ideal in (("ideal", Readout(noise=False), True),
                                 ("noisy per-block", noisy, False),
                                 ("noisy integrating", dataclasses.replace(noisy, receiver="integrating"), False)):
        bank = MRRWeightBank(10, 64, readout=readout, crosstalk=not ideal, signed="offset",
                             heater_bits=None if ideal else 12)

        def fwd(ws, x, key, bank=bank):
            h = x
            for i, w in enumerate(ws):
                h = blocked_matvec(h, bank.program_blocks(w), jax.random.fold_in(key, i), readout=bank.readout,
                                   rows_per_bank=bank.n_rows, floor=bank.floor, signed=bank.signed)
                h = jax.nn.relu(h) if i < len(ws) - 1 else h
            return h

        def prog(ws, bank=bank):
            return [bank.program_blocks(w) for w in ws]

        t_step, t_prog = cpu_time(jax.jit(fwd), ws, x, k), cpu_time(jax.jit(prog), ws)
        rows.append({"mode": name, "step_cpu_s": t_step, "programming_cpu_s": t_prog, "digital_cpu_s": t_digital,
                     "ratio_to_digital": t_step / t_digital})
        print(f"  forward-on-cores step, {name:18s}: {1e3 * t_step:7.2f} ms CPU (programming alone "
              f"{1e3 * t_prog:6.2f} ms), digital forward {1e3 * t_digital:5.2f} ms: x{t_step / t_digital:.1f}", flush=True)
    results["forward_step"] = rows


def rms_error(core, w, x, key):
    s = core.program(w)
    y = np.asarray(core.matvec(x, s, key))
    ref = x @ w.T
    return float(np.sqrt(np.mean((y - ref) ** 2)) / np.max(np.abs(ref)))


def error_sweeps(results):
    rng = np.random.default_rng(0)
    w, x = rng.uniform(-1, 1, (8, 8)), rng.uniform(-1, 1, (256, 8))
    key = jax.random.PRNGKey(0)
    powers = [1e-6, 1e-5, 1e-4, 1e-3]
    bits = [4, 6, 8, 10, 12]
    spacings = [0.0004, 0.0008, 0.0016, 0.0024]
    out = {"power_W": powers, "adc_bits": bits, "spacing_um": spacings}
    out["bank_vs_power"] = [rms_error(MRRWeightBank(8, 8, readout=Readout(power_per_channel=p)), w, x, key) for p in powers]
    out["mesh_vs_power"] = [rms_error(MZIMesh(8, readout=Readout(power_per_channel=p), lo_power=10 * p), w, x, key)
                            for p in powers]
    out["bank_vs_bits"] = [rms_error(MRRWeightBank(8, 8, readout=Readout(adc_bits=b, noise=False)), w, x, key) for b in bits]
    out["mesh_vs_bits"] = [rms_error(MZIMesh(8, readout=Readout(adc_bits=b, noise=False)), w, x, key) for b in bits]
    out["bank_vs_spacing"] = []
    out["bank_vs_spacing_uncalibrated"] = []
    for sp in spacings:
        bank = MRRWeightBank(8, 8, spacing=sp, radius=4.0)
        out["bank_vs_spacing"].append(rms_error(bank, w, x, key))
        s = bank.program(w, calibrate=False)
        y = np.asarray(bank.matvec(x, s))
        out["bank_vs_spacing_uncalibrated"].append(float(np.sqrt(np.mean((y - x @ w.T) ** 2)) / np.max(np.abs(x @ w.T))))
    results["matvec_error"] = out
    print("matvec RMS error / full scale (8x8, 256 random vectors):")
    for k in ("bank_vs_power", "mesh_vs_power"):
        print(f"  {k}: " + ", ".join(f"{p:g} W: {e:.2e}" for p, e in zip(powers, out[k], strict=True)))
    for k in ("bank_vs_bits", "mesh_vs_bits"):
        print(f"  {k}: " + ", ".join(f"{b} b: {e:.2e}" for b, e in zip(bits, out[k], strict=True)))
    for k in ("bank_vs_spacing", "bank_vs_spacing_uncalibrated"):
        print(f"  {k}: " + ", ".join(f"{s * 1e3:.1f} nm: {e:.2e}" for s, e in zip(spacings, out[k], strict=True)))
    return out


def plot(out, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    axes[0].loglog(out["power_W"], out["bank_vs_power"], "o-", label="MRR bank")
    axes[0].loglog(out["power_W"], out["mesh_vs_power"], "s-", label="MZI mesh")
    axes[0].set(xlabel="optical power per channel (W)", ylabel="RMS error / full scale", title="detector noise")
    axes[1].semilogy(out["adc_bits"], out["bank_vs_bits"], "o-", label="MRR bank")
    axes[1].semilogy(out["adc_bits"], out["mesh_vs_bits"], "s-", label="MZI mesh")
    axes[1].set(xlabel="ADC bits", title="ADC resolution (noise off)")
    sp = np.array(out["spacing_um"]) * 1e3
    axes[2].semilogy(sp, out["bank_vs_spacing_uncalibrated"], "o--", label="bank, no calibration")
    axes[2].semilogy(sp, out["bank_vs_spacing"], "o-", label="bank, calibrated")
    axes[2].set(xlabel="channel spacing (nm)", title="inter-channel crosstalk")
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="*", default=[8, 16, 32, 64])
    ap.add_argument("--sax-max-n", type=int, default=32, help="largest N also solved with sax (sax compile grows steeply)")
    ap.add_argument("--plot", default="out/cores_error.png")
    ap.add_argument("--step-only", action="store_true", help="only the forward-on-cores step timing")
    args = ap.parse_args()
    results = {"mesh": [], "device": str(jax.devices()[0])}
    print("784-800-800-10 forward step, batch 64, 64 x 10 banks (process CPU time, min of 15):")
    step_timing(results)
    if args.step_only:
        print(json.dumps(results))
        return
    mesh_timing(args.sizes, args.sax_max_n, results)
    out = error_sweeps(results)
    plot(out, args.plot)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
