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


def cmd_demo(args) -> int:
    """Main job: sweep the shipped add-drop ring filter and plot it."""
    root = Path(__file__).resolve().parent.parent
    circuit = root / "circuits" / "ring_filter.pic.yml"
    out = Path(args.out)
    ns = argparse.Namespace(circuit=str(circuit), wl="1.54:1.56:2001", ports=None, plot=str(out / "ring_filter.png"))
    return cmd_simulate(ns)


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

    p = sub.add_parser("demo", help="the main job: a short demo that writes plots to --out")
    p.add_argument("--out", default="out", help="output folder (default out/)")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError, FileNotFoundError) as err:
        msg = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"photrain: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
