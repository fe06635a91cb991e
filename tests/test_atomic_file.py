"""photrain.atomic_file: a write replaces the file whole or not at all, and leaves no temporary file behind."""

import json
from pathlib import Path

import pytest

from photrain.atomic_file import atomic_path, atomic_write, write_json_atomic, write_text_atomic


def test_write_replaces_whole_and_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / "record.json"
    write_text_atomic(path, "old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_write(path) as f:
        f.write(b"half of the new")
        raise RuntimeError("disk full")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["record.json"]
    write_text_atomic(path, "new ü")
    assert path.read_text(encoding="utf-8") == "new ü" and len(list(tmp_path.iterdir())) == 1


def test_atomic_path_keeps_the_suffix_for_writers_that_need_it(tmp_path):
    path = tmp_path / "chip.gds"
    with atomic_path(path) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".gds" and tmp.name.startswith(".chip.gds.")
        tmp.write_bytes(b"GDS")
    assert path.read_bytes() == b"GDS" and [p.name for p in tmp_path.iterdir()] == ["chip.gds"]


def test_json_record_with_a_default_for_other_types(tmp_path):
    path = tmp_path / "trial.json"
    write_json_atomic(path, {"out": Path("/x"), "n": 1}, default=str)
    assert json.loads(path.read_text()) == {"out": "/x", "n": 1}
    with pytest.raises(TypeError, match="not JSON serializable"):
        write_json_atomic(path, {"out": Path("/y")})
    assert json.loads(path.read_text())["out"] == "/x" and len(list(tmp_path.iterdir())) == 1
