"""Running a sweep's trials as Ray tasks, with resume, failure records, sweep.csv and plots.

Why Ray core rather than Ray Tune: every trial is an independent training run
that already checkpoints itself, and resumption is decided from the trial's
own folder (finished / interrupted / failed), so the sweep needs only "run
this function on a free CPU"; Ray core does that with no trial controller,
experiment state or extra dependencies, and its per-task overhead is
milliseconds. ``ray.init()`` starts a local cluster by default; ``address``
joins an existing one (then ``out`` must be a folder every node sees, and
photrain must be installed on every node).

Trial folder ``<out>/trials/<id>/`` (id: hash of the full config):
``trial.json`` (params, status done/failed/running, metrics, times, error),
``checkpoint.npz`` and ``results.json`` from :func:`photrain.train.train`,
``error.txt`` (traceback) for a failed trial. A re-run skips ``done`` trials,
resumes a trial that has a checkpoint but no ``done`` status (interrupted), and
skips ``failed`` ones unless ``retry_failed``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from photrain.atomic_file import write_json_atomic
from photrain.sweep.spec import SEED_KEY, SweepSpec, Trial, _flatten, build_config, expand, load_spec

STATUS = "trial.json"


def read_status(trial_dir: Path) -> dict | None:
    """The trial's ``trial.json`` record, or None when it has none (never started) or it is unreadable."""
    try:
        return json.loads((Path(trial_dir) / STATUS).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def trial_metrics(results: dict) -> dict:
    """Scalar metrics of a finished run: results.json's numbers, the last epoch's accuracies, energy per step.

    ``energy_per_step_j`` prices the run's ledger with the ``reference-paper`` preset
    of :mod:`photrain.controller.energy`, its converter bits and optical power taken
    from the trial's config.
    """
    out = {k: float(v) for k, v in results.items()
           if isinstance(v, int | float) and not isinstance(v, bool) and k != "peak_rss_mb"}
    history = results.get("history") or []
    if history:
        last = history[-1]
        for k in ("val_acc", "test_acc", "loss"):
            if isinstance(last.get(k), int | float):
                out[f"final_{k}"] = float(last[k])
        for k, v in last.items():  # e.g. accuracies through the hardware, when the run records them
            if k.endswith("_acc") and isinstance(v, int | float) and f"final_{k}" not in out:
                out[f"final_{k}"] = float(v)
    try:
        from photrain.controller.energy import CoreSpec, energy_report, load_preset

        optical = results["config"].get("optical", {})
        preset = load_preset("reference-paper")
        changes = {"adc_bits": optical.get("adc_bits"), "dac_bits": optical.get("dac_bits"),
                   "optical_power_per_channel": optical.get("power_per_channel")}
        preset = preset.replace(**{k: v for k, v in changes.items() if v is not None})
        core = CoreSpec(int(optical.get("core_rows", 64)), int(results["layer_sizes"][-1]))
        rep = energy_report(results["ledger"], preset, core, weight_element=optical.get("weight_element", "heater"))
        out["energy_per_step_j"] = rep.per_step()["energy_j"]
        if rep.optical_macs:
            out["pj_per_optical_mac"] = rep.pj_per_optical_mac
    except (KeyError, TypeError, ValueError):
        pass  # a ledger the energy model cannot price (e.g. no optical work counted): the metric stays empty
    return out


def run_trial(config: dict, trial_dir: str, params: dict, trial_id: str, on_divergence: str = "stop") -> dict:
    """Run (or resume) one trial in ``trial_dir``; never raises: a failure is returned and written to trial.json."""
    t0 = time.perf_counter()
    folder = Path(trial_dir)
    folder.mkdir(parents=True, exist_ok=True)
    previous = read_status(folder) or {}
    record = {"id": trial_id, "params": params, "status": "running", "started": time.time(),
              "attempts": int(previous.get("attempts", 0)) + 1, "host": os.uname().nodename, "pid": os.getpid()}
    write_json_atomic(folder / STATUS, record, default=str)
    try:
        from photrain.train import train

        t_import = time.perf_counter() - t0
        cfg = build_config(_flatten(config))
        resume = (folder / "checkpoint.npz").exists()
        record["resumed"] = resume
        if resume:
            try:  # the epoch the run resumes from, for the record
                import numpy as np

                with np.load(folder / "checkpoint.npz", allow_pickle=False) as z:
                    record["resumed_from_epoch"] = int(json.loads(str(z["meta"]))["epoch"])
            except Exception:
                record["resumed_from_epoch"] = None
        t1 = time.perf_counter()
        train(cfg, folder, resume=resume, progress=False, on_divergence=on_divergence)
        record["train_time_s"] = time.perf_counter() - t1
        record["import_time_s"] = t_import
        results = json.loads((folder / "results.json").read_text())
        record["metrics"] = trial_metrics(results)
        record["status"] = "done"
        (folder / "error.txt").unlink(missing_ok=True)
    except Exception as err:  # recorded, never raised: one failed trial must not stop the sweep
        record["status"] = "failed"
        record["error"] = f"{type(err).__name__}: {err}".splitlines()[0][:500]
        (folder / "error.txt").write_text(traceback.format_exc())
    record["trial_time_s"] = time.perf_counter() - t0
    record["finished"] = time.time()
    write_json_atomic(folder / STATUS, record, default=str)
    return record


def _children() -> set[int]:
    """PIDs of this process's children (Linux /proc; empty elsewhere)."""
    me, kids = os.getpid(), set()
    for entry in Path("/proc").glob("[0-9]*/stat") if Path("/proc").is_dir() else []:
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == me:
            kids.add(int(entry.parent.name))
    return kids


def _end(pids: set[int]) -> None:
    import signal

    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass


#: seconds a Ray address gets to answer a TCP connection before the sweep gives up on it
ADDRESS_TIMEOUT_S = 5.0


def check_address(address: str, timeout: float = ADDRESS_TIMEOUT_S) -> None:
    """Fail fast (``RuntimeError``, one line) when nothing answers at a Ray address (``HOST:PORT``, ``ray://HOST:PORT``).

    ``ray.init(address=...)`` waits about a minute per try for a GCS that is not there and prints C++ logs
    meanwhile; a plain TCP connection says in ``timeout`` seconds whether anything listens. ``auto`` and
    ``local`` (Ray's own look-ups) are left to Ray.
    """
    import socket

    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = hostport.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RuntimeError(f"--address {address!r} is not HOST:PORT; pass the address 'ray start --head' prints, "
                           "e.g. 192.168.1.10:6379, or leave --address out for a local cluster")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as err:
        why = "no answer" if isinstance(err, TimeoutError) else (err.strerror or type(err).__name__)
        raise RuntimeError(f"--address {address}: nothing answers at {host}:{port} ({why} within {timeout:g} s); "
                           "start a cluster there with 'ray start --head', pass the address it prints, "
                           "or leave --address out for a local cluster") from None


def start_ray(*, address: str | None = None, num_cpus: int | None = None, attempts: int = 2) -> None:
    """``ray.init`` for a sweep: join ``address``, or start a local cluster of ``num_cpus`` CPUs (default: all).

    A local start is tried ``attempts`` times: Ray's raylet gives its dashboard agent a
    fixed 15 s to report its ports and aborts on a busy machine (ray-project/ray#65983).
    """
    import ray

    kwargs = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if address:
        try:
            ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise RuntimeError(f"--address {address}: cannot join a Ray cluster there ({err}); start one with "
                               "'ray start --head' and pass the address it prints, or leave --address out") from None
        return
    last = None
    for _ in range(attempts):
        before = _children()
        try:
            ray.init(num_cpus=num_cpus or os.cpu_count(), object_store_memory=200 * 1024**2, **kwargs)
            return
        except Exception as err:  # Ray raises a bare Exception when its node times out during startup
            last = err
            ray.shutdown()
            _end(_children() - before)  # what the failed start left running (GCS, agents): this process's own children
    raise RuntimeError(f"Ray could not start a local cluster in {attempts} tries ({last}); the machine may be too busy "
                       "for Ray's 15 s agent start-up: retry, or run 'ray start --head --num-cpus N' and pass --address")


@dataclass
class SweepResult:
    """What :func:`run` did: one record per trial (expansion order), where it wrote, and its timing."""

    spec: SweepSpec
    records: list[dict]
    csv: Path
    plots: list[Path]
    summary: dict

    def rows(self) -> list[dict]:
        return [flat_row(self.spec, r) for r in self.records]


def flat_row(spec: SweepSpec, record: dict, config: dict | None = None) -> dict:
    """One sweep.csv row: trial, status, swept params, metrics, times, error, then every other config value."""
    row = {"trial": record.get("id"), "status": record.get("status", "pending")}
    row.update({k: _cell(record.get("params", {}).get(k)) for k in spec.swept})
    row.update({k: v for k, v in (record.get("metrics") or {}).items()})
    row["trial_time_s"] = record.get("trial_time_s")
    row["error"] = record.get("error", "")
    for k, v in _flatten(config or record.get("config") or {}).items():
        if k not in row:
            row[k] = _cell(v)
    return row


def _cell(v):
    return json.dumps(v) if isinstance(v, list | tuple | dict) else v


def write_csv(rows: list[dict], path: Path) -> Path:
    """Rows to CSV; the header is the union of the rows' keys in first-seen order."""
    header: list[str] = []
    for r in rows:
        header += [k for k in r if k not in header]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in header})
    return path


