"""``photrain drc``: design-rule check of a GDS file against the generic-PDK deck."""

from __future__ import annotations

from pathlib import Path

from photrain.cli.options import check_output, int_in


def register(sub) -> None:
    """Add the ``drc`` command's parser to ``sub``."""
    p = sub.add_parser("drc", help="design-rule check of a GDS file against the generic-PDK deck")
    p.add_argument("layout", help="GDS file, e.g. from photrain layout")
    p.add_argument("--deck", help="rule deck YAML (default: photrain's generic-PDK deck)")
    p.add_argument("--markers", help="marker GDS to write when there are violations (default FILE_drc.gds)")
    p.add_argument("--show", type=int_in(0), default=20, help="violations to print (default 20)")
    p.set_defaults(func=run)


def run(args) -> int:
    from photrain.layout.drc import run_drc

    layout = Path(args.layout)
    markers = Path(args.markers) if args.markers else layout.with_name(f"{layout.stem}_drc.gds")
    check_output(str(markers), "--markers", [args.layout, args.deck or ""], {"gds", "oas"})
    report = run_drc(args.layout, args.deck)
    print(report.summary())
    for v in report.violations[: args.show]:
        print(f"  {v}")
    if len(report.violations) > args.show:
        print(f"  ... and {len(report.violations) - args.show} more (all in the marker file)")
    if report.clean:
        return 0
    print(f"wrote {report.write_markers(markers)} (markers on layer 205/0, labelled with the rule)")
    return 1
