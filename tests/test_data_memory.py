"""8-bit training images read as float32 where indexed, and the malloc settings of a training run."""

import numpy as np
import pytest

from photrain.train import host_memory
from photrain.train.data import Uint8Images, load_dataset
from photrain.train.datasets.idx import _unit_float
from photrain.train.trainer import standardized


def _codes(seed=0, n=300, features=49):
    return np.random.default_rng(seed).integers(0, 256, size=(n, features), dtype=np.uint8)


def test_uint8_images_read_bit_identical_to_the_float_conversion():
    codes = _codes()
    images, full = Uint8Images(codes), _unit_float(codes)
    assert images.shape == full.shape and len(images) == len(full) and images.dtype == np.float32
    rows = np.array([7, 0, 299, 7])
    np.testing.assert_array_equal(images[rows], full[rows])
    np.testing.assert_array_equal(images[10:20], full[10:20])
    np.testing.assert_array_equal(np.asarray(images), full)
    assert images[rows].dtype == np.float32 and codes.dtype == np.uint8  # the codes are not touched


def test_standardised_uint8_images_equal_standardising_the_float_array():
    codes = _codes(1)
    mean, std = Uint8Images(codes).moments()
    full = _unit_float(codes).astype(np.float64)
    assert mean == pytest.approx(full.mean(), rel=1e-13) and std == pytest.approx(full.std(), rel=1e-13)
    ref = _unit_float(codes)
    ref -= np.float32(mean)
    ref /= np.float32(std)
    np.testing.assert_array_equal(np.asarray(Uint8Images(codes).standardized(mean, std)), ref)


def test_mnist_training_images_stay_8_bit_through_standardisation():
    data = load_dataset("mnist")  # PHOTRAIN_DATA_DIR points at ../shared/datasets
    assert isinstance(data.x_train, Uint8Images) and data.x_train.codes.nbytes == 60000 * 784
    s = standardized(data)
    assert isinstance(s.x_train, Uint8Images) and np.shares_memory(s.x_train.codes, data.x_train.codes)
    assert s.x_train.shift == pytest.approx(0.1307, abs=1e-4) and s.x_train.scale == pytest.approx(0.3081, abs=1e-4)
    assert s.x_test.dtype == np.float32 and abs(float(s.x_test.mean())) < 0.02


def test_uint8_images_refuse_other_dtypes():
    with pytest.raises(ValueError, match="uint8 pixel codes; got dtype float32"):
        Uint8Images(np.zeros((2, 3), np.float32))


def test_malloc_settings_on_glibc_and_elsewhere(monkeypatch):
    if host_memory._libc() is not None:  # glibc (Linux CI): mallopt accepts the parameter, trim runs
        assert host_memory.pin_mmap_threshold() is True
        assert isinstance(host_memory.release_free_memory(), bool)
    monkeypatch.setattr(host_memory, "_libc", lambda: None)  # musl, macOS, Windows: nothing happens
    assert host_memory.pin_mmap_threshold() is False and host_memory.release_free_memory() is False
