"""A crossbar's settings carried from step to step, patched where a write lands (in-memory computing).

A crossbar that computes in an analog memory is programmed from the memory's conductances
(:meth:`photrain.controller.engines.CrossbarEngine.program`): its settings, the conductance stacks the products
contract against (:meth:`photrain.cores.crossbar.CrossbarCore.stack`), are a function of the conductances
alone, elementwise per device. Rebuilding them every batch costs a pass over every device of the layer (issue 27:
W1's stacks of an EP 784-500-10 net, three 500 x 896 arrays per direction, cost more than its product), while a
mixed-precision write pulses ~1e-4 of the devices. A run that carries the settings (:func:`carry`) rewrites them
after a write only at the devices the write may have changed (:func:`patch`), as the memory names them
(``memory.write_mask``), and rebuilds them where it may have changed any: the settings stay equal, bit for bit,
to those programmed afresh from the written memory.
"""

from __future__ import annotations

import jax.numpy as jnp

from photrain.memory.base import run_if
from photrain.memory.sparse import for_hits


def carries(ctrl) -> bool:
    """Whether the controller's core settings can be carried between steps: a crossbar computing in a memory whose
    writes name the devices they change (``write_mask``), and whose programming reads no weights."""
    return (ctrl.core.kind == "crossbar" and ctrl.forward_on_core and not ctrl.digital_memory
            and hasattr(ctrl.memory, "write_mask") and hasattr(ctrl.core.core, "patch"))


def carry(ctrl, hs) -> tuple:
    """Every layer's settings programmed from its memory's conductances (what ``ctrl.program`` computes per batch)
    without the conductances themselves (``g_pos``, ``g_neg`` None: the memory state holds them, and a copy carried
    beside it would cost a pass per step); ``()`` where the controller cannot carry them (:func:`carries`)."""
    if not carries(ctrl):
        return ()
    return tuple(_kept(ctrl.core.program(None, ctrl.memory, s)) for s in hs.mem)


def _kept(settings):
    return settings._replace(g_pos=None, g_neg=None)


def settings(ctrl, hs, kept: tuple) -> tuple:
    """The settings :func:`carry` keeps, whole again: with the memories' conductances of ``hs``."""
    out = []
    for s, state in zip(kept, hs.mem, strict=True):
        g_pos, g_neg, k = ctrl.memory.conductances(state)
        out.append(s._replace(g_pos=g_pos, g_neg=g_neg, w_per_siemens=jnp.asarray(k, g_pos.dtype)))
    return tuple(out)


def patch(ctrl, kept: tuple, mem: tuple, masks: tuple) -> tuple:
    """The carried settings after writes that left the memory states ``mem``, each with its ``memory.write_mask``
    (hits, everywhere; ``Controller._write`` takes them): rewritten at the devices of the weights the write may have
    changed, rebuilt from the conductances where it may have changed any."""
    core = ctrl.core.core
    out = []
    for s, state, (hits, everywhere) in zip(kept, mem, masks, strict=True):
        # the conductances taken inside each loop: sliced out of the state before it, XLA would copy them
        def rebuild(s, state=state):
            return _kept(core.from_conductances(*ctrl.memory.conductances(state)))

        def rewrite(s, h=hits, state=state):
            def body(idx, c):
                g_pos, g_neg, k = ctrl.memory.conductances(state)
                return _kept(core.patch(c._replace(g_pos=g_pos, g_neg=g_neg), g_pos, g_neg, k, idx))

            return for_hits(h, body, s)

        out.append(run_if(~everywhere, rewrite, run_if(everywhere, rebuild, s)))
    return tuple(out)
