"""Gradients of MZI-mesh phases three ways: autodiff of the digital twin, in-situ adjoint measurement, finite
differences.

**In situ** (Hughes, Minkov, Shi, Fan, "Training of photonic neural networks through in situ backpropagation and
gradient measurement", Optica 5, 864 (2018); realised by Pai et al., Science 380, 398 (2023)). For a mesh
y = U x inside a model with a real loss L, let e = dL/dy be the output error in JAX's convention (the cotangent:
dL = Re(e^T dy)). A heater of phase p multiplies the field a at its tap (just after it) by e^{ip}, so

    dL/dp = Re(i a b) = -Im(a b),      b = the field at the same tap when e is sent backwards from the outputs,

because the mesh is reciprocal (its transfer for backward light is U^T, per-arm loss and imbalanced couplers
included). Three passes through the mesh per example:

1. forward: x in, the tap fields a (and y out);
2. adjoint: s e in at the outputs (s = |x| / |e|: the same power as the forward pass), the tap fields s b, and
   at the inputs x_adj = U^T s e (read coherently: it is also the error handed to the layer before);
3. interference: x - i conj(x_adj) in; if the part of the mesh before a tap is unitary, the field there is
   a - i s conj(b), and

       dL/dp = (I_interference - I_forward - I_adjoint) / (2 s)      (the three-intensity form).

The **field formula** -Im(a b) reads a and b coherently (homodyne, two quadratures per tap; passes 1 and 2 only).
It is exact for any reciprocal mesh: couplers of any ratio, phase errors, per-arm loss. The **three-intensity
form** needs only photodiodes, but it is exact only when the mesh before every tap is unitary (lossless): with
per-arm loss the interference pass no longer rebuilds conj(b) at the taps (tested). Both are exact with
``ideal=True``. What the chip measures is the gradient with respect to the phases its heaters *realise*; it is
applied to the requested phases as is (heater DAC and thermal crosstalk are unknown to the measurement), and the
reads carry the detectors' noise (:func:`photrain.nn.mesh.read_intensity`, :func:`~photrain.nn.mesh.read_field`).

**Finite differences**: every phase moved by +h and -h, the whole loss run twice per phase (2 x phases passes per
example; 3 heater writes per phase: +h, -h, back); the reported loss is the mean of those runs (within O(h^2)).

**Autodiff**: ``jax.grad`` of the simulated physics (the digital twin); one forward pass on the chip.

Parameters that are not mesh phases get digital gradients (for a layer before a mesh, through the measured x_adj
in situ, through the twin otherwise).
"""

from __future__ import annotations

import contextlib
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from photrain.controller import Ledger
from photrain.nn.mesh import GRADIENT_MODE, MZIMesh, read_field, read_intensity

GRADIENTS = ("autodiff", "insitu", "finite-difference")
METHODS = ("intensity", "field")
#: rad: default finite-difference step (a heater DAC step of 2 pi / 2^12 = 1.5e-3 rad near 2 pi is below it)
FD_STEP = 1e-2

_STACK = GRADIENT_MODE


@contextlib.contextmanager
def _mode(**ctx):
    ctx.setdefault("counter", [0])
    ctx.setdefault("record", None)
    ctx["forward"] = mesh_forward
    _STACK.append(ctx)
    try:
        yield ctx
    finally:
        _STACK.pop()


def check_gradient(gradient: str, method: str = "intensity") -> None:
    if gradient not in GRADIENTS:
        raise ValueError(f"unknown gradient {gradient!r}; use gradient='autodiff', 'insitu' or 'finite-difference'")
    if method not in METHODS:
        raise ValueError(f"unknown in-situ method {method!r}; use method='intensity' (three intensities) or 'field'")


def per_vector_counts(mesh: MZIMesh, gradient: str, method: str = "intensity") -> tuple[int, int]:
    """(mesh passes, detector reads) per input vector of one mesh for one gradient (finite differences: per
    perturbed run). Reads: every tap (2 per MZI) and the N output detectors; a coherent read is 2 quadratures."""
    taps = 2 * mesh.n_mzis + mesh.n_modes
    if gradient == "insitu":
        if method == "intensity":
            return 3, 3 * taps + 2 * mesh.n_modes  # three passes of taps, x_adj read coherently at the inputs
        return 2, 4 * taps + 2 * mesh.n_modes
    return 1, mesh.n_modes  # a forward pass: the output detectors


