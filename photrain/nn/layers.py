"""Hardware layers: Equinox modules whose weights live in a weight memory and whose products the controller runs.

A layer keeps its controller state (:class:`~photrain.controller.HubState` of one layer: the memory
device state, the bias register, the accumulator) and its :class:`~photrain.nn.Hardware`. Before a batch
the layer is *programmed* (:meth:`HardwareLayer.program`): the controller reads the memory (read noise
from a key) and programs the core; the read weights become the layer's ``weight`` field, the parameter
``jax.grad`` differentiates, and the core settings its ``settings``. The product (:func:`hardware_product`):

* forward  y = W·x on the core (its converters and detector noise), through the controller;
* backward dx = Wᵀ·δ on the core where the core runs it (bank, crossbar; digital otherwise: a
  ``jax.custom_vjp``), dW = δ xᵀ digital (the controller's float32 arithmetic; autodiff of a zero-valued
  term's tangent), as a chip trained in situ would compute them.

Differentiating the quantisers of the core instead gives an input gradient with cosine 0.2 to the
exact one on a noisy bank (issue 25); the straight-through product keeps it near 1
(``tests/test_nn.py``). Called per example, as Equinox layers are; ``jax.vmap`` over a batch runs each
product once on the whole batch (``custom_vmap`` rules; dW one contraction over the batch: issue 27,
``tests/test_nn_batched.py``).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import math
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

import photrain.nn.conv_ops as conv_ops
from photrain.controller import HubState, Programmed
from photrain.nn.hardware import Hardware, controller_for

F32 = jnp.float32

#: Inputs of the drift-compensation calibration: this many fixed vectors U[-1, 1] (key 0xD1F7).
CALIBRATION_INPUTS = 32


@dataclasses.dataclass
class _Recording:
    """What :func:`recording` collects: the products, and how many of the product's custom_vjp forwards were traced
    with the input's gradient needed (a product's "backward needed": the count grew while it was traced)."""

    products: list
    backward_traces: int = 0


#: the innermost :func:`recording` block of this context (None outside one): nothing is counted outside a block
_RECORDING: contextvars.ContextVar[_Recording | None] = contextvars.ContextVar("photrain_nn_recording", default=None)
#: Set by DFA (:mod:`photrain.nn.dfa`) while a step is traced: ``hook(layer, x, key) -> x`` on every hardware
#: layer's input (it taps the input for B·e and stops the gradient through the layer).
_INPUT_HOOK = None


@contextlib.contextmanager
def recording():
    """Record the products traced inside the block: [(hardware, (out, in), batch factor, backward needed)]."""
    rec = _Recording([])
    token = _RECORDING.set(rec)
    try:
        yield rec.products
    finally:
        _RECORDING.reset(token)


def recorded_products() -> list | None:
    """The product list of the innermost :func:`recording` block (append to it), None outside one."""
    rec = _RECORDING.get()
    return None if rec is None else rec.products


def _value(tree):
    return jax.tree_util.tree_map(lambda p: p.value, tree,
                                  is_leaf=lambda p: hasattr(p, "perturbed") and hasattr(p, "value"))


def _transpose_on_core(hw: Hardware, settings) -> bool:
    ctrl = controller_for(hw)
    if not (ctrl.forward_on_core and ctrl.core.supports_transpose):
        return False
    return not getattr(ctrl.core, "transpose_programmed", ctrl.core.kind == "bank") or settings[1] is not None


def runs_digital(hw: Hardware, settings) -> bool:
    """Whether a product on ``hw`` from ``settings`` is the controller's float32 W·x: the digital core, or a core
    programmed on the host (the mesh) whose settings are still the read weights (training)."""
    ctrl = controller_for(hw)
    return ctrl.core.kind == "digital" or (not ctrl.forward_on_core and isinstance(settings, jax.Array))


def hardware_product(hw: Hardware, w, settings, x, key):
    """y = W·x (one example (in,), or a batch on the leading axes of x) on ``hw``'s core from programmed ``settings``.

    ``jax.grad``: dx = Wᵀ·δ on the core where it runs it (a ``custom_vjp``), dW = δ xᵀ digital (the tangent of
    :func:`_weight_tangent`, which autodiff contracts over the whole batch at once: one GEMM).

    Under ``jax.vmap`` over examples (x batched, ``w`` and ``settings`` not: a model vmapped over its batch, as
    :func:`photrain.nn.tree.batched_apply` does) the core runs W·x once on the whole batch, and Wᵀ·δ once on
    the batch's δ (``custom_vmap`` rules, :func:`_batched_on_core`). Noise: the batch's draw is one draw over
    (batch, out) from one key, the key of the batch's first example when every example has its own key (else
    the shared key): every example still gets its own independent noise (the cores draw their detector, RIN,
    read and TIA noise per input vector: :func:`photrain.cores.bank_passes.blocked_matvec`,
    :meth:`photrain.cores.CrossbarCore.matvec`), with the per-example statistics, but not the realisations a
    per-example call with each example's key would give. With ``w`` or ``settings`` batched (one matrix per
    example) each example runs its own product with its own key, as without vmap.
    """
    rec = _RECORDING.get()
    traced = rec.backward_traces if rec is not None else 0
    y = _core_product(hw, jax.lax.stop_gradient(w), settings, x, key)
    if rec is not None:  # the input gradient is needed where the custom_vjp's forward was traced
        rec.products.append((hw, tuple(w.shape), math.prod(x.shape[:-1]), rec.backward_traces > traced))
    return y + _weight_tangent(w, x)


@jax.custom_jvp
def _weight_tangent(w, x):
    """Zeros shaped like W·x whose tangent is ẇ·x: the weight's share of W·x's derivative (δ xᵀ once transposed).

    Left to autodiff, the weight gradient of a vmapped batch is one contraction of δ (batch, out) with x
    (batch, in); formed inside a ``custom_vjp`` backward it would be every example's (out, in) outer product,
    stacked (batch, out, in) before the batch sum (205 MB per step at width 1024, batch 64)."""
    return jnp.zeros((*x.shape[:-1], w.shape[0]), x.dtype)


@functools.partial(_weight_tangent.defjvp, symbolic_zeros=True)
def _weight_tangent_jvp(primals, tangents):
    w, x = primals
    dw, _ = tangents  # the value is 0 for every x: no x tangent
    out = _weight_tangent(w, x)
    if isinstance(dw, SymbolicZero):
        return out, jnp.zeros_like(out)
    return out, x @ dw.T.astype(x.dtype)


def _on_core(hw: Hardware, w, settings, x, key):
    """W·x of x (..., in) on the core (one product over the leading axes)."""
    xb = x.reshape(-1, x.shape[-1])
    if runs_digital(hw, settings):
        y = xb @ w.T.astype(xb.dtype)
    else:
        y = controller_for(hw).matmul(Programmed((w,), (settings,)), 0, xb, key)
    return y.reshape(*x.shape[:-1], y.shape[-1]).astype(x.dtype)


def _t_on_core(hw: Hardware, w, settings, g, key):
    """Wᵀ·δ of g (..., out): on the core where it runs it (``key`` draws its noise), else digital."""
    gb = g.reshape(-1, g.shape[-1])
    if _transpose_on_core(hw, settings):
        dx = controller_for(hw).matmul_t(Programmed((w,), (settings,)), 0, gb, key)
    else:
        dx = gb @ w.astype(gb.dtype)
    return dx.reshape(*g.shape[:-1], dx.shape[-1]).astype(g.dtype)


@functools.cache
def _batched_on_core(hw: Hardware, transpose: bool):
    """``f(w, settings, v, key)``: :func:`_on_core` (or :func:`_t_on_core`) with a ``custom_vmap`` rule: v batched,
    w and settings not, runs one product on the whole batch, keyed by the first example's key (docstring of
    :func:`hardware_product`); anything else batched runs the per-example products (``jax.vmap``)."""
    fn = _t_on_core if transpose else _on_core

    @jax.custom_batching.custom_vmap
    def f(w, settings, v, key):
        return fn(hw, w, settings, v, key)

    @f.def_vmap
    def rule(axis_size, in_batched, w, settings, v, key):
        w_b, s_b, v_b, k_b = in_batched
        if v_b and not any(jax.tree_util.tree_leaves((w_b, s_b))):
            if any(jax.tree_util.tree_leaves(k_b)):
                key = jax.tree_util.tree_map(lambda k: k[0], key)
            return f(w, settings, v, key), True  # f again: an outer vmap batches this call in turn
        axes = jax.tree_util.tree_map(lambda b: 0 if b else None, tuple(in_batched))
        return jax.vmap(functools.partial(fn, hw), in_axes=axes)(w, settings, v, key), True

    return f


@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _core_product(hw: Hardware, w, settings, x, key):
    """W·x on the core (a constant W: its gradient is :func:`_weight_tangent`'s); backward dx = Wᵀ·δ."""
    return _batched_on_core(hw, False)(w, settings, x, key)


def _fwd(hw, w, settings, x, key):
    rec = _RECORDING.get()
    if x.perturbed and rec is not None:
        rec.backward_traces += 1
    w, settings, x, key = _value((w, settings, x, key))
    return _batched_on_core(hw, False)(w, settings, x, key), (w, settings, key)


def _bwd(hw, res, g):
    w, settings, key = res
    if isinstance(g, SymbolicZero):
        return None, None, None, None
    return None, None, _batched_on_core(hw, True)(w, settings, g, jax.random.fold_in(key, 1)), None


_core_product.defvjp(_fwd, _bwd, symbolic_zeros=True)


def _default_key():
    return jax.random.PRNGKey(0)


def calibration_inputs(n_in: int):
    """The fixed inputs of the drift-compensation calibration (CALIBRATION_INPUTS x n_in, U[-1, 1])."""
    return jax.random.uniform(jax.random.PRNGKey(0xD1F7), (CALIBRATION_INPUTS, n_in), F32, -1.0, 1.0)


class HardwareLayer(eqx.Module):
    """What :class:`Dense` and :class:`Conv2d` share: the controller state of one layer and its hardware.

    state: the layer's :class:`~photrain.controller.HubState` (memory device state, bias register);
    weight / settings: this batch's read of the memory and the core programmed from it (None until
    :meth:`program`); noise_key: the key of the core's noise when ``__call__`` gets none;
    output_scale: drift compensation's scale (None: 1); drift_ref: the calibration output at deployment
    (set by :func:`photrain.nn.elapse`; None: not deployed).
    """

    state: HubState
    weight: Any
    settings: Any
    noise_key: Any
    output_scale: Any
    drift_ref: Any
    hardware: Hardware = eqx.field(static=True)

    @property
    def controller(self):
        return controller_for(self.product_hardware)

    @property
    def product_hardware(self) -> Hardware:
        """The hardware the products run on (``hardware``)."""
        return self.hardware

    def with_hardware(self, hardware: Hardware):
        """This layer with another Hardware (a static field), the state kept (e.g. ``core='digital'``)."""
        new = object.__new__(type(self))
        for f in dataclasses.fields(self):
            object.__setattr__(new, f.name, hardware if f.name == "hardware" else getattr(self, f.name))
        return new

    def read(self, key=None):
        """The weight matrix (out, fan_in) as read from memory (read noise with a key)."""
        return self.controller.weights(self.state, key)[0][0]

    @property
    def bias(self):
        return self.state.bias[0]

    def program(self, key=None, *, transpose: bool = True, host: bool = False):
        """This layer with the memory read (noise with ``key``) and the core programmed from it.

        transpose: also program Wᵀ where the core needs it for Wᵀ·δ (the bank); host: program a core that
        is programmed on the host (the mesh) for real (outside ``jax.jit``); otherwise such a core's
        products stay digital, as in training (:attr:`photrain.controller.Controller.forward_on_core`).
        """
        ctrl = self.controller
        t = transpose and ctrl.forward_on_core and ctrl.core.supports_transpose
        if host:
            prog = ctrl.program_core(self.state, key, transpose=t)
            weight, settings = prog.weights[0], prog.settings[0]
        else:
            weight, settings = _read_and_program(self.product_hardware, self.state, key, t)
        return eqx.tree_at(lambda m: (m.weight, m.settings), self, (weight, settings), is_leaf=lambda v: v is None)

    def clear(self):
        """This layer without the batch's read, settings, noise key and output scale."""
        return eqx.tree_at(lambda m: (m.weight, m.settings, m.noise_key, m.output_scale), self,
                           (None, None, None, None), is_leaf=lambda v: v is None)

    def _programmed(self):
        return self if self.weight is not None else self.program(None)

    def _key(self, key):
        if key is not None:
            return key
        return self.noise_key if self.noise_key is not None else _default_key()

    def _scaled(self, y):
        return y if self.output_scale is None else y * self.output_scale.astype(y.dtype)

    def calibration_output(self, state=None):
        """Mean |W c| over the fixed calibration inputs, W read noise-free (drift compensation's measure)."""
        w = self.controller.weights(self.state if state is None else state)[0][0]
        return jnp.mean(jnp.abs(calibration_inputs(w.shape[1]) @ w.T))


@eqx.filter_jit
def _read_and_program(hardware: Hardware, state: HubState, key, transpose: bool):
    """(weights read, core settings) of one layer: the controller's read and programming as one compiled program.

    The same operations as inside a training step (where the whole step is compiled); called eagerly (a test, a
    notebook, ``evaluate``) it costs one compilation per layer shape instead of one per array operation."""
    prog = controller_for(hardware).program(state, key, transpose=transpose)
    return prog.weights[0], prog.settings[0]


def _init_state(hardware: Hardware, w, b, key) -> HubState:
    ctrl = controller_for(hardware)
    return ctrl.init([(jnp.asarray(w, F32), jnp.asarray(b, F32))], key)._replace(vel=())


class Dense(HardwareLayer):
    """A fully connected layer y = W x + b with W in ``hardware``'s memory and W·x on its core.

    ``Dense(in_features, out_features, hardware, *, use_bias=True, key)``; initialised as
    ``eqx.nn.Linear`` (U(+-1/sqrt(in_features))) unless ``weight`` (out, in) / ``bias`` (out,) are given.
    ``__call__(x, *, key=None)`` takes one example (in_features,); ``key`` draws the core's noise.
    """

    in_features: int = eqx.field(static=True)
    out_features: int = eqx.field(static=True)
    use_bias: bool = eqx.field(static=True)

    def __init__(self, in_features: int, out_features: int, hardware: Hardware | None = None, *,
                 use_bias: bool = True, key, weight=None, bias=None):
        hardware = hardware or Hardware()
        if not isinstance(hardware, Hardware):
            raise ValueError(f"hardware must be a photrain.nn.Hardware; got {type(hardware).__name__}")
        k_w, k_b, k_mem = jax.random.split(key, 3)
        lim = 1.0 / math.sqrt(in_features)
        if weight is None:
            weight = jax.random.uniform(k_w, (out_features, in_features), F32, -lim, lim)
        if bias is None:
            bias = jax.random.uniform(k_b, (out_features,), F32, -lim, lim) if use_bias else jnp.zeros(out_features)
        if jnp.shape(weight) != (out_features, in_features) or jnp.shape(bias) != (out_features,):
            raise ValueError(f"Dense({in_features}, {out_features}): weight must be ({out_features}, {in_features}) "
                             f"and bias ({out_features},); got {jnp.shape(weight)} and {jnp.shape(bias)}")
        self.state = _init_state(hardware, weight, bias, k_mem)
        self.weight = self.settings = self.noise_key = self.output_scale = self.drift_ref = None
        self.hardware = hardware
        self.in_features, self.out_features, self.use_bias = int(in_features), int(out_features), bool(use_bias)

    @classmethod
    def from_linear(cls, linear: eqx.nn.Linear, hardware: Hardware, *, key) -> Dense:
        """The hardware twin of an ``eqx.nn.Linear`` (its weights written into the memory)."""
        bias = linear.bias if linear.use_bias else jnp.zeros(linear.out_features)
        return cls(linear.in_features, linear.out_features, hardware, use_bias=linear.use_bias, key=key,
                   weight=linear.weight, bias=bias)

    def __call__(self, x, *, key=None):
        x = jnp.asarray(x)
        if x.shape != (self.in_features,):
            raise ValueError(f"Dense({self.in_features} -> {self.out_features}) takes one example of shape "
                             f"({self.in_features},), got {x.shape}: match the previous layer's width, and call the "
                             "model per example (jax.vmap(model)(xs)) as Equinox layers")
        if _INPUT_HOOK is not None:
            x = _INPUT_HOOK(self, x, self._key(key))
        layer = self._programmed()
        if _RECORDING.get() is None and runs_digital(self.hardware, layer.settings):  # autodiff of W·x is the same product
            y = self._scaled(layer.weight.astype(x.dtype) @ x)
        else:
            y = self._scaled(hardware_product(self.hardware, layer.weight, layer.settings, x, self._key(key)))
        return y + self.bias.astype(y.dtype) if self.use_bias else y


class Conv2d(HardwareLayer):
    """A 2-D convolution with its kernel in ``hardware``'s memory (stored as the kernel matrix (out, in/groups·kh·kw)).

    On a core the convolution is the kernel matrix times the im2col patches (:mod:`photrain.nn.conv_ops`):
    the matrix is programmed from the memory once per batch (tiled on the core as a dense layer's), the
    Ho·Wo patches of every example stream through it as input vectors (W·x on the core, its converters and
    noise), and ``jax.grad`` runs Wᵀ·δ on the core where it can (bank, crossbar, GST crossbar) with the weight
    gradient δ·patchesᵀ digital, through :func:`hardware_product` as :class:`Dense` does. The ledger counts
    every patch product (batch factor Ho·Wo), programming and conversion. ``groups`` > 1: the core holds the
    block-diagonal matrix of the group kernels. On the digital core (or a core programmed on the host while
    training: the mesh) the product is ``jax.lax.conv_general_dilated`` on the weights read from memory.

    ``Conv2d(in_channels, out_channels, kernel_size, hardware, *, stride=1, padding=0, dilation=1, groups=1,
    use_bias=True, key)``, arguments as ``eqx.nn.Conv2d`` (padding: int, pairs or 'SAME'/'VALID'/'SAME_LOWER';
    zero padding); ``__call__(x, *, key=None)`` takes one example (in_channels, H, W).
    """

    in_channels: int = eqx.field(static=True)
    out_channels: int = eqx.field(static=True)
    kernel_size: tuple = eqx.field(static=True)
    stride: tuple = eqx.field(static=True)
    padding: Any = eqx.field(static=True)
    dilation: tuple = eqx.field(static=True)
    groups: int = eqx.field(static=True)
    use_bias: bool = eqx.field(static=True)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, hardware: Hardware | None = None, *,
                 stride=1, padding=0, dilation=1, groups: int = 1, use_bias: bool = True, key, weight=None,
                 bias=None):
        hardware = hardware or Hardware()
        if not isinstance(hardware, Hardware):
            raise ValueError(f"hardware must be a photrain.nn.Hardware; got {type(hardware).__name__}")
        kernel_size, stride = conv_ops.pair(kernel_size, "kernel_size"), conv_ops.pair(stride, "stride")
        dilation, padding = conv_ops.pair(dilation, "dilation"), conv_ops.normalise_padding(padding)
        groups = int(groups)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d groups={groups} must be >= 1 and divide in_channels ({in_channels}) and "
                             f"out_channels ({out_channels})")
        fan_in = in_channels // groups * kernel_size[0] * kernel_size[1]
        k_w, k_b, k_mem = jax.random.split(key, 3)
        lim = 1.0 / math.sqrt(fan_in)
        if weight is None:
            weight = jax.random.uniform(k_w, (out_channels, in_channels // groups, *kernel_size), F32, -lim, lim)
        if bias is None:
            bias = jax.random.uniform(k_b, (out_channels,), F32, -lim, lim) if use_bias else jnp.zeros(out_channels)
        if math.prod(jnp.shape(weight)) != out_channels * fan_in or math.prod(jnp.shape(bias)) != out_channels:
            raise ValueError(f"Conv2d({in_channels}, {out_channels}, {kernel_size}, groups={groups}): weight must be "
                             f"({out_channels}, {in_channels // groups}, {kernel_size[0]}, {kernel_size[1]}) and bias "
                             f"({out_channels},); got {jnp.shape(weight)} and {jnp.shape(bias)}")
        weight = jnp.asarray(weight).reshape(out_channels, fan_in)
        bias = jnp.asarray(bias).reshape(out_channels)
        self.state = _init_state(hardware, weight, bias, k_mem)
        self.weight = self.settings = self.noise_key = self.output_scale = self.drift_ref = None
        self.hardware = hardware
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.groups, self.use_bias = groups, bool(use_bias)

    @classmethod
    def from_conv(cls, conv: eqx.nn.Conv2d, hardware: Hardware, *, key) -> Conv2d:
        """The hardware twin of an ``eqx.nn.Conv2d`` (zero padding; any stride, dilation, groups)."""
        bias = conv.bias if conv.use_bias else jnp.zeros(conv.out_channels)
        return cls(conv.in_channels, conv.out_channels, conv.kernel_size, hardware, stride=conv.stride,
                   padding=conv.padding, dilation=conv.dilation, groups=conv.groups, use_bias=conv.use_bias,
                   key=key, weight=conv.weight, bias=bias)

    def program(self, key=None, *, transpose: bool = True, host: bool = False):
        """As :meth:`HardwareLayer.program`; with groups the core is programmed with the block-diagonal matrix
        of the group kernels (mapped from the read weights, also on a crossbar whose memory holds conductances)."""
        if self.groups == 1:
            return super().program(key, transpose=transpose, host=host)
        ctrl = self.controller
        w = ctrl.weights(self.state, key)[0][0]
        if not (host or ctrl.forward_on_core) and ctrl.core.kind != "digital":
            settings = w  # a core programmed on the host stays digital inside a training step
        else:
            t = transpose and ctrl.forward_on_core and ctrl.core.supports_transpose
            settings = ctrl.core.program(conv_ops.block_diagonal(w, self.groups),
                                         controller_for(self.hardware.replace(memory="float")).memory, None,
                                         transpose=t)
        return eqx.tree_at(lambda m: (m.weight, m.settings), self, (w, settings), is_leaf=lambda v: v is None)

    def kernel(self, dtype=F32):
        """The kernel (out, in/groups, kh, kw) as this batch read it (the read weights; noise-free without one)."""
        w = self._programmed().weight
        return w.reshape(self.out_channels, self.in_channels // self.groups, *self.kernel_size).astype(dtype)

    def output_shape(self, spatial) -> tuple[int, int]:
        """(Ho, Wo) for an input of spatial shape (H, W)."""
        return conv_ops.output_shape(tuple(spatial), self.kernel_size, self.stride, self.padding, self.dilation)

    def __call__(self, x, *, key=None):
        x = jnp.asarray(x)
        if x.ndim != 3 or x.shape[0] != self.in_channels:
            raise ValueError(f"Conv2d({self.in_channels} -> {self.out_channels}) takes one example of shape "
                             f"({self.in_channels}, H, W), got {x.shape}: call the model per example "
                             "(jax.vmap(model)(xs))")
        if min(self.output_shape(x.shape[1:])) < 1:
            raise ValueError(f"Conv2d: input {x.shape[1:]} is smaller than the dilated kernel {self.kernel_size} "
                             f"(dilation {self.dilation}, padding {self.padding}); pad it or use a smaller kernel")
        if _INPUT_HOOK is not None:
            x = _INPUT_HOOK(self, x, self._key(key))
        layer = self._programmed()
        if _RECORDING.get() is None and runs_digital(self.hardware, layer.settings):  # autodiff of the conv: same products
            y = conv_ops.conv_reference(x, layer.kernel(x.dtype), None, stride=self.stride, padding=self.padding,
                                        dilation=self.dilation, groups=self.groups)
        else:
            cols, (ho, wo) = conv_ops.patches(x, self.kernel_size, self.stride, self.padding, self.dilation)
            w = conv_ops.block_diagonal(layer.weight, self.groups)
            y = hardware_product(self.hardware, w, layer.settings, cols, self._key(key))  # (Ho·Wo, out)
            y = y.T.reshape(self.out_channels, ho, wo)
        y = self._scaled(y)
        return y + self.bias.astype(y.dtype)[:, None, None] if self.use_bias else y
