"""Issue 11: energy and latency of one training step (EP, backprop) on the crossbar, the bank and digital."""

import json

import pytest

from photrain.bench import RRAM_STEP, TRAIN_CORES, eqprop_sweeps, format_training_table, training_step_table
from photrain.cli import main
from photrain.controller import Ledger, build_controller
from photrain.controller.energy import MEMORY_WRITE_ENERGY, PRESETS, CoreSpec, energy_report
from photrain.controller.energy import crossbar as xbar
from photrain.train.eqprop import EqPropConfig
from photrain.train.steps import eqprop_ledger, eqprop_run_ledger

SIZES = [64, 32, 10]


def test_crossbar_read_energy_is_ohmic_and_cited():
    v, g, t = 0.2, 52.5e-6, 100e-9  # CrossbarConfig.read_voltage, mid RRAM window, 1 / 10 MHz TIA bandwidth
    assert xbar.mac_energy() == pytest.approx(2 * v * v * g * t)
    assert all(len(src) > 30 for _, src in xbar.SOURCES.values())
    assert set(xbar.MEMORY_PULSE_TIME) == set(MEMORY_WRITE_ENERGY)
    led = Ledger(analog_macs=1000, analog_dac_conversions=64, analog_adc_conversions=10, analog_slots=3,
                 memory_pulses=400, steps=1)
    p = PRESETS["conservative"]
    rep = energy_report(led, p, CoreSpec(4, 4), memory="rram", write_parallelism=8)
    assert rep.energy["crossbar arrays"] == pytest.approx(1000 * xbar.mac_energy())
    assert rep.energy["crossbar DACs"] == pytest.approx(64 * p.dac_fom * 2**p.dac_bits)
    assert rep.energy["crossbar ADCs + TIAs"] == pytest.approx(10 * (p.adc_fom * 2**p.adc_bits + p.receiver_energy))
    assert rep.energy["memory writes"] == pytest.approx(400 * MEMORY_WRITE_ENERGY["rram"][0])
    assert rep.crossbar_time == pytest.approx(3 * 100e-9) and rep.write_time == pytest.approx(400 * 10e-9 / 8)
    assert rep.latency == pytest.approx(rep.crossbar_time + rep.write_time)  # no optics, no digital MACs
    assert rep.optical_core_energy == pytest.approx(rep.energy["memory writes"])  # crossbar is not "optical"
    with pytest.raises(ValueError, match="write_parallelism"):
        energy_report(led, p, CoreSpec(4, 4), memory="rram", write_parallelism=0)


def test_eqprop_ledger_counts_the_sweeps_run():
    ctrl = build_controller(memory="rram", core="crossbar")
    cfg = EqPropConfig(free_steps=20, nudged_steps=8)
    caps = eqprop_ledger(ctrl, SIZES, 4, cfg)
    run = eqprop_ledger(ctrl, SIZES, 4, cfg, (5, 3))
    # W_1 x once; per sweep W_2 s_1 and W_2^T s_2 (10 x 32 each), batch 4
    assert run.analog_macs == 4 * (64 * 32 + 8 * 2 * 32 * 10)
    assert caps.analog_macs - run.analog_macs == 4 * (28 - 8) * 2 * 32 * 10
    assert run.analog_slots == 4 * (1 + 2 * 8) and caps.analog_slots == 4 * (1 + 2 * 28)
    assert eqprop_ledger(ctrl, SIZES, 4, cfg, (cfg.free_steps, cfg.nudged_steps)) == caps
    with pytest.raises(ValueError, match="at least one sweep"):
        eqprop_ledger(ctrl, SIZES, 4, cfg, (0, 3))
    # a run's ledger from its total sweeps equals the sum of its steps' ledgers (the trainer's accounting)
    steps = [(5, 3), (20, 8), (1, 1)]
    total = Ledger()
    for sw in steps:
        total.add(eqprop_ledger(ctrl, SIZES, 4, cfg, sw))
    assert eqprop_run_ledger(ctrl, SIZES, 4, cfg, 3, sum(f + n for f, n in steps)) == total
    with pytest.raises(ValueError, match="at least 6"):
        eqprop_run_ledger(ctrl, SIZES, 4, cfg, 3, 5)


