"""Device models: pure, jittable functions of wavelength (µm) returning sax SDicts,
and opto-electronic models (sources, detectors, converters) as plain jittable functions.
"""

from photrain.models.converters import adc, dac, lsb, quantize
from photrain.models.couplers import (
    coupler,
    coupler_power,
    coupling_from_gap,
    mmi1x2,
    mmi2x2,
    ring_coupler,
    ring_interaction_length,
    y_branch,
)
from photrain.models.detectors import balanced_photodiode, photocurrent_variance, photodiode, tia
from photrain.models.grating_couplers import grating_coupler, grating_coupler_transmission
from photrain.models.heaters import heater_p_pi, heater_resistance, thermal_crosstalk, v_pi
from photrain.models.mzi import coupler_matrix, mz_modulator, mzi2x2, mzi_matrix, mzm_split_ratio
from photrain.models.phase_shifters import (
    carrier_phase,
    phase_shifter_carrier,
    phase_shifter_thermal,
    power_for_phase,
    thermal_phase,
)
from photrain.models.rings import (
    ring_add_drop,
    ring_allpass,
    ring_drop_power,
    ring_fsr,
    ring_loaded_q,
    ring_modulator,
    ring_through_power,
    round_trip,
)
from photrain.models.sources import comb, laser, rin_std
from photrain.models.waveguides import bend_circular, bend_euler, euler_bend_length, straight
from photrain.models.wdm import channel_wavelengths, resonant_lengths, ring_demux, ring_mux

#: Passive S-parameter models by photrain name.
SMODELS = {
    "straight": straight,
    "bend_circular": bend_circular,
    "bend_euler": bend_euler,
    "coupler": coupler,
    "coupler_power": coupler_power,
    "ring_coupler": ring_coupler,
    "mmi1x2": mmi1x2,
    "mmi2x2": mmi2x2,
    "y_branch": y_branch,
    "phase_shifter_thermal": phase_shifter_thermal,
    "phase_shifter_carrier": phase_shifter_carrier,
    "mzi2x2": mzi2x2,
    "mz_modulator": mz_modulator,
    "ring_allpass": ring_allpass,
    "ring_add_drop": ring_add_drop,
    "ring_modulator": ring_modulator,
    "ring_demux": ring_demux,
    "ring_mux": ring_mux,
    "grating_coupler": grating_coupler,
}

__all__ = [name for name in dir() if not name.startswith("_")]
