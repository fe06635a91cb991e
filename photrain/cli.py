"""The ``photrain`` command line."""

from __future__ import annotations

import argparse
import os
import re
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


def _check_output(out, option: str, inputs, suffixes=None) -> None:
    """Refuse an output path that is an input file or has a suffix nothing can write, before any work."""
    if not out:
        return
    path = Path(out)
    if suffixes is not None and path.suffix.lower().lstrip(".") not in suffixes:
        raise ValueError(f"{option} {out!r}: unsupported file type {path.suffix or '(none)'!r}; "
                         f"use one of .{', .'.join(sorted(suffixes))}")
    if path.is_dir():
        raise ValueError(f"{option} {out!r} is a folder; give a file name inside it")
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ValueError(f"{option} {out!r}: cannot write in {str(parent)!r}; choose a writable folder")
    for src in inputs:
        try:
            same = Path(src).resolve() == path.resolve() or (path.exists() and os.path.samefile(src, path))
        except OSError:
            same = False
        if same:
            raise ValueError(f"{option} {out!r} is the input file {src!r}; choose another output path")


def _plot_suffixes() -> set[str]:
    from matplotlib.figure import Figure

    return set(Figure().canvas.get_supported_filetypes())


def cmd_simulate(args) -> int:
    from photrain.circuits import plot_sweep, sweep
    from photrain.circuits.sweep import default_wl_range, lit_pairs, parse_wl_range
    from photrain.layout import load_circuit

    # Everything the arguments alone can refuse is refused before the circuit is built.
    wl = parse_wl_range(args.wl, max_points=args.max_points) if args.wl is not None else None
    port_pairs = _port_pairs(args.ports)
    _check_output(args.plot, "--plot", [args.circuit], _plot_suffixes())
    _check_output(args.touchstone, "--touchstone", [args.circuit])
    if args.touchstone:
        from photrain.circuits.touchstone import _port_count_of_path

        if _port_count_of_path(Path(args.touchstone)) is None:
            raise ValueError(f"--touchstone {args.touchstone!r} must end in .sNp (N = number of ports), e.g. out.s4p")
    _, func = load_circuit(args.circuit, max_instances=args.max_instances)
    if args.touchstone:
        import sax

        n = len(sax.get_ports(func(wl=1.55)))
        if _port_count_of_path(Path(args.touchstone)) != n:
            raise ValueError(f"--touchstone {args.touchstone!r}: this circuit has {n} ports, so the file must end in .s{n}p")
    if wl is None:
        wl = default_wl_range(func)
        print(f"wavelength span {wl[0]:.4f}:{wl[-1]:.4f} µm ({len(wl)} points, two FSRs around 1.55 µm; set --wl to change)")
    spectra = sweep(func, wl, port_pairs)
    lit, dark = lit_pairs(spectra)
    for (a, b), db in lit.items():
        print(f"{a} -> {b}: max {db.max():7.2f} dB at {wl[db.argmax()] * 1e3:.3f} nm, min {db.min():7.2f} dB")
    if dark:
        print(f"no light at: {', '.join(dark)} (left out of the plot)")
    if args.plot:
        plot_sweep(wl, spectra, args.plot, title=Path(args.circuit).name)
        print(f"wrote {args.plot}")
    if args.touchstone:
        from photrain.circuits.touchstone import write_touchstone

        path = write_touchstone(func, args.touchstone, wl)
        print(f"wrote {path} ({len(wl)} frequencies; port order in its header)")
    return 0


def cmd_layout(args) -> int:
    from photrain.layout import render_png, write_gds
    from photrain.layout.chip import write_chip

    if (args.circuit is None) == (args.chip is None):
        raise ValueError("layout needs a circuit YAML or --chip bank|mesh (exactly one), e.g. --chip mesh -o mesh.gds")
    _check_output(args.png, "--png", [args.circuit or ""], {"png"})
    if args.chip:
        path = write_chip(args.chip, args.output, size=args.size)
    else:
        path = write_gds(args.circuit, args.output, max_instances=args.max_instances)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    if args.png:
        print(f"wrote {render_png(path, args.png)}")
    return 0


