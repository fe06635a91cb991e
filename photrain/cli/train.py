"""``photrain train``: one run of a learning rule on the simulated hardware (resolved defaults per rule and dataset)."""

from __future__ import annotations

import argparse
from pathlib import Path

from photrain.cli.options import int_in, key_values, memory_params_of, warn


def register(sub) -> None:
    """Add the ``train`` command's parser to ``sub``."""
    from photrain.controller import CORES, MEMORIES, PULSE_MODES
    from photrain.controller.hardware import MESH_ATTENUATORS
    from photrain.train.algorithms import ALGORITHMS
    from photrain.train.data import DATASETS
    from photrain.train.defaults import describe

    p = sub.add_parser("train", help="train an MLP with backprop, DFA or optical DFA on the simulated cores")
    p.add_argument("--dataset", default="digits", choices=DATASETS, help="data set (digits, braille: offline)")
    p.add_argument("--data-dir", help="folder holding mnist/ (also the source of mnist-backrand) or fashion-mnist/ "
                                      "(default $PHOTRAIN_DATA_DIR)")
    p.add_argument("--hidden", type=int, nargs="+", help=f"hidden layer widths ({describe('hidden')})")
    p.add_argument("--algorithm", default="optical-dfa", choices=(*ALGORITHMS, "stdp"),
                   help="learning rule (stdp: the unsupervised spiking network of Shi, Kuzum et al. 2018)")
    p.add_argument("--epochs", type=int, help=f"passes over the training set ({describe('epochs')})")
    p.add_argument("--batch-size", type=int, help=f"samples per optimiser step ({describe('batch_size')})")
    p.add_argument("--lr", type=float, help=f"SGD learning rate ({describe('lr')})")
    p.add_argument("--momentum", type=float, help=f"SGD momentum ({describe('momentum')})")
    p.add_argument("--seed", type=int_in(0, 2**32 - 1), default=1, help="seed of every random draw (same seed, same run)")
    p.add_argument("--val-size", type=int_in(1), help="validation samples taken from the test split (default half)")
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
    p.add_argument("--max-images", type=int_in(1), help="stdp: training images per epoch (default all)")
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
    p.set_defaults(func=run)


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


def _memory(args) -> tuple[str, dict]:
    """(--memory, its typed --memory-param values), with --memory-bits N read as --memory fixed, bits=N."""
    memory, memory_params = args.memory, key_values(args.memory_param, "--memory-param")
    if args.memory_bits is not None:  # the 0.1 spelling of a fixed-point memory
        if memory not in ("float", "fixed"):
            raise ValueError(f"--memory-bits sets a fixed-point memory; it cannot be combined with --memory {memory}")
        memory, memory_params = "fixed", {"bits": args.memory_bits, **memory_params}
    return memory, memory_params_of(memory, memory_params)


def _check_layer_scale(args, given: dict) -> None:
    """A default --layer-scale (per rule and dataset) that does not fit the --hidden the user gave: say so."""
    scale = args.layer_scale
    if args.algorithm == "eqprop" and "hidden" in given and "layer_scale" not in given and scale is not None \
            and len(scale) != len(args.hidden) + 1:
        raise ValueError(f"--hidden {' '.join(map(str, args.hidden))} has {len(args.hidden) + 1} weight layers but the "
                         f"eqprop default for {args.dataset} is --layer-scale {' '.join(map(str, scale))}; give "
                         f"--layer-scale with {len(args.hidden) + 1} factors (e.g. all 1)")


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
    memory, memory_params = _memory(args)
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
    memory, memory_params = _memory(args)
    r = run_stdp(cfg, args.out, dataset=args.dataset, data_dir=args.data_dir, memory=memory,
                 memory_params=memory_params, core=core, optical=optical,
                 progress=not args.quiet, max_images=args.max_images, fit_prune=fit)
    print(f"stdp {cfg.neurons} neurons, prune {cfg.prune} ({100 * r['pruned_fraction']:.1f}% of synapses frozen): "
          f"test {100 * r['accuracy']:.2f}%; {r['writes']} synapse writes, {r['writes_saved']} saved by pruning; "
          f"{r['samples_per_s']:.0f} images/s")
    print(f"wrote {Path(args.out) / 'results.json'} and {Path(args.out) / 'receptive_fields.png'}")
    warn(prune_warning(cfg.prune_fraction, r["pruned_fraction"], cfg.prune),
          chance_warning(r["accuracy"], r["n_classes"], "stdp", args.dataset, given))
    return 0


def run(args) -> int:
    from photrain.train import train
    from photrain.train.defaults import chance_warning

    if args.algorithm == "stdp":
        return _cmd_train_stdp(args)
    given = _resolve_defaults(args)
    _check_layer_scale(args, given)
    config = _train_config(args)
    results = train(config, args.out, resume=args.resume, progress=not args.quiet, overwrite=args.overwrite,
                    on_divergence=args.on_divergence)
    hw = (f" ({100 * results['hw_test_acc_at_best_val']:.2f}% through the hardware)"
          if "hw_test_acc_at_best_val" in results else "")
    print(f"best validation {100 * results['best_val_acc']:.2f}% at epoch {results['best_epoch']}; "
          f"test {100 * results['test_acc_at_best_val']:.2f}%{hw}; "
          f"{results['mean_epoch_time_s']:.2f} s/epoch")
    print(f"wrote {Path(args.out) / 'results.json'} and {Path(args.out) / 'learning_curve.png'}")
    warn(chance_warning(results["test_acc_at_best_val"], results["layer_sizes"][-1], args.algorithm, args.dataset,
                         given))
    return 0
