"""Plots of the energy model: one run's report by component and its time split (:func:`plot_report`), and the
steady-state core's pJ per optical MAC vs size, rate and ADC bits (:func:`plot_sweep`)."""

from __future__ import annotations

from photrain.controller.energy.report import EnergyReport


def plot_report(report: EnergyReport, path=None, *, title: str = ""):
    """Energy per component and the time split of one run's ledger; saved to ``path`` when given; returns the Figure.

    Left: pJ per MAC of the run, all MACs (optical + digital) in the denominator, so the
    bars add up to the run's overall pJ/MAC. Right: the run's time (optical slots,
    heater settling of re-programming, controller), per optimiser step. The optical core's
    own pJ/MAC of the run and the steady-state best case (what :func:`plot_sweep` shows)
    are in the title, each saying what it divides by.
    """
    from matplotlib.figure import Figure

    macs = max(report.optical_macs + report.digital_macs, 1)
    steps = max(report.steps, 1)
    names = list(report.energy)
    values = [1e12 * report.energy[k] / macs for k in names]
    fig = Figure(figsize=(11.5, 4.2), layout="constrained")
    a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2, 1]})
    positive = [v for v in values if v > 0]
    a1.barh(names, values, color="tab:blue")
    a1.set(xlabel="pJ per MAC (the run's energy / all its MACs, optical + digital)",
           xscale="log" if positive and max(positive) > 100 * min(positive) else "linear",
           title=f"energy by component: {report.pj_per_mac:.3g} pJ per MAC in all")
    a1.invert_yaxis()
    times = {"optical": report.optical_time, "programming": report.programming_time, "digital": report.digital_time,
             "crossbar": report.crossbar_time, "writes": report.write_time}
    times = {k: v for k, v in times.items() if v or k in ("optical", "programming", "digital")}
    colours = {"optical": "tab:orange", "programming": "tab:red", "digital": "tab:gray", "crossbar": "tab:green",
               "writes": "tab:purple"}
    a2.bar(list(times), [1e6 * v / steps for v in times.values()], color=[colours[k] for k in times])
    a2.set(ylabel="time per optimiser step (µs)", title=f"latency: {1e6 * report.latency / steps:.3g} µs per step")
    core = (f"optical core in this run {report.pj_per_optical_mac:.3g} pJ per optical MAC (laser, modulators, converters, "
            "receivers, heaters held for the whole run incl. controller time)" if report.optical_macs else
            "no optical MACs in this run")
    fig.suptitle((title + "\n" if title else "") + core, fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=110)
        return path
    return fig


def plot_sweep(sweeps: dict[str, dict], path=None):
    """Plot :func:`sweep_pj_per_mac` results for several presets; saved to ``path`` when given, else the Figure returned.

    Every panel is pJ per optical MAC of a steadily running core (best case: every symbol
    slot used, no re-programming, no controller work): the number photonic papers quote,
    and a lower bound for the per-run figure of :func:`plot_report`.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(13, 4.0), layout="constrained")
    ax = fig.subplots(1, 3)
    for name, s in sweeps.items():
        ax[0].loglog(s["rows"], s["by_rows"], "o-", label=name)
        ax[1].semilogy([r / 1e9 for r in s["rate"]], s["by_rate"], "o-", label=name)
        ax[2].semilogy(s["adc_bits"], s["by_adc_bits"], "o-", label=name)
    channels = next(iter(sweeps.values()))["channels"]
    ax[0].set(xlabel=f"core rows ({channels} channels)", ylabel="pJ per optical MAC (steady state)",
              title="vs core size")
    ax[1].set(xlabel="modulation rate (GS/s)", title=f"vs symbol rate (64 x {channels} core)")
    ax[2].set(xlabel="ADC bits", title=f"vs ADC resolution (64 x {channels} core)")
    ax[2].xaxis.set_major_locator(MaxNLocator(integer=True))
    for a in ax:
        a.axhline(1.0, color="k", lw=0.6, ls="--")
        a.grid(alpha=0.3, which="both")
        a.legend()
    fig.suptitle("steady-state photonic core: energy per optical MAC (every slot used, no re-programming, "
                 "no controller)", fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=110)
        return path
    return fig
