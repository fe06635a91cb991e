"""Input modulators of an incoherent (intensity) core: DAC code -> drive voltage -> transmitted intensity.

A requested input u in [0, 1] (a channel's share of its full power) reaches
the rings as the intensity a modulator transmits for the voltage its DAC puts
out. Normalised to the modulator's on state, that intensity is

    t = f + (1 - f) g,    g = transfer(drive),  drive = DAC code / (2^bits - 1) in [0, 1],

with f the extinction floor (what leaks through at zero drive). Kinds:

* ``ideal``: g = drive, a linear intensity modulator (photrain's earlier model).
* ``mzm``: a push-pull Mach-Zehnder biased at null and driven over 0..V_pi,
  g = sin^2(pi drive / 2) (:func:`photrain.models.mzi.mzm_intensity`, the closed
  form of :func:`photrain.models.mz_modulator`).
* ``ring``: a depletion ring modulator on its WDM channel, on resonance at zero
  drive (an under-coupled all-pass ring whose resonance floor is the extinction
  ratio) and pulled off resonance by the drive (:func:`photrain.models.ring_modulator`;
  closed form :func:`photrain.models.rings.ring_through_power`): a Lorentzian g.

Predistortion (on by default) is the lookup in the DAC path that makes t hit
the request: the closed-form inverse of the transfer gives the ideal drive,
and of the two DAC codes around it the one whose transmitted intensity is
nearer the request is sent, so the error is at most half the local gap between
two adjacent DAC levels (for the MZM at most pi/4 of one LSB of the linear
scale, where the sin^2 is steepest). Off, the DAC code is linear in u and the
transfer's nonlinearity reaches the rings. Everything is elementwise closed
form (jittable, a few transcendental functions per input symbol, no solves).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

from photrain.models.converters import quantize
from photrain.models.mzi import mzm_drive, mzm_intensity
from photrain.models.optics import WL0, db_per_cm_to_amplitude
from photrain.models.rings import DNEFF_DV_RING, ring_through_power, ring_through_sin2

MODULATORS = ("ideal", "mzm", "ring")


@dataclass(frozen=True)
class InputModulator:
    """DAC + modulator of every input channel of a bank (hashable: static under ``jax.jit``).

    Attributes:
        kind: 'ideal' (linear), 'mzm' (Mach-Zehnder, sin^2) or 'ring' (ring modulator, Lorentzian).
        predistortion: choose the DAC code whose transmitted intensity is nearest the request
            (True, default) or send the code linear in the request (False: the transfer's
            nonlinearity reaches the core).
        extinction_ratio_db: static extinction ratio (dB). MZM: sets the y-branch imbalance
            (:func:`photrain.models.mzm_split_ratio`); ring: sets the coupling so that the
            on-resonance through power is 10^(-ER/10) (under-coupled); ideal: the floor.
        v_pi: MZM push-pull V_pi (V): the drive swings 0..V_pi.
        ring_radius, ring_loss_db_per_cm, dneff_dv, ring_v_max: the ring modulator (µm, dB/cm,
            1/V, V; defaults of :func:`photrain.models.ring_modulator`, 20 pm/V at 1550 nm) and
            its drive swing 0..ring_v_max.
        wl: the channel wavelength (µm) the ring is aligned to.
    """

    kind: str = "ideal"
    predistortion: bool = True
    extinction_ratio_db: float = 30.0
    v_pi: float = 4.0
    ring_radius: float = 7.5
    ring_loss_db_per_cm: float = 5.0
    dneff_dv: float = DNEFF_DV_RING
    ring_v_max: float = 3.0
    wl: float = WL0

    def __post_init__(self):
        if self.kind not in MODULATORS:
            raise ValueError(f"input modulator must be one of {', '.join(MODULATORS)}; got {self.kind!r}")
        for name in ("extinction_ratio_db", "v_pi", "ring_radius", "dneff_dv", "ring_v_max", "wl"):
            if not getattr(self, name) > 0:
                raise ValueError(f"InputModulator.{name} must be > 0; got {getattr(self, name)}")
        if self.ring_loss_db_per_cm < 0:
            raise ValueError(f"InputModulator.ring_loss_db_per_cm must be >= 0; got {self.ring_loss_db_per_cm}")

    # ---------------------------------------------------------------- ring parameters (Python floats)

    @property
    def ring_length(self) -> float:
        return 2 * np.pi * self.ring_radius

    @property
    def ring_a(self) -> float:
        """Single-pass amplitude of the ring."""
        return float(db_per_cm_to_amplitude(self.ring_loss_db_per_cm, self.ring_length))

    @property
    def ring_r(self) -> float:
        """Self-coupling r of the under-coupled ring whose on-resonance through power is 10^(-ER/10).

        (r - a) / (1 - r a) = sqrt(f0)  =>  r = (a + sqrt(f0)) / (1 + a sqrt(f0)).
        """
        a, root = self.ring_a, 10 ** (-self.extinction_ratio_db / 20)
        return (a + root) / (1 + a * root)

    @property
    def ring_coupling(self) -> float:
        """Bus-ring power coupling 1 - r^2 (for :func:`photrain.models.ring_modulator`)."""
        return 1.0 - self.ring_r**2

    @property
    def ring_phase_max(self) -> float:
        """Round-trip phase (rad) the full drive adds: 2 pi dn_eff/dV V_max L / wl."""
        return 2 * np.pi * self.dneff_dv * self.ring_v_max * self.ring_length / self.wl

    def _ring_power(self, phase):
        return ring_through_power(phase, r1=self.ring_r, r2=1.0, a=self.ring_a)

    @cached_property
    def _ring_ends(self) -> tuple[float, float]:
        """Through power (T at zero drive, T at full drive), Python floats (also inside a jit trace)."""
        with jax.ensure_compile_time_eval():
            return float(self._ring_power(0.0)), float(self._ring_power(self.ring_phase_max))

    # ---------------------------------------------------------------- transfer

    @property
    def floor(self) -> float:
        """Extinction floor f: transmitted intensity at zero drive over that at full drive."""
        if self.kind == "ring":
            t0, t1 = self._ring_ends
            return t0 / t1
        return 10 ** (-self.extinction_ratio_db / 10)

    @property
    def volts_full_scale(self) -> float:
        """Drive voltage (V) at the top DAC code."""
        return self.ring_v_max if self.kind == "ring" else self.v_pi

    def transfer(self, drive):
        """g in [0, 1]: normalised intensity above the floor, (t - f) / (1 - f), at ``drive`` in [0, 1] of full swing."""
        drive = jnp.asarray(drive)
        if self.kind == "ideal":
            return drive
        if self.kind == "mzm":
            return mzm_intensity(drive, floor=0.0)
        t0, t1 = self._ring_ends
        return (self._ring_power(drive * self.ring_phase_max) - t0) * (1.0 / (t1 - t0))

    def inverse(self, g):
        """Drive in [0, 1] giving normalised intensity ``g`` (closed form; g clips to [0, 1])."""
        g = jnp.clip(jnp.asarray(g), 0.0, 1.0)
        if self.kind == "ideal":
            return g
        if self.kind == "mzm":
            return mzm_drive(g, floor=0.0)
        t0, t1 = self._ring_ends
        s = ring_through_sin2(t0 + g * (t1 - t0), r1=self.ring_r, r2=1.0, a=self.ring_a)
        return jnp.clip(2 * jnp.arcsin(jnp.sqrt(s)) * (1.0 / self.ring_phase_max), 0.0, 1.0)

    def intensity(self, drive):
        """Transmitted intensity f + (1 - f) g normalised to the on state, at ``drive`` in [0, 1]."""
        f = self.floor
        return f + (1.0 - f) * self.transfer(drive)

    def levels(self, bits: int) -> np.ndarray:
        """g of every DAC code 0 .. 2^bits - 1 (numpy): the lookup table the DAC path can reach."""
        codes = np.arange(2**bits) / (2**bits - 1)
        return np.asarray(self.transfer(codes), dtype=float)

    @property
    def exact_without_dac(self) -> bool:
        """With an ideal DAC the transmitted g equals the request (linear kind, or predistortion on)."""
        return self.kind == "ideal" or self.predistortion

    def modulate(self, u, *, bits: int | None):
        """g (the normalised intensity above the floor) the modulator transmits for requests ``u`` in [0, 1].

        ``bits``: DAC resolution (None: ideal DAC). Elementwise and jittable; keeps ``u``'s dtype.
        """
        u = jnp.clip(jnp.asarray(u), 0.0, 1.0)
        if self.kind == "ideal":
            return u if bits is None else quantize(u, bits=bits, full_scale=1.0, signed=False)
        if not self.predistortion:
            drive = u if bits is None else quantize(u, bits=bits, full_scale=1.0, signed=False)
            return self.transfer(drive)
        if bits is None:
            return u
        n = float(2**bits - 1)
        lo = jnp.clip(jnp.floor(self.inverse(u) * n), 0.0, n - 1.0)
        g_lo, g_hi = self.transfer(lo * (1.0 / n)), self.transfer((lo + 1.0) * (1.0 / n))
        return jnp.where(jnp.abs(g_hi - u) < jnp.abs(g_lo - u), g_hi, g_lo)

    def code(self, u, *, bits: int):
        """The DAC code (int32) the modulator sends for requests ``u``: what :meth:`modulate` transmits."""
        u = jnp.clip(jnp.asarray(u), 0.0, 1.0)
        n = float(2**bits - 1)
        if self.kind == "ideal" or not self.predistortion:
            return jnp.round(u * n).astype(jnp.int32)
        lo = jnp.clip(jnp.floor(self.inverse(u) * n), 0.0, n - 1.0)
        g_lo, g_hi = self.transfer(lo / n), self.transfer((lo + 1.0) / n)
        return (lo + (jnp.abs(g_hi - u) < jnp.abs(g_lo - u))).astype(jnp.int32)
