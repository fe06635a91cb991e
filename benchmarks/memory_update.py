"""Cost of one weight-memory update (dw -> device pulses) on a 784 x 800 array vs the float update w + dw.

Each memory's ``update`` runs under ``jax.jit`` (donated state, as in a training step) and is timed
against ``w + dw`` jitted the same way, in the same run: the ratio is what an analog memory adds to the
elementwise part of a training step.

Usage: python benchmarks/memory_update.py [--memories rram cbram ...] [--shape 784 800] [--repeats 50]
The last printed line is one JSON object: {memory: {"update_s", "float_s", "ratio"}}.
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp

from photrain.memory import MEMORIES, make_memory


def _time(fn, state, dw, keys, repeats):
    state = fn(state, dw, keys[0])  # compile
    jax.block_until_ready(state)
    best = float("inf")
    for rep in range(3):
        t0 = time.perf_counter()
        for i in range(repeats):
            state = fn(state, dw, keys[(rep * repeats + i) % len(keys)])
        jax.block_until_ready(state)
        best = min(best, (time.perf_counter() - t0) / repeats)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memories", nargs="+", default=[m for m in MEMORIES if m != "float"])
    ap.add_argument("--shape", type=int, nargs=2, default=[784, 800])
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    shape = tuple(args.shape)
    k_w, k_dw, k_init, k_run = jax.random.split(jax.random.PRNGKey(0), 4)
    w = 0.05 * jax.random.normal(k_w, shape)
    dw = 1e-3 * jax.random.normal(k_dw, shape)
    keys = jax.random.split(k_run, 64)

    float_update = jax.jit(lambda w, dw, key: w + dw, donate_argnums=0)
    t_float = _time(float_update, w + 0.0, dw, keys, args.repeats)
    print(f"float w + dw: {t_float * 1e3:.3f} ms")
    results = {}
    for name in args.memories:
        mem = make_memory(name)
        state = jax.tree_util.tree_map(jnp.copy, mem.init(w, k_init))  # distinct buffers (donation)
        t = _time(jax.jit(mem.update, donate_argnums=0), state, dw, keys, args.repeats)
        results[name] = {"update_s": t, "float_s": t_float, "ratio": t / t_float}
        print(f"{name:>10}: {t * 1e3:.3f} ms  ({t / t_float:.1f} x w + dw)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
