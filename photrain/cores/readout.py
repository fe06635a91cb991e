"""Opto-electronic boundary of a core: input DACs/modulators and output detectors/ADCs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from photrain.models import detectors
from photrain.models.converters import quantize


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
        noise: master switch for detector noise.
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

    def __post_init__(self):
        for name in ("power_per_channel", "bandwidth", "load_resistance", "adc_headroom"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Readout.{name} must be > 0; got {getattr(self, name)}")
        for name in ("responsivity", "temperature", "dark_current"):
            if getattr(self, name) < 0:
                raise ValueError(f"Readout.{name} must be >= 0; got {getattr(self, name)}")

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

    def rin(self, powers, key):
        """Apply laser RIN (shared by everything fed from the same line) to channel powers."""
        if key is None or self.rin_db_hz is None or not self.noise:
            return powers
        std = math.sqrt(10.0 ** (self.rin_db_hz / 10.0) * self.bandwidth)  # a Python float keeps float32 arrays float32
        return powers * (1 + std * jax.random.normal(key, powers.shape, powers.dtype))

    def balanced(self, p_plus, p_minus, key):
        """Balanced photodiode currents (A) with shot + thermal noise when ``noise`` and ``key``."""
        return detectors.balanced_photodiode(
            p_plus, p_minus, key=key if self.noise else None, responsivity=self.responsivity,
            dark_current=self.dark_current, bandwidth=self.bandwidth, temperature=self.temperature,
            load_resistance=self.load_resistance,
        )


IDEAL = Readout(noise=False)
