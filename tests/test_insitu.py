"""Issue 30: MZI meshes trained in the phase domain, gradients measured in situ (Hughes et al., Optica 5, 864
(2018)): the in-situ gradient against jax.grad of the same loss, the pass counts, when the three-intensity form
is exact, the output screen's gradient, bad inputs and fit(..., gradient='insitu')."""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from photrain.nn import MZIMesh, fit, insitu_grad
from photrain.nn import insitu as ins

BATCH = 3


def _data(n, seed=0):
    """Complex inputs (B, n), complex field targets (B, n), integer labels (B,)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, n)) + 1j * rng.normal(size=(BATCH, n))
    t = rng.normal(size=(BATCH, n)) + 1j * rng.normal(size=(BATCH, n))
    return jnp.asarray(x), jnp.asarray(t), jnp.asarray(rng.integers(0, n, BATCH))


def mse(model, x, t):
    """Field readout: mean |y - t|^2 (depends on the output phases)."""
    return jnp.mean(jnp.abs(jax.vmap(model)(x) - t) ** 2)


def cross_entropy(model, x, labels):
    """Intensity readout |y|^2 as logits, softmax cross-entropy."""
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(3.0 * jax.vmap(model)(x), labels))


def magnitude_only(model, x, t):
    """A loss of |y| only (field readout): the output screen cannot change it."""
    return jnp.mean((jnp.abs(jax.vmap(model)(x)) - jnp.abs(t)) ** 2)


@eqx.filter_jit
def exact_grad(loss, model, x, target):
    """jax.grad of the twin, one compiled program (eagerly, every op would compile on its own)."""
    return eqx.filter_grad(loss)(model, x, target)


@eqx.filter_jit
def transfer(mesh):
    return mesh.transfer()


def _flat(tree):
    return jnp.concatenate([tree.theta, tree.phi, tree.out_phase])


def _rel(a, b):
    return float(jnp.linalg.norm(_flat(a) - _flat(b)) / jnp.linalg.norm(_flat(b)))


@eqx.filter_jit
def _compare(field_mesh, int_mesh, x, t, labels):
    """In situ (three intensities) and jax.grad of the same losses, one program per mesh shape."""
    out = {}
    for name, mesh, loss, target in (("mse", field_mesh, mse, t), ("ce", int_mesh, cross_entropy, labels)):
        f = lambda m, loss=loss, target=target: loss(m, x, target)  # noqa: E731
        out[name] = (ins.value_and_grad(f, mesh, gradient="insitu")[1], eqx.filter_grad(f)(mesh))
    return out


@pytest.mark.parametrize("scheme,n", [("clements", 2), ("clements", 3), ("clements", 8), ("clements", 16),
                                      ("reck", 2), ("reck", 3), ("reck", 8), ("reck", 16)])
def test_ideal_insitu_gradient_equals_jax_grad(scheme, n):
    """ideal=True: the three-intensity in-situ gradient is jax.grad's to 1e-9 (float64), MSE and cross-entropy."""
    with jax.enable_x64(True):
        key = jax.random.PRNGKey(n)
        field = MZIMesh(n, scheme=scheme, key=key, ideal=True, readout="field", dtype=jnp.float64)
        inten = MZIMesh(n, scheme=scheme, key=key, ideal=True, dtype=jnp.float64)
        x, t, labels = _data(n)
        res = _compare(field, inten, x, t, labels)
        for name in ("mse", "ce"):
            got, want = res[name]
            assert got.theta.dtype == jnp.float64
            assert float(jnp.linalg.norm(_flat(want))) > 1e-3, name  # a gradient that can be wrong
            assert _rel(got, want) < 1e-9, (name, _rel(got, want))
        # the intensity readout cannot see the output screen: both gradients are 0 there
        np.testing.assert_allclose(res["ce"][0].out_phase, 0.0, atol=1e-12)


@pytest.mark.parametrize("scheme,n", [("clements", 5), ("reck", 4)])
def test_mesh_transfer_is_the_structured_solvers(scheme, n):
    """One physics: the realised transfer of a chip with coupler imbalance and phase errors is
    photrain.circuits.mesh_solver.mesh_transfer's for the same realised phases and couplers, and unitary."""
    from photrain.circuits.mesh_solver import WL0, mesh_transfer

    with jax.enable_x64(True):
        m = MZIMesh(n, scheme=scheme, key=jax.random.PRNGKey(1), dtype=jnp.float64, coupler_sigma=0.05,
                    phase_sigma=0.05, arm_loss_db=0.0, arm_loss_sigma_db=0.0, crosstalk=False)
        theta, phi, out = eqx.filter_jit(lambda m: m.realised_phases())(m)
        want = mesh_transfer(m._to_grid(theta), m._to_grid(phi), jnp.asarray(m.active), out,
                             m._to_grid(jnp.asarray(m.chip.coupling_1), 0.5),
                             m._to_grid(jnp.asarray(m.chip.coupling_2), 0.5), WL0, n=n, n_columns=m.n_columns)
        u, want = np.asarray(transfer(m)), np.asarray(want)
    np.testing.assert_allclose(u, want, atol=1e-12)
    np.testing.assert_allclose(u @ u.conj().T, np.eye(n), atol=1e-12)


