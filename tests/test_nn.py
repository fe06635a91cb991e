"""photrain.nn: Hardware, hardware layers (custom_vjp products), convert, fit, evaluate, elapse, save/load."""

import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import photrain.nn as pnn
from photrain.nn.dfa import Feedback

F32 = jnp.float32


@eqx.filter_jit
def _apply(model, x, key=None):
    """``model(x)`` as one compiled program (eagerly every op compiles on its own); ``key`` for the noisy cores."""
    return model(x) if key is None else model(x, key=key)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    return x[:1200], d.target[:1200], x[1200:], d.target[1200:]


def test_hardware_names_are_checked_in_one_line():
    for kwargs, words in [({"core": "gpu"}, "digital, bank, crossbar, mesh"),
                          ({"memory": "flash"}, "float, fixed, pcm, pcm-3t1c, rram, cbram"),
                          ({"feedback": "laser"}, "bank"),
                          ({"memory": "pcm", "colour": 1}, "read_noise")]:
        with pytest.raises(ValueError, match=words) as err:
            pnn.Hardware(**kwargs)
        assert "\n" not in str(err.value)
    hw = pnn.Hardware("bank", "pcm", read_noise=0.0, optical={"adc_bits": 6})
    assert hw == pnn.Hardware.from_dict(hw.to_dict()) and hash(hw) == hash(pnn.Hardware.from_dict(hw.to_dict()))
    assert hw.optical.adc_bits == 6 and dict(hw.memory_params)["read_noise"] == 0.0


def test_dense_gradient_on_digital_core_equals_float_autodiff():
    key = jax.random.PRNGKey(0)
    mlp = eqx.nn.MLP(7, 3, 5, 2, activation=jnp.tanh, key=key)
    hw_mlp = pnn.convert(mlp, pnn.Hardware())
    x = jax.random.normal(jax.random.PRNGKey(1), (4, 7), F32)

    def loss(m):
        return jnp.sum(jnp.sin(jax.vmap(m)(x)))

    grad = eqx.filter_jit(eqx.filter_grad(loss))  # one compiled program per model (eagerly: one per op)
    g_ref = grad(mlp)
    prog = pnn.hardware_layers(hw_mlp)
    prog_model = jax.tree_util.tree_map(lambda v: v.program() if isinstance(v, pnn.HardwareLayer) else v, hw_mlp,
                                        is_leaf=lambda v: isinstance(v, pnn.HardwareLayer))
    g = grad(prog_model)
    assert len(prog) == 3
    for i in range(3):
        np.testing.assert_allclose(g.layers[i].weight, g_ref.layers[i].weight, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g.layers[i].state.bias[0], g_ref.layers[i].bias, rtol=1e-5, atol=1e-6)
    grad_x = eqx.filter_jit(lambda m, x: jax.grad(lambda x: jnp.sum(jnp.sin(m(x))))(x))
    gx, gx_ref = grad_x(prog_model, x[0]), grad_x(mlp, x[0])
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-5, atol=1e-6)


def test_bank_input_gradient_is_straight_through_not_the_quantisers():
    """Noisy bank (8-bit converters, detector noise): dx = Wᵀ·δ on the bank is close to the exact Wᵀ·δ."""
    layer = pnn.Dense(48, 24, pnn.Hardware(core="bank"), key=jax.random.PRNGKey(0)).program(jax.random.PRNGKey(1))
    x = jax.random.normal(jax.random.PRNGKey(2), (48,), F32)
    c = jax.random.normal(jax.random.PRNGKey(3), (24,), F32)
    gx = eqx.filter_jit(lambda layer, x: jax.grad(lambda x: c @ layer(x, key=jax.random.PRNGKey(4)))(x))(layer, x)
    exact = c @ layer.weight
    cosine = float(gx @ exact / jnp.linalg.norm(gx) / jnp.linalg.norm(exact))
    assert cosine > 0.95, cosine
    y = _apply(layer, x, jax.random.PRNGKey(5))
    assert not np.allclose(y, layer.weight @ x + layer.bias, atol=1e-4)  # the forward is the noisy core
    assert float(jnp.corrcoef(y, layer.weight @ x + layer.bias)[0, 1]) > 0.95


