"""What hardware layers run on: a core for their products and a memory for their weights.

:class:`Hardware` names a core (``digital``, ``bank``, ``mesh``, ``crossbar``), a weight memory
(``float``, ``fixed``, ``pcm``, ``pcm-3t1c``, ``rram``, ``cbram``) and an optional feedback core for
optical DFA, with the controller's configurations (:class:`~photrain.controller.OpticalConfig`,
:class:`~photrain.controller.CrossbarConfig`, :class:`~photrain.controller.MeshConfig`, the memory's
parameters) as keyword arguments and today's defaults. It is hashable (an Equinox static field) and
builds the :class:`~photrain.controller.Controller` that serves a layer (:func:`controller_for`).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from photrain.controller import CORES, MEMORIES, CrossbarConfig, MeshConfig, OpticalConfig, build_controller
from photrain.controller import memory_params as parse_memory_params
from photrain.controller.gst_engine import gst_crossbar_engine
from photrain.controller.hub import PULSE_MODES

MEMORY_NAMES = tuple(MEMORIES)
#: The cores a layer can run on: the controller's, and the GST crossbar of Feldmann et al., Nature 589, 52 (2021)
#: (:mod:`photrain.cores.gst_crossbar`; ``optical=`` configures its readout and levels, ``n_channels`` its inputs).
CORE_NAMES = (*CORES, "gst-crossbar")
FEEDBACKS = (None, "digital", "bank", "crossbar", "mesh")
_CONFIGS = {"optical": OpticalConfig, "crossbar": CrossbarConfig, "mesh": MeshConfig}


def _config(name: str, value):
    cls = _CONFIGS[name]
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if isinstance(value, dict):
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown {name} setting(s) {', '.join(unknown)}; {cls.__name__} has "
                             f"{', '.join(sorted(known))}")
        return cls(**value)
    raise ValueError(f"{name}= takes a {cls.__name__} or a dict of its fields; got {type(value).__name__}")


class Hardware:
    """Hardware(core="digital", memory="float", feedback=None, **configs): what hardware layers run on.

    core: 'digital' | 'bank' | 'mesh' | 'crossbar' | 'gst-crossbar' (W·x and, where the core can, Wᵀ·δ);
    memory: 'float' | 'fixed' | 'pcm' | 'pcm-3t1c' | 'rram' | 'cbram' (where the weights live);
    feedback: None (digital) or 'bank' (B·e of optical DFA on a weight bank; 'mesh', 'crossbar' also work).
    configs: ``optical=`` / ``crossbar=`` / ``mesh=`` (the config or a dict of its fields),
    ``memory_params=`` (dict), ``pulse_mode=`` ('analog', 'sign', 'accumulate'), ``n_channels=`` (WDM
    channels of a bank, default 10), and any parameter of the memory by name (``read_noise=0.0``).
    """

    __slots__ = ("core", "memory", "feedback", "memory_params", "optical", "crossbar", "mesh", "pulse_mode",
                 "n_channels")

    def __init__(self, core: str = "digital", memory: str = "float", feedback: str | None = None, *,
                 memory_params: dict | None = None, optical=None, crossbar=None, mesh=None,
                 pulse_mode: str = "analog", n_channels: int = 10, **memory_kw):
        if core not in CORE_NAMES:
            raise ValueError(f"unknown core {core!r}; choose one of {', '.join(CORE_NAMES)}")
        if memory not in MEMORIES:
            raise ValueError(f"unknown memory {memory!r}; choose one of {', '.join(MEMORY_NAMES)}")
        if feedback not in FEEDBACKS:
            raise ValueError(f"unknown feedback {feedback!r}; choose None (digital) or one of bank, crossbar, mesh")
        if pulse_mode not in PULSE_MODES:
            raise ValueError(f"unknown pulse_mode {pulse_mode!r}; choose one of {', '.join(PULSE_MODES)}")
        params = {**(memory_params or {}), **memory_kw}
        try:
            params = parse_memory_params(memory, params, "Hardware(...)")
        except ValueError as err:
            raise ValueError(f"{err} (or a config: optical=, crossbar=, mesh=, pulse_mode=, n_channels=)") from None
        if isinstance(n_channels, bool) or int(n_channels) != n_channels or n_channels < 1:
            raise ValueError(f"n_channels must be an integer >= 1; got {n_channels!r}")
        set_ = functools.partial(object.__setattr__, self)
        set_("core", core)
        set_("memory", memory)
        set_("feedback", None if feedback == "digital" else feedback)
        set_("memory_params", tuple(sorted(params.items())))
        set_("optical", _config("optical", optical))
        set_("crossbar", _config("crossbar", crossbar))
        set_("mesh", _config("mesh", mesh))
        set_("pulse_mode", pulse_mode)
        set_("n_channels", int(n_channels))
        controller_for(self)  # build once: parameter errors surface here, not inside a jitted step

    def __setattr__(self, name, value):
        raise AttributeError("Hardware is immutable; use .replace(...)")

    def _key(self):
        return tuple(getattr(self, n) for n in self.__slots__)

    def __eq__(self, other):
        return isinstance(other, Hardware) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        extra = "".join(f", {k}={v!r}" for k, v in self.memory_params)
        fb = f", feedback={self.feedback!r}" if self.feedback else ""
        return f"Hardware(core={self.core!r}, memory={self.memory!r}{fb}{extra})"

    def replace(self, **changes) -> Hardware:
        """A copy with some arguments changed (``hw.replace(core='digital')``)."""
        d = self.to_dict()
        d.update(changes)
        return Hardware.from_dict(d)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able description (:meth:`from_dict` inverts it)."""
        return {"core": self.core, "memory": self.memory, "feedback": self.feedback,
                "memory_params": dict(self.memory_params), "optical": dataclasses.asdict(self.optical),
                "crossbar": dataclasses.asdict(self.crossbar), "mesh": dataclasses.asdict(self.mesh),
                "pulse_mode": self.pulse_mode, "n_channels": self.n_channels}

    @classmethod
    def from_dict(cls, d: dict) -> Hardware:
        d = dict(d)
        return cls(d.pop("core"), d.pop("memory"), d.pop("feedback", None), **d)

    @property
    def controller(self):
        """The :class:`~photrain.controller.Controller` of this hardware (built once, cached)."""
        return controller_for(self)


@functools.lru_cache(maxsize=256)
def controller_for(hw: Hardware):
    """The controller serving layers on ``hw`` (one per distinct Hardware: engines are built once)."""
    gst = hw.core == "gst-crossbar"
    ctrl = build_controller(memory=hw.memory, memory_params=dict(hw.memory_params), core="bank" if gst else hw.core,
                            feedback_core=hw.feedback, optical=hw.optical, crossbar=hw.crossbar, mesh=hw.mesh,
                            n_channels=hw.n_channels, pulse_mode=hw.pulse_mode)
    return dataclasses.replace(ctrl, core=gst_crossbar_engine(hw.optical, hw.n_channels)) if gst else ctrl
