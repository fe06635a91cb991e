"""photrain.atomic_file: a write replaces the file whole or not at all, and leaves no temporary file behind."""

import pytest

from photrain.atomic_file import atomic_path, atomic_write, write_text_atomic


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