def test_convert_per_layer_mapping_and_one_warning_for_unsupported():
    key = jax.random.PRNGKey(0)
    mlp = eqx.nn.MLP(4, 2, 6, 2, key=key)
    m = pnn.convert(mlp, {"layers[0]": None, eqx.nn.Linear: pnn.Hardware(memory="fixed")})
    assert [type(layer).__name__ for layer in m.layers] == ["Linear", "Dense", "Dense"]
    assert m.layers[1].hardware.memory == "fixed"
    x = jnp.ones(4, F32)
    exact = pnn.convert(mlp, pnn.Hardware())
    np.testing.assert_allclose(_apply(exact, x), _apply(mlp, x), rtol=1e-5, atol=1e-6)

    class WithConv1d(eqx.Module):
        a: eqx.nn.Conv1d
        b: eqx.nn.Conv1d
        c: eqx.nn.Conv2d

    model = WithConv1d(eqx.nn.Conv1d(1, 1, 3, key=key), eqx.nn.Conv1d(1, 1, 3, key=key),
                       eqx.nn.Conv2d(1, 2, 3, key=key))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = pnn.convert(model, pnn.Hardware(memory="pcm"))
    messages = [str(w.message) for w in caught if "convert" in str(w.message)]
    assert len(messages) == 1 and "Conv1d" in messages[0]
    assert isinstance(out.a, eqx.nn.Conv1d) and isinstance(out.c, pnn.Conv2d)
    img = jax.random.normal(key, (1, 6, 6), F32).astype(model.c.weight.dtype)
    np.testing.assert_allclose(_apply(pnn.convert(model, pnn.Hardware()).c, img), _apply(model.c, img), rtol=1e-5,
                               atol=1e-5)


def test_fit_float_digital_trains_and_counts(digits):
    x, y, xv, yv = digits
    model = pnn.convert(eqx.nn.MLP(64, 10, 32, 1, activation=jnp.tanh, key=jax.random.PRNGKey(0)), pnn.Hardware())
    model, hist = pnn.fit(model, optax.adam(3e-3), (x, y), epochs=2, batch_size=32, key=jax.random.PRNGKey(1),
                          val=(xv, yv), progress=False)
    assert len(hist) == 2 and hist[1]["loss"] < hist[0]["loss"]
    assert hist[-1]["accuracy"] > 0.75 and hist[-1]["hw_accuracy"] == hist[-1]["accuracy"]
    assert hist[-1]["ledger"]["steps"] == 2 * (len(x) // 32)
    assert pnn.evaluate(model, xv, yv, through="digital") == hist[-1]["accuracy"]


def test_fit_pcm_writes_pulses_and_rejects_bad_input(digits):
    x, y, xv, yv = digits
    model = pnn.convert(eqx.nn.MLP(64, 10, 16, 1, key=jax.random.PRNGKey(0)), pnn.Hardware(memory="pcm"))
    trained, hist = pnn.fit(model, optax.sgd(0.1), (x[:320], y[:320]), epochs=1, batch_size=32,
                            key=jax.random.PRNGKey(1), progress=False)
    assert hist[0]["ledger"]["memory_pulses"] > 0
    assert not np.array_equal(trained.layers[0].state.mem[0].g_pos, model.layers[0].state.mem[0].g_pos)
    with pytest.raises(ValueError, match="optax.GradientTransformation") as err:
        pnn.fit(model, "adam", (x, y), key=jax.random.PRNGKey(0), progress=False)
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=r"takes one example of shape \(64,\), got \(65,\)"):
        pnn.fit(model, optax.sgd(0.1), (np.ones((64, 65), np.float32), y[:64]), key=jax.random.PRNGKey(0),
                progress=False)


