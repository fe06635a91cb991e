"""``photrain layout``: build a circuit YAML's layout (or a whole chip) and write GDS."""

from __future__ import annotations

from photrain.cli.options import check_output


def register(sub) -> None:
    """Add the ``layout`` command's parser to ``sub``."""
    from photrain.circuits.spec_checks import MAX_INSTANCES

    p = sub.add_parser("layout", help="build a circuit YAML's layout (or a whole chip) and write GDS")
    p.add_argument("circuit", nargs="?", help="circuit file, e.g. circuits/weight_bank4.pic.yml (or use --chip)")
    p.add_argument("-o", "--output", required=True, help="output .gds path")
    p.add_argument("--max-instances", type=int, default=MAX_INSTANCES,
                   help=f"refuse circuits with more instances (default {MAX_INSTANCES})")
    p.add_argument("--chip", choices=["bank", "mesh"],
                   help="assemble a chip: the core with heaters routed to pads and fibre couplers")
    p.add_argument("--size", help="chip core size: bank CHANNELSxROWS (default 8x4), mesh N (default 8)")
    p.add_argument("--png", help="also render the layout to this PNG")
    p.set_defaults(func=run)


def run(args) -> int:
    from photrain.layout import render_png, write_gds
    from photrain.layout.chip import write_chip

    if (args.circuit is None) == (args.chip is None):
        raise ValueError("layout needs a circuit YAML or --chip bank|mesh (exactly one), e.g. --chip mesh -o mesh.gds")
    check_output(args.png, "--png", [args.circuit or "", args.output], {"png"})
    if args.chip:
        path = write_chip(args.chip, args.output, size=args.size)
    else:
        path = write_gds(args.circuit, args.output, max_instances=args.max_instances)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    if args.png:
        print(f"wrote {render_png(path, args.png)}")
    return 0
