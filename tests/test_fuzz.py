"""Fuzz (issue 15): hundreds of malformed circuits and command lines, each one refused the same way.

Every case must end with exit code 2, exactly one line on stderr starting with
``photrain``, no traceback, and no file created or changed. The circuits are
the shipped MZI with one defect drawn by hypothesis (a wrong type, name,
number, reference or structure, a duplicate key, an alias bomb, binary junk);
the command lines are a valid circuit with a malformed ``--wl``, ``--ports``,
output path or option. Derandomised, so CI runs the same corpus every time.
"""

import contextlib
import io
import math
import string
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from photrain.circuits import REGISTRY
from photrain.circuits.spec_checks import TOP_KEYS
from photrain.cli import main
from photrain.memory import MEMORIES, parameter_types

MZI = ROOT / "circuits" / "mzi.pic.yml"
BASE = yaml.safe_load(MZI.read_text())
NAMES = sorted(BASE["instances"])
FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
STATS = {"cases": 0, "seconds": 0.0}

ident = st.text(string.ascii_letters + "_", min_size=1, max_size=12)
junk = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=8),
                 st.lists(st.integers(), max_size=3), st.dictionaries(ident, st.integers(), max_size=2))
bad_number = st.one_of(st.just(math.nan), st.just(math.inf), st.just(-math.inf), st.floats(-1e6, -1e-3),
                       st.just(0), st.floats(3e6, 1e300), st.text(string.ascii_letters, min_size=1, max_size=6),
                       st.booleans(), st.lists(st.floats(0, 1), min_size=1, max_size=2))


def run_cli(argv, folder: Path):
    """(exit code, stderr, files created or changed under folder) of one CLI call."""
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    err, out = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as e:  # argparse's own errors
            rc = e.code
    STATS["cases"] += 1
    STATS["seconds"] += time.perf_counter() - t
    after = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    changed = sorted(str(p) for p in after if before.get(p) != after[p])
    return rc, err.getvalue(), changed


def assert_refused(rc, err, changed, what):
    lines = err.strip().splitlines()
    assert rc == 2, f"{what}: exit {rc}: {err}"
    assert len(lines) == 1 and lines[0].startswith("photrain"), f"{what}: {err!r}"
    assert "Traceback" not in err and "internal error" not in err, f"{what}: {err}"
    assert changed == [], f"{what}: wrote {changed}"


@st.composite
def defect(draw):
    """The MZI spec with one defect, as YAML text; also a label for the failure message."""
    spec = yaml.safe_load(yaml.safe_dump(BASE))
    inst = draw(st.sampled_from(NAMES))
    kind = draw(st.sampled_from([
        "component", "setting_key", "setting_value", "instance_junk", "section_junk", "top_key", "ref_missing",
        "ref_malformed", "port_twice", "placement", "array", "instance_name", "settings_junk", "no_instances",
    ]))
    if kind == "component":
        spec["instances"][inst] = {"component": draw(ident.filter(lambda s: s not in REGISTRY))}
    elif kind == "setting_key":
        known = ("length", "width", "npoints", "cross_section")
        spec["instances"]["up"]["settings"][draw(ident.filter(lambda s: s not in known))] = 1
    elif kind == "setting_value":
        key = draw(st.sampled_from(["length", "width"]))
        spec["instances"][draw(st.sampled_from(["up", "top", "down", "short"]))]["settings"][key] = draw(bad_number)
    elif kind == "instance_junk":
        spec["instances"][inst] = draw(junk.filter(lambda v: not isinstance(v, str)))
    elif kind == "section_junk":
        spec[draw(st.sampled_from(["instances", "connections", "ports", "placements", "routes", "nets"]))] = draw(
            st.one_of(st.integers(), st.text(max_size=5).filter(bool), st.lists(st.integers(), min_size=1, max_size=3)))
    elif kind == "top_key":
        spec[draw(ident.filter(lambda s: s not in TOP_KEYS))] = 1
    elif kind == "ref_missing":
        spec["ports"]["o1"] = f"{draw(ident.filter(lambda s: s not in NAMES))},o1"
    elif kind == "ref_malformed":
        bad = draw(st.one_of(ident, st.integers(), st.none(), st.lists(st.integers(), min_size=1, max_size=2)))
        spec[draw(st.sampled_from(["ports", "connections"]))]["o1" if draw(st.booleans()) else "b1,o1"] = bad
    elif kind == "port_twice":
        spec["ports"][draw(ident)] = draw(st.sampled_from(list(BASE["connections"]) + list(BASE["ports"].values())))
    elif kind == "placement":
        key = draw(st.sampled_from(["x", "y", "dx", "rotation", "zz"]))
        spec["placements"] = {inst: {key: draw(st.one_of(
            st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -3e6, True]),
            st.text(string.ascii_letters, min_size=1, max_size=6), st.lists(st.integers(), min_size=1, max_size=2)))}}
    elif kind == "array":
        spec["instances"][inst] = {"component": "straight", "array": {
            "columns": draw(st.integers(2000, 10**9)), "rows": draw(st.integers(2, 10**9)),
            "column_pitch": 10.0, "row_pitch": 10.0}}
    elif kind == "instance_name":
        spec["instances"][draw(st.sampled_from(["a,b", "", 7]))] = {"component": "straight"}
    elif kind == "settings_junk":
        spec["instances"]["up"]["settings"] = draw(st.one_of(st.integers(), st.text(min_size=1, max_size=4),
                                                             st.lists(st.integers(), min_size=1, max_size=2)))
    elif kind == "no_instances":
        spec["instances"] = {}
    return f"{kind}:{inst}", yaml.safe_dump(spec, sort_keys=False)


