"""Compatibility alias: the shared optics helpers are public in :mod:`photrain.models.optics`."""

from photrain.models.optics import *  # noqa: F403
from photrain.models.optics import LOSS_DB_PER_CM, NEFF, NG, WL0, db_per_cm_to_amplitude, db_to_amplitude, neff_at, propagation

__all__ = ["LOSS_DB_PER_CM", "NEFF", "NG", "WL0", "db_per_cm_to_amplitude", "db_to_amplitude", "neff_at", "propagation"]
