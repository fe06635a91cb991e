"""Accuracy cost of physical input modulators and of GST weights on the bank core (issue 13, parts 4-5).

One network, one data pipeline, the same seeds; optical DFA with every forward
product on MRR weight banks (``core='bank'``, every noise source on); only the
bank's input path or weight element changes:

* ``ideal``: linear intensity modulators (photrain's default model), heater-tuned rings;
* ``mzm`` / ``mzm-nopre``: Mach-Zehnder modulators with / without the predistortion lookup;
* ``ring`` / ``ring-nopre``: ring modulators with / without it;
* ``gst``: linear modulators, weights on GST cell pairs (8 levels per cell) instead of heated rings.

Accuracy gaps are against ``ideal`` measured in the same run (mean over seeds),
both for the digital evaluation of the trained weights and, when the trainer
reports it, through the hardware. The ledger of the ``ideal`` run is then priced
with heater rings and with GST cells (photrain.controller.energy_report): the
heater-hold term and what re-writing the cells every batch costs instead.

Usage: python benchmarks/input_modulators.py [--dataset digits|mnist] [--epochs 20] [--seeds 1 2 3]
       [--hidden 64] [--variants ideal mzm mzm-nopre ...] [--data-dir ../shared/datasets]
The last printed line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile

import numpy as np

from photrain.controller import OpticalConfig
from photrain.controller.energy import CoreSpec, energy_report
from photrain.train import TrainConfig, train
from photrain.train.trainer import TrainingDiverged

VARIANTS = {
    "ideal": {},
    "mzm": {"input_modulator": "mzm"},
    "mzm-nopre": {"input_modulator": "mzm", "predistortion": False},
    "ring": {"input_modulator": "ring"},
    "ring-nopre": {"input_modulator": "ring", "predistortion": False},
    "gst": {"weight_element": "gst"},
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits")
    p.add_argument("--data-dir")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--hidden", type=int, nargs="+", default=[64])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--core-rows", type=int, default=16)
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--standardize", action="store_true")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    a = p.parse_args(argv)
    if "ideal" not in a.variants:
        a.variants = ["ideal", *a.variants]
    rows, ledger = {}, None
    for name in a.variants:
        digital, hw, times, failed = [], [], [], []
        for seed in a.seeds:
            optical = OpticalConfig(core_rows=a.core_rows, **VARIANTS[name])
            cfg = TrainConfig(dataset=a.dataset, data_dir=a.data_dir, hidden=tuple(a.hidden), algorithm="optical-dfa",
                              core="bank", epochs=a.epochs, batch_size=a.batch_size, lr=a.lr, seed=seed,
                              optical=optical, standardize=a.standardize)
            with tempfile.TemporaryDirectory() as out:
                try:
                    r = train(cfg, out, progress=False, on_divergence="warn")
                except TrainingDiverged as err:  # a NaN loss stops even with 'warn'
                    print(f"{name:10s} seed {seed}: diverged ({str(err).split(';')[0]})", flush=True)
                    failed.append(seed)
                    continue
            digital.append(r["test_acc_at_best_val"])
            if "hw_test_acc_at_best_val" in r:
                hw.append(r["hw_test_acc_at_best_val"])
            times.append(r.get("mean_train_time_s", r["mean_epoch_time_s"]))
            if name == "ideal" and ledger is None:
                ledger, classes = r["ledger"], r["layer_sizes"][-1]
            print(f"{name:10s} seed {seed}: test {100 * digital[-1]:.2f}% digital"
                  + (f", {100 * hw[-1]:.2f}% through the hardware" if hw else "")
                  + f"; {times[-1]:.2f} s/epoch", flush=True)
        rows[name] = {"test_digital": float(np.mean(digital)) if digital else None,
                      "test_hw": float(np.mean(hw)) if hw else None, "per_seed_digital": digital, "per_seed_hw": hw,
                      "diverged_seeds": failed, "s_per_epoch": float(np.mean(times)) if times else None}
    ref = rows["ideal"]
    print(f"\n{'variant':10s} {'test (digital)':>15s} {'vs ideal':>9s} {'test (hw)':>10s} {'vs ideal':>9s} {'s/epoch':>8s}")
    for name, r in rows.items():
        if r["test_digital"] is None:
            print(f"{name:10s} diverged on every seed {r['diverged_seeds']}")
            continue
        r["gap_digital_pts"] = 100 * (r["test_digital"] - ref["test_digital"])
        r["gap_hw_pts"] = None if r["test_hw"] is None else 100 * (r["test_hw"] - ref["test_hw"])
        hw = "" if r["test_hw"] is None else f"{100 * r['test_hw']:9.2f}% {r['gap_hw_pts']:+8.2f}"
        print(f"{name:10s} {100 * r['test_digital']:14.2f}% {r['gap_digital_pts']:+8.2f} {hw:>20s} "
              f"{r['s_per_epoch']:8.2f}" + (f"  (diverged: seeds {r['diverged_seeds']})" if r["diverged_seeds"] else ""))
    energy = {}
    core = CoreSpec(a.core_rows, classes)
    for element in ("heater", "gst"):
        rep = energy_report(ledger, "reference-paper", core, weight_element=element)
        energy[element] = {"heaters_hold_j": rep.energy["heaters (hold)"],
                           "heaters_program_j": rep.energy["heaters (program)"],
                           "gst_writes_j": rep.energy["GST writes"], "total_j": rep.total_energy,
                           "programming_time_s": rep.programming_time, "latency_s": rep.latency}
    print(f"\nenergy of the 'ideal' run's ledger (seed {a.seeds[0]}, reference-paper preset, {a.core_rows}x{classes} core):")
    for element, e in energy.items():
        print(f"  {element:6s}: heaters hold {e['heaters_hold_j']:.3g} J, program {e['heaters_program_j']:.3g} J, "
              f"GST writes {e['gst_writes_j']:.3g} J; total {e['total_j']:.3g} J, latency {e['latency_s']:.3g} s")
    print(json.dumps({"config": vars(a), "variants": rows, "energy_reference_paper": energy}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
