"""Cost of a DFA training step with the weights in an analog memory, against float memory, in one run.

MNIST, DFA (Nøkland 2016), SGD lr 0.01 momentum 0.9 (``optax.sgd``), batch 64. The step timed is the one
``photrain train`` runs: :func:`photrain.nn.fit.make_step` on an MLP of :class:`photrain.nn.Dense` layers
(the controller reads every memory with read noise and programs the core, the model runs, B·e feeds every
hidden layer, optax's update is written into the memory by ``Controller.write``: pulses, then maintenance).
Each epoch of each memory is one jitted ``lax.scan`` over the epoch's batches (fit scans chunks of 32 with
the same step), compiled before timing. Epochs are interleaved (float, pcm, pcm-3t1c, rram, float, pcm, ...)
so that every memory sees the same load of the shared machine; the ratio is the median epoch time of a
memory over the median epoch time of float memory.

Usage: python benchmarks/memory_speed.py [--hidden 256] [--hidden 800 800] [--epochs 3] [--batches N]
The last printed line is one JSON object: {"784-256-10": {memory: {"epoch_s", "float_s", "ratio"}}, ...}.

Measured (issue 27; the shared 2-core CPU, ``flock /tmp/team/heavy.lock``; ratio = median memory epoch / median
float-memory epoch of the same run; ``--hidden 256 --epochs 3`` = 937 batches per epoch, ``--hidden 800 800
--epochs 3 --batches 200`` capped so that the run fits the lock):

    net              memory     94e8bb6^ (13:30 UTC)   93cb550 (13:37 UTC)   caa10ba (16:37)   ed51ea1 (16:38)   target
    784-256-10       pcm        3.81 x                 2.96 x                2.79 x            2.21 x            <= 1.5 x
                     pcm-3t1c   2.32 x                 2.49 x                2.41 x            2.36 x
                     rram       6.85 x                 3.51 x                3.21 x            2.71 x
    784-800-800-10   pcm        4.26 x                 3.21 x                3.00 x            2.43 x
                     pcm-3t1c   3.27 x                 3.27 x                2.73 x            2.41 x
                     rram       7.33 x                 3.72 x                3.40 x            3.07 x

(the last two columns with ``--epochs 5``, each tree's benchmark run from its own copy, the four runs back to back
in one locked script, 16:37-16:41 UTC, 2026-12-07; float epoch 0.345 / 0.337 s (256) and 0.491 / 0.441 s
(800-800).) What changed, first pair: RRAM read noise from one hashed word per weight instead of Threefry normals
on both devices; PCM and RRAM writes compute their new conductance once (``memory.base.computed_once``). Second
pair: a write computes only the devices it pulses (``photrain.memory.sparse``: at these rates PCM pulses ~0.15 %
of its devices per step, RRAM ~1.7 %; the hit list is packed 32 to a word and searched by popcount, no prefix sum
over every element; the dense write above 1/32 of the devices), and maintenance that is not due costs no copies
(``memory.base.run_if``: XLA on CPU copies every array a ``lax.cond`` passes through). Per 256 x 784 layer and step
(jax.profiler, a busier machine than the table's runs): the float step ~0.65 ms (its two products); a PCM or RRAM
read with per-device Gaussian read noise ~0.43 ms, most of it the log of Box-Muller (one normal per weight instead
of one per device, or a polynomial log, measured within 10 %); the write's rounding uniform and hit packing for
every device ~0.2 ms; the sparse write itself 0.1-0.5 ms. The target is missed: the read noise and the per-device
rounding draw alone cost about as much as the float step on this CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from photrain.nn import Dense, Hardware
from photrain.nn.dfa import Feedback
from photrain.nn.fit import cross_entropy, make_step
from photrain.nn.tree import program_model, trainable_spec
from photrain.train.data import load_dataset

MEMORIES = ("float", "pcm", "pcm-3t1c", "rram")


class MLP(eqx.Module):
    """Dense hardware layers with ReLU between them (one example in, logits out)."""

    layers: tuple

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = jax.nn.relu(x)
        return x


def make_epoch(memory, sizes, key, x_example):
    """(jitted epoch (dyn, opt_state, xs, ys, keys) -> (dyn, opt_state, losses), dyn, opt_state) for one memory."""
    hw = Hardware(memory=memory)
    ks = jax.random.split(key, len(sizes) - 1)
    model = MLP(tuple(Dense(i, o, hw, key=k) for i, o, k in zip(sizes[:-1], sizes[1:], ks, strict=True)))
    opt = optax.sgd(0.01, momentum=0.9)
    prog = program_model(model, None, transpose=False)
    opt_state = opt.init(eqx.filter(prog, trainable_spec(prog)))
    feedback = Feedback(model, x_example, jax.random.fold_in(key, 0xFB), "dfa")
    dyn, static = eqx.partition(model, eqx.is_array)
    step = make_step(static, opt, cross_entropy, feedback)

    @jax.jit
    def epoch(dyn, opt_state, xs, ys, keys):
        (dyn, opt_state), (losses, _) = jax.lax.scan(lambda c, b: step(c, b, feedback.arrays), (dyn, opt_state),
                                                     (xs, ys, keys))
        return dyn, opt_state, losses

    return epoch, dyn, opt_state


def bench(sizes, memories, epochs, batches, x, y):
    """Per-epoch seconds of every memory, interleaved; returns {memory: [seconds, ...]}."""
    batch = 64
    n = min(batches, len(x) // batch) if batches else len(x) // batch
    key = jax.random.PRNGKey(0)
    xs = jnp.asarray(np.asarray(x[: n * batch], np.float32).reshape(n, batch, -1))
    ys = jnp.asarray(np.asarray(y[: n * batch], np.int32).reshape(n, batch))
    runs = {name: list(make_epoch(name, sizes, key, xs[0, 0])) for name in memories}
    times = {name: [] for name in memories}
    for e in range(epochs + 1):  # epoch 0 compiles (not counted)
        keys = jax.random.split(jax.random.fold_in(key, 100 + e), n)
        for name in memories:
            fn, dyn, opt_state = runs[name]
            t0 = time.perf_counter()
            dyn, opt_state, losses = fn(dyn, opt_state, xs, ys, keys)
            jax.block_until_ready((dyn, losses))
            if e:
                times[name].append(time.perf_counter() - t0)
            runs[name][1:] = [dyn, opt_state]
            if e == epochs:
                print(f"  {name:>9}: last-epoch mean loss {float(jnp.mean(losses)):.4f}")
    return times, n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, nargs="+", action="append", help="hidden widths (repeatable)")
    ap.add_argument("--memories", nargs="+", default=list(MEMORIES[1:]))
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs per memory (after one compile epoch)")
    ap.add_argument("--batches", type=int, default=0, help="batches per epoch (0: the whole training set)")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    data = load_dataset("mnist", args.data_dir)
    x, y = data.x_train, data.y_train
    memories = ["float", *[m for m in args.memories if m != "float"]]
    results = {}
    for hidden in args.hidden or [[256]]:
        sizes = [784, *hidden, 10]
        label = "-".join(map(str, sizes))
        times, n = bench(sizes, memories, args.epochs, args.batches, x, y)
        print(f"{label}: DFA, batch 64, {n} batches per epoch, {args.epochs} timed epochs, interleaved")
        t_float = statistics.median(times["float"])
        results[label] = {"batches": n}
        for name in memories:
            t = statistics.median(times[name])
            results[label][name] = {"epoch_s": t, "float_s": t_float, "ratio": t / t_float,
                                    "epochs_s": times[name]}
            print(f"  {name:>9}: {t:.3f} s/epoch (median of {len(times[name])})  {t / t_float:.2f} x float")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
