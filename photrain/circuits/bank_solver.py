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

from photrain.models.optics import NEFF, NG, propagation
from photrain.models.phase_shifters import thermo_optic_phase
from photrain.models.rings import ring_add_drop


def star(a, b):
    """Redheffer star product of two forward/backward sections (tuples S11, S12, S21, S22).

    a2 = A11 a1 + A12 b2, b1 = A21 a1 + A22 b2 (and likewise for B); the
    result maps (a1, b3) to (a3, b1).
    """
    a11, a12, a21, a22 = a
    b11, b12, b21, b22 = b
    d = 1 - a12 * b21
    return (b11 * a11 / d, b12 + b11 * a12 * b22 / d, a21 + a22 * b21 * a11 / d, a22 * b22 / d)

@partial(jax.jit, static_argnames=("crosstalk",))
def bank_response(detuning, lengths, channels, *, coupling, loss_db_per_cm, pitch, wl0, crosstalk=True, wl=None):
    """(drop, through) field amplitudes, each (M, N): row i, channel j, for heater ``detuning`` (M, N)
    (round-trip phase, rad, at each ring's own channel).

    ``lengths`` (N,) ring round trips (µm); ``channels`` (N,) wavelengths (µm); ``coupling`` scalar or (N,)
    per ring; ``pitch`` (µm) scalar or (N - 1,) bus lengths between consecutive rings' coupling points.
    With ``crosstalk=False`` each channel sees only its own ring (the ideal used for inversion).
    ``wl`` (W,): probe wavelengths (µm) instead of the channels: (drop, through) are then (M, W).
    """
    probe = channels if wl is None else jnp.atleast_1d(jnp.asarray(wl, dtype=float))
    wl = probe[None, None, :]  # (1, 1, W) probe axis
    # detuning is the phase at each ring's own channel; a thermo-optic phase scales as 1/wl
    det = thermo_optic_phase(detuning[:, :, None], wl=wl, wl0=channels[None, :, None])  # (M, K rings, N channels)
    coupling = jnp.reshape(jnp.asarray(coupling), (1, -1, 1)) if jnp.ndim(coupling) else coupling
    s = ring_add_drop(wl=wl, length=lengths[None, :, None], radius=1.0, coupling_1=coupling, coupling_2=coupling,
                      neff=NEFF, ng=NG, wl0=wl0, loss_db_per_cm=loss_db_per_cm, delta_phase=det)
    rings = (s[("o1", "o2")], s[("o4", "o2")], s[("o1", "o3")], s[("o4", "o3")])  # each (M, K, N)
    if not crosstalk:
        own = jnp.arange(lengths.shape[0])
        return rings[2][:, own, own], rings[0][:, own, own]
    m, k, n = rings[0].shape
    # bus sections of length ``pitch`` between consecutive rings (none before the first)
    gaps = jnp.broadcast_to(jnp.asarray(pitch, dtype=float), (k - 1,))
    p = propagation(probe[None, :], length=gaps[:, None], neff=NEFF, ng=NG, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
    p = jnp.concatenate([jnp.ones((1, n), dtype=p.dtype), p.reshape(k - 1, n)])  # (K, N)
    one = jnp.ones((m, n), dtype=complex)
    zero = jnp.zeros_like(one)

    def step(acc, inputs):
        ring, pk = inputs
        seg = (one * pk, zero, zero, one * pk)
        return star(star(acc, seg), ring), None

    per_ring = tuple(jnp.moveaxis(r, 1, 0) for r in rings)  # (K, M, N)
    total, _ = jax.lax.scan(step, (one, zero, zero, one), (per_ring, p))
    return total[2], total[0]
