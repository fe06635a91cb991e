"""The controller: the hub between the learning rules and the hardware.

It holds each layer's weight-memory state, programs the core it was given
from that state once per batch, runs the products a learning rule asks for
(W·x, Wᵀ·δ, B·e), turns gradients into memory writes (optimiser step ->
pulses -> maintenance: transfers, refreshes) and counts the work for the
ledger. Learning rules (``photrain.train``) see only callables; they never
touch a core or a memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

import photrain.controller.carried as carried
from photrain.controller.engines import DigitalEngine
from photrain.controller.ledger import Ledger
from photrain.controller.optimizer import SGD
from photrain.controller.synapses import SynapseArray, spike_ledger, synapse_array
from photrain.memory import Counts, FloatMemory, reset_counts, zero_counts
from photrain.xla_forms import computed_once

PULSE_MODES = ("analog", "sign", "accumulate")


class HubState(NamedTuple):
    """Everything the controller keeps between steps (a pytree; checkpointed whole)."""

    mem: tuple  # weight-memory state of each layer
    bias: tuple  # biases, float32 registers
    vel: tuple  # optimiser velocity ((v_w, v_b), ...) in float32 registers
    acc: tuple = ()  # pulse_mode 'accumulate': each layer's not-yet-written weight change chi (float32); else empty


def accumulate_granules(chi, granularity, max_granules=None):
    """Split an accumulated weight change into whole write granules and a residual (mixed-precision update).

    Nandakumar et al., "Mixed-precision deep learning based on computational memory", Front. Neurosci. 14,
    406 (2020): the digital unit keeps chi per weight (chi += requested change every step); when
    |chi| >= epsilon, the device's programming granularity, it applies p = floor(|chi| / epsilon) granules in
    the direction of chi and keeps chi - sign(chi) p epsilon. Here p is capped at ``max_granules`` (None: no cap)
    and whatever the cap holds back stays in chi, so written + residual = requested exactly (up to float32
    rounding), and |residual| < epsilon whenever the cap does not bind.

    chi, granularity (epsilon > 0): weight units. Returns (written, residual), both shaped like chi.
    """
    eps = jnp.asarray(granularity, chi.dtype)
    mag = jnp.abs(chi)
    p = jnp.floor(mag / eps)
    p = p + (mag - p * eps >= eps)  # the quotient can round just below an integer: keep |residual| < epsilon
    if max_granules is not None:
        p = jnp.minimum(p, max_granules)
    written = jnp.sign(chi) * p * eps
    return written, chi - written


class Programmed(NamedTuple):
    """One batch's view of the weights: as read from memory, and as programmed on the core."""

    weights: tuple
    settings: tuple


