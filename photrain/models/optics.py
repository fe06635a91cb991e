"""Shared optical helpers: dispersive effective index, propagation, loss units.

Public: device models, circuits and cores import them from here."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

#: Default silicon strip waveguide (500 nm x 220 nm, TE0, 1550 nm).
NEFF = 2.44
NG = 4.2
WL0 = 1.55
LOSS_DB_PER_CM = 2.0


def neff_at(wl, *, neff: float, ng: float, wl0: float):
    """First-order dispersive effective index.

    n_eff(wl) = n_eff0 - (n_g - n_eff0) (wl - wl0) / wl0, which follows from
    n_g = n_eff - wl dn_eff/dwl (Chrostowski & Hochberg, *Silicon Photonics
    Design*, eq. 3.3).
    """
    return neff - (ng - neff) * (wl - wl0) / wl0


def propagation_phase(wl, *, length, neff, ng, wl0):
    """Propagation phase 2 pi n_eff(wl) L / wl (rad) of ``length`` (µm) at ``wl`` (µm), modulo 4 pi.

    When every input is concrete (not traced), it is computed on the host in float64 and reduced modulo 4 pi before
    it becomes a JAX array: a ring's round trip is ~500 rad, where float32 (JAX's default, x64 off) would keep only
    ~3e-5 rad and move a high-Q resonance by a sizeable fraction of its linewidth. exp(i phase) and exp(i phase / 2)
    (an add-drop ring's half round trip between its couplers) are unchanged; traced inputs (a gradient with respect
    to ``length`` or ``wl``) take the direct formula in the caller's dtype. :func:`phase_parts` keeps even more.
    """
    if any(isinstance(a, jax.core.Tracer) for a in (wl, length, neff, ng, wl0)):
        return phase_parts(wl, length=length, neff=neff, ng=ng, wl0=wl0)[0]
    return jnp.asarray(np.mod(_host_phase(wl, length, neff, ng, wl0), 4 * np.pi))


def phase_parts(wl, *, length, neff, ng, wl0):
    """The propagation phase as (residual, sign): phase = 2 pi m + residual, residual in [-pi, pi], sign = (-1)^m,
    so exp(i phase) = exp(i residual) and exp(i phase / 2) = sign exp(i residual / 2).

    Computed on the host in float64 when every input is concrete: a ring at resonance (phase = 2 pi m) keeps its
    detuning to float32's resolution near 0 rad (~1e-8 rad) instead of near 500 rad. Traced inputs: (the phase
    itself, None), sign 1.
    """
    if any(isinstance(a, jax.core.Tracer) for a in (wl, length, neff, ng, wl0)):
        wl = jnp.asarray(wl, dtype=float)
        return 2 * jnp.pi * neff_at(wl, neff=neff, ng=ng, wl0=wl0) * length / wl, None
    phase = _host_phase(wl, length, neff, ng, wl0)
    m = np.round(phase / (2 * np.pi))
    return jnp.asarray(phase - 2 * np.pi * m), jnp.asarray(1.0 - 2.0 * np.mod(m, 2))


def _host_phase(wl, length, neff, ng, wl0):
    wl, length, neff, ng, wl0 = (np.asarray(a, dtype=np.float64) for a in (wl, length, neff, ng, wl0))
    return 2 * np.pi * neff_at(wl, neff=neff, ng=ng, wl0=wl0) * length / wl


def db_per_cm_to_amplitude(loss_db_per_cm, length_um):
    """Field transmission a = 10^(-alpha_dB * L / 20) with L in cm (L_um * 1e-4)."""
    return 10.0 ** (-loss_db_per_cm * length_um * 1e-4 / 20.0)


def db_to_amplitude(loss_db):
    """Field transmission of a lumped insertion loss given in dB."""
    return 10.0 ** (-jnp.asarray(loss_db) / 20.0)


def propagation(wl, *, length, neff, ng, wl0, loss_db_per_cm):
    """Complex field transmission a * exp(i 2 pi n_eff(wl) L / wl) of a waveguide."""
    phase = phase_parts(wl, length=length, neff=neff, ng=ng, wl0=wl0)[0]  # exp(i phase): the residual suffices
    return db_per_cm_to_amplitude(loss_db_per_cm, length) * jnp.exp(1j * phase)
