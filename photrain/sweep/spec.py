"""Sweep specifications: read, validate and expand into trials.

A sweep file (YAML) or dict::

    name: adc_bits_power            # default: the file's stem
    out: out/sweeps/adc_bits_power  # default: out/sweeps/<name>; relative to the current folder
    base:                           # fixed TrainConfig values, nested or dotted
      dataset: digits
      algorithm: optical-dfa
      optical.core_rows: 16
    grid:                           # every combination of these lists
      optical.adc_bits: [2, 4, 8]
      seed: [1, 2, 3]
    random:                         # and/or random samples (each combined with every grid point)
      samples: 8
      seed: 0
      params:
        lr: {loguniform: [0.001, 0.1]}
        momentum: {uniform: [0.5, 0.95]}
        optical.adc_bits: {choice: [4, 6, 8]}
        hidden: {choice: [[32], [64]]}
        optical.core_rows: {randint: [8, 32]}   # inclusive
    objective: {metric: best_val_acc, mode: max}   # the 'best so far' of the progress bar
    metrics: [best_val_acc, energy_per_step_j]     # what the plots show (default: objective + energy)
    trial_cpus: 1                   # CPUs per trial (Ray resource)
    on_divergence: stop             # train()'s rule for a loss far above its start: stop (a failed trial) or warn

Every key is a :class:`photrain.train.TrainConfig` field as a dotted path
(``lr``, ``seed``, ``optical.adc_bits``, ``memory_params.transfer_interval``,
``core``); values are checked against the field's type, and every trial's
config is built (so ``TrainConfig`` validation runs) before any trial starts.
Errors are ValueErrors naming the key and the fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import itertools
import json
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

TOP_KEYS = ("name", "out", "base", "grid", "random", "objective", "metrics", "trial_cpus", "on_divergence")
DISTRIBUTIONS = ("uniform", "loguniform", "choice", "randint")
SEED_KEY = "seed"
MAX_TRIALS = 10_000  # a sweep expands (and builds every trial's config) up front: bounded work before any trial


@dataclass(frozen=True)
class Trial:
    """One point of a sweep: its swept values, the full config (plain dict) and its folder name."""

    index: int
    params: dict  # dotted key -> value (the swept ones)
    config: dict  # dataclasses.asdict of the TrainConfig

    @property
    def id(self) -> str:
        """Stable name from the full config: a re-run finds the same folder whatever the grid's order."""
        blob = json.dumps(self.config, sort_keys=True, default=str).encode()
        return hashlib.sha1(blob).hexdigest()[:12]


@dataclass(frozen=True)
class SweepSpec:
    name: str
    out: Path
    base: dict = field(default_factory=dict)
    grid: dict = field(default_factory=dict)
    random: dict = field(default_factory=dict)
    objective: dict = field(default_factory=lambda: {"metric": "best_val_acc", "mode": "max"})
    metrics: tuple[str, ...] = ()
    trial_cpus: float = 1.0
    on_divergence: str = "stop"

    @property
    def swept(self) -> list[str]:
        """Swept keys in file order (grid first, then random)."""
        return list(self.grid) + [k for k in self.random.get("params", {}) if k not in self.grid]


# ------------------------------------------------------------------ TrainConfig introspection


def _config_class():
    from photrain.train import TrainConfig

    return TrainConfig


def _hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # unresolvable annotation: fall back to the raw strings (type checks are skipped)
        return {f.name: f.type for f in dataclasses.fields(cls)}


def field_type(key: str, where: str):
    """The type hint of a dotted TrainConfig key; ValueError naming the key (with suggestions) when it is unknown."""
    cls = _config_class()
    parts = key.split(".")
    hint: Any = cls
    path = []
    for part in parts:
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            hints = _hints(hint)
            if part not in hints:
                known = sorted(hints)
                close = difflib.get_close_matches(part, known, n=2)
                prefix = ".".join(path)
                raise ValueError(
                    f"{where}: unknown parameter {key!r}"
                    + (f" (did you mean {' or '.join(repr('.'.join([*path, c])) for c in close)}?)" if close else "")
                    + f"; {prefix + ' has' if prefix else 'TrainConfig has'} {', '.join(known)}")
            hint = hints[part]
        elif _origin(hint) in (dict, Mapping) or hint in (dict, Mapping):
            hint = Any  # free-form dict (memory_params.*): checked when the config is built and the run starts
        else:
            raise ValueError(f"{where}: {'.'.join(path)!r} is a value, not a group; {key!r} cannot go below it")
        path.append(part)
    return hint