@pytest.fixture(scope="module")
def lossy():
    """A mesh with per-arm loss only (non-unitary; reciprocal), its data and jax.grad of the MSE."""
    with jax.enable_x64(True):
        mesh = MZIMesh(6, key=jax.random.PRNGKey(7), readout="field", dtype=jnp.float64, coupler_sigma=0.0,
                       phase_sigma=0.0, arm_loss_db=0.5, arm_loss_sigma_db=0.2, phase_bits=None, crosstalk=False,
                       noise=False)
        x, t, _ = _data(6, seed=1)
        want = exact_grad(mse, mesh, x, t)
        return mesh, x, t, want


def test_per_arm_loss_field_formula_exact_three_intensity_not(lossy):
    """With per-arm loss the field formula -Im(a b) stays exact (reciprocity), the three-intensity form does not
    (the interference pass no longer rebuilds conj(b) at the taps)."""
    mesh, x, t, want = lossy
    with jax.enable_x64(True):
        s = jnp.linalg.svd(transfer(mesh), compute_uv=False)
        assert float(s.max()) < 0.95  # the loss is there
        _, g_field, c_field = insitu_grad(mse, mesh, x, t, key=None, method="field")
        _, g_int, c_int = insitu_grad(mse, mesh, x, t, key=None, method="intensity")
    assert _rel(g_field, want) < 1e-9
    assert _rel(g_int, want) > 1e-3
    assert c_field["mesh_passes"] == 2 * BATCH and c_int["mesh_passes"] == 3 * BATCH


def test_output_screen_gradient_vanishes_for_a_loss_of_abs_y_only(lossy):
    mesh, x, t, _ = lossy
    with jax.enable_x64(True):
        _, g, _ = insitu_grad(magnitude_only, mesh, x, t, key=None, method="field")
        _, g_mse, _ = insitu_grad(mse, mesh, x, t, key=None, method="field")
    assert float(jnp.max(jnp.abs(g.out_phase))) < 1e-12 * float(jnp.max(jnp.abs(g.theta)))
    assert float(jnp.max(jnp.abs(g_mse.out_phase))) > 1e-3  # a loss of the phase of y does see it


class Two(eqx.Module):
    """Two meshes with a digital |.| between them (a two-layer photonic network)."""

    a: MZIMesh
    b: MZIMesh

    def __call__(self, x, *, key=None):
        return self.b(jnp.abs(self.a(x)), key=key)


@functools.cache
def _two(n):
    """One model per size for the module: the tests that take the same gradient of it share its compiled program."""
    keys = jax.random.split(jax.random.PRNGKey(n), 2)
    model = Two(MZIMesh(n, key=keys[0], ideal=True, readout="field"), MZIMesh(n, key=keys[1], ideal=True))
    x, _, labels = _data(n)
    return model, x.astype(jnp.complex64), labels


@pytest.mark.parametrize("n", [3, 8])
def test_three_passes_per_layer_per_example_and_two_per_phase_for_finite_differences(n):
    model, x, labels = _two(n)
    _, _, counts = insitu_grad(cross_entropy, model, x, labels, key=None)
    assert counts["mesh_passes"] == 3 * 2 * BATCH  # 3 per layer per example, whatever N
    _, g_fd, c_fd = insitu_grad(cross_entropy, model.b, x, labels, key=None, gradient="finite-difference")
    assert c_fd["mesh_passes"] == 2 * model.b.n_phases * BATCH
    assert c_fd["heater_writes"] == 3 * model.b.n_phases  # +h, -h, back
    if n == 3:  # central differences with h = 0.01 rad: within O(h^2) of the exact gradient
        assert _rel(g_fd, exact_grad(cross_entropy, model.b, x, labels)) < 1e-3


def test_two_layers_insitu_matches_autodiff():
    """The first mesh's gradient goes through the measured x_adj of the second (float32)."""
    model, x, labels = _two(3)
    _, g, _ = insitu_grad(cross_entropy, model, x, labels, key=None)
    want = exact_grad(cross_entropy, model, x, labels)
    for got_m, want_m in ((g.a, want.a), (g.b, want.b)):
        assert _rel(got_m, want_m) < 1e-4
    _, _, c_ad = insitu_grad(cross_entropy, model, x, labels, key=None, gradient="autodiff")
    assert c_ad["mesh_passes"] == 2 * BATCH


