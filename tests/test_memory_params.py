"""--memory-param KEY=VALUE (issue 23 item 5): every parameter of every memory parsed to its declared type."""

import dataclasses
import types
import typing

import pytest

from photrain.cli import _key_values, _memory_params, build_parser, main
from photrain.memory import MEMORIES, memory_params, parameter_types
from photrain.train.trainer import make_run_controller


def _text(value, hint) -> str:
    """How a user types ``value`` (the default) on the command line: floats in exponent form, bools as words."""
    if isinstance(value, bool):
        return "false" if value else "true"  # the other value: the parse must not keep the default
    if isinstance(value, float):
        return f"{value:e}"
    if value is None:
        return "none"
    return str(value)


def _expected(text: str, hint):
    if hint is bool:
        return text == "true"
    if text == "none":
        return None
    if hint in (int, float) or typing.get_origin(hint) in (typing.Union, types.UnionType):
        return float(text) if hint is float else int(text)
    return text


class _Stop(Exception):
    pass


def cli_config(monkeypatch, argv):
    """The TrainConfig ``photrain train ARGV`` would train (the command's own path, stopped where training starts)."""
    import photrain.train

    seen = {}

    def stop(config, out, **kw):
        seen["config"] = config
        raise _Stop

    monkeypatch.setattr(photrain.train, "train", stop)
    args = build_parser().parse_args(["train", *argv])
    with pytest.raises(_Stop):
        args.func(args)
    return seen["config"]


CASES = [(name, f.name, f.default) for name, cls in MEMORIES.items() for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("memory,key,default", CASES, ids=[f"{m}-{k}" for m, k, _ in CASES])
def test_every_memory_param_is_parsed_to_its_declared_type(monkeypatch, memory, key, default):
    hint = parameter_types(MEMORIES[memory])[key]
    text = _text(default, hint)
    parsed = _memory_params(memory, _key_values([f"{key}={text}"], "--memory-param"))
    want = _expected(text, hint)
    assert parsed == {key: pytest.approx(want) if isinstance(want, float) else want}
    allowed = tuple(a for a in typing.get_args(hint)) or (hint,)
    assert type(parsed[key]) in allowed, (hint, parsed)
    # the path the CLI takes: argv -> TrainConfig (check_hardware builds the memory) -> the device itself
    config = cli_config(monkeypatch, ["--memory", memory, "--memory-param", f"{key}={text}", "--algorithm", "backprop"])
    assert config.memory_params == parsed
    assert getattr(make_run_controller(config, 10).memory, key) == parsed[key]


def test_no_float_field_is_left_to_the_caller():
    """Every memory has parameters of the types the parser knows (a new annotation would need a word here)."""
    known = {float, int, bool, str, int | None}
    assert {h for cls in MEMORIES.values() for h in parameter_types(cls).values()} <= known
    assert len(CASES) > 60  # six memories, every parameter


@pytest.mark.parametrize("text,value", [("1e-4", 1e-4), ("1E-4", 1e-4), ("0.0001", 1e-4), ("1_0e-5", 1e-4)])
def test_float_spellings(text, value):
    assert memory_params("rram", {"g_max": text}) == {"g_max": value}


@pytest.mark.parametrize("key,text,value", [
    ("n_levels", "none", None), ("n_levels", "null", None), ("n_levels", "16", 16), ("n_levels", "1.6e1", 16),
    ("max_pulses", "8e2", 800),
])
def test_ints_and_none(key, text, value):
    assert memory_params("rram", {key: text}) == {key: value}


@pytest.mark.parametrize("text,value", [("true", True), ("False", False), ("yes", True), ("off", False),
                                        ("1", True), ("0", False)])
def test_booleans(text, value):
    assert memory_params("pcm-3t1c", {"polarity_inversion": text}) == {"polarity_inversion": value}


def test_typed_values_from_yaml_or_python_pass_through():
    assert memory_params("rram", {"g_max": 1e-4, "w_max": 1, "n_levels": None}) == \
        {"g_max": 1e-4, "w_max": 1.0, "n_levels": None}
    assert type(memory_params("rram", {"w_max": 1})["w_max"]) is float


@pytest.mark.parametrize("memory,item,needles", [
    ("rram", "g_max=abc", ["g_max=abc", "'rram'", "a number"]),
    ("rram", "g_max=nan", ["g_max=nan", "a number"]),
    ("rram", "g_max=inf", ["g_max=inf", "a number"]),
    ("rram", "n_levels=2.5", ["n_levels=2.5", "an integer or none"]),
    ("rram", "max_pulses=none", ["max_pulses=none", "an integer"]),
    ("pcm-3t1c", "polarity_inversion=maybe", ["polarity_inversion", "true or false"]),
    ("fixed", "bits=", ["bits=", "an integer"]),
    ("rram", "g_mx=1e-4", ["no parameter 'g_mx'", "did you mean 'g_max'", "its parameters are g_min"]),
    ("float", "bits=8", ["memory 'float' has no parameter 'bits'", "it has no parameters"]),
    ("cbram", "n_levels=4.5", ["n_levels=4.5", "'cbram'", "an integer"]),
])
def test_bad_memory_params_are_one_line_exit_2_before_training(tmp_path, capsys, memory, item, needles):
    rc = main(["train", "--memory", memory, "--memory-param", item, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "--memory-param" in err
    for n in needles:
        assert n in err, (n, err)
    assert not (tmp_path / "run").exists()


def test_the_issues_command_line_builds_its_run_controller(monkeypatch):
    """``train --dataset digits --memory rram --memory-param g_max=1e-4`` (issue 23) gets as far as the run's controller.

    A real run (``--algorithm backprop --hidden 8 --epochs 1``) took 29 s here, all of it XLA compiling the RRAM
    step, so the suite stops at the controller the run would use: the device is built from the typed value.
    """
    config = cli_config(monkeypatch, ["--dataset", "digits", "--memory", "rram", "--memory-param", "g_max=1e-4",
                                      "--memory-param", "n_levels=none", "--core", "crossbar", "--algorithm", "backprop"])
    assert config.memory_params == {"g_max": 1e-4, "n_levels": None}
    device = make_run_controller(config, 10).memory
    assert (device.g_max, device.n_levels) == (1e-4, None)


def test_sweep_files_get_the_same_parse():
    from photrain.sweep.spec import expand, load_spec

    spec = load_spec({"base": {"memory": "rram"}, "grid": {"memory_params.g_max": ["1e-4", 5e-5]}})
    assert [t.config["memory_params"] for t in expand(spec)] == [{"g_max": 1e-4}, {"g_max": 5e-5}]
    with pytest.raises(ValueError, match="memory 'rram' needs g_max to be a number"):
        load_spec({"base": {"memory": "rram"}, "grid": {"memory_params.g_max": ["abc"]}})
