"""Batch-1 latency and energy: the simulated photonic core (energy model) against this machine, measured.

In the style of the Loihi survey (Davies et al., Proc. IEEE 109, 911 (2021)):
one row per hardware, batch size 1, latency per inference and per training
step, energy per inference (CPU/GPU: measured wall time x a stated power
figure; photonic: the ledger of the same network through
:mod:`photrain.controller.energy`), and the energy-delay product.
"""

from __future__ import annotations

import time
from dataclasses import replace

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


#: core -> (weight memory, what the training-step table says about it). The crossbar computes in its RRAM
#: (weights stationary, written by pulses); the bank and the digital controller keep float weights in SRAM.
TRAIN_CORES = {"crossbar": "rram", "bank": "float", "digital": "float"}
TRAIN_ALGORITHMS = ("eqprop", "backprop")
#: RRAM weights written with the sign-only rule (one SET/RESET pulse pair per weight and step, the
#: fixed-pulse update of crossbar hardware): an upper bound on a step's pulses (a weight whose update is
#: zero gets none). w_max 0.5 as in benchmarks/eqprop.py.
RRAM_STEP = {"memory_params": {"w_max": 0.5}, "pulse_mode": "sign"}


def eqprop_sweeps(ctrl, sizes: list[int], config, seed: int = 0) -> tuple[int, int]:
    """(free, nudged) sweeps one batch-1 EP step runs on ``ctrl``'s core (read noise on), measured at the
    initial weights on a seeded random input in [0, 1]; the relaxation stops at its tolerance or its caps."""
    from photrain.train import eqprop as ep

    key = jax.random.PRNGKey(seed)
    k_init, k_x, k_step = jax.random.split(key, 3)
    hs = ctrl.init(ep.init_eqprop(k_init, sizes), k_init)
    x = jax.random.uniform(k_x, (1, sizes[0]), F32)
    target = jax.nn.one_hot(jnp.zeros((1,), jnp.int32), sizes[-1], dtype=F32)
    _, r, _ = ep.controller_step(ctrl, config, hs, x, target, k_step)
    return int(r.free.sweeps), int(r.nudged_sweeps)


def training_step_table(hidden=(800, 800), *, n_in: int = 784, n_out: int = 10, core_rows: int = 64,
                        preset: str = "reference-paper", eqprop=None, crossbar=None,
                        measure_sweeps: bool = True) -> list[dict]:
    """Batch-1 training steps from the ledger and the energy model: EP and backprop on each core.

    Rows: algorithm x core (:data:`TRAIN_CORES`). Counts: the controller's closed-form ledger of one step
    (:func:`photrain.train.trainer.step_ledger`; EP with the sweeps :func:`eqprop_sweeps` measures on that
    core), plus, for the RRAM crossbar, one pulse pair per weight (:data:`RRAM_STEP`). Priced by
    :func:`photrain.controller.energy.energy_report` at ``preset``: a bank's re-programmed tiles each on
    their own core (n_cores = the step's programmings), a crossbar written row by row with every column of
    every array at once. ``eqprop``: an :class:`~photrain.train.eqprop.EqPropConfig` (default: TrainConfig's).
    ``measure_sweeps=False`` counts EP's phases at their sweep caps (an upper bound) instead of measuring.
    """
    sizes = [n_in, *hidden, n_out]
    rows = []
    for algorithm in TRAIN_ALGORITHMS:
        for core in TRAIN_CORES:
            rows.append(training_step(sizes, algorithm, core, core_rows=core_rows, preset=preset, eqprop=eqprop,
                                      crossbar=crossbar, measure_sweeps=measure_sweeps)[0])
    return rows