def test_noisy_chip_insitu_gradient_points_the_right_way():
    """Default (non-ideal) chip with tap-detector noise: the measured gradient is close in direction to the
    twin's, and the noise changes with the key."""
    mesh = MZIMesh(6, key=jax.random.PRNGKey(3), readout="field")
    x, t, _ = _data(6, seed=2)
    x, t = x.astype(jnp.complex64), t.astype(jnp.complex64)
    want = exact_grad(mse, mesh, x, t)
    _, g1, _ = insitu_grad(mse, mesh, x, t, key=jax.random.PRNGKey(1), method="field")
    _, g2, _ = insitu_grad(mse, mesh, x, t, key=jax.random.PRNGKey(2), method="field")
    cos = float(jnp.dot(_flat(g1), _flat(want)) / (jnp.linalg.norm(_flat(g1)) * jnp.linalg.norm(_flat(want))))
    assert cos > 0.99
    assert float(jnp.max(jnp.abs(_flat(g1) - _flat(g2)))) > 0


def _one_line(exc):
    msg = str(exc.value)
    assert "\n" not in msg and len(msg) < 400, msg


@pytest.mark.parametrize("kwargs,match", [
    (dict(n_modes=1), "n_modes must be an integer >= 2"),
    (dict(n_modes=0), "n_modes must be an integer >= 2"),
    (dict(n_modes=2.5), "n_modes must be an integer >= 2"),
    (dict(n_modes=4, phase_bits=0), "phase_bits must be a positive integer"),
    (dict(n_modes=4, phase_bits=-3), "phase_bits must be a positive integer"),
    (dict(n_modes=4, scheme="butterfly"), "unknown scheme 'butterfly'"),
    (dict(n_modes=4, readout="phase"), "unknown readout"),
    (dict(n_modes=4, dtype=jnp.complex64), "dtype must be a real float"),
    (dict(n_modes=4, heater_pitch=3.0), "unknown hardware keyword"),
])
def test_bad_mesh_arguments_are_one_line_errors(kwargs, match):
    n = kwargs.pop("n_modes")
    with pytest.raises(ValueError, match=match) as e:
        MZIMesh(n, key=jax.random.PRNGKey(0), **kwargs)
    _one_line(e)


@pytest.fixture(scope="module")
def small():
    mesh = MZIMesh(3, key=jax.random.PRNGKey(0), ideal=True, readout="field")
    x, t, labels = _data(3)
    return mesh, x.astype(jnp.complex64), t.astype(jnp.complex64), labels


def test_bad_gradient_inputs_are_one_line_errors(small):
    mesh, x, t, labels = small
    cases = [
        (lambda: insitu_grad(mse, mesh, x, t, key=None, gradient="adjoint"), "unknown gradient 'adjoint'"),
        (lambda: insitu_grad(mse, mesh, x, t, key=None, method="phase"), "unknown in-situ method"),
        (lambda: insitu_grad(lambda m, x, t: jnp.mean(jax.vmap(m)(x) - t), mesh, x, t, key=None),
         "the loss is complex"),  # a field readout's complex y in a real loss
        (lambda: insitu_grad(lambda m, x, t: jax.vmap(m)(x).real, mesh, x, t, key=None), "must be a scalar"),
        (lambda: insitu_grad(mse, mesh, x[:, :2], t, key=None), "needs 3 modes"),
        (lambda: insitu_grad(mse, {"w": jnp.ones(3)}, x, t, key=None), "no photrain.nn.MZIMesh"),
        (lambda: fit(mesh, optax.sgd(0.1), (np.ones((4, 3)), np.zeros(4, int)), key=jax.random.PRNGKey(0),
                     gradient="adjoint", progress=False), "unknown gradient 'adjoint'"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match) as e:
            call()
        _one_line(e)


class Classifier(eqx.Module):
    mesh: MZIMesh

    def __call__(self, x, *, key=None):
        return 10.0 * self.mesh(x, key=key)[:2]


def test_fit_insitu_trains_a_mesh_and_prices_three_passes():
    """fit(..., gradient='insitu') on a noisy default chip: the loss goes down, the ledger counts 3 passes per
    example and one heater write per phase per step."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 3)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int32)
    model = Classifier(MZIMesh(3, key=jax.random.PRNGKey(0)))
    _, hist = fit(model, optax.adam(0.05), (x, y), epochs=4, batch_size=16, key=jax.random.PRNGKey(1),
                  progress=False, gradient="insitu")
    losses = [h["loss"] for h in hist]
    assert losses[-1] < 0.85 * losses[0], losses
    led = hist[-1]["ledger"]
    assert led["optical_passes"] == 3 * 48 * 4
    assert led["dac_conversions"] == model.mesh.n_phases * 3 * 4