@dataclass(frozen=True)
class Controller:
    """The hub (module docstring).

    memory: weight memory device (``photrain.memory``); optimizer: :class:`SGD`;
    core: engine for W·x and Wᵀ·δ (``photrain.controller.engines``);
    feedback: engine for B·e (optical DFA), None for digital;
    pulse_mode: 'analog' writes each requested change as the pulses it needs;
    'sign' writes one fixed pulse in the direction of every non-zero request
    (the sign-only, "Manhattan" update of crossbar hardware); 'accumulate' is the
    mixed-precision update (:func:`accumulate_granules`): requests add up in a
    float32 accumulator chi per weight (``HubState.acc``, SRAM of the controller,
    counted in the ledger), and only whole granules of the memory's
    ``write_granularity`` are written, at most the weight range (2 w_max) per step.
    """

    memory: Any = field(default_factory=FloatMemory)
    optimizer: SGD = field(default_factory=SGD)
    core: Any = field(default_factory=DigitalEngine)
    feedback: Any = None
    pulse_mode: str = "analog"

    def __post_init__(self):
        if self.pulse_mode not in PULSE_MODES:
            raise ValueError(f"pulse_mode must be one of {PULSE_MODES}; got {self.pulse_mode!r}")
        if self.pulse_mode == "sign" and not self.memory.nominal_step > 0:
            raise ValueError(f"pulse_mode 'sign' needs a memory with a finite pulse step; "
                             f"{self.memory.name!r} has none (use a fixed or analog memory)")
        if self.pulse_mode == "accumulate" and not self.memory.write_granularity > 0:
            raise ValueError(f"pulse_mode 'accumulate' needs a memory with a write granularity; "
                             f"{self.memory.name!r} stores any change exactly (use a fixed or analog memory)")

    @property
    def accumulates(self) -> bool:
        """Whether updates go through the digital accumulator (pulse_mode 'accumulate')."""
        return self.pulse_mode == "accumulate"

    @property
    def max_granules(self) -> float:
        """Cap on the granules written per weight and step in 'accumulate' mode: the whole weight range,
        2 w_max / write_granularity (rounded up; more could not move a weight further)."""
        return float(math.ceil(2 * self.memory.w_max / self.memory.write_granularity - 1e-9))

    @property
    def forward_on_core(self) -> bool:
        """Whether training steps run W·x on the core: a core programmed on the host (the mesh, whose
        SVD + decomposition cannot run per batch inside a jitted step) leaves them digital."""
        return self.core.kind != "digital" and getattr(self.core, "programs_in_step", True)

    @property
    def digital_memory(self) -> bool:
        return isinstance(self.memory, FloatMemory)

    # ------------------------------------------------------------------ state
    def init(self, params, key) -> HubState:
        """Write initial weights [(W, b)] into memory (W through the device, b into registers)."""
        keys = jax.random.split(key, len(params))
        mem = tuple(self.memory.init(w, k) for (w, _), k in zip(params, keys, strict=True))
        vel = tuple((jnp.zeros_like(w), jnp.zeros_like(b)) for w, b in params)
        acc = tuple(jnp.zeros(jnp.shape(w), jnp.float32) for w, _ in params) if self.accumulates else ()
        return HubState(mem, tuple(b for _, b in params), vel, acc)

    def weights(self, hs: HubState, key=None) -> list:
        """[(W, b)] as read from memory (noise-free without a key): for evaluation and checkpoints."""
        keys = [None] * len(hs.mem) if key is None else list(jax.random.split(key, len(hs.mem)))
        return [(self.memory.read(s, k), b) for s, b, k in zip(hs.mem, hs.bias, keys, strict=True)]

    def elapse(self, hs: HubState, seconds) -> HubState:
        """Wall time passes for every device (drift, leakage)."""
        return hs._replace(mem=tuple(self.memory.elapse(s, seconds) for s in hs.mem))

    # ------------------------------------------------------------------ products
    def program(self, hs: HubState, key, *, transpose: bool = False, kept: tuple = ()) -> Programmed:
        """Read the memory (read noise with ``key``) and program the core from it: once per batch (jittable).
        ``kept``: the settings :meth:`carry` / :meth:`apply_carried` keep for this state (used as they are).

        A core that is programmed on the host (``forward_on_core`` False: the mesh) is not programmed
        here; the weights are returned as they were read (training's W·x is digital). Use
        :meth:`program_core` outside ``jax.jit`` to program such a core (inference).
        """
        if kept or (not self.forward_on_core and self.core.kind != "digital"):
            weights = tuple(w for w, _ in self.weights(hs, key))
            return Programmed(weights, carried.settings(self, hs, kept) if kept else weights)
        return self.program_core(hs, key, transpose=transpose)

    def program_core(self, hs: HubState, key, *, transpose: bool = False) -> Programmed:
        """Read the memory and program the core from it, whatever the core: for inference through the hardware.

        For the mesh this runs on the host (SVD + decomposition of every tile) and must be called outside
        ``jax.jit``; the result is a pytree that a jitted forward pass takes for :meth:`matmul`.
        """
        weights = [w for w, _ in self.weights(hs, key)]
        settings = tuple(self.core.program(w, self.memory, s, transpose=transpose)
                         for w, s in zip(weights, hs.mem, strict=True))
        return Programmed(tuple(weights), settings)

    def params(self, prog: Programmed, hs: HubState) -> list:
        """[(W, b)] as this batch read them (what a learning rule sees)."""
        return list(zip(prog.weights, hs.bias, strict=True))

    def matmul(self, prog: Programmed, i: int, h, key):
        """h W_iᵀ (batch, out) on the core."""
        return self.core.matmul(prog.settings[i], h, key)

    def matmul_t(self, prog: Programmed, i: int, d, key):
        """d W_i (batch, in) on the core."""
        if not self.core.supports_transpose:
            raise ValueError(f"the {self.core.kind!r} core cannot run Wᵀ·δ; choose a core that can "
                             "(digital, bank or crossbar)")
        return self.core.matmul_t(prog.settings[i], d, key)

    def compile_feedback(self, feedback) -> list:
        """Fixed feedback matrices B_l programmed once on the feedback core (digital when none)."""
        engine = self.feedback or DigitalEngine()
        return [engine.compile(b) for b in feedback]

    def project(self, compiled, i: int, e, key):
        """B_i e (batch, width_i) on the feedback core."""
        return (self.feedback or DigitalEngine()).project(compiled[i], e, key)

    # ------------------------------------------------------------------ updates
    def apply(self, hs: HubState, grads, key, images) -> tuple[HubState, Counts]:
        """Optimiser step, written into memory as pulses, then device maintenance; returns (state, counts).

        ``images``: images seen in this step (drives periodic transfers and leakage).
        ``counts`` sums every layer's device events in this step (the states' counters are reset).
        In 'accumulate' mode the memory is asked only for whole granules; the rest stays in ``hs.acc``.
        """
        vel, deltas = self.optimizer.step(hs.vel, tuple(tuple(g) for g in grads))
        hs, counts = self.write(hs, deltas, key, images)
        return hs._replace(vel=tuple(vel)), counts

    def carry(self, hs: HubState) -> tuple:
        """The core's settings programmed from the memories, to carry from step to step (:meth:`program` with
        ``kept``, :meth:`apply_carried`); ``()`` where they cannot be carried (``photrain.controller.carried``:
        a crossbar computing in an analog memory that names the devices its writes change)."""
        return carried.carry(self, hs)

    def apply_carried(self, hs: HubState, grads, key, images, settings: tuple) -> tuple[HubState, Counts, tuple]:
        """:meth:`apply` with carried core settings (:meth:`carry`): (state, counts, the settings patched where the
        write landed, equal to those programmed afresh from the written memories)."""
        vel, deltas = self.optimizer.step(hs.vel, tuple(tuple(g) for g in grads))
        hs, counts, masks = self._write(hs, deltas, key, images, masks=bool(settings))
        return hs._replace(vel=tuple(vel)), counts, carried.patch(self, settings, hs.mem, masks) if settings else ()

    def write(self, hs: HubState, deltas, key, images) -> tuple[HubState, Counts]:
        """Write requested changes [(dW, db)] (an optimiser's updates, e.g. optax's) into memory, then maintain.

        dW goes to the memory device as pulses (by ``pulse_mode``), db to the bias registers; returns
        (state, counts) as :meth:`apply`, whose optimiser step this is without (``hs.vel`` is kept as it is).
        """
        hs, counts, _ = self._write(hs, deltas, key, images)
        return hs, counts

    def _write(self, hs: HubState, deltas, key, images, masks: bool = False) -> tuple[HubState, Counts, tuple]:
        """:meth:`write`, and with ``masks`` each layer's ``memory.write_mask`` of its write (the write takes it too:
        one packing of the requests for both)."""
        keys = jax.random.split(key, len(hs.mem))
        mem, bias, acc, counts, written = [], [], [], zero_counts(), []
        chis = hs.acc if self.accumulates else (None,) * len(hs.mem)
        for state, b, (dw, db), chi, k in zip(hs.mem, hs.bias, deltas, chis, keys, strict=True):
            if self.pulse_mode == "sign":
                dw = jnp.sign(dw) * jnp.asarray(self.memory.nominal_step, dw.dtype)
            elif self.accumulates:
                dw, chi = accumulate_granules(chi + dw, self.memory.write_granularity, self.max_granules)
                if masks:  # into buffers: the writes' packing and gathers would each recompute the chain (issue 27)
                    dw, chi = computed_once((dw, chi), jnp.all(state.counts.pulses >= 0))
                acc.append(chi)
            if masks:
                written.append(self.memory.write_mask(dw, k))
                state = self.memory.update(state, dw, k, requests=written[-1])
            else:  # (a memory computes only the devices it pulses: photrain.memory.sparse)
                state = self.memory.update(state, dw, k)
            state = self.memory.maintain(state, images, jax.random.fold_in(k, 1))
            counts = Counts(*(a + c for a, c in zip(counts, state.counts, strict=True)))
            mem.append(reset_counts(state))
            bias.append(b + db)
        return HubState(tuple(mem), tuple(bias), hs.vel, tuple(acc)), counts, tuple(written)

    def deploy(self, hs: HubState, key=None) -> HubState:
        """Make every memory ready to hold its weights without training (before ``elapse``): a memory with a
        ``deploy`` step (PCM+3T1C: the final transfer into the PCM pair, the capacitor switched out) runs it;
        the others are left as they are. Its device events are in the states' counts."""
        deploy = getattr(self.memory, "deploy", None)
        if deploy is None:
            return hs
        keys = [None] * len(hs.mem) if key is None else list(jax.random.split(key, len(hs.mem)))
        return hs._replace(mem=tuple(deploy(s, k) for s, k in zip(hs.mem, keys, strict=True)))

    # ------------------------------------------------------------------ the ledger
    def step_ledger(self, sizes: list[int], batch: int, *, backward: str) -> Ledger:
        """Closed-form operation counts of one optimiser step of an MLP with layer ``sizes``.

        backward: 'backprop' (Wᵀ·δ through layers 2..L on the core), 'dfa' (B_l e on the
        feedback core, digital without one) or 'none'. Weight gradients δᵀh are digital.
        In 'accumulate' pulse mode every weight's accumulator chi is read and written once per step
        (SRAM: ``memory_reads`` / ``memory_writes``, priced by the energy model's ``sram_energy``).
        """
        pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
        n_weights = sum(i * o for i, o in pairs)
        led = Ledger(steps=1, memory_reads=n_weights, memory_writes=n_weights if self.digital_memory else 0)
        if self.accumulates:  # chi += request, then chi -= written: one SRAM read and write of every chi per step
            led.add(memory_reads=n_weights, memory_writes=n_weights)
        led.add(digital_macs=sum(batch * i * o for i, o in pairs))  # delta^T h
        in_memory = not self.digital_memory and self.core.kind == "crossbar"
        forward = self.core if self.forward_on_core else DigitalEngine()
        for i, o in pairs:
            self._count(led, forward, (o, i), batch, reprogram=not in_memory)
            if forward.kind != "digital" and not in_memory:
                led.add(memory_reads=i * o)  # the controller reads the memory to re-program the core
        if backward == "backprop":
            for i, o in pairs[1:]:
                self._count(led, self.core, (i, o), batch, reprogram=not in_memory and self.core.kind == "bank")
        elif backward == "dfa":
            for width in sizes[1:-1]:
                self._count(led, self.feedback or DigitalEngine(), (width, sizes[-1]), batch, reprogram=False)
        return led

    def layer_ledger(self, shape, batch: int, *, backward: bool, weight_grad: bool = True) -> Ledger:
        """Counts of one optimiser step of one (out x in) layer of any model, as :meth:`step_ledger` counts a pair.

        The memory is read (and re-programs the core), W·x runs on the core (digital where the core is
        programmed on the host), Wᵀ·δ runs when ``backward`` (on the core when it can, else digital) and
        the weight gradient δᵀx is digital (``weight_grad``); digital memories are written every step.
        """
        o, i = shape
        led = Ledger(memory_reads=i * o, memory_writes=i * o if self.digital_memory and weight_grad else 0)
        if self.accumulates and weight_grad:
            led.add(memory_reads=i * o, memory_writes=i * o)
        if weight_grad:
            led.add(digital_macs=batch * i * o)
        in_memory = not self.digital_memory and self.core.kind == "crossbar"
        forward = self.core if self.forward_on_core else DigitalEngine()
        self._count(led, forward, (o, i), batch, reprogram=not in_memory)
        if forward.kind != "digital" and not in_memory:
            led.add(memory_reads=i * o)
        if backward:
            engine = forward if forward.supports_transpose else DigitalEngine()
            self._count(led, engine, (i, o), batch, reprogram=not in_memory and engine.kind == "bank")
        return led

    def feedback_ledger(self, sizes: list[int]) -> Ledger:
        """Programming the fixed feedback matrices B_l (width_l x n_out) once, at the start of a run."""
        led = Ledger()
        if self.feedback is not None:
            for width in sizes[1:-1]:
                led.add(programmings=self.feedback.counts((width, sizes[-1]), 1).programmings)
        return led

    # ------------------------------------------------------------------ event-driven rules (STDP)
    def synapse_array(self, *, program_pulses: int | None = None) -> SynapseArray:
        """A spiking layer's synapses in this memory, integrated on this core (``photrain.controller.synapses``)."""
        return synapse_array(self, program_pulses=program_pulses)

    def spike_ledger(self, shape, spikes: int) -> Ledger:
        """Products and memory reads of ``spikes`` output spikes on a (K, N) synapse array."""
        return spike_ledger(self, shape, spikes)

    def count_core_product(self, led: Ledger, shape, batch: int, *, reprogram: bool) -> Ledger:
        """Add the work of one (rows x cols) product of a batch on this controller's core to ``led``."""
        self._count(led, self.core, shape, batch, reprogram=reprogram)
        return led

    def count_feedback_product(self, led: Ledger, shape, batch: int) -> Ledger:
        """Add the work of one (rows x cols) B·e product of a batch on the feedback core (digital without one)."""
        self._count(led, self.feedback or DigitalEngine(), shape, batch, reprogram=False)
        return led

    @staticmethod
    def _count(led: Ledger, engine, shape, batch, *, reprogram: bool):
        c = engine.counts(shape, batch, reprogram=reprogram)
        if c is None:
            led.add(digital_macs=batch * shape[0] * shape[1])
            return
        if engine.kind == "crossbar":
            led.add(analog_macs=c.optical_macs, analog_dac_conversions=c.dac_conversions,
                    analog_adc_conversions=c.adc_conversions, digital_macs=c.digital_adds,
                    analog_programmings=c.programmings, analog_slots=batch)
            return
        led.add(optical_macs=c.optical_macs, dac_conversions=c.dac_conversions, adc_conversions=c.adc_conversions,
                optical_passes=c.passes, symbol_slots=c.passes * batch, digital_macs=c.digital_adds,
                programmings=c.programmings)
