"""Power the bank's ring heaters hold: the drawn ring heater at the bank's operating point.

P_hold = P_pi phi / pi (:func:`photrain.models.phase_shifters.power_for_phase`), with

* P_pi of the drawn :func:`photrain.layout.cells.bank_ring` heater
  (:data:`photrain.layout.heater_layout.RING_HEATER`: its resistor squares and heated ring length
  through :mod:`photrain.models.heaters`), so the layout, not a separate constant, sets the cost;
* phi the round-trip phase a heater holds in the default bank
  (:class:`photrain.cores.MRRWeightBank` ``(10, 64)``, rings trimmed to their channels at zero power):
  :data:`BANK_MEAN_DETUNING`, the mean over a programmed matrix of weights spread evenly over
  [-1, 1] (crosstalk-aware calibration on), and :data:`BANK_MAX_DETUNING`, the top of the heater
  range (``max_detuning`` x 2 pi spacing / FSR).

The two phases are copied here (programming a bank compiles JAX code, seconds) and
:func:`bank_detuning` recomputes them; tests/test_heaters.py asserts the copies and the powers, so
a change of the bank's defaults or of the drawing fails the tests instead of leaving the energy
table stale.
"""

from __future__ import annotations

from photrain.layout.heater_layout import RING_HEATER

#: rad: mean heater phase of the default bank for weights spread evenly over [-1, 1] (:func:`bank_detuning`).
BANK_MEAN_DETUNING = 0.037956263523216
#: rad: the default bank's largest heater phase (:func:`bank_detuning`).
BANK_MAX_DETUNING = 0.2735258910503533

# power_for_phase(BANK_*_DETUNING, p_pi=RING_HEATER.p_pi), written out so that importing the controller
# starts no JAX computation; tests/test_heaters.py recomputes both.
#: W per ring: the drawn heater held at the mean detuning (the energy table's reference value).
RING_HOLD_POWER_MEAN = 0.0005400410407729123
#: W per ring: the drawn heater held at the top of its range (the energy table's conservative value).
RING_HOLD_POWER_MAX = 0.0038917215017969507

SOURCE = (f"from the layout: the drawn bank_ring heater (photrain.layout.heater_layout.RING_HEATER: "
          f"{RING_HEATER.resistance:.0f} ohm, P_pi {1e3 * RING_HEATER.p_pi:.1f} mW per round-trip pi, "
          f"photrain.models.heaters) held at the default bank's mean detuning for weights spread over [-1, 1] "
          f"({BANK_MEAN_DETUNING:.3f} rad, reference) or at the top of its heater range ({BANK_MAX_DETUNING:.3f} rad, "
          f"conservative); rings assumed trimmed to their channels at zero power "
          f"(photrain.controller.heater_power)")


def bank_detuning(bank=None) -> tuple[float, float]:
    """(mean, max) heater phase (rad) of ``bank`` (default ``MRRWeightBank(10, 64)``) programmed with weights
    spread evenly over [-1, 1] (``linspace``, row-major), calibration on; max is the heater range's top."""
    import numpy as np

    from photrain.cores import MRRWeightBank

    bank = MRRWeightBank(10, 64) if bank is None else bank
    rows, cols = bank.shape
    w = np.linspace(-1.0, 1.0, rows * cols).reshape(rows, cols)
    settings = bank.program(w)
    return float(np.mean(np.asarray(settings.detuning))), float(bank.max_phase)

