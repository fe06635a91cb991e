"""Sweeps: a grid and/or random search over any TrainConfig value (dotted keys), trials as Ray tasks.

``photrain sweep sweeps/adc_bits_power.yml`` or :func:`run` from Python; see
:mod:`photrain.sweep.spec` for the file format and :mod:`photrain.sweep.runner`
for resumption, failure records and the outputs (sweep.csv, plots).
"""

from photrain.sweep.report import metric_figure, plot_csv, plot_metrics, read_rows
from photrain.sweep.runner import SweepResult, read_status, run, run_trial, trial_metrics
from photrain.sweep.spec import SweepSpec, Trial, build_config, expand, load_spec

__all__ = ["SweepResult", "SweepSpec", "Trial", "build_config", "expand", "load_spec", "metric_figure", "plot_csv",
           "plot_metrics", "read_rows", "read_status", "run", "run_trial", "trial_metrics"]
