"""Runs own their folder and divergence is caught (issue 15, parts 1 and 3)."""

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import photrain.train.trainer as trainer
from photrain.cli import main
from photrain.train import TrainConfig, TrainingDiverged, train
from photrain.train.checkpoint import load_checkpoint, save_checkpoint
from photrain.train.run_folder import LOCK_NAME, RunFolderBusy, checkpoint_meta

TINY = dict(dataset="digits", hidden=(8,), algorithm="dfa", batch_size=32, lr=0.02)


def ids(out):
    return json.loads((out / "results.json").read_text())["run_id"], checkpoint_meta(out / "checkpoint.npz")["run_id"]


def test_two_runs_one_folder_second_is_refused_first_is_intact(tmp_path, capsys, monkeypatch):
    out, box = tmp_path / "run", {}
    release, real_run = threading.Event(), trainer._run

    def held_run(*args, **kwargs):  # the first run holds its folder until the second has been refused (no race
        release.wait(30)  # with a run that, its programs cached, would end before the second one starts)
        return real_run(*args, **kwargs)

    monkeypatch.setattr(trainer, "_run", held_run)

    def first():
        try:
            box["results"] = train(TrainConfig(epochs=2, **TINY), out, progress=False)
        except BaseException as err:  # noqa: BLE001 - reported below
            box["error"] = err

    a = threading.Thread(target=first)
    a.start()
    t0 = time.perf_counter()
    def claimed():  # the lock exists and names its run (it is created first, then filled in)
        try:
            return "run_id" in json.loads((out / LOCK_NAME).read_text())
        except (OSError, ValueError):
            return False

    while not claimed() and a.is_alive() and time.perf_counter() - t0 < 60:
        time.sleep(0.005)
    assert claimed(), box
    with pytest.raises(RunFolderBusy, match=rf"in use by run \w+ \(pid {os.getpid()} on "):
        train(TrainConfig(epochs=1, **TINY), out, progress=False)
    rc = main(["train", "--dataset", "digits", "--hidden", "8", "--epochs", "1", "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "in use by run" in err
    release.set()
    a.join()
    assert "error" not in box, box.get("error")
    results_id, ckpt_id = ids(out)
    assert results_id == ckpt_id == box["results"]["run_id"]
    assert checkpoint_meta(out / "checkpoint.npz")["epoch"] == 2 and box["results"]["epochs_run"] == 2
    assert not (out / LOCK_NAME).exists()
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "learning_curve.png", "results.json"]


def test_new_run_over_another_runs_checkpoint_needs_overwrite(tmp_path):
    out = tmp_path / "run"
    first = train(TrainConfig(epochs=1, **TINY), out, progress=False)
    with pytest.raises(RunFolderBusy, match=rf"already holds another run's checkpoint \(run {first['run_id']}, epoch 1\)"):
        train(TrainConfig(epochs=1, seed=2, **TINY), out, progress=False)
    assert ids(out) == (first["run_id"], first["run_id"])  # untouched
    second = train(TrainConfig(epochs=1, seed=2, **TINY), out, progress=False, overwrite=True)
    assert ids(out) == (second["run_id"], second["run_id"]) and second["run_id"] != first["run_id"]


def test_locks_of_live_and_dead_processes(tmp_path):
    out = tmp_path / "run"
    train(TrainConfig(epochs=1, **TINY), out, progress=False)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = {"pid": sleeper.pid, "host": os.uname().nodename, "started": time.time(), "run_id": "abc"}
        (out / LOCK_NAME).write_text(json.dumps(lock))
        with pytest.raises(RunFolderBusy, match=f"in use by run abc \\(pid {sleeper.pid} on"):
            train(TrainConfig(epochs=2, **TINY), out, resume=True, progress=False)
    finally:
        sleeper.kill()
        sleeper.wait()
    # the same lock, its process gone (SIGKILL leaves it behind): reclaimed, the resume goes ahead
    results = train(TrainConfig(epochs=2, **TINY), out, resume=True, progress=False)
    assert results["epochs_run"] == 2 and not (out / LOCK_NAME).exists()


def test_resume_with_more_epochs_extends_a_finished_run(tmp_path):
    one = train(TrainConfig(epochs=1, **TINY), tmp_path / "a", progress=False)
    two = train(TrainConfig(epochs=2, **TINY), tmp_path / "a", resume=True, progress=False)
    straight = train(TrainConfig(epochs=2, **TINY), tmp_path / "b", progress=False)
    assert two["run_id"] == one["run_id"] and two["epochs_run"] == 2
    for (w1, b1), (w2, b2) in zip(two["params"], straight["params"], strict=True):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)
    with pytest.raises(ValueError, match="has already done 2 epochs; pass --epochs 3 or more"):
        train(TrainConfig(epochs=1, **TINY), tmp_path / "a", resume=True, progress=False)


