"""Energy per training step vs width, digital DFA against the optical modes (issue 28 item 2): ledger arithmetic."""

import math
from dataclasses import replace

import pytest

from photrain.controller.energy import PRESETS
from photrain.controller.energy.crossover import MODES, crossover, plot_crossover, step_energy, summary_line

WIDTHS = (64, 256)


@pytest.fixture(scope="module")
def result():
    return crossover(WIDTHS)


def test_the_demo_network_costs_what_the_demo_reports(result):
    # the demo's 64-wide digits network: 1.54 µJ digital DFA, 1.71 µJ optical DFA per step (README demo table)
    assert 1e6 * result["energy_j"]["digital DFA"][0] == pytest.approx(1.54, abs=0.005)
    assert 1e6 * result["energy_j"]["optical DFA"][0] == pytest.approx(1.71, abs=0.005)
    assert "heaters (hold)" not in result["breakdown"]["digital DFA"][0]


def test_with_the_preset_no_optical_mode_wins_and_the_hold_power_is_named(result):
    assert set(result["energy_j"]) == set(MODES)
    for m in ("optical DFA", "forward on cores"):
        assert result["wins"][m] is None and result["prevented_by"][m] == "heaters (hold)"
        assert 0 < result["break_even_hold_w"][m] < result["ring_hold_w"]
    line = summary_line(result)
    assert line.startswith("crossover: ") and "never wins for widths 64-256" in line


def test_break_even_hold_power_breaks_even(result):
    p = PRESETS["reference-paper"]
    be = result["break_even_hold_w"]["optical DFA"]
    e = sum(step_energy("optical DFA", WIDTHS[-1], preset=replace(p, ring_tuning_power=be)).values())
    assert math.isclose(e, result["energy_j"]["digital DFA"][-1], rel_tol=1e-9)
    cold = crossover(WIDTHS, preset=replace(p, ring_tuning_power=0.5 * be))
    assert cold["wins"]["optical DFA"] == WIDTHS[0] and "optical DFA wins from width 64" in summary_line(cold)


def test_bad_mode_or_width_is_refused():
    with pytest.raises(ValueError, match="unknown mode"):
        step_energy("quantum DFA", 64)
    with pytest.raises(ValueError, match="width must be >= 1"):
        step_energy("optical DFA", 0)


def test_panel_draws_every_mode(result):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    plot_crossover(ax, result)
    assert len(ax.get_lines()) == len(MODES) and "never" in ax.get_title()
