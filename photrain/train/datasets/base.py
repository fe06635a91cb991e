"""What every dataset is: a :class:`Dataset` of flattened float32 images and int32 labels, 8-bit image sets
read as float32 where indexed (:class:`Uint8Images`), and where the data live (:func:`data_dir`)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class Uint8Images:
    """8-bit images (n, features) kept as their uint8 codes and read as float32 only where indexed.

    MNIST's 60 000 training images take 47 MB this way instead of 188 MB as float32: a training run
    gathers one chunk of batches at a time (:func:`photrain.train.trainer.train`), so the float32 copy
    of the whole set is never needed. Indexing (``images[rows]``) returns float32
    x = code / 255, then (x - shift) / scale once :meth:`standardized`: the same float32 operations,
    in the same order, as converting the whole array first, so the values are bit-identical.
    ``np.asarray(images)`` converts everything (for code that needs a plain array).
    """

    dtype = np.dtype(np.float32)
    ndim = 2

    def __init__(self, codes: np.ndarray, shift: float | None = None, scale: float | None = None):
        codes = np.asarray(codes)
        if codes.dtype != np.uint8:
            raise ValueError(f"Uint8Images holds uint8 pixel codes; got dtype {codes.dtype}")
        self.codes = codes.reshape(len(codes), -1)
        self.shift, self.scale = shift, scale

    @property
    def shape(self) -> tuple[int, int]:
        return self.codes.shape

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, index) -> np.ndarray:
        x = self.codes[index].astype(np.float32)  # a copy, scaled in place
        x /= np.float32(255)
        if self.shift is not None:
            x -= np.float32(self.shift)
            x /= np.float32(self.scale)
        return x

    def __array__(self, dtype=None, copy=None):
        x = self[:]
        return x if dtype is None else x.astype(dtype, copy=False)

    def moments(self) -> tuple[float, float]:
        """(mean, standard deviation) of the unit-scaled pixels x = code / 255 over every image and pixel,
        in float64 from the histogram of the 256 codes (exact sums; no float copy of the images)."""
        counts = np.zeros(256, np.float64)
        for i in range(0, len(self.codes), 4096):  # bincount widens to int64: 4096 rows at a time
            counts += np.bincount(self.codes[i : i + 4096].ravel(), minlength=256)
        values = (np.arange(256, dtype=np.float32) / np.float32(255)).astype(np.float64)
        n = counts.sum()
        mean = float(counts @ values / n)
        return mean, float(np.sqrt(counts @ np.square(values - mean) / n))

    def standardized(self, mean: float, std: float) -> Uint8Images:
        """The same images read as (code / 255 - mean) / std."""
        return Uint8Images(self.codes, mean, std)


@dataclass(frozen=True)
class Dataset:
    """Flattened float32 images in [0, 1] and int32 labels.

    ``x_train`` of MNIST / Fashion-MNIST is a :class:`Uint8Images` (indexing gives float32 rows);
    elsewhere images are float32 arrays.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]


def data_dir(path: str | Path | None = None) -> Path:
    """Resolve the data directory: argument, ``PHOTRAIN_DATA_DIR``, or ``~/.cache/photrain``."""
    if path is not None:
        return Path(path)
    env = os.environ.get("PHOTRAIN_DATA_DIR")
    return Path(env) if env else Path.home() / ".cache" / "photrain"
