"""The dataset registry: every dataset by name (:data:`DATASETS`, :func:`load_dataset`), one module each in
:mod:`photrain.train.datasets` (MNIST / Fashion-MNIST from standard IDX files; MNIST-backrand built from the MNIST
files; scikit-learn's 8x8 digits and noisy Braille, offline), imported from here and never importing this module;
plus :func:`split_validation`.

The data directory is the ``data_dir`` argument, else ``PHOTRAIN_DATA_DIR``,
else ``~/.cache/photrain``. MNIST files live in ``<data_dir>/mnist/`` and
Fashion-MNIST in ``<data_dir>/fashion-mnist/`` under their standard names
(``train-images-idx3-ubyte.gz`` ...). Missing files are downloaded (and their
uncompressed MD5 checked) only when a network is reachable; otherwise the error
says where to put them. MNIST-backrand (Larochelle et al. 2007: MNIST digits on uniform random backgrounds) is
built from ``<data_dir>/mnist/`` with a fixed seed (:mod:`photrain.train.datasets.backrand`) and never downloads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from photrain.train.datasets.backrand import load_mnist_backrand
from photrain.train.datasets.base import Dataset, Uint8Images, data_dir
from photrain.train.datasets.braille import load_braille
from photrain.train.datasets.digits import load_digits
from photrain.train.datasets.idx import SOURCES, load_idx_dataset, read_idx

#: dataset name -> loader(root, download) -> Dataset. Every dataset is one module of photrain.train.datasets.
LOADERS = {
    "digits": lambda root, download: load_digits(),
    "braille": lambda root, download: load_braille(),  # noisy Braille cells / words, generated offline
    "braille-words": lambda root, download: load_braille(words=True),
    **{name: (lambda root, download, name=name: load_idx_dataset(name, root, download=download)) for name in SOURCES},
    "mnist-backrand": lambda root, download: _load_backrand(root),  # 12,000 training / 10,000 test images, seed 0
}
DATASETS = tuple(LOADERS)


def _load_backrand(root) -> Dataset:
    """MNIST-backrand with its defaults (seed 0, 12,000 training images); a missing MNIST file names the set."""
    try:
        return load_mnist_backrand(root)
    except FileNotFoundError as err:
        raise FileNotFoundError(f"mnist-backrand is built from the MNIST files (never downloaded): {err}") from err


def load_dataset(name: str, root: str | Path | None = None, *, download: bool = True) -> Dataset:
    """Load a dataset by name: 'digits', 'braille', 'braille-words' (offline), 'mnist', 'fashion-mnist' or
    'mnist-backrand' (built from the MNIST files)."""
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return LOADERS[name](root, download)

def split_validation(x, y, n_val: int, seed: int = 0):
    """Split (x, y) into the first ``n_val`` of a fixed permutation (validation) and the rest."""
    order = np.random.default_rng(seed).permutation(len(x))
    v, t = order[:n_val], order[n_val:]
    return (x[v], y[v]), (x[t], y[t])


__all__ = ["DATASETS", "LOADERS", "Dataset", "Uint8Images", "data_dir", "load_dataset", "load_digits", "load_idx_dataset",
           "read_idx", "split_validation"]
