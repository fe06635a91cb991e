"""The ``photrain`` command line: one module per command (``photrain/cli/<command>.py``: ``register(sub)`` adds its
parser, ``run(args)`` runs it) and the shared pieces in :mod:`photrain.cli.options`.

Every expected failure is one line on stderr and exit 2 (tracebacks with ``--debug``)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from photrain.cli.options import DefaultsFormatter, Parser, key_values, memory_params_of, one_line

# the names tests and users reached as photrain.cli._key_values / _memory_params before the split
_key_values, _memory_params = key_values, memory_params_of

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


def build_parser() -> argparse.ArgumentParser:
    """The full parser: every command module registers its own subparser, in :data:`COMMANDS` order."""
    parser = Parser(prog="photrain", description="Silicon-photonic circuit and training simulator")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks (anywhere on the command line)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"photrain.cli.{name}").register(sub)
    for command in sub.choices.values():
        command.formatter_class = DefaultsFormatter
    return parser


#: Failures a user can cause (bad files, arguments, settings): one line on stderr, exit 2.
def _expected_errors() -> tuple[type[BaseException], ...]:
    import zipfile
    import zlib

    import yaml

    return (ValueError, KeyError, TypeError, OSError, EOFError, RuntimeError, MemoryError, RecursionError,
            zlib.error, zipfile.BadZipFile, yaml.YAMLError)


def _interrupted(args) -> str:
    out = getattr(args, "out", None) if args is not None and getattr(args, "command", None) == "train" else None
    if out and any(Path(out).glob("checkpoint*")):
        return f"photrain: interrupted; the last checkpoint in {out} is kept (rerun with --resume)"
    return "photrain: interrupted; nothing more was written"


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
        from photrain._platform import check_available

        check_available()  # a bad PHOTRAIN_PLATFORM: one line naming the variable and the accepted values
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
        print(f"photrain: error: {one_line(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - a bug: still one line, the traceback is one flag away
        if debug:
            raise
        print(f"photrain: internal error: {type(err).__name__}: {one_line(err)} "
              "(a bug: rerun with --debug and report the traceback)", file=sys.stderr)
        return 1
