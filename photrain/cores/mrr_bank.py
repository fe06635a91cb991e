"""Incoherent microring weight bank (broadcast-and-weight; Tait et al., J. Lightwave Technol. 32, 4029 (2014)).

N WDM channels (one per input) are broadcast to M rows. Row i is a bus of N
add-drop rings, ring j tuned near channel j; a balanced photodiode on the drop
and through ends reads sum_j P_j (T_drop,ij - T_through,ij), so each weight is
w_ij = T_drop - T_through in about [-1, 1] (Filipovich et al., Optica 9, 1323 (2022)).

The bank is solved by the structured Redheffer ring-bus solver of the
circuits layer (:func:`photrain.circuits.bank_solver.bank_response`), exact
for rings that do not reflect: every ring acts on every channel, so the
Lorentzian tails (inter-channel crosstalk) and the coherent paths through the
drop bus are in.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.circuits.bank_solver import bank_response
from photrain.cores.bank_passes import CompiledBank, bank_matvec
from photrain.cores.checks import check_finite, check_matrix
from photrain.cores.readout import IDEAL, Readout
from photrain.counter_hash import fabrication_normal
from photrain.models.checks import check_wavelengths
from photrain.models.converters import quantize, quantize_code
from photrain.models.optics import LOSS_DB_PER_CM, NG, WL0
from photrain.models.rings import (
    ring_balanced_detuning,
    ring_balanced_sin2,
    ring_balanced_weight,
    ring_drop_power,
    ring_fsr,
    ring_powers_from_sin2,
    ring_through_power,
)
from photrain.models.wdm import channel_wavelengths, resonant_lengths


class BankSettings(NamedTuple):
    """Heater detunings (rad of round-trip phase, >= 0) of a rows x channels bank and the digital scale."""

    detuning: jax.Array  # (M, N)
    scale: jax.Array  # () matrix units per unit weight
    shape: tuple  # (rows, cols) of the target (static)


class MRRWeightBank:
    """A rows x channels microring weight-bank core.

    Args:
        n_channels: WDM channels = matrix columns (inputs).
        n_rows: banks = matrix rows (outputs).
        spacing: channel spacing (µm); 0.0016 = 1.6 nm.
        wl_center: grid centre (µm).
        radius: nominal ring radius (µm); each ring's length is trimmed to its channel.
        coupling: power coupling of each ring to both buses (sets the linewidth); scalar or one per ring.
        loss_db_per_cm: ring and bus propagation loss.
        pitch: bus length between neighbouring rings' coupling points (µm); scalar or n_channels - 1 values.
        max_detuning: largest heater red-shift as a fraction of the channel spacing.
        calibration_steps: iterative-correction steps run by :meth:`program`.
        headroom: fraction of the single-ring range [-w_range, w_range] that :meth:`program`
            maps max |W| to. The calibrated bank cannot reach the single-ring extremes (bus loss
            and the coherent paths through the drop bus pull them in): with 0.9 every weight of a
            50 GHz, Q 20 000 bank lands within 1 % of max |W| (tests/test_cores_bank.py); 1.0
            reproduces the old full-range mapping (1.5-3.9 % worst-weight errors at 200-50 GHz).
        resonance_sigma: static per-ring resonance error (rad of round-trip phase, per chip).
        extinction_ratio_db: input modulators' extinction ratio (sets a power floor).
        signed: 'differential' (x = x+ - x-, two passes) or 'offset' (one pass plus a stored row sum).
        readout: detectors and converters.
        crosstalk: False keeps each ring on its own channel only (an ideal, crosstalk-free bank).
        heater_bits: resolution of the heater DACs over [0, max_detuning] (None = ideal).
        ring_lengths: explicit ring round trips (µm, one per channel), e.g. from a layout
            (:func:`photrain.layout.cells.weight_bank_geometry`); default: trimmed to the channels from ``radius``.
        chip_seed: seed of the static errors.
    """

    def __init__(self, n_channels: int, n_rows: int = 1, *, spacing: float = 0.0016, wl_center: float = WL0,
                 radius: float = 5.0, coupling: float = 0.03, loss_db_per_cm: float = LOSS_DB_PER_CM,
                 pitch: float = 30.0, max_detuning: float = 0.5, calibration_steps: int = 5, headroom: float = 0.9,
                 resonance_sigma: float = 0.0, extinction_ratio_db: float = 30.0, signed: str = "differential",
                 readout: Readout = IDEAL, crosstalk: bool = True, heater_bits: int | None = None,
                 ring_lengths=None, chip_seed: int = 0):
        if int(n_channels) < 1 or int(n_rows) < 1:
            raise ValueError(f"n_channels and n_rows must be >= 1; got {n_channels}, {n_rows}")
        check_finite(spacing=spacing, wl_center=wl_center, radius=radius, coupling=coupling, pitch=pitch,
                     loss_db_per_cm=loss_db_per_cm, max_detuning=max_detuning, resonance_sigma=resonance_sigma,
                     extinction_ratio_db=extinction_ratio_db, ring_lengths=ring_lengths)
        check_wavelengths(wl_center, "wl_center")
        if not radius > 0:
            raise ValueError(f"radius must be > 0 µm; got {radius}")
        coupling = float(coupling) if np.ndim(coupling) == 0 else np.asarray(coupling, dtype=float)
        if np.shape(coupling) not in ((), (int(n_channels),)) or not np.all((0 < coupling) & (coupling < 1)):
            raise ValueError(f"coupling must be in (0, 1), a scalar or one per channel; got {coupling}")
        if np.ndim(pitch) and np.shape(pitch) != (int(n_channels) - 1,):
            raise ValueError(f"pitch must be a scalar or {int(n_channels) - 1} values (µm); got shape {np.shape(pitch)}")
        if spacing <= 0 or loss_db_per_cm < 0 or np.any(np.asarray(pitch) < 0) or resonance_sigma < 0:
            raise ValueError("spacing must be > 0 and loss_db_per_cm, pitch, resonance_sigma >= 0")
        if not 0 < max_detuning <= 1:
            raise ValueError(f"max_detuning is a fraction of the channel spacing in (0, 1]; got {max_detuning}")
        if signed not in ("differential", "offset"):
            raise ValueError(f"signed must be 'differential' or 'offset'; got {signed!r}")
        self.n_channels, self.n_rows = int(n_channels), int(n_rows)
        self.spacing, self.coupling, self.loss_db_per_cm, self.pitch = spacing, coupling, loss_db_per_cm, pitch
        if heater_bits is not None and int(heater_bits) < 1:
            raise ValueError(f"heater_bits must be >= 1 or None; got {heater_bits}")
        self.calibration_steps, self.signed, self.readout, self.crosstalk = calibration_steps, signed, readout, crosstalk
        if not 0 < headroom <= 1:
            raise ValueError(f"headroom is a fraction of the single-ring weight range in (0, 1]; got {headroom}")
        self.headroom = float(headroom)
        self.heater_bits = heater_bits
        self.wl0 = wl_center
        # channel wavelengths and ring lengths stay host float64: the round-trip phases are reduced mod 4 pi from them
        # (photrain.models.optics.propagation_phase), exact whatever JAX's default float is
        self.channels = np.asarray(channel_wavelengths(self.n_channels, wl_center=wl_center, spacing=spacing), float)
        if ring_lengths is None:
            ring_lengths = resonant_lengths(np.asarray(self.channels), radius=radius)
        elif np.shape(ring_lengths) != (self.n_channels,) or np.any(np.asarray(ring_lengths) <= 0):
            raise ValueError(f"ring_lengths must be {self.n_channels} positive lengths (µm); got {ring_lengths}")
        self.lengths = np.asarray(ring_lengths, dtype=np.float64)
        mean_length = float(np.mean(np.asarray(self.lengths)))
        self.fsr = fsr = float(ring_fsr(wl_center, ng=NG, length=mean_length))
        if self.n_channels * spacing > fsr:
            raise ValueError(f"{self.n_channels} channels x {spacing} um exceed the ring FSR {fsr:.4g} um; "
                             "use fewer channels per bank, a smaller radius or a denser grid")
        # heater phase per unit wavelength shift: d(phi)/d(wl) = 2 pi n_g L / wl^2
        self.phase_per_spacing = 2 * np.pi * spacing / fsr
        self.max_phase = max_detuning * self.phase_per_spacing
        # the input modulators' extinction floor (the readout's modulator model when it has one)
        self.floor = readout.modulator.floor if readout.modulator is not None else 10 ** (-extinction_ratio_db / 10)
        key = jax.random.PRNGKey(chip_seed)
        # jax.random.normal(key, (rows, channels)), drawn on the host from a shared compiled draw (counter_hash)
        self.offset = jnp.asarray(resonance_sigma * fabrication_normal(key, (self.n_rows, self.n_channels)))
        r = np.sqrt(1 - coupling)
        self._a = 10 ** (-loss_db_per_cm * np.asarray(self.lengths) * 1e-4 / 20)  # per ring (N,)
        self._x, self._r = r * r * self._a, r
        self.w_max = float(jnp.min(self.single_ring_weight(0.0)))
        self.w_min = float(jnp.max(self.single_ring_weight(self.max_phase)))
        self.w_range = min(self.w_max, -self.w_min)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_rows, self.n_channels

    @property
    def linewidth(self) -> float:
        """Ring FWHM (µm) from the loaded Q (Bogaerts et al. 2012, eq. 8)."""
        x = float(np.mean(self._x))
        return self.fsr * (1 - x) / (np.pi * np.sqrt(x))

    # ------------------------------------------------------------ single-ring closed form

    def _ring(self, dtype=None):
        """(r, a) of every ring (N,) as arrays of ``dtype`` (default: JAX's default float): the closed forms' parameters."""
        dtype = dtype or float
        return jnp.asarray(self._r, dtype), jnp.asarray(self._a, dtype)

    def single_ring_weight(self, phase):
        """w = T_drop - T_through of each ring at its own channel, detuned by ``phase`` (rad); broadcasts over rings.

        :func:`photrain.models.rings.ring_balanced_weight` with r1 = r2 = r (both buses couple alike).
        """
        phase = jnp.asarray(phase)
        r, a = self._ring(phase.dtype if jnp.issubdtype(phase.dtype, jnp.floating) else jnp.float32)
        return ring_balanced_weight(phase, r1=r, r2=r, a=a)

    def single_ring_transmissions(self, phase):
        """(T_drop, T_through) power of each ring at its own channel, detuned by ``phase`` (rad).

        :func:`photrain.models.rings.ring_drop_power` and ``ring_through_power`` (Bogaerts et al.,
        Laser Photonics Rev. 6, 47 (2012), eqs. 4-5) with r1 = r2 = r and each ring's round-trip amplitude a.
        """
        phase = jnp.asarray(phase)
        r, a = self._ring(phase.dtype if jnp.issubdtype(phase.dtype, jnp.floating) else jnp.float32)
        return ring_drop_power(phase, r1=r, r2=r, a=a), ring_through_power(phase, r1=r, r2=r, a=a)

    def invert_weight(self, w):
        """Detuning (rad, in [0, max_phase]) that gives single-ring weight ``w``: closed-form inverse
        (:func:`photrain.models.rings.ring_balanced_detuning`, exact near resonance in float32),
        then the heater DAC. Computed in ``w``'s floating dtype.
        """
        w = jnp.asarray(w)
        dtype = w.dtype if jnp.issubdtype(w.dtype, jnp.floating) else jnp.float32
        r, a = self._ring(dtype)
        phase = jnp.minimum(ring_balanced_detuning(w.astype(dtype), r1=r, r2=r, a=a), self.max_phase)
        if self.heater_bits is not None:
            phase = quantize(phase, bits=self.heater_bits, full_scale=self.max_phase, signed=False)
        return phase

    # ------------------------------------------------------------ physics

    def response(self, detuning):
        """Drop and through field amplitudes (M, N) for heater detunings (M, N)."""
        total = jnp.clip(detuning, 0.0, None) + self.offset
        return bank_response(total, self.lengths, self.channels, coupling=self.coupling,
                             loss_db_per_cm=self.loss_db_per_cm, pitch=self.pitch, wl0=self.wl0,
                             crosstalk=self.crosstalk)

    def spectrum(self, settings: BankSettings, wl):
        """(T_drop, T_through) power (rows, W) of every programmed row for a probe at wavelengths ``wl`` (µm, 1-D).

        Sweeps the bank's transmission without touching ``channels`` (every ring acts on every
        wavelength: the full Redheffer solve, crosstalk included).
        """
        total = jnp.clip(settings.detuning, 0.0, None) + self.offset
        drop, thru = bank_response(total, self.lengths, self.channels, coupling=self.coupling,
                                   loss_db_per_cm=self.loss_db_per_cm, pitch=self.pitch, wl0=self.wl0, wl=wl)
        rows = settings.shape[0]
        return jnp.abs(drop[:rows]) ** 2, jnp.abs(thru[:rows]) ** 2

    def weights(self, detuning):
        """Balanced-detection weights T_drop - T_through (M, N), dimensionless."""
        drop, thru = self.response(detuning)
        return jnp.abs(drop) ** 2 - jnp.abs(thru) ** 2

    def program(self, w, *, calibrate: bool = True) -> BankSettings:
        """Map a target matrix (rows <= M, cols <= N) to heater detunings.

        W is scaled into [-headroom w_range, headroom w_range]; each
        ring starts from the closed-form single-ring inverse, then
        ``calibration_steps`` iterations of d <- d + (target - measured) correct
        for crosstalk and static errors (the measurement is the bank's own response).
        """
        target, scale = self._normalise(w)
        detuning = self._calibrate(target, self.calibration_steps if calibrate else 0)
        return BankSettings(detuning, jnp.asarray(scale), tuple(np.shape(w)))

    def _normalise(self, w):
        check_matrix(w, "w")
        w = np.asarray(w, dtype=float)
        if w.ndim != 2 or w.shape[0] > self.n_rows or w.shape[1] > self.n_channels:
            raise ValueError(f"matrix shape {w.shape} does not fit this {self.shape} bank; "
                             "tile it: photrain.cores.program_tiles(bank, w) and tile_matvec(bank, tiled, x)")
        if not np.all(np.isfinite(w)):
            raise ValueError("matrix contains NaN or inf")
        scale = float(np.max(np.abs(w))) / (self.headroom * self.w_range) if np.any(w) else 1.0
        target = np.zeros(self.shape)
        target[: w.shape[0], : w.shape[1]] = w / scale
        return jnp.asarray(target), scale

    def _calibrate(self, target, steps):
        desired = target
        detuning = self.invert_weight(desired)
        for _ in range(steps):
            desired = desired + (target - self.weights(detuning))
            detuning = self.invert_weight(desired)
        return detuning

    def weight_error(self, w, settings: BankSettings):
        """RMS error of the realised weights vs the target, as a fraction of the usable range."""
        target, _ = self._normalise(w)
        rows, cols = settings.shape
        err = (self.weights(settings.detuning) - target)[:rows, :cols]
        return float(jnp.sqrt(jnp.mean(err**2)) / self.w_range)

    def effective_matrix(self, settings: BankSettings):
        """The realised matrix in matrix units (rows x cols)."""
        rows, cols = settings.shape
        return settings.scale * self.weights(settings.detuning)[:rows, :cols]

    def passes_per_matvec(self) -> int:
        return 2 if self.signed == "differential" else 1

    def transmissions(self, settings: BankSettings):
        """Drop and through power transmissions (M, N) of programmed settings: what a batch multiplies."""
        drop, thru = self.response(settings.detuning)
        return jnp.abs(drop) ** 2, jnp.abs(thru) ** 2

    def matvec(self, x, settings: BankSettings, key=None):
        """Batch product y = W x (x: (batch, cols)) through modulators, rings, balanced detectors and ADCs.

        See :func:`bank_matvec`; the rows beyond the target's are dropped.
        """
        x = jnp.atleast_2d(jnp.asarray(x, dtype=float))
        rows, cols = settings.shape
        if x.shape[-1] != cols:
            raise ValueError(f"input has {x.shape[-1]} features but the programmed matrix has {cols} columns")
        x = jnp.pad(x, ((0, 0), (0, self.n_channels - cols)))
        t_drop, t_thru = self.transmissions(settings)
        y = bank_matvec(x, t_drop, t_thru, settings.scale, key, readout=self.readout, rows_per_bank=self.n_rows,
                        floor=self.floor, signed=self.signed)
        return y[:, :rows]

    def compile(self, w, *, calibrate: bool = True) -> CompiledBank:
        """Program a (rows x cols <= n_channels) matrix over as many row blocks as needed, once.

        Returns the power transmissions of every row (each block is a physical
        bank of ``n_rows`` rows) and each row's digital scale, for
        :func:`bank_matvec` inside a jitted training step. With ``calibrate``
        (default) every block is set by the crosstalk-aware iterative calibration
        of :meth:`program` against the bank's full solver (inter-channel
        crosstalk, drop-bus interference and static errors corrected), and the
        transmissions are the solver's: what a fixed matrix such as the DFA
        feedback B should use; ``calibrate=False`` keeps the isolated-ring inverse.
        """
        check_matrix(w, "w")
        w = np.asarray(w, dtype=float)
        if w.ndim != 2 or w.shape[1] > self.n_channels:
            raise ValueError(f"matrix shape {w.shape}: columns must be <= {self.n_channels} channels")
        drops, thrus, scales = [], [], []
        for r0 in range(0, w.shape[0], self.n_rows):
            block = w[r0 : r0 + self.n_rows]
            settings = self.program(block, calibrate=calibrate)
            t_drop, t_thru = self.transmissions(settings)
            drops.append(t_drop[: block.shape[0], : w.shape[1]])
            thrus.append(t_thru[: block.shape[0], : w.shape[1]])
            scales.append(jnp.full((block.shape[0],), settings.scale))
        return CompiledBank(jnp.concatenate(drops), jnp.concatenate(thrus), jnp.concatenate(scales))


    def program_blocks(self, w, *, shared_scale: bool | None = None) -> CompiledBank:
        """Jittable re-programming of a whole matrix (R, C) onto column blocks of this bank.

        The controller's per-batch write: C is split into ceil(C / n_channels)
        column blocks (each one pass of a physical bank with ``n_channels``
        channels; rows are split over banks of ``n_rows``, which only sets the
        power per row). Each (row, block) is scaled by its own max |w| into the
        usable range (``shared_scale``: one scale per row over all its blocks, as
        an integrating receiver needs; default: whether this bank's readout
        integrates) and set by the closed-form single-ring inverse, heater-DAC
        quantised. The bank is taken as calibrated: each ring acts on its own
        channel only (inter-channel crosstalk and static errors are what the
        slow, iterative :meth:`program` removes; they are left out here).

        Runs in ``w``'s dtype: the half-angle closed forms
        (:func:`photrain.models.rings.ring_balanced_detuning`) keep float32
        exact near resonance, so a float32 matrix is programmed in float32.

        Returns a :class:`CompiledBank` with t_drop, t_thru of shape
        (R, blocks, n_channels) and scale (R, blocks), for :func:`blocked_matvec`
        (row-major like ``w``: no transposition on the way to the products).
        """
        wb, scale = self._column_blocks(w, shared_scale)
        r, a = self._ring(wb.dtype)
        s = ring_balanced_sin2(wb / scale[..., None], r1=r, r2=r, a=a)  # sin^2(phase / 2): no trigonometry
        half_max = self.max_phase / 2
        if self.heater_bits is None:
            s = jnp.minimum(s, np.sin(half_max) ** 2)
            # materialise s once: XLA would otherwise recompute the chain above for each of the two outputs
            t_drop, t_thru = ring_powers_from_sin2(jax.lax.optimization_barrier(s), r1=r, r2=r, a=a)
            return CompiledBank(t_drop, t_thru, scale)
        # the heater DAC quantises the phase (heater power): each ring sits at one of 2^bits codes, so its
        # (T_drop, T_thru) is one entry of its channel's transfer table (short series on [0, max_phase / 2])
        phase = jnp.minimum(2 * _asin_sqrt(s, np.sin(half_max) ** 2), self.max_phase)
        code = quantize_code(phase, bits=self.heater_bits, full_scale=self.max_phase, signed=False)
        # one gather of both transmissions into two planes (two gathers, an interleaved pair, or the index chain
        # fused into the gather run slower on CPUs)
        t = jnp.take(self.heater_table(wb.dtype).T, _materialise(code + self._code_base), axis=1,
                     mode="clip")  # (2, R, blocks, n_channels); codes are in range by construction
        return CompiledBank(t[0], t[1], scale)

    def _column_blocks(self, w, shared_scale: bool | None):
        """``w`` (R, C) as column blocks (R, blocks, n_channels), zero-padded, and each block's scale (R, blocks):
        max |w| over the block (over the row with ``shared_scale``; default: whether the readout integrates)
        mapped to the usable weight range ``w_range``. Shared by every bank's :meth:`program_blocks`."""
        w = jnp.asarray(w)
        if w.ndim != 2 or w.size == 0:
            raise ValueError(f"w must be a non-empty 2-D matrix; got shape {w.shape}")
        if not jnp.issubdtype(w.dtype, jnp.floating):
            w = w.astype(jnp.float32)
        shared = self.readout.integrating if shared_scale is None else shared_scale
        rows, cols = w.shape
        n_blk = -(-cols // self.n_channels)
        wb = jnp.pad(w, ((0, 0), (0, n_blk * self.n_channels - cols))).reshape(rows, n_blk, self.n_channels)
        peak = jnp.max(jnp.abs(wb), axis=-1)  # (R, blocks)
        if shared:
            peak = jnp.broadcast_to(jnp.max(peak, axis=1, keepdims=True), peak.shape)
        return wb, jnp.where(peak > 0, peak / self.w_range, 1.0).astype(w.dtype)

    @property
    def _code_base(self):
        """Offset of each channel's transfer table in :meth:`heater_table`'s flat code axis (n_channels,)."""
        return jnp.arange(self.n_channels, dtype=jnp.int32) * 2**self.heater_bits

    def heater_table(self, dtype=jnp.float32):
        """(T_drop, T_thru) of every ring channel at every heater-DAC code: shape (n_channels * 2^bits, 2).

        Code k sets the detuning k LSB (:func:`photrain.models.converters.quantize` over [0, max_phase]);
        row c 2^bits + k is channel c's single-ring closed form
        (:func:`photrain.models.rings.ring_powers_from_sin2`) there. Evaluated in ``dtype`` with the same
        series as the closed-form path, so a tabulated bank equals the per-ring evaluation exactly.
        """
        if self.heater_bits is None:
            raise ValueError("heater_table needs a heater DAC: heater_bits is None (ideal heaters)")
        levels = 2**self.heater_bits
        lsb = self.max_phase / (levels - 1)
        phase = jnp.arange(levels, dtype=dtype) * jnp.asarray(lsb, dtype)
        r, a = self._ring(dtype)
        s = _sin2_half(phase, self.max_phase)[None, :]  # (1, levels)
        r, a = (jnp.broadcast_to(v, (self.n_channels,))[:, None] for v in (r, a))  # per channel (n_channels, 1)
        t_drop, t_thru = ring_powers_from_sin2(s, r1=r, r2=r, a=a)
        return jnp.stack([jnp.broadcast_to(t_drop, (self.n_channels, levels)).reshape(-1),
                          jnp.broadcast_to(t_thru, (self.n_channels, levels)).reshape(-1)], axis=-1)


def _materialise(x):
    """``x``, computed into memory before its consumer runs.

    A table lookup whose index chain XLA fuses into the gather is evaluated as a scalar loop (4x slower
    on CPU than the vectorised index fusion plus a plain gather); XLA does not fuse across a
    conditional, and ``optimization_barrier`` is dropped by the CPU compiler. Both branches return ``x``.
    """
    return jax.lax.cond(x.ravel()[0] >= 0, lambda v: v, lambda v: v + 0, x)


def _asin_sqrt(s, s_max: float):
    """arcsin(sqrt(s)) for s in [0, s_max]: its Maclaurin series in s when s_max <= 0.1 (float32-exact with the
    terms kept: the first omitted one is below 1e-9 relative), else ``jnp.arcsin`` (slow on CPUs)."""
    if s_max > 0.1:
        return jnp.arcsin(jnp.sqrt(s))
    # arcsin(z) = sum_k (2k)! / (4^k (k!)^2 (2k + 1)) z^(2k + 1)
    coef = [math.comb(2 * k, k) / (4**k * (2 * k + 1)) for k in range(12)]
    n = next(k for k in range(1, 12) if coef[k] * s_max**k < 1e-9)
    acc = coef[n - 1]
    for c in reversed(coef[: n - 1]):
        acc = acc * s + c
    return jnp.sqrt(s) * acc


def _sin2_half(phase, phase_max: float):
    """sin^2(phase / 2) for phase in [0, phase_max]: Taylor series of sin when phase_max <= 1 rad (float32-exact),
    else ``jnp.sin``."""
    z = phase / 2
    if phase_max > 1.0:
        return jnp.sin(z) ** 2
    z2 = z * z
    acc = 1.0
    for k in range(6, 0, -1):  # sin z = z (1 - z^2/3! + z^4/5! - ...); the z^13 term is < 1e-13 at z = 0.5
        acc = 1.0 - acc * z2 / ((2 * k) * (2 * k + 1))
    return (z * acc) ** 2
