"""A run owns its ``--out`` folder: a lock file naming the process, a run id shared by checkpoint and results.

* ``<out>/.photrain-run.lock`` is created atomically (``O_CREAT | O_EXCL``) and
  names the run id, process id, host and start time. A second run into a locked
  folder is refused with that information. A lock left by a process that no
  longer exists on this host (killed with SIGKILL, power loss) is reclaimed, so
  ``--resume`` after a crash just works.
* A new run (no ``--resume``) into a folder that holds another run's checkpoint
  is refused unless ``overwrite``; with it, the old checkpoint, results and
  plot are removed first, so results.json and checkpoint.npz of one folder
  always carry the same run id.
* results.json and the lock are written by :func:`photrain.atomic_file.write_json_atomic`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
import zipfile
from pathlib import Path

import numpy as np

from photrain.atomic_file import write_json_atomic

LOCK_NAME = ".photrain-run.lock"
CHECKPOINT_NAME = "checkpoint.npz"
RUN_OUTPUTS = ("checkpoint.npz", "results.json", "learning_curve.png")


class RunFolderBusy(ValueError):
    """The run folder is locked by a live process, or holds another run that would be overwritten."""


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def checkpoint_meta(path: Path) -> dict | None:
    """The JSON metadata of a checkpoint (config, epoch, run_id, ...) without loading its arrays; None if unreadable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
        return meta if isinstance(meta, dict) else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _read_lock(lock: Path) -> dict:
    try:
        return json.loads(lock.read_text())
    except (OSError, ValueError):
        return {}


def _describe(info: dict) -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["started"])) if "started" in info else "?"
    return f"run {info.get('run_id', '?')} (pid {info.get('pid', '?')} on {info.get('host', '?')}, started {started})"


@contextlib.contextmanager
def claim_run_folder(out: str | Path, *, resume: bool, overwrite: bool = False):
    """Lock ``out`` for one run; yields the run id (the checkpoint's when resuming, else a new one).

    Raises :class:`RunFolderBusy` when another live process holds the folder,
    or when a new run would replace another run's checkpoint without ``overwrite``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK_NAME
    ckpt = out / CHECKPOINT_NAME
    info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
    for _ in range(5):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            other = _read_lock(lock)
            try:
                fresh = time.time() - lock.stat().st_mtime < 10
            except FileNotFoundError:
                continue
            same_host = other.get("host") == info["host"]
            stale = (not other and not fresh) or (same_host and isinstance(other.get("pid"), int)
                                                  and not _alive(other["pid"]))
            if stale:  # its process is gone: only one claimant wins the rename, the others retry
                grave = lock.with_name(f"{LOCK_NAME}.stale.{os.getpid()}")
                with contextlib.suppress(FileNotFoundError):
                    os.replace(lock, grave)
                    os.unlink(grave)
                continue
            where = "" if same_host or not other else f"; if that process is gone, delete {lock}"
            who = _describe(other) if other else "another photrain run (starting)"
            raise RunFolderBusy(f"{out} is in use by {who}; wait for it to finish or choose another --out{where}") from None
        with os.fdopen(fd, "w") as f:
            json.dump(info, f)
        break
    else:
        raise RunFolderBusy(f"{out}: could not take the run lock {lock}; delete it if no photrain run uses the folder")
    try:
        meta = checkpoint_meta(ckpt) if ckpt.exists() else None
        if resume:
            run_id = (meta or {}).get("run_id") or new_run_id()
        else:
            if ckpt.exists() and not overwrite:
                what = f"run {meta.get('run_id', '(no id)')}, epoch {meta.get('epoch', '?')}" if meta else "a checkpoint"
                raise RunFolderBusy(f"{out} already holds another run's checkpoint ({what}); pass --resume to continue "
                                    "it, --overwrite to replace it, or choose another --out")
            for name in RUN_OUTPUTS:  # a new run: nothing of the old one may be left beside it
                (out / name).unlink(missing_ok=True)
            run_id = new_run_id()
        write_json_atomic(lock, {**info, "run_id": run_id})
        yield run_id
    finally:
        if _read_lock(lock).get("pid") == os.getpid():
            lock.unlink(missing_ok=True)