def test_training_step_table_rows_are_the_ledger_times_the_cited_costs():
    rows = training_step_table(SIZES[1:-1], n_in=SIZES[0], n_out=SIZES[-1], core_rows=16, measure_sweeps=False)
    assert [(r["algorithm"], r["core"]) for r in rows] == [(a, c) for a in ("eqprop", "backprop") for c in TRAIN_CORES]
    row = next(r for r in rows if r["algorithm"] == "eqprop" and r["core"] == "crossbar")
    cfg, p = EqPropConfig(), PRESETS["reference-paper"]
    assert row["sweeps"] == (cfg.free_steps, cfg.nudged_steps)
    n_sweeps, n_w = cfg.free_steps + cfg.nudged_steps, 64 * 32 + 32 * 10
    led = row["ledger"]
    # closed form of the EP step's counts on a 128 x 128 crossbar, batch 1
    assert led["analog_macs"] == 64 * 32 + 2 * n_sweeps * 32 * 10
    assert led["analog_adc_conversions"] == 32 + n_sweeps * (10 + 32)
    assert led["analog_dac_conversions"] == 64 + n_sweeps * (32 + 10)
    assert led["memory_pulses"] == 2 * n_w and led["optical_macs"] == 0
    assert led["digital_macs"] == 2 * n_w  # the two phases' outer products
    energy = (led["analog_macs"] * 2 * 0.2**2 * 52.5e-6 * 100e-9
              + led["analog_dac_conversions"] * p.dac_fom * 2**p.dac_bits
              + led["analog_adc_conversions"] * (p.adc_fom * 2**p.adc_bits + p.receiver_energy)
              + led["digital_macs"] * p.digital_mac_energy
              + (led["memory_reads"] + led["memory_writes"]) * p.sram_energy
              + 2 * n_w * MEMORY_WRITE_ENERGY["rram"][0])
    assert row["energy_j"] == pytest.approx(energy, rel=1e-9)
    arrays = 2  # one 128 x 128 array per layer
    latency = ((1 + 2 * n_sweeps) * 100e-9 + led["digital_macs"] / p.digital_mac_rate
               + 2 * n_w * 10e-9 / (128 * arrays))
    assert row["latency_s"] == pytest.approx(latency, rel=1e-9)
    assert row["edp_js"] == pytest.approx(energy * latency, rel=1e-9)
    by = {(r["algorithm"], r["core"]): r for r in rows}
    for core in TRAIN_CORES:  # EP relaxes: more products than one backprop step on the same core
        assert by["eqprop", core]["energy_j"] > by["backprop", core]["energy_j"]
    assert by["eqprop", "bank"]["energy_by_component_j"]["heaters (program)"] > 0
    assert by["eqprop", "digital"]["ledger"]["analog_macs"] == 0
    assert "eqprop on crossbar (rram weights)" in format_training_table(rows)
    assert RRAM_STEP["pulse_mode"] == "sign"


def test_eqprop_sweeps_measured_on_the_core_stop_at_or_before_the_caps():
    cfg = EqPropConfig(free_steps=60, nudged_steps=5)
    free, nudged = eqprop_sweeps(build_controller(), SIZES, cfg)  # digital: settles below tol
    assert 1 <= free < 60 and 1 <= nudged <= 5


def test_cli_bench_prints_the_training_table(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--hidden", "16", "--repeats", "2", "--eqprop-sweeps", "caps", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "eqprop on crossbar (rram weights)" in text and "backprop on bank" in text
    saved = json.loads(out.read_text())
    assert len(saved["training"]) == 6 and saved["inference"][0]["hardware"].startswith("CPU")
    with pytest.raises(SystemExit) as e:
        main(["bench", "--preset", "optimistic"])
    assert e.value.code == 2 and "invalid choice: 'optimistic'" in capsys.readouterr().err