@st.composite
def text_defect(draw):
    """Defects only a text file can carry: duplicate keys, alias bombs, aliases in settings, junk bytes."""
    text = MZI.read_text()
    kind = draw(st.sampled_from(["duplicate", "bomb", "alias_settings", "binary", "garbage", "deep"]))
    if kind == "duplicate":
        name = draw(st.sampled_from(NAMES))
        text = text.replace("instances:\n", f"instances:\n  {name}: {{component: straight}}\n", 1)
    elif kind == "bomb":
        width, depth = draw(st.integers(6, 10)), draw(st.integers(7, 12))
        lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
        lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, depth)]
        text = "\n".join(lines) + "\n" + text.replace("split: {component: mmi2x2}",
                                                      f"split: {{component: mmi2x2, info: {{x: *l{depth - 1}}}}}")
    elif kind == "alias_settings":
        text = text.replace("settings: {length: 20}", "settings: &s {length: 20}", 1)
        text = text.replace("short: {component: straight, settings: {length: 60}}", "short: {component: straight, settings: *s}")
    elif kind == "binary":
        return kind, draw(st.binary(min_size=1, max_size=64))
    elif kind == "garbage":
        return kind, draw(st.text(min_size=0, max_size=40))
    elif kind == "deep":
        n = draw(st.integers(2000, 20000))
        text = "instances: " + "[" * n + "]" * n + "\n"
    return kind, text


@pytest.mark.parametrize("command", ["simulate", "layout"])
@FUZZ
@given(case=st.one_of(defect(), text_defect()))
def test_fuzz_malformed_circuits(tmp_path, command, case):
    label, content = case
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    src = folder / "fuzz.pic.yml"
    (src.write_bytes if isinstance(content, bytes) else src.write_text)(content)
    argv = ["simulate", src, "--wl", "1.5:1.6:11"] if command == "simulate" else ["layout", src, "-o", folder / "o.gds"]
    assert_refused(*run_cli(argv, folder), f"{command} {label}")


bad_wl = st.one_of(
    st.text(max_size=12).filter(lambda s: s.count(":") != 2),
    st.tuples(st.floats(100, 1e5), st.floats(100, 1e5), st.integers(2, 100)).map(lambda t: f"{t[0]}:{t[0] + t[1]}:{t[2]}"),
    st.tuples(st.floats(-10, 0), st.floats(0.1, 2), st.integers(2, 100)).map(lambda t: f"{t[0]}:{t[1]}:{t[2]}"),
    st.tuples(st.floats(1.0, 2.0), st.integers(2, 100)).map(lambda t: f"{t[0]}:{t[0]}:{t[1]}"),
    st.tuples(st.floats(1.5, 1.6), st.integers(-5, 1)).map(lambda t: f"1.5:1.6:{t[1]}"),
    st.integers(100_001, 10**12).map(lambda n: f"1.5:1.6:{n}"),
    st.sampled_from(["nan:1.6:11", "1.5:inf:11", "-inf:1.6:11", "1.5:nan:11", "1.5:1.6:1e3", "1.5:1.6:", "::"]),
)


