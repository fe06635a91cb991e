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
on both devices; PCM and RRAM writes compute their new conductance once (``memory.base.computed_once``, now
``photrain.xla_forms.computed_once``). Second pair: a write computes only the devices it pulses
(``photrain.memory.sparse``: at these rates PCM pulses ~0.15 %
of its devices per step, RRAM ~1.7 %; the hit list is packed 32 to a word and searched by popcount, no prefix sum
over every element; the dense write above 1/32 of the devices), and maintenance that is not due costs no copies
(``memory.base.run_if``: XLA on CPU copies every array a ``lax.cond`` passes through). Per 256 x 784 layer and step
(jax.profiler, a busier machine than the table's runs): the float step ~0.65 ms (its two products); a PCM or RRAM
read with per-device Gaussian read noise ~0.43 ms, most of it the log of Box-Muller (one normal per weight instead
of one per device, or a polynomial log, measured within 10 %); the write's rounding uniform and hit packing for
every device ~0.2 ms; the sparse write itself 0.1-0.5 ms. The target is missed: the read noise and the per-device
rounding draw alone cost about as much as the float step on this CPU.

Third round (issue 27; the two trees' benchmarks from their own copies, back to back in one locked script,
21:36-21:39 UTC 2026-12-07: ``--hidden 256 --epochs 5`` and ``--hidden 800 800 --epochs 3 --batches 200``):

    net              memory     1e0b638 (before)   01e38d5 (after)   epoch s before -> after (float)
    784-256-10       pcm        2.33 x             2.25 x            0.817 -> 0.775 (0.350 / 0.344)
                     pcm-3t1c   2.31 x             1.99 x            0.811 -> 0.685
                     rram       2.99 x             2.62 x            1.048 -> 0.900
    784-800-800-10   pcm        2.44 x             2.30 x            1.162 -> 1.181 (0.476 / 0.514)
                     pcm-3t1c   2.39 x             2.06 x            1.137 -> 1.057
                     rram       3.04 x             2.75 x            1.448 -> 1.416

(ed51ea1 measured 2.21 / 2.36 / 2.71 and 2.43 / 2.41 / 3.07 at 16:38 under another load; 1e0b638 is that tree with
the few-hits chunk of ``memory.sparse.for_hits`` and RRAM's one sparse write path since.)
Profiled first, the real step with one term switched off (784-256-10, 400 batches, interleaved,
20:28 UTC, ms per step): float 0.388; pcm 0.848, without read noise 0.617, without refreshes 0.834; pcm-3t1c 0.898,
without read noise 0.641, without transfers 0.768; rram 1.038, without read noise 0.810. So per 256 x 784 layer
and step: read noise ~0.23 ms (all three), the 3T1C transfer 0.13 ms (one every 125 steps, ~16 ms each), the PCM
write ~0.2 ms, the RRAM write ~0.4 ms, of which the hit search of its 1/32 chunk ~0.1 ms. Threefry key derivations
(``split``, ``fold_in``) cost < 0.4 µs each inside the scan, ``run_if`` that is not taken nothing measurable: not
worth attacking. What changed: (1) closed-loop tuning (3T1C transfer, PCM refresh) runs its rounds on the pending
pairs alone once at most 1/8 are pending (``memory.pcm.tune_pair``: the pending pairs halve every round, 17 rounds
for a transfer; the same draws, tests/test_memory_tune.py): a 256 x 784 transfer 41.2 -> 12.7 ms. (2) the hit search
finds each slot's word by a scatter of one mark per word and a prefix sum instead of a binary search per slot
(``memory.sparse.indices``, the same indices): 0.119 -> 0.045 ms with the packing for a 1.7 % RRAM step. (3) the
Box-Muller cos/sin polynomial in Horner form (19 fewer instructions per 8 elements of the read's loop; values
within 1e-6, tests/test_memory_draws.py). Tried and dropped (measured, no gain): one normal per weight with the
two of a Box-Muller pair on two weights (XLA computes each element of a concatenation on its own, so the log is not
shared; materialised first it costs as much as it saves), table look-ups for r, cos and sin (gathers: slower),
``fast_normal``'s erfinv (0.50 vs 0.35 ms with the product), ``searchsorted(method='scan_unrolled')`` (0.096 ms),
chunks fitted to the step's hits in steps of sqrt(2) (within the noise). What is left: the read's fused loop is
~150 instructions of 256-bit vectors per 8 weights (hash, log, sqrt, cos/sin), already split over both cores by XLA; a Gaussian
per device per read costs ~0.2 ms per 200 k weights on this CPU, half the float step, so the 1.5 x target stays
missed with the read noise modelled per device and per read.
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
