"""Batch-1 latency and energy of the 784-800-800-10 network: photonic MRR cores (energy model, both presets,
weight-stationary and single-core) vs this machine's CPU (and GPU where one exists), measured; then one
training step (EP and backprop) on the RRAM crossbar, the MRR bank and the digital controller, from the
ledger and the energy model, with its ratios to the digital step.

Usage: python benchmarks/latency.py [--hidden 800 800] [--cpu-watts 30] [--repeats 200] [--preset reference-paper]
The last printed line is one JSON object with every row, and the CPU/photonic and digital/core ratios.
"""

from __future__ import annotations

import argparse
import json

from photrain.bench import format_table, format_training_table, latency_table, training_step_table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, nargs="+", default=[800, 800])
    ap.add_argument("--core-rows", type=int, default=64)
    ap.add_argument("--cpu-watts", type=float, default=30.0)
    ap.add_argument("--gpu-watts", type=float, default=300.0)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--preset", default="reference-paper", choices=("reference-paper", "conservative"))
    args = ap.parse_args()
    rows = latency_table(tuple(args.hidden), core_rows=args.core_rows, cpu_watts=args.cpu_watts,
                         gpu_watts=args.gpu_watts, repeats=args.repeats)
    print(format_table(rows))
    cpu = rows[0]
    ratios = {r["hardware"]: {"latency_cpu_over_this": cpu["inference_s"] / r["inference_s"],
                              "energy_cpu_over_this": cpu["inference_j"] / r["inference_j"]}
              for r in rows[2:]}
    for name, r in ratios.items():
        print(f"CPU / {name}: latency x{r['latency_cpu_over_this']:.3g}, energy per inference x{r['energy_cpu_over_this']:.3g}")
    training = training_step_table(tuple(args.hidden), core_rows=args.core_rows, preset=args.preset)
    print(f"\ntraining steps, batch 1, from the ledger ({args.preset} preset)")
    print(format_training_table(training))
    digital = {r["algorithm"]: r for r in training if r["core"] == "digital"}
    train_ratios = {f"{r['algorithm']} on {r['core']}": {
        "energy_digital_over_this": digital[r["algorithm"]]["energy_j"] / r["energy_j"],
        "latency_digital_over_this": digital[r["algorithm"]]["latency_s"] / r["latency_s"]}
        for r in training if r["core"] != "digital"}
    for name, r in train_ratios.items():
        print(f"digital / {name}: energy per step x{r['energy_digital_over_this']:.3g}, "
              f"latency x{r['latency_digital_over_this']:.3g}")
    print(json.dumps({"rows": rows, "ratios": ratios, "training": training, "training_ratios": train_ratios}))


if __name__ == "__main__":
    main()
