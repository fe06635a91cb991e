"""MNIST-backrand: MNIST digits on uniform random backgrounds, built from the MNIST IDX files (no download).

Larochelle et al., "An empirical evaluation of deep architectures on problems with many factors of
variation", ICML 2007: "mnist-back-rand" puts a random background behind each digit, every background
pixel drawn uniformly from 0-255; their set has 10,000 training, 2,000 validation and 50,000 test images.
Ambrogio et al., Nature 558, 60 (2018) trained on it with PCM + 3T1C synapses. Here the set is rebuilt
from the local MNIST files with a fixed seed, so it is the same on every machine:

* background: a uint8 code drawn uniformly from {0, ..., 255} per pixel (NumPy's PCG64 generator seeded by
  ``seed``: bit-identical across platforms);
* composition: the pixel-wise maximum of the digit and the background (the strokes stay bright, the
  background is noise: our reading of the paper's "inserted" background; its exact compositing rule was
  not at hand);
* split: ``n_train`` training images (default 12,000 = Larochelle's training + validation) drawn without
  replacement from MNIST's 60,000 training images, and MNIST's 10,000 test images as the test set (so a
  model pre-trained on MNIST's training set has never seen a test digit). Larochelle's test set is 50,000
  images: ours is smaller.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from photrain.train.datasets.base import Dataset, Uint8Images
from photrain.train.datasets.idx import load_idx_dataset


def add_random_background(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """uint8 digit images (any shape) on uniform random backgrounds: max(digit, U{0..255}) per pixel."""
    codes = np.asarray(codes)
    if codes.dtype != np.uint8:
        raise ValueError(f"add_random_background takes uint8 pixel codes (0-255); got dtype {codes.dtype}")
    return np.maximum(codes, rng.integers(0, 256, codes.shape, dtype=np.uint8))


def build_backrand(x_train, y_train, x_test, y_test, *, seed: int = 0, n_train: int = 12_000) -> Dataset:
    """MNIST-backrand from MNIST's uint8 images (n, 28, 28) or (n, 784) and labels (module docstring)."""
    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    if not 1 <= n_train <= len(x_train):
        raise ValueError(f"n_train must be between 1 and the {len(x_train)} MNIST training images; got {n_train}")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(x_train), n_train, replace=False))
    tr = add_random_background(x_train[rows].reshape(n_train, -1), rng)
    te = add_random_background(x_test.reshape(len(x_test), -1), rng)
    xte = te.astype(np.float32)
    xte /= np.float32(255)
    return Dataset("mnist-backrand", Uint8Images(tr), np.asarray(y_train)[rows].astype(np.int32), xte,
                   np.asarray(y_test).astype(np.int32), 10)


def load_mnist_backrand(root: str | Path | None = None, *, seed: int = 0, n_train: int = 12_000) -> Dataset:
    """MNIST-backrand built from ``<data_dir>/mnist/`` (never downloads; the MNIST files must be there)."""
    mnist = load_idx_dataset("mnist", root, download=False)
    test_codes = np.rint(np.asarray(mnist.x_test) * 255).astype(np.uint8)  # the loader's x / 255, inverted exactly
    return build_backrand(mnist.x_train.codes, mnist.y_train, test_codes, mnist.y_test, seed=seed, n_train=n_train)
