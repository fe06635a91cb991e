"""MNIST-backrand (Larochelle et al. 2007) built from MNIST with a fixed seed: photrain/train/datasets/backrand.py."""

import numpy as np
import pytest

from photrain.train.datasets.backrand import add_random_background, build_backrand, load_mnist_backrand
from photrain.train.datasets.base import data_dir


def _fake_mnist(n_train=300, n_test=100):
    """Digit-like uint8 images: a bright bar on a black background, the label its column."""
    rng = np.random.default_rng(7)
    y_tr, y_te = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)

    def images(y):
        x = np.zeros((len(y), 28, 28), np.uint8)
        x[np.arange(len(y)), 5:20, 3 + 2 * y] = 255
        return x
    return images(y_tr), y_tr, images(y_te), y_te


def test_backrand_keeps_the_digit_on_a_uniform_background_and_is_seeded():
    xtr, ytr, xte, yte = _fake_mnist()
    d = build_backrand(xtr, ytr, xte, yte, seed=3, n_train=200)
    codes = d.x_train.codes
    assert codes.shape == (200, 784) and d.x_test.shape == (100, 784) and d.x_test.dtype == np.float32
    # the labels follow their images: the bar (255) sits in the label's column
    bar = codes.reshape(200, 28, 28)[:, 5:20, :].min(axis=1)
    np.testing.assert_array_equal(np.argmax(bar == 255, axis=1), 3 + 2 * d.y_train)
    np.testing.assert_array_equal(d.y_test, yte)
    np.testing.assert_array_equal(np.rint(d.x_test * 255).reshape(100, 28, 28)[:, 5:20][xte[:, 5:20] == 255], 255)
    # background: the digit's black pixels are uniform on 0..255 (mean 127.5, sd 73.9, every code present)
    img = codes.reshape(200, 28, 28).astype(np.float64)
    bg = np.concatenate([img[:, :5].ravel(), img[:, 20:].ravel()])  # rows no digit touches
    assert abs(bg.mean() - 127.5) < 1.0 and abs(bg.std() - np.sqrt((256**2 - 1) / 12)) < 1.0
    hist = np.bincount(bg.astype(int), minlength=256)
    assert hist.min() > 0.6 * hist.mean()
    # fixed seed: the same set bit for bit; another seed: another background
    again = build_backrand(xtr, ytr, xte, yte, seed=3, n_train=200)
    np.testing.assert_array_equal(again.x_train.codes, codes)
    assert (build_backrand(xtr, ytr, xte, yte, seed=4, n_train=200).x_train.codes != codes).mean() > 0.5


def test_backrand_refuses_bad_input_in_one_line():
    xtr, ytr, xte, yte = _fake_mnist()
    with pytest.raises(ValueError, match="n_train must be between 1 and the 300"):
        build_backrand(xtr, ytr, xte, yte, n_train=301)
    with pytest.raises(ValueError, match="uint8"):
        add_random_background(xtr.astype(np.float32), np.random.default_rng(0))


@pytest.mark.skipif(not (data_dir() / "mnist" / "t10k-images-idx3-ubyte.gz").exists(), reason="MNIST files absent")
def test_backrand_from_the_mnist_files():
    d = load_mnist_backrand(n_train=500)
    assert d.x_train.shape == (500, 784) and d.x_test.shape == (10_000, 784) and d.n_classes == 10
    assert 0.45 < float(d.x_test.mean()) < 0.6  # mostly background: mean 0.5 plus the strokes
