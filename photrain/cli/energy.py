"""``photrain energy``: energy and latency of a training run, priced from its ledger."""

from __future__ import annotations

from pathlib import Path

from photrain.cli.options import one_line


def register(sub) -> None:
    """Add the ``energy`` command's parser to ``sub``."""
    from photrain.controller.energy import PRESETS

    p = sub.add_parser("energy", help="energy and latency of a training run (from its results.json ledger)")
    p.add_argument("results", help="results.json of a run, or its --out folder")
    p.add_argument("--preset", nargs="+", default=sorted(PRESETS), choices=sorted(PRESETS),
                   help="energy parameter sets (photrain/controller/energy/params.py SOURCES)")
    p.add_argument("--out", help="folder for energy.json and plots (default: next to results.json)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Energy/latency report of a training run's ledger, with plots, for each preset asked."""
    import json

    from photrain.controller import Ledger
    from photrain.controller.energy import (
        MEMORY_WRITE_ENERGY,
        CoreSpec,
        energy_report,
        plot_report,
        plot_sweep,
        steady_state_core,
        sweep_pj_per_mac,
    )

    path = Path(args.results)
    if path.is_dir():
        path = path / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; run 'photrain train --out DIR' first and pass DIR")
    try:
        results = json.loads(path.read_text())
        optical = results["config"]["optical"]
        core = CoreSpec(optical["core_rows"], results["layer_sizes"][-1])
        if results["config"].get("core") == "mesh":  # B·e (and inference) on n x n mesh tiles
            mesh = results["config"]["mesh"]
            n = int(mesh["n"])
            core = CoreSpec(n, n, kind="mesh", attenuator=mesh.get("attenuator", "mzi"),
                            gst_cells=int(mesh.get("gst_cells", 6)))
        epochs = results["epochs_run"]
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"epochs_run {epochs!r} is not a count")
        Ledger(**results["ledger"])  # the counts a report prices: every field a number
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in results["ledger"].values()):
            raise ValueError("the ledger's counts are not all numbers")
        if results["config"].get("memory", "float") not in MEMORY_WRITE_ENERGY:
            raise ValueError(f"unknown memory {results['config']['memory']!r}")
        if not isinstance(results["config"]["algorithm"], str) or not isinstance(optical, dict):
            raise ValueError("config.algorithm is not a name")
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise ValueError(f"{path} is not a photrain results.json ({one_line(err)}); "
                         "pass the --out folder of a finished 'photrain train' run") from err
    out = Path(args.out or path.parent)
    out.mkdir(parents=True, exist_ok=True)
    epochs = max(epochs, 1)
    summary = {}
    for preset in args.preset:
        rep = energy_report(results["ledger"], preset, core, memory=results["config"].get("memory", "float"),
                            weight_element=optical.get("weight_element", "heater"))
        summary[preset] = rep.as_dict()
        per = rep.per_step()
        steady = steady_state_core(preset, core, optical.get("weight_element", "heater")).pj_per_optical_mac
        print(f"[{preset}] per step {per['energy_j']:.3g} J, {per['latency_s']:.3g} s; per epoch "
              f"{rep.total_energy / epochs:.3g} J, {rep.latency / epochs:.3g} s; {rep.optical_mac_rate:.3g} optical MAC/s\n"
              f"    all work: {rep.pj_per_mac:.3g} pJ/MAC (everything / optical + digital MACs)\n"
              f"    optical core, this run: {rep.pj_per_optical_mac:.3g} pJ/MAC, per optical MAC (core + converters + heaters "
              "held during the whole run, controller time included / optical MACs)\n"
              f"    optical core, steady state: {steady:.3g} pJ/MAC, per optical MAC (every slot used, no re-programming, no "
              "controller, this run's core size: the best case energy_sweep.png plots)\n"
              "    by component, pJ/MAC (all MACs):")
        for name, joules in rep.energy.items():
            print(f"      {name:18s} {1e12 * joules / max(rep.optical_macs + rep.digital_macs, 1):10.4g}")
        plot_report(rep, out / f"energy_{preset}.png", title=f"{results['config']['algorithm']}: {preset} preset")
    plot_sweep({p: sweep_pj_per_mac(p) for p in args.preset}, out / "energy_sweep.png")
    (out / "energy.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {out / 'energy.json'}, energy_<preset>.png and energy_sweep.png in {out}")
    return 0