def _better(a: float, b: float | None, mode: str) -> bool:
    return b is None or (a > b if mode == "max" else a < b)


def _failure(t: Trial, root: Path, err: BaseException) -> dict:
    """Record a trial whose worker process died (out of memory, segfault) before it could record itself."""
    rec = {"id": t.id, "params": t.params, "status": "failed",
           "error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"[:500]}
    (root / "trials" / t.id).mkdir(parents=True, exist_ok=True)  # the worker may have died before making it
    write_json_atomic(root / "trials" / t.id / STATUS, rec, default=str)
    return rec


def _on_ray(pending: list[Trial], root: Path, trial_cpus: float, on_divergence: str):
    """Submit every pending trial as a Ray task; yield (trial, record) as they finish."""
    import ray

    task = ray.remote(run_trial).options(num_cpus=trial_cpus, max_retries=0)
    refs = {task.remote(t.config, str(root / "trials" / t.id), t.params, t.id, on_divergence): t for t in pending}
    try:
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                t = refs.pop(ref)
                try:
                    yield t, ray.get(ref)
                except Exception as err:
                    yield t, _failure(t, root, err)
    finally:
        for ref in refs:  # interrupted: stop what is still queued or running (their checkpoints stay)
            ray.cancel(ref, force=True)


def _on_processes(pending: list[Trial], root: Path, workers: int, on_divergence: str):
    """The same on a local pool of ``workers`` spawned processes (no Ray)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_trial, t.config, str(root / "trials" / t.id), t.params, t.id, on_divergence): t
                   for t in pending}
        try:
            for fut in as_completed(futures):
                t = futures[fut]
                try:
                    yield t, fut.result()
                except Exception as err:
                    yield t, _failure(t, root, err)
        finally:
            for fut in futures:
                fut.cancel()


def run(spec: str | Path | dict | SweepSpec, *, out: str | Path | None = None, address: str | None = None,
        num_cpus: int | None = None, retry_failed: bool = False, limit: int | None = None, progress: bool = True,
        plots: bool = True, executor: str = "ray") -> SweepResult:
    """Run a sweep (spec: YAML path, dict or :class:`SweepSpec`) on Ray; returns a :class:`SweepResult`.

    ``executor``: "ray" (default), or "local" for a pool of local processes with the
    same semantics (also the fallback, with a message, when a local Ray cluster
    cannot start).

    ``address``: join a running Ray cluster (``ray.init(address=...)``; default: the
    ``RAY_ADDRESS`` environment variable, else a local one with ``num_cpus`` CPUs,
    default all). If Ray is already initialised in this process it is used as it
    is. ``limit``: run at most that many of the pending
    trials (the rest stay pending for the next run). Writes ``<out>/sweep.csv``,
    ``<out>/sweep.json`` (timing and overhead) and the metric plots.
    """
    from tqdm.auto import tqdm

    if executor not in ("ray", "local"):
        raise ValueError(f"executor {executor!r}: choose 'ray' (default) or 'local'")
    if executor == "ray":
        import ray
    t_start = time.perf_counter()
    spec = load_spec(spec, out=out)
    trials = expand(spec)
    address = address or os.environ.get("RAY_ADDRESS") or None  # Ray's own variable for "join this cluster"
    if executor == "ray" and not ray.is_initialized():  # refused before anything is written
        if address:
            check_address(address)
        elif spec.trial_cpus > (num_cpus or os.cpu_count() or 1):
            raise ValueError(f"trial_cpus {spec.trial_cpus:g} is more than the {num_cpus or os.cpu_count()} CPUs of "
                             "the local cluster: no trial could ever start; lower trial_cpus or raise --num-cpus")
    root = Path(spec.out).resolve()
    (root / "trials").mkdir(parents=True, exist_ok=True)
    (root / "spec.json").write_text(json.dumps({"name": spec.name, "base": spec.base, "grid": spec.grid,
                                                "random": spec.random, "objective": spec.objective,
                                                "metrics": list(spec.metrics)}, indent=2, default=str))
    records: dict[str, dict] = {}
    pending: list[Trial] = []
    for t in trials:
        status = read_status(root / "trials" / t.id)
        if status and (status.get("status") == "done" or (status.get("status") == "failed" and not retry_failed)):
            records[t.id] = status
        else:
            pending.append(t)
    if limit is not None:
        pending = pending[: max(int(limit), 0)]

    started_ray, used = False, executor
    if pending and executor == "ray" and not ray.is_initialized():
        try:
            start_ray(address=address, num_cpus=num_cpus)
            started_ray = True
        except RuntimeError as err:
            if address:
                raise
            print(f"photrain sweep: {err}\nphotrain sweep: running the trials in local processes instead", flush=True)
            used = "local"
    t_ray = time.perf_counter()
    workers = 0
    metric, mode = spec.objective["metric"], spec.objective["mode"]
    best = None
    for r in records.values():
        v = (r.get("metrics") or {}).get(metric)
        if isinstance(v, int | float) and _better(v, best, mode):
            best = v
    bar = tqdm(total=len(trials), initial=len(records), desc=f"sweep {spec.name}", unit="trial", disable=not progress)
    if best is not None:
        bar.set_postfix({f"best {metric}": f"{best:.4g}"})
    try:
        if pending:
            if used == "ray":
                cpus = ray.cluster_resources().get("CPU", 0)
                if spec.trial_cpus > cpus:  # Ray would queue the tasks forever
                    raise ValueError(f"trial_cpus {spec.trial_cpus:g} is more than the cluster's {cpus:g} CPUs: no "
                                     "trial could ever start; lower trial_cpus or add nodes")
                workers = max(1, int(cpus // spec.trial_cpus))
                finished = _on_ray(pending, root, spec.trial_cpus, spec.on_divergence)
            else:
                workers = max(1, int((num_cpus or os.cpu_count() or 1) // spec.trial_cpus))
                finished = _on_processes(pending, root, workers, spec.on_divergence)
            for t, rec in finished:
                records[t.id] = rec
                v = (rec.get("metrics") or {}).get(metric)
                if isinstance(v, int | float) and _better(v, best, mode):
                    best = v
                bar.update(1)
                if best is not None:
                    bar.set_postfix({f"best {metric}": f"{best:.4g}"})
    finally:
        bar.close()
        if started_ray:
            ray.shutdown()
    wall = time.perf_counter() - t_start
    ordered = []
    for t in trials:
        rec = records.get(t.id) or read_status(root / "trials" / t.id) or {"id": t.id, "params": t.params,
                                                                          "status": "pending"}
        rec = {**rec, "config": t.config}
        ordered.append(rec)
    rows = [flat_row(spec, r) for r in ordered]
    csv_path = write_csv(rows, root / "sweep.csv")
    ran = [records[t.id] for t in pending if t.id in records]
    trial_sum = sum(r.get("trial_time_s") or 0.0 for r in ran)
    summary = {"name": spec.name, "trials": len(trials), "ran": len(ran),
               "done": sum(r["status"] == "done" for r in ordered),
               "failed": sum(r["status"] == "failed" for r in ordered),
               "pending": sum(r["status"] not in ("done", "failed") for r in ordered),
               "executor": used, "workers": workers, "wall_s": wall, "ray_start_s": t_ray - t_start if started_ray else 0.0,
               "sum_trial_s": trial_sum,
               "ideal_s": trial_sum / workers if workers else 0.0,
               "overhead": (wall / (trial_sum / workers) - 1) if workers and trial_sum else None,
               f"best_{metric}": best}
    write_json_atomic(root / "sweep.json", summary, default=str)
    plot_paths = []
    if plots:
        from photrain.sweep.report import plot_metrics

        plot_paths = plot_metrics(rows, spec, root)
    return SweepResult(spec, ordered, csv_path, plot_paths, summary)


def mean_sd(values) -> tuple[float, float]:
    vals = [float(v) for v in values if isinstance(v, int | float) and math.isfinite(float(v))]
    if not vals:
        return math.nan, math.nan
    m = sum(vals) / len(vals)
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
    return m, sd


__all__ = ["SEED_KEY", "SweepResult", "flat_row", "mean_sd", "read_status", "run", "run_trial", "trial_metrics",
           "write_csv"]
