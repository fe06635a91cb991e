"""photrain.nn.checkpoint: a run saved after an epoch and continued from the file ends bit-identical to a run that
never stopped (PCM + 3T1C memory: device states, transfer counters and optimiser moments all restored); wrong files
are one-line errors naming the path; the write is atomic."""

import equinox as eqx
import jax
import numpy as np
import optax
import pytest

import photrain.nn as pnn
from photrain.nn.checkpoint import load_checkpoint, save_checkpoint
from photrain.nn.fit import _params


def _fresh():
    mlp = eqx.nn.MLP(16, 4, 8, 1, key=jax.random.PRNGKey(0))
    return pnn.convert(mlp, pnn.Hardware(memory="pcm-3t1c"), key=jax.random.PRNGKey(3))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 16)).astype(np.float32)
    return x, (x[:, :4].argmax(1)).astype(np.int32)


def test_resume_from_checkpoint_is_bit_exact(data, tmp_path):
    opt = optax.adam(0.01)
    kw = dict(batch_size=16, key=jax.random.PRNGKey(1), progress=False)
    model = _fresh()
    full, _ = pnn.fit(model, opt, data, epochs=2, **kw)
    path = tmp_path / "run" / "ck.npz"
    first, _ = pnn.fit(model, opt, data, epochs=1,
                       on_epoch=lambda e, m, s: save_checkpoint(path, m, s, {"epoch": e["epoch"]}), **kw)
    assert sorted(p.name for p in path.parent.iterdir()) == ["ck.npz"]  # no temporary file left behind
    fresh = _fresh()
    restored, state, meta = load_checkpoint(path, fresh, opt.init(_params(fresh, True)))
    assert meta == {"epoch": 1}
    again, _ = pnn.fit(restored, opt, data, epochs=2, initial_epoch=meta["epoch"], opt_state=state, **kw)
    leaves = jax.tree_util.tree_leaves(eqx.filter(full, eqx.is_array))
    assert len(leaves) > 4
    for a, b in zip(leaves, jax.tree_util.tree_leaves(eqx.filter(again, eqx.is_array)), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.layers[0].read(), full.layers[0].read())  # one epoch short of the full run


def test_checkpoint_errors_name_the_path(data, tmp_path):
    model = _fresh()
    state = optax.adam(0.01).init(_params(model, True))
    path = save_checkpoint(tmp_path / "ck.npz", model, state, {"epoch": 0})
    before = path.read_bytes()
    with pytest.raises(ValueError, match="meta must be JSON"):
        save_checkpoint(path, model, state, {"epoch": np.zeros(2)})
    assert path.read_bytes() == before  # a failed save leaves the old checkpoint whole
    with pytest.raises(ValueError, match=f"checkpoint {path} holds another model"):
        load_checkpoint(path, model, optax.sgd(0.1, momentum=0.9).init(_params(model, True)))
    with pytest.raises(FileNotFoundError, match="nothere.npz does not exist"):
        load_checkpoint(tmp_path / "nothere.npz", model, state)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz is not a photrain checkpoint"):
        load_checkpoint(bad, model, state)
