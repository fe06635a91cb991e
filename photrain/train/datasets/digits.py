"""scikit-learn's 8x8 handwritten digits, split into training and test sets: always offline."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from photrain.train.datasets.base import Dataset


def digits_file() -> Path:
    """The digits table scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``: 1797 rows of 64 pixel values
    0..16 and the label), found without importing scikit-learn (its import costs ~1.2 s in every process that
    loads the digits: test workers, notebook kernels, sweep workers)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the digits dataset ships with scikit-learn: pip install scikit-learn")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"


def load_digits(seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """scikit-learn's 8x8 handwritten digits (1797 images, shipped with the package): always offline.

    Read as ``sklearn.datasets.load_digits`` reads it (the same table, tested equal), pixels scaled to [0, 1].
    """
    with gzip.open(digits_file(), "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    x = (table[:, :-1] / 16.0).astype(np.float32)
    y = table[:, -1].astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    te, tr = order[:n_test], order[n_test:]
    return Dataset("digits", x[tr], y[tr], x[te], y[te], 10)
