"""Build a :class:`Controller` from plain names and parameters (what a run's configuration holds)."""

from __future__ import annotations

from photrain.controller.engines import BankEngine, CrossbarEngine, DigitalEngine, MeshEngine
from photrain.controller.hardware import CORES, CrossbarConfig, MeshConfig, OpticalConfig
from photrain.controller.hub import PULSE_MODES, Controller
from photrain.controller.optimizer import SGD
from photrain.memory import MEMORIES, make_memory


def check_hardware(*, memory: str, memory_params: dict, core: str, pulse_mode: str = "analog") -> None:
    """Raise ``ValueError`` naming the option when a memory, its parameters, a core or a pulse mode is unknown."""
    if core not in CORES:
        raise ValueError(f"unknown core {core!r} (--core); choose one of {', '.join(CORES)}")
    if pulse_mode not in PULSE_MODES:
        raise ValueError(f"unknown pulse mode {pulse_mode!r} (--pulse-mode); choose one of {', '.join(PULSE_MODES)}")
    if memory not in MEMORIES:
        raise ValueError(f"unknown memory {memory!r} (--memory); choose one of {', '.join(MEMORIES)}")
    device = make_memory(memory, **memory_params)
    if pulse_mode == "accumulate" and not device.write_granularity > 0:
        raise ValueError(f"--pulse-mode accumulate writes whole device granules, and --memory {memory} has none "
                         "(it stores any change exactly); use it with fixed, pcm, pcm-3t1c, rram or cbram")


def make_engine(core: str, *, optical: OpticalConfig, crossbar: CrossbarConfig, n_channels: int, memory=None,
                mesh: MeshConfig | None = None):
    """The product engine of a core kind (``memory`` sets a crossbar's conductance window)."""
    if core == "mesh":
        return MeshEngine((mesh or MeshConfig()).mesh())
    if core == "bank":
        return BankEngine(optical.bank(n_channels))
    if core == "crossbar":
        return CrossbarEngine(crossbar.crossbar(memory))
    if core == "digital":
        return DigitalEngine()
    raise ValueError(f"unknown core {core!r}; choose one of {', '.join(CORES)}")


def build_controller(*, memory: str = "float", memory_params: dict | None = None, core: str = "digital",
                     feedback_core: str | None = None, optical: OpticalConfig | None = None,
                     crossbar: CrossbarConfig | None = None, lr: float = 0.01, momentum: float = 0.9,
                     n_channels: int = 10, pulse_mode: str = "analog", mesh: MeshConfig | None = None) -> Controller:
    """A controller with the named memory device, forward core and (optional) feedback core.

    n_channels: WDM channels of a bank (the number of classes, the width of B e's input).
    mesh: the MZI-mesh cores' configuration (``core`` or ``feedback_core`` 'mesh'); one mesh engine
    (one chip) serves both when both are 'mesh'.
    """
    memory_params = memory_params or {}
    check_hardware(memory=memory, memory_params=memory_params, core=core, pulse_mode=pulse_mode)
    optical, crossbar = optical or OpticalConfig(), crossbar or CrossbarConfig()
    device = make_memory(memory, **memory_params)
    engine = make_engine(core, optical=optical, crossbar=crossbar, n_channels=n_channels, memory=device, mesh=mesh)
    if feedback_core in (None, "digital"):
        fb = None
    elif feedback_core == core == "mesh":
        fb = engine
    else:
        fb = make_engine(feedback_core, optical=optical, crossbar=crossbar, n_channels=n_channels, memory=device,
                         mesh=mesh)
    return Controller(memory=device, optimizer=SGD(lr, momentum), core=engine, feedback=fb, pulse_mode=pulse_mode)
