"""Pai et al.'s own simulation formulation of in-situ training (for ``benchmarks/pai2023.py --formulation matrix``).

Their 64-port MNIST sweep (``sim_data.nc`` of github.com/solgaardlab/photonicbackprop) was run with simphox's
``InSituBackpropLayer`` / ``ForwardMesh.in_situ_matrix_fn`` (github.com/fancompute/simphox,
``simphox/circuit/forward.py``, version f8e4bc7 of 2023-01-01, the last before their runs' timestamps of
2023-01-03; ``all_analog=True``, the layer's default). A layer there is ``y = U' x`` with the mesh's whole matrix
U measured on the basis inputs, and the in-situ gradient is measured with the identity as inputs:

* forward: U' = |U| |1 + a eps| exp(i (angle U + p pi eta)) (``io_amp_error_std`` a, ``io_phase_error_std`` p;
  eps, eta ~ N(0, 1) per matrix element): the amplitude and phase errors of the generated and measured fields;
* the cotangent G = dL/dU' of the noisy matrix is computed digitally (autodiff of ``U' @ x``), normalised by its
  largest row norm g_n; the adjoint inputs x_adj = U^T G / g_n (column k for basis input e_k) get the same kind
  of amplitude and phase error;
* three forward passes per basis input: e_k, conj(x_adj_k) and e_k - i conj(x_adj_k); every tap reads
  |f|^2 + s |f| n (``tap_pd_shot_noise`` s, n ~ N(0, 1)); dL/dphase = (I_sum - I_fwd - I_adj) / 2 x g_n summed
  over k (their "three intensities": the adjoint's intensity is read on a *forward* pass of conj(x_adj), not on
  the backward pass as photrain's ``method='intensity'`` reads it, so with lossy arms its bias is smaller);
* the cotangent handed to the layer before is G's digital chain through U' (their ``matrix @ x`` is autodiff).

Here the mesh is photrain's ``MZIMesh`` (its transfer and its tap fields, per-arm loss included) and the noise is
drawn fresh every step. (In simphox the draws are ``np.random`` calls inside ``jax.jit``: fixed when traced, so
whether their runs redrew them per step depends on how their notebook, which is not in their repository's
history as stored, traced the step. Not resolved here.)
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp


def io_error(u, key, amp: float, phase: float):
    """simphox's io error: |u| |1 + amp eps| exp(i (angle u + phase pi eta)), eps, eta ~ N(0, 1) per element."""
    if amp == 0 and phase == 0:
        return u
    k1, k2 = jax.random.split(key)
    rdt = jnp.real(u).dtype
    a = jnp.abs(1 + amp * jax.random.normal(k1, u.shape, rdt))
    return u * a * jnp.exp(1j * phase * jnp.pi * jax.random.normal(k2, u.shape, rdt)).astype(u.dtype)


def matrices(model, key, amp: float, phase: float):
    """The measured matrices U' (out, in) of the model's mesh layers."""
    keys = jax.random.split(key, len(model.layers))
    return [io_error(m.transfer(), k, amp, phase) for m, k in zip(model.layers, keys, strict=True)]


def apply(us, x, head: str = "first10"):
    """``ONN`` in the matrix form: |U' h| between layers, |U' h|^2 at the end; logits: the first 10 ports
    (``head='first10'``) or all ports (``'all'``)."""
    h = x
    for i, u in enumerate(us):
        y = h @ u.T
        h = jnp.abs(y) if i < len(us) - 1 else jnp.abs(y) ** 2
    return h[..., :10] if head == "first10" else h


def _read(field, key, shot: float):
    p = jnp.abs(field) ** 2
    if shot == 0:
        return p
    return p + shot * jnp.abs(field) * jax.random.normal(key, p.shape, p.dtype)


def layer_grad(mesh, g, key, amp: float, phase: float, shot: float):
    """(d theta, d phi, d out_phase) measured as simphox's all-analog ``matrix_bwd`` does, for cotangent g of U'."""
    n = mesh.n_modes
    k_io, k1, k2, k3 = jax.random.split(key, 4)
    gnorm = jnp.max(jnp.linalg.norm(g, axis=-1))
    gnorm = jnp.where(gnorm > 0, gnorm, 1.0)
    x_adj, _ = mesh.adjoint((g / gnorm).T)  # row k: U^T g[:, k] / g_n
    x_adj = io_error(x_adj, k_io, amp, phase)
    eye = jnp.eye(n, dtype=x_adj.dtype)
    c = jnp.conj(x_adj)
    y_f, (f_t, f_p) = mesh.propagate(eye, taps=True)
    y_a, (a_t, a_p) = mesh.propagate(c, taps=True)
    y_s, (s_t, s_p) = mesh.propagate(eye - 1j * c, taps=True)
    out = []
    for i, (f, a, s) in enumerate(((f_t, a_t, s_t), (f_p, a_p, s_p), (y_f, y_a, y_s))):
        if i < 2:
            f, a, s = (mesh._from_grid(v) for v in (f, a, s))
        ka, kb, kc = jax.random.split(jax.random.fold_in(k1 if i == 0 else k2 if i == 1 else k3, i), 3)
        p = (_read(s, ka, shot) - _read(f, kb, shot) - _read(a, kc, shot)) / 2 * gnorm
        out.append(jnp.sum(p, axis=0))
    return out


def value_and_grad(loss_of_logits, model, x, y, key, amp: float, phase: float, shot: float, head: str = "first10"):
    """(loss, grads with the model's structure) of one step in their formulation (``model.layers``: the meshes)."""
    k_fwd, k_bwd = jax.random.split(key)
    us = matrices(model, k_fwd, amp, phase)
    loss, gs = jax.value_and_grad(lambda us: loss_of_logits(apply(us, x, head), y))(us)
    params = eqx.filter(model, eqx.is_inexact_array)
    grads = jax.tree_util.tree_map(jnp.zeros_like, params)
    for i, (mesh, g, k) in enumerate(zip(model.layers, gs, jax.random.split(k_bwd, len(gs)), strict=True)):
        d_theta, d_phi, d_out = layer_grad(mesh, g, k, amp, phase, shot)
        grads = eqx.tree_at(lambda t, i=i: (t.layers[i].theta, t.layers[i].phi, t.layers[i].out_phase), grads,
                            (d_theta.astype(mesh.theta.dtype), d_phi.astype(mesh.phi.dtype),
                             d_out.astype(mesh.out_phase.dtype)))
    return loss, grads