def test_checkpoint_writes_use_unique_temporary_names(tmp_path, monkeypatch):
    import photrain.atomic_file as atomic_file
    from photrain.controller import Ledger

    used, real = [], os.replace
    monkeypatch.setattr(atomic_file.os, "replace", lambda src, dst: (used.append(str(src)), real(src, dst)))
    for _ in range(2):
        save_checkpoint(tmp_path / "checkpoint.npz", config=TrainConfig(**TINY), epoch=1, state=[np.zeros(3)],
                        best=[(np.zeros((2, 2)), np.zeros(2))], history=[], ledger=Ledger(), run_id="r1")
    assert len(set(used)) == 2 and all(str(os.getpid()) in u for u in used)
    assert load_checkpoint(tmp_path / "checkpoint.npz")["run_id"] == "r1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]


# ------------------------------------------------------------------ part 3: divergence


def test_huge_learning_rate_stops_with_epoch_batch_and_a_suggestion(tmp_path, capsys):
    out = tmp_path / "run"
    rc = main(["train", "--dataset", "digits", "--algorithm", "dfa", "--hidden", "8", "--epochs", "2", "--lr", "1e6",
               "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "diverged at epoch 1, batch" in err and "--lr 0.01" in err
    assert "no checkpoint was written" in err and "is kept" not in err
    assert not (out / "results.json").exists()


def test_weights_far_beyond_the_memory_range_stop_the_run(tmp_path):
    with pytest.raises(TrainingDiverged, match=r"epoch 1, batch \d+: layer \d weights reach .*x the memory's range"):
        train(TrainConfig(epochs=1, **{**TINY, "lr": 1e6}), tmp_path / "run", progress=False, divergence_factor=0)


def test_divergence_in_a_later_epoch_keeps_the_checkpoint_and_warn_mode_goes_on(tmp_path, monkeypatch, capsys):
    calls = []

    def late(losses, *args):  # digits: 44 batches of 32, one chunk per epoch; the second epoch "diverges"
        calls.append(1)
        return (3, "loss exploded") if len(calls) >= 2 else None

    monkeypatch.setattr(trainer, "_divergence", late)
    with pytest.raises(TrainingDiverged, match=r"epoch 2, batch 4: loss exploded; the checkpoint of epoch 1 is kept at"):
        train(TrainConfig(epochs=2, **TINY), tmp_path / "a", progress=False)
    assert checkpoint_meta(tmp_path / "a" / "checkpoint.npz")["epoch"] == 1
    calls.clear()
    results = train(TrainConfig(epochs=2, **TINY), tmp_path / "b", progress=False, on_divergence="warn")
    assert results["epochs_run"] == 2
    err = capsys.readouterr().err
    assert err.count("photrain: warning: training diverged at epoch 2, batch 4") == 1


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 truncated zip", b"not a checkpoint at all"])
def test_corrupt_checkpoint_is_named_and_kept(tmp_path, capsys, content):
    out = tmp_path / "run"
    out.mkdir()
    (out / "checkpoint.npz").write_bytes(content)
    rc = main(["train", "--dataset", "digits", "--hidden", "8", "--epochs", "1", "--out", str(out), "--resume", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert "checkpoint.npz is not a readable photrain checkpoint" in err and "--overwrite" in err
    assert (out / "checkpoint.npz").read_bytes() == content and not (out / LOCK_NAME).exists()
