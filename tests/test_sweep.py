"""Sweeps: spec validation (clear errors naming the key), expansion, and trials on a 2-worker local Ray cluster
(failed trials recorded, sweep.csv and plots, resume after an interruption)."""

import csv
import json

import pytest

from photrain.sweep import build_config, expand, load_spec, read_status
from photrain.sweep.runner import run, start_ray

BASE = {"dataset": "digits", "algorithm": "dfa", "hidden": [16], "epochs": 2, "batch_size": 32}


def spec(**kw):
    return {"name": "t", "base": dict(BASE), **kw}


# ------------------------------------------------------------------ validation (no Ray)


@pytest.mark.parametrize("raw, match", [
    (spec(grid={"optical.adc_bit": [4]}), r"unknown parameter 'optical.adc_bit' \(did you mean 'optical.adc_bits' or"),
    (spec(grid={"lrr": [0.1]}), r"unknown parameter 'lrr' \(did you mean 'lr'\?\); TrainConfig has"),
    (spec(grid={"seed": []}), r"grid 'seed' is empty; give it at least one value"),
    (spec(grid={"seed": 3}), r"grid 'seed' must be a list of values"),
    (spec(grid={"optical.adc_bits": ["eight"]}), r"'optical.adc_bits' = 'eight' \(str\); expected an integer"),
    (spec(grid={"hidden": [16]}), r"'hidden' = 16 \(int\); expected a list"),
    (spec(grid={"lr": [True]}), r"'lr' = True \(bool\); expected a number"),
    (spec(grid={"lr.x": [1]}), r"'lr' is a value, not a group"),
    (spec(), r"nothing to sweep"),
    (spec(grid={"seed": [1]}, grids={}), r"unknown key\(s\) \['grids'\]"),
    (spec(grid={"epochs": [1]}), r"\['epochs'\] set in 'base' and swept"),
    (spec(grid={"lr": [-1.0]}), r"the trial \{'lr': -1.0\} is not a valid TrainConfig: --lr must be > 0"),
    (spec(random={"samples": 2, "params": {"lr": {"gauss": [0, 1]}}}), r"random parameter 'lr' must be one of"),
    (spec(random={"samples": 2, "params": {"lr": {"loguniform": [0, 1]}}}), r"need lo < hi and lo > 0"),
    (spec(random={"samples": 0, "params": {"lr": {"uniform": [0.1, 1]}}}), r"random.samples must be an integer >= 1"),
    (spec(grid={"seed": [1]}, on_divergence="maybe"), r"on_divergence must be 'stop' \(a diverging trial fails\) or 'warn'"),
])
def test_spec_errors_name_the_key(raw, match):
    with pytest.raises(ValueError, match=match):
        load_spec(raw)


