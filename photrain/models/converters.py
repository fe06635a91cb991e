"""Data converters: DAC and ADC with finite bits, full scale and clipping."""

from __future__ import annotations

import jax.numpy as jnp


def _check_bits(bits: int) -> int:
    if int(bits) != bits or bits < 1 or bits > 32:
        raise ValueError(f"bits must be an integer in [1, 32]; got {bits!r}")
    return int(bits)


def quantize(x, *, bits: int, full_scale: float = 1.0, signed: bool = True):
    """Uniform mid-tread quantiser with clipping.

    Range [-FS, FS] (signed) or [0, FS] (unsigned) split into 2^bits - 1 steps:
    LSB = span / (2^bits - 1). Inside the range |error| <= LSB/2; outside, the
    value clips to the nearest end (IEEE Std 1241-2010, §4.1).
    """
    lo, lsb, code = _rounded_code(x, bits, full_scale, signed)
    return lo + code * lsb


def quantize_code(x, *, bits: int, full_scale: float = 1.0, signed: bool = True):
    """The integer code (int32, 0 … 2^bits - 1) that :func:`quantize` selects for ``x``:
    ``quantize(x) == lo + quantize_code(x) * lsb`` with lo = -FS (signed) or 0 (unsigned).
    A converter's transfer curve tabulated per code (a lookup table) is then one gather."""
    return _rounded_code(x, bits, full_scale, signed)[2].astype(jnp.int32)


def _rounded_code(x, bits, full_scale, signed):
    """(lo, LSB, code as a float in x's dtype) of :func:`quantize`: clip to the range, round to the nearest step."""
    bits = _check_bits(bits)
    if not full_scale > 0:
        raise ValueError(f"full_scale must be > 0; got {full_scale}")
    lo = -full_scale if signed else 0.0
    lsb = (full_scale - lo) / (2**bits - 1)
    x = jnp.clip(jnp.asarray(x), lo, full_scale)
    return lo, lsb, jnp.round((x - lo) / lsb)


def quantize_phase(phase, *, bits: int):
    """Phase DAC of a heater driven over one full period: ``phase`` (rad) to 2^bits levels k 2 pi / 2^bits.

    A phase is periodic, so the 2^bits codes span [0, 2 pi) with LSB = 2 pi / 2^bits and
    the top of the range wraps to code 0 (2 pi and 0 are the same setting): the result
    is in [0, 2 pi) and its error, measured around the circle, is at most LSB/2. Unlike
    :func:`quantize` over [0, 2 pi], no code is spent on 2 pi, the duplicate of 0.
    """
    bits = _check_bits(bits)
    step = 2 * jnp.pi / 2**bits
    wrapped = jnp.mod(jnp.asarray(phase), 2 * jnp.pi)
    return jnp.mod(jnp.round(wrapped / step), 2**bits) * step


def lsb(*, bits: int, full_scale: float = 1.0, signed: bool = True) -> float:
    """Size of one least-significant bit for :func:`quantize`."""
    span = 2 * full_scale if signed else full_scale
    return span / (2 ** _check_bits(bits) - 1)


def dac(value, *, bits: int = 8, full_scale: float = 1.0, signed: bool = False):
    """Digital-to-analog converter: the analog level (V, or any unit of ``full_scale``) for ``value``."""
    return quantize(value, bits=bits, full_scale=full_scale, signed=signed)


def adc(value, *, bits: int = 8, full_scale: float = 1.0, signed: bool = True):
    """Analog-to-digital converter: ``value`` quantised to ``bits`` and clipped at full scale."""
    return quantize(value, bits=bits, full_scale=full_scale, signed=signed)
