"""Data-parallel fit (photrain.nn.sharding): on a CPU split into 2 devices the batch is sharded, the weights stay
replicated and the losses equal the one-device run's to float32 rounding."""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photrain.nn import sharding

SCRIPT = textwrap.dedent("""
    import json
    import equinox as eqx, jax, numpy as np, optax
    from photrain.nn import Hardware, convert, fit, sharding

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 16)).astype(np.float32)
    y = rng.integers(0, 10, 128).astype(np.int32)

    def run(devs):
        k = jax.random.PRNGKey(0)
        m = convert(eqx.nn.MLP(16, 10, 32, 1, key=k), Hardware(memory="float"))
        with sharding.using(devs):
            m, h = fit(m, optax.sgd(0.1), (x, y), epochs=1, batch_size=64, key=k, progress=False, chunk=2)
        return [e["loss"] for e in h], m

    one, m1 = run(jax.devices()[:1])
    two, m2 = run(jax.devices())
    leaves = lambda m: [np.asarray(a) for a in jax.tree_util.tree_leaves(eqx.filter(m, eqx.is_array))]
    diff = max(float(np.max(np.abs(a - b))) if a.size else 0.0 for a, b in zip(leaves(m1), leaves(m2)))
    print(json.dumps({"devices": len(jax.devices()), "one": one, "two": two, "state_diff": diff}))
""")


def test_two_cpu_devices_give_the_one_device_losses():
    flags = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    env = {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    import json
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["devices"] == 2
    assert np.allclose(r["one"], r["two"], rtol=2e-6, atol=0), (r["one"], r["two"])
    assert r["state_diff"] < 1e-5  # the replicated weights agree to rounding


def test_the_step_shards_the_batch_and_replicates_the_carry():
    # on whatever devices this process sees: the constraints compile, and the step keeps its meaning
    m = sharding.mesh()
    step = sharding.data_parallel(lambda c, b, fb=(): (c + jnp.sum(b[0]), (jnp.mean(b[1]), ())))
    x = jnp.arange(8.0 * len(jax.devices())).reshape(-1, 1)
    (c, (loss, _)) = jax.jit(step)(jnp.float32(0), (x, x[:, 0], jax.random.PRNGKey(0)))
    assert float(c) == pytest.approx(float(jnp.sum(x))) and float(loss) == pytest.approx(float(jnp.mean(x)))
    assert m.devices.size == len(jax.devices()) and m.axis_names == (sharding.AXIS,)
    with sharding.using(jax.devices()[:1]):
        assert sharding.mesh().devices.size == 1
    with pytest.raises(ValueError, match="devs"):
        with sharding.using([]):
            pass
