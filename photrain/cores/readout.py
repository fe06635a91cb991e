"""Opto-electronic boundary of a core: input DACs/modulators and output detectors/ADCs."""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from photrain.cores.modulator import InputModulator
from photrain.models import detectors
from photrain.models.converters import quantize
from photrain.models.fast_random import normal
from photrain.models.sources import rin_std

RECEIVERS = ("per-block", "integrating")


@dataclass(frozen=True)
class Readout:
    """Detector chain and converters shared by the cores.

    Attributes:
        power_per_channel: optical power per input channel/mode at full scale (W).
        responsivity: photodiode responsivity (A/W).
        bandwidth: receiver noise bandwidth (Hz) = symbol rate.
        load_resistance: effective thermal-noise resistance (Ohm).
        temperature: K.
        dark_current: A per photodiode.
        rin_db_hz: laser RIN (dB/Hz) on each channel, None for none.
        dac_bits: input DAC resolution (None = ideal).
        adc_bits: output ADC resolution (None = ideal).
        adc_headroom: ADC full scale as a fraction of the largest possible photocurrent.
        noise: master switch for detector and RIN noise. With ``noise`` on, every product needs a
            ``jax.random`` key (``key=None`` raises ``ValueError``: noise is never skipped silently);
            build the core with ``noise=False`` (:data:`IDEAL`) for the noiseless mean.
        receiver: how a matrix wider than the core's channels is read out.
            'per-block': every column block (one optical pass) is detected, converted by the
            ADC and rescaled on its own; the partial sums are added digitally.
            'integrating': the balanced photocurrents of a row's column blocks accumulate on
            the receiver's integrating capacitor (charge adds in the analog domain) and are
            converted once. Its noise is one Gaussian draw with the summed variance of the
            reads (exact: independent Gaussian terms), and all blocks of a row share one
            digital scale and one input DAC full scale (nothing digital sits between them).
        integrator_full_scale: ADC full scale of the integrating receiver, in units of one
            full-power channel's photocurrent; None = n_ch sqrt(n_blocks), which gives the same
            total quantisation-noise power as n_blocks per-block reads of full scale n_ch.
        fast_noise: draw detector and RIN noise with :func:`photrain.models.fast_random.fast_normal`
            (counter hash + Box-Muller, ~5x cheaper than Threefry on a CPU); False uses ``jax.random.normal``.
        modulator: the input DAC + modulator of an intensity core (:class:`photrain.cores.modulator.InputModulator`:
            MZM or ring transfer, extinction floor, predistortion); None keeps the linear intensity
            model (DAC code = intensity, the bank's own extinction floor). Used by the bank's passes.
    """

    power_per_channel: float = 1e-3
    responsivity: float = detectors.RESPONSIVITY
    bandwidth: float = 10e9
    load_resistance: float = detectors.LOAD_RESISTANCE
    temperature: float = detectors.TEMPERATURE
    dark_current: float = detectors.DARK_CURRENT
    rin_db_hz: float | None = None
    dac_bits: int | None = None
    adc_bits: int | None = None
    adc_headroom: float = 1.0
    noise: bool = True
    receiver: str = "per-block"
    integrator_full_scale: float | None = None
    fast_noise: bool = True
    modulator: InputModulator | None = None

    def __post_init__(self):
        if self.receiver not in RECEIVERS:
            raise ValueError(f"Readout.receiver must be one of {RECEIVERS}; got {self.receiver!r}")
        if self.integrator_full_scale is not None and not self.integrator_full_scale > 0:
            raise ValueError(f"Readout.integrator_full_scale must be > 0 channels or None; got {self.integrator_full_scale}")
        for name in ("power_per_channel", "bandwidth", "load_resistance", "adc_headroom"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Readout.{name} must be > 0; got {getattr(self, name)}")
        for name in ("responsivity", "temperature", "dark_current"):
            if getattr(self, name) < 0:
                raise ValueError(f"Readout.{name} must be >= 0; got {getattr(self, name)}")

    def noisy(self, key) -> bool:
        """Whether a product with this ``key`` draws noise: False with ``noise`` off, True with a key.

        Raises ``ValueError`` for ``noise=True`` without a key (a product asked for noise it cannot draw).
        """
        if not self.noise:
            return False
        if key is None:
            raise ValueError("this core's Readout has noise=True, so its products need a key: pass "
                             "key=jax.random.PRNGKey(...) to matvec, or build the core with Readout(noise=False) "
                             "(photrain.cores.IDEAL) for the noiseless mean")
        return True

    def encode(self, u, *, signed: bool):
        """Quantise normalised drive levels u (in [0, 1] or [-1, 1]) with the input DAC."""
        if self.dac_bits is None:
            return jnp.clip(u, -1.0 if signed else 0.0, 1.0)
        return quantize(u, bits=self.dac_bits, full_scale=1.0, signed=signed)

    def digitise(self, current, full_scale):
        """ADC on a photocurrent (A) with the given full scale (A); ideal if adc_bits is None."""
        if self.adc_bits is None:
            return current
        return quantize(current, bits=self.adc_bits, full_scale=full_scale * self.adc_headroom, signed=True)

    @property
    def integrating(self) -> bool:
        return self.receiver == "integrating"

    def normal(self, key, shape, dtype):
        """Standard normal draws for one read (the generator chosen by ``fast_noise``)."""
        return normal(key, shape, dtype, fast=self.fast_noise)

    def rin(self, powers, key):
        """Apply laser RIN (shared by everything fed from the same line) to channel powers."""
        if not self.noisy(key) or self.rin_db_hz is None:
            return powers
        with jax.ensure_compile_time_eval():  # a Python float keeps float32 arrays float32
            std = float(rin_std(1.0, rin_db_hz=self.rin_db_hz, bandwidth=self.bandwidth))
        return powers * (1 + std * self.normal(key, powers.shape, powers.dtype))

    def noise_variance(self, power_total, reads=1):
        """Balanced-receiver current variance (A^2) for P+ + P- = ``power_total`` (W) summed over ``reads`` reads."""
        return detectors.balanced_variance(
            power_total, responsivity=self.responsivity, dark_current=self.dark_current, bandwidth=self.bandwidth,
            temperature=self.temperature, load_resistance=self.load_resistance, reads=reads)

    def detect(self, current, power_total, key, reads=1):
        """Add receiver noise (one draw per read, variance from :meth:`noise_variance`) to a mean current (A)."""
        if not self.noisy(key):
            return current
        std = jnp.sqrt(self.noise_variance(power_total, reads)).astype(current.dtype)
        return current + std * self.normal(key, current.shape, current.dtype)

    def balanced(self, p_plus, p_minus, key):
        """Balanced photodiode currents (A) with shot + thermal noise when ``noise`` and ``key``."""
        return detectors.balanced_photodiode(
            p_plus, p_minus, key=key if self.noisy(key) else None, responsivity=self.responsivity,
            dark_current=self.dark_current, bandwidth=self.bandwidth, temperature=self.temperature,
            load_resistance=self.load_resistance,
        )


IDEAL = Readout(noise=False)
