"""Incoherent microring weight bank (broadcast-and-weight; Tait et al., J. Lightwave Technol. 32, 4029 (2014)).

N WDM channels (one per input) are broadcast to M rows. Row i is a bus of N
add-drop rings, ring j tuned near channel j; a balanced photodiode on the drop
and through ends reads sum_j P_j (T_drop,ij - T_through,ij), so each weight is
w_ij = T_drop - T_through in about [-1, 1] (Filipovich et al., Optica 9, 1323 (2022)).

The structured solver is exact for rings that do not reflect: each ring
couples the forward input bus to the backward drop bus, and the rings along
a row are combined with the Redheffer star product, for all rows and
channels at once. Every ring acts on every channel, so the Lorentzian tails
(inter-channel crosstalk) and the coherent paths through the drop bus are in.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photrain.cores._checks import check_finite, check_matrix
from photrain.cores.readout import IDEAL, Readout
from photrain.models._checks import check_wavelengths
from photrain.models._optics import LOSS_DB_PER_CM, NEFF, NG, WL0, propagation
from photrain.models.converters import quantize
from photrain.models.rings import ring_add_drop, ring_fsr
from photrain.models.wdm import channel_wavelengths, resonant_lengths


class BankSettings(NamedTuple):
    """Heater detunings (rad of round-trip phase, >= 0) of a rows x channels bank and the digital scale."""

    detuning: jax.Array  # (M, N)
    scale: jax.Array  # () matrix units per unit weight
    shape: tuple  # (rows, cols) of the target (static)


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
def bank_response(detuning, lengths, channels, *, coupling, loss_db_per_cm, pitch, wl0, crosstalk=True):
    """(drop, through) field amplitudes, each (M, N): row i, channel j, for heater ``detuning`` (M, N)
    (round-trip phase, rad, at each ring's own channel).

    ``lengths`` (N,) ring round trips (µm); ``channels`` (N,) wavelengths (µm); ``coupling`` scalar or (N,)
    per ring; ``pitch`` (µm) scalar or (N - 1,) bus lengths between consecutive rings' coupling points.
    With ``crosstalk=False`` each channel sees only its own ring (the ideal used for inversion).
    """
    wl = channels[None, None, :]  # (1, 1, N) channel axis
    # detuning is the phase at each ring's own channel; a thermo-optic phase scales as 1/wl
    det = detuning[:, :, None] * channels[None, :, None] / wl  # (M, K rings, N channels)
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
    p = propagation(channels[None, :], length=gaps[:, None], neff=NEFF, ng=NG, wl0=wl0, loss_db_per_cm=loss_db_per_cm)
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
        resonance_sigma: static per-ring resonance error (rad of round-trip phase, per chip).
        extinction_ratio_db: input modulators' extinction ratio (sets a power floor).
        signed: 'differential' (x = x+ - x-, two passes) or 'offset' (one pass plus a stored row sum).
        readout: detectors and converters.
        crosstalk: False keeps each ring on its own channel only (an ideal, crosstalk-free bank).
        heater_bits: resolution of the heater DACs over [0, max_detuning] (None = ideal).
        ring_lengths: explicit ring round trips (µm, one per channel), e.g. from a layout
            (:func:`photrain.circuits.cells.weight_bank_geometry`); default: trimmed to the channels from ``radius``.
        chip_seed: seed of the static errors.
    """

    def __init__(self, n_channels: int, n_rows: int = 1, *, spacing: float = 0.0016, wl_center: float = WL0,
                 radius: float = 5.0, coupling: float = 0.03, loss_db_per_cm: float = LOSS_DB_PER_CM,
                 pitch: float = 30.0, max_detuning: float = 0.5, calibration_steps: int = 5,
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
        self.heater_bits = heater_bits
        self.wl0 = wl_center
        self.channels = jnp.asarray(channel_wavelengths(self.n_channels, wl_center=wl_center, spacing=spacing))
        if ring_lengths is None:
            ring_lengths = resonant_lengths(np.asarray(self.channels), radius=radius)
        elif np.shape(ring_lengths) != (self.n_channels,) or np.any(np.asarray(ring_lengths) <= 0):
            raise ValueError(f"ring_lengths must be {self.n_channels} positive lengths (µm); got {ring_lengths}")
        self.lengths = jnp.asarray(ring_lengths, dtype=float)
        mean_length = float(np.mean(np.asarray(self.lengths)))
        self.fsr = fsr = float(ring_fsr(wl_center, ng=NG, length=mean_length))
        if self.n_channels * spacing > fsr:
            raise ValueError(f"{self.n_channels} channels x {spacing} um exceed the ring FSR {fsr:.4g} um; "
                             "use fewer channels per bank, a smaller radius or a denser grid")
        # heater phase per unit wavelength shift: d(phi)/d(wl) = 2 pi n_g L / wl^2
        self.phase_per_spacing = 2 * np.pi * spacing / fsr
        self.max_phase = max_detuning * self.phase_per_spacing
        self.floor = 10 ** (-extinction_ratio_db / 10)
        key = jax.random.PRNGKey(chip_seed)
        self.offset = resonance_sigma * jax.random.normal(key, (self.n_rows, self.n_channels))
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

    def single_ring_weight(self, phase):
        """w = T_drop - T_through of each ring at its own channel, detuned by ``phase`` (rad); broadcasts over rings."""
        r, a, x = self._r, self._a, self._x
        c = jnp.cos(phase)
        den = 1 - 2 * x * c + x**2
        return ((1 - r**2) ** 2 * a - (r**2 * a**2 - 2 * x * c + r**2)) / den

    def single_ring_transmissions(self, phase):
        """(T_drop, T_through) power of each ring at its own channel, detuned by ``phase`` (rad).

        Symmetric add-drop ring (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012), eqs. 5-6)
        with self-coupling r and round-trip amplitude a: T_drop = (1 - r^2)^2 a / D,
        T_through = (r^2 a^2 - 2 r^2 a cos(phase) + r^2) / D, D = 1 - 2 r^2 a cos(phase) + r^4 a^2.
        """
        r, a, x = self._r, self._a, self._x
        c = jnp.cos(phase)
        den = 1 - 2 * x * c + x**2
        return (1 - r**2) ** 2 * a / den, (r**2 * a**2 - 2 * x * c + r**2) / den

    def invert_weight(self, w):
        """Detuning (rad, in [0, max_phase]) that gives single-ring weight ``w``: closed-form inverse.

        From w (1 + x^2 - 2 x c) = A - B + 2 x c with A = k^2 a, B = r^2 (1 + a^2):
        c = (w (1 + x^2) - A + B) / (2 x (1 + w)).
        """
        r, a, x = self._r, self._a, self._x
        w = jnp.clip(w, self.w_min, self.w_max)
        big_a, big_b = (1 - r**2) ** 2 * a, r**2 * (1 + a**2)
        c = (w * (1 + x**2) - big_a + big_b) / (2 * x * (1 + w))
        phase = jnp.clip(jnp.arccos(jnp.clip(c, -1.0, 1.0)), 0.0, self.max_phase)
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

    def weights(self, detuning):
        """Balanced-detection weights T_drop - T_through (M, N), dimensionless."""
        drop, thru = self.response(detuning)
        return jnp.abs(drop) ** 2 - jnp.abs(thru) ** 2

    def program(self, w, *, calibrate: bool = True) -> BankSettings:
        """Map a target matrix (rows <= M, cols <= N) to heater detunings.

        W is scaled into the symmetric usable range [-w_range, w_range]; each
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
            raise ValueError(f"matrix shape {w.shape} does not fit this {self.shape} bank; use photrain.cores.tile")
        if not np.all(np.isfinite(w)):
            raise ValueError("matrix contains NaN or inf")
        scale = float(np.max(np.abs(w))) / self.w_range if np.any(w) else 1.0
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

    def compile(self, w) -> CompiledBank:
        """Program a (rows x cols <= n_channels) matrix over as many row blocks as needed, once.

        Returns the power transmissions of every row (each block is a physical
        bank of ``n_rows`` rows) and each row's digital scale, for
        :func:`bank_matvec` inside a jitted training step.
        """
        check_matrix(w, "w")
        w = np.asarray(w, dtype=float)
        if w.ndim != 2 or w.shape[1] > self.n_channels:
            raise ValueError(f"matrix shape {w.shape}: columns must be <= {self.n_channels} channels")
        drops, thrus, scales = [], [], []
        for r0 in range(0, w.shape[0], self.n_rows):
            block = w[r0 : r0 + self.n_rows]
            settings = self.program(block)
            t_drop, t_thru = self.transmissions(settings)
            drops.append(t_drop[: block.shape[0], : w.shape[1]])
            thrus.append(t_thru[: block.shape[0], : w.shape[1]])
            scales.append(jnp.full((block.shape[0],), settings.scale))
        return CompiledBank(jnp.concatenate(drops), jnp.concatenate(thrus), jnp.concatenate(scales))


    def program_blocks(self, w) -> CompiledBank:
        """Jittable re-programming of a whole matrix (R, C) onto column blocks of this bank.

        The controller's per-batch write: C is split into ceil(C / n_channels)
        column blocks (each one pass of a physical bank with ``n_channels``
        channels; rows are split over banks of ``n_rows``, which only sets the
        power per row). Each (row, block) is scaled by its own max |w| into the
        usable range and set by the closed-form single-ring inverse, heater-DAC
        quantised. The bank is taken as calibrated: each ring acts on its own
        channel only (inter-channel crosstalk and static errors are what the
        slow, iterative :meth:`program` removes; they are left out here).

        Returns a :class:`CompiledBank` with t_drop, t_thru of shape
        (blocks, R, n_channels) and scale (blocks, R), for :func:`blocked_matvec`.
        """
        if np.ndim(w) != 2 or np.size(w) == 0:
            raise ValueError(f"w must be a non-empty 2-D matrix; got shape {np.shape(w)}")
        rows, cols = w.shape
        n_blk = -(-cols // self.n_channels)
        out_dtype = w.dtype
        if jax.config.jax_enable_x64:  # arccos near resonance (c -> 1) loses sqrt(eps) of phase in float32
            w = w.astype(jnp.float64)
        wb = jnp.pad(w, ((0, 0), (0, n_blk * self.n_channels - cols))).reshape(rows, n_blk, self.n_channels)
        wb = jnp.transpose(wb, (1, 0, 2))  # (blocks, R, N)
        peak = jnp.max(jnp.abs(wb), axis=-1)
        scale = jnp.where(peak > 0, peak / self.w_range, 1.0)
        phase = self.invert_weight(wb / scale[..., None])
        t_drop, t_thru = self.single_ring_transmissions(phase)
        return CompiledBank(t_drop.astype(out_dtype), t_thru.astype(out_dtype), scale.astype(out_dtype))


def blocked_matvec(x, blocks: CompiledBank, key, *, readout: Readout, rows_per_bank: int, floor: float, signed: str):
    """y = W x for x (batch, C) on column blocks from :meth:`MRRWeightBank.program_blocks`; partial sums digital.

    Every block is one optical pass (:func:`bank_matvec`: its own DAC full
    scale, detector noise and ADC); the block outputs are added digitally.
    """
    n_blk, _, n_ch = blocks.t_drop.shape
    cols = x.shape[-1]
    xb = jnp.pad(x, ((0, 0), (0, n_blk * n_ch - cols))).reshape(x.shape[0], n_blk, n_ch).transpose(1, 0, 2)
    keys = jax.random.split(key, n_blk) if key is not None else None

    def one(xi, td, tt, sc, k):
        return bank_matvec(xi, td, tt, sc, k, readout=readout, rows_per_bank=rows_per_bank, floor=floor, signed=signed)

    if keys is None:
        parts = jax.vmap(lambda xi, td, tt, sc: one(xi, td, tt, sc, None))(xb, blocks.t_drop, blocks.t_thru, blocks.scale)
    else:
        parts = jax.vmap(one)(xb, blocks.t_drop, blocks.t_thru, blocks.scale, keys)
    return parts.sum(axis=0)


class CompiledBank(NamedTuple):
    """Power transmissions (R, C) and per-row scales (R,) of a matrix programmed on bank row blocks."""

    t_drop: jax.Array
    t_thru: jax.Array
    scale: jax.Array


def bank_matvec(x, t_drop, t_thru, scale, key, *, readout: Readout, rows_per_bank: int, floor: float, signed: str):
    """Pure, jittable weight-bank product y = W x for a batch x (batch, C); returns (batch, R).

    Channel powers P_j = P (f + (1 - f) u_j), u_j in [0, 1] the DAC-quantised
    drive and f the modulator's extinction floor, with the laser RIN; each
    row receives 1/``rows_per_bank`` of every channel. A balanced photodiode
    reads sum_j P_j (T_drop - T_thru) with shot and thermal noise, then the ADC.
    Signed inputs: 'differential' sends x+ and x- in two passes and
    subtracts; 'offset' sends (x/|x|max + 1)/2 and removes the known row sums.
    Results are rescaled digitally to matrix units (``scale``: scalar or (R,)).
    """
    ro = readout
    p_row = ro.power_per_channel / rows_per_bank
    n_ch = x.shape[-1]
    xmax = jnp.maximum(jnp.max(jnp.abs(x), axis=-1, keepdims=True), 1e-30)
    keys = [None] * 4 if key is None else list(jax.random.split(key, 4))

    def optical_pass(u, k_rin, k_det):
        u = ro.encode(u, signed=False)
        power = ro.rin(p_row * (floor + (1 - floor) * u), k_rin)
        current = ro.balanced(power @ t_drop.T, power @ t_thru.T, k_det)
        current = ro.digitise(current, ro.responsivity * p_row * n_ch)
        return current / (ro.responsivity * p_row * (1 - floor))

    if signed == "differential":
        u_plus, u_minus = jnp.clip(x, 0, None) / xmax, jnp.clip(-x, 0, None) / xmax
        y = optical_pass(u_plus, keys[0], keys[1]) - optical_pass(u_minus, keys[2], keys[3])
    else:
        row_sum = (t_drop - t_thru).sum(axis=1)
        y_opt = optical_pass((x / xmax + 1) / 2, keys[0], keys[1])
        y = 2 * (y_opt - floor / (1 - floor) * row_sum) - row_sum
    return y * xmax * scale
