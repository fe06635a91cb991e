"""Cost of one weight-memory update (dw -> device pulses) on a 784 x 800 array vs the float update w + dw.

Each memory's ``update`` runs under ``jax.jit`` (donated state, as in a training step) and is timed
against ``w + dw`` jitted the same way, in the same run, in interleaved rounds (the best round of each
counts, which is robust to a shared, loaded machine): the ratio is what an analog memory adds to the
elementwise part of a training step.

Usage: python benchmarks/memory_update.py [--memories rram cbram ...] [--shape 784 800] [--repeats 20] [--rounds 10]
The last printed line is one JSON object: {memory: {"update_s", "float_s", "ratio"}}.
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp

from photrain.memory import MEMORIES, make_memory


def _round(fn, state, dw, keys, repeats):
    """Mean seconds per call over ``repeats`` calls; returns (seconds, state)."""
    t0 = time.perf_counter()
    for i in range(repeats):
        state = fn(state, dw, keys[i % len(keys)])
    jax.block_until_ready(state)
    return (time.perf_counter() - t0) / repeats, state


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memories", nargs="+", default=[m for m in MEMORIES if m != "float"])
    ap.add_argument("--shape", type=int, nargs=2, default=[784, 800])
    ap.add_argument("--repeats", type=int, default=20, help="calls per timed round")
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds; the best round counts")
    args = ap.parse_args()
    shape = tuple(args.shape)
    k_w, k_dw, k_init, k_run = jax.random.split(jax.random.PRNGKey(0), 4)
    w = 0.05 * jax.random.normal(k_w, shape)
    dw = 1e-3 * jax.random.normal(k_dw, shape)
    keys = jax.random.split(k_run, 64)

    runs = {"float": (jax.jit(lambda w, dw, key: w + dw, donate_argnums=0), w + 0.0)}
    for name in args.memories:
        mem = make_memory(name)
        state = jax.tree_util.tree_map(jnp.copy, mem.init(w, k_init))  # distinct buffers (donation)
        runs[name] = (jax.jit(mem.update, donate_argnums=0), state)
    best = {}
    for name, (fn, state) in runs.items():  # compile
        runs[name] = (fn, jax.block_until_ready(fn(state, dw, keys[0])))
    for _ in range(args.rounds):  # interleaved rounds: every device sees the same machine load; keep the best
        for name, (fn, state) in runs.items():
            t, state = _round(fn, state, dw, keys, args.repeats)
            runs[name] = (fn, state)
            best[name] = min(best.get(name, float("inf")), t)
    t_float = best.pop("float")
    print(f"float w + dw: {t_float * 1e3:.3f} ms")
    results = {}
    for name, t in best.items():
        results[name] = {"update_s": t, "float_s": t_float, "ratio": t / t_float}
        print(f"{name:>10}: {t * 1e3:.3f} ms  ({t / t_float:.1f} x w + dw)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
