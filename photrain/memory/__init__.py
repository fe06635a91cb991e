"""Weight memories: the state the controller writes and the cores are programmed from.

Each device is a frozen dataclass of parameters with pure, jittable ``init``,
``read``, ``update``, ``maintain``, ``elapse`` and ``conductances`` (see
:mod:`photrain.memory.base`). :func:`make_memory` builds one by name.
"""

from __future__ import annotations

from photrain.memory.base import Counts, WeightMemory, add_counts, reset_counts, stochastic_round, zero_counts
from photrain.memory.cbram import CBRAMMemory, CBRAMState
from photrain.memory.digital import DigitalState, FixedPointMemory, FloatMemory
from photrain.memory.params import parameter_types, parse_params
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


def memory_params(name: str, params: dict, option: str = "memory_params") -> dict:
    """``params`` of memory ``name`` converted to each parameter's declared type (text such as '1e-4',
    '8000', 'true', 'none' included): :func:`photrain.memory.params.parse_params`, the one parser of
    ``--memory-param``, sweep files and :func:`make_memory`. ``ValueError`` (one line, naming ``option``,
    the key, the memory and what is allowed) for an unknown memory, parameter or a value that does not parse.
    """
    if name not in MEMORIES:
        raise ValueError(f"unknown memory {name!r} (--memory); choose one of {', '.join(MEMORIES)}")
    return parse_params(name, MEMORIES[name], params, option)


def make_memory(name: str, **params) -> WeightMemory:
    """The memory device ``name`` with parameters overridden by ``params`` (converted by :func:`memory_params`).

    Unknown names or parameters, and values that do not parse, raise ``ValueError`` listing the valid ones.
    """
    return MEMORIES[name](**memory_params(name, params))
