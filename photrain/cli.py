"""The ``photrain`` command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _port_pairs(items):
    if not items:
        return None
    pairs = []
    for item in items:
        if "," not in item:
            raise ValueError(f"port pair {item!r} must be 'in,out', e.g. o1,o3")
        a, b = item.split(",", 1)
        pairs.append((a.strip(), b.strip()))
    return pairs


def cmd_simulate(args) -> int:
    from photrain.circuits import load_circuit, plot_sweep, sweep
    from photrain.circuits.sweep import parse_wl_range

    wl = parse_wl_range(args.wl)
    _, func = load_circuit(args.circuit)
    spectra = sweep(func, wl, _port_pairs(args.ports))
    for (a, b), db in spectra.items():
        print(f"{a} -> {b}: max {db.max():7.2f} dB at {wl[db.argmax()] * 1e3:.3f} nm, min {db.min():7.2f} dB")
    if args.plot:
        plot_sweep(wl, spectra, args.plot, title=Path(args.circuit).name)
        print(f"wrote {args.plot}")
    return 0


def cmd_layout(args) -> int:
    from photrain.circuits import write_gds

    path = write_gds(args.circuit, args.output)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def _key_values(items, option: str) -> dict:
    """KEY=VALUE pairs (values parsed as YAML scalars: 8, 1e-6, true, nearest) into a dict."""
    import yaml

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{option} {item!r} must be KEY=VALUE, e.g. {option} transfer_interval=8000")
        parsed = yaml.safe_load(value)
        if not isinstance(parsed, (int, float, str, bool)) and parsed is not None:
            raise ValueError(f"{option} {item!r}: the value must be a number, a word or true/false")
        out[key.strip()] = parsed
    return out


def _train_config(args):
    from photrain.train import CrossbarConfig, OpticalConfig, TrainConfig

    optical = OpticalConfig(core_rows=args.core_rows, adc_bits=args.adc_bits, dac_bits=args.dac_bits,
                            power_per_channel=args.power * 1e-3, ideal=args.ideal_core,
                            heater_bits=args.heater_bits or None)
    memory, memory_params = args.memory, _key_values(args.memory_param, "--memory-param")
    if args.memory_bits is not None:  # the 0.1 spelling of a fixed-point memory
        if memory not in ("float", "fixed"):
            raise ValueError(f"--memory-bits sets a fixed-point memory; it cannot be combined with --memory {memory}")
        memory, memory_params = "fixed", {"bits": args.memory_bits, **memory_params}
    core = args.core
    if args.forward_on_cores:  # the 0.1 spelling of --core bank
        if core not in ("digital", "bank"):
            raise ValueError(f"--forward-on-cores means --core bank; it cannot be combined with --core {core}")
        core = "bank"
    return TrainConfig(dataset=args.dataset, hidden=tuple(args.hidden), algorithm=args.algorithm, epochs=args.epochs,
                       batch_size=args.batch_size, lr=args.lr, momentum=args.momentum, seed=args.seed,
                       val_size=args.val_size, noise_sigma=args.noise_sigma, noise_mu=args.noise_mu,
                       memory=memory, memory_params=memory_params, core=core, pulse_mode=args.pulse_mode,
                       optical=optical, crossbar=CrossbarConfig(ideal=args.ideal_core),
                       data_dir=args.data_dir, shuffle=not args.no_shuffle, standardize=args.standardize)


def cmd_train(args) -> int:
    from photrain.train import train

    config = _train_config(args)
    results = train(config, args.out, resume=args.resume, progress=not args.quiet)
    print(f"best validation {100 * results['best_val_acc']:.2f}% at epoch {results['best_epoch']}; "
          f"test {100 * results['test_acc_at_best_val']:.2f}%; "
          f"{results['mean_epoch_time_s']:.2f} s/epoch")
    print(f"wrote {Path(args.out) / 'results.json'} and {Path(args.out) / 'learning_curve.png'}")
    return 0


def cmd_demo(args) -> int:
    """Main job: optical DFA on the offline digits set (learning curve), plus a ring-filter spectrum."""
    out = Path(args.out)
    ns = build_parser().parse_args(["train", "--dataset", "digits", "--algorithm", "optical-dfa", "--hidden", "128",
                                    "128", "--epochs", str(args.epochs), "--batch-size", "16", "--lr", "0.05",
                                    "--out", str(out / "train_demo")])
    rc = cmd_train(ns)
    root = Path(__file__).resolve().parent.parent
    circuit = root / "circuits" / "ring_filter.pic.yml"
    if rc == 0 and circuit.exists():
        ns = argparse.Namespace(circuit=str(circuit), wl="1.54:1.56:2001", ports=None, plot=str(out / "ring_filter.png"))
        rc = cmd_simulate(ns)
    return rc


def cmd_energy(args) -> int:
    """Energy/latency report of a training run's ledger, with plots, for each preset asked."""
    import json

    from photrain.controller.energy import CoreSpec, energy_report, plot_report, plot_sweep, sweep_pj_per_mac

    path = Path(args.results)
    if path.is_dir():
        path = path / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; run 'photrain train --out DIR' first and pass DIR")
    results = json.loads(path.read_text())
    optical = results["config"]["optical"]
    core = CoreSpec(optical["core_rows"], results["layer_sizes"][-1])
    out = Path(args.out or path.parent)
    out.mkdir(parents=True, exist_ok=True)
    epochs = max(results["epochs_run"], 1)
    summary = {}
    for preset in args.preset:
        rep = energy_report(results["ledger"], preset, core, memory=results["config"].get("memory", "float"))
        summary[preset] = rep.as_dict()
        per = rep.per_step()
        print(f"[{preset}] {rep.optical_mac_rate:.3g} optical MAC/s; optical core {rep.pj_per_optical_mac:.3g} pJ/MAC; "
              f"all work {rep.pj_per_mac:.3g} pJ/MAC; per step {per['energy_j']:.3g} J, {per['latency_s']:.3g} s; "
              f"per epoch {rep.total_energy / epochs:.3g} J, {rep.latency / epochs:.3g} s")
        for name, joules in rep.energy.items():
            print(f"    {name:18s} {1e12 * joules / max(rep.optical_macs + rep.digital_macs, 1):10.4g} pJ/MAC")
        plot_report(rep, out / f"energy_{preset}.png", title=f"{results['config']['algorithm']}: {preset} preset")
    plot_sweep({p: sweep_pj_per_mac(p) for p in args.preset}, out / "energy_sweep.png")
    (out / "energy.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {out / 'energy.json'}, energy_<preset>.png and energy_sweep.png in {out}")
    return 0


