"""Datasets, one module per dataset: :mod:`~photrain.train.datasets.digits` (scikit-learn's 8x8 digits),
:mod:`~photrain.train.datasets.braille` (noisy Braille cells and words, generated), :mod:`~photrain.train.datasets.idx`
(MNIST and Fashion-MNIST from IDX files), :mod:`~photrain.train.datasets.backrand` (MNIST-backrand: MNIST digits on
uniform random backgrounds, Larochelle et al. 2007, built from the MNIST files with a fixed seed),
all returning a :class:`~photrain.train.datasets.base.Dataset`.

The registry that imports them and loads one by name is :mod:`photrain.train.data` (:func:`~photrain.train.data.load_dataset`,
:data:`~photrain.train.data.DATASETS`); a new dataset is a module here plus one line there. No module here imports it.
"""
