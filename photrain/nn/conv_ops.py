"""Convolution as products on a tensor core: im2col patches, grouped kernels as one block-diagonal matrix.

A 2-D convolution of one example x (C, H, W) with a kernel K (O, C/G, kh, kw) (G groups) is, at every
output position p, the product y[:, p] = W · patch_p with W the kernel matrix (O, C/G·kh·kw) and patch_p
the input values under the (strided, dilated, padded) window (im2col; Chellapilla et al., "High
performance convolutional neural networks for document processing", IWFHR 2006). On a tensor core the
kernel matrix is programmed once and the Ho·Wo patches stream through it as input vectors, as in the
photonic tensor core of Feldmann et al., Nature 589, 52 (2021) (kernels as transmissions, image patches
on the input lines). With G > 1 groups the core holds the block-diagonal matrix of the G group kernels
(O, C·kh·kw): the off-diagonal cells are programmed to zero (and counted, as a chip would spend them).

Conventions follow ``jax.lax.conv_general_dilated`` / ``eqx.nn.Conv2d``: padding is an int, pairs
((lo, hi), (lo, hi)) or a string ('SAME', 'VALID', 'SAME_LOWER'); patches are channel-major (c, i, j),
the order of ``K.reshape(O, -1)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def pair(v, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair (stride, dilation, kernel size)."""
    if isinstance(v, int) and not isinstance(v, bool):
        out = (int(v), int(v))
    else:
        try:
            out = tuple(int(a) for a in v)
        except TypeError:
            out = ()
    if len(out) != 2 or min(out) < 1:
        raise ValueError(f"Conv2d {name} must be an integer >= 1 or a pair of them; got {v!r}")
    return out


def normalise_padding(padding):
    """An int, a pair, pairs of (lo, hi) or a padding string -> pairs ((lo, hi), (lo, hi)) or the string."""
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID", "SAME_LOWER"):
            raise ValueError(f"Conv2d padding string must be 'SAME', 'VALID' or 'SAME_LOWER'; got {padding!r}")
        return padding.upper()
    if isinstance(padding, int):
        return ((int(padding),) * 2,) * 2
    out = tuple((int(p), int(p)) if isinstance(p, int) else (int(p[0]), int(p[1])) for p in padding)
    if len(out) != 2 or min(min(p) for p in out) < 0:
        raise ValueError(f"Conv2d padding must be >= 0: an int, two ints or two (lo, hi) pairs; got {padding!r}")
    return out


def resolve_padding(padding, spatial, kernel_size, stride, dilation):
    """Explicit ((lo, hi), (lo, hi)) padding for an input of spatial shape (H, W)."""
    if not isinstance(padding, str):
        return padding
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation, strict=True))
    return tuple(tuple(int(v) for v in p) for p in jax.lax.padtype_to_pads(spatial, effective, stride, padding))


def output_shape(spatial, kernel_size, stride, padding, dilation) -> tuple[int, int]:
    """(Ho, Wo): output positions of the window along each spatial axis."""
    pads = resolve_padding(padding, spatial, kernel_size, stride, dilation)
    return tuple((n + sum(p) - d * (k - 1) - 1) // s + 1
                 for n, p, d, k, s in zip(spatial, pads, dilation, kernel_size, stride, strict=True))


def patches(x, kernel_size, stride, padding, dilation):
    """im2col of one example x (C, H, W): the (Ho·Wo, C·kh·kw) input vectors of the kernel matrix, and (Ho, Wo).

    Row p is the window at output position p (row-major), channel-major within (c, i, j), so
    ``patches(x) @ K.reshape(O, -1).T`` is the convolution (G = 1), positions first.
    """
    pads = resolve_padding(padding, x.shape[1:], kernel_size, stride, dilation)
    p = jax.lax.conv_general_dilated_patches(x[None], kernel_size, stride, pads, rhs_dilation=dilation,
                                             precision=jax.lax.Precision.HIGHEST)[0]  # (C·kh·kw, Ho, Wo)
    ho, wo = p.shape[1:]
    return p.reshape(p.shape[0], ho * wo).T, (ho, wo)


def block_diagonal(w, groups: int):
    """The kernel matrix of G groups (O, C/G·k·k) as the (O, C·k·k) block-diagonal matrix the core holds:
    output rows of group g see only the patch columns of group g's channels (zeros elsewhere)."""
    if groups == 1:
        return w
    out, fan = w.shape
    per = out // groups
    blocks = w.reshape(groups, per, fan)
    eye = jnp.eye(groups, dtype=w.dtype)
    return jnp.einsum("gpf,gh->gphf", blocks, eye).reshape(out, groups * fan)


def conv_reference(x, w, bias, *, stride, padding, dilation, groups):
    """The digital convolution of one example (``jax.lax.conv_general_dilated``), kernel (O, C/G, kh, kw)."""
    pads = resolve_padding(padding, x.shape[1:], w.shape[2:], stride, dilation)
    y = jax.lax.conv_general_dilated(x[None], w, window_strides=stride, padding=pads, rhs_dilation=dilation,
                                     feature_group_count=groups)[0]
    return y if bias is None else y + bias[:, None, None].astype(y.dtype)
