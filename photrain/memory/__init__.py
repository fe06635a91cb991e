"""Weight memories: the state the controller writes and the cores are programmed from.

Each device is a frozen dataclass of parameters with pure, jittable ``init``,
``read``, ``update``, ``maintain``, ``elapse`` and ``conductances`` (see
:mod:`photrain.memory.base`). :func:`make_memory` builds one by name.
"""

from __future__ import annotations

import dataclasses

from photrain.memory.base import Counts, WeightMemory, add_counts, reset_counts, stochastic_round, zero_counts
from photrain.memory.cbram import CBRAMMemory, CBRAMState
from photrain.memory.digital import DigitalState, FixedPointMemory, FloatMemory
from photrain.memory.pcm import PCMMemory, PCMState
from photrain.memory.pcm3t1c import PCM3T1CMemory, PCM3T1CState
from photrain.memory.rram import RRAMMemory, RRAMState

MEMORIES: dict[str, type] = {
    "float": FloatMemory,
    "fixed": FixedPointMemory,
    "pcm": PCMMemory,
    "pcm-3t1c": PCM3T1CMemory,
    "rram": RRAMMemory,
    "cbram": CBRAMMemory,
}


def make_memory(name: str, **params) -> WeightMemory:
    """The memory device ``name`` with parameters overridden by ``params``.

    Unknown names or parameters raise ``ValueError`` listing the valid ones.
    """
    if name not in MEMORIES:
        raise ValueError(f"unknown memory {name!r}; choose one of {', '.join(MEMORIES)}")
    cls = MEMORIES[name]
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in params if k not in valid]
    if unknown:
        raise ValueError(f"memory {name!r} has no parameter {', '.join(map(repr, unknown))}; "
                         f"its parameters are {', '.join(valid) or '(none)'}")
    return cls(**params)
