"""STDP runs through the controller: synapses in a weight memory (e.g. CBRAM), integration on a core, the ledger,
results.json and the plots (receptive fields, accuracy vs pruned fraction).

The controller (:class:`photrain.controller.Controller`) owns the memory and the core; this module only asks it
for the six synapse operations the spiking network needs (:class:`photrain.train.spiking.Synapses`, built by
:meth:`photrain.controller.Controller.synapse_array`).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace
from pathlib import Path

import jax
import numpy as np

from photrain.controller import Ledger, build_controller
from photrain.controller.hardware import OpticalConfig
from photrain.train.spiking import STDPConfig, STDPResult, Synapses, train_stdp


def controller_synapses(ctrl, *, program_pulses: int | None = None) -> Synapses:
    """The spiking network's synapses behind the controller: its memory, integrated on its core.

    A thin adapter: the controller builds the six operations (:meth:`photrain.controller.Controller.synapse_array`,
    see :mod:`photrain.controller.synapses`), this only hands them over as a :class:`Synapses`; nothing here
    touches the memory or the core. ValueError for a core the spiking network cannot use (crossbar, mesh).
    """
    return Synapses(*ctrl.synapse_array(program_pulses=program_pulses))


def stdp_ledger(ctrl, result: STDPResult, device_counts: dict) -> Ledger:
    """Work of the training (label assignment and test excluded).

    Every output spike: one product (1 x N inputs) x (N x K) on the core (re-programmed on a bank, since the
    weights changed), a read of the winner's row and the writes of its unfrozen synapses. A digital (float)
    memory counts synapse writes as memory_writes; a device memory counts its pulses.
    """
    K, N = result.weights.shape
    spikes = int(result.spikes.sum())
    led = ctrl.spike_ledger((K, N), spikes)
    if ctrl.digital_memory:
        led.add(memory_writes=result.writes)
    for name, value in device_counts.items():
        led.add(**{name: value})
    if result.config.normalise:  # feed-forward inhibition: K multiply-adds, and the winner's row sum (N adds)
        led.add(digital_macs=spikes * (K + N))
    return led


def run_stdp(cfg: STDPConfig, out: str | Path | None = None, *, dataset: str = "mnist", data_dir=None,
             memory: str = "float", memory_params: dict | None = None, core: str = "digital",
             optical: OpticalConfig | None = None, progress: bool = True, max_images: int | None = None,
             test_images: int | None = None, plots: bool = True, fit_prune: tuple[str, ...] = (),
             holdout: int = 0) -> dict:
    """Train the spiking network on ``dataset`` with its synapses in ``memory``, integrating on ``core``.

    ``fit_prune``: the pruning-schedule fields ('mature_spikes', 'prune_ramp') to scale to this run's length
    (:func:`photrain.train.defaults.fit_prune_schedule`: the CLI's defaults when the user did not set them).
    ``holdout``: > 0 scores on the last ``holdout`` training images (a validation split, for choosing settings
    without the test set) and trains and assigns labels on the rest; ``test_images`` then caps the split.

    Writes ``results.json`` (accuracy, writes, writes saved by pruning, the ledger, the configuration) and
    ``receptive_fields.png`` into ``out`` when given; returns the results dict.
    """
    from photrain.train.data import load_dataset

    data = load_dataset(dataset, data_dir)
    if fit_prune:
        from photrain.train.defaults import fit_prune_schedule

        fitted = fit_prune_schedule(cfg, min(max_images or len(data.x_train), len(data.x_train)))
        cfg = replace(cfg, **{k: getattr(fitted, k) for k in fit_prune})
    n_in = min(cfg.n_pixels or data.n_features, data.n_features)
    optical = optical or OpticalConfig(core_rows=64)
    # a bank has 10 WDM channels (the controller's default); the N inputs are spread over blocks of banks
    ctrl = build_controller(memory=memory, memory_params=memory_params or {}, core=core, optical=optical)
    syn = controller_synapses(ctrl) if (memory != "float" or core != "digital") else None
    xtr, ytr, xte, yte = data.x_train, data.y_train, data.x_test, data.y_test
    if holdout:
        if not 0 < holdout < len(xtr):
            raise ValueError(f"holdout must be in [0, {len(xtr)}) (training images kept for validation); got {holdout}")
        xtr, ytr, xte, yte = xtr[:-holdout], ytr[:-holdout], xtr[-holdout:], ytr[-holdout:]
    if test_images is not None:
        xte, yte = xte[:test_images], yte[:test_images]
    result = train_stdp(cfg, xtr, ytr, xte, yte, n_classes=data.n_classes, synapses=syn,
                        progress=progress, max_images=max_images)
    led = stdp_ledger(ctrl, result, result.device_counts)
    results = {**result.summary(), "dataset": dataset, "memory": memory, "memory_params": memory_params or {},
               "core": core, "holdout": holdout, "device_counts": result.device_counts, "ledger": led.as_dict(),
               "writes_saved_fraction": result.writes_saved / max(result.writes + result.writes_saved, 1),
               # what `photrain energy` reads (the ledger's "steps" are output spikes: one row update each)
               "layer_sizes": [n_in + 1, cfg.neurons], "epochs_run": cfg.epochs, "n_classes": data.n_classes}
    results["config"] = {**results["config"], "algorithm": "stdp", "dataset": dataset, "memory": memory,
                         "memory_params": memory_params or {}, "core": core, "optical": asdict(optical)}
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=2, default=_json))
        np.savez_compressed(out / "weights.npz", weights=result.weights, pixels=result.pixels, labels=result.labels,
                            frozen=result.frozen, theta=result.theta, class_rates=result.stats.rates,
                            class_images=result.stats.images)
        if plots:
            side = math.isqrt(data.n_features - 1) + 1  # the smallest square holding every feature (Braille: 54)
            plot_receptive_fields(result, side=side, path=out / "receptive_fields.png",
                                  title=f"{dataset}: {cfg.neurons} neurons, prune {cfg.prune} "
                                        f"{result.pruned_fraction:.0%}, accuracy {result.accuracy:.1%}")
    return results


def _json(o):
    if isinstance(o, np.generic | jax.Array):
        return o.item() if np.ndim(o) == 0 else np.asarray(o).tolist()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def plot_receptive_fields(result: STDPResult, *, side: int, n: int = 100, path=None, title: str = ""):
    """A grid of the first ``n`` neurons' weights on the image grid (cropped pixels blank), with their labels."""
    from matplotlib.figure import Figure

    rf = result.receptive_fields(side)[:n]
    cols = int(math.ceil(math.sqrt(len(rf))))
    rows = int(math.ceil(len(rf) / cols))
    fig = Figure(figsize=(1.1 * cols, 1.15 * rows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    im = None
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i < len(rf):
            im = ax.imshow(rf[i], cmap="RdBu_r", vmin=result.config.w_min, vmax=result.config.w_max)
            ax.set_title(str(result.labels[i]), fontsize=7, pad=1)
    if im is not None:
        fig.colorbar(im, ax=axes.tolist(), shrink=0.6, label="weight")
    fig.suptitle(title or "receptive fields (title: assigned class)", fontsize=9)
    if path is not None:
        fig.savefig(path, dpi=110)
        return path
    return fig


def plot_prune_sweep(rows: list[dict], path=None, *, title: str = ""):
    """Accuracy vs pruned fraction for soft and conventional pruning; ``rows``: dicts with prune, pruned_fraction
    (or prune_fraction), accuracy and writes_saved_fraction. The unpruned run is drawn as a line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.6), layout="constrained")
    a1, a2 = fig.subplots(1, 2)
    base = [r for r in rows if r["prune"] == "none"]
    for mode, color, label in (("soft", "tab:blue", "soft-pruning (frozen at a constant)"),
                               ("hard", "tab:red", "conventional pruning (frozen at 0)")):
        rs = sorted((r for r in rows if r["prune"] == mode), key=lambda r: r["prune_fraction"])
        if rs:
            a1.plot([100 * r["prune_fraction"] for r in rs], [100 * r["accuracy"] for r in rs], "o-", color=color,
                    label=label)
            a2.plot([100 * r["prune_fraction"] for r in rs], [100 * r["writes_saved_fraction"] for r in rs], "o-",
                    color=color, label=label)
    for r in base:
        a1.axhline(100 * r["accuracy"], color="k", ls="--", lw=0.8, label="unpruned")
    a1.set(xlabel="pruned fraction of a matured neuron's weights (%)", ylabel="test accuracy (%)",
           title="accuracy")
    a2.set(xlabel="pruned fraction of a matured neuron's weights (%)", ylabel="STDP writes saved (%)",
           title="writes saved by pruning")
    for a in (a1, a2):
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=110)
        return path
    return fig


def config_from_args(**kw) -> STDPConfig:
    """An :class:`STDPConfig` from keyword options (None values keep the defaults)."""
    return replace(STDPConfig(), **{k: v for k, v in kw.items() if v is not None})