def _vector_hash(x):
    """A per-example integer from the field (distinct noise per example under vmap when no key is passed)."""
    w = jnp.arange(1, x.shape[-1] + 1, dtype=jnp.float32)
    v = jnp.sum(jnp.abs(x).astype(jnp.float32) * w) + jnp.sum(jnp.angle(x).astype(jnp.float32) * w * 0.37)
    return jax.lax.bitcast_convert_type(v, jnp.uint32)


def mesh_forward(mesh: MZIMesh, x, key):
    """The mesh's output fields as the current gradient mode needs them; returns (y, the key its readout uses)."""
    ctx = _STACK[-1]
    x = mesh._input(x)
    if ctx["record"] is not None:
        ctx["record"].append((mesh, int(np.prod(x.shape[:-1], dtype=int))))
    index = ctx["counter"][0]
    ctx["counter"][0] += 1
    if key is None and ctx.get("key") is not None:
        key = jax.random.fold_in(jax.random.fold_in(ctx["key"], index), _vector_hash(x))
    noisy = key is not None and mesh.hardware.noise
    if ctx["method"] == "plain":
        return mesh.propagate(x), key
    k_read, k_out = jax.random.split(key) if noisy else (jax.random.PRNGKey(0), None)
    dyn, static = eqx.partition(mesh, eqx.is_array)
    y = _measured(static, ctx["method"], noisy, dyn, x, ctx["tally"], k_read)
    return y, k_out


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _measured(static, method, noisy, dyn, x, tally, key):
    return eqx.combine(dyn, static).propagate(x)


def _measured_fwd(static, method, noisy, dyn, x, tally, key):
    return _measured(static, method, noisy, dyn, x, tally, key), (dyn, x, tally, key)


def _measured_bwd(static, method, noisy, res, ct):
    dyn, x, tally, key = res
    mesh = eqx.combine(dyn, static)
    lead = x.shape[:-1]
    vectors = int(np.prod(lead, dtype=int))
    if method == "count":  # autodiff of the twin, counting the forward pass
        _, vjp = jax.vjp(lambda d, xx: eqx.combine(d, static).propagate(xx), dyn, x)
        g_dyn, g_x = vjp(ct)
        passes, reads = per_vector_counts(mesh, "autodiff")
    else:
        g_dyn, g_x = _adjoint_gradient(mesh, dyn, x, ct, key if noisy else None, method)
        passes, reads = per_vector_counts(mesh, "insitu", method)
    # depends on the example, so that vmap sums it over the batch (an unbatched cotangent would count one example)
    g_tally = jnp.asarray([passes * vectors, reads * vectors, 0], tally.dtype) + 0 * jnp.real(jnp.sum(x)).astype(
        tally.dtype)
    return g_dyn, g_x, g_tally, None


_measured.defvjp(_measured_fwd, _measured_bwd)


