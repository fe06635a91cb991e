"""Atomic file writes: the one way photrain replaces a file that a run, a sweep or a user depends on.

    with atomic_write(path) as f:          # f: a binary file open on a unique temporary sibling of path
        np.savez(f, **arrays)
    write_json_atomic(path, record)

The data goes to ``.<name>.<pid>.<random>.tmp`` in the same folder (so the rename stays on one file system and
no two writers share a temporary name), is flushed to disk (``fsync``) and renamed over ``path`` (``os.replace``,
atomic on POSIX and Windows). A write that fails or is interrupted removes its temporary file and leaves the old
``path`` whole. Shared by every layer (checkpoints in ``train`` and ``nn``, run folders, sweep records, layouts).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def unique_tmp(path: Path) -> Path:
    """A temporary sibling of ``path`` no other writer uses: ``.<name>.<pid>.<random>.tmp``."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s new content to (by any writer, e.g. gdsfactory's
    ``write_gds``); on success it is renamed over ``path``, on failure removed. ``suffix``-sensitive writers get
    the temporary name with ``path``'s suffix appended."""
    path = Path(path)
    tmp = unique_tmp(path).with_suffix(".tmp" + path.suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_write(path) -> Iterator:
    """Yield a binary file whose content replaces ``path`` atomically, flushed to disk, when the block ends."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


def write_text_atomic(path, text: str) -> None:
    """Replace ``path``'s content by ``text`` (UTF-8) atomically."""
    with atomic_write(path) as f:
        f.write(text.encode("utf-8"))


def write_json_atomic(path, data, *, default=None) -> None:
    """Replace ``path``'s content by ``data`` as indented JSON, atomically (``default``: as for ``json.dumps``)."""
    write_text_atomic(path, json.dumps(data, indent=2, default=default))