def training_step(sizes: list[int], algorithm: str, core: str, *, core_rows: int = 64, preset: str = "reference-paper",
                  eqprop=None, crossbar=None, measure_sweeps: bool = True):
    """(row, EnergyReport) of one batch-1 training step of ``algorithm`` on ``core`` (:func:`training_step_table`)."""
    from photrain.controller import CrossbarConfig
    from photrain.train.steps import eqprop_ledger
    from photrain.train.trainer import make_run_controller

    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    crossbar = crossbar or CrossbarConfig()
    memory = TRAIN_CORES[core]
    extra = RRAM_STEP if memory == "rram" else {}
    cfg = TrainConfig(hidden=tuple(sizes[1:-1]), algorithm=algorithm, batch_size=1, core=core, memory=memory,
                      optical=OpticalConfig(core_rows=core_rows), crossbar=crossbar, **extra)
    if eqprop is not None and algorithm == "eqprop":
        cfg = replace(cfg, beta=eqprop.beta, free_steps=eqprop.free_steps, nudged_steps=eqprop.nudged_steps)
    ctrl = make_run_controller(cfg, sizes[-1])
    sweeps = None
    if algorithm == "eqprop":
        sweeps = (eqprop_sweeps(ctrl, sizes, cfg.eqprop) if measure_sweeps
                  else (cfg.eqprop.free_steps, cfg.eqprop.nudged_steps))
        led = eqprop_ledger(ctrl, sizes, 1, cfg.eqprop, sweeps)
    else:
        led = step_ledger(cfg, sizes, ctrl)
    parallel = 1
    if memory == "rram":
        led.add(memory_pulses=2 * sum(i * o for i, o in pairs))
        arrays = sum(-(-o // crossbar.rows) * -(-i // crossbar.cols) for i, o in pairs)
        parallel = crossbar.cols * arrays
    bank = cfg.optical.bank(sizes[-1])
    spec = CoreSpec(bank.n_rows, bank.n_channels, max(led.programmings, 1))
    rep = energy_report(led, preset, spec, memory=memory, write_parallelism=parallel)
    row = {"algorithm": algorithm, "core": core, "memory": memory, "sweeps": sweeps,
           "energy_j": rep.total_energy, "latency_s": rep.latency,
           "edp_js": rep.total_energy * rep.latency, "energy_by_component_j": rep.energy,
           "time_s": {"optical": rep.optical_time, "programming": rep.programming_time,
                      "digital": rep.digital_time, "crossbar": rep.crossbar_time,
                      "writes": rep.write_time},
           "ledger": led.as_dict(), "preset": preset}
    return row, rep


def format_training_table(rows: list[dict]) -> str:
    head = f"{'training step, batch 1':46s} {'sweeps':>9s} {'energy/step':>12s} {'latency/step':>13s} {'EDP':>12s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        name = f"{r['algorithm']} on {r['core']} ({r['memory']} weights)"
        sweeps = "" if r["sweeps"] is None else f"{r['sweeps'][0]}+{r['sweeps'][1]}"
        lines.append(f"{name:46s} {sweeps:>9s} {r['energy_j']:11.3g}J {r['latency_s']:12.3g}s {r['edp_js']:10.3g}Js")
    return "\n".join(lines)


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


def claims_table(hidden=(800, 800), *, preset: str = "reference-paper", core_rows: int = 64, cpu_watts: float = 30.0,
                 repeats: int = 50, measure_sweeps: bool = True) -> list[dict]:
    """The published headline claims recomputed (:mod:`photrain.controller.energy.claims`), one row per system.

    This layer supplies what needs training code or this machine: EP's measured step on the RRAM crossbar
    (:func:`training_step`), the batch-1 inference ledger on stationary photonic cores and the CPU's measured
    batch-1 inference time; the other rows are the controller's closed-form ledgers.
    """
    from photrain.controller.energy import claims
    from photrain.train.spiking import STDPConfig

    sizes = [784, *hidden, 10]
    ep_row, ep_rep = training_step(sizes, "eqprop", "crossbar", core_rows=core_rows, preset=preset,
                                   measure_sweeps=measure_sweeps)
    bp_row, _ = training_step(sizes, "backprop", "digital", core_rows=core_rows, preset=preset)
    stdp = STDPConfig()
    cpu = jax.devices("cpu")[0]
    cpu_s = measure_device(sizes, cpu, repeats)["inference_s"]
    bank = OpticalConfig(core_rows=core_rows).bank(10)
    inf = energy_report(inference_ledger(sizes, bank, reprogram=False), preset,
                        CoreSpec(core_rows, bank.n_channels, n_tiles(sizes, bank)))
    return [claims.eqprop_row(ep_rep, sizes, ep_row["sweeps"], preset=preset, digital_bp_energy=bp_row["energy_j"]),
            claims.pcm3t1c_row(preset),
            claims.cbram_row(preset, neurons=stdp.neurons, inputs=stdp.n_pixels + 1, images=60000 * stdp.epochs,
                             spikes_per_image=stdp.out_rate * stdp.t_present),
            claims.photonic_dfa_row(preset, hidden=tuple(hidden), core_rows=core_rows),
            claims.batch1_row(inf, cpu_s=cpu_s, cpu_watts=cpu_watts, hidden=tuple(hidden), preset=preset,
                              cpu_name=cpu.device_kind)]
