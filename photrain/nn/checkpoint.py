"""Training checkpoints: a model's arrays, its optimiser state and a JSON record, in one ``.npz`` file.

    save_checkpoint("run/ckpt.npz", model, opt_state, {"epoch": 3, "history": [...]})
    model, opt_state, meta = load_checkpoint("run/ckpt.npz", fresh_model, optimizer.init(params))
    model, history = fit(model, optimizer, data, epochs=10, initial_epoch=meta["epoch"], opt_state=opt_state, ...)

Every array leaf of the model (weights in memories, device states, biases, counters) and of the optimiser state is
stored as it is, bit for bit; the static parts (layer kinds, hardware settings, the optimiser's functions) come from
the fresh model and optimiser state given to :func:`load_checkpoint`, whose structure must match the saved one
(same leaves, shapes and dtypes: a different model or optimiser is a one-line error, not a silent mix). A run that
continues from a checkpoint through ``fit``'s ``initial_epoch`` / ``opt_state`` is bit-identical to one that never
stopped (``tests/test_nn_checkpoint.py``).

The write is atomic (:mod:`photrain.atomic_file`: a temporary sibling, ``fsync``, rename over the old file), so a
run killed mid-write leaves the previous checkpoint whole. No pickle: the record is JSON, the arrays plain ``.npy``
members. For a finished model without optimiser state, use :func:`photrain.nn.save` / :func:`photrain.nn.load`
(which also restore the hardware settings).
"""

from __future__ import annotations

import json
from pathlib import Path

import equinox as eqx
import jax
import numpy as np

from photrain.atomic_file import atomic_write

_META = "meta"


def _state(model, opt_state):
    """The arrays a resumed run needs: every array leaf of the model and the optimiser state."""
    return eqx.filter(model, eqx.is_array), opt_state


def save_checkpoint(path, model, opt_state, meta: dict | None = None) -> Path:
    """Write ``model``'s arrays, ``opt_state`` and the JSON-serialisable ``meta`` to ``path`` (``.npz``), atomically.

    The folder is created if missing. Returns the path written.
    """
    path = Path(path)
    try:
        record = json.dumps({} if meta is None else meta)
    except TypeError as err:
        raise ValueError(f"save_checkpoint: meta must be JSON-serialisable ({err}); pass plain numbers, strings, "
                         f"lists and dicts") from None
    leaves = jax.tree_util.tree_leaves(_state(model, opt_state))
    arrays = {f"a{i}": np.asarray(leaf) for i, leaf in enumerate(leaves)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as f:
        np.savez(f, **{_META: np.asarray(record)}, **arrays)
    return path


def load_checkpoint(path, model, opt_state):
    """``(model, opt_state, meta)`` from :func:`save_checkpoint`'s file at ``path``.

    ``model`` and ``opt_state``: a fresh model and optimiser state of the run being continued (they give the
    structure and the static parts). Raises ``FileNotFoundError`` naming the path when it is missing and
    ``ValueError`` naming it when the file is not a checkpoint or holds another model's or optimiser's arrays.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; check the path or start the run without it")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z[_META]))
            saved = [z[f"a{i}"] for i in range(len(z.files) - 1)]
    except (KeyError, ValueError, OSError) as err:
        raise ValueError(f"checkpoint {path} is not a photrain checkpoint ({type(err).__name__}); delete it or pass "
                         f"another path") from None
    template = _state(model, opt_state)
    leaves, treedef = jax.tree_util.tree_flatten(template)
    mismatch = len(saved) != len(leaves) or any(
        s.shape != np.shape(t) or s.dtype != np.asarray(t).dtype for s, t in zip(saved, leaves, strict=False))
    if mismatch:
        raise ValueError(f"checkpoint {path} holds another model's or optimiser's arrays ({len(saved)} saved, "
                         f"{len(leaves)} expected, or shapes/dtypes differ); delete it or pass another path")
    arrays, opt_state = jax.tree_util.tree_unflatten(treedef, [jax.numpy.asarray(s) for s in saved])
    return eqx.combine(arrays, eqx.partition(model, eqx.is_array)[1]), opt_state, meta
