"""Direct feedback alignment (DFA) and optical DFA for any stack of hardware layers.

DFA (Nøkland, NeurIPS 2016) replaces the backward pass Wᵀ·δ by fixed random projections of the output
error e: every hidden layer l gets δ_l = (B_l e) ⊙ f'(a_l). Here "every hidden layer" is every hardware
layer whose input depends on parameters: the *input* of hardware layer k (the previous layer's output h
after its activation, flattened) receives B·e / sqrt(width) in place of the gradient that would flow back
through W_k, so autodiff through the activation (and through whatever digital code sits between the two
layers: norms, residual adds, pooling) gives the previous layer δ = (B e / sqrt(width)) ⊙ f'(a) and the
weight gradient x δᵀ (digital). The last layer's output gets e itself (the loss's gradient at the logits),
as in DFA. With width the B's row count; 1/sqrt(width) as the reference code of Filipovich et al., Optica
9, 1323 (2022) and :func:`photrain.train.algorithms.dfa_grads`.

Convolutional layers (:class:`photrain.nn.Conv2d`) take part as they are: the tap at a layer's input gets B·e
with B (C·H·W, n_out), reshaped to the (C, H, W) map the previous conv layer handed on, so a conv layer l
gets δ_l = reshape(B_l e / sqrt(n)) ⊙ f'(a_l), and its kernel the correlation of δ_l with its input
(digital, as the weight gradient of any layer). Between a conv layer and the next hardware layer, max-pooling
routes B·e to the window maxima by autodiff (the feedback lands on the pooled map). This is DFA as Nøkland
(NeurIPS 2016) applied it to convolutional networks and as Launay et al. ("Direct feedback alignment scales to
modern deep learning tasks and architectures", NeurIPS 2020) and Launay, Poli & Krzakala ("Principled training
of neural networks with direct feedback alignment", arXiv:1906.04554, 2019) studied it: DFA trains the dense
layers of a CNN well but its conv layers poorly (the feedback cannot align with the weight-shared kernels),
so a DFA-trained CNN falls short of BP (benchmarks/conv.py measures by how much on LeNet-5/MNIST).

How e reaches every layer in one backward pass: each tap returns a zero vector shaped like the model's
output, which :func:`photrain.nn.tree.batched_apply` adds to the output; its cotangent is then e, and the
tap's backward returns B e (through the controller's feedback path: ``Controller.project``; digital for
'dfa', on the feedback core for 'optical-dfa': ``Hardware(feedback="bank")``, the default). The forward
products never see their input gradient (their input is ``stop_gradient``), so no Wᵀ·δ runs.

'dfa-reference-noise' is DFA with the reference code's noise on every B·e: B e + max|e| N(mu, sigma), the
max over the batch (a ``lax.pmax`` over :data:`photrain.nn.tree.BATCH_AXIS`), fresh N per example and layer
(the convention of Filipovich et al.'s code; default mu 0.03, sigma 0.618).

B ~ U[-1, 1] (width, n_out), fixed for a run (NumPy's generator seeded by fit's key and the tap's index),
compiled once by the controller (``Controller.compile_feedback``: on the bank, the calibrated solver), counted in the ledger.
"""

from __future__ import annotations

import contextlib
import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import photrain.nn.layers as layers
from photrain.controller import Ledger
from photrain.nn.hardware import Hardware, controller_for
from photrain.nn.tree import BATCH_AXIS, call_model

ALGORITHMS = ("backprop", "dfa", "dfa-reference-noise", "optical-dfa")


def feedback_hardware(hw: Hardware, algorithm: str) -> Hardware:
    """The Hardware whose controller runs B·e for a layer on ``hw``: digital for 'dfa', the layer's feedback
    core (default: a weight bank) for 'optical-dfa'."""
    if algorithm in ("dfa", "dfa-reference-noise"):
        return hw if hw.feedback is None else hw.replace(feedback=None)
    return hw if hw.feedback is not None else hw.replace(feedback="bank")


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2, 3))
def feedback_tap(hw: Hardware, out_shape: tuple, in_shape: tuple, noise, compiled, x, key):
    """Zeros shaped like the model's output; backward: the input ``x`` receives B e / sqrt(width), e being the
    cotangent of the zeros (the output error, once added to the model's output). noise: None, or (mu, sigma) of
    the reference noise max|e| N(mu, sigma) added to B e (module docstring)."""
    return _zeros(out_shape, x)


def _zeros(out_shape, x):
    # zeros that depend on x (0 * a finite flag, never NaN): under vmap they are batched like x, so each example's
    # cotangent is its own error, not the batch's sum
    return jnp.zeros(out_shape, x.dtype) * jnp.isfinite(x.reshape(-1)[0]).astype(x.dtype)


def _tap_fwd(hw, out_shape, in_shape, noise, compiled, x, key):
    products = layers.recorded_products()
    if products is not None:
        products.append(("feedback", hw, (math.prod(in_shape), math.prod(out_shape)), 1, False))
    return _zeros(out_shape, x), (compiled, key)


