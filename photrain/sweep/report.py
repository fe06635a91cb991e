"""Plots of a sweep: every metric against every swept parameter, mean ± sd over seeds.

Figures are :class:`matplotlib.figure.Figure` objects (no pyplot, no backend
change): they are saved as PNG and returned, so a notebook shows one by
leaving it as a cell's last value.
"""

from __future__ import annotations

import math
from pathlib import Path

from photrain.sweep.spec import SEED_KEY, SweepSpec

LABELS = {
    "best_val_acc": "best validation accuracy",
    "test_acc_at_best_val": "test accuracy (at best validation)",
    "final_val_acc": "final validation accuracy",
    "final_test_acc": "final test accuracy",
    "energy_per_step_j": "energy per step (J, reference-paper preset)",
    "pj_per_optical_mac": "pJ per optical MAC (core + converters)",
    "mean_epoch_time_s": "time per epoch (s, this machine)",
}
MAX_LINES = 6


def _number(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _stats(values):
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return math.nan, math.nan
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return m, sd


def _text(v) -> str:
    """A value as a legend shows it: 8 rather than 8.0, 0.0001 as 1e-04."""
    x = _number(v)
    if x is None:
        return str(v)
    if x.is_integer() and abs(x) < 1e6:
        return str(int(x))
    return f"{x:.3g}"


def _label(key: str) -> str:
    return key + (" (W)" if key.endswith("power_per_channel") else "")


def metric_figure(rows: list[dict], spec: SweepSpec, metric: str):
    """One figure for ``metric``: a panel per swept parameter (seed excluded), mean ± sd over seeds.

    In each panel, one line per combination of the other swept parameters (up to
    6; beyond that they are averaged over too). Parameters with many distinct
    values (random sweeps) are drawn as points, one per trial.
    """
    from matplotlib.figure import Figure

    done = [r for r in rows if r.get("status") == "done" and _number(r.get(metric)) is not None]
    params = [k for k in spec.swept if k != SEED_KEY] or [k for k in spec.swept]
    fig = Figure(figsize=(4.6 * len(params), 3.6), layout="constrained")
    axes = fig.subplots(1, len(params), squeeze=False)[0]
    scale = 100.0 if metric.endswith("_acc") or "acc_" in metric else 1.0
    for ax, x_key in zip(axes, params, strict=True):
        others = [k for k in params if k != x_key]
        combos = sorted({tuple(str(r.get(k)) for k in others) for r in done})
        if len(combos) > MAX_LINES:
            others, combos = [], [()]
        xs_all = sorted({str(r.get(x_key)) for r in done}, key=lambda s: (_number(s) is None, _number(s) or 0, s))
        numeric = all(_number(v) is not None for v in xs_all)
        scatter = numeric and len(xs_all) > 12
        for combo in combos:
            sel = [r for r in done if tuple(str(r.get(k)) for k in others) == combo]
            label = ", ".join(f"{k}={_text(v)}" for k, v in zip(others, combo, strict=True)) or None
            if scatter:
                ax.plot([_number(r[x_key]) for r in sel], [scale * _number(r[metric]) for r in sel], "o", ms=4,
                        label=label)
                continue
            xs, means, sds = [], [], []
            for x in xs_all:
                group = [scale * _number(r[metric]) for r in sel if str(r.get(x_key)) == x]
                if group:
                    m, s = _stats(group)
                    xs.append(_number(x) if numeric else xs_all.index(x))
                    means.append(m)
                    sds.append(s)
            ax.errorbar(xs, means, yerr=sds, fmt="o-", capsize=3, label=label)
        if numeric:
            vals = [_number(v) for v in xs_all]
            if vals and min(vals) > 0 and max(vals) / min(vals) > 20:
                ax.set_xscale("log")
            if all(v.is_integer() for v in vals) and len(vals) <= 12:
                ax.set_xticks(vals, [f"{int(v)}" for v in vals])
        else:
            ax.set_xticks(range(len(xs_all)), xs_all)
        ax.set_xlabel(_label(x_key))
        ax.set_ylabel(LABELS.get(metric, metric) + (" (%)" if scale == 100.0 else ""))
        values = [_number(r[metric]) for r in done]
        if (metric.startswith("energy") or metric.startswith("pj_")) and values and min(values) > 0 \
                and max(values) / min(values) > 10:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=7)
    seeds = sorted({str(r.get(SEED_KEY)) for r in done}) if SEED_KEY in spec.swept else []
    fig.suptitle(f"{spec.name}: {LABELS.get(metric, metric)}" + (f" (mean ± sd over {len(seeds)} seeds)"
                                                                 if len(seeds) > 1 else ""), fontsize=10)
    return fig


def plot_metrics(rows: list[dict], spec: SweepSpec, out_dir: str | Path) -> list[Path]:
    """Write ``sweep_<metric>.png`` for every metric of the spec that some finished trial has; returns the paths."""
    out = Path(out_dir)
    paths = []
    for metric in spec.metrics:
        if not any(r.get("status") == "done" and _number(r.get(metric)) is not None for r in rows):
            continue
        fig = metric_figure(rows, spec, metric)
        path = out / f"sweep_{metric}.png"
        fig.savefig(path, dpi=110)
        paths.append(path)
    return paths


def read_rows(csv_path: str | Path) -> list[dict]:
    """sweep.csv back into row dicts (numbers as floats where they parse)."""
    import csv

    rows = []
    with open(csv_path, newline="") as f:
        for r in csv.DictReader(f):
            rows.append({k: (_number(v) if _number(v) is not None and k not in ("trial", "status", "error") else v)
                         for k, v in r.items()})
    return rows


def plot_csv(csv_path: str | Path, spec_source, metric: str | None = None):
    """The figure of one metric straight from a sweep.csv and its spec (YAML path, dict or SweepSpec)."""
    from photrain.sweep.spec import load_spec

    spec = load_spec(spec_source)
    return metric_figure(read_rows(csv_path), spec, metric or spec.metrics[0])


__all__ = ["metric_figure", "plot_csv", "plot_metrics", "read_rows"]
