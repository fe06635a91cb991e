"""Bad files on the surfaces of issue 23 item 6 not probed before: Touchstone data, checkpoints and results files,
run folders, dataset files, GDS / DRC decks, chip sizes, PHOTRAIN_PLATFORM, EP and STDP options. Each is one line
on stderr naming the problem and the fix, exit 2, no traceback, nothing written, nothing lost; nothing trains."""

import gzip
import json
import struct

import numpy as np
import pytest
from conftest import refused

RING_YML = ("name: ts\ninstances:\n  r: {component: touchstone, settings: {path: ring.s4p}}\n"
            "ports:\n  o1: r,o1\n  o2: r,o2\n  o3: r,o3\n  o4: r,o4\n")


def s4p_text(points=3, value="0.5 0.0"):
    rows = [f"{193.0e12 + 1e9 * k:.6e} " + " ".join([value] * 16) for k in range(points)]
    return "! photrain ports: 1=o1 2=o2 3=o3 4=o4\n# Hz S RI R 50\n" + "\n".join(rows) + "\n"


# ---------------------------------------------------------------- Touchstone files


@pytest.mark.parametrize("name,text,needle", [
    ("empty.s4p", "", "cannot read"),
    ("garbage.s4p", "hello world\n", "cannot read"),
    ("trunc.s4p", s4p_text(4)[:-40], "cannot read"),
    ("header.s4p", "# Hz S RI R 50\n", "no usable data"),
    ("nan.s4p", s4p_text(3, "nan 0.0"), "no usable data"),
    ("negative.s4p", s4p_text(3).replace("1.930000e+14", "-1.930000e+14"), "no usable data"),
    ("ports.s2p", s4p_text(3), "2-port"),
    ("ring.txt", s4p_text(3), "use the extension .sNp"),
])
def test_touchstone_readers_refuse_bad_files_naming_them(tmp_path, name, text, needle):
    from photrain.circuits.touchstone import read_touchstone

    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match=r"touchstone: .*") as info:
        read_touchstone(path)
    assert needle in str(info.value) and name in str(info.value)


def test_touchstone_reader_names_a_folder_and_a_missing_file(tmp_path):
    from photrain.circuits.touchstone import read_touchstone

    (tmp_path / "dir.s4p").mkdir()
    with pytest.raises(ValueError, match="is a folder; give the path of a .sNp file"):
        read_touchstone(tmp_path / "dir.s4p")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_touchstone(tmp_path / "missing.s4p")


