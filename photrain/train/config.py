"""What defines a training run: :class:`TrainConfig` (saved with every checkpoint and in results.json)."""

from __future__ import annotations

from dataclasses import dataclass, field

import photrain.train.algorithms as alg
from photrain.controller import CORES, CrossbarConfig, MeshConfig, OpticalConfig, check_hardware

#: Limits that keep a run within a machine and a working week: epochs, one layer's width, all weights of a network
#: (each weight holds a few float32 device states; 5e7 weights is ~1 GB per state array).
MAX_EPOCHS = 10_000
MAX_WIDTH = 100_000
MAX_WEIGHTS = 50_000_000


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run.

    memory / memory_params: the weight-memory device (``photrain.memory``: float, fixed, pcm,
    pcm-3t1c, rram, cbram) and parameter overrides. core: where the forward products (and Wᵀ·δ
    for backprop) run: 'digital', 'bank' (MRR weight banks, re-programmed from memory every batch)
    or 'crossbar' (memristive arrays, computing in the memory), or 'mesh' (coherent MZI meshes programmed
    by SVD, :class:`photrain.controller.MeshConfig`: programmed on the host, so training's forward
    products stay digital and the trained network is evaluated through meshes). Optical DFA runs B·e
    on a bank, or on meshes with ``core='mesh'``.
    pulse_mode: 'analog' (as many pulses as a change needs), 'sign' (one fixed pulse per change) or
    'accumulate' (mixed precision: changes add up in the controller's accumulator and are written in whole
    granules of the memory's ``write_granularity``; ``photrain.controller.hub.accumulate_granules``).
    beta, free_steps, nudged_steps, eqprop_variant, random_sign_beta, symmetric_beta: equilibrium propagation
    (``algorithm='eqprop'``, :class:`photrain.train.eqprop.EqPropConfig`).
    """

    dataset: str = "digits"
    hidden: tuple[int, ...] = (256, 256)
    algorithm: str = "optical-dfa"
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.01
    momentum: float = 0.9
    seed: int = 1
    val_size: int | None = None  # taken from the test split; default half of it
    noise_sigma: float = 0.618
    noise_mu: float = 0.03
    memory: str = "float"
    memory_params: dict = field(default_factory=dict)
    core: str = "digital"
    pulse_mode: str = "analog"
    optical: OpticalConfig = field(default_factory=OpticalConfig)
    crossbar: CrossbarConfig = field(default_factory=CrossbarConfig)
    mesh: MeshConfig = field(default_factory=MeshConfig)
    shuffle: bool = True  # the reference code on CPU keeps MNIST's file order (no shuffle)
    standardize: bool = False  # (x - mean) / std of the training set, as the reference's Normalize((0.1307,), (0.3081,))
    data_dir: str | None = None
    chunk: int = 50  # batches per jitted chunk (progress granularity)
    beta: float = 0.5
    free_steps: int = 20
    nudged_steps: int = 8
    eqprop_variant: str = "ep"
    random_sign_beta: bool = False
    symmetric_beta: bool = False  # eqprop: nudge with +beta and -beta (Laborieux et al. 2021)
    layer_scale: tuple[float, ...] | None = None  # eqprop: per-layer factors on the update (layer-wise rates)
    relax_step: float = 1.0  # eqprop: relaxation step (1 = exact block minimisation, < 1 damps read noise)

    def __post_init__(self):
        import math

        if self.algorithm not in alg.ALGORITHMS:
            raise ValueError(f"unknown algorithm {self.algorithm!r}; choose one of {', '.join(alg.ALGORITHMS)}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch size must be >= 1; got {self.epochs}, {self.batch_size}")
        if self.epochs > MAX_EPOCHS:
            raise ValueError(f"--epochs {self.epochs} is more than {MAX_EPOCHS} (a run of days); give at most {MAX_EPOCHS}")
        if any(int(h) < 1 for h in self.hidden):
            raise ValueError(f"hidden widths must be >= 1; got {list(self.hidden)}")
        if any(int(h) > MAX_WIDTH for h in self.hidden):
            raise ValueError(f"--hidden {' '.join(map(str, self.hidden))}: a layer wider than {MAX_WIDTH} units would not "
                             f"fit in memory; give widths in [1, {MAX_WIDTH}]")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"--lr must be > 0 and finite; got {self.lr}")
        for name, v in (("--noise-sigma", self.noise_sigma), ("--noise-mu", self.noise_mu)):
            if not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number; got {v}")
        check_hardware(memory=self.memory, memory_params=self.memory_params, core=self.core, pulse_mode=self.pulse_mode)
        if self.algorithm == "eqprop":
            self.eqprop  # noqa: B018 -- validates beta, the step caps and the variant
            if self.layer_scale is not None and len(self.layer_scale) != len(self.hidden) + 1:
                raise ValueError(f"--layer-scale needs one factor per weight layer ({len(self.hidden) + 1}); "
                                 f"got {list(self.layer_scale)}")

    @property
    def eqprop(self):
        """The :class:`~photrain.train.eqprop.EqPropConfig` of an ``eqprop`` run."""
        from photrain.train.eqprop import EqPropConfig

        return EqPropConfig(beta=self.beta, free_steps=self.free_steps, nudged_steps=self.nudged_steps,
                            variant=self.eqprop_variant, random_sign=self.random_sign_beta, symmetric=self.symmetric_beta,
                            layer_scale=None if self.layer_scale is None else tuple(map(float, self.layer_scale)),
                            eps=self.relax_step)

    @property
    def uses_cores(self) -> bool:
        return self.algorithm == "optical-dfa" or self.core != "digital"

    @property
    def feedback_core(self) -> str | None:
        if self.algorithm != "optical-dfa":
            return None
        return "mesh" if self.core == "mesh" else "bank"

    @staticmethod
    def from_dict(d: dict) -> TrainConfig:
        """Rebuild a config from ``asdict`` output (also reads the keys of photrain 0.1 checkpoints)."""
        d = dict(d)
        d["hidden"] = tuple(d["hidden"])
        if d.get("layer_scale") is not None:
            d["layer_scale"] = tuple(d["layer_scale"])
        optical = dict(d.get("optical", {}))
        if optical.pop("forward", False):
            d["core"] = "bank"
        d["optical"] = OpticalConfig(**optical)
        d["crossbar"] = CrossbarConfig(**d.get("crossbar", {}))
        d["mesh"] = MeshConfig(**d.get("mesh", {}))
        bits, w_max, rounding = d.pop("memory_bits", None), d.pop("memory_w_max", 1.0), d.pop("memory_rounding", "nearest")
        if bits is not None:
            d["memory"], d["memory_params"] = "fixed", {"bits": bits, "w_max": w_max, "rounding": rounding}
        return TrainConfig(**d)


__all__ = ["CORES", "CrossbarConfig", "MeshConfig", "OpticalConfig", "TrainConfig"]
