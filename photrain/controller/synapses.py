"""A synapse array for event-driven learning rules (STDP): the controller's memory and core behind six callables.

A spiking network writes one neuron's row after every output spike and integrates on/off input spikes
between writes, so it cannot use the per-batch ``program``/``apply`` cycle of the hub. This facade gives it
the same separation: the learning rule (``photrain.train.spiking``) calls only these functions; the memory
and the core stay behind the controller (DESIGN: training never reaches a core or a memory).

    init(w, key) -> state                  write the initial weights into the memory
    read(state) -> w (K, N)                the weights as the memory holds them (disconnected synapses: 0)
    integrate(state, x, key) -> x Wᵀ       the core programmed from the memory read (bank: the on/off spikes
                                           are on/off light on the WDM channels, the bias channel always on)
    update(state, dw, key) -> state        a requested change, written as device pulses (``memory.update``)
    program(state, mask, value, key)       set the masked synapses to ``value`` and freeze them (pruning)
    drain(state) -> (state, counts)        the device's pulse / transfer / refresh counters, reset

Everything is pure and jittable; ``state`` is a :class:`MemorySynapses` pytree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from photrain.controller.ledger import Ledger

F32 = jnp.float32
SPIKING_CORES = ("digital", "bank")


class MemorySynapses(NamedTuple):
    """Synapse state in the controller's memory. ``cut``: conventionally pruned synapses, disconnected from the
    integration (effective weight 0, whatever level the device holds)."""

    mem: Any
    cut: jax.Array


class SynapseArray(NamedTuple):
    """The six operations (module docstring); field for field the ``Synapses`` a spiking network takes."""

    init: Callable
    read: Callable
    integrate: Callable
    update: Callable
    program: Callable
    drain: Callable


def synapse_array(ctrl, *, program_pulses: int | None = None) -> SynapseArray:
    """The synapses of a (K neurons x N inputs) spiking layer in ``ctrl.memory``, integrated on ``ctrl.core``.

    integrate: programs the core from the memory read and runs x Wᵀ on it (re-programmed after every write,
    as the weights changed). program (pruning): a non-zero ``value`` (soft pruning) pulses each masked device
    towards it ``program_pulses`` times (default the memory's levels + 2, enough for a few-level CBRAM to
    reach its end level) and freezes it (``memory.freeze`` where the device has one); a zero ``value``
    (conventional pruning) disconnects the synapse. A crossbar computes from the memory's conductances and
    cannot see a disconnection, so only the digital and bank cores are accepted (ValueError otherwise).
    """
    mem, core = ctrl.memory, ctrl.core
    if core.kind not in SPIKING_CORES:
        raise ValueError(f"the spiking network integrates on a 'digital' or 'bank' core; got {core.kind!r} "
                         "(--core digital or --core bank)")
    if program_pulses is not None and int(program_pulses) < 1:
        raise ValueError(f"program_pulses must be >= 1 (pulses per pruned device); got {program_pulses}")
    n_pulses = int(program_pulses or int(getattr(mem, "n_levels", 4)) + 2)
    freeze = getattr(mem, "freeze", None)

    def read(s):
        return jnp.where(s.cut, 0.0, mem.read(s.mem))

    def integrate(s, x, key):
        return core.matmul(core.program(read(s), mem, s.mem), jnp.atleast_2d(x), key).reshape(
            (*jnp.shape(x)[:-1], -1)).astype(F32)

    def program(s, mask, value, key):
        if isinstance(value, int | float) and value == 0.0:  # conventional pruning (a static zero)
            return MemorySynapses(freeze(s.mem, mask) if freeze else s.mem, s.cut | mask)
        m = s.mem
        for i in range(n_pulses):
            m = mem.update(m, jnp.where(mask, value - mem.read(m), 0.0), jax.random.fold_in(key, i))
        return MemorySynapses(freeze(m, mask) if freeze else m, s.cut)

    def drain(s):
        c = s.mem.counts
        counts = {"memory_pulses": c.pulses, "memory_transfers": c.transfers, "memory_refreshes": c.refreshes}
        zero = jax.tree_util.tree_map(jnp.zeros_like, c)
        return MemorySynapses(s.mem._replace(counts=zero), s.cut), counts

    return SynapseArray(
        init=lambda w, key: MemorySynapses(mem.init(w, key), jnp.zeros(jnp.shape(w), bool)),
        read=read,
        integrate=integrate,
        update=lambda s, dw, key: MemorySynapses(mem.update(s.mem, dw, key), s.cut),
        program=program,
        drain=drain,
    )


def spike_ledger(ctrl, shape, spikes: int) -> Ledger:
    """Work of ``spikes`` output spikes on a (K, N) synapse array, each one a (1 x N)(N x K) product on the core
    (re-programmed from the memory when the core is not digital, since the winner's row changed: K N memory
    reads) and a read of the winner's row (N memory reads). The writes are counted by the caller (they
    depend on pruning) and the pulses by the device (``drain``)."""
    K, N = shape
    led = Ledger(steps=spikes, memory_reads=spikes * N)
    one = Ledger()
    ctrl.count_core_product(one, (K, N), 1, reprogram=True)
    led.add(one.scaled(spikes))
    if ctrl.core.kind != "digital":
        led.add(memory_reads=spikes * K * N)  # the controller reads the memory to re-program the core
    return led