def test_dfa_update_is_the_closed_form():
    """One SGD step of fit(algorithm='dfa'): the output layer gets e, a hidden layer l (x B_l e/sqrt(n) ⊙ f'(a))ᵀ."""
    key = jax.random.PRNGKey(0)
    mlp = eqx.nn.MLP(6, 3, 5, 2, activation=jnp.tanh, key=key)
    x = jax.random.normal(jax.random.PRNGKey(1), (4, 6), F32)
    y = jnp.array([0, 1, 2, 1])
    model = pnn.convert(mlp, pnn.Hardware())
    fit_key = jax.random.PRNGKey(3)
    trained, hist = pnn.fit(model, optax.sgd(1.0), [(x, y)], algorithm="dfa", key=fit_key, progress=False)
    b = Feedback(model, x[0], jax.random.fold_in(fit_key, 0xFB), "dfa").arrays  # the run's fixed B (by input)
    w = [layer.weight for layer in mlp.layers]
    hs, acts = [x], []
    for i, layer in enumerate(mlp.layers):
        acts.append(hs[-1] @ layer.weight.T + layer.bias)
        hs.append(jnp.tanh(acts[-1]) if i < 2 else acts[-1])
    e = (jax.nn.softmax(acts[2]) - jax.nn.one_hot(y, 3)) / len(x)
    deltas = [e @ b[i + 1].T / jnp.sqrt(5.0) * (1 - hs[i + 1] ** 2) for i in range(2)] + [e]
    for i in range(3):
        np.testing.assert_allclose(w[i] - trained.layers[i].read(), deltas[i].T @ hs[i], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(mlp.layers[i].bias - trained.layers[i].bias, deltas[i].sum(0), rtol=1e-4, atol=1e-6)
    assert hist[0]["ledger"]["digital_macs"] > 0 and "accuracy" not in hist[0]  # no val: no evaluation


def test_reference_noise_is_max_over_the_batch_times_n_mu_sigma():
    """'dfa-reference-noise' with sigma 0: B e + mu max|e| (max over the batch), i.e. DFA's update plus a constant."""
    key, fit_key = jax.random.PRNGKey(0), jax.random.PRNGKey(3)
    mlp = eqx.nn.MLP(6, 3, 5, 1, activation=jnp.tanh, key=key)
    x = jax.random.normal(jax.random.PRNGKey(1), (4, 6), F32)
    y = jnp.array([0, 1, 2, 1])
    model = pnn.convert(mlp, pnn.Hardware())
    step = {}
    for name, algorithm, noise in (("dfa", "dfa", None), ("mu", "dfa-reference-noise", (0.5, 0.0)),
                                   ("noisy", "dfa-reference-noise", (0.03, 0.618))):
        trained, _ = pnn.fit(model, optax.sgd(1.0), [(x, y)], algorithm=algorithm, key=fit_key, progress=False,
                             **({} if noise is None else {"feedback_noise": noise}))
        step[name] = np.asarray(mlp.layers[0].weight - trained.layers[0].read())
    h = jnp.tanh(x @ mlp.layers[0].weight.T + mlp.layers[0].bias)
    logits = h @ mlp.layers[1].weight.T + mlp.layers[1].bias
    e = (jax.nn.softmax(logits) - jax.nn.one_hot(y, 3)) / len(x)
    extra = 0.5 * jnp.max(jnp.abs(e)) / jnp.sqrt(5.0) * (1 - h ** 2)  # mu max|e| on every unit, over the batch
    np.testing.assert_allclose(step["mu"] - step["dfa"], extra.T @ x, rtol=1e-4, atol=1e-6)
    assert np.abs(step["noisy"] - step["dfa"]).max() > 1e-3  # sigma draws fresh noise
    with pytest.raises(ValueError, match="feedback_noise must be finite"):
        pnn.fit(model, optax.sgd(1.0), [(x, y)], algorithm="dfa-reference-noise", key=fit_key, progress=False,
                feedback_noise=(float("nan"), 0.6))


def test_fit_continues_bit_exactly_and_trains_the_last_partial_batch(digits):
    """initial_epoch + opt_state continue a run as if uninterrupted; drop_last=False trains every example once."""
    x, y = digits[0][:100], digits[1][:100]
    model = pnn.convert(eqx.nn.MLP(64, 10, 8, 1, key=jax.random.PRNGKey(0)),
                        pnn.Hardware(memory="fixed", bits=8, rounding="stochastic"))
    kw = dict(algorithm="dfa", batch_size=32, key=jax.random.PRNGKey(1), progress=False, shuffle=False,
              drop_last=False, chunk=2)
    opt = optax.sgd(0.05, momentum=0.9)
    full, hist = pnn.fit(model, opt, (x, y), epochs=2, **kw)
    assert [h["examples"] for h in hist] == [100, 100] and hist[-1]["ledger"]["steps"] == 2 * 4
    saved, chunks = {}, []
    first, _ = pnn.fit(model, opt, (x, y), epochs=1, on_epoch=lambda e, m, s: saved.update(state=s),
                       on_chunk=lambda *a: chunks.append((a[0], a[1], len(a[2]))), **kw)
    assert chunks == [(0, 0, 2), (0, 2, 1), (0, 3, 1)]  # chunks of 2 batches, then the partial batch of 4
    again, hist2 = pnn.fit(first, opt, (x, y), epochs=2, initial_epoch=1, opt_state=saved["state"], **kw)
    assert [h["epoch"] for h in hist2] == [2]
    for a, b in zip(jax.tree_util.tree_leaves(eqx.filter(full, eqx.is_array)),
                    jax.tree_util.tree_leaves(eqx.filter(again, eqx.is_array)), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="chunk must be an integer"):
        pnn.fit(model, opt, (x, y), chunk=0, key=jax.random.PRNGKey(1), progress=False)


def test_dfa_and_optical_dfa_learn_digits(digits):
    x, y, xv, yv = digits
    mlp = eqx.nn.MLP(64, 10, 32, 2, activation=jnp.tanh, key=jax.random.PRNGKey(0))
    model, hist = pnn.fit(pnn.convert(mlp, pnn.Hardware()), optax.adam(3e-3), (x, y), algorithm="dfa", epochs=3,
                          batch_size=32, key=jax.random.PRNGKey(1), val=(xv, yv), progress=False)
    assert hist[-1]["accuracy"] > 0.7 and hist[-1]["loss"] < hist[0]["loss"]
    assert hist[-1]["ledger"]["optical_macs"] == 0
    optical = pnn.convert(mlp, pnn.Hardware(feedback="bank"))
    _, hist = pnn.fit(optical, optax.adam(3e-3), (x[:320], y[:320]), algorithm="optical-dfa", epochs=1,
                      batch_size=32, key=jax.random.PRNGKey(1), progress=False)
    led = hist[0]["ledger"]
    assert led["optical_macs"] == 10 * 32 * 2 * 32 * 10 and led["programmings"] > 0  # B e: 2 taps of 32 x 10


class Residual(eqx.Module):
    inp: eqx.nn.Linear
    block: eqx.nn.Linear
    norm: eqx.nn.LayerNorm
    out: eqx.nn.Linear

    def __init__(self, key):
        k = jax.random.split(key, 3)
        self.inp = eqx.nn.Linear(64, 24, key=k[0])
        self.block = eqx.nn.Linear(24, 24, key=k[1])
        self.norm = eqx.nn.LayerNorm(24)
        self.out = eqx.nn.Linear(24, 10, key=k[2])

    def __call__(self, x):
        h = jnp.tanh(self.inp(x))
        h = self.norm(h + jnp.tanh(self.block(h)))
        return self.out(h)


def test_residual_layernorm_trains_on_the_bank(digits):
    x, y, xv, yv = digits
    model = pnn.convert(Residual(jax.random.PRNGKey(0)), pnn.Hardware(core="bank"))
    assert isinstance(model.block, pnn.Dense) and isinstance(model.norm, eqx.nn.LayerNorm)
    trained, hist = pnn.fit(model, optax.adam(1e-2), (x[:640], y[:640]), epochs=1, batch_size=32,
                            key=jax.random.PRNGKey(1), val=(xv[:200], yv[:200]), progress=False)
    assert hist[0]["hw_accuracy"] > 0.6 and hist[0]["ledger"]["optical_macs"] > 0
    assert not np.array_equal(trained.norm.weight, model.norm.weight)  # the digital LayerNorm trains too


def test_elapse_pcm3t1c_transfers_before_the_capacitor_leaks(digits):
    x, y, xv, yv = digits
    model = pnn.convert(eqx.nn.MLP(64, 10, 32, 1, activation=jnp.tanh, key=jax.random.PRNGKey(0)),
                        pnn.Hardware(memory="pcm-3t1c"))
    model, _ = pnn.fit(model, optax.adam(3e-3), (x, y), epochs=2, batch_size=32, key=jax.random.PRNGKey(1),
                       progress=False)
    before = pnn.evaluate(model, xv, yv, through="digital")
    day = pnn.elapse(model, 86400.0)
    assert all(float(layer.state.mem[0].polarity) == 0 for layer in pnn.hardware_layers(day))  # switched out
    after = pnn.evaluate(day, xv, yv, through="digital")
    assert before > 0.75 and after > before - 0.05
    leaked = model.layers[0].controller.elapse(model.layers[0].state, 86400.0)  # the controller alone: no transfer
    w_leaked = model.layers[0].controller.weights(leaked)[0][0]
    w_kept = day.layers[0].read()
    w0 = model.layers[0].read()
    assert float(jnp.abs(w_leaked - w0).mean()) > 3 * float(jnp.abs(w_kept - w0).mean())
    comp = pnn.evaluate(pnn.elapse(model, 3e7), xv, yv, through="digital", drift_compensation=True)
    assert comp > before - 0.1


def test_drift_compensation_restores_a_global_scale():
    layer = pnn.Dense(16, 8, pnn.Hardware(memory="pcm"), key=jax.random.PRNGKey(0))
    model = eqx.nn.Sequential([layer])
    old = pnn.elapse(model, 0.0)
    x = np.asarray(jax.random.normal(jax.random.PRNGKey(1), (40, 16)), np.float32)
    ref = pnn.predict(old, x, through="digital")
    late = pnn.elapse(old, 3e7)
    raw = pnn.predict(late, x, through="digital")
    comp = pnn.predict(late, x, through="digital", drift_compensation=True)
    bias = old.layers[0].bias
    err = lambda out: float(jnp.abs(out - ref).mean())  # noqa: E731
    assert float(jnp.abs(raw - bias).mean()) < float(jnp.abs(ref - bias).mean())  # drift shrinks the outputs
    assert err(comp) < 0.75 * err(raw)


def test_save_load_predicts_exactly_and_rejects_foreign_files(tmp_path):
    model = pnn.convert(Residual(jax.random.PRNGKey(0)), {eqx.nn.Linear: pnn.Hardware(memory="pcm-3t1c"),
                                                         "out": pnn.Hardware(core="crossbar", memory="rram")})
    model = pnn.elapse(model, 60.0)
    path = pnn.save(tmp_path / "model.npz", model)
    loaded = pnn.load(path)
    assert loaded.out.hardware == pnn.Hardware(core="crossbar", memory="rram")
    x = np.asarray(jax.random.uniform(jax.random.PRNGKey(1), (12, 64)), np.float32)
    key = jax.random.PRNGKey(7)
    np.testing.assert_array_equal(pnn.predict(loaded, x, key=key), pnn.predict(model, x, key=key))
    (tmp_path / "junk.npz").write_bytes(b"not a model")
    np.savez(tmp_path / "other.npz", w=np.ones(3))
    raw = path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    for name in ("junk.npz", "other.npz", "cut.npz"):
        with pytest.raises(ValueError, match="photrain.nn model file") as err:
            pnn.load(tmp_path / name)
        assert "\n" not in str(err.value)
