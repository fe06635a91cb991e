"""Shared pieces of the command modules: argument types, output checks, KEY=VALUE options, warnings, one-line errors."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path


def port_pairs(items):
    if not items:
        return None
    pairs = []
    for item in items:
        if "," not in item:
            raise ValueError(f"port pair {item!r} must be 'in,out', e.g. o1,o3")
        a, b = item.split(",", 1)
        pairs.append((a.strip(), b.strip()))
    return pairs


def check_output(out, option: str, inputs, suffixes=None) -> None:
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


def plot_suffixes() -> set[str]:
    from matplotlib.figure import Figure

    return set(Figure().canvas.get_supported_filetypes())


def key_values(items, option: str) -> dict:
    """KEY=VALUE pairs into a dict of KEY -> the VALUE text (typed by whoever knows the key's type)."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{option} {item!r} must be KEY=VALUE, e.g. {option} transfer_interval=8000")
        out[key.strip()] = value
    return out


def memory_params_of(memory: str, params: dict) -> dict:
    """--memory-param values parsed to the declared type of that parameter of --memory (one parser for all)."""
    from photrain.memory import memory_params

    return memory_params(memory, params, "--memory-param")


def warn(*lines) -> None:
    for line in lines:
        if line:
            print(line, file=sys.stderr)


def int_in(lo: int, hi: int | None = None):
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


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (the usage block is one ``--help`` away)."""

    def error(self, message):
        message = " ".join(str(message).replace("\n", "\\n").split())
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class DefaultsFormatter(argparse.HelpFormatter):
    """Help that states every option's default (unless it is None/False or the text already gives it)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def one_line(err: BaseException) -> str:
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
