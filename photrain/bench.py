"""Batch-1 latency and energy: the simulated photonic core (energy model) against this machine, measured.

In the style of the Loihi survey (Davies et al., Proc. IEEE 109, 911 (2021)):
one row per hardware, batch size 1, latency per inference and per training
step, energy per inference (CPU/GPU: measured wall time x a stated power
figure; photonic: the ledger of the same network through
:mod:`photrain.controller.energy`), and the energy-delay product.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from photrain.controller.energy import PRESETS, CoreSpec, energy_report
from photrain.controller.ledger import Ledger
from photrain.cores import MRRWeightBank, tile_counts
from photrain.train import algorithms as alg
from photrain.train.network import F32, forward, init_mlp
from photrain.train.trainer import OpticalConfig, TrainConfig, step_ledger


def _time(fn, *args, repeats: int = 200) -> float:
    """Median wall time (s) of a jitted call, after compilation."""
    jax.block_until_ready(fn(*args))
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        samples.append(time.perf_counter() - t0)
    return float(np.median(samples))


def measure_device(sizes: list[int], device, repeats: int = 200) -> dict:
    """Batch-1 inference and DFA training-step wall times (s) on a JAX device."""
    key = jax.random.PRNGKey(0)
    params = jax.device_put(init_mlp(key, sizes), device)
    feedback = jax.device_put(alg.init_feedback(key, sizes), device)
    x = jax.device_put(jnp.ones((1, sizes[0]), F32), device)
    y = jax.device_put(jnp.zeros((1,), jnp.int32), device)
    infer = jax.jit(lambda p, x: forward(p, x)[0])

    @jax.jit
    def step(p, x, y):
        _, grads = alg.dfa_grads(p, x, y, alg.ideal_projection(feedback))
        return jax.tree_util.tree_map(lambda w, g: w - 0.01 * g, p, grads)

    return {"inference_s": _time(infer, params, x, repeats=repeats), "train_step_s": _time(step, params, x, y,
                                                                                            repeats=repeats)}


def inference_ledger(sizes: list[int], bank: MRRWeightBank, *, reprogram: bool) -> Ledger:
    """Operation counts of one batch-1 inference with every W x on the cores."""
    led = Ledger(steps=1)
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        c = tile_counts(bank, (n_out, n_in), 1)
        led.add(optical_macs=c.optical_macs, dac_conversions=c.dac_conversions, adc_conversions=c.adc_conversions,
                optical_passes=c.passes, symbol_slots=c.passes, digital_macs=c.digital_adds)
        if reprogram:
            led.add(programmings=c.programmings, memory_reads=n_in * n_out)
    return led


def n_tiles(sizes: list[int], bank: MRRWeightBank) -> int:
    return sum(tile_counts(bank, (o, i), 1).programmings for i, o in zip(sizes[:-1], sizes[1:], strict=True))


def latency_table(hidden=(800, 800), *, n_in: int = 784, n_out: int = 10, core_rows: int = 64, cpu_watts: float = 30.0,
                  gpu_watts: float = 300.0, repeats: int = 200) -> list[dict]:
    """Rows of the batch-1 comparison (see module docstring)."""
    sizes = [n_in, *hidden, n_out]
    rows = []
    cpu = jax.devices("cpu")[0]
    m = measure_device(sizes, cpu, repeats)
    rows.append({"hardware": f"CPU, this machine ({cpu.device_kind}), measured; {cpu_watts:g} W stated",
                 "inference_s": m["inference_s"], "inference_j": m["inference_s"] * cpu_watts,
                 "train_step_s": m["train_step_s"], "train_step_j": m["train_step_s"] * cpu_watts})
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    if gpus:
        m = measure_device(sizes, gpus[0], repeats)
        rows.append({"hardware": f"GPU {gpus[0].device_kind}, measured; {gpu_watts:g} W stated",
                     "inference_s": m["inference_s"], "inference_j": m["inference_s"] * gpu_watts,
                     "train_step_s": m["train_step_s"], "train_step_j": m["train_step_s"] * gpu_watts})
    else:
        rows.append({"hardware": "GPU: none on this machine", "inference_s": None, "inference_j": None,
                     "train_step_s": None, "train_step_j": None})
    config = OpticalConfig(core_rows=core_rows)
    bank = config.bank(n_out)
    tiles = n_tiles(sizes, bank)
    train_cfg = TrainConfig(hidden=tuple(hidden), algorithm="optical-dfa", batch_size=1, core="bank",
                            optical=OpticalConfig(core_rows=core_rows))
    step = step_ledger(train_cfg, sizes)
    for preset in PRESETS:
        for stationary in (True, False):
            core = CoreSpec(core_rows, bank.n_channels, tiles if stationary else 1)
            inf = energy_report(inference_ledger(sizes, bank, reprogram=not stationary), preset, core)
            # a training step changes every weight, so it re-programs every tile (in parallel over n_cores)
            tr = energy_report(step, preset, core)
            where = f"{tiles} cores, weights stationary" if stationary else "1 core, re-programmed per tile"
            rows.append({"hardware": f"photonic {core_rows}x{bank.n_channels} MRR ({preset}), {where}",
                         "inference_s": inf.latency, "inference_j": inf.total_energy, "train_step_s": tr.latency,
                         "train_step_j": tr.total_energy, "optical_mac_per_s": inf.optical_mac_rate,
                         "pj_per_optical_mac": inf.pj_per_optical_mac})
    for r in rows:
        r["inference_edp_js"] = None if r["inference_s"] is None else r["inference_s"] * r["inference_j"]
    return rows


def format_table(rows: list[dict]) -> str:
    def f(v, unit):
        return "n/a" if v is None else f"{v:.3g} {unit}"

    head = f"{'hardware':74s} {'latency/inf':>12s} {'energy/inf':>12s} {'EDP':>12s} {'latency/step':>13s} {'energy/step':>12s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['hardware']:74s} {f(r['inference_s'], 's'):>12s} {f(r['inference_j'], 'J'):>12s} "
                     f"{f(r['inference_edp_js'], 'Js'):>12s} {f(r['train_step_s'], 's'):>13s} "
                     f"{f(r['train_step_j'], 'J'):>12s}")
    return "\n".join(lines)