def _origin(hint):
    return typing.get_origin(hint)


def _check(value, hint, key: str, where: str):
    """``value`` converted to ``hint`` (numeric strings such as YAML's '1e-3' become numbers); ValueError if it does not fit."""
    if hint is Any or isinstance(hint, str):
        return value
    origin, args = _origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _check(value, a, key, where)
            except ValueError as err:
                errors.append(err)
        raise errors[0] if errors else ValueError(f"{where}: {key!r} cannot be {value!r}")
    if origin is typing.Literal:
        if value in args:
            return value
        raise ValueError(f"{where}: {key!r} = {value!r}; choose one of {list(args)}")

    def bad(what):
        return ValueError(f"{where}: {key!r} = {value!r} ({type(value).__name__}); expected {what}")

    if hint is bool:
        if isinstance(value, bool):
            return value
        raise bad("true or false")
    if hint is int:
        if isinstance(value, bool):
            raise bad("an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise bad("an integer")
    if hint is float:
        if isinstance(value, bool):
            raise bad("a number")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise bad("a number")
    if hint is str:
        if isinstance(value, str):
            return value
        raise bad("a string")
    if origin is tuple or hint is tuple:
        if not isinstance(value, list | tuple):
            raise bad("a list, e.g. [64, 64]")
        elem = args[0] if args else Any
        return tuple(_check(v, elem, key, where) for v in value)
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise bad("a mapping")
        return dict(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise bad(f"a mapping of {hint.__name__} fields")
        return {k: _check(v, field_type(f"{key}.{k}", where), f"{key}.{k}", where) for k, v in value.items()}
    return value


def _set(tree: dict, key: str, value) -> None:
    parts = key.split(".")
    for p in parts[:-1]:
        tree = tree.setdefault(p, {})
        if not isinstance(tree, dict):
            raise ValueError(f"{key!r}: {p!r} is set to a value elsewhere in the spec; set it once")
    tree[parts[-1]] = value


def _flatten(tree: Mapping, prefix: str = "") -> dict:
    out = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def build_config(overrides: Mapping):
    """A TrainConfig from dotted or nested overrides of the defaults (nested dataclasses replaced field by field)."""

    def apply(obj, changes: Mapping):
        updates = {}
        hints = _hints(type(obj))
        for name, value in changes.items():
            current = getattr(obj, name)
            if dataclasses.is_dataclass(current) and isinstance(value, Mapping):
                updates[name] = apply(current, value)
            elif isinstance(current, dict) and isinstance(value, Mapping):
                updates[name] = {**current, **value}
            elif (_origin(hints.get(name)) is tuple) and isinstance(value, list):
                updates[name] = tuple(value)
            else:
                updates[name] = value
        return dataclasses.replace(obj, **updates)

    nested: dict = {}
    for key, value in _flatten(overrides).items():
        _set(nested, key, value)
    config = apply(_config_class()(), nested)
    if not config.memory_params:
        return config
    from photrain.memory import memory_params  # YAML's '1e-4' is text: each value as its parameter's declared type

    return dataclasses.replace(config, memory_params=memory_params(config.memory, config.memory_params))


def config_dict(config) -> dict:
    """JSON-able dict of a TrainConfig (tuples as lists)."""
    return json.loads(json.dumps(dataclasses.asdict(config), default=str))


# ------------------------------------------------------------------ reading and validating


def _values(where: str, key: str, values) -> list:
    if not isinstance(values, list):
        raise ValueError(f"{where}: grid {key!r} must be a list of values, e.g. {key}: [1, 2, 3]; got {values!r}")
    if not values:
        raise ValueError(f"{where}: grid {key!r} is empty; give it at least one value")
    hint = field_type(key, where)
    return [_check(v, hint, key, where) for v in values]


def _distribution(where: str, key: str, dist) -> dict:
    if not isinstance(dist, Mapping) or len(dist) != 1 or next(iter(dist)) not in DISTRIBUTIONS:
        raise ValueError(f"{where}: random parameter {key!r} must be one of "
                         f"{{uniform: [lo, hi]}}, {{loguniform: [lo, hi]}}, {{randint: [lo, hi]}}, {{choice: [...]}}; "
                         f"got {dist!r}")
    kind, arg = next(iter(dist.items()))
    hint = field_type(key, where)
    if kind == "choice":
        return {"choice": _values(where, key, arg)}
    if not isinstance(arg, list) or len(arg) != 2:
        raise ValueError(f"{where}: random {key!r}: {kind} takes [lo, hi]; got {arg!r}")
    try:
        lo, hi = float(arg[0]), float(arg[1])
    except (TypeError, ValueError):
        raise ValueError(f"{where}: random {key!r}: {kind} bounds must be numbers; got {arg!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"{where}: random {key!r}: {kind} bounds must be finite numbers; got {arg!r}")
    if not lo < hi or (kind == "loguniform" and lo <= 0):
        raise ValueError(f"{where}: random {key!r}: need lo < hi" + (" and lo > 0" if kind == "loguniform" else "")
                         + f"; got {arg!r}")
    _check(int(lo) if kind == "randint" else lo, hint, key, where)
    return {kind: [lo, hi]}


def load_spec(source: str | Path | Mapping, *, out: str | Path | None = None) -> SweepSpec:
    """Read and validate a sweep (YAML path or dict); ``out`` overrides its output folder."""
    if isinstance(source, SweepSpec):
        return source if out is None else dataclasses.replace(source, out=Path(out))
    where = "sweep"
    if isinstance(source, Mapping):
        raw = dict(source)
    else:
        path = Path(source)
        where = str(path)
        if not path.is_file():
            raise FileNotFoundError(f"sweep file {str(path)!r} does not exist; the shipped sweeps are in sweeps/*.yml")
        try:
            raw = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ValueError(f"{path}: not valid YAML ({err})") from None
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: a sweep file is a mapping with 'grid' and/or 'random' (and 'base')")
        raw.setdefault("name", path.stem)
    unknown = [k for k in raw if k not in TOP_KEYS]
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; a sweep has {', '.join(TOP_KEYS)} "
                         "(TrainConfig parameters go under 'base', 'grid' or 'random.params')")
    name = str(raw.get("name") or "sweep")
    base_raw = raw.get("base") or {}
    if not isinstance(base_raw, Mapping):
        raise ValueError(f"{where}: 'base' must be a mapping of TrainConfig values, e.g. base: {{dataset: digits}}")
    base = {}
    for key, value in _flatten(base_raw).items():
        base[key] = _check(value, field_type(key, f"{where} base"), key, f"{where} base")
    grid_raw = raw.get("grid") or {}
    if not isinstance(grid_raw, Mapping):
        raise ValueError(f"{where}: 'grid' must map parameters to lists, e.g. grid: {{seed: [1, 2, 3]}}")
    grid = {str(k): _values(where, str(k), v) for k, v in grid_raw.items()}
    random = raw.get("random") or {}
    if random:
        if not isinstance(random, Mapping) or not isinstance(random.get("params"), Mapping) or not random["params"]:
            raise ValueError(f"{where}: 'random' needs 'samples' and a non-empty 'params' mapping, e.g. "
                             "random: {samples: 8, params: {lr: {loguniform: [0.001, 0.1]}}}")
        bad = [k for k in random if k not in ("samples", "seed", "params")]
        if bad:
            raise ValueError(f"{where}: unknown key(s) {bad} under 'random'; it takes samples, seed, params")
        samples = random.get("samples")
        if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
            raise ValueError(f"{where}: random.samples must be an integer >= 1; got {samples!r}")
        if samples > MAX_TRIALS:
            raise ValueError(f"{where}: random.samples {samples} is more than {MAX_TRIALS} trials; sweep fewer")
        seed = random.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"{where}: random.seed must be an integer >= 0; got {seed!r}")
        params = {str(k): _distribution(where, str(k), v) for k, v in random["params"].items()}
        both = [k for k in params if k in grid]
        if both:
            raise ValueError(f"{where}: {both} both in 'grid' and 'random.params'; sweep each parameter one way")
        random = {"samples": samples, "seed": seed, "params": params}
    if not grid and not random:
        raise ValueError(f"{where}: nothing to sweep; add a 'grid' (e.g. grid: {{seed: [1, 2, 3]}}) or 'random' section")
    overlap = [k for k in base if k in grid or k in (random.get("params") or {})]
    if overlap:
        raise ValueError(f"{where}: {overlap} set in 'base' and swept; drop them from 'base'")
    objective = raw.get("objective") or {"metric": "best_val_acc", "mode": "max"}
    if not isinstance(objective, Mapping) or objective.get("mode", "max") not in ("max", "min") or \
            not isinstance(objective.get("metric", "best_val_acc"), str):
        raise ValueError(f"{where}: objective must be {{metric: NAME, mode: max|min}}; got {objective!r}")
    objective = {"metric": objective.get("metric", "best_val_acc"), "mode": objective.get("mode", "max")}
    metrics = raw.get("metrics") or [objective["metric"], "energy_per_step_j"]
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise ValueError(f"{where}: metrics must be a list of names, e.g. [best_val_acc, energy_per_step_j]")
    cpus = raw.get("trial_cpus", 1)
    if isinstance(cpus, bool) or not isinstance(cpus, int | float) or not 0 < cpus < float("inf"):
        raise ValueError(f"{where}: trial_cpus must be a finite number > 0; got {cpus!r}")
    on_divergence = raw.get("on_divergence", "stop")
    if on_divergence not in ("stop", "warn"):
        raise ValueError(f"{where}: on_divergence must be 'stop' (a diverging trial fails) or 'warn' (it runs on); "
                         f"got {on_divergence!r}")
    if out is None and not raw.get("out") and (Path(name).name != name or name in (".", "..")):
        raise ValueError(f"{where}: name {name!r} is a path; give a plain name (it names out/sweeps/<name>) "
                         "or set 'out'")
    n_trials = math.prod(len(v) for v in grid.values()) * (random.get("samples", 1) if random else 1)
    if n_trials > MAX_TRIALS:
        raise ValueError(f"{where}: {n_trials} trials (grid x random.samples) is more than {MAX_TRIALS}; "
                         "sweep fewer values, or split the sweep into several files")
    out_dir = Path(out) if out is not None else Path(raw.get("out") or Path("out") / "sweeps" / name)
    spec = SweepSpec(name=name, out=out_dir, base=base, grid=grid, random=random, objective=objective,
                     metrics=tuple(metrics), trial_cpus=float(cpus), on_divergence=on_divergence)
    expand(spec)  # every trial's TrainConfig is built now: its validation errors surface before any trial runs
    return spec


def _check_run_values(config) -> None:
    """What a run would only refuse once started (the CLI refuses it as an argument): seed and val_size ranges."""
    if not 0 <= config.seed <= 2**32 - 1:
        raise ValueError(f"seed must be an integer in [0, 2^32 - 1]; got {config.seed}")
    if config.val_size is not None and config.val_size < 1:
        raise ValueError(f"val_size must be >= 1 (or left out: half the test split); got {config.val_size}")


def _sample(dist: dict, rng: np.random.Generator):
    kind, arg = next(iter(dist.items()))
    if kind == "choice":
        return arg[int(rng.integers(len(arg)))]
    lo, hi = arg
    if kind == "uniform":
        return float(rng.uniform(lo, hi))
    if kind == "loguniform":
        return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    return int(rng.integers(int(lo), int(hi) + 1))


def expand(spec: SweepSpec) -> list[Trial]:
    """All trials of a sweep: the grid's product (file order, last key fastest) x the random samples."""
    keys = list(spec.grid)
    grid_points = [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*spec.grid.values())] or [{}]
    samples: list[dict] = [{}]
    if spec.random:
        rng = np.random.default_rng(spec.random["seed"])
        samples = [{k: _sample(d, rng) for k, d in spec.random["params"].items()} for _ in range(spec.random["samples"])]
    trials, seen = [], set()
    for point in grid_points:
        for sample in samples:
            params = {**point, **sample}
            try:
                config = build_config({**spec.base, **params})
                _check_run_values(config)
            except (ValueError, TypeError, KeyError) as err:
                msg = err.args[0] if err.args else err
                raise ValueError(f"sweep {spec.name!r}: the trial {params} is not a valid TrainConfig: {msg}") from None
            trial = Trial(len(trials), params, config_dict(config))
            if trial.id not in seen:  # random draws (choice, randint) can repeat a configuration: run it once
                seen.add(trial.id)
                trials.append(trial)
    return trials
