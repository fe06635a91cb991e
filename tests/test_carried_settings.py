"""Crossbar settings carried between steps and patched where a write lands (issue 27 item 2) equal the settings
programmed afresh from the written memory, bit for bit, and an EP run that carries them runs the same steps."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.controller import SGD, Controller, CrossbarConfig, CrossbarEngine
from photrain.controller.carried import carries
from photrain.memory import FloatMemory
from photrain.memory.rram import RRAMMemory
from photrain.train.config import TrainConfig
from photrain.train.eqprop import init_eqprop
from photrain.train.steps import init_carry, make_step
from photrain.train.trainer import make_run_controller

KEY = jax.random.PRNGKey(3)
MEM = RRAMMemory(w_max=0.5)


def _ctrl(memory=MEM, rows=16, cols=32, pulse_mode="accumulate"):
    return Controller(memory=memory, optimizer=SGD(lr=1.0, momentum=0.0),
                      core=CrossbarEngine(CrossbarConfig(rows, cols).crossbar(memory)), pulse_mode=pulse_mode)


@pytest.fixture(scope="module")
def written():
    """A 72 x 90 layer (both directions padded on 16 x 32 tiles) written three times: few requests (some rounding to
    no pulse: analog requests below a pulse), then many (the dense write), then few again."""
    ctrl = _ctrl(pulse_mode="analog")  # each request written as it is: some round to no pulse
    k_w, k_init, *ks = jax.random.split(KEY, 11)
    w = jax.random.uniform(k_w, (72, 90), jnp.float32, -0.4, 0.4)
    hs = jax.jit(ctrl.init)([(w, jnp.zeros(72))], k_init)

    @jax.jit
    def write(hs, settings, dw, key):  # one compilation for the three writes
        hs, _, settings = ctrl.apply_carried(hs, [(-dw, jnp.zeros(72))], key, 1, settings)
        return hs, settings, ctrl.carry(hs)

    settings, out = jax.jit(ctrl.carry)(hs), []
    for i, frac in enumerate((0.004, 0.3, 0.01)):
        hit = jax.random.uniform(ks[2 * i], w.shape) < frac
        dw = jnp.where(hit, jax.random.normal(ks[2 * i + 1], w.shape) * 4 * MEM.nominal_step, 0.0)
        hs, settings, fresh = write(hs, settings, dw, ks[6 + i])
        out.append((settings, fresh, hs.mem[0].g))
    return out


def test_patched_settings_equal_fresh_ones_after_writes(written):
    g_before = None
    for patched, fresh, g in written:
        (p,), (f,) = patched, fresh
        for a, b in zip(jax.tree.leaves(p), jax.tree.leaves(f), strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        assert p.stacks[0].shape == (3, 3, 72, 32) and p.stacks[1].shape == (3, 5, 90, 16)  # padded tiles
        if g_before is not None:
            assert np.any(g != g_before)  # the writes changed devices
        g_before = g


def test_fresh_settings_differ_where_the_devices_were_written(written):
    """The check above can fail: the settings before a write differ from those after it."""
    (first,), _, _ = written[0]
    (second,), _, _ = written[1]
    assert np.any(np.asarray(first.stacks[0]) != np.asarray(second.stacks[0]))
    assert np.any(np.asarray(first.stacks[1]) != np.asarray(second.stacks[1]))


def test_only_an_analog_memory_on_a_crossbar_carries_settings():
    assert carries(_ctrl())
    assert not carries(_ctrl(FloatMemory(), pulse_mode="analog"))  # a digital memory is read (with noise) to program
    assert not carries(Controller(memory=MEM, pulse_mode="accumulate"))  # digital products
    assert _ctrl(FloatMemory(), pulse_mode="analog").carry(None) == ()


def _bits(tree):
    return [jax.lax.bitcast_convert_type(a, jnp.uint32) if a.dtype == jnp.float32 else a for a in jax.tree.leaves(tree)]


def test_ep_run_carrying_the_settings_programs_every_batch_as_before():
    """In an EP run (make_step with init_carry's settings) the carried settings are, before every step, those that
    programming the batch afresh gives (what the step without them computes its products with)."""
    ep = {"algorithm": "eqprop", "beta": 0.5, "random_sign_beta": True, "free_steps": 3, "nudged_steps": 1,
          "lr": 0.1, "layer_scale": (1.0, 0.5), "momentum": 0.0, "batch_size": 4, "memory": "rram",
          "memory_params": {"w_max": 0.5}, "core": "crossbar", "pulse_mode": "accumulate",
          "crossbar": CrossbarConfig(16, 32, ideal=True)}  # noiseless: a smaller program
    cfg = TrainConfig(dataset="mnist", hidden=(60,), **ep)
    ctrl = make_run_controller(cfg, 10)
    step = make_step(cfg, ctrl)
    k_x, k_y, k_s = jax.random.split(KEY, 3)

    def checked(carry, batch):
        same = [jnp.all(a == b) for a, b in zip(_bits(carry[2]), _bits(ctrl.carry(carry[0])), strict=True)]
        carry, (_, (counts, _)) = step(carry, batch)
        return carry, (jnp.stack(same), counts.pulses)

    @jax.jit
    def run(key):  # one program: the state initialised inside it too (eager ops compile one by one)
        hs = ctrl.init(init_eqprop(key, [80, 60, 10]), jax.random.fold_in(key, 1))
        batches = (jax.random.uniform(k_x, (6, 4, 80)), jax.random.randint(k_y, (6, 4), 0, 10),
                   jax.random.split(k_s, 6))
        return jax.lax.scan(checked, init_carry(ctrl, hs), batches)[1]

    same, pulses = run(KEY)
    assert np.asarray(same).all(), np.argwhere(~np.asarray(same))
    assert int(np.asarray(pulses)[:-1].sum()) > 0  # the steps before the last checked wrote the memory


def test_rram_write_of_few_requests_draws_at_the_requests_the_bits_of_the_full_draw():
    """A write of few requests (some rounding to no pulse) gives the devices and counts of the path that draws every
    weight's rounding (forced through ``requests``), and the write mask names every device it changed."""
    k_w, k_init, k_hit, k_dw, k_up = jax.random.split(KEY, 5)
    w = jax.random.uniform(k_w, (72, 90), jnp.float32, -0.4, 0.4)
    hit = jax.random.uniform(k_hit, w.shape) < 0.01
    dw = jnp.where(hit, jax.random.normal(k_dw, w.shape) * 2 * MEM.nominal_step, 0.0)

    @jax.jit
    def both(w, dw):
        state = MEM.init(w, k_init)
        p, many = MEM.write_mask(dw, k_up)
        return state, MEM.update(state, dw, k_up), MEM.update(state, dw, k_up, requests=(p, ~many)), many

    state, few, full, many = both(w, dw)
    assert not bool(many)
    for a, b in zip(jax.tree.leaves(few), jax.tree.leaves(full), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    changed = np.asarray(jnp.any(few.g != state.g, axis=0))
    assert changed.any() and not changed[~np.asarray(hit)].any()
    assert changed.sum() < hit.sum()  # some requests rounded to no pulse, and left their devices alone
