"""Bad input on the surfaces added since issue 15's fuzzing round (issue 23 item 6): seeds, validation sizes, STDP
image counts, sweep specs (sizes, worker counts, limits, Ray addresses that do not answer). One line on stderr
naming the problem and the fix, exit 2, no traceback, no hang, nothing written; all refused before any training."""

import socket
import time

import pytest
from conftest import refused

from photrain.sweep.runner import check_address
from photrain.sweep.spec import MAX_TRIALS, load_spec

OK = {"base": {"dataset": "digits", "hidden": [4], "epochs": 1, "algorithm": "backprop"}, "grid": {"seed": [1, 2]}}


@pytest.mark.parametrize("argv,needle", [
    (["train", "--seed", "-1"], "--seed: -1 is out of range; give an integer in [0, 4294967295]"),
    (["train", "--seed", str(2**70)], "--seed"),
    (["train", "--seed", "1.5"], "'1.5' is not an integer"),
    (["train", "--val-size", "0"], "--val-size: 0 is out of range; give an integer >= 1"),
    (["train", "--val-size", "-5"], "--val-size"),
    (["train", "--algorithm", "stdp", "--max-images", "0"], "--max-images: 0 is out of range"),
    (["train", "--algorithm", "stdp", "--seed", "-3"], "--seed"),
    (["sweep", "x.yml", "--num-cpus", "0"], "--num-cpus: 0 is out of range; give an integer >= 1"),
    (["sweep", "x.yml", "--limit", "-1"], "--limit: -1 is out of range; give an integer >= 0"),
])
def test_run_arguments_are_refused_before_anything_runs(tmp_path, capsys, argv, needle):
    refused([*argv, "--out", tmp_path / "out"], capsys, tmp_path, needle)


@pytest.mark.parametrize("change,match", [
    ({"grid": {"seed": list(range(MAX_TRIALS + 1))}}, r"10001 trials \(grid x random.samples\) is more than 10000"),
    ({"grid": {"seed": list(range(200)), "lr": [0.01 * (i + 1) for i in range(200)]}}, "40000 trials"),
    ({"random": {"samples": 10**9, "params": {"lr": {"loguniform": [0.001, 0.1]}}}}, "random.samples 1000000000"),
    ({"random": {"samples": 2, "seed": -1, "params": {"lr": {"uniform": [0.001, 0.1]}}}}, "random.seed must be an"),
    ({"random": {"samples": 2, "params": {"lr": {"uniform": [0.0, float("inf")]}}}}, "bounds must be finite"),
    ({"trial_cpus": float("nan")}, "trial_cpus must be a finite number > 0"),
    ({"trial_cpus": float("inf")}, "trial_cpus must be a finite number > 0"),
    ({"grid": {"seed": [-1, 2]}}, r"seed must be an integer in \[0, 2\^32 - 1\]"),
    ({"grid": {"val_size": [0]}}, "val_size must be >= 1"),
    ({"name": "../../etc"}, "name '../../etc' is a path"),
])
def test_sweep_specs_are_bounded_and_checked_before_expanding(change, match):
    t = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        load_spec({**OK, **change})
    assert time.perf_counter() - t < 1.0  # refused from the sizes, not after building 10**9 configs


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_ray_address_that_does_not_answer_fails_fast():
    port = _closed_port()
    t = time.perf_counter()
    with pytest.raises(RuntimeError, match=f"nothing answers at 127.0.0.1:{port}"):
        check_address(f"127.0.0.1:{port}")
    with pytest.raises(RuntimeError, match="nothing answers"):
        check_address(f"ray://127.0.0.1:{port}")
    assert time.perf_counter() - t < 5.0
    for bad in ("not an address", "host:", ":6379", "host:99999", "host:port"):
        with pytest.raises(RuntimeError, match="is not HOST:PORT"):
            check_address(bad)
    check_address("auto")  # Ray's own look-up: left to Ray


def test_sweep_cli_refuses_a_dead_address_before_writing(tmp_path, capsys, monkeypatch):
    import yaml

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    spec = tmp_path / "s.yml"
    spec.write_text(yaml.safe_dump({**OK, "out": str(tmp_path / "sw")}))
    refused(["sweep", spec, "--address", f"127.0.0.1:{_closed_port()}"], capsys, tmp_path, "nothing answers at",
            "ray start --head")
    assert not (tmp_path / "sw").exists()
