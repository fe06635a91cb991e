"""Electrical crossbar core: conductances in, Ohm/Kirchhoff currents out (analog in-memory computing).

A weight matrix W (rows = outputs, cols = inputs) lives in differential pairs of
conductances, W = w_per_siemens (G+ - G-) (siemens). Physically input j drives
word line j with a read voltage V_j; output i is a pair of bit lines that sum
the cell currents (Kirchhoff's current law) of the G+ and G- columns; a
transimpedance amplifier (TIA) on each reads its current and the two are
subtracted (Ohm's law per cell, I = G V):

    I_i = sum_j (G+_ij - G-_ij) V_j                        (matvec: y = x W^T)

and driving the bit-line pairs (+V on G+, -V on G-) while reading the word
lines gives the transpose, I_j = sum_i (G+_ij - G-_ij) V_i (``matvec_t``: y = x W),
as in-situ training reads Wᵀ·δ (e.g. Li et al., Nat. Commun. 9, 2385 (2018);
Yi et al., Nat. Electron. 6, 45 (2023)).

Signal chain of one read (conventions of :class:`photrain.cores.readout.Readout`):

* DAC: each input vector is scaled by its largest magnitude (digital, undone at
  the end) to u in [-1, 1], quantised by a signed ``dac_bits`` DAC and applied
  as V = read_voltage u (bipolar read pulses).
* Read noise: every cell's conductance fluctuates per read with relative std
  ``read_noise`` (random telegraph / 1/f noise of filamentary devices). The
  terms add before one TIA read, so the output gets one Gaussian draw per read
  with the summed variance read_noise^2 sum_j V_j^2 (G+_ij^2 + G-_ij^2) (counter-hash normals,
  :func:`photrain.models.fast_random.normal`, as the banks' detector noise).
* TIA: thermal noise 4 k_B T B / R_f per amplifier (two per output in
  ``matvec``, one per line in ``matvec_t``) and shot noise 2 q B sum_j |V_j| (G+_ij + G-_ij)
  of the independent cell currents (:func:`photrain.models.detectors.photocurrent_variance`,
  Agrawal eqs. 4.4.5 and 4.4.8, with no dark current).
* ADC: each tile's output current is quantised by a signed ``adc_bits`` ADC of
  full scale adc_headroom x read_voltage x (g_max - g_min) x (lines of a tile, the
  largest possible current; or ``adc_range`` inputs, e.g. aihwkit's calibrated 20,
  ``adc_range_t`` for the transposed read; never more lines than the product drives),
  then tiles' partial sums are added
  digitally and scaled back to weight units: y = I / read_voltage x max|x| x w_per_siemens.

Matrices larger than the physical array (``n_rows`` x ``n_cols``) are split
into tiles of ``n_cols`` inputs (``n_rows`` outputs for ``matvec_t``), each with
its own ADCs, inside one jittable ``matvec``; :func:`photrain.cores.tile_matvec`
also works (blocks programmed with :meth:`CrossbarCore.program`).

Defaults (assumed unless cited): 128 x 128 arrays (the order of the 128 x 64
1T1R arrays of Li et al. 2018); read voltage 0.2 V (below the switching
threshold of TaOx/HfOx cells, as in those in-situ training demonstrations);
read_noise 1 % (assumed; filamentary RRAM shows random telegraph noise of a few
per cent, Ambrogio et al., IEEE Trans. Electron Devices 61, 2920 (2014)); TIA
100 kΩ feedback, 10 MHz bandwidth (a 100 ns read), 300 K; conductance window
5-100 µS for :meth:`program` (that of :class:`photrain.memory.rram.RRAMMemory`;
set g_min/g_max to the memory's window so the ADC full scale matches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from photrain.models import detectors, fast_random
from photrain.models.converters import quantize
from photrain.xla_forms import computed_once, max_last


def _rounded(product, like):
    """``product`` as it is (its float32 rounding), never contracted with the add it feeds into a fused multiply-add:
    its bits pass through an integer OR with a zero XLA cannot fold (from ``like``'s first element, x != x). Whether
    LLVM fuses a*a + b*b into fma(a, a, b*b), fma(b, b, a*a) or neither depends on the fusion it lands in (issue 27:
    the conductance stacks built whole and patched device by device differed in the last bit), so the stacks' terms
    are computed with no multiply feeding an add."""
    first = like.reshape(-1)[0]
    zero = (first != first).astype(jnp.uint32)
    return jax.lax.bitcast_convert_type(jax.lax.bitcast_convert_type(product, jnp.uint32) | zero, product.dtype)


class CrossbarSettings(NamedTuple):
    """A programmed crossbar: differential-pair conductances (S), shape (rows, cols) = W's, and the scale."""

    g_pos: jax.Array
    g_neg: jax.Array
    w_per_siemens: jax.Array  # () weight units per siemens of G+ - G-
    #: (forward, transposed) conductance stacks the products contract against (:meth:`CrossbarCore.stack`),
    #: prepared once per programming; None: each product prepares its own
    stacks: tuple | None = None


@dataclass(frozen=True)
class CrossbarReadout:
    """Converters and transimpedance amplifiers of a crossbar, in :class:`~photrain.cores.readout.Readout`'s conventions.

    Attributes:
        dac_bits: input DAC resolution (None = ideal).
        adc_bits: output ADC resolution (None = ideal).
        adc_headroom: multiplies the ADC full scale (as in Readout).
        adc_range: ADC full scale as the current of this many inputs at full read voltage on cells at
            G+ - G- = g_max - g_min; None: the whole tile (the largest possible current, a worst-case design
            that leaves typical outputs a few LSBs). aihwkit's calibrated choice is 20
            (``PresetIOParameters.out_bound``: "how many fully-on inputs would saturate the output ADC").
            Never above the lines a product drives: a matrix narrower than the tile cannot draw more current.
        adc_range_t: the same for the transposed read (:meth:`CrossbarCore.matvec_t`, read on the word
            lines by their own converters); None = ``adc_range``. aihwkit keeps separate forward and
            backward converter settings (``forward`` / ``backward`` IOParameters) for the same reason: the
            two directions sum different numbers of lines of different activity.
        noise: master switch for read and TIA noise; with it on, every product needs a key (:meth:`noisy`).
        tia_noise: TIA thermal and line shot noise on/off (conductance read noise stays).
        bandwidth: TIA noise bandwidth (Hz) = 1 / read time.
        load_resistance: TIA feedback resistance (Ohm), sets the thermal noise.
        temperature: K.
        power_per_channel: optical power per input (W): 0, a crossbar uses no light (for
            :func:`photrain.cores.tile_counts`, whose optical energy is then 0).
    """

    dac_bits: int | None = None
    adc_bits: int | None = None
    adc_headroom: float = 1.0
    adc_range: float | None = None
    adc_range_t: float | None = None
    noise: bool = True
    tia_noise: bool = True
    bandwidth: float = 10e6
    load_resistance: float = 100e3
    temperature: float = detectors.TEMPERATURE
    power_per_channel: float = 0.0

    def __post_init__(self):
        for name in ("adc_headroom", "bandwidth", "load_resistance"):
            if not getattr(self, name) > 0:
                raise ValueError(f"CrossbarReadout.{name} must be > 0; got {getattr(self, name)}")
        for name in ("adc_range", "adc_range_t"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise ValueError(f"CrossbarReadout.{name} must be > 0 inputs (or None for the whole tile); got {v}")
        if self.temperature < 0:
            raise ValueError(f"CrossbarReadout.temperature must be >= 0 K; got {self.temperature}")
        if self.power_per_channel != 0:
            raise ValueError("CrossbarReadout.power_per_channel must be 0: a crossbar uses no light")

    def noisy(self, key) -> bool:
        """Whether a product with this ``key`` draws noise: False with ``noise`` off, True with a key.

        Raises ``ValueError`` for ``noise=True`` without a key, as :meth:`photrain.cores.Readout.noisy` does
        (a product asked for noise it cannot draw is never silently noiseless).
        """
        if not self.noise:
            return False
        if key is None:
            raise ValueError("this crossbar's CrossbarReadout has noise=True, so its products need a key: pass "
                             "key=jax.random.PRNGKey(...) to matvec/matvec_t, or build the core with "
                             "CrossbarReadout(noise=False) for the noiseless mean")
        return True

    def encode(self, u):
        """Signed DAC on normalised inputs u in [-1, 1] (ideal clip when dac_bits is None)."""
        if self.dac_bits is None:
            return jnp.clip(u, -1.0, 1.0)
        return quantize(u, bits=self.dac_bits, full_scale=1.0, signed=True)

    def digitise(self, current, full_scale):
        """Signed ADC on a current (A) with full scale ``full_scale`` x adc_headroom (A); ideal if adc_bits is None."""
        if self.adc_bits is None:
            return current
        return quantize(current, bits=self.adc_bits, full_scale=full_scale * self.adc_headroom, signed=True)

    def tia_variance(self, cell_current_abs, n_amplifiers: int):
        """Current noise variance (A^2) of a read: shot noise 2 q I B of the summed |cell currents| plus
        ``n_amplifiers`` TIAs' thermal noise 4 k_B T B / R_f (detectors.photocurrent_variance, no dark current)."""
        one = detectors.photocurrent_variance(cell_current_abs, dark_current=0.0, bandwidth=self.bandwidth,
                                              temperature=self.temperature, load_resistance=self.load_resistance)
        thermal = detectors.photocurrent_variance(0.0, dark_current=0.0, bandwidth=self.bandwidth,
                                                  temperature=self.temperature, load_resistance=self.load_resistance)
        return one + (n_amplifiers - 1) * thermal


class CrossbarCore:
    """An ``n_rows`` x ``n_cols`` resistive crossbar of differential pairs (module docstring).

    Args:
        n_rows: outputs per tile (bit-line pairs).
        n_cols: inputs per tile (word lines).
        g_min, g_max: conductance window (S) used by :meth:`program` and the ADC full scale.
        read_voltage: amplitude of a full-scale read pulse (V).
        read_noise: relative std of a cell's conductance per read.
        readout: DAC, ADC and TIA (:class:`CrossbarReadout`).
    """

    def __init__(self, n_rows: int = 128, n_cols: int = 128, *, g_min: float = 5e-6, g_max: float = 100e-6,
                 read_voltage: float = 0.2, read_noise: float = 0.01, readout: CrossbarReadout | None = None):
        if int(n_rows) != n_rows or int(n_cols) != n_cols or n_rows < 1 or n_cols < 1:
            raise ValueError(f"n_rows and n_cols must be integers >= 1; got {n_rows}, {n_cols}")
        if not 0 <= g_min < g_max:
            raise ValueError(f"crossbar: g_min ({g_min} S) must be >= 0 and < g_max ({g_max} S)")
        if not read_voltage > 0:
            raise ValueError(f"crossbar: read_voltage must be > 0 V; got {read_voltage}")
        if not read_noise >= 0:
            raise ValueError(f"crossbar: read_noise is a relative std, >= 0; got {read_noise}")
        self.n_rows, self.n_cols = int(n_rows), int(n_cols)
        self.g_min, self.g_max = float(g_min), float(g_max)
        self.read_voltage, self.read_noise = float(read_voltage), float(read_noise)
        self.readout = CrossbarReadout() if readout is None else readout

    @property
    def shape(self) -> tuple[int, int]:
        return self.n_rows, self.n_cols

    def passes_per_matvec(self) -> int:
        """Bipolar read voltages: one read per product."""
        return 1

    # ------------------------------------------------------------ programming

    def program(self, w) -> CrossbarSettings:
        """Map a matrix onto differential pairs: G+ = g_min + max(w, 0) / k, G- = g_min + max(-w, 0) / k,
        with k = max|w| / (g_max - g_min) weight units per siemens (the largest weight uses the full window).
        For digital memories; jittable."""
        w = jnp.asarray(w, jnp.float32)
        if w.ndim != 2:
            raise ValueError(f"crossbar: expected a 2-D matrix; got shape {w.shape}")
        if not isinstance(w, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(w))):
            raise ValueError("crossbar: matrix contains NaN or inf")
        peak = jnp.max(jnp.abs(w))
        k = jnp.where(peak > 0, peak, 1.0) / (self.g_max - self.g_min)
        return self._prepared(self.g_min + jnp.maximum(w, 0) / k, self.g_min + jnp.maximum(-w, 0) / k, k)

    def from_conductances(self, g_pos, g_neg, w_per_siemens) -> CrossbarSettings:
        """Settings straight from a memory's differential pairs (``memory.conductances(state)``): the products
        are computed in the memory, with its real conductances."""
        g_pos, g_neg = jnp.asarray(g_pos), jnp.asarray(g_neg)
        if g_pos.shape != g_neg.shape or g_pos.ndim != 2:
            raise ValueError(f"crossbar: g_pos and g_neg must be 2-D of one shape; got {g_pos.shape}, {g_neg.shape}")
        return self._prepared(g_pos, g_neg, jnp.asarray(w_per_siemens, g_pos.dtype))

    def _prepared(self, g_pos, g_neg, k) -> CrossbarSettings:
        """Settings with both directions' conductance stacks (a jitted step keeps only those its products use)."""
        return CrossbarSettings(g_pos, g_neg, k, (self.stack(g_pos, g_neg, tile=self.n_cols),
                                                  self.stack(g_pos.T, g_neg.T, tile=self.n_rows)))

    def effective_matrix(self, settings: CrossbarSettings):
        """The realised matrix W = w_per_siemens (G+ - G-) (rows x cols)."""
        return settings.w_per_siemens * (settings.g_pos - settings.g_neg)

    # ------------------------------------------------------------ products

    def matvec(self, x, settings: CrossbarSettings, key=None):
        """y = x @ W.T for a batch x (batch, cols): drive the word lines, read the bit-line pairs."""
        return self._product(x, settings.g_pos, settings.g_neg, settings.w_per_siemens, key,
                             tile=self.n_cols, amplifiers=2, stack=None if settings.stacks is None else settings.stacks[0])

    def matvec_t(self, x, settings: CrossbarSettings, key=None):
        """y = x @ W for a batch x (batch, rows): drive the bit-line pairs, read the word lines."""
        return self._product(x, settings.g_pos.T, settings.g_neg.T, settings.w_per_siemens, key,
                             tile=self.n_rows, amplifiers=1, transpose=True,
                             stack=None if settings.stacks is None else settings.stacks[1])

    def noise_shape(self, settings: CrossbarSettings, batch: int, *, transpose: bool = False):
        """Shape (tiles, batch, outputs) of the standard normals one noisy product draws (its reads: one per
        output of every tile), or None when its products draw none (noise off)."""
        ro = self.readout
        if not ro.noise or not (self.read_noise > 0 or ro.tia_noise):
            return None
        outputs, inputs = settings.g_pos.shape[::-1] if transpose else settings.g_pos.shape
        return self._tiling(inputs, self.n_rows if transpose else self.n_cols)[1], int(batch), outputs

    def noise_std(self, x, settings: CrossbarSettings, *, transpose: bool = False):
        """Predicted std of each output (weight units, (batch, outputs)) from read and TIA noise, before the ADC."""
        gp, gn = (settings.g_pos.T, settings.g_neg.T) if transpose else (settings.g_pos, settings.g_neg)
        tile = self.n_rows if transpose else self.n_cols
        vt, xmax = self._drive(x, gp, tile=tile)
        var = self._sums(vt, self.stack(gp, gn, tile=tile), amplifiers=1 if transpose else 2, noise=True)[1]
        return jnp.sqrt(var.sum(axis=0)) / self.read_voltage * xmax * settings.w_per_siemens

    @staticmethod
    def _tiling(n_inputs: int, tile: int) -> tuple[int, int, int]:
        """(lines per tile, tiles, padded lines) of a product over ``n_inputs`` lines on tiles of ``tile``
        (one partial tile has no padded lines: they would carry no current)."""
        tile = min(tile, n_inputs)
        n_t = -(-n_inputs // tile)
        return tile, n_t, n_t * tile - n_inputs

    def _drive(self, x, gp, *, tile):
        """Read voltages per tile (batch, tiles, tile) and the per-sample input scale."""
        x = jnp.atleast_2d(jnp.asarray(x, gp.dtype))
        if x.shape[-1] != gp.shape[1]:
            raise ValueError(f"crossbar: input has {x.shape[-1]} features but the array has {gp.shape[1]} inputs")
        tile, n_t, pad = self._tiling(gp.shape[1], tile)
        # the inputs padded before the DAC (the padded lines' conductances are 0, so whatever the DAC makes of them
        # carries no current): padding the encoded volts instead made XLA emit the DAC's chain element by element
        # (issue 27: ~20 us of a ~100 us EP sweep on CPU, 500 inputs on 128-line tiles)
        xmax = jnp.maximum(max_last(jnp.abs(x), keepdims=True), 1e-30)  # the halving form: issue 27, xla_forms
        x = jnp.pad(x, ((0, 0), (0, pad))) if pad else x
        v = self.read_voltage * self.readout.encode(x / xmax)  # (batch, padded inputs) volts
        return v.reshape(v.shape[0], n_t, tile), xmax

    def stack(self, gp, gn, *, tile):
        """The conductances a product contracts against, per tile: (terms, tiles, outputs, tile) with terms
        G+ - G- (the Kirchhoff current), then read_noise^2 (G+^2 + G-^2) (read noise) and 2 q B (G+ + G-)
        (shot noise of the cell currents; tia_variance(I, n) = 2 q B I + n 4 k_B T B / R_f is linear in I)
        where the readout has them. gp, gn: (outputs, inputs) of the direction."""
        tile, n_t, pad = self._tiling(gp.shape[1], tile)
        if pad:  # padded once into buffers: padding inside the terms' fused (and transposed) chain is slow on CPU
            gp, gn = computed_once((jnp.pad(gp, ((0, 0), (0, pad))), jnp.pad(gn, ((0, 0), (0, pad)))),
                                   jnp.max(gp[:1, :1]) == jnp.max(gp[:1, :1]))
            pad = 0
        conds = self._terms(gp, gn)
        # tiles major (the batched contraction's order, :meth:`_sums`), laid out here once per programming: in the
        # contraction's operand XLA transposed it in every product, inside a relaxation's loop too (issue 27)
        return jnp.stack([jnp.swapaxes(c.reshape(c.shape[0], n_t, tile), 0, 1) for c in conds])

    def _terms(self, gp, gn) -> list:
        """The stack's terms of conductances gp, gn (any one shape): elementwise, the same for a whole array
        (:meth:`stack`) and for a few devices (:meth:`patch`)."""
        ro = self.readout
        conds = [gp - gn]
        if self.read_noise > 0:
            conds.append(self.read_noise**2 * (_rounded(gp * gp, gp) + _rounded(gn * gn, gp)))
        if ro.tia_noise:
            conds.append((ro.tia_variance(1.0, 1) - ro.tia_variance(0.0, 1)) * (gp + gn))
        return conds

    def patch(self, settings: CrossbarSettings, g_pos, g_neg, w_per_siemens, idx) -> CrossbarSettings:
        """Settings of the conductances ``g_pos``, ``g_neg`` from those of conductances that differ from them only at
        the flat indices ``idx`` (int32, padded with ``g_pos.size``: ignored): both directions' stacks rewritten at
        those devices, the same values as :meth:`from_conductances` computes for all (issue 27: a mixed-precision
        write pulses ~1e-4 of the devices, and building a 500 x 784 layer's stacks cost more than its product)."""
        if settings.stacks is None:
            return self.from_conductances(g_pos, g_neg, w_per_siemens)
        rows, cols = g_pos.shape
        safe = jnp.minimum(idx, g_pos.size - 1)
        o, i = safe // cols, safe % cols
        terms = jnp.stack(self._terms(g_pos.reshape(-1)[safe], g_neg.reshape(-1)[safe]))  # (terms, hits)
        fwd, bwd = settings.stacks
        tile_f, tile_b = self._tiling(cols, self.n_cols)[0], self._tiling(rows, self.n_rows)[0]
        out = idx >= g_pos.size  # the padding: a tile index past the last, dropped by the scatter
        fwd = fwd.at[:, jnp.where(out, fwd.shape[1], i // tile_f), o, i % tile_f].set(terms, mode="drop")
        bwd = bwd.at[:, jnp.where(out, bwd.shape[1], o // tile_b), i, o % tile_b].set(terms, mode="drop")
        return CrossbarSettings(g_pos, g_neg, jnp.asarray(w_per_siemens, g_pos.dtype), (fwd, bwd))

    def _sums(self, vt, stack, *, amplifiers, noise):
        """(Kirchhoff currents, their noise variance) of every output of every tile, each (tiles, batch, outputs),
        in one batched contraction of [V, V^2, |V|] against :meth:`stack`: read noise read_noise^2 sum_j V_j^2
        (G+_j^2 + G-_j^2), shot noise 2 q B sum_j |V_j| (G+_j + G-_j) and ``amplifiers`` TIAs' thermal noise
        4 k_B T B / R_f. Without ``noise`` the variance is None."""
        ro = self.readout
        volts = [vt]
        if noise and self.read_noise > 0:
            volts.append(vt * vt)
        if noise and ro.tia_noise:
            volts.append(jnp.abs(vt))
        # tiles major on both sides: a batched dot whose operands XLA takes as they lie (batch dims, then a tile's
        # lines); contracting the stack's (terms, outputs, tiles, tile) order directly made XLA transpose it into
        # (terms, tiles, tile, outputs) element by element per product (issue 27: programming + W x of a 500 x 784
        # RRAM layer, batch 20, 3.25 -> 2.34 ms with the padding of stack(), loaded 2-core CPU)
        lhs = jnp.swapaxes(jnp.stack(volts), 1, 2)  # (terms, tiles, batch, tile)
        rhs = stack[: len(volts)].astype(vt.dtype)  # (terms, tiles, outputs, tile)
        out = jnp.einsum("stbn,ston->stbo", lhs, rhs)
        if not noise:
            return out[0], None
        var = out[1:].sum(axis=0) if len(volts) > 1 else jnp.zeros_like(out[0])
        return out[0], var + ro.tia_variance(0.0, amplifiers) if ro.tia_noise else var

    def adc_inputs(self, n_inputs: int, *, transpose: bool = False) -> float:
        """ADC full scale of a product over ``n_inputs`` lines, in fully-on inputs: the readout's range for
        the direction (the whole tile if None), never above the lines one tile of this product drives."""
        ro = self.readout
        tile = self.n_rows if transpose else self.n_cols
        rng = ro.adc_range_t if transpose and ro.adc_range_t is not None else ro.adc_range
        lines = min(tile, int(n_inputs))
        return float(lines if rng is None else min(rng, lines))

    def _product(self, x, gp, gn, k, key, *, tile, amplifiers, transpose=False, stack=None):
        """Batch product through DAC, Ohm/Kirchhoff, read and TIA noise, per-tile ADC; gp, gn: (outputs, inputs);
        ``stack``: this direction's :meth:`stack` if the programming prepared it."""
        ro = self.readout
        vt, xmax = self._drive(x, gp, tile=tile)
        noisy = (self.read_noise > 0 or ro.tia_noise) and ro.noisy(key)  # noise=True without a key raises
        stack = self.stack(gp, gn, tile=tile) if stack is None else stack
        current, var = self._sums(vt, stack, amplifiers=amplifiers, noise=noisy)  # per tile
        if noisy:
            current = current + jnp.sqrt(var) * fast_random.normal(key, current.shape, current.dtype)
        full_scale = self.read_voltage * self.adc_inputs(gp.shape[1], transpose=transpose) * (self.g_max - self.g_min)
        current = ro.digitise(current, full_scale).sum(axis=0)  # ADC per tile, partial sums added digitally
        y = current / self.read_voltage * xmax * k
        # one buffer: a conditional's result is never fused into its consumers, so the noise and converter
        # chain above is computed once (fused into every consumer instead, XLA would recompute it in each:
        # a relaxation sweep reads every product four times). The predicate is always true.
        return jax.lax.cond(jnp.all(xmax > 0), lambda v: v, lambda v: v + 0.0, y)
