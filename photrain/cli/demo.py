"""``photrain demo``: the main job (photrain.demo)."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    """Add the ``demo`` command's parser to ``sub``."""
    p = sub.add_parser("demo", help="the main job: backprop, digital DFA and optical DFA on the offline digits set; "
                                     "one figure (learning curves, ring spectrum, energy per step)")
    p.add_argument("--out", default="out",
                   help="output folder: demo.png, demo.json, demo.md (the README's table), the runs' folders")
    p.add_argument("--epochs", type=int, default=15, help="epochs of each run")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args) -> int:
    """Main job: backprop, digital DFA and optical DFA on the offline digits set; one figure (photrain.demo)."""
    from photrain.demo import format_summary, run_demo

    summary = run_demo(args.out, epochs=args.epochs, progress=not args.quiet)
    print(format_summary(summary))
    print(f"wrote {Path(args.out) / 'demo.png'}, {Path(args.out) / 'demo.json'} and {Path(args.out) / 'demo.md'} "
          f"(the README's table; runs in {Path(args.out)}/demo_*)")
    return 0