def test_simulate_never_overwrites_the_touchstone_file_the_circuit_reads(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ring.s4p").write_text(s4p_text(5))
    (tmp_path / "c.pic.yml").write_text(RING_YML)
    for out in ("ring.s4p", "./ring.s4p", tmp_path / "ring.s4p"):
        refused(["simulate", "c.pic.yml", "--touchstone", out, "--wl", "1.5535:1.5536:3"], capsys, tmp_path,
                "is the input file", "choose another output path")


def test_simulate_a_corrupt_touchstone_instance_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ring.s4p").write_text(s4p_text(4)[:-40])
    (tmp_path / "c.pic.yml").write_text(RING_YML)
    refused(["simulate", "c.pic.yml", "--wl", "1.5535:1.5536:3", "--touchstone", "out.s4p"], capsys, tmp_path,
            "ring.s4p", "cannot read", "every row has 1 + 2N² numbers")


# ---------------------------------------------------------------- checkpoints, run folders, results files

TINY = ["train", "--dataset", "digits", "--hidden", "4", "--epochs", "1", "--algorithm", "backprop", "--quiet"]


@pytest.fixture
def never_trains(monkeypatch):
    """Any case that reaches the training loop fails the test (and costs no time)."""
    import photrain.train.spiking_run as spiking_run
    import photrain.train.trainer as trainer

    def reached(*a, **k):
        raise AssertionError("bad input reached training")

    monkeypatch.setattr(trainer, "make_chunk_fn", reached)
    monkeypatch.setattr(spiking_run, "train_stdp", reached)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A finished run's folder (checkpoint.npz, results.json, learning_curve.png), written without training."""
    from photrain.controller import Ledger
    from photrain.train import TrainConfig
    from photrain.train.checkpoint import save_checkpoint
    from photrain.train.trainer import _prepare

    out = tmp_path_factory.mktemp("run")
    config = TrainConfig(dataset="digits", hidden=(4,), epochs=1, algorithm="backprop")
    p = _prepare(config, out / "checkpoint.npz", resume=False)
    save_checkpoint(out / "checkpoint.npz", config=config, epoch=1, state=p["hs"], best=p["best"], history=[],
                    ledger=Ledger(steps=5), run_id="r1")
    results = {"run_id": "r1", "config": {"algorithm": "backprop", "memory": "float", "optical": {"core_rows": 64}},
               "layer_sizes": [64, 4, 10], "epochs_run": 1, "ledger": Ledger(steps=5).as_dict()}
    (out / "results.json").write_text(json.dumps(results))
    (out / "learning_curve.png").write_bytes(b"\x89PNG old run")
    return out


def copy_run(run_folder, dest):
    import shutil

    shutil.copytree(run_folder, dest)
    return dest


def _rewrite_checkpoint(path, change):
    with np.load(path) as z:
        arrays = dict(z)
    change(arrays)
    np.savez(path, **arrays)


def _meta(update):
    def change(arrays):
        meta = json.loads(str(arrays["meta"]))
        arrays["meta"] = np.array(json.dumps(update(meta)))
    return change


CHECKPOINT_DEFECTS = {
    "truncated": (lambda p: p.write_bytes(p.read_bytes()[:2000]), "not a readable photrain checkpoint"),
    "text": (lambda p: p.write_text("hello"), "not a readable photrain checkpoint"),
    "empty": (lambda p: p.write_bytes(b""), "not a readable photrain checkpoint"),
    "foreign npz": (lambda p: np.savez(p, a=np.zeros(3)), "missing array 'meta'"),
    "meta not json": (lambda p: _rewrite_checkpoint(p, lambda a: a.update(meta=np.array("{x"))), "JSONDecodeError"),
    "meta a list": (lambda p: _rewrite_checkpoint(p, lambda a: a.update(meta=np.array("[1, 2]"))), "lacks config"),
    "foreign config": (lambda p: _rewrite_checkpoint(p, _meta(lambda m: {**m, "config": {**m["config"], "x": 1}})),
                       "was not written by this photrain's train"),
    "foreign ledger": (lambda p: _rewrite_checkpoint(p, _meta(lambda m: {**m, "ledger": "x"})),
                       "was not written by this photrain's train"),
    "negative epoch": (lambda p: _rewrite_checkpoint(p, _meta(lambda m: {**m, "epoch": -1})), "not a photrain run"),
    "state dropped": (lambda p: _rewrite_checkpoint(p, lambda a: a.pop("state0")), "missing array 'state0'"),
    "state reshaped": (lambda p: _rewrite_checkpoint(p, lambda a: a.update(state0=np.zeros((7, 7)))),
                       "state array 0 has shape (7, 7)"),
}


@pytest.mark.parametrize("defect", CHECKPOINT_DEFECTS)
def test_resume_from_a_bad_checkpoint_is_one_line_and_keeps_the_folder(run_folder, tmp_path, capsys, never_trains,
                                                                        defect):
    out = copy_run(run_folder, tmp_path / "run")
    damage, needle = CHECKPOINT_DEFECTS[defect]
    damage(out / "checkpoint.npz")
    refused([*TINY, "--resume", "--out", out], capsys, tmp_path, needle, "checkpoint.npz")


def test_resume_with_another_configuration_names_the_difference(run_folder, tmp_path, capsys, never_trains):
    out = copy_run(run_folder, tmp_path / "run")
    refused([*TINY, "--hidden", "5", "--resume", "--out", out], capsys, tmp_path,
            "--resume with a different configuration than the checkpoint's: {'hidden': ((4,), (5,))}")


@pytest.mark.parametrize("extra,needle", [
    (["--val-size", "100000"], "--val-size can be at most 358"),
    (["--val-size", "359"], "--val-size 359 leaves no test images"),
    (["--lr", "-1"], "--lr must be > 0"),
    (["--memory", "rram", "--memory-param", "g_max=-1"], "g_max"),
    (["--dataset", "mnist", "--data-dir", "{bad}"], "not an unsigned-byte IDX file"),
])
def test_overwrite_loses_nothing_when_the_new_run_is_refused(run_folder, tmp_path, capsys, never_trains, extra, needle):
    """--overwrite removes the old run only once the new one has passed every check (arguments, data, split)."""
    bad = tmp_path / "data"
    (bad / "mnist").mkdir(parents=True)
    for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (bad / "mnist" / f).write_bytes(b"\x01\x02\x03\x04 not idx")
    out = copy_run(run_folder, tmp_path / "run")
    extra = [str(a).replace("{bad}", str(bad)) for a in extra]
    refused([*TINY, *extra, "--overwrite", "--out", out], capsys, tmp_path, needle)


@pytest.mark.parametrize("extra,needle", [
    (["--val-size", "100000"], "largest"),
    (["--dataset", "mnist", "--data-dir", "{bad}"], "not an unsigned-byte IDX file"),
])
def test_a_refused_run_leaves_no_empty_out_folder(tmp_path, capsys, never_trains, extra, needle):
    bad = tmp_path / "data"
    (bad / "mnist").mkdir(parents=True)
    for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (bad / "mnist" / f).write_bytes(b"\x01\x02\x03\x04 not idx")
    extra = [str(a).replace("{bad}", str(bad)) for a in extra]
    refused([*TINY, *extra, "--out", tmp_path / "new" / "run"], capsys, tmp_path, needle.replace("largest", "at most"))
    assert not (tmp_path / "new").exists()


def test_out_that_is_a_file_or_unwritable_is_refused_before_anything(tmp_path, capsys, never_trains):
    (tmp_path / "f").write_text("keep")
    refused([*TINY, "--out", tmp_path / "f"], capsys, tmp_path, "is a file, not a folder")
    refused([*TINY, "--out", tmp_path / "f" / "sub"], capsys, tmp_path, "is a file; choose a folder")


def _results(update):
    def damage(path):
        path.write_text(json.dumps(update(json.loads(path.read_text()))))
    return damage


RESULTS_DEFECTS = {
    "truncated": (lambda p: p.write_text(p.read_text()[:30]), "line 1"),
    "a list": (lambda p: p.write_text("[]"), "list indices"),
    "binary": (lambda p: p.write_bytes(b"\xff\xfe\x00"), "codec can't decode"),
    "no epochs": (_results(lambda r: {k: v for k, v in r.items() if k != "epochs_run"}), "epochs_run"),
    "text epochs": (_results(lambda r: {**r, "epochs_run": "a"}), "epochs_run 'a' is not a count"),
    "ledger text": (_results(lambda r: {**r, "ledger": "x"}), "must be a mapping"),
    "ledger key": (_results(lambda r: {**r, "ledger": {"bogus": 1}}), "unexpected keyword argument 'bogus'"),
    "ledger nan": (_results(lambda r: {**r, "ledger": {"steps": "many"}}), "not all numbers"),
    "core rows": (_results(lambda r: {**r, "config": {**r["config"], "optical": {"core_rows": -3}}}), "must be >= 1"),
    "memory": (_results(lambda r: {**r, "config": {**r["config"], "memory": "nope"}}), "unknown memory 'nope'"),
}


@pytest.mark.parametrize("defect", RESULTS_DEFECTS)
def test_energy_on_a_bad_results_file_is_one_line_and_writes_nothing(run_folder, tmp_path, capsys, defect):
    out = copy_run(run_folder, tmp_path / "run")
    damage, needle = RESULTS_DEFECTS[defect]
    damage(out / "results.json")
    refused(["energy", out], capsys, tmp_path, "is not a photrain results.json", needle,
            "pass the --out folder of a finished 'photrain train' run")


# ---------------------------------------------------------------- dataset files


def idx(dims, data=None, magic=b"\x00\x00\x08"):
    body = bytes(data) if data is not None else bytes(int(np.prod(dims)))
    return magic + bytes([len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + body


GOOD = {"train-images-idx3-ubyte": idx((3, 2, 2)), "train-labels-idx1-ubyte": idx((3,), [0, 1, 2]),
        "t10k-images-idx3-ubyte": idx((2, 2, 2)), "t10k-labels-idx1-ubyte": idx((2,), [0, 1])}

DATA_DEFECTS = {
    "truncated gzip": ("train-images-idx3-ubyte", lambda b: gzip.compress(b)[:-12], True, "corrupt gzip file"),
    "not gzip": ("train-labels-idx1-ubyte", lambda b: b, True, "corrupt gzip file"),
    "wrong magic": ("t10k-images-idx3-ubyte", lambda b: b"\x12\x34" + b[2:], False, "magic 1234"),
    "truncated data": ("t10k-images-idx3-ubyte", lambda b: b[:-3], False, "truncated (5 bytes of data"),
    "too short": ("train-images-idx3-ubyte", lambda b: b[:2], False, "too short for an IDX file"),
    "labels as images": ("train-labels-idx1-ubyte", lambda b: idx((3, 2, 2)), False, "1 (labels)"),
    "counts disagree": ("t10k-labels-idx1-ubyte", lambda b: idx((5,), [0] * 5), False, "2 images but"),
    "label out of range": ("train-labels-idx1-ubyte", lambda b: idx((3,), [0, 1, 200]), False, "label 200"),
}


@pytest.mark.parametrize("defect", DATA_DEFECTS)
def test_corrupt_or_inconsistent_dataset_files_name_the_file_and_the_fix(tmp_path, capsys, never_trains, defect):
    name, damage, gz, needle = DATA_DEFECTS[defect]
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    for f, blob in GOOD.items():
        if f == name:
            (folder / (f + ".gz" if gz else f)).write_bytes(damage(blob))
        else:
            (folder / f).write_bytes(blob)
    err = refused([*TINY, "--dataset", "mnist", "--data-dir", tmp_path / "data", "--out", tmp_path / "out"], capsys,
                  tmp_path, needle)
    assert str(folder) in err and ("copy" in err or "download" in err), err


# ---------------------------------------------------------------- layout, drc, chips


@pytest.mark.parametrize("size,needle", [
    ("0", "N in [2, 9]"), ("-3", "N in [2, 9]"), ("10000", "N in [2, 9]"), ("x", "N in [2, 9]"), ("4x4", "N in [2, 9]"),
])
def test_mesh_chip_sizes_are_bounded_before_anything_is_built(tmp_path, capsys, size, needle):
    refused(["layout", "--chip", "mesh", "--size", size, "-o", tmp_path / "m.gds"], capsys, tmp_path,
            f"--size {size!r}", needle)


@pytest.mark.parametrize("size", ["0x4", "8", "100000x100000", "65x1", "64x64", "axb", "8x4x2"])
def test_bank_chip_sizes_are_bounded_before_anything_is_built(tmp_path, capsys, size):
    refused(["layout", "--chip", "bank", "--size", size, "-o", tmp_path / "b.gds"], capsys, tmp_path,
            "each in [1, 64] and at most 1024 rings")


def test_layout_outputs_are_checked_before_building(tmp_path, capsys):
    (tmp_path / "c.pic.yml").write_text(RING_YML)
    refused(["layout", "--chip", "mesh", "-o", tmp_path / "c.pic.yml"], capsys, tmp_path, "write the chip as .gds")
    refused(["layout", "--chip", "mesh", "-o", tmp_path / "m.gds", "--png", tmp_path / "m.gds"], capsys, tmp_path,
            "--png", "use one of .png")
    (tmp_path / "dir.png").mkdir()
    refused(["layout", "--chip", "mesh", "-o", tmp_path / "m.gds", "--png", tmp_path / "dir.png"], capsys, tmp_path,
            "is a folder")


@pytest.mark.parametrize("blob", [b"", b"hello", bytes(range(256)) * 2])
def test_drc_of_a_corrupt_gds_is_one_line(tmp_path, capsys, blob):
    (tmp_path / "bad.gds").write_bytes(blob)
    refused(["drc", tmp_path / "bad.gds"], capsys, tmp_path, "bad.gds: not a readable GDS/OASIS layout")
    refused(["drc", tmp_path / "missing.gds"], capsys, tmp_path, "does not exist")


DECKS = {
    "not yaml": ("foo: [1, 2\n", "not a YAML file at line 2"),
    "binary": ("\udcff", "not a YAML file"),
    "a list": ("- a\n- b\n", "needs 'layers'"),
    "no layers": ("rules: []\n", "needs 'layers'"),
    "layers a list": ("layers: [1, 0]\nrules: []\n", "'layers' must map names"),
    "layer of one number": ("layers: {WG: [1]}\nrules: []\n", "'layers' must map names"),
    "rules text": ("layers: {WG: [1, 0]}\nrules: x\n", "'rules' must be a list"),
    "rule without name": ("layers: {WG: [1, 0]}\nrules: [{kind: width}]\n", "'rules' must be a list"),
    "value text": ("layers: {WG: [1, 0]}\nrules: [{name: a, kind: width, layer: WG, value: abc}]\n", "value 'abc'"),
    "value negative": ("layers: {WG: [1, 0]}\nrules: [{name: a, kind: width, layer: WG, value: -1}]\n", "value -1"),
    "unknown kind": ("layers: {WG: [1, 0]}\nrules: [{name: a, kind: wide, layer: WG}]\n", "has kind 'wide'"),
    "no layer2": ("layers: {WG: [1, 0]}\nrules: [{name: a, kind: separation, layer: WG}]\n", "names layer2 None"),
    "layer a list": ("layers: {WG: [1, 0]}\nrules: [{name: a, kind: width, layer: [1]}]\n", "names layer [1]"),
    "metrics": ("layers: {WG: [1, 0]}\nrules: [{name: a, kind: width, layer: WG, metrics: taxi}]\n", "metrics 'taxi'"),
    "angle": ("layers: {WG: [1, 0]}\nrules: [{name: a, kind: width, layer: WG, ignore_angle: x}]\n", "ignore_angle"),
}


@pytest.mark.parametrize("defect", DECKS)
def test_a_deck_that_is_not_a_deck_is_one_line_naming_it(tmp_path, capsys, defect):
    from photrain.layout.drc import load_deck

    text, needle = DECKS[defect]
    deck = tmp_path / "deck.yml"
    deck.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ValueError, match="deck.yml") as info:
        load_deck(deck)
    assert needle in str(info.value), str(info.value)


def test_drc_markers_never_overwrite_the_layout_or_the_deck(tmp_path, capsys):
    (tmp_path / "a.gds").write_bytes(b"layout")
    (tmp_path / "deck.yml").write_text("layers: {}\nrules: []\n")
    refused(["drc", tmp_path / "a.gds", "--markers", tmp_path / "a.gds"], capsys, tmp_path, "is the input file")
    refused(["drc", tmp_path / "a.gds", "--markers", tmp_path / "deck.yml"], capsys, tmp_path, "use one of .gds, .oas")
    refused(["drc", tmp_path / "a.gds", "--show", "-1"], capsys, tmp_path, "--show: -1 is out of range")


# ---------------------------------------------------------------- PHOTRAIN_PLATFORM


@pytest.mark.parametrize("value,needle", [
    ("garbage", "is not a JAX platform: use one of auto, cpu, gpu, cuda, rocm, tpu"),
    ("gpu;rm -rf", "is not a JAX platform"),
    ("tpu", "JAX finds no tpu device on this machine"),
])
def test_a_bad_platform_is_one_line_naming_the_variable(tmp_path, capsys, monkeypatch, value, needle):
    import jax

    if value == "tpu" and any(d.platform == "tpu" for d in jax.devices()):
        pytest.skip("this machine has a TPU")
    monkeypatch.setenv("PHOTRAIN_PLATFORM", value)
    refused(["energy", tmp_path / "nothere"], capsys, tmp_path, "PHOTRAIN_PLATFORM=", needle)


def test_a_bad_platform_is_one_line_from_the_console_script_too(tmp_path):
    """The variable is read when photrain is imported: the command reports it, a library import raises."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PHOTRAIN_PLATFORM": "garbage"}
    cmd = [sys.executable, "-m", "photrain.cli", "energy", str(tmp_path / "nothere")]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "PHOTRAIN_PLATFORM='garbage'" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-c", "import photrain"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "ValueError: PHOTRAIN_PLATFORM='garbage'" in r.stderr


def test_launched_by_cli():
    from photrain._platform import launched_by_cli

    assert launched_by_cli(["/venv/bin/photrain", "train"])
    assert launched_by_cli(["python", "-m", "photrain.cli", "train"])
    assert not launched_by_cli(["python", "-m", "pytest", "photrain"])
    assert not launched_by_cli(["python", "-c", "import photrain"])


# ---------------------------------------------------------------- EP and STDP options, run sizes

EP = ["train", "--algorithm", "eqprop", "--dataset", "digits", "--quiet"]
STDP = ["train", "--algorithm", "stdp", "--dataset", "digits", "--quiet"]


@pytest.mark.parametrize("argv,needle", [
    ([*EP, "--beta", "0"], "--beta must be a finite non-zero"),
    ([*EP, "--beta", "-1"], "needs |beta| < 1"),
    ([*EP, "--beta", "nan"], "--beta must be a finite"),
    ([*EP, "--free-steps", "0"], "--free-steps must be an integer in [1, 1000]"),
    ([*EP, "--free-steps", "100000000"], "--free-steps must be an integer in [1, 1000]"),
    ([*EP, "--nudged-steps", "-2"], "--nudged-steps must be an integer in [1, 1000]"),
    ([*EP, "--relax-step", "0"], "--relax-step must be in (0, 1]"),
    ([*EP, "--layer-scale", "nan", "1"], "--layer-scale factors must be finite"),
    ([*EP, "--hidden", "4", "4"], "give --layer-scale with 3 factors"),
    ([*EP, "--hidden", "100000000"], "give widths in [1, 100000]"),
    ([*EP, "--epochs", "100000000"], "give at most 10000"),
    ([*EP, "--lr", "inf"], "--lr must be > 0 and finite"),
    ([*TINY, "--hidden", "100000", "100000"], "is more than 50,000,000 (out of memory)"),
    ([*TINY, "--batch-size", "100000000"], "--batch-size 100000000 is larger than digits's training set"),
    ([*TINY, "--noise-sigma", "nan"], "--noise-sigma must be a finite number"),
    ([*STDP, "--neurons", "0"], "neurons must be a positive integer, at most 10000"),
    ([*STDP, "--neurons", "100000000"], "neurons must be a positive integer, at most 10000"),
    ([*STDP, "--epochs", "100000000"], "epochs must be an integer in [1, 10000]"),
    ([*STDP, "--prune", "soft", "--prune-fraction", "1.5"], "prune_fraction must be in [0, 1)"),
    ([*STDP, "--prune-fraction", "nan"], "prune_fraction must be in [0, 1)"),
    ([*STDP, "--mature-spikes", "-1"], "mature_spikes must be >= 1"),
    ([*STDP, "--prune-ramp", "-1"], "prune_ramp must be an integer >= 0"),
    ([*STDP, "--readout", "bogus"], "readout must be one of"),
    ([*STDP, "--memory-bits", "4", "--memory", "rram"], "--memory-bits sets a fixed-point memory"),
])
def test_ep_stdp_and_size_options_are_refused_with_their_limit(tmp_path, capsys, never_trains, argv, needle):
    refused([*argv, "--out", tmp_path / "out"], capsys, tmp_path, needle)


def test_stdp_memory_bits_is_honoured_not_dropped(tmp_path, capsys, monkeypatch):
    """--memory-bits N means --memory fixed, bits=N for STDP as for the layered rules (it was silently ignored)."""
    import photrain.train.spiking_run as spiking_run

    seen = {}

    def fake(cfg, out, **kw):
        seen.update(kw)
        raise ValueError("stop here")

    monkeypatch.setattr(spiking_run, "run_stdp", fake)
    refused([*STDP, "--memory-bits", "4", "--out", tmp_path / "out"], capsys, tmp_path, "stop here")
    assert seen["memory"] == "fixed" and seen["memory_params"]["bits"] == 4
