"""Epoch checkpoints for ``benchmarks/pai2023.py``: the model's and the optimiser state's arrays, the next epoch and
a JSON record, in one ``.npz`` written to a temporary file in the same folder and renamed over the old one (a run
killed mid-write leaves the previous checkpoint whole). Loading puts the saved arrays into the structure of the
given model and optimiser state (same shapes and dtypes required), so a resumed run continues bit for bit."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import equinox as eqx
import jax
import numpy as np


def _leaves(model, opt_state):
    return jax.tree_util.tree_leaves((eqx.filter(model, eqx.is_array), opt_state))


def save(path, model, opt_state, epoch: int, record) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"a{i}": np.asarray(v) for i, v in enumerate(_leaves(model, opt_state))}
    meta = json.dumps({"epoch": int(epoch), "record": record})
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, meta=np.asarray(meta), **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path, model, opt_state):
    """(model, opt_state, next epoch, record) from ``path``, in the structure of ``model`` and ``opt_state``."""
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        saved = [z[f"a{i}"] for i in range(len(z.files) - 1)]
    arrays, static = eqx.partition(model, eqx.is_array)
    leaves, treedef = jax.tree_util.tree_flatten((arrays, opt_state))
    if len(saved) != len(leaves) or any(s.shape != np.shape(v) or s.dtype != np.asarray(v).dtype
                                        for s, v in zip(saved, leaves, strict=True)):
        raise ValueError(f"checkpoint {path} does not match this run's model/optimiser; delete it or pass another "
                         f"--checkpoint folder")
    arrays, opt_state = jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(s) for s in saved])
    return eqx.combine(arrays, static), opt_state, meta["epoch"], meta["record"]
