"""Compatibility alias: the core argument checks are public in :mod:`photrain.cores.checks`."""

from photrain.cores.checks import check_finite, check_matrix

__all__ = ["check_finite", "check_matrix"]