def cmd_bench(args) -> int:
    """Batch-1 latency/energy table: photonic core (model) vs this machine's CPU (and GPU) measured."""
    import json

    from photrain.bench import format_table, latency_table

    rows = latency_table(tuple(args.hidden), core_rows=args.core_rows, cpu_watts=args.cpu_watts,
                         gpu_watts=args.gpu_watts, repeats=args.repeats)
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="photrain", description="Silicon-photonic circuit and training simulator")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="sweep a circuit YAML over wavelength and plot |S|^2")
    p.add_argument("circuit", help="circuit file, e.g. circuits/ring_filter.pic.yml")
    p.add_argument("--wl", default="1.50:1.60:2001", help="start:stop:points in µm (default 1.50:1.60:2001)")
    p.add_argument("--ports", nargs="*", help="port pairs in,out (default: o1 to every other port)")
    p.add_argument("--plot", help="write the spectrum plot to this PNG")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("layout", help="build a circuit YAML's layout and write GDS")
    p.add_argument("circuit")
    p.add_argument("-o", "--output", required=True, help="output .gds path")
    p.set_defaults(func=cmd_layout)

    from photrain.controller import CORES, MEMORIES, PULSE_MODES
    from photrain.train.algorithms import ALGORITHMS
    from photrain.train.data import DATASETS

    p = sub.add_parser("train", help="train an MLP with backprop, DFA or optical DFA on the simulated cores")
    p.add_argument("--dataset", default="digits", choices=DATASETS)
    p.add_argument("--data-dir", help="folder holding mnist/ or fashion-mnist/ (default $PHOTRAIN_DATA_DIR)")
    p.add_argument("--hidden", type=int, nargs="+", default=[800, 800], help="hidden widths")
    p.add_argument("--algorithm", default="optical-dfa", choices=ALGORITHMS)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--val-size", type=int, help="validation samples taken from the test split (default half)")
    p.add_argument("--noise-sigma", type=float, default=0.618, help="reference-noise DFA: sigma")
    p.add_argument("--noise-mu", type=float, default=0.03, help="reference-noise DFA: mu")
    p.add_argument("--memory", default="float", choices=MEMORIES,
                   help="weight memory device (default float): float, fixed, pcm, pcm-3t1c (Ambrogio 2018), rram, cbram")
    p.add_argument("--memory-param", action="append", metavar="KEY=VALUE",
                   help="override a memory parameter, e.g. transfer_interval=8000 (repeatable; see photrain.memory)")
    p.add_argument("--memory-bits", type=int, help="shorthand for --memory fixed --memory-param bits=N")
    p.add_argument("--core", default="digital", choices=CORES,
                   help="where the forward products (and backprop's W^T d) run: digital (default), bank (MRR weight "
                        "banks re-programmed from memory every batch) or crossbar (memristive arrays, in the memory)")
    p.add_argument("--pulse-mode", default="analog", choices=PULSE_MODES,
                   help="memory writes: analog (the pulses each change needs, default) or sign (one fixed pulse)")
    p.add_argument("--core-rows", type=int, default=64, help="optical core rows per pass")
    p.add_argument("--adc-bits", type=int, default=8)
    p.add_argument("--dac-bits", type=int, default=8)
    p.add_argument("--power", type=float, default=1.0, help="optical power per WDM channel (mW)")
    p.add_argument("--heater-bits", type=int, default=12, help="ring heater DAC bits (0 = ideal)")
    p.add_argument("--forward-on-cores", action="store_true", help="shorthand for --core bank")
    p.add_argument("--ideal-core", action="store_true", help="noise-free, crosstalk-free core, ideal converters")
    p.add_argument("--no-shuffle", action="store_true", help="keep the training set's file order (the reference code on CPU)")
    p.add_argument("--standardize", action="store_true", help="standardise inputs with the training set's mean and std")
    p.add_argument("--out", default="out/train", help="output folder: checkpoint, results.json, learning curve")
    p.add_argument("--resume", action="store_true", help="continue from --out/checkpoint.npz")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    from photrain.controller.energy import PRESETS

    p = sub.add_parser("energy", help="energy and latency of a training run (from its results.json ledger)")
    p.add_argument("results", help="results.json of a run, or its --out folder")
    p.add_argument("--preset", nargs="+", default=sorted(PRESETS), choices=sorted(PRESETS))
    p.add_argument("--out", help="folder for energy.json and plots (default: next to results.json)")
    p.set_defaults(func=cmd_energy)

    p = sub.add_parser("bench", help="batch-1 latency and energy: photonic core model vs this machine, measured")
    p.add_argument("--hidden", type=int, nargs="+", default=[800, 800])
    p.add_argument("--core-rows", type=int, default=64)
    p.add_argument("--cpu-watts", type=float, default=30.0, help="stated CPU power while busy (W)")
    p.add_argument("--gpu-watts", type=float, default=300.0, help="stated GPU power while busy (W)")
    p.add_argument("--repeats", type=int, default=200)
    p.add_argument("--json", help="also write the rows as JSON here")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("demo", help="the main job: optical DFA on the offline digits set, plots in --out")
    p.add_argument("--out", default="out", help="output folder (default out/)")
    p.add_argument("--epochs", type=int, default=10)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("photrain: interrupted; the last checkpoint is kept (rerun with --resume)", file=sys.stderr)
        return 130
    except (ValueError, KeyError, FileNotFoundError, RuntimeError) as err:
        msg = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"photrain: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