def test_spec_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_spec(tmp_path / "nope.yml")
    (tmp_path / "bad.yml").write_text("grid: [1, 2\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_spec(tmp_path / "bad.yml")


def test_expand_grid_random_and_types(tmp_path):
    (tmp_path / "s.yml").write_text(
        "base: {dataset: digits, algorithm: optical-dfa, hidden: [8], optical: {core_rows: 16}}\n"
        "grid:\n  optical.power_per_channel: [1e-6, 1.0e-4]\n  seed: [1, 2]\n"
        "random: {samples: 3, seed: 7, params: {lr: {loguniform: [0.001, 0.1]}, optical.adc_bits: {randint: [2, 8]}}}\n")
    s = load_spec(tmp_path / "s.yml")
    assert s.name == "s" and str(s.out).endswith("sweeps/s")
    assert s.swept == ["optical.power_per_channel", "seed", "lr", "optical.adc_bits"]
    trials = expand(s)
    assert len(trials) == 2 * 2 * 3
    first = trials[0]
    assert first.params["optical.power_per_channel"] == 1e-6  # YAML's '1e-6' is a string: converted
    assert first.config["optical"]["power_per_channel"] == 1e-6 and first.config["optical"]["core_rows"] == 16
    assert [t.params["seed"] for t in trials[:6]] == [1, 1, 1, 2, 2, 2]
    lrs = [t.params["lr"] for t in trials[:3]]
    assert all(0.001 <= v <= 0.1 for v in lrs) and len(set(lrs)) == 3
    assert all(2 <= t.params["optical.adc_bits"] <= 8 and isinstance(t.params["optical.adc_bits"], int) for t in trials)
    assert [t.params for t in expand(load_spec(tmp_path / "s.yml"))] == [t.params for t in trials]  # seeded
    # the trial id depends on the config only, not on the grid's order
    swapped = load_spec({"base": {"dataset": "digits"}, "grid": {"seed": [1, 2], "lr": [0.1, 0.2]}})
    plain = load_spec({"base": {"dataset": "digits"}, "grid": {"lr": [0.1, 0.2], "seed": [1, 2]}})
    assert {t.id for t in expand(swapped)} == {t.id for t in expand(plain)}
    cfg = build_config(first.config)
    assert cfg.optical.power_per_channel == 1e-6 and cfg.hidden == (8,)


def test_shipped_sweep_is_valid():
    s = load_spec("sweeps/adc_bits_power.yml")
    trials = expand(s)
    assert len(trials) == 24
    assert {t.config["algorithm"] for t in trials} == {"optical-dfa"} and {t.config["dataset"] for t in trials} == {"digits"}
    assert sorted({t.params["seed"] for t in trials}) == [1, 2, 3]
    assert s.on_divergence == "warn"  # the 2- and 3-bit corners train erratically: recorded, not failed


# ------------------------------------------------------------------ on Ray: 2 local workers


@pytest.fixture(scope="module")
def executor():
    """A 2-worker local Ray cluster; where Ray cannot start (a machine too busy for its 15 s agent start-up) the
    same trials run on the 2-process fallback, and test_ray_cluster_ran_the_trials says so by skipping."""
    import ray

    try:
        start_ray(num_cpus=2)
    except RuntimeError as err:
        yield "local", str(err)
        return
    yield "ray", ""
    ray.shutdown()


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sweep_records_failures_and_writes_csv_and_plots(executor, tmp_path):
    kind, _ = executor
    res = run(spec(grid={"lr": [0.05, 1.0e30], "seed": [1]}), out=tmp_path / "sw", progress=False, executor=kind)
    assert res.summary["executor"] == kind and res.summary["workers"] == 2 and res.summary["trials"] == 2
    assert res.summary["done"] == 1 and res.summary["failed"] == 1
    rows = _read_csv(tmp_path / "sw" / "sweep.csv")
    assert len(rows) == 2
    assert [(r["lr"], r["seed"]) for r in rows] == [("0.05", "1"), ("1e+30", "1")]
    for r in rows[:1]:
        assert r["status"] == "done" and 0.5 < float(r["best_val_acc"]) <= 1 and float(r["trial_time_s"]) > 0
        assert r["algorithm"] == "dfa" and r["hidden"] == "[16]"  # every config value is a column
    for r in rows[1:]:
        assert r["status"] == "failed" and "TrainingDiverged" in r["error"] and r["best_val_acc"] == ""
        assert (tmp_path / "sw" / "trials" / r["trial"] / "error.txt").read_text().startswith("Traceback")
    assert {p.name for p in res.plots} == {"sweep_best_val_acc.png", "sweep_energy_per_step_j.png"}
    assert all(p.stat().st_size > 10_000 for p in res.plots)
    summary = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert summary["best_best_val_acc"] == float(rows[0]["best_val_acc"])
    # failed trials are kept (not re-run) unless asked
    again = run(spec(grid={"lr": [0.05, 1.0e30], "seed": [1]}), out=tmp_path / "sw", progress=False, plots=False,
                executor=kind)
    assert again.summary["ran"] == 0 and again.summary["failed"] == 1


def test_rerun_skips_finished_and_resumes_interrupted(executor, tmp_path):
    from photrain.train import train

    kind, _ = executor
    raw = spec(grid={"seed": [1, 2, 3]})
    out = tmp_path / "sw"
    first = run(raw, out=out, progress=False, plots=False, limit=1, executor=kind)  # a sweep stopped after one trial
    assert first.summary["ran"] == 1 and first.summary["pending"] == 2
    trials = expand(load_spec(raw))
    done_dir = out / "trials" / trials[0].id
    done_before = read_status(done_dir)
    assert done_before["status"] == "done"
    # the second trial was killed after its first epoch: a checkpoint and a 'running' record
    cut = out / "trials" / trials[1].id
    train(build_config(trials[1].config), cut, progress=False, stop_after_epoch=1)
    (cut / "results.json").unlink()
    (cut / "trial.json").write_text(json.dumps({"id": trials[1].id, "status": "running", "attempts": 1}))
    res = run(raw, out=out, progress=False, plots=False, executor=kind)
    assert res.summary["ran"] == 2 and res.summary["done"] == 3 and res.summary["pending"] == 0
    assert read_status(done_dir) == done_before  # untouched
    resumed = read_status(cut)
    assert resumed["resumed"] is True and resumed["resumed_from_epoch"] == 1 and resumed["attempts"] == 2
    assert len(json.loads((cut / "results.json").read_text())["history"]) == 2
    fresh = read_status(out / "trials" / trials[2].id)
    assert fresh["resumed"] is False and fresh["attempts"] == 1


def test_ray_cluster_ran_the_trials(executor):
    kind, why = executor
    if kind != "ray":
        pytest.skip(f"the sweep tests ran on the local-process fallback: {why}")
    import ray

    assert ray.cluster_resources()["CPU"] == 2


def test_a_worker_that_died_before_making_its_folder_is_recorded_as_failed(tmp_path):
    from photrain.sweep.runner import _failure

    trial = expand(load_spec(spec(grid={"seed": [1]})))[0]
    rec = _failure(trial, tmp_path, RuntimeError("A process in the process pool was terminated abruptly\nmore"))
    assert rec["status"] == "failed" and rec["error"] == "RuntimeError: A process in the process pool was terminated abruptly"
    assert read_status(tmp_path / "trials" / trial.id) == rec