@FUZZ
@given(wl=bad_wl, extra=st.sampled_from([[], ["--ports", "o1,o3"], ["--plot", "{folder}/p.png"]]))
def test_fuzz_wavelength_arguments(tmp_path, wl, extra):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    argv = ["simulate", MZI, f"--wl={wl}", *[e.format(folder=folder) for e in extra]]
    assert_refused(*run_cli(argv, folder), f"--wl {wl!r}")


@settings(FUZZ, max_examples=100)
@given(kind=st.sampled_from(["ports", "plot", "option", "max", "output"]), text=st.text(max_size=10), n=st.integers(-5, 0))
def test_fuzz_other_arguments(tmp_path, kind, text, n):
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    if kind == "ports":
        argv = ["simulate", MZI, "--wl", "1.5:1.6:11", "--ports", text.replace(",", "") or "o1"]
    elif kind == "plot":
        argv = ["simulate", MZI, "--wl", "1.5:1.6:11", "--plot", folder / f"p.{''.join(c for c in text if c.isalnum())}x"]
    elif kind == "option":
        argv = ["simulate", MZI, f"--{''.join(c for c in text if c.isalnum())}zz", "1"]
    elif kind == "max":
        argv = ["simulate", MZI, "--wl", "1.5:1.6:11", "--max-points", str(n)]
    else:
        argv = ["layout", MZI, "-o", folder / f"o.{''.join(c for c in text if c.isalnum())}x"]
    assert_refused(*run_cli(argv, folder), f"{kind} {text!r}")


class ReachedARun(BaseException):
    """Raised (past the CLI's error handling) if a fuzz case gets as far as training: fuzz cases never train."""


def never_runs(monkeypatch):
    import photrain.sweep
    import photrain.train
    import photrain.train.spiking_run

    def stop(*a, **k):
        raise ReachedARun("a fuzz case reached a training run or sweep")

    for module, name in ((photrain.train, "train"), (photrain.train.spiking_run, "run_stdp"), (photrain.sweep, "run")):
        monkeypatch.setattr(module, name, stop)


MEMORY_PARAMS = [(m, k, h) for m, cls in MEMORIES.items() for k, h in parameter_types(cls).items()]
not_bool = st.text(string.ascii_letters + string.digits + ".-", min_size=1, max_size=8).filter(
    lambda t: t.lower() not in ("true", "false", "yes", "no", "on", "off", "1", "0"))
not_number = st.one_of(st.sampled_from(["nan", "inf", "-inf", "1e999", "", "0x", "1,5", "true"]),
                       st.text(string.ascii_letters, min_size=1, max_size=6).filter(
                           lambda t: t.lower() not in ("inf", "nan", "infinity")))


@st.composite
def bad_memory_param(draw):
    """--memory MEM --memory-param KEY=VALUE where KEY is unknown or VALUE does not parse as KEY's declared type."""
    memory, key, hint = draw(st.sampled_from(MEMORY_PARAMS))
    kind = draw(st.sampled_from(["unknown", "value"]))
    if kind == "unknown":
        return memory, f"{draw(ident.filter(lambda k: k not in parameter_types(MEMORIES[memory])))}=1"
    if hint is bool:
        value = draw(not_bool)
    elif hint is str:
        value = ""
    elif hint is float:
        value = draw(not_number)
    else:  # int, int | None: a fraction or a word (not 'none')
        value = draw(st.one_of(st.floats(0.1, 0.9).map(lambda f: f"{3 + f:.3f}"), not_number.filter(
            lambda t: t.lower() not in ("none", "null", "~", ""))))
    return memory, f"{key}={value}"


@FUZZ
@given(case=bad_memory_param())
def test_fuzz_memory_params(tmp_path, monkeypatch, case):
    never_runs(monkeypatch)
    memory, item = case
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    argv = ["train", "--memory", memory, "--memory-param", item, "--out", folder / "run"]
    assert_refused(*run_cli(argv, folder), f"--memory {memory} --memory-param {item!r}")


bad_int_arg = st.one_of(st.integers(-10**20, -1).map(str), st.sampled_from(["", "1.5", "x", "1e3", "0x10", "-"]),
                        st.text(string.ascii_letters, min_size=1, max_size=5))


@settings(FUZZ, max_examples=100)
@given(option=st.sampled_from([("train", "--seed"), ("train", "--val-size"), ("stdp", "--max-images"),
                               ("sweep", "--num-cpus"), ("sweep", "--limit"), ("train", "--seed-big")]),
       value=bad_int_arg)
