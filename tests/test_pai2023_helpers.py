"""Issue 30: the helpers of benchmarks/pai2023.py: their (simphox) matrix formulation of in-situ training
(benchmarks/pai2023_matrix.py) is exact without noise and loss, its io errors and tap noise move the gradient, and
an epoch checkpoint (photrain.nn.checkpoint, as benchmarks/pai2023.py uses it) restores the model and optimiser
state bit for bit."""

import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import ROOT

from photrain.nn import MZIMesh
from photrain.nn.checkpoint import load_checkpoint, save_checkpoint

sys.path.insert(0, str(ROOT / "benchmarks"))
import pai2023_matrix as pm  # noqa: E402

N = 4


class Two(eqx.Module):
    layers: tuple


def loss_of_logits(logits, y):
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))


@pytest.fixture(scope="module")
def setup():
    model = Two(tuple(MZIMesh(N, scheme="reck", key=jax.random.PRNGKey(i), ideal=True, readout="field")
                      for i in range(2)))
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(5, N)) + 1j * rng.normal(size=(5, N)), jnp.complex64)
    y = jnp.asarray(rng.integers(0, N, 5))
    # jax.grad of the same matrices, one program (eagerly its operations would each compile: issue 23)
    ref = eqx.filter_jit(eqx.filter_grad(lambda m: loss_of_logits(pm.apply([u.transfer() for u in m.layers], x, "all"),
                                                                  y)))(model)
    return model, x, y, ref


def _flat(g):
    return jnp.concatenate([jnp.concatenate([m.theta, m.phi, m.out_phase]) for m in g.layers])


def _cos(a, b):
    return float(a @ b / (jnp.linalg.norm(a) * jnp.linalg.norm(b)))


def test_matrix_formulation_exact_without_noise(setup):
    model, x, y, ref = setup
    loss, g = pm.value_and_grad(loss_of_logits, model, x, y, jax.random.PRNGKey(1), 0.0, 0.0, 0.0, head="all")
    np.testing.assert_allclose(_flat(g), _flat(ref), rtol=1e-4, atol=1e-5)
    assert np.isfinite(float(loss))


@pytest.mark.parametrize("amp, phase, shot", [(0.05, 0.0, 0.0), (0.0, 0.05, 0.0), (0.0, 0.0, 0.02)])
def test_matrix_formulation_errors_move_the_gradient(setup, amp, phase, shot):
    model, x, y, ref = setup
    _, g = pm.value_and_grad(loss_of_logits, model, x, y, jax.random.PRNGKey(1), amp, phase, shot, head="all")
    c = _cos(_flat(g), _flat(ref))
    assert 0.5 < c < 1 - 1e-6


def test_io_error_statistics():
    u = jnp.ones((400, 400), jnp.complex64)
    v = pm.io_error(u, jax.random.PRNGKey(0), 0.05, 0.1)
    assert abs(float(jnp.std(jnp.abs(v))) - 0.05) < 0.005
    assert abs(float(jnp.std(jnp.angle(v))) - 0.1 * np.pi) < 0.02


def test_checkpoint_round_trip(setup, tmp_path):
    model, x, y, ref = setup
    opt = optax.adam(0.01)
    state = opt.init(eqx.filter(model, eqx.is_inexact_array))
    updates, state = opt.update(eqx.filter(ref, eqx.is_inexact_array), state)
    model = eqx.apply_updates(model, updates)
    path = tmp_path / "ck.npz"
    save_checkpoint(path, model, state, {"epoch": 3, "record": {"errors": [0.5]}})
    fresh = Two(tuple(MZIMesh(N, scheme="reck", key=jax.random.PRNGKey(i + 5), ideal=True, readout="field")
                      for i in range(2)))
    m2, s2, meta = load_checkpoint(path, fresh, opt.init(eqx.filter(fresh, eqx.is_inexact_array)))
    assert meta == {"epoch": 3, "record": {"errors": [0.5]}}
    for a, b in zip(jax.tree_util.tree_leaves((eqx.filter(model, eqx.is_array), state)),
                    jax.tree_util.tree_leaves((eqx.filter(m2, eqx.is_array), s2)), strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b)) and np.asarray(a).dtype == np.asarray(b).dtype
    with pytest.raises(ValueError, match="holds another model"):
        load_checkpoint(path, fresh, optax.sgd(0.1).init(eqx.filter(fresh, eqx.is_inexact_array)))