def _tap_bwd(hw, out_shape, in_shape, noise, res, g):
    compiled, key = res
    width = math.prod(in_shape)
    e = g.reshape(1, -1).astype(jnp.float32)
    be = controller_for(hw).project([compiled], 0, e, key)[0]
    if noise is not None:  # the reference code's max|e| N(mu, sigma), max over the batch
        mu, sigma = noise
        scale = jax.lax.pmax(jnp.max(jnp.abs(e)), BATCH_AXIS)
        be = be + scale * (jnp.float32(mu) + jnp.float32(sigma) * jax.random.normal(
            jax.random.fold_in(key, 3), be.shape, jnp.float32))
    dx = (be / jnp.sqrt(jnp.float32(width))).reshape(in_shape).astype(g.dtype)
    return jax.tree_util.tree_map(jnp.zeros_like, compiled), dx, None


feedback_tap.defvjp(_tap_fwd, _tap_bwd)


class _Session:
    """What the hook needs while one model call is traced: the feedback of every tap (in call order)."""

    def __init__(self, taps, out_shape, discover: bool, noise=None):
        self.taps, self.out_shape, self.discover, self.noise = taps, tuple(out_shape), discover, noise
        self.index, self.zeros, self.inputs = 0, [], []

    def __call__(self, layer, x, key):
        i, self.index = self.index, self.index + 1
        if self.discover:
            self.inputs.append((layer.product_hardware, tuple(x.shape)))
            return jax.lax.stop_gradient(x)
        hw, compiled = self.taps[i] if i < len(self.taps) else (None, None)
        if compiled is not None:
            self.zeros.append(feedback_tap(hw, self.out_shape, tuple(x.shape), self.noise, compiled, x,
                                           jax.random.fold_in(key, 2)))
        return jax.lax.stop_gradient(x)


@contextlib.contextmanager
def _hooked(session):
    prev, layers._INPUT_HOOK = layers._INPUT_HOOK, session
    try:
        yield session
    finally:
        layers._INPUT_HOOK = prev


def dfa_apply(model, x, key, taps, out_shape, noise=None):
    """``model(x)`` (one example) with the DFA taps installed: the output plus the taps' zeros."""
    with _hooked(_Session(taps, out_shape, discover=False, noise=noise)) as s:
        out = call_model(model, x, key)
    if s.index != len(taps):
        raise ValueError(f"fit(algorithm='dfa'): the model called {s.index} hardware layers where {len(taps)} were "
                         "found before training; DFA needs the same layers called once per example")
    return out + sum(s.zeros) if s.zeros else out


class Feedback:
    """The fixed feedback matrices of a DFA run, compiled by the controllers, and their ledger."""

    def __init__(self, model, x_example, key, algorithm: str, noise=(0.03, 0.618)):
        if algorithm == "dfa-reference-noise":
            mu, sigma = (float(v) for v in noise)
            if not (math.isfinite(mu) and math.isfinite(sigma)):
                raise ValueError(f"feedback_noise must be finite (mu, sigma); got {noise!r}")
            self.noise = (mu, sigma)
        else:
            self.noise = None
        with _hooked(_Session((), (), discover=True)) as s:
            out = eqx.filter_eval_shape(call_model, model, jnp.asarray(x_example))
        self.out_shape = tuple(out.shape)
        n_out = math.prod(self.out_shape)
        taps, self.ledger, self.shapes = [], Ledger(), []
        for i, (hw, in_shape) in enumerate(s.inputs):
            if i == 0:  # the first hardware layer's input is the data: nothing upstream learns from it
                taps.append((None, None))
                continue
            fb = feedback_hardware(hw, algorithm)
            ctrl = controller_for(fb)
            width = math.prod(in_shape)
            if ctrl.feedback is not None and ctrl.feedback.kind == "bank" and n_out > fb.n_channels:
                raise ValueError(f"fit(algorithm='optical-dfa'): the output has {n_out} values and the feedback bank "
                                 f"{fb.n_channels} channels; pass Hardware(..., n_channels={n_out})")
            b = np.random.default_rng([*np.asarray(jax.random.key_data(key)).ravel().tolist(), i]).uniform(
                -1.0, 1.0, (width, n_out)).astype(np.float32)  # host RNG: no device program to compile
            taps.append((fb, ctrl.compile_feedback([b])[0]))
            self.ledger.add(ctrl.feedback_ledger([0, width, n_out]))  # B programmed once on the feedback core
            self.shapes.append((width, n_out))
        self.taps = tuple(taps)
        self.arrays = tuple(c for _, c in taps)
        self.hardware = tuple(h for h, _ in taps)

    def apply(self, arrays):
        """``apply(model, x, key)`` for :func:`photrain.nn.tree.batched_apply` with the compiled matrices ``arrays``
        (arguments of the jitted step)."""
        taps = tuple(zip(self.hardware, arrays, strict=True))
        return lambda model, x, key: dfa_apply(model, x, key, taps, self.out_shape, self.noise)


def feedback_product_ledger(hw: Hardware, shape, batch: int) -> Ledger:
    """One B·e product of a batch on ``hw``'s feedback path (digital when it has no feedback core)."""
    return controller_for(hw).count_feedback_product(Ledger(), shape, batch)
