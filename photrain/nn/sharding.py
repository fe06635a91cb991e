"""Data parallel training: every step's batch split over all the devices JAX sees, one code path for 1 and N.

:func:`data_parallel` wraps :func:`photrain.nn.fit.make_step`'s step. Inside the jitted step the batch (x, y) is
constrained to be sharded along its first axis over a one-axis mesh of the devices (``jax.sharding``,
``NamedSharding(mesh, P("batch"))``), and the carry it returns (the model's arrays: memory state, bias
registers; the optimiser state) to be replicated on every device. XLA's SPMD partitioner (GSPMD) then runs the
per-example products where the examples are, reduces the gradients (sums over the batch) across the devices
once per step, and every device applies the same update to its replica of the weights and memory state (same
key, same pulses). Jitted semantics do not depend on sharding: the result is the one-device result, up to the
order of the float32 sums (JAX's random bits are partitionable, ``jax_threefry_partitionable``).

On one device the constraints are no-ops. A batch whose size the device count does not divide is left
replicated (every device computes the whole step: correct, not faster); so is every batch when JAX sees one
device. :func:`devices` picks the devices (default: all of ``jax.devices()``); :func:`using` scopes a choice,
e.g. one device to compare against, or ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` to split a CPU.
"""

from __future__ import annotations

import contextlib

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

#: The mesh axis the batch is split along.
AXIS = "batch"
_chosen: list = []


def devices() -> list:
    """The devices a step is sharded over: those chosen by :func:`using`, else every device JAX sees."""
    return list(_chosen[-1]) if _chosen else jax.devices()


@contextlib.contextmanager
def using(devs):
    """Shard the steps jitted inside this block over ``devs`` (a non-empty list of JAX devices)."""
    devs = list(devs)
    if not devs:
        raise ValueError("sharding.using: devs must name at least one device, e.g. jax.devices()[:1]")
    _chosen.append(devs)
    try:
        yield
    finally:
        _chosen.pop()


def mesh(devs=None) -> Mesh:
    """A one-axis mesh (axis ``batch``) over ``devs`` (default :func:`devices`)."""
    return Mesh(np.array(devices() if devs is None else devs), (AXIS,))


def shard_batch(x, m: Mesh):
    """``x`` constrained to be split along its first axis over mesh ``m`` (replicated where it does not divide)."""
    n = m.devices.size
    if n == 1 or x.ndim == 0 or x.shape[0] % n:
        return replicate(x, m)
    return jax.lax.with_sharding_constraint(x, NamedSharding(m, P(AXIS)))


def replicate(tree, m: Mesh):
    """Every array of ``tree`` constrained to be replicated on every device of ``m`` (inside ``jax.jit``)."""
    rep = NamedSharding(m, P())
    return jax.tree_util.tree_map(lambda a: jax.lax.with_sharding_constraint(a, rep) if hasattr(a, "shape") else a,
                                  tree)


def place(tree):
    """Every array of ``tree`` put replicated on every device of :func:`devices` (outside ``jax.jit``): a step's
    inputs before its first call, so that its replicated outputs come back with the same placement and the
    jitted step compiles once. One device: ``tree`` as it is."""
    if len(devices()) == 1:
        return tree
    rep = NamedSharding(mesh(), P())
    return jax.tree_util.tree_map(lambda a: jax.device_put(a, rep) if isinstance(a, jax.Array) else a, tree)


def data_parallel(step):
    """``step((dyn, opt_state), (x, y, key), fb)`` with its batch sharded and its carry replicated (module
    docstring). The mesh is taken when the step is traced (inside :func:`using` if one is open)."""
    if len(devices()) == 1:
        return step  # one device: the step as it is, no constraints in its program

    def sharded(carry, batch, fb=()):
        m = mesh()
        x, y, key = batch
        carry = replicate(carry, m)
        new_carry, out = step(carry, (shard_batch(x, m), shard_batch(y, m), key), fb)
        return replicate(new_carry, m), replicate(out, m)

    return sharded
