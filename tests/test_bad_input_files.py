"""Bad files on the surfaces of issue 23 item 6 not probed before: Touchstone data, checkpoints and results files,
run folders, dataset files, GDS / DRC decks, chip sizes, PHOTRAIN_PLATFORM, EP and STDP options. Each is one line
on stderr naming the problem and the fix, exit 2, no traceback, nothing written, nothing lost; nothing trains."""

import gzip
import json
import struct

import numpy as np
import pytest

from photrain.cli import main

RING_YML = ("name: ts\ninstances:\n  r: {component: touchstone, settings: {path: ring.s4p}}\n"
            "ports:\n  o1: r,o1\n  o2: r,o2\n  o3: r,o3\n  o4: r,o4\n")


def snapshot(folder):
    return {p: (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def refused(argv, capsys, folder, *needles):
    """Run the CLI; assert one line on stderr with every needle, exit 2, and ``folder`` exactly as before."""
    before = snapshot(folder)
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:  # argparse
        rc = e.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("photrain"), err
    assert "Traceback" not in err and "internal error" not in err, err
    for n in needles:
        assert n in err, (n, err)
    assert snapshot(folder) == before
    return err


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
