"""Structured solver of an MZI mesh (column scan) and its netlist twin.

:func:`mesh_transfer` composes a Clements or Reck mesh column by column: each
column is a row of 2x2 MZI blocks (:func:`photrain.models.mzi.mzi_matrix`,
the same function the ``mzi2x2`` S-parameter model uses) applied to all modes
at once, scanned over columns with ``jax.lax.scan``. :func:`mesh_netlist` is
the same mesh as a sax netlist of ``mzi2x2`` instances, straights and output
phase shifters; tests check that the two agree to machine precision.
``photrain.cores.MZIMesh`` (the tensor core) calls both with the phases its
heaters realise.

Grid: slot p of column c acts on modes (2p + c % 2, 2p + c % 2 + 1); the
column count is padded to an even number for the column-pair scan (a padded
column is empty and has no waveguide: it is not on the chip).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from photrain.models.mzi import mzi_matrix
from photrain.models.optics import NEFF, NG, WL0, propagation
from photrain.models.phase_shifters import P_PI_THERMAL, thermo_optic_phase


def mesh_grid(n: int, n_columns: int) -> tuple[int, int]:
    """(columns, slots) of the solver's grid for ``n`` modes and ``n_columns`` physical columns
    (columns padded to an even count)."""
    p = max(n // 2, 1)
    c = n_columns + (n_columns % 2)  # even, for the column-pair scan
    return c, p


@partial(jax.jit, static_argnames=("n", "n_columns"))
def mesh_transfer(theta, phi, active, out_phase, coupling_1, coupling_2, wl, *, n: int, wl0: float = WL0,
                  mzi_loss_db: float = 0.0, column_length: float = 0.0, loss_db_per_cm: float = 0.0,
                  n_columns: int | None = None):
    """Transfer matrix U[..., out, in] of a mesh at wavelengths ``wl`` (µm, any shape).

    Heater phases scale thermo-optically as wl0 / wl; every mode crosses
    ``column_length`` µm of waveguide per physical column (``n_columns``, default
    all grid columns: a grid padded to an even column count has one column
    of nothing more); each MZI loses ``mzi_loss_db`` (split over its two
    couplers). Slots that would couple a real mode to the padding mode (the
    last slot of odd columns for even ``n``) are never active. All wavelengths
    go through the column scan together; the state is kept as even and odd
    modes, so that a column is elementwise multiply-adds over (wavelength, slot, input).
    Differentiable in all array arguments.
    """
    wl = jnp.asarray(wl, dtype=float)
    wls = wl.reshape(-1)
    c, p = theta.shape
    n_e = 2 * p + 2  # modes on the grid plus padding, even: every column pairs them up
    n_columns = c if n_columns is None else n_columns
    wl_col = wls[:, None]  # (W, 1): every slot of a column sees the same wavelengths
    prop = propagation(wls, length=column_length, neff=NEFF, ng=NG, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
    slot = jnp.arange(p)
    valid = jnp.stack([2 * slot + 1 < n, 2 * slot + 2 < n])  # (parity, P): both modes of the slot are real
    active = active & jnp.tile(valid, (c // 2, 1))

    def column(col):
        """The column's 2x2 blocks (W, P, 1) each: t00, t01, t10, t11; inactive slots are identities."""
        th, ph, act, k1, k2 = col
        t = mzi_matrix(thermo_optic_phase(th[None], wl=wl_col, wl0=wl0), thermo_optic_phase(ph[None], wl=wl_col, wl0=wl0),
                       coupling_1=k1[None], coupling_2=k2[None],
                       coupler_loss_db=mzi_loss_db / 2)  # (W, P, 2, 2)
        t = jnp.where(act[None, :, None, None], t, jnp.eye(2, dtype=t.dtype))
        return t[:, :, 0, 0, None], t[:, :, 0, 1, None], t[:, :, 1, 0, None], t[:, :, 1, 1, None]

    def step(state, cols):
        # state: even modes e[s] = x[2s] and odd modes o[s] = x[2s + 1], each (W, p + 1, n)
        e, o = state
        even, odd = cols
        t00, t01, t10, t11 = column(even)  # slot s on modes (2s, 2s + 1): e[s], o[s]; slot p is padding
        e_new = t00 * e[:, :p] + t01 * o[:, :p]
        o_new = t10 * e[:, :p] + t11 * o[:, :p]
        e = jnp.concatenate([e_new, e[:, p:]], axis=1)
        o = jnp.concatenate([o_new, o[:, p:]], axis=1)
        t00, t01, t10, t11 = column(odd)  # slot s on modes (2s + 1, 2s + 2): o[s], e[s + 1]
        o_new = t00 * o[:, :p] + t01 * e[:, 1:]
        e_new = t10 * o[:, :p] + t11 * e[:, 1:]
        e = jnp.concatenate([e[:, :1], e_new], axis=1)
        o = jnp.concatenate([o_new, o[:, p:]], axis=1)
        return (e, o), None

    def pairs(a):
        return a.reshape(c // 2, 2, *a.shape[1:]).swapaxes(0, 1)

    cols = (theta, phi, active, coupling_1, coupling_2)
    even = tuple(pairs(a)[0] for a in cols)
    odd = tuple(pairs(a)[1] for a in cols)
    eye = jnp.eye(n_e, n, dtype=complex)
    e0 = jnp.broadcast_to(eye[0::2], (wls.size, n_e // 2, n))
    o0 = jnp.broadcast_to(eye[1::2], (wls.size, n_e // 2, n))
    (e, o), _ = jax.lax.scan(step, (e0, o0), (even, odd))
    x = jnp.stack([e, o], axis=2).reshape(wls.size, n_e, n)
    u = x[:, :n, :] * (prop**n_columns)[:, None, None]
    u = jnp.exp(1j * thermo_optic_phase(out_phase[None, :], wl=wl_col, wl0=wl0))[:, :, None] * u
    return u.reshape(*wl.shape, n, n)


def mesh_netlist(theta, phi, active, out_phase, coupling_1, coupling_2, *, n: int, n_columns: int,
                 mzi_loss_db: float = 0.0, column_length: float = 0.0, loss_db_per_cm: float = 0.0,
                 wl0: float = WL0) -> dict:
    """The sax netlist of a mesh with the phases (rad at wl0) its heaters realise, for reference solves.

    ``theta``, ``phi``, ``active``, ``coupling_1``, ``coupling_2``: (columns, slots) on the grid of
    :func:`mesh_grid`; ``out_phase``: (n,). Instances ``mzi_{col}_{slot}`` (``mzi2x2``), ``wg_{col}_{m}``
    (a straight of ``column_length`` for a mode no MZI takes in that column) and ``ps_{m}`` (output
    thermal phase shifters); ports ``in{m}`` and ``out{m}``. Only the ``n_columns`` physical columns
    are drawn (not the grid's padding column); a slot coupling a real mode to the padding mode is skipped,
    as in :func:`mesh_transfer`.
    """
    theta, phi, out_phase = np.asarray(theta, float), np.asarray(phi, float), np.asarray(out_phase, float)
    active, coupling_1, coupling_2 = np.asarray(active, bool), np.asarray(coupling_1), np.asarray(coupling_2)
    p = active.shape[1]
    instances, connections, inputs = {}, {}, {}
    last = {m: None for m in range(n)}  # mode -> "inst,port" of its latest output

    def feed(mode, inst, port):
        if last[mode] is not None:
            connections[last[mode]] = f"{inst},{port}"
        else:
            inputs[mode] = f"{inst},{port}"

    wg = {"component": "straight", "settings": {"length": column_length, "loss_db_per_cm": loss_db_per_cm, "wl0": wl0}}
    for col in range(n_columns):
        parity = col % 2
        covered = set()
        for slot in range(p):
            m = 2 * slot + parity
            if m + 1 >= n or not active[col, slot]:
                continue
            name = f"mzi_{col}_{slot}"
            instances[name] = {"component": "mzi2x2", "settings": {
                "theta": float(theta[col, slot]), "phi": float(phi[col, slot]),
                "coupling_1": float(coupling_1[col, slot]), "coupling_2": float(coupling_2[col, slot]),
                "coupler_loss_db": mzi_loss_db / 2, "arm_length": column_length, "delta_length": 0.0,
                "loss_db_per_cm": loss_db_per_cm, "wl0": wl0}}
            feed(m, name, "o1")
            feed(m + 1, name, "o2")
            last[m], last[m + 1] = f"{name},o4", f"{name},o3"
            covered |= {m, m + 1}
        for m in range(n):
            if m not in covered:
                name = f"wg_{col}_{m}"
                instances[name] = wg
                feed(m, name, "o1")
                last[m] = f"{name},o2"
    ports = {}
    for m in range(n):
        name = f"ps_{m}"
        instances[name] = {"component": "phase_shifter_thermal", "settings": {
            "power": float(out_phase[m]) * P_PI_THERMAL / np.pi, "length": 0.0, "loss_db_per_cm": 0.0, "wl0": wl0}}
        feed(m, name, "o1")
        ports[f"out{m}"] = f"{name},o2"
    for m, ref in inputs.items():
        ports[f"in{m}"] = ref
    return {"instances": instances, "connections": connections, "ports": ports}
