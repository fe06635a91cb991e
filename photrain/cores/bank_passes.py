"""The product of a microring weight bank: optical passes through modulators, rings, balanced detectors and ADCs.

Pure, jittable functions of programmed power transmissions (:class:`CompiledBank`, from
:meth:`photrain.cores.mrr_bank.MRRWeightBank.compile` or ``program_blocks``): one pass per column block of
the matrix, with the laser RIN, shot and thermal noise (one draw per read, summed variance) and the ADC
(Tait et al., J. Lightwave Technol. 32, 4029 (2014); Filipovich et al., Optica 9, 1323 (2022)).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores.readout import Readout


def blocked_matvec(x, blocks: CompiledBank, key, *, readout: Readout, rows_per_bank: int, floor: float, signed: str):
    """y = W x for x (batch, C) on column blocks from :meth:`MRRWeightBank.program_blocks`.

    Every block is one optical pass. With ``readout.receiver == 'per-block'``
    each pass has its own DAC full scale, detector noise and ADC and the block
    outputs are added digitally; with 'integrating' the photocurrents of a
    row's passes add on the receiver before one noise draw (summed variance)
    and one ADC read (the blocks must share each row's scale:
    ``program_blocks(w, shared_scale=True)``). See :func:`bank_matvec`.
    """
    _, n_blk, n_ch = blocks.t_drop.shape
    cols = x.shape[-1]
    xb = jnp.pad(x, ((0, 0), (0, n_blk * n_ch - cols))).reshape(x.shape[0], n_blk, n_ch)
    return _passes(xb, blocks.t_drop, blocks.t_thru, blocks.scale, key, readout=readout,
                   rows_per_bank=rows_per_bank, floor=floor, signed=signed)


class CompiledBank(NamedTuple):
    """Power transmissions and per-row scales of a matrix programmed on bank row or column blocks.

    :meth:`MRRWeightBank.compile`: t_drop, t_thru (R, C), scale (R,);
    :meth:`MRRWeightBank.program_blocks`: (R, blocks, n_channels) and (R, blocks).
    """

    t_drop: jax.Array
    t_thru: jax.Array
    scale: jax.Array


def bank_matvec(x, t_drop, t_thru, scale, key, *, readout: Readout, rows_per_bank: int, floor: float, signed: str):
    """Pure, jittable weight-bank product y = W x for a batch x (batch, C); returns (batch, R).

    Channel powers P_j = P (f + (1 - f) u_j), u_j in [0, 1] the DAC-quantised
    drive and f the modulator's extinction floor, with the laser RIN; each
    row receives 1/``rows_per_bank`` of every channel. A balanced photodiode
    reads sum_j P_j (T_drop - T_thru) with shot and thermal noise (one draw per
    read, variance from the summed powers P_j (T_drop + T_thru)), then the ADC.
    Signed inputs: 'differential' sends x+ and x- in two passes and
    subtracts; 'offset' sends (x/|x|max + 1)/2 and removes the known row sums.
    Results are rescaled digitally to matrix units (``scale``: scalar or (R,)).
    With no noise (``readout.noise`` False; with it on, ``key`` None raises) and ideal converters
    the passes reduce exactly to one dense product x (scale (T_drop - T_thru))^T.
    """
    scale = jnp.broadcast_to(jnp.asarray(scale, t_drop.dtype), t_drop.shape[:1])
    return _passes(x[:, None, :], t_drop[:, None], t_thru[:, None], scale[:, None], key, readout=readout,
                   rows_per_bank=rows_per_bank, floor=floor, signed=signed)


def _passes(xb, t_drop, t_thru, scale, key, *, readout: Readout, rows_per_bank: int, floor: float, signed: str):
    """The optical passes of :func:`blocked_matvec`: xb (batch, blocks, n_ch), t (R, blocks, n_ch), scale (R, blocks).

    Per-block reads run with the passes leading and the batch last, (blocks, n_ch or R, batch): every elementwise
    step (DAC, RIN, detector noise, ADC) then runs along the long batch axis, which XLA:CPU vectorises, not along
    10 channels or R rows. The noise is the same: one independent draw per channel (RIN) and per row's read
    (detector) of every pass and input vector, with the same variances, laid out in that order.
    """
    ro = readout
    if signed not in ("differential", "offset"):
        raise ValueError(f"signed must be 'differential' or 'offset'; got {signed!r}")
    dtype = jnp.result_type(xb.dtype, t_drop.dtype)
    batch, n_blk, n_ch = xb.shape
    rows = t_drop.shape[0]
    xb = xb.astype(dtype)
    diff = (t_drop - t_thru).astype(dtype)  # balanced-detection weights (R, blocks, n_ch)

    def flat(t):  # (R, blocks, n_ch) -> (R, blocks * n_ch): one dense matrix over all channels
        return t.reshape(rows, n_blk * n_ch)

    noisy = ro.noisy(key)  # noise=True without a key raises
    mod = ro.modulator  # input DAC + modulator model (None: linear intensities)
    if mod is not None:
        floor = mod.floor
    if not noisy and ro.dac_bits is None and ro.adc_bits is None and (mod is None or mod.exact_without_dac):
        # exact: the floor and offset terms cancel and every per-block scale is linear
        return xb.reshape(batch, -1) @ flat(diff * scale[..., None].astype(dtype)).T
    integrating = ro.integrating
    p_row = ro.power_per_channel / rows_per_bank
    resp = ro.responsivity
    if integrating:  # one DAC full scale and one read per row: dense products over all channels
        xin = xb.reshape(batch, n_blk * n_ch)
        xmax = jnp.max(jnp.abs(xin), axis=-1, keepdims=True)
        fs_channels = ro.integrator_full_scale or n_ch * float(np.sqrt(n_blk))
        if noisy:  # each diode's power P T_drop and P T_thru: their difference is the signal, their sum the shot
            w_drop, w_thru = flat(t_drop).astype(dtype), flat(t_thru).astype(dtype)  # noise; two products of R rows

            def products(power):  # run faster on CPUs than one product with the 2R rows stacked
                p_drop, p_thru = ones_row(power) @ w_drop.T, ones_row(power) @ w_thru.T
                return p_drop[:-1] - p_thru[:-1], p_drop[:-1] + p_thru[:-1], p_drop[-1] - p_thru[-1]
        else:
            weights = flat(diff)

            def products(power):
                out = ones_row(power) @ weights.T
                return out[:-1], None, out[-1]

        def ones_row(power):  # one more row of ones: the same product gives each row's sum_j (T_drop - T_thru),
            return jnp.concatenate([power, jnp.ones((1, power.shape[1]), power.dtype)])  # which offset removes
    else:  # per-block reads: a batched product, blocks leading and the batch last (docstring)
        xin = jnp.transpose(xb, (1, 2, 0))  # (blocks, n_ch, batch)
        xmax = jnp.max(jnp.abs(xin), axis=1, keepdims=True)  # (blocks, 1, batch)
        weights = jnp.concatenate([diff, (t_drop + t_thru).astype(dtype)], axis=0) if noisy else diff
        fs_channels = n_ch

        def products(power):  # (blocks, n_ch, batch) -> (blocks, 2R, batch)
            out = jnp.einsum("rkn,knb->krb", weights, power)
            return out[:, :rows], out[:, rows:], None

    xmax = jnp.maximum(xmax, jnp.finfo(dtype).tiny)  # the input DAC's full scale
    keys = [None] * 4 if not noisy else list(jax.random.split(key, 4))

    def optical_pass(u, k_rin, k_det):
        u = ro.encode(u, signed=False) if mod is None else mod.modulate(u, bits=ro.dac_bits)
        power = ro.rin(p_row * (floor + (1 - floor) * u), k_rin)
        mean, total, row_sum = products(power)
        current = ro.detect(resp * mean, total, k_det, reads=n_blk if integrating else 1)
        current = ro.digitise(current, resp * p_row * fs_channels)
        return current / (resp * p_row * (1 - floor)), row_sum

    if signed == "differential":
        u_plus, u_minus = jnp.clip(xin, 0, None) / xmax, jnp.clip(-xin, 0, None) / xmax
        y = optical_pass(u_plus, keys[0], keys[1])[0] - optical_pass(u_minus, keys[2], keys[3])[0]
    else:
        y_opt, row_sum = optical_pass((xin / xmax + 1) / 2, keys[0], keys[1])
        if row_sum is None:  # per-block reads: (blocks, R, 1)
            row_sum = diff.sum(axis=-1).T[:, :, None]
        y = 2 * (y_opt - floor / (1 - floor) * row_sum) - row_sum
    if integrating:
        return y * xmax * scale[:, 0]
    # the digital sum over the passes, each rescaled by its block's weight scale, as one product contracting the
    # passes (batched over rows): XLA:CPU then materialises the passes' readings (noise and ADC in one loop along
    # the batch) before it; as a sum (jnp.sum, a chain of adds) or a transpose it fused them into that
    # reduction's loop, 2-6x slower (a round-off change only: float32 sums in another order)
    return jnp.einsum("krb,rk->br", y * xmax, scale.astype(dtype))
