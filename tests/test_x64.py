"""No process-wide float64 (issues 25 and 27): importing photrain and sax leaves x64 off, a float32 user model trains
through photrain.nn, and photrain's sax solves still run in float64 (scoped) and return complex128."""

import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import photrain.nn as pnn
from photrain.circuits import circuit


def test_photrain_then_sax_leaves_x64_off():
    """conftest imports photrain, then sax (klujax switches x64 on in its module body): x64 is still off."""
    assert "klujax" in sys.modules and "photrain.nn" in sys.modules
    assert jax.config.jax_enable_x64 is False
    assert jnp.ones(2).dtype == jnp.float32 and jnp.asarray(1.0).dtype == jnp.float32


def test_sax_solve_is_float64_scoped():
    ring = {"instances": {"r": {"component": "ring_add_drop", "settings": {"coupling_1": 0.1, "coupling_2": 0.1}}},
            "connections": {}, "ports": {"in": "r,o1", "through": "r,o2", "add": "r,o4", "drop": "r,o3"}}
    s = circuit(ring)(wl=np.linspace(1.549, 1.551, 5))
    assert all(v.dtype == jnp.complex128 for v in s.values())  # klujax's float64, as the docstring says
    assert jax.config.jax_enable_x64 is False  # and only inside the solve
    power = np.abs(np.asarray(s["in", "through"])) ** 2 + np.abs(np.asarray(s["in", "drop"])) ** 2
    assert np.all(power <= 1 + 1e-12) and np.all(power > 0.5)  # passive, to float64 rounding


def test_float32_cnn_with_max_pool_trains_on_pcm_3t1c():
    """Issue 25: with x64 switched on by photrain's import, a user's Equinox init was float64 and mixed with
    photrain's float32 memories (the issue quotes lax.div in max-pool's backward with PCM+3T1C; float64 data still
    fails inside fit's step under a user's own x64). Now the model is float32 end to end (every leaf, after the
    memory writes), x64 stays off, and the loss goes down."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 32)
    x = (rng.normal(size=(32, 1, 6, 6)) + 1.5 * y[:, None, None, None]).astype(np.float32)  # separable
    k1, k2 = jax.random.split(jax.random.PRNGKey(0))
    model = eqx.nn.Sequential([eqx.nn.Conv2d(1, 2, 3, key=k1), eqx.nn.MaxPool2d(2, 2), eqx.nn.Lambda(jnp.ravel),
                               eqx.nn.Linear(2 * 2 * 2, 2, key=k2)])
    hw = pnn.convert(model, pnn.Hardware(core="digital", memory="pcm-3t1c"))
    trained, history = pnn.fit(hw, optax.adam(3e-2), (x, y), epochs=3, batch_size=16, key=jax.random.PRNGKey(1),
                               progress=False, chunk=2)
    assert {leaf.dtype for leaf in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))} == {
        jnp.dtype(jnp.float32)}  # the user's own init, after photrain (and sax, klujax) were imported
    losses = [h["loss"] for h in history]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0], losses
    leaves = jax.tree_util.tree_leaves(eqx.filter(trained, eqx.is_inexact_array))
    assert {leaf.dtype for leaf in leaves} == {jnp.dtype(jnp.float32)}
    assert jax.config.jax_enable_x64 is False


def test_bank_is_accurate_in_float32():
    """A ring's round trip is ~500 rad: formed in float32 it kept ~3e-5 rad, a sizeable fraction of a high-Q
    linewidth. photrain splits the static phases into 2 pi m + residual on the host in float64
    (models.optics.phase_parts), so in float32 (the default) the structured bank matches the float64 sax netlist of
    the same bus to 3e-6 (1e-4 with the phase formed in float32) and the crosstalk-free bank realises its target to
    3e-7 of the range (3.5e-4 before; 2e-5 with the phase only reduced mod 4 pi)."""
    from test_cores_bank import bank_netlist

    from photrain.cores import MRRWeightBank

    n = 4
    bank = MRRWeightBank(n, 2, spacing=0.0012, pitch=25.0)
    det = np.asarray(bank.program(np.random.default_rng(n).uniform(-1, 1, (2, n))).detuning)
    drop, thru = bank.response(det)
    assert det.dtype == np.float32 and drop.dtype == jnp.complex64
    ch = np.asarray(bank.channels)
    worst = 0.0
    f = circuit(bank_netlist(bank, det[0], 25.0))  # float64, scoped; one bus, a row's heater phases set per call
    for i in range(2):
        for j in range(n):
            s = f(wl=ch[j], **{f"r{k}": {"delta_phase": float(det[i, k]) * ch[k] / ch[j]} for k in range(n)})
            worst = max(worst, abs(complex(s["in", "drop"]) - complex(drop[i, j])),
                        abs(complex(s["in", "thru"]) - complex(thru[i, j])))
    assert worst < 1e-5, worst
    ideal = MRRWeightBank(8, 4, crosstalk=False)
    w = np.random.default_rng(0).uniform(-3, 3, (4, 8))
    err = np.max(np.abs(np.asarray(ideal.effective_matrix(ideal.program(w))) - w)) / np.abs(w).max()
    assert err < 3e-6, err


def test_grad_through_a_circuit_with_x64_off():
    """A sax circuit solve (float64, scoped) inside the caller's jax.grad / jit / vmap with x64 off: the boundary is
    cast (complex64 out, a custom VJP whose backward also runs in float64) and the gradient is the float64 one."""
    ring = {"instances": {"r": {"component": "ring_add_drop", "settings": {"coupling_1": 0.1, "coupling_2": 0.1}}},
            "connections": {}, "ports": {"in": "r,o1", "through": "r,o2", "add": "r,o4", "drop": "r,o3"}}
    f = circuit(ring)
    wl = float(np.float32(1.55))  # the same wavelength in both precisions

    def drop_power(heater):
        return jnp.abs(f(wl=wl, r={"delta_phase": heater})["in", "drop"]) ** 2

    g32 = jax.jit(jax.grad(drop_power))(jnp.float32(0.1))
    powers = jax.vmap(drop_power)(jnp.asarray([0.0, 0.1], jnp.float32))
    assert g32.dtype == jnp.float32 and powers.dtype == jnp.float32 and jax.config.jax_enable_x64 is False
    with jax.enable_x64(True):
        g64 = float(jax.grad(drop_power)(0.1))
        fd = float(drop_power(0.1 + 1e-6) - drop_power(0.1 - 1e-6)) / 2e-6
        p64 = [float(drop_power(h)) for h in (0.0, 0.1)]
    assert abs(g64 - fd) < 1e-6 * abs(fd)
    assert abs(float(g32) - g64) < 1e-5 * abs(g64), (float(g32), g64)
    np.testing.assert_allclose(np.asarray(powers), p64, rtol=1e-5)


def test_fit_with_x64_on_and_float64_data_keeps_the_users_dtype():
    """A user who turns x64 on and passes float64 data: fit trains (a partial last batch included) in float64."""
    rng = np.random.default_rng(0)
    with jax.enable_x64(True):
        x = rng.random((40, 6))  # float64
        y = (x[:, 0] > 0.5).astype(np.int32)
        model = pnn.convert(eqx.nn.MLP(6, 2, 4, 1, key=jax.random.PRNGKey(0)), pnn.Hardware())
        _, hist = pnn.fit(model, optax.adam(1e-2), (x, y), epochs=1, batch_size=16, drop_last=False,
                          key=jax.random.PRNGKey(1), progress=False)
        assert hist[0]["examples"] == 40 and np.isfinite(hist[0]["loss"])
