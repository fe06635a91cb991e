"""Compatibility alias: the model argument checks are public in :mod:`photrain.models.checks`."""

from photrain.models.checks import check_nonnegative, check_positive, check_range, check_wavelength, check_wavelengths

__all__ = ["check_nonnegative", "check_positive", "check_range", "check_wavelength", "check_wavelengths"]