def test_fuzz_run_and_sweep_arguments(tmp_path, monkeypatch, option, value):
    """Seeds, validation sizes, image counts, worker counts and limits: refused as arguments, before any run."""
    never_runs(monkeypatch)
    command, flag = option
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    if flag == "--seed-big":
        flag, value = "--seed", str(2**32 + abs(hash(value)) % 10**12)
    elif flag in ("--val-size", "--max-images", "--num-cpus") and value.lstrip("-").isdigit():
        value = str(min(int(value), 0))  # 0 and negatives
    head = {"train": ["train"], "stdp": ["train", "--algorithm", "stdp"], "sweep": ["sweep", folder / "s.yml"]}[command]
    assert_refused(*run_cli([*head, f"{flag}={value}", "--out", folder / "out"], folder), f"{flag} {value!r}")


@st.composite
def bad_sweep(draw):
    """A sweep file with one defect on the newer surfaces: size, trial_cpus, random seed/bounds, seed, val_size, name."""
    spec = {"base": {"dataset": "digits", "hidden": [4], "epochs": 1}, "grid": {"lr": [0.01]}}
    kind = draw(st.sampled_from(["size", "samples", "cpus", "rseed", "bounds", "seed", "val_size", "name"]))
    if kind == "size":
        a, b = draw(st.integers(101, 10**4)), draw(st.integers(101, 300))
        spec["grid"] = {"seed": list(range(a)), "lr": [0.001 * (i + 1) for i in range(b)]}
    elif kind == "samples":
        spec["random"] = {"samples": draw(st.integers(10**4 + 1, 10**12)), "params": {"lr": {"uniform": [0.0, 1.0]}}}
    elif kind == "cpus":
        spec["trial_cpus"] = draw(st.sampled_from([math.nan, math.inf, -1, 0, 1e300, "two", True]))
    elif kind == "rseed":
        spec["random"] = {"samples": 2, "seed": draw(st.one_of(st.integers(-10**9, -1), st.sampled_from([1.5, "x"]))),
                          "params": {"lr": {"uniform": [0.0, 1.0]}}}
    elif kind == "bounds":
        lo, hi = draw(st.sampled_from([(0.0, math.inf), (-math.inf, 1.0), (math.nan, 1.0), (1.0, 0.5), (0.0, 0.0)]))
        spec["random"] = {"samples": 2, "params": {"lr": {draw(st.sampled_from(["uniform", "loguniform"])): [lo, hi]}}}
    elif kind == "seed":
        spec["grid"]["seed"] = [draw(st.one_of(st.integers(-10**9, -1), st.integers(2**32, 2**62)))]
    elif kind == "val_size":
        spec["grid"]["val_size"] = [draw(st.integers(-10**6, 0))]
    else:
        spec["name"] = draw(st.sampled_from(["../x", "a/b", "..", "/tmp/x"]))
    return kind, spec


@settings(FUZZ, max_examples=100)
@given(case=bad_sweep())
def test_fuzz_sweep_specs(tmp_path, case):
    kind, spec = case
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    src = folder / "s.yml"
    src.write_text(yaml.safe_dump(spec))
    before = src.stat().st_mtime_ns
    rc, err, changed = run_cli(["sweep", src], folder)
    assert src.stat().st_mtime_ns == before
    assert_refused(rc, err, changed, f"sweep {kind}: {spec}")


EP_STDP = {  # (command head, option, values out of range): refused before any data is read
    "--free-steps": (["--algorithm", "eqprop"], st.one_of(st.integers(-10**9, 0), st.integers(1001, 10**12))),
    "--nudged-steps": (["--algorithm", "eqprop"], st.one_of(st.integers(-10**9, 0), st.integers(1001, 10**12))),
    "--beta": (["--algorithm", "eqprop"], st.one_of(st.just(0.0), st.floats(-1e9, -1.0), st.sampled_from(
        [math.nan, math.inf, -math.inf]))),
    "--relax-step": (["--algorithm", "eqprop"], st.one_of(st.floats(-1e9, 0.0), st.floats(1.001, 1e9),
                                                          st.just(math.nan))),
    "--epochs": (["--algorithm", "eqprop"], st.one_of(st.integers(-10**9, 0), st.integers(10**4 + 1, 10**15))),
    "--hidden": (["--algorithm", "backprop"], st.one_of(st.integers(-10**9, 0), st.integers(10**5 + 1, 10**15))),
    "--neurons": (["--algorithm", "stdp"], st.one_of(st.integers(-10**9, 0), st.integers(10**4 + 1, 10**15))),
    "--prune-fraction": (["--algorithm", "stdp", "--prune", "soft"], st.one_of(
        st.floats(-1e9, -1e-9), st.floats(1.0, 1e9), st.just(math.nan))),
    "--stdp-epochs": (["--algorithm", "stdp"], st.one_of(st.integers(-10**9, 0), st.integers(10**4 + 1, 10**15))),
}