def _adjoint_gradient(mesh: MZIMesh, dyn, x, ct, key, method):
    """Hughes et al.'s three passes (or two, ``method='field'``) with the tap reads' noise; returns the cotangents
    of the phases (the module's structure) and of the input (the measured x_adj / s)."""
    hw = mesh.hardware
    keys = list(jax.random.split(key, 7)) if key is not None else [None] * 7
    ct = ct.astype(x.dtype)
    norm_x = jnp.linalg.norm(x, axis=-1, keepdims=True)
    norm_e = jnp.linalg.norm(ct, axis=-1, keepdims=True)
    s = jnp.where(norm_e > 0, norm_x / jnp.where(norm_e > 0, norm_e, 1), 1.0)
    s = jnp.where(s > 0, s, 1.0).real.astype(jnp.real(x).dtype)
    y, (a_t, a_p) = mesh.propagate(x, taps=True)  # pass 1: forward
    x_adj, (b_t, b_p, b_o) = mesh.adjoint(s * ct)  # pass 2: adjoint
    a_t, a_p, b_t, b_p = (mesh._from_grid(v) for v in (a_t, a_p, b_t, b_p))
    x_adj = read_field(x_adj, hw, keys[0], tap=False)
    if method == "field":
        grads = [-jnp.imag(read_field(a, hw, keys[1 + i], tap=tap) * read_field(b, hw, keys[4 + i], tap=tap)) / s
                 for i, (a, b, tap) in enumerate(((a_t, b_t, True), (a_p, b_p, True), (y, b_o, False)))]
    else:
        y_i, (c_t, c_p) = mesh.propagate(x - 1j * jnp.conj(x_adj), taps=True)  # pass 3: interference
        c_t, c_p = mesh._from_grid(c_t), mesh._from_grid(c_p)
        grads = []
        for i, (a, b, c, tap) in enumerate(((a_t, b_t, c_t, True), (a_p, b_p, c_p, True), (y, b_o, y_i, False))):
            k3 = jax.random.split(keys[1 + i], 3) if key is not None else [None] * 3
            i_f, i_a, i_c = (read_intensity(jnp.abs(v) ** 2, hw, k, tap=tap) for v, k in zip((a, b, c), k3, strict=True))
            grads.append((i_c - i_f - i_a) / (2 * s))
    axes = tuple(range(len(x.shape) - 1))
    g_theta, g_phi, g_out = (jnp.sum(g, axis=axes).astype(mesh.theta.dtype) for g in grads)
    g_dyn = eqx.tree_at(lambda m: (m.theta, m.phi, m.out_phase), dyn, (g_theta, g_phi, g_out))
    return g_dyn, (x_adj / s).astype(x.dtype)


def _is_mesh(v) -> bool:
    return isinstance(v, MZIMesh)


def mesh_layers(model) -> list[MZIMesh]:
    """The model's :class:`MZIMesh` layers, in tree order."""
    return [v for v in jax.tree_util.tree_leaves(model, is_leaf=_is_mesh) if _is_mesh(v)]


def _phase_spec(params):
    """Filter spec: True on the phases (theta, phi, out_phase) of every mesh."""
    def spec(v):
        if _is_mesh(v):
            s = jax.tree_util.tree_map(lambda _: False, v)
            return eqx.tree_at(lambda m: (m.theta, m.phi, m.out_phase), s, (True, True, True))
        return False

    return jax.tree_util.tree_map(spec, params, is_leaf=_is_mesh)


def _checked(out):
    out = jnp.asarray(out)
    if jnp.iscomplexobj(out):
        raise ValueError("the loss is complex; return a real scalar (for a field readout take jnp.abs(y) ** 2 or "
                         "build the mesh with readout='intensity')")
    if out.shape != ():
        raise ValueError(f"the loss must be a scalar; got shape {out.shape} (take jnp.mean of it)")
    return out


def value_and_grad(f, params, *, key=None, gradient: str = "insitu", method: str = "intensity",
                   fd_step: float = FD_STEP):
    """``(loss, grads, tally)`` of ``f(params)`` (a real scalar) by ``gradient``; ``grads`` has the structure of
    ``params`` (None where a leaf is not an inexact array), ``tally`` = [mesh passes, detector reads, heater
    writes] of the step (an array, summed over the examples)."""
    check_gradient(gradient, method)
    diff, static = eqx.partition(params, eqx.is_inexact_array)
    tally0 = jnp.zeros(3, jnp.result_type(float))

    mode = method if gradient == "insitu" else "count"

    def wrapped(d, tally):
        with _mode(method=mode, key=key, tally=tally):
            return _checked(f(eqx.combine(d, static)))

    loss, (grads, tally) = jax.value_and_grad(wrapped, argnums=(0, 1))(diff, tally0)
    if gradient != "finite-difference":
        return loss, grads, tally
    spec = _phase_spec(diff)
    phases, rest = eqx.partition(diff, spec)
    flat, unravel = ravel_pytree(phases)
    n = flat.size
    if n == 0:
        return loss, grads, tally
    h = jnp.asarray(fd_step, flat.dtype)

    def run(v, k):
        with _mode(method="plain", key=k, tally=None):
            return _checked(f(eqx.combine(eqx.combine(unravel(v), rest), static)))

    def pair(i):
        e = jnp.zeros(n, flat.dtype).at[i].set(h)
        k_plus = None if key is None else jax.random.fold_in(key, 2 * i + 1)
        k_minus = None if key is None else jax.random.fold_in(key, 2 * i + 2)
        return jnp.stack([run(flat + e, k_plus), run(flat - e, k_minus)])

    runs = jax.lax.map(pair, jnp.arange(n), batch_size=min(n, 64))
    fd = unravel((runs[:, 0] - runs[:, 1]) / (2 * h))
    grads = eqx.combine(fd, eqx.filter(grads, jax.tree_util.tree_map(lambda s: not s, spec)))
    fwd_passes, fwd_reads = tally[0], tally[1]
    tally = jnp.asarray([2 * n * fwd_passes, 2 * n * fwd_reads, 3 * n], tally.dtype)
    return jnp.mean(runs).astype(loss.dtype), grads, tally


