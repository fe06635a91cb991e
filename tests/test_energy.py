"""Energy/latency model: closed-form ledger counts, linearity, presets, the report and the bench table."""

import json
from dataclasses import asdict

import pytest

from photrain.bench import format_table, inference_ledger, latency_table
from photrain.cli import main
from photrain.controller import Ledger
from photrain.controller.energy import (
    PRESETS,
    SOURCES,
    CoreSpec,
    EnergyParams,
    energy_report,
    load_preset,
    plot_report,
    steady_state_core,
    sweep_pj_per_mac,
)
from photrain.train import OpticalConfig, TrainConfig, train
from photrain.train.trainer import step_ledger


def test_step_ledger_matches_closed_form_counts():
    sizes, b, rows = [784, 800, 800, 10], 64, 64
    cfg = TrainConfig(hidden=(800, 800), algorithm="optical-dfa", batch_size=b, optical=OpticalConfig(core_rows=rows))
    led = step_ledger(cfg, sizes)
    fwd = 784 * 800 + 800 * 800 + 800 * 10
    # B e for two hidden layers of 800 on 64-row x 10-channel banks, one pass per block (offset encoding)
    assert led.optical_macs == b * 2 * 800 * 10
    assert led.optical_passes == 2 * 13  # ceil(800 / 64) row blocks per layer
    assert led.symbol_slots == 2 * 13 * b
    assert led.dac_conversions == 2 * 13 * 10 * b and led.adc_conversions == 2 * 800 * b
    assert led.digital_macs == 2 * b * fwd  # forward + the update delta^T h
    assert led.memory_writes == led.memory_reads == fwd


def test_energy_is_linear_in_the_counts():
    counts = dict(optical_macs=1000, digital_macs=500, dac_conversions=70, adc_conversions=90, memory_writes=11,
                  memory_reads=13, programmings=3, optical_passes=5, symbol_slots=40, steps=1)
    core = CoreSpec(8, 4, 2)
    one = energy_report(Ledger(**counts), "conservative", core)
    three = energy_report(Ledger(**{k: 3 * v for k, v in counts.items()}), "conservative", core)
    for k in one.energy:
        assert three.energy[k] == pytest.approx(3 * one.energy[k], rel=1e-12), k
    assert three.latency == pytest.approx(3 * one.latency)
    p = PRESETS["conservative"]
    # closed forms of two entries
    assert one.energy["adcs"] == pytest.approx(90 * p.adc_fom * 2**p.adc_bits)
    assert one.energy["laser"] == pytest.approx(70 * p.optical_power_per_channel / (p.laser_wall_plug * p.modulation_rate))
    assert one.optical_time == pytest.approx(40 / p.modulation_rate / 2)
    with pytest.raises(ValueError, match="symbol_slots"):
        energy_report(Ledger(optical_macs=10), "conservative", core)


def test_reference_preset_reaches_the_claimed_regime_and_conservative_is_reported():
    ref = steady_state_core("reference-paper", CoreSpec(64, 16))
    assert ref.optical_mac_rate > 1e12 and ref.pj_per_optical_mac < 1.0
    cons = steady_state_core("conservative", CoreSpec(64, 16))
    assert cons.pj_per_optical_mac > ref.pj_per_optical_mac
    s = sweep_pj_per_mac("conservative")
    assert s["by_adc_bits"] == sorted(s["by_adc_bits"])  # more ADC bits cost more
    assert s["by_rows"][0] > s["by_rows"][-1]  # DACs and laser amortised over more rows


def test_presets_are_sourced_and_validated():
    assert set(SOURCES) == set(asdict(PRESETS["conservative"]))
    assert all(len(src) > 20 for *_, src in SOURCES.values())
    good = asdict(PRESETS["conservative"])
    assert load_preset(good) == PRESETS["conservative"]
    with pytest.raises(ValueError, match="missing \\['adc_fom'\\]"):
        load_preset({k: v for k, v in good.items() if k != "adc_fom"})
    with pytest.raises(ValueError, match="must be >= 0"):
        EnergyParams(**{**good, "sram_energy": -1.0})
    with pytest.raises(ValueError, match="efficiency"):
        EnergyParams(**{**good, "laser_wall_plug": 1.5})
    with pytest.raises(KeyError, match="unknown energy preset"):
        load_preset("optimistic")


def test_report_renders_and_cli_energy(tmp_path, capsys):
    led = inference_ledger([64, 32, 10], OpticalConfig(core_rows=16).bank(10), reprogram=True)
    rep = energy_report(led, "reference-paper", CoreSpec(16, 10))
    assert plot_report(rep, tmp_path / "e.png").stat().st_size > 5000
    cfg = TrainConfig(dataset="digits", hidden=(16,), algorithm="optical-dfa", epochs=1, batch_size=32,
                      optical=OpticalConfig(core_rows=16))
    train(cfg, tmp_path / "run", progress=False)
    assert main(["energy", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "pJ/MAC" in out and "heaters (hold)" in out
    saved = json.loads((tmp_path / "run" / "energy.json").read_text())
    assert set(saved) == set(PRESETS) and saved["conservative"]["total_energy_j"] > 0
    assert (tmp_path / "run" / "energy_sweep.png").stat().st_size > 5000
    assert main(["energy", str(tmp_path / "nothing")]) == 2


def test_bench_table_has_cpu_and_photonic_rows():
    rows = latency_table((32,), n_in=64, core_rows=16, repeats=3)
    assert rows[0]["hardware"].startswith("CPU") and rows[0]["inference_s"] > 0
    assert sum("photonic" in r["hardware"] for r in rows) == 4
    stationary = next(r for r in rows if "stationary" in r["hardware"])
    single = next(r for r in rows if "1 core" in r["hardware"] and r["hardware"].endswith("tile"))
    assert single["inference_s"] > stationary["inference_s"]  # re-programming waits for the heaters
    assert "EDP" in format_table(rows)
