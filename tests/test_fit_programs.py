"""fit keeps its jitted step programs across calls (photrain.nn.fit._programs): an equal fit reuses them, and the
result is bit-identical to a fit that traced and compiled its own; anything the program depends on changes the key."""

import importlib
import types

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import photrain.nn as pnn

nn_fit = importlib.import_module("photrain.nn.fit")  # the module (photrain.nn.fit is also the function)

X = np.random.default_rng(0).normal(size=(100, 12)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int32)


def _model(hw=None):
    return pnn.convert(eqx.nn.MLP(12, 2, 8, 1, activation=jnp.tanh, key=jax.random.PRNGKey(0)),
                       hw or pnn.Hardware(memory="fixed", bits=8, rounding="stochastic"))


def _fit(model, opt, algorithm="backprop", seed=3):
    return pnn.fit(model, opt, (X, Y), algorithm=algorithm, epochs=1, batch_size=32, key=jax.random.PRNGKey(seed),
                   progress=False, drop_last=False, chunk=2)


def _arrays(model):
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array))]


def test_an_equal_fit_reuses_the_programs_and_gets_the_same_bits(monkeypatch):
    """DFA, another key: the reused program takes the second fit's own feedback matrices, order and noise (arguments,
    not constants), and its result is bit for bit that of a program traced and compiled for it."""
    monkeypatch.setattr(nn_fit, "_programs_kept", type(nn_fit._programs_kept)())
    opt = optax.sgd(0.1, momentum=0.9)
    first, h1 = _fit(_model(), opt, "dfa", seed=3)
    assert len(nn_fit._programs_kept) == 1
    kept = next(iter(nn_fit._programs_kept.values()))
    traced = kept["chunk"]._cache_size()
    second, h2 = _fit(_model(), opt, "dfa", seed=4)  # an equal model, the same optimizer object
    assert list(nn_fit._programs_kept.values()) == [kept] and next(iter(nn_fit._programs_kept.values())) is kept
    assert kept["chunk"]._cache_size() == traced  # reused, not traced again
    nn_fit._programs_kept.clear()
    fresh, h3 = _fit(_model(), opt, "dfa", seed=4)  # traced and compiled anew
    assert any(not np.array_equal(a, b) for a, b in zip(_arrays(first), _arrays(second), strict=True))
    for b, c in zip(_arrays(second), _arrays(fresh), strict=True):
        np.testing.assert_array_equal(b, c)
    assert [h["loss"] for h in h2] == [h["loss"] for h in h3] != [h["loss"] for h in h1]
    assert h1[-1]["ledger"] == h2[-1]["ledger"] == h3[-1]["ledger"]  # the kept step ledger counts the same
    assert h1[-1]["ledger"]["steps"] == 4  # 3 full batches and the last 4 examples


def test_what_the_program_depends_on_changes_the_key():
    opt = optax.sgd(0.1)

    def key(model=None, optimizer=opt, feedback=None, gradient="autodiff", algorithm="backprop"):
        static = eqx.partition(model or _model(), eqx.is_array)[1]
        return nn_fit._program_key(static, optimizer, nn_fit.cross_entropy, feedback, gradient, algorithm)

    base = key()
    assert base is not None and base == key()  # an equal model built again, the same optimizer object
    fb = types.SimpleNamespace(hardware=(None, pnn.Hardware(feedback="bank")), out_shape=(2,), noise=None)
    others = [key(optimizer=optax.sgd(0.1)),  # another optimizer object: its update may differ
              key(_model(pnn.Hardware(memory="fixed", bits=6, rounding="stochastic"))),  # another memory setting
              key(algorithm="dfa", feedback=fb), key(algorithm="dfa", feedback=types.SimpleNamespace(
                  hardware=fb.hardware, out_shape=(2,), noise=(0.03, 0.618))), key(gradient="insitu")]
    assert all(k is not None and k != base for k in others) and len(set(others)) == len(others)
    # 1 and 1.0 are equal but trace differently; a leaf that cannot be hashed cannot key a program
    assert nn_fit._program_key((1,), opt, None, None, "autodiff", "backprop") != \
        nn_fit._program_key((1.0,), opt, None, None, "autodiff", "backprop")
    assert nn_fit._program_key((np.ones(1, object),), opt, None, None, "autodiff", "backprop") is None


def test_the_kept_programs_are_bounded_and_unkeyable_ones_are_not_kept(monkeypatch):
    monkeypatch.setattr(nn_fit, "_programs_kept", type(nn_fit._programs_kept)())
    monkeypatch.setattr(nn_fit, "KEEP_PROGRAMS", 2)
    static = eqx.partition(_model(), eqx.is_array)[1]
    made = [nn_fit._programs(static, optax.sgd(lr), nn_fit.cross_entropy, None, "autodiff", "backprop")
            for lr in (0.1, 0.2, 0.3)]
    assert list(nn_fit._programs_kept.values()) == made[1:]  # the least recently used went
    nn_fit._programs((np.ones(1, object),), optax.sgd(0.1), nn_fit.cross_entropy, None, "autodiff", "backprop")
    assert list(nn_fit._programs_kept.values()) == made[1:]


def test_ep_runs_with_an_equal_controller_and_settings_share_their_chunk_function(monkeypatch):
    """photrain train's EP: a resumed run or rerun (equal controller and EP settings) reuses the jitted chunk;
    another EP setting, memory parameter or class count gets its own; without n_classes nothing is kept."""
    import dataclasses

    from photrain.train import TrainConfig, trainer

    monkeypatch.setattr(trainer, "_chunk_fns", type(trainer._chunk_fns)())
    cfg = TrainConfig(algorithm="eqprop", hidden=(8,), memory="rram", core="crossbar", epochs=1)

    def fn(c, n=10):
        return trainer.make_chunk_fn(c, trainer.make_run_controller(c, n), n)

    first = fn(cfg)
    assert fn(dataclasses.replace(cfg, epochs=3, seed=2)) is first  # resumed / extended / another seed
    others = [fn(dataclasses.replace(cfg, free_steps=7)), fn(dataclasses.replace(cfg, memory_params={"g_max": 1e-4})),
              fn(cfg, n=26)]
    assert all(o is not first for o in others) and len({id(o) for o in others}) == 3
    assert len(trainer._chunk_fns) == trainer.KEEP_CHUNK_FNS == 4
    assert trainer.make_chunk_fn(cfg, trainer.make_run_controller(cfg, 10)) is not first
