"""Checkpoints: the whole controller state (memories, registers, velocity), best weights, history, ledger.

One ``.npz`` per run folder, written atomically (temporary file, fsync, rename),
so an interrupted write never replaces a good checkpoint.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import asdict
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from photrain.atomic_file import atomic_write


def save_checkpoint(path: Path, *, config, epoch: int, state, best, history: list, ledger, run_id: str | None = None,
                    extra: dict | None = None) -> None:
    """Write a checkpoint atomically (a unique temporary name per writer, then rename).

    ``state``: any pytree (the controller's HubState); ``best``: [(W, b)]; ``run_id``: the run that owns
    the folder (also in its results.json); ``extra``: more JSON metadata (e.g. the run's initial loss).
    """
    meta = json.dumps({"config": asdict(config), "epoch": epoch, "history": history, "ledger": ledger.as_dict(),
                       "run_id": run_id, **(extra or {})})
    arrays = {f"state{i}": np.asarray(a) for i, a in enumerate(jax.tree_util.tree_leaves(state))}
    for i, (w, b) in enumerate(best):
        arrays[f"best{i}_w"], arrays[f"best{i}_b"] = np.asarray(w), np.asarray(b)
    arrays["meta"] = np.array(meta)
    with atomic_write(path) as f:
        np.savez(f, **arrays)


def load_checkpoint(path: Path, template=None) -> dict:
    """The checkpoint's contents: meta (config dict, epoch, history, ledger dict), best [(W, b)] and state.

    ``template``: a pytree of the state's structure (a freshly initialised controller state);
    without it ``state`` is the list of leaves.
    """
    fix = "delete it, or start again with --overwrite"
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = dict(z)
        meta = json.loads(str(arrays.pop("meta")))
        if not isinstance(meta, dict) or not {"config", "epoch", "history", "ledger"} <= meta.keys():
            raise ValueError("its metadata lacks config, epoch, history or ledger")
        history = meta["history"]
        if isinstance(meta["epoch"], bool) or not isinstance(meta["epoch"], int) or meta["epoch"] < 0 \
                or not isinstance(history, list) or not all(
                    isinstance(h, dict) and isinstance(h.get("val_acc"), int | float) for h in history):
            raise ValueError(f"epoch {meta['epoch']!r} / history are not a photrain run's")
        if not isinstance(meta.get("run_id"), str | None) or not isinstance(meta.get("initial_loss"), int | float | None):
            raise ValueError("run_id / initial_loss are not a photrain run's")
        n_best = sum(1 for k in arrays if k.startswith("best") and k.endswith("_w"))
        best = [(jnp.asarray(arrays[f"best{i}_w"]), jnp.asarray(arrays[f"best{i}_b"])) for i in range(n_best)]
        leaves = [jnp.asarray(arrays[f"state{i}"]) for i in range(sum(1 for k in arrays if k.startswith("state")))]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        detail = f"missing array {err}" if isinstance(err, KeyError) else f"{type(err).__name__}: {err}"
        raise ValueError(f"{path} is not a readable photrain checkpoint ({detail}); {fix}") from err
    if template is not None:
        treedef = jax.tree_util.tree_structure(template)
        if treedef.num_leaves != len(leaves):
            raise ValueError(f"checkpoint {path} holds {len(leaves)} state arrays but this configuration needs "
                             f"{treedef.num_leaves}; it belongs to a different run")
        for i, (a, t) in enumerate(zip(leaves, jax.tree_util.tree_leaves(template), strict=True)):
            if a.shape != np.shape(t):
                raise ValueError(f"checkpoint {path}: state array {i} has shape {a.shape} but this configuration "
                                 f"needs {np.shape(t)}; it belongs to a different run ({fix})")
        leaves = jax.tree_util.tree_unflatten(treedef, [a.astype(t.dtype) for a, t in
                                                        zip(leaves, jax.tree_util.tree_leaves(template), strict=True)])
    return {**meta, "best": best, "state": leaves}