def insitu_grad(loss_fn, model, x, y, *, key, gradient: str = "insitu", method: str = "intensity",
                fd_step: float = FD_STEP):
    """The loss and the gradients of ``loss_fn(model, x, y)`` (a real scalar, as for ``eqx.filter_value_and_grad``)
    for every inexact array of ``model``: mesh phases ``gradient``='insitu' (Hughes et al.'s adjoint measurement,
    ``method``='intensity' three-intensity form or 'field' field formula: see the module docstring for when each
    is exact), 'finite-difference' (step ``fd_step`` rad) or 'autodiff' (the twin); the other parameters digitally.

    ``key`` draws the chip's read noise (the meshes' own call key, when ``loss_fn`` passes one, wins).
    Returns ``(loss, grads, counts)``: ``grads`` has the model's structure (None for non-arrays); ``counts``:
    ``mesh_passes``, ``detector_reads`` and ``heater_writes`` of the step (ints).
    """
    check_gradient(gradient, method)
    if not mesh_layers(model):
        raise ValueError("insitu_grad: the model has no photrain.nn.MZIMesh layer; build one with "
                         "MZIMesh(n_modes, key=...) or use eqx.filter_value_and_grad")
    if not (np.isfinite(fd_step) and fd_step > 0):
        raise ValueError(f"insitu_grad: fd_step must be a finite phase step > 0 rad; got {fd_step!r}")
    loss, grads, tally = _jitted(loss_fn, gradient, method, float(fd_step))(model, x, y, key)
    tally = np.asarray(tally)
    return loss, grads, {"mesh_passes": int(round(float(tally[0]))), "detector_reads": int(round(float(tally[1]))),
                         "heater_writes": int(round(float(tally[2])))}


@functools.lru_cache(maxsize=64)
def _jitted(loss_fn, gradient, method, fd_step):
    @eqx.filter_jit
    def run(model, x, y, key):
        return value_and_grad(lambda m: loss_fn(m, x, y), model, key=key, gradient=gradient, method=method,
                              fd_step=fd_step)

    return run


def mesh_ledger(apply, model, batch: int, gradient: str, method: str = "intensity") -> Ledger:
    """The meshes' counts of one training step on ``batch`` examples: ``apply(model)`` runs the model on one
    example (traced, not run); optical passes (mesh passes), ADC conversions (detector reads) and DAC conversions
    (heater writes: the update of every phase, and 3 per phase for finite differences)."""
    check_gradient(gradient, method)
    record: list = []
    with _mode(method="plain", key=None, tally=None, record=record):
        jax.eval_shape(apply, model)
    passes = reads = writes = 0
    phases = sum(m.n_phases for m in mesh_layers(model))
    for mesh, vectors in record:
        p, r = per_vector_counts(mesh, gradient, method)
        scale = 2 * phases if gradient == "finite-difference" else 1
        passes += p * vectors * batch * scale
        reads += r * vectors * batch * scale
    writes = phases * (4 if gradient == "finite-difference" else 1)
    return Ledger(optical_passes=passes, adc_conversions=reads, dac_conversions=writes)
