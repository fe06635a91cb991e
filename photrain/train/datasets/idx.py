"""MNIST / Fashion-MNIST from standard IDX files.

The files live in ``<data_dir>/mnist/`` and ``<data_dir>/fashion-mnist/`` (:func:`~photrain.train.datasets.base.data_dir`)
under their standard names (``train-images-idx3-ubyte.gz`` ...). Missing files are downloaded (and their
uncompressed MD5 checked) only when a network is reachable; otherwise the error says where to put them.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from photrain.train.datasets.base import Dataset, Uint8Images, data_dir

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
        raise ValueError(f"{path}: not an unsigned-byte IDX file (magic {raw[:4].hex()}, expected 0000080N); "
                         "delete it and copy or download the standard file again")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated IDX header; delete it and copy it again")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: truncated ({data.size} bytes of data for shape {dims}); delete it and copy or "
                         "download it again")
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
    for f, a, ndim in zip(FILES, arrays, (3, 1, 3, 1), strict=True):
        if a.ndim != ndim:
            raise ValueError(f"{folder / f}: {a.ndim}-dimensional IDX data where {name} has {ndim} "
                             f"({'images' if ndim == 3 else 'labels'}); copy the standard {f} file there")
    for (fx, x), (fy, y) in (((FILES[0], xtr), (FILES[1], ytr)), ((FILES[2], xte), (FILES[3], yte))):
        if len(x) != len(y):
            raise ValueError(f"{folder}: {fx} holds {len(x)} images but {fy} {len(y)} labels; the files come from "
                             "different sets: copy the four standard files again")
        if y.size and int(y.max()) > 9:
            raise ValueError(f"{folder / fy}: label {int(y.max())} is not a class 0-9; copy the standard file again")
    return Dataset(name, Uint8Images(xtr), ytr.astype(np.int32), _unit_float(xte), yte.astype(np.int32), 10)


def _unit_float(pixels):
    """uint8 images (n, ...) as float32 (n, features) in [0, 1], scaled in place (one float32 copy, no temporaries)."""
    x = pixels.reshape(len(pixels), -1).astype(np.float32)
    x /= np.float32(255)
    return x