def cmd_drc(args) -> int:
    from photrain.layout.drc import run_drc

    report = run_drc(args.layout, args.deck)
    print(report.summary())
    for v in report.violations[: args.show]:
        print(f"  {v}")
    if len(report.violations) > args.show:
        print(f"  ... and {len(report.violations) - args.show} more (all in the marker file)")
    if report.clean:
        return 0
    layout = Path(args.layout)
    markers = Path(args.markers) if args.markers else layout.with_name(f"{layout.stem}_drc.gds")
    print(f"wrote {report.write_markers(markers)} (markers on layer 205/0, labelled with the rule)")
    return 1


def _key_values(items, option: str) -> dict:
    """KEY=VALUE pairs into a dict of KEY -> the VALUE text (typed by whoever knows the key's type)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{option} {item!r} must be KEY=VALUE, e.g. {option} transfer_interval=8000")
        out[key.strip()] = value
    return out


def _memory_params(memory: str, params: dict) -> dict:
    """--memory-param values parsed to the declared type of that parameter of --memory (one parser for all)."""
    from photrain.memory import memory_params

    return memory_params(memory, params, "--memory-param")


#: train options that default to None and are resolved per algorithm x dataset (photrain.train.defaults)
_RESOLVED = ("hidden", "epochs", "batch_size", "lr", "momentum", "beta", "free_steps", "nudged_steps", "relax_step",
             "layer_scale", "random_sign_beta", "channel_spacing")
_RESOLVED_STDP = ("neurons", "epochs")


def _resolve_defaults(args) -> dict:
    """Fill the train options left unset from photrain.train.defaults; returns the ones the user gave."""
    from photrain.train.defaults import resolve

    names = _RESOLVED_STDP if args.algorithm == "stdp" else _RESOLVED
    given = {k: getattr(args, k) for k in names}
    context = {"symmetric_beta": args.symmetric_beta} if args.algorithm != "stdp" else {}
    for k, v in resolve(args.algorithm, args.dataset, {**given, **context}).items():
        setattr(args, k, v)
    return {k: v for k, v in given.items() if v is not None}


def _train_config(args):
    from photrain.train import CrossbarConfig, MeshConfig, OpticalConfig, TrainConfig

    mesh = MeshConfig(n=args.mesh_modes, topology=args.mesh_topology, coupler_sigma=args.mesh_coupler_sigma,
                      phase_sigma=args.mesh_phase_sigma, phase_bits=args.mesh_phase_bits or None,
                      adc_bits=args.adc_bits, dac_bits=args.dac_bits, power_per_channel=args.power * 1e-3,
                      ideal=args.ideal_core, attenuator=args.mesh_attenuator, gst_cells=args.mesh_gst_cells,
                      gst_levels=args.gst_levels)
    optical = OpticalConfig(core_rows=args.core_rows, adc_bits=args.adc_bits, dac_bits=args.dac_bits,
                            power_per_channel=args.power * 1e-3, ideal=args.ideal_core, spacing=args.channel_spacing,
                            heater_bits=args.heater_bits or None, receiver=args.receiver,
                            input_modulator=args.input_modulator, predistortion=not args.no_predistortion,
                            weight_element=args.weight_element, gst_levels=args.gst_levels)
    memory, memory_params = args.memory, _key_values(args.memory_param, "--memory-param")
    if args.memory_bits is not None:  # the 0.1 spelling of a fixed-point memory
        if memory not in ("float", "fixed"):
            raise ValueError(f"--memory-bits sets a fixed-point memory; it cannot be combined with --memory {memory}")
        memory, memory_params = "fixed", {"bits": args.memory_bits, **memory_params}
    memory_params = _memory_params(memory, memory_params)
    core = args.core
    if args.forward_on_cores:  # the 0.1 spelling of --core bank
        if core not in ("digital", "bank"):
            raise ValueError(f"--forward-on-cores means --core bank; it cannot be combined with --core {core}")
        core = "bank"
    return TrainConfig(dataset=args.dataset, hidden=tuple(args.hidden), algorithm=args.algorithm, epochs=args.epochs,
                       batch_size=args.batch_size, lr=args.lr, momentum=args.momentum, seed=args.seed,
                       val_size=args.val_size, noise_sigma=args.noise_sigma, noise_mu=args.noise_mu,
                       memory=memory, memory_params=memory_params, core=core, pulse_mode=args.pulse_mode,
                       optical=optical, crossbar=CrossbarConfig(ideal=args.ideal_core), mesh=mesh,
                       data_dir=args.data_dir, shuffle=not args.no_shuffle, standardize=args.standardize,
                       beta=args.beta, free_steps=args.free_steps, nudged_steps=args.nudged_steps,
                       eqprop_variant=args.eqprop_variant, random_sign_beta=args.random_sign_beta,
                       symmetric_beta=args.symmetric_beta,
                       layer_scale=None if args.layer_scale is None else tuple(args.layer_scale),
                       relax_step=args.relax_step)


def _cmd_train_stdp(args) -> int:
    """The spiking network with STDP (Shi, Kuzum et al. 2018): photrain.train.spiking_run."""
    from photrain.controller import OpticalConfig
    from photrain.train.defaults import chance_warning, prune_warning
    from photrain.train.spiking import STDPConfig
    from photrain.train.spiking_run import run_stdp

    given = _resolve_defaults(args)
    fit = tuple(k for k in ("mature_spikes", "prune_ramp") if getattr(args, k) is None)  # scaled to the run's length
    cfg = STDPConfig(neurons=args.neurons, epochs=args.epochs, prune=args.prune, prune_fraction=args.prune_fraction,
                     seed=args.seed, **({"readout": args.readout} if args.readout else {}),
                     **{k: getattr(args, k) for k in ("mature_spikes", "prune_ramp") if k not in fit})
    optical = OpticalConfig(core_rows=args.core_rows, adc_bits=args.adc_bits, dac_bits=args.dac_bits,
                            power_per_channel=args.power * 1e-3, ideal=args.ideal_core,
                            heater_bits=args.heater_bits or None)
    core = "bank" if args.forward_on_cores else args.core
    memory_params = _memory_params(args.memory, _key_values(args.memory_param, "--memory-param"))
    r = run_stdp(cfg, args.out, dataset=args.dataset, data_dir=args.data_dir, memory=args.memory,
                 memory_params=memory_params, core=core, optical=optical,
                 progress=not args.quiet, max_images=args.max_images, fit_prune=fit)
    print(f"stdp {cfg.neurons} neurons, prune {cfg.prune} ({100 * r['pruned_fraction']:.1f}% of synapses frozen): "
          f"test {100 * r['accuracy']:.2f}%; {r['writes']} synapse writes, {r['writes_saved']} saved by pruning; "
          f"{r['samples_per_s']:.0f} images/s")
    print(f"wrote {Path(args.out) / 'results.json'} and {Path(args.out) / 'receptive_fields.png'}")
    _warn(prune_warning(cfg.prune_fraction, r["pruned_fraction"], cfg.prune),
          chance_warning(r["accuracy"], r["n_classes"], "stdp", args.dataset, given))
    return 0


def _warn(*lines) -> None:
    for line in lines:
        if line:
            print(line, file=sys.stderr)


def cmd_train(args) -> int:
    from photrain.train import train
    from photrain.train.defaults import chance_warning

    if args.algorithm == "stdp":
        return _cmd_train_stdp(args)
    given = _resolve_defaults(args)
    config = _train_config(args)
    results = train(config, args.out, resume=args.resume, progress=not args.quiet, overwrite=args.overwrite,
                    on_divergence=args.on_divergence)
    hw = (f" ({100 * results['hw_test_acc_at_best_val']:.2f}% through the hardware)"
          if "hw_test_acc_at_best_val" in results else "")
    print(f"best validation {100 * results['best_val_acc']:.2f}% at epoch {results['best_epoch']}; "
          f"test {100 * results['test_acc_at_best_val']:.2f}%{hw}; "
          f"{results['mean_epoch_time_s']:.2f} s/epoch")
    print(f"wrote {Path(args.out) / 'results.json'} and {Path(args.out) / 'learning_curve.png'}")
    _warn(chance_warning(results["test_acc_at_best_val"], results["layer_sizes"][-1], args.algorithm, args.dataset,
                         given))
    return 0


def cmd_demo(args) -> int:
    """Main job: backprop, digital DFA and optical DFA on the offline digits set; one figure (photrain.demo)."""
    from photrain.demo import format_summary, run_demo

    summary = run_demo(args.out, epochs=args.epochs, progress=not args.quiet)
    print(format_summary(summary))
    print(f"wrote {Path(args.out) / 'demo.png'}, {Path(args.out) / 'demo.json'} and {Path(args.out) / 'demo.md'} "
          f"(the README's table; runs in {Path(args.out)}/demo_*)")
    return 0


def cmd_energy(args) -> int:
    """Energy/latency report of a training run's ledger, with plots, for each preset asked."""
    import json

    from photrain.controller.energy import (
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
    except (ValueError, KeyError, TypeError, IndexError) as err:
        raise ValueError(f"{path} is not a photrain results.json ({_one_line(err)}); "
                         "pass the --out folder of a finished 'photrain train' run") from err
    out = Path(args.out or path.parent)
    out.mkdir(parents=True, exist_ok=True)
    epochs = max(results["epochs_run"], 1)
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


def cmd_sweep(args) -> int:
    """Run a sweep file's trials on Ray (local, or the cluster at --address); sweep.csv and plots in its out folder."""
    from photrain.sweep import run

    res = run(args.spec, out=args.out, address=args.address, num_cpus=args.num_cpus, retry_failed=args.retry_failed,
              limit=args.limit, progress=not args.quiet)
    s = res.summary
    print(f"{s['trials']} trials: {s['done']} done, {s['failed']} failed, {s['pending']} pending; ran {s['ran']} now "
          f"on {s['workers']} workers in {s['wall_s']:.1f} s")
    if s["overhead"] is not None:
        print(f"trials' own time {s['sum_trial_s']:.1f} s / {s['workers']} workers = {s['ideal_s']:.1f} s; "
              f"the sweep ({s['executor']}{', Ray start or connect included' if s['ray_start_s'] else ''}) adds "
              f"{100 * s['overhead']:.1f} %")
    for r in res.records:
        if r.get("status") == "failed":
            print(f"  failed {r['id']} {r.get('params')}: {r.get('error')}")
    print(f"wrote {res.csv}" + "".join(f", {p.name}" for p in res.plots))
    return 0 if s["failed"] == 0 else 1


def cmd_bench(args) -> int:
    """Batch-1 latency/energy table: photonic core (model) vs this machine's CPU (and GPU) measured."""
    import json

    from photrain.bench import format_table, format_training_table, latency_table, training_step_table

    rows = latency_table(tuple(args.hidden), core_rows=args.core_rows, cpu_watts=args.cpu_watts,
                         gpu_watts=args.gpu_watts, repeats=args.repeats)
    print(format_table(rows))
    training = training_step_table(tuple(args.hidden), core_rows=args.core_rows, preset=args.preset,
                                   measure_sweeps=args.eqprop_sweeps == "measured")
    print(f"\ntraining steps, batch 1, from the ledger ({args.preset} energy preset; EP sweeps {args.eqprop_sweeps})")
    print(format_training_table(training))
    if args.json:
        Path(args.json).write_text(json.dumps({"inference": rows, "training": training}, indent=2))
    return 0


def _int_in(lo: int, hi: int | None = None):
    """An argparse type: an integer in [lo, hi] (hi None: no upper bound), else a one-line error naming the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"{value} is out of range; give an integer "
                                             + (f">= {lo}" if hi is None else f"in [{lo}, {hi}]"))
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage block is one ``--help`` away)."""

    def error(self, message):
        message = " ".join(str(message).replace("\n", "\\n").split())
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    from photrain.circuits.spec_checks import MAX_INSTANCES
    from photrain.circuits.sweep import MAX_WL_POINTS

    parser = _Parser(prog="photrain", description="Silicon-photonic circuit and training simulator")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks (anywhere on the command line)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("simulate", help="sweep a circuit YAML over wavelength and plot |S|^2")
    p.add_argument("circuit", help="circuit file, e.g. circuits/ring_filter.pic.yml")
    p.add_argument("--wl", help="start:stop:points in µm, e.g. 1.54:1.56:2001 (default: two FSRs of the circuit "
                                "around 1.55 µm, 2001 points)")
    p.add_argument("--ports", nargs="*", help="port pairs in,out (default: o1 to every other port)")
    p.add_argument("--plot", help="write the spectrum plot to this PNG (default: no plot)")
    p.add_argument("--touchstone", help="also write every port's S-parameters over the sweep to this .sNp file "
                                        "(N = number of ports; frequency f = c / wl; default: none)")
    p.add_argument("--max-points", type=int, default=MAX_WL_POINTS,
                   help=f"refuse --wl sweeps with more points (default {MAX_WL_POINTS}; each point costs ~10 kB)")
    p.add_argument("--max-instances", type=int, default=MAX_INSTANCES,
                   help=f"refuse circuits with more instances (default {MAX_INSTANCES})")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("layout", help="build a circuit YAML's layout (or a whole chip) and write GDS")
    p.add_argument("circuit", nargs="?", help="circuit file, e.g. circuits/weight_bank4.pic.yml (or use --chip)")
    p.add_argument("-o", "--output", required=True, help="output .gds path")
    p.add_argument("--max-instances", type=int, default=MAX_INSTANCES,
                   help=f"refuse circuits with more instances (default {MAX_INSTANCES})")
    p.add_argument("--chip", choices=["bank", "mesh"],
                   help="assemble a chip: the core with heaters routed to pads and fibre couplers")
    p.add_argument("--size", help="chip core size: bank CHANNELSxROWS (default 8x4), mesh N (default 8)")
    p.add_argument("--png", help="also render the layout to this PNG")
    p.set_defaults(func=cmd_layout)

    p = sub.add_parser("drc", help="design-rule check of a GDS file against the generic-PDK deck")
    p.add_argument("layout", help="GDS file, e.g. from photrain layout")
    p.add_argument("--deck", help="rule deck YAML (default: photrain's generic-PDK deck)")
    p.add_argument("--markers", help="marker GDS to write when there are violations (default FILE_drc.gds)")
    p.add_argument("--show", type=int, default=20, help="violations to print (default 20)")
    p.set_defaults(func=cmd_drc)

    from photrain.controller import CORES, MEMORIES, PULSE_MODES
    from photrain.controller.hardware import MESH_ATTENUATORS
    from photrain.train.algorithms import ALGORITHMS
    from photrain.train.data import DATASETS
    from photrain.train.defaults import describe

    p = sub.add_parser("train", help="train an MLP with backprop, DFA or optical DFA on the simulated cores")
    p.add_argument("--dataset", default="digits", choices=DATASETS, help="data set (digits, braille: offline)")
    p.add_argument("--data-dir", help="folder holding mnist/ or fashion-mnist/ (default $PHOTRAIN_DATA_DIR)")
    p.add_argument("--hidden", type=int, nargs="+", help=f"hidden layer widths ({describe('hidden')})")
    p.add_argument("--algorithm", default="optical-dfa", choices=(*ALGORITHMS, "stdp"),
                   help="learning rule (stdp: the unsupervised spiking network of Shi, Kuzum et al. 2018)")
    p.add_argument("--epochs", type=int, help=f"passes over the training set ({describe('epochs')})")
    p.add_argument("--batch-size", type=int, help=f"samples per optimiser step ({describe('batch_size')})")
    p.add_argument("--lr", type=float, help=f"SGD learning rate ({describe('lr')})")
    p.add_argument("--momentum", type=float, help=f"SGD momentum ({describe('momentum')})")
    p.add_argument("--seed", type=_int_in(0, 2**32 - 1), default=1, help="seed of every random draw (same seed, same run)")
    p.add_argument("--val-size", type=_int_in(1), help="validation samples taken from the test split (default half)")
    p.add_argument("--noise-sigma", type=float, default=0.618, help="reference-noise DFA: sigma")
    p.add_argument("--noise-mu", type=float, default=0.03, help="reference-noise DFA: mu")
    p.add_argument("--memory", default="float", choices=MEMORIES,
                   help="weight memory device (default float): float, fixed, pcm, pcm-3t1c (Ambrogio 2018), rram, cbram")
    p.add_argument("--memory-param", action="append", metavar="KEY=VALUE",
                   help="override a memory parameter, e.g. transfer_interval=8000 (repeatable; see photrain.memory)")
    p.add_argument("--memory-bits", type=int, help="shorthand for --memory fixed --memory-param bits=N")
    p.add_argument("--core", default="digital", choices=CORES,
                   help="where the forward products (and backprop's W^T d) run: digital (default), bank (MRR weight "
                        "banks re-programmed from memory every batch), crossbar (memristive arrays, in the memory) or "
                        "mesh (MZI meshes programmed by SVD: optical DFA's B e on meshes, training W x digital, the "
                        "trained network evaluated through meshes)")
    p.add_argument("--pulse-mode", default="analog", choices=PULSE_MODES,
                   help="memory writes: analog (the pulses each change needs, default), sign (one fixed pulse) or "
                        "accumulate (mixed precision: changes add up in a digital accumulator per weight and are "
                        "written in whole device granules, e.g. RRAM levels)")
    p.add_argument("--beta", type=float, help=f"eqprop: nudging strength of the second phase ({describe('beta')})")
    p.add_argument("--free-steps", type=int, help=f"eqprop: sweep cap of the free phase ({describe('free_steps')})")
    p.add_argument("--nudged-steps", type=int,
                   help=f"eqprop: sweep cap of the nudged phase ({describe('nudged_steps')})")
    p.add_argument("--eqprop-variant", default="ep", choices=("ep", "chl"),
                   help="eqprop: ep (nudged outputs, Scellier & Bengio) or chl (outputs clamped to the target)")
    p.add_argument("--random-sign-beta", action=argparse.BooleanOptionalAction,
                   help=f"eqprop: draw beta's sign at random every batch ({describe('random_sign_beta')})")
    p.add_argument("--symmetric-beta", action="store_true",
                   help="eqprop: nudge with +beta and -beta, centred difference (Laborieux et al. 2021)")
    p.add_argument("--relax-step", type=float,
                   help="eqprop: step towards each layer's minimiser per sweep (1 exact; 0.5 damps read noise; "
                        f"{describe('relax_step')})")
    p.add_argument("--layer-scale", type=float, nargs="+",
                   help="eqprop: one factor per weight layer on the update (layer-wise learning rates), e.g. 1 0.5 "
                        f"({describe('layer_scale')})")
    p.add_argument("--core-rows", type=int, default=64, help="optical core rows per pass")
    p.add_argument("--channel-spacing", type=float, help="bank core: WDM channel spacing in µm, one channel per class "
                   f"({describe('channel_spacing')})")
    p.add_argument("--adc-bits", type=int, default=8, help="optical core: ADC bits of every detector read")
    p.add_argument("--dac-bits", type=int, default=8, help="optical core: DAC bits of every input symbol")
    p.add_argument("--power", type=float, default=1.0, help="optical power per WDM channel (mW)")
    p.add_argument("--heater-bits", type=int, default=12, help="ring heater DAC bits (0 = ideal)")
    p.add_argument("--forward-on-cores", action="store_true", help="shorthand for --core bank")
    p.add_argument("--receiver", default="integrating", choices=("integrating", "per-block"),
                   help="bank core: integrating receiver (one ADC read per row, summed noise) or per-block reads")
    p.add_argument("--input-modulator", default="ideal", choices=("ideal", "mzm", "ring"),
                   help="bank core: inputs as linear intensities (ideal), through Mach-Zehnder (mzm, sin^2) or ring "
                        "modulators (ring, Lorentzian) driven by the input DACs")
    p.add_argument("--no-predistortion", action="store_true",
                   help="bank core: send the DAC code linear in the input (the modulator's nonlinearity reaches the "
                        "rings) instead of the predistortion lookup")
    p.add_argument("--weight-element", default="heater", choices=("heater", "gst"),
                   help="bank core: weights on heater-tuned rings (heater) or non-volatile phase-change cell pairs (gst)")
    p.add_argument("--gst-levels", type=int, default=8, help="bank core, --weight-element gst: levels per GST cell "
                   "(8: Rios et al. 2015)")
    p.add_argument("--mesh-modes", type=int, default=16, help="mesh core: modes per MZI mesh (the tile size N)")
    p.add_argument("--mesh-topology", default="clements", choices=("clements", "reck"), help="mesh core: topology")
    p.add_argument("--mesh-coupler-sigma", type=float, default=0.0,
                   help="mesh core: std of each coupler's power splitting around 0.5, per chip (default 0: calibrated)")
    p.add_argument("--mesh-phase-sigma", type=float, default=0.0,
                   help="mesh core: static phase error of every heater (rad, per chip; default 0: calibrated)")
    p.add_argument("--mesh-phase-bits", type=int, default=12, help="mesh core: heater DAC bits (0 = ideal)")
    p.add_argument("--mesh-attenuator", default="mzi", choices=MESH_ATTENUATORS,
                   help="mesh core: the SVD attenuator column on heater-tuned MZIs (mzi) or on non-volatile GST "
                        "cells (gst, --mesh-gst-cells in series per mode, --gst-levels levels each)")
    p.add_argument("--mesh-gst-cells", type=int, default=6, help="mesh core, --mesh-attenuator gst: GST cells in "
                   "series per mode (6: 16-mode tiles programmed to 1 %%)")
    p.add_argument("--ideal-core", action="store_true", help="noise-free, crosstalk-free core, ideal converters")
    p.add_argument("--no-shuffle", action="store_true", help="keep the training set's file order (the reference code on CPU)")
    p.add_argument("--standardize", action="store_true", help="standardise inputs with the training set's mean and std")
    p.add_argument("--neurons", type=int, help=f"stdp: output neurons ({describe('neurons')})")
    p.add_argument("--prune", default="none", choices=("none", "soft", "hard"),
                   help="stdp: freeze a matured neuron's weakest weights at a constant (soft) or at 0 (hard)")
    p.add_argument("--prune-fraction", type=float, default=0.0, help="stdp: fraction of a matured neuron's weights "
                   "pruned, in [0, 1)")
    p.add_argument("--mature-spikes", type=int, help="stdp: output spikes before a neuron is pruned (default 300, "
                   "scaled down with --prune-ramp on runs shorter than 60k images x 3 epochs / 500 neurons, so the "
                   "asked fraction is reached)")
    p.add_argument("--prune-ramp", type=int, help="stdp: output spikes after maturity over which the "
                   "pruned share grows to --prune-fraction (Zhu & Gupta 2017's cubic schedule; 0 = all at once; "
                   "default 1000, scaled down with --mature-spikes on shorter runs)")
    p.add_argument("--max-images", type=_int_in(1), help="stdp: training images per epoch (default all)")
    p.add_argument("--readout", help="stdp: how test responses become classes: mean (Diehl & Cook 2015), proportion "
                   "(BindsNET's proportion weighting) or likelihood (Bayesian decoder of the spike counts; default)")
    p.add_argument("--out", default="out/train", help="output folder: checkpoint, results.json, learning curve")
    p.add_argument("--resume", action="store_true",
                   help="continue from --out/checkpoint.npz (a larger --epochs extends a finished run)")
    p.add_argument("--overwrite", action="store_true", help="replace another run's checkpoint and results in --out")
    p.add_argument("--on-divergence", choices=("stop", "warn"), default="stop",
                   help="when the loss exceeds 20x its initial value or the weights leave the memory's range 1000x: "
                        "stop (default) or warn and go on (a NaN loss always stops)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    from photrain.controller.energy import PRESETS

    p = sub.add_parser("energy", help="energy and latency of a training run (from its results.json ledger)")
    p.add_argument("results", help="results.json of a run, or its --out folder")
    p.add_argument("--preset", nargs="+", default=sorted(PRESETS), choices=sorted(PRESETS),
                   help="energy parameter sets (photrain/controller/energy.py SOURCES)")
    p.add_argument("--out", help="folder for energy.json and plots (default: next to results.json)")
    p.set_defaults(func=cmd_energy)

    p = sub.add_parser("bench", help="batch-1 latency and energy: photonic core model vs this machine, measured")
    p.add_argument("--hidden", type=int, nargs="+", default=[800, 800], help="hidden layer widths of the network")
    p.add_argument("--core-rows", type=int, default=64, help="optical core rows per pass")
    p.add_argument("--cpu-watts", type=float, default=30.0, help="stated CPU power while busy (W)")
    p.add_argument("--gpu-watts", type=float, default=300.0, help="stated GPU power while busy (W)")
    p.add_argument("--repeats", type=int, default=200, help="timed repetitions per measurement")
    p.add_argument("--preset", default="reference-paper", choices=sorted(PRESETS),
                   help="energy parameter set of the training-step table (photrain/controller/energy.py SOURCES)")
    p.add_argument("--eqprop-sweeps", default="measured", choices=("measured", "caps"),
                   help="training table: EP's relaxation sweeps as one step runs them on each core, or the caps")
    p.add_argument("--json", help="also write the rows as JSON here")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("sweep", help="grid/random sweep of training runs on Ray: sweep.csv and plots (see sweeps/)")
    p.add_argument("spec", help="sweep YAML, e.g. sweeps/adc_bits_power.yml")
    p.add_argument("--out", help="output folder (default: the file's 'out', else out/sweeps/<name>)")
    p.add_argument("--address", help="join the Ray cluster at this address, HOST:PORT as printed by 'ray start --head' "
                                     "(default: start a local one)")
    p.add_argument("--num-cpus", type=_int_in(1), help="CPUs of the local Ray cluster (default: all of this machine's)")
    p.add_argument("--retry-failed", action="store_true", help="run failed trials again (default: keep their error)")
    p.add_argument("--limit", type=_int_in(0), help="run at most this many of the pending trials (default: all)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("demo", help="the main job: backprop, digital DFA and optical DFA on the offline digits set; "
                                     "one figure (learning curves, ring spectrum, energy per step)")
    p.add_argument("--out", default="out",
                   help="output folder: demo.png, demo.json, demo.md (the README's table), the runs' folders")
    p.add_argument("--epochs", type=int, default=15, help="epochs of each run")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_demo)
    for command in sub.choices.values():
        command.formatter_class = _DefaultsFormatter
    return parser


#: Failures a user can cause (bad files, arguments, settings): one line on stderr, exit 2.
def _expected_errors() -> tuple[type[BaseException], ...]:
    import zipfile
    import zlib

    import yaml

    return (ValueError, KeyError, TypeError, OSError, EOFError, RuntimeError, MemoryError, RecursionError,
            zlib.error, zipfile.BadZipFile, yaml.YAMLError)


def _one_line(err: BaseException) -> str:
    """An exception as one line: the file for OSErrors, the key for KeyErrors, list items joined with ';'."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        fix = {IsADirectoryError: "pass a file, not a folder", NotADirectoryError: "a part of the path is a file",
               PermissionError: "check the permissions or choose another path",
               FileNotFoundError: "check the path"}.get(type(err), "check the path and the disk")
        text = f"{err.filename}: {err.strerror}; {fix}"
    elif isinstance(err, MemoryError):
        text = "out of memory; use a smaller problem (fewer points, instances, samples or a smaller network)"
    elif isinstance(err, RecursionError):
        text = "input nested too deeply; simplify it"
    else:
        text = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
        if not text:
            text = type(err).__name__
    text = re.sub(r":\s*\n\s*-\s*", ": ", text)
    text = re.sub(r"\n\s*-\s*", "; ", text)
    return " ".join(text.split())


def _interrupted(args) -> str:
    out = getattr(args, "out", None) if args is not None and getattr(args, "command", None) == "train" else None
    if out and any(Path(out).glob("checkpoint*")):
        return f"photrain: interrupted; the last checkpoint in {out} is kept (rerun with --resume)"
    return "photrain: interrupted; nothing more was written"


class _DefaultsFormatter(argparse.HelpFormatter):
    """Help that states every option's default (unless it is None/False or the text already gives it)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


#: command -> one-line help, for ``photrain --help`` without importing the heavy packages (test_cli checks the names)
COMMANDS = {
    "simulate": "sweep a circuit YAML over wavelength, plot |S|^2, write Touchstone",
    "layout": "build a circuit YAML's layout (or a whole chip) and write GDS",
    "drc": "design-rule check of a GDS file against the generic-PDK deck",
    "train": "train an MLP with backprop, DFA, optical DFA, ... on the simulated cores",
    "energy": "energy and latency of a training run (from its results.json ledger)",
    "bench": "batch-1 latency and energy: photonic core model vs this machine, measured",
    "sweep": "grid/random sweep of training runs on Ray: sweep.csv and plots (see sweeps/)",
    "demo": "the main job: backprop, digital and optical DFA on the offline digits set, one figure",
}


def _light_help() -> str:
    parser = argparse.ArgumentParser(prog="photrain", description="Silicon-photonic circuit and training simulator. "
                                     "'photrain COMMAND --help' shows a command's options and their defaults.")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks (anywhere on the command line)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in COMMANDS.items():
        sub.add_parser(name, help=text)
    return parser.format_help()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; every expected failure is one line on stderr and exit 2 (tracebacks with --debug)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    os.environ.setdefault("MPLBACKEND", "Agg")  # the CLI only writes files; the library never picks a backend
    if not argv or argv[0] in ("-h", "--help"):  # fast: no jax, sax or gdsfactory import for the command list
        print(_light_help(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    args = None
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except KeyboardInterrupt:
        if debug:
            raise
        print(_interrupted(args), file=sys.stderr)
        return 130
    except _expected_errors() as err:
        if debug:
            raise
        print(f"photrain: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - a bug: still one line, the traceback is one flag away
        if debug:
            raise
        print(f"photrain: internal error: {type(err).__name__}: {_one_line(err)} "
              "(a bug: rerun with --debug and report the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
