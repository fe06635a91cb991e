"""Datasets: MNIST / Fashion-MNIST from standard IDX files; scikit-learn's 8x8 digits and noisy Braille offline.

The data directory is the ``data_dir`` argument, else ``PHOTRAIN_DATA_DIR``,
else ``~/.cache/photrain``. MNIST files live in ``<data_dir>/mnist/`` and
Fashion-MNIST in ``<data_dir>/fashion-mnist/`` under their standard names
(``train-images-idx3-ubyte.gz`` ...). Missing files are downloaded (and their
uncompressed MD5 checked) only when a network is reachable; otherwise the error
says where to put them.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

#: name -> (sub-folder, base URLs, MD5s in FILES order, what the MD5 covers: "raw" bytes or the "gz" file)
SOURCES = {
    # MNIST mirrors recompress the files, so the MD5 is of the uncompressed bytes (LeCun et al.'s values)
    "mnist": ("mnist", ("https://ossci-datasets.s3.amazonaws.com/mnist/",),
              ("6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624",
               "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637"), "raw"),
    # Fashion-MNIST: the official .gz MD5s (Xiao et al., zalandoresearch/fashion-mnist README)
    "fashion-mnist": ("fashion-mnist", ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
                      ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe",
                       "bef4ecab320f06d8554ea6380940ec79", "bb300cfdad3c16e7a12a480ee83cd310"), "gz"),
}
DATASETS = ("digits", "braille", "braille-words", *SOURCES)


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


def read_idx(path: Path) -> np.ndarray:
    """Read a (gzip-compressed) IDX file (LeCun et al.'s format: magic, dims, big-endian uint8 data)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: corrupt gzip file ({err or 'truncated'}); delete it and copy or download it again") from err
    if len(raw) < 4:
        raise ValueError(f"{path}: {len(raw)} bytes is too short for an IDX file; delete it and copy it again")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header; delete it and copy it again")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: truncated ({data.size} bytes of data for shape {dims})")
    return data.reshape(dims)


def _download(name: str, folder: Path) -> None:
    sub, urls, md5s, kind = SOURCES[name]
    folder.mkdir(parents=True, exist_ok=True)
    for fname, md5 in zip(FILES, md5s, strict=True):
        target = folder / f"{fname}.gz"
        if target.exists():
            continue
        last = None
        for base in urls:
            try:
                with urllib.request.urlopen(base + fname + ".gz", timeout=20) as r:
                    blob = r.read()
                if hashlib.md5(gzip.decompress(blob) if kind == "raw" else blob).hexdigest() != md5:
                    raise ValueError(f"checksum mismatch for {fname} from {base}")
                tmp = target.with_suffix(".part")
                tmp.write_bytes(blob)
                tmp.replace(target)
                break
            except Exception as err:  # network down, 404, bad checksum
                last = err
        else:
            raise FileNotFoundError(
                f"{name} file {fname}.gz is not in {folder} and could not be downloaded ({last}). "
                f"Copy the four standard IDX .gz files ({', '.join(FILES)}) into {folder}, "
                f"or set PHOTRAIN_DATA_DIR to a folder that has {sub}/ (e.g. ../shared/datasets)."
            )


def load_idx_dataset(name: str, root: str | Path | None = None, *, download: bool = True) -> Dataset:
    """MNIST or Fashion-MNIST from ``<data_dir>/<name>/``."""
    folder = data_dir(root) / SOURCES[name][0]
    missing = [f for f in FILES if not (folder / f"{f}.gz").exists() and not (folder / f).exists()]
    if missing:
        if not download:
            raise FileNotFoundError(f"{name}: missing {missing} in {folder}; set PHOTRAIN_DATA_DIR or copy the files there")
        _download(name, folder)
    arrays = []
    for f in FILES:
        path = folder / f"{f}.gz" if (folder / f"{f}.gz").exists() else folder / f
        arrays.append(read_idx(path))
    xtr, ytr, xte, yte = arrays
    return Dataset(name, Uint8Images(xtr), ytr.astype(np.int32), _unit_float(xte), yte.astype(np.int32), 10)


def _unit_float(pixels):
    """uint8 images (n, ...) as float32 (n, features) in [0, 1], scaled in place (one float32 copy, no temporaries)."""
    x = pixels.reshape(len(pixels), -1).astype(np.float32)
    x /= np.float32(255)
    return x


def load_digits(seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """scikit-learn's 8x8 handwritten digits (1797 images, shipped with the package): always offline."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    te, tr = order[:n_test], order[n_test:]
    return Dataset("digits", x[tr], y[tr], x[te], y[te], 10)


def load_dataset(name: str, root: str | Path | None = None, *, download: bool = True) -> Dataset:
    """Load a dataset by name: 'digits', 'braille', 'braille-words' (offline), 'mnist' or 'fashion-mnist'."""
    if name == "digits":
        return load_digits()
    if name in ("braille", "braille-words"):  # noisy Braille cells / words, generated (photrain.train.braille)
        from photrain.train.braille import load_braille

        return load_braille(words=name == "braille-words")
    if name not in SOURCES:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    return load_idx_dataset(name, root, download=download)


def split_validation(x, y, n_val: int, seed: int = 0):
    """Split (x, y) into the first ``n_val`` of a fixed permutation (validation) and the rest."""
    order = np.random.default_rng(seed).permutation(len(x))
    v, t = order[:n_val], order[n_val:]
    return (x[v], y[v]), (x[t], y[t])
