"""The main job (``photrain demo``): backprop, digital DFA and optical DFA on the offline digits set, one figure.

The three runs share one network and schedule (:data:`DEMO`: one hidden layer of
64, batch 32, SGD lr 0.01 with momentum 0.9, chosen so that every curve rises
smoothly); optical DFA computes B·e on a simulated 16-row microring weight bank
(shot, thermal and RIN noise, 8-bit converters). ``demo.png`` shows the three
learning curves side by side (the optical run's accuracy through the hardware
when the run records it), the spectrum of the shipped add-drop ring filter
(simulated from its layout), and the energy per training step of each run, by
component, priced from its ledger with the ``reference-paper`` preset of
:mod:`photrain.controller.energy`. ``demo.json`` holds the numbers, ``demo.md`` the table the README shows.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

DEMO = {"dataset": "digits", "hidden": (64,), "batch_size": 32, "lr": 0.01, "momentum": 0.9}
EPOCHS = 15
RUNS = (("backprop", "backprop"), ("digital DFA", "dfa"), ("optical DFA", "optical-dfa"))
OPTICAL = {"core_rows": 16}
ROOT = Path(__file__).resolve().parent.parent


def _config(algorithm: str, epochs: int, seed: int):
    from photrain.train import OpticalConfig, TrainConfig

    extra = {}
    if algorithm == "optical-dfa":
        extra["optical"] = OpticalConfig(**OPTICAL)
    return TrainConfig(algorithm=algorithm, epochs=epochs, seed=seed, **DEMO, **extra)


def ring_spectrum(wl=None):
    """(wl µm, {label: |S|² dB}, source) of the shipped ring filter (its layout's netlist), or the ring model."""
    wl = np.linspace(1.54, 1.56, 2001) if wl is None else np.asarray(wl)
    path = ROOT / "circuits" / "ring_filter.pic.yml"
    if path.exists():
        from photrain.circuits import sweep
        from photrain.layout import load_circuit

        _, func = load_circuit(path)
        spectra = sweep(func, wl, [("o1", "o2"), ("o1", "o3")])
        source = "circuits/ring_filter.pic.yml (simulated from its layout)"
    else:  # an installed wheel has no circuits/: the add-drop ring model itself
        from photrain.circuits import sweep
        from photrain.models import ring_add_drop

        spectra = sweep(ring_add_drop, wl, [("o1", "o2"), ("o1", "o3")], radius=10.0, coupling_1=0.05, coupling_2=0.05)
        source = "ring_add_drop model (radius 10 µm)"
    labels = {("o1", "o2"): "through (o1 → o2)", ("o1", "o3"): "drop (o1 → o3)"}
    return wl, {labels[k]: v for k, v in spectra.items()}, source


def energy_per_step(results: dict) -> dict:
    """J per optimiser step by component: the run's ledger priced with the reference-paper preset.

    Runs that put no work on the photonic core (backprop, digital DFA) are not charged
    for holding its ring heaters.
    """
    from photrain.controller.energy import CoreSpec, energy_report

    optical = results["config"].get("optical", {})
    core = CoreSpec(int(optical.get("core_rows", 64)), int(results["layer_sizes"][-1]))
    rep = energy_report(results["ledger"], "reference-paper", core)
    steps = max(rep.steps, 1)
    energy = {k: v / steps for k, v in rep.energy.items()}
    if not rep.optical_macs:  # a digital run has no photonic core whose heaters would hold their rings
        energy = {k: (0.0 if k.startswith("heaters") else v) for k, v in energy.items()}
    return energy


def demo_figure(runs: dict, ring, energies: dict, crossover: dict | None = None):
    """The demo figure (a :class:`matplotlib.figure.Figure`): learning curves, ring spectrum, energy per step and
    (given ``crossover``, :func:`photrain.controller.energy.crossover.crossover`) energy per step vs width."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(15, 8.2), layout="constrained")
    grid = fig.add_gridspec(2, 3)
    for col, (label, res) in enumerate(runs.items()):
        ax = fig.add_subplot(grid[0, col])
        h = res["history"]
        ep = [e["epoch"] for e in h]
        ax.plot(ep, [100 * e["val_acc"] for e in h], "o-", ms=3, label="validation")
        ax.plot(ep, [100 * e["test_acc"] for e in h], "s--", ms=3, label="test")
        for key, name in (("hw_val_acc", "validation, through the hardware"), ("hw_test_acc", "test, through the hardware")):
            if h and all(key in e for e in h):
                ax.plot(ep, [100 * e[key] for e in h], "^:", ms=3, label=name)
        ax.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(0, 100),
               title=f"{label}: test {100 * res['test_acc_at_best_val']:.1f} % (at best validation)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        loss = ax.twinx()
        loss.plot(ep, [e["loss"] for e in h], color="gray", lw=1, alpha=0.7, label="training loss")
        loss.set_ylabel("training loss", color="gray")
        loss.set_ylim(bottom=0)
        lines = ax.get_lines() + loss.get_lines()
        ax.legend(lines, [ln.get_label() for ln in lines], loc="center right", fontsize=8)
    wl, spectra, source = ring
    if crossover is not None:
        from photrain.controller.energy.crossover import plot_crossover

        plot_crossover(fig.add_subplot(grid[1, 1]), crossover)
    ax = fig.add_subplot(grid[1, :1] if crossover is not None else grid[1, :2])
    for name, db in spectra.items():
        ax.plot(1e3 * np.asarray(wl), db, label=name)
    ax.set(xlabel="wavelength (nm)", ylabel="|S|² (dB)", title=f"ring filter spectrum: {source}",
           ylim=(max(-60.0, min(float(np.min(v)) for v in spectra.values()) - 3), 2))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = fig.add_subplot(grid[1, 2])
    names = list(energies)
    components = [c for c in next(iter(energies.values())) if any(e[c] > 0 for e in energies.values())]
    left = np.zeros(len(names))
    for comp in components:
        vals = np.array([1e6 * energies[n][comp] for n in names])
        ax.barh(names, vals, left=left, label=comp)
        left += vals
    for y, total in enumerate(left):
        ax.text(total, y, f" {total:.3g} µJ", va="center", fontsize=8)
    ax.set(xlabel="energy per training step (µJ, batch 32)", xlim=(0, 1.3 * left.max()),
           title="energy per step from the ledger\n(reference-paper preset)")
    ax.invert_yaxis()
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def run_demo(out: str | Path = "out", *, epochs: int = EPOCHS, seed: int = 1, progress: bool = True) -> dict:
    """Train the three runs into ``out/demo_<algorithm>/``, write ``out/demo.png`` and ``out/demo.json``."""
    from photrain.train import train

    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs, times = {}, {}
    for label, algorithm in RUNS:
        t = time.perf_counter()
        if progress:
            print(f"[demo] {label}: {algorithm} on digits, {epochs} epochs", flush=True)
        # the demo owns its demo_* folders: a rerun replaces the previous demo runs
        res = train(_config(algorithm, epochs, seed), out / f"demo_{algorithm}", progress=progress, overwrite=True)
        res.pop("params", None)
        res.pop("state", None)
        runs[label], times[label] = res, time.perf_counter() - t
    ring = ring_spectrum()
    energies = {label: energy_per_step(res) for label, res in runs.items()}
    from photrain.controller.energy.crossover import crossover, summary_line

    cross = crossover(core_rows=OPTICAL["core_rows"], batch=DEMO["batch_size"])  # the demo network at widths 64-4096
    fig = demo_figure(runs, ring, energies, cross)
    fig.savefig(out / "demo.png", dpi=100)
    wl, spectra, source = ring
    drop = spectra["drop (o1 → o3)"]
    summary = {
        "settings": {**{k: list(v) if isinstance(v, tuple) else v for k, v in DEMO.items()}, "epochs": epochs,
                     "seed": seed, "optical": OPTICAL},
        "runs": {label: {"algorithm": res["config"]["algorithm"], "best_val_acc": res["best_val_acc"],
                         "test_acc_at_best_val": res["test_acc_at_best_val"],
                         "final_test_acc": res["history"][-1]["test_acc"], "train_s": times[label],
                         "energy_per_step_j": sum(energies[label].values()),
                         **{k: res["history"][-1][k] for k in ("hw_val_acc", "hw_test_acc") if k in res["history"][-1]}}
                 for label, res in runs.items()},
        "ring": {"source": source, "drop_peak_nm": float(1e3 * wl[int(np.argmax(drop))]),
                 "drop_peak_db": float(np.max(drop))},
        "crossover": {"widths": cross["widths"], "energy_per_step_j": cross["energy_j"], "wins": cross["wins"],
                      "prevented_by": cross["prevented_by"], "line": summary_line(cross)},
        "wall_s": time.perf_counter() - t0,
    }
    (out / "demo.json").write_text(json.dumps(summary, indent=2))
    (out / "demo.md").write_text(format_table(summary) + "\n")
    return summary


def format_table(summary: dict) -> str:
    """The demo's results as the Markdown table the README shows (``out/demo.md``; tests/test_demo.py checks the
    README's copy against a fresh run of the same seed)."""
    s = summary["settings"]
    lines = [f"Measured (`photrain demo --out out`, seed {s['seed']}, {s['epochs']} epochs each):", "",
             "| run | best validation | test (at best validation) | final test | energy per step |",
             "|---|---|---|---|---|"]
    for label, r in summary["runs"].items():
        lines.append(f"| {label} | {100 * r['best_val_acc']:.1f} % | {100 * r['test_acc_at_best_val']:.1f} % | "
                     f"{100 * r['final_test_acc']:.1f} % | {1e6 * r['energy_per_step_j']:.3g} µJ |")
    return "\n".join(lines)


def format_summary(summary: dict) -> str:
    lines = [f"{'run':14s} {'best val':>9s} {'test':>7s} {'final test':>10s} {'µJ/step':>9s} {'time':>7s}"]
    for label, r in summary["runs"].items():
        lines.append(f"{label:14s} {100 * r['best_val_acc']:8.1f}% {100 * r['test_acc_at_best_val']:6.1f}% "
                     f"{100 * r['final_test_acc']:9.1f}% {1e6 * r['energy_per_step_j']:9.3g} {r['train_s']:6.1f}s")
    ring = summary["ring"]
    lines.append(f"ring filter: drop peak {ring['drop_peak_db']:.2f} dB at {ring['drop_peak_nm']:.3f} nm")
    if "crossover" in summary:
        lines.append(summary["crossover"]["line"])
    lines.append(f"total {summary['wall_s']:.1f} s")
    return "\n".join(lines)


__all__ = ["DEMO", "EPOCHS", "RUNS", "demo_figure", "energy_per_step", "format_summary", "format_table", "ring_spectrum",
           "run_demo"]
