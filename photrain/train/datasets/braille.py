"""Braille cells, words and their noisy images: a small task to classify and to reconstruct.

A Braille cell has six dots in two columns of three, numbered 1-2-3 down the
left column and 4-5-6 down the right (Unified English Braille / the 1829
Louis Braille alphabet). Letters a-j use dots 1, 2, 4, 5 only; k-t are a-j
plus dot 3; u, v, x, y, z are a-e plus dots 3 and 6; w (added later) is j
plus dot 6. Yi, Kendall, Kumar et al. (Nature Electronics 6, 45 (2023)) train
memristor crossbars on noisy Braille patterns with activity-difference rules.

Each dot is drawn as a ``dot_px`` x ``dot_px`` block of pixels, so a cell is a
(3 dot_px) x (2 dot_px) image in [0, 1]; a word puts cells side by side with a
blank column of ``dot_px`` pixels between them. Noise: every pixel flips with
probability ``flip`` and then gets additive Gaussian noise of std ``sigma``,
clipped to [0, 1]. Everything is generated from a seed, offline, in
milliseconds.
"""

from __future__ import annotations

import string

import numpy as np

from photrain.train.datasets.base import Dataset

#: Standard Braille dot numbers of the letters a-z.
DOTS = {
    "a": (1,), "b": (1, 2), "c": (1, 4), "d": (1, 4, 5), "e": (1, 5), "f": (1, 2, 4), "g": (1, 2, 4, 5),
    "h": (1, 2, 5), "i": (2, 4), "j": (2, 4, 5), "k": (1, 3), "l": (1, 2, 3), "m": (1, 3, 4), "n": (1, 3, 4, 5),
    "o": (1, 3, 5), "p": (1, 2, 3, 4), "q": (1, 2, 3, 4, 5), "r": (1, 2, 3, 5), "s": (2, 3, 4), "t": (2, 3, 4, 5),
    "u": (1, 3, 6), "v": (1, 2, 3, 6), "w": (2, 4, 5, 6), "x": (1, 3, 4, 6), "y": (1, 3, 4, 5, 6),
    "z": (1, 3, 5, 6),
}
LETTERS = string.ascii_lowercase
#: Ten three-letter words (the words task).
WORDS = ("cab", "bed", "fig", "hop", "jam", "kit", "lux", "now", "yes", "zap")


def cell(letter: str) -> np.ndarray:
    """The six dots (float32, dot 1 first) of one letter."""
    if not (isinstance(letter, str) and len(letter) == 1 and letter.lower() in DOTS):
        raise ValueError(f"Braille letters are a-z; got {letter!r}")
    out = np.zeros(6, np.float32)
    out[[d - 1 for d in DOTS[letter.lower()]]] = 1.0
    return out


def cells(text: str) -> np.ndarray:
    """(len(text), 6) dot patterns of a word."""
    return np.stack([cell(c) for c in text])


def dots(labels, alphabet=LETTERS) -> np.ndarray:
    """Clean dot patterns for integer labels: (n, 6 * letters) — the reconstruction targets."""
    table = np.stack([cells(w).ravel() for w in alphabet])
    return table[np.asarray(labels)]


def render(dot_rows: np.ndarray, dot_px: int = 3) -> np.ndarray:
    """Images of dot patterns: (..., 6 k) dots -> (..., 3 dot_px, (3 k - 1) dot_px) pixels (k cells per row)."""
    if int(dot_px) < 1:
        raise ValueError(f"dot_px must be >= 1; got {dot_px}")
    d = np.asarray(dot_rows, np.float32)
    k = d.shape[-1] // 6
    grid = d.reshape(*d.shape[:-1], k, 2, 3)  # (.., cell, column, row): dots 1-3 are column 0, 4-6 column 1
    grid = np.swapaxes(grid, -1, -2)  # (.., cell, row, column)
    gap = np.zeros((*grid.shape[:-1], 1), np.float32)
    grid = np.concatenate([grid, gap], -1)  # a blank column after every cell
    grid = np.moveaxis(grid, -3, -2).reshape(*grid.shape[:-3], 3, 3 * k)[..., : 3 * k - 1]
    return np.repeat(np.repeat(grid, dot_px, -2), dot_px, -1)


def corrupt(images: np.ndarray, rng: np.random.Generator, *, flip: float = 0.1, sigma: float = 0.1) -> np.ndarray:
    """Flip each pixel with probability ``flip``, add N(0, sigma^2), clip to [0, 1]."""
    if not 0.0 <= flip <= 1.0:
        raise ValueError(f"flip probability must be in [0, 1]; got {flip}")
    if not sigma >= 0.0:
        raise ValueError(f"noise sigma must be >= 0; got {sigma}")
    x = np.asarray(images, np.float32)
    flips = rng.random(x.shape) < flip
    x = np.where(flips, 1.0 - x, x) + sigma * rng.standard_normal(x.shape)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def noisy_set(alphabet, n_per_class: int, rng: np.random.Generator, *, dot_px: int = 3, flip: float = 0.1,
              sigma: float = 0.1):
    """(x, y): ``n_per_class`` noisy, flattened images of each entry of ``alphabet`` (letters or words)."""
    lengths = {len(w) for w in alphabet}
    if len(lengths) != 1:
        raise ValueError(f"all entries of the alphabet need the same number of letters; got lengths {sorted(lengths)}")
    y = np.repeat(np.arange(len(alphabet), dtype=np.int32), n_per_class)
    clean = render(dots(y, alphabet), dot_px)
    x = corrupt(clean, rng, flip=flip, sigma=sigma).reshape(len(y), -1)
    order = rng.permutation(len(y))
    return x[order], y[order]


def load_braille(seed: int = 0, *, words: bool = False, n_train: int = 200, n_test: int = 60, dot_px: int = 3,
                 flip: float = 0.1, sigma: float = 0.1):
    """The 'braille' dataset: noisy images of the 26 letters (or of :data:`WORDS` with ``words=True``).

    Returns a :class:`photrain.train.datasets.base.Dataset` (n_classes = 26 letters or 10 words); the clean
    patterns to reconstruct are :func:`dots` of the labels (with ``alphabet=WORDS`` for words).
    """
    alphabet = WORDS if words else LETTERS
    rng = np.random.default_rng(seed)
    xtr, ytr = noisy_set(alphabet, n_train, rng, dot_px=dot_px, flip=flip, sigma=sigma)
    xte, yte = noisy_set(alphabet, n_test, rng, dot_px=dot_px, flip=flip, sigma=sigma)
    return Dataset("braille-words" if words else "braille", xtr, ytr, xte, yte, len(alphabet))


def alphabet_of(name: str):
    """The label alphabet of a Braille dataset name ('braille' letters or 'braille-words')."""
    return WORDS if name == "braille-words" else LETTERS
