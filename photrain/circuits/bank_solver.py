"""Structured solver of a microring weight bank: a Redheffer ring bus (Tait et al., J. Lightwave
Technol. 32, 4029 (2014); Filipovich et al., Optica 9, 1323 (2022)).

Exact for rings that do not reflect: each add-drop ring couples the forward input bus to the
backward drop bus, and the rings along a row, with the bus sections between them, are combined
with the Redheffer star product (Redheffer, J. Math. Phys. 41, 1 (1962)), for all rows and
channels at once. Every ring acts on every channel, so the Lorentzian tails (inter-channel
crosstalk) and the coherent paths through the drop bus are in. ``MRRWeightBank`` (cores) calls
:func:`bank_response`; tests check it against the sax netlist of the same bus.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from photrain.models.optics import NEFF, NG, db_per_cm_to_amplitude, phase_parts, propagation
from photrain.models.phase_shifters import thermo_optic_phase
from photrain.models.rings import add_drop_fields


def star(a, b):
    """Redheffer star product of two forward/backward sections (tuples S11, S12, S21, S22).

    a2 = A11 a1 + A12 b2, b1 = A21 a1 + A22 b2 (and likewise for B); the
    result maps (a1, b3) to (a3, b1).
    """
    a11, a12, a21, a22 = a
    b11, b12, b21, b22 = b
    d = 1 - a12 * b21
    return (b11 * a11 / d, b12 + b11 * a12 * b22 / d, a21 + a22 * b21 * a11 / d, a22 * b22 / d)

def _host(x):
    """``x`` as a host float64 array when it is concrete, else the traced value as it is."""
    return x if isinstance(x, jax.core.Tracer) else np.asarray(x, dtype=np.float64)


def _xp(x):
    return jnp if isinstance(x, jax.core.Tracer) else np


def bank_response(detuning, lengths, channels, *, coupling, loss_db_per_cm, pitch, wl0, crosstalk=True, wl=None):
    """(drop, through) field amplitudes, each (M, N): row i, channel j, for heater ``detuning`` (M, N)
    (round-trip phase, rad, at each ring's own channel).

    ``lengths`` (N,) ring round trips (µm); ``channels`` (N,) wavelengths (µm); ``coupling`` scalar or (N,)
    per ring; ``pitch`` (µm) scalar or (N - 1,) bus lengths between consecutive rings' coupling points.
    With ``crosstalk=False`` each channel sees only its own ring (the ideal used for inversion).
    ``wl`` (W,): probe wavelengths (µm) instead of the channels: (drop, through) are then (M, W).

    The rings' and bus sections' propagation phases (~500 rad a round trip) do not depend on the heaters: with
    concrete lengths, channels and wavelengths they are computed on the host in float64 as 2 pi m + a residual
    (:func:`photrain.models.optics.phase_parts`), so the bank is as exact in float32 (JAX's default) as the
    heater phases themselves; the solve is :func:`ring_add_drop`'s closed form (:func:`add_drop_fields`).
    """
    lengths, channels = _host(lengths), _host(channels)
    probe = channels if wl is None else _host(wl)
    probe = _xp(probe).atleast_1d(probe)
    k = lengths.shape[0]
    # (K, W) round trips as 2 pi m + residual, sign (-1)^m (host float64 when concrete)
    ring_phase, sign = phase_parts(probe[None, :], length=lengths[:, None], neff=NEFF, ng=NG, wl0=wl0)
    sign = jnp.ones(ring_phase.shape) if sign is None else sign
    gaps = _host(pitch)
    gaps = _xp(gaps).broadcast_to(gaps, (k - 1,))
    bus = propagation(probe[None, :], length=gaps[:, None], neff=NEFF, ng=NG, wl0=wl0,
                      loss_db_per_cm=loss_db_per_cm)  # (K - 1, W)
    a = jnp.asarray(db_per_cm_to_amplitude(loss_db_per_cm, lengths))
    coupling = coupling if isinstance(coupling, jax.core.Tracer) else np.asarray(coupling, dtype=np.float64)
    return _solve(detuning, ring_phase, sign, jnp.asarray(probe), jnp.asarray(channels), a, jnp.asarray(coupling),
                  bus, crosstalk=crosstalk)


@partial(jax.jit, static_argnames=("crosstalk",))
def _solve(detuning, ring_phase, sign, probe, channels, a, coupling, bus, *, crosstalk):
    """The Redheffer ring bus of :func:`bank_response` from its static phases (residual, sign) and the heaters."""
    # detuning is the phase at each ring's own channel; a thermo-optic phase scales as 1/wl
    det = thermo_optic_phase(detuning[:, :, None], wl=probe[None, None, :], wl0=channels[None, :, None])  # (M, K, W)
    coupling = jnp.reshape(coupling, (1, -1, 1)) if coupling.ndim else coupling
    through, drop, back = add_drop_fields(ring_phase[None] + det, a[None, :, None], coupling, coupling, sign[None])
    rings = (through, drop, drop, back)  # S(o1, o2), S(o4, o2), S(o1, o3), S(o4, o3), each (M, K, W)
    if not crosstalk:
        own = jnp.arange(channels.shape[0])
        return rings[2][:, own, own], rings[0][:, own, own]
    m, k, n = rings[0].shape
    # bus sections of length ``pitch`` between consecutive rings (none before the first)
    p = jnp.concatenate([jnp.ones((1, n), dtype=bus.dtype), bus.reshape(k - 1, n)])  # (K, W)
    one = jnp.ones((m, n), dtype=complex)
    zero = jnp.zeros_like(one)

    def step(acc, inputs):
        ring, pk = inputs
        seg = (one * pk, zero, zero, one * pk)
        return star(star(acc, seg), ring), None

    per_ring = tuple(jnp.moveaxis(r, 1, 0) for r in rings)  # (K, M, W)
    total, _ = jax.lax.scan(step, (one, zero, zero, one), (per_ring, p))
    return total[2], total[0]
