"""Where photonic training wins: energy per training step vs layer width, digital DFA against the optical modes
(issue 28).

Ledger arithmetic, no training: for each hidden width w the network is the demo's (``n_in``-w-``n_out``, batch
``batch``), counted by :meth:`photrain.controller.hub.Controller.step_ledger` for three controllers:

* ``digital DFA``: every product on the controller (its ring heaters off: no photonic core in use);
* ``optical DFA``: B·e on a ``core_rows`` x ``n_out`` microring bank, the rest on the controller;
* ``forward on cores``: W·x on the bank too (re-programmed from memory every step), B·e on the bank;

priced by :func:`~photrain.controller.energy.report.energy_report` at a preset, on one physical core
(``CoreSpec(core_rows, n_out)``, as the demo prices its runs). A mode *wins* at the first width where its energy
per step is below digital DFA's. Where it never does, :func:`crossover` names the term that prevents it (the
largest term the optical mode pays that digital DFA does not) and the ring hold power at which it would break
even (the energy is linear in ``ring_tuning_power``, so one more pricing at zero hold power gives it).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from photrain.controller.build import build_controller
from photrain.controller.energy.core import CoreSpec
from photrain.controller.energy.params import load_preset
from photrain.controller.energy.report import energy_report
from photrain.controller.hardware import OpticalConfig

WIDTHS = (64, 128, 256, 512, 1024, 2048, 4096)
#: mode -> (forward core, feedback core)
MODES = {"digital DFA": ("digital", None), "optical DFA": ("digital", "bank"), "forward on cores": ("bank", "bank")}


def step_energy(mode: str, width: int, *, n_in: int = 64, n_out: int = 10, batch: int = 32, core_rows: int = 16,
                preset="reference-paper") -> dict:
    """{term: J} of one DFA training step of an ``n_in``-``width``-``n_out`` MLP in ``mode`` (module docstring)."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if width < 1:
        raise ValueError(f"width must be >= 1; got {width}")
    led = _controller(mode, core_rows, n_out).step_ledger([n_in, width, n_out], batch, backward="dfa")
    rep = energy_report(led, preset, CoreSpec(core_rows, n_out))
    return {k: float(v) for k, v in rep.energy.items() if v}


@lru_cache(maxsize=16)
def _controller(mode: str, core_rows: int, n_out: int):
    """The mode's controller (built once: building a bank solves its rings)."""
    core, feedback = MODES[mode]
    return build_controller(core=core, feedback_core=feedback, optical=OpticalConfig(core_rows=core_rows),
                            n_channels=n_out)


def _break_even_hold_power(mode: str, width: int, digital: float, preset, **kw) -> float | None:
    """Ring hold power (W) at which ``mode`` costs what digital DFA does at ``width``; None if none does."""
    p = load_preset(preset)
    e_p = sum(step_energy(mode, width, preset=p, **kw).values())
    e_0 = sum(step_energy(mode, width, preset=replace(p, ring_tuning_power=0.0), **kw).values())
    if e_0 >= digital or e_p == e_0:
        return None
    return p.ring_tuning_power * (digital - e_0) / (e_p - e_0)


def crossover(widths=WIDTHS, *, preset="reference-paper", **kw) -> dict:
    """Energy per step of every mode at every width, and where (whether) each optical mode wins.

    Returns {"widths", "energy_j": {mode: [J per step]}, "breakdown": {mode: [{term: J}]}, "wins": {mode: width
    or None}, "prevented_by": {mode: term or None}, "break_even_hold_w": {mode: W or None} (at the widest width),
    "ring_hold_w": the preset's, "settings"}."""
    widths = [int(w) for w in widths]
    parts = {m: [step_energy(m, w, preset=preset, **kw) for w in widths] for m in MODES}
    energy = {m: [sum(b.values()) for b in parts[m]] for m in MODES}
    digital = energy["digital DFA"]
    wins, prevented, break_even = {}, {}, {}
    for m in list(MODES)[1:]:
        wins[m] = next((w for w, e, d in zip(widths, energy[m], digital, strict=True) if e < d), None)
        prevented[m] = break_even[m] = None
        if wins[m] is None:
            extra = {k: v - parts["digital DFA"][-1].get(k, 0.0) for k, v in parts[m][-1].items()}
            prevented[m] = max(extra, key=extra.get)
            break_even[m] = _break_even_hold_power(m, widths[-1], digital[-1], preset, **kw)
    return {"widths": widths, "energy_j": energy, "breakdown": parts, "wins": wins, "prevented_by": prevented,
            "break_even_hold_w": break_even, "ring_hold_w": load_preset(preset).ring_tuning_power,
            "settings": {"preset": preset if isinstance(preset, str) else "custom", **kw}}


def summary_line(result: dict) -> str:
    """One line: where each optical mode wins, or that it never does and which term prevents it."""
    lo, hi = result["widths"][0], result["widths"][-1]
    parts = []
    for m, w in result["wins"].items():
        if w is not None:
            parts.append(f"{m} wins from width {w}")
            continue
        be = result["break_even_hold_w"][m]
        fix = (f"it would break even at {1e3 * be:.3g} mW ring hold power (preset {1e3 * result['ring_hold_w']:.3g} mW)"
               if be is not None else "no ring hold power lets it break even")
        parts.append(f"{m} never wins for widths {lo}-{hi} ({result['prevented_by'][m]} prevents it; {fix})")
    return "crossover: " + "; ".join(parts)


def plot_crossover(ax, result: dict) -> None:
    """Energy per step vs width on ``ax`` (log-log), each optical mode's winning width marked."""
    colours = {"digital DFA": "tab:gray", "optical DFA": "tab:orange", "forward on cores": "tab:red"}
    w = result["widths"]
    for m, e in result["energy_j"].items():
        ax.loglog(w, [1e6 * v for v in e], "o-", ms=3, color=colours.get(m), label=m)
        if result["wins"].get(m):
            ax.axvline(result["wins"][m], color=colours.get(m), ls="--", lw=0.8)
    never = [f"{m}: never ({result['prevented_by'][m]})" for m, v in result["wins"].items() if v is None]
    ax.set(xlabel="hidden width", ylabel="energy per training step (µJ)",
           title="crossover vs width (ledger)" + ("\n" + "; ".join(never) if never else ""))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