@settings(FUZZ, max_examples=100)
@given(option=st.sampled_from(sorted(EP_STDP)), data=st.data())
def test_fuzz_ep_stdp_and_size_options(tmp_path, monkeypatch, option, data):
    """EP's beta, sweep caps and relaxation step, STDP's neurons and pruning, epochs and widths out of range."""
    never_runs(monkeypatch)
    head, values = EP_STDP[option]
    value = data.draw(values)
    flag = "--epochs" if option == "--stdp-epochs" else option
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    argv = ["train", "--dataset", "digits", *head, f"{flag}={value}", "--out", folder / "out"]
    assert_refused(*run_cli(argv, folder), f"{option} {value!r}")


@pytest.fixture(scope="module")
def checkpoint_run(tmp_path_factory):
    """A run folder with a valid checkpoint of a tiny digits run, written without training."""
    from photrain.controller import Ledger
    from photrain.train import TrainConfig
    from photrain.train.checkpoint import save_checkpoint
    from photrain.train.trainer import _prepare

    out = tmp_path_factory.mktemp("ckpt")
    config = TrainConfig(dataset="digits", hidden=(4,), epochs=1, algorithm="backprop")
    p = _prepare(config, out / "checkpoint.npz", resume=False)
    save_checkpoint(out / "checkpoint.npz", config=config, epoch=1, state=p["hs"], best=p["best"],
                    history=[{"epoch": 1, "val_acc": 0.5}], ledger=Ledger(steps=3), run_id="r1")
    return out / "checkpoint.npz"


@st.composite
def bad_checkpoint(draw, blob: bytes):
    """A checkpoint cut short, or whose metadata has one field replaced by junk."""
    import json

    import numpy as np

    if draw(st.booleans()):
        return "cut", blob[: draw(st.integers(0, len(blob) - 1))]
    key = draw(st.sampled_from(["(all)", "config", "epoch", "history", "ledger", "run_id", "initial_loss"]))
    valid = {"run_id": lambda v: v is None or isinstance(v, str),  # junk that is a valid value is no defect
             "initial_loss": lambda v: v is None or (isinstance(v, int | float) and not isinstance(v, bool)),
             "epoch": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 1,
             "history": lambda v: v == [], "ledger": lambda v: v == {}}.get(key, lambda v: False)
    value = draw(junk.filter(lambda v: not valid(v)))
    with np.load(io.BytesIO(blob)) as z:
        arrays = dict(z)
    meta = json.loads(str(arrays["meta"]))
    meta = value if key == "(all)" else {**meta, key: value}
    arrays["meta"] = np.array(json.dumps(meta))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return f"meta {key}={value!r}", buf.getvalue()


@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_fuzz_resume_from_damaged_checkpoints(tmp_path, monkeypatch, checkpoint_run, data):
    """--resume from a truncated checkpoint or one with junk metadata: refused, the folder untouched, no training."""
    import photrain.train.trainer as trainer

    def stop(*a, **k):
        raise ReachedARun("a damaged checkpoint reached training")

    monkeypatch.setattr(trainer, "make_chunk_fn", stop)
    what, blob = data.draw(bad_checkpoint(checkpoint_run.read_bytes()))
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "checkpoint.npz").write_bytes(blob)
    argv = ["train", "--dataset", "digits", "--hidden", "4", "--epochs", "1", "--algorithm", "backprop", "--quiet",
            "--resume", "--out", folder]
    assert_refused(*run_cli(argv, folder), what)
    assert (folder / "checkpoint.npz").read_bytes() == blob


def test_fuzz_corpus_size_and_time():
    """Runs after the fuzz tests above (file order): a few hundred cases, well under a minute in all."""
    if STATS["cases"] == 0:
        pytest.skip("run with the fuzz tests above")
    print(f"fuzz: {STATS['cases']} cases in {STATS['seconds']:.1f} s")
    assert STATS["cases"] >= 600
    assert STATS["seconds"] < 60
