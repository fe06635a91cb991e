"""``photrain bench``: batch-1 latency and energy, photonic core model vs this machine; ``--claims``: the published
headline energy claims recomputed."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    """Add the ``bench`` command's parser to ``sub``."""
    from photrain.controller.energy import PRESETS

    p = sub.add_parser("bench", help="batch-1 latency and energy: photonic core model vs this machine, measured")
    p.add_argument("--hidden", type=int, nargs="+", default=[800, 800], help="hidden layer widths of the network")
    p.add_argument("--core-rows", type=int, default=64, help="optical core rows per pass")
    p.add_argument("--cpu-watts", type=float, default=30.0, help="stated CPU power while busy (W)")
    p.add_argument("--gpu-watts", type=float, default=300.0, help="stated GPU power while busy (W)")
    p.add_argument("--repeats", type=int, default=200, help="timed repetitions per measurement")
    p.add_argument("--preset", default="reference-paper", choices=sorted(PRESETS),
                   help="energy parameter set of the training-step table (photrain/controller/energy/params.py SOURCES)")
    p.add_argument("--eqprop-sweeps", default="measured", choices=("measured", "caps"),
                   help="training table: EP's relaxation sweeps as one step runs them on each core, or the caps")
    p.add_argument("--claims", action="store_true",
                   help="only the published headline claims (Yi 2023, Ambrogio 2018, Shi 2018, Filipovich 2022, "
                        "Davies 2021) recomputed from photrain's models, one row per system")
    p.add_argument("--json", help="also write the rows as JSON here (with --claims: a list of rows)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Batch-1 latency/energy table: photonic core (model) vs this machine's CPU (and GPU) measured."""
    import json

    from photrain.cli.options import check_output

    check_output(args.json, "--json", [])  # a bad path is one line before anything runs
    if min(args.hidden) < 1 or args.core_rows < 1 or args.repeats < 1:
        raise ValueError("--hidden, --core-rows and --repeats must be >= 1")
    if args.claims:
        from photrain.bench import claims_table
        from photrain.controller.energy.claims import format_claims

        rows = claims_table(tuple(args.hidden), preset=args.preset, core_rows=args.core_rows,
                            cpu_watts=args.cpu_watts, repeats=args.repeats,
                            measure_sweeps=args.eqprop_sweeps == "measured")
        print(f"published claims recomputed ({args.preset} energy preset; ratio = photrain / published)")
        print(format_claims(rows))
        if args.json:
            Path(args.json).write_text(json.dumps(rows, indent=2))
        return 0

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
