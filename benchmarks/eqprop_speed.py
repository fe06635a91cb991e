"""Cost of an equilibrium-propagation epoch on the RRAM crossbar against float EP, in one run.

MNIST 784-500-10, Scellier & Bengio's set-up (batch 20, beta 0.5 with random sign, 20 free / 4 nudged sweep
caps, tol 1e-4, lr 0.1 with layer scale (1, 0.5), no momentum): the rows of ``benchmarks/eqprop.py``, float EP
(float memory, digital products) and EP with every relaxation product on the RRAM crossbar (w_max 0.5, 8-bit
converters, 1 % read noise) and the mixed-precision update (pulse_mode 'accumulate'). The step timed is the
run loop's (:func:`photrain.train.steps.make_step` with :func:`~photrain.train.steps.init_carry`: the crossbar's
settings carried through the epoch and patched where each write lands, both relaxations run their products on
them, the update is written into the memory); each epoch of each set-up is
one jitted ``lax.scan`` over its batches, compiled before timing. Epochs are interleaved (float, crossbar,
float, ...); the ratio is the median crossbar epoch over the median float epoch.

Usage: python benchmarks/eqprop_speed.py [--epochs 3] [--batches N] [--seed 0]
The last printed line is one JSON object: {"float_s", "crossbar_s", "ratio", "test_acc": {...}, "sweeps": {...}, ...};
test_acc: MNIST test accuracy after the run's epochs, the weights read digitally from memory (free phase, float).

Measured (issue 27; the shared 2-core CPU, under ``flock /tmp/team/heavy.lock``, epochs capped at 300 batches
(6000 images) so that a run fits the lock; sweeps per step 20.1-20.5 float, 24.0 crossbar in every run):
first round: before (94e8bb6^) float EP 0.297 s, crossbar EP 4.456 s per epoch, 15.02 x; after (93cb550) 0.351 s
and 2.546 s, 7.24 x. Second round, ``--epochs 5 --batches 300 --seed 0|1``, b65a3ea against the tree at 709a23e
(this item's cb00664..7bed598; item 1's sparse writes e77db4f..709a23e, the dense fallback here) back to back in one
locked job: seed 0 7.65 x (0.303 / 2.316 s) -> **5.17 x** (0.298 / 1.540 s), seed 1 7.45 x
(0.307 / 2.283 s) -> **5.69 x** (0.308 / 1.756 s): target <= 3 x missed. Test accuracy after the 6 epochs, crossbar
before -> after: 83.44 -> 82.97 % (seed 0), 92.70 -> 92.73 % (seed 1), float 93.35 / 93.29 % (the two seeds'
crossbar runs differ by 9 points; untouched devices are no longer re-rounded and the contraction's operands are
ordered anew, so float32 rounding differs and the trajectories part after a few steps).
What changed in the second round (the same device and converter laws, the same draws):
the relaxation's noise keys derived before its loop in one vectorised call and each product's read-noise
normals for all sweeps drawn there at once (``photrain.models.fast_random.Drawn``, ``CrossbarEngine.draw_noise``):
a Threefry call per product and the per-read normals inside the loop cost more than the sweep's products on CPU
(one relaxation sweep alone ~190 -> ~155 us on the loaded CPU; a normal costs 2-3x less drawn in bulk); the
crossbar's batched contraction takes its conductance stacks tiles-major and its padding materialised once (XLA had
transposed the 500 x 784 layer's stack element by element per batch: programming + W1 x 3.25 -> 2.34 ms); the
accumulator's RRAM write computes only the blocks of weights it writes (``RRAMMemory.update_sparse``: ~1e-4 of W1's
weights per step; 3.59 -> 0.26 ms per 500 x 784 write, written devices bit-identical to the dense write's; since
merged into ``RRAMMemory.update``'s one sparse path, ``photrain.memory.sparse.for_hits``: the same bits for both
layers of 784-500-10, 0.35 ms for that write at 1e-4, faster from 3e-4 on).
What is left (traced shares of a crossbar step): the 24 sweeps (26 XLA ops each where float EP runs 13:
two DAC encodings with their row maxima, two batched dots carrying the variance terms, the converters), building
W1's conductance stacks every batch (the write changes the conductances) and W1 x with its variance terms (3 x the
float product's MACs over 7 tiles), and the 240 k read-noise normals per step. Not done: early stopping per example
(1 % read noise keeps every example's state moving by more than tol 1e-4, so the crossbar runs the caps, 20 + 4;
stopping examples early saves no work in a dense batch) and products batched across sweeps (the odd/even sweep of
a 784-500-10 net is sequential: each layer's update needs the other's new state).
Third round (b3b8284; the same draws and converters: the crossbar test accuracies are those of the tree before it),
from a per-thunk trace (``jax.profiler``, perfetto) of the crossbar epoch: the largest op of a sweep was the DAC of
W2 s1's 500 inputs fused with their padding to 4 x 128 lines (~22 us of ~90 us traced: XLA ran the padded DAC chain
element by element); the inputs are now padded before the DAC (padded lines carry no current) and the conductance
stacks are laid out tiles-major once per programming (W2's was transposed inside the loop every sweep). Measured
back to back in one locked job, 21:44-21:46 UTC, ``--epochs 5 --batches 300 --seed 0|1``, the tree before
(b3b8284^, a worktree) then this one: seed 0 5.73 x (0.286 / 1.636 s) -> **5.24 x** (0.308 / 1.612 s), seed 1
5.60 x (0.323 / 1.807 s) -> **4.78 x** (0.335 / 1.602 s); a run of seed 0 at 21:40 gave 5.26 -> 4.52 x. Target
<= 3 x: missed. The crossbar epoch moved 1-11 % (the float epoch's run-to-run spread on the shared CPU is ~10 %).
Where a crossbar step's time goes (each piece jitted alone in a scan of 100 steps after 300 training steps,
loaded CPU, before this round; float EP in brackets): full step 8.2 ms (0.96), programming + W1 x 1.52 ms (0.15:
building W1's three 500 x 896 conductance stacks costs more than the product, and the product with its two variance
terms is ~2.3 x the float one's time), the relaxations' noise keys and normals 0.50 ms, the accumulator and the
RRAM write 1.07 ms (0.05), the update's outer products 0.38 ms (0.31); 24 sweeps at ~80-100 us (float ~20 at
~5-30 us). Tried and dropped: an optimisation barrier instead of the product's conditional (the relaxation 30 %
slower), one contraction with the terms stacked on the contracted axis against a block matrix (the sweep 60 %
slower: twice the MACs), other row-maximum forms (no change). Left: W1's stacks rebuilt every batch although the
accumulator writes ~1e-4 of its devices (a stack carried in the run state and patched where the write pulses would
remove most of the 1.5 ms; the controller state has no slot for it), the memory write (``photrain.memory.sparse``).
Fourth round (bc81288): W1's conductance stacks are no longer rebuilt every batch. The run carries each layer's
stacks beside the controller state (``photrain.controller.carried``, :func:`photrain.train.steps.init_carry`; not in
``HubState``, so checkpoints are unchanged) and rewrites them after a write only at the devices the write may have
changed (``RRAMMemory.write_mask``: the weights with dW != 0, or a rebuild where the write is dense; both
directions' stacks, :meth:`photrain.cores.crossbar.CrossbarCore.patch`); the stacks' read-noise term is computed
with no multiply feeding an add, so that LLVM cannot contract it into an FMA differently in the whole build and in
the patch (it did under the tests' XLA flags); tests/test_carried_settings.py checks, bit for bit, that the carried
stacks equal stacks built afresh after sparse and dense writes, and before every step of an EP run (it fails when
the patch skips a direction, shifts a column or is not run). The RRAM write of few requests (at most 1/32 of the
weights) draws its pulse-rounding uniforms at the requested weights only instead of all 392 k (the same hits,
draws and bits: a request rounded to no pulse leaves its devices alone, as before), and shares its packing of
the requests with the stacks' patch; the accumulator's written granules and residual are computed once. Measured
back to back in one locked job, 23:46-23:48 UTC, ``--epochs 5 --batches 300 --seed 0|1``, the tree before (bc81288^,
a worktree) then bc81288 (a worktree): seed 0 4.84 x (0.278 / 1.346 s) -> **4.63 x** (0.332 / 1.535 s), seed 1
4.82 x (0.342 / 1.645 s) -> **4.52 x** (0.320 / 1.445 s). Target <= 3 x: **missed** (by ~1.5 x). Test accuracy
after the 6 epochs unchanged to the last digit (crossbar 82.97 / 92.73 %, float 93.35 / 93.29 %: the same
trajectories). The ratio moved 4-6 %, inside the shared CPU's run-to-run spread (float epochs 0.28-0.62 s in these
runs), although a per-thunk trace (``jax.profiler``, 30 steps, loaded CPU) no longer shows the stack build
(~0.74 ms of padding and concatenation per step before) nor the full-array rounding draw and its packing
(~0.36 + 0.20 ms). What a crossbar step's trace holds now (per step): the 24 sweeps ~1.7 ms (per sweep the W2 s1
and W2^T s2 three-term contractions ~14 and ~10 us, the convergence check's and the DAC's row maxima ~11 and ~8 us,
the volts' stacking ~5 us), W1 x's three-term batched contraction ~0.84 ms (the float W1 x is ~0.23 ms in isolation;
3.4 x its MACs over 7 tiles of 128 lines) and its noise ~0.2 ms, the sweeps' read-noise normals ~0.43 ms (the
erf_inv of 260 k counter-hash draws: the draws may not change), the requests' packing ~0.15 ms, the accumulator
~0.2 ms, the two outer products ~0.19 ms (as float EP's). Measured and not done: contracting W1 x against stacks
laid out (terms, tiles, tile, outputs) took 0.60 ms instead of 0.86 ms in isolation (the sweeps' small products
18.1 -> 19.3 and 33.7 -> 30.8 us); in the whole step (fifth round, one process, 8 interleaved rounds of 150 steps)
it gave 3.85 ms against 3.80 ms per step: no gain, not done.
Fifth round (e8d7760, c1c16f1; the same bits: test accuracies to the last digit): XLA on CPU lowers a maximum over a
(20, 500) array to a reduce-window and a reduce costing ~10 us, and a sweep ran two of them (the DAC's row maxima
of W2 s1's inputs, the convergence check's largest change); both are now a tree of halving slices
(``photrain.xla_forms.max_last`` / ``max_all``, ~2 us; exact, so the same bits). It speeds float EP more than the
crossbar (the check is common to both). Back to back in one locked job, 04:06-04:08 UTC 2026-12-08,
``--epochs 5 --batches 300 --seed 0|1``, 09c35cd (a worktree) then e9db509: float EP 0.292 -> **0.242 s** and
0.287 -> **0.244 s** per epoch, crossbar EP 1.216 -> **1.150 s** and 1.234 -> **1.071 s**; ratio 4.16 -> **4.76 x**
and 4.30 -> **4.40 x** (a run of the same pair at 03:51: float 0.280 -> 0.277 / 0.293 -> 0.236 s, crossbar 1.129 ->
1.371 / 1.230 -> 1.092 s). Target <= 3 x: **missed** (by ~1.5 x), and the float reference got faster. Test accuracy
(both trees, the same to the digit): crossbar 91.92 / 92.39 %, float 93.35 / 93.29 %. Also measured and not done:
the crossbar's small contractions written as unrolled multiply-adds and a halving sum instead of ``einsum`` (an
isolated 20-sweep relaxation 42.8 -> 45.8 us per sweep), XLA's ``xla_cpu_use_xnnpack`` / ``xla_cpu_use_onednn``
(per step 3.66 -> 4.20 / 3.96 ms, median of 4 rounds) and 512-bit vectors (``xla_cpu_prefer_vector_width=512``,
within the noise here; it would also make results differ between CPUs with and without AVX-512).
Then (63ae451, 84f58c5), from an ablation of the crossbar step (one process, 150 steps, medians of 6 interleaved
rounds, ms per step, at e9db509: float 0.89, crossbar 3.67; the crossbar with ideal converters and no noise 1.81,
with converters and no noise 1.51, with noise and ideal converters 3.67, with its normals replaced by zeros 2.44):
the noise, not the converters, is the cost, and the normals much of it. (1) The relaxation's normals drawn before the
loop are computed flat into a buffer and then reshaped (``fast_random.drawn``): reshaped first, XLA emitted the
draw's loop over the product's minor axis of 10 outputs, and 24 x (4, 20, 10) normals took 250 us instead of 43 us;
the same draws (ablation after it: float 0.82, crossbar 3.01, ideal 1.57, zero normals 2.06 ms). (2)
``fast_random.fast_normal`` draws by Box-Muller, sqrt(-2 ln u) cos(2 pi v) from two counter-hash words, instead of
sqrt(2) erfinv(2u - 1) of one (XLA's erfinv costs twice the rest): 259 k normals 423 -> 280 us in isolation. In the
whole step (2) moved the crossbar 4.43 -> 4.36 ms per step (median of 10 interleaved rounds of 150 steps in one
process, 63ae451 with (2) patched in, a slow phase of the machine): the normals' arithmetic is not where the
zero-normals ablation's ~1 ms goes: with the relaxation's normals replaced by fixed arrays of the same shapes (stored
and sliced as before, not generated) the step took 3.15 ms against 3.29 ms (05:35 UTC, 8469892), so generating them
costs ~0.15 ms per step now; with the noise a constant zero XLA can drop more than the draws (not isolated further).
(2) changes the draws (the same distribution): test accuracies after the 6 epochs 92.38 / 92.22 % (seeds 0 / 1)
against 91.92 / 92.39 % before.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

from photrain.train.config import TrainConfig
from photrain.train.data import load_dataset
from photrain.train.eqprop import eqprop_accuracy, init_eqprop
from photrain.train.steps import init_carry, make_step
from photrain.train.trainer import make_run_controller

EP = {"algorithm": "eqprop", "beta": 0.5, "random_sign_beta": True, "free_steps": 20, "nudged_steps": 4,
      "lr": 0.1, "layer_scale": (1.0, 0.5), "momentum": 0.0, "batch_size": 20}
SETUPS = {
    "float": {"memory": "float", "memory_params": {}, "core": "digital"},
    "crossbar": {"memory": "rram", "memory_params": {"w_max": 0.5}, "core": "crossbar", "pulse_mode": "accumulate"},
}


def make_epoch(setup, sizes, key):
    """(jitted epoch (hs, xs, ys, keys) -> (hs, losses, sweeps), initial hs) for one set-up."""
    cfg = TrainConfig(dataset="mnist", hidden=tuple(sizes[1:-1]), **EP, **SETUPS[setup])
    ctrl = make_run_controller(cfg, sizes[-1])
    hs = ctrl.init(init_eqprop(key, sizes), jax.random.fold_in(key, 1))
    step = make_step(cfg, ctrl)

    @jax.jit
    def epoch(hs, xs, ys, keys):  # the crossbar's settings carried through the epoch (init_carry), as the runs do
        (hs, *_), (losses, (_, sweeps)) = jax.lax.scan(step, init_carry(ctrl, hs), (xs, ys, keys))
        return hs, losses, sweeps

    return epoch, hs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs per set-up (after one compile epoch)")
    ap.add_argument("--batches", type=int, default=0, help="batches per epoch (0: the whole training set)")
    ap.add_argument("--hidden", type=int, nargs="+", default=[500])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--seed", type=int, default=0, help="PRNG seed of the weights, devices and noise")
    args = ap.parse_args()
    data = load_dataset("mnist", args.data_dir)
    batch = EP["batch_size"]
    n = min(args.batches, len(data.x_train) // batch) if args.batches else len(data.x_train) // batch
    xs = jnp.asarray(np.asarray(data.x_train[: n * batch], np.float32).reshape(n, batch, -1))
    ys = jnp.asarray(np.asarray(data.y_train[: n * batch], np.int32).reshape(n, batch))
    sizes = [784, *args.hidden, 10]
    key = jax.random.PRNGKey(args.seed)
    runs = {name: list(make_epoch(name, sizes, key)) for name in SETUPS}
    times = {name: [] for name in SETUPS}
    sweeps = {}
    for e in range(args.epochs + 1):  # epoch 0 compiles (not counted)
        keys = jax.random.split(jax.random.fold_in(key, 100 + e), n)
        for name in SETUPS:
            fn, hs = runs[name]
            t0 = time.perf_counter()
            hs, losses, sw = fn(hs, xs, ys, keys)
            jax.block_until_ready((hs, losses))
            if e:
                times[name].append(time.perf_counter() - t0)
            runs[name][1] = hs
            sweeps[name] = float(np.asarray(sw, np.float64).sum(-1).mean())
            if e == args.epochs:
                print(f"  {name:>9}: last-epoch mean loss {float(jnp.mean(losses)):.4f}, {sweeps[name]:.1f} sweeps/step")
    t_float, t_xbar = statistics.median(times["float"]), statistics.median(times["crossbar"])
    acc = {}  # test accuracy after the run's epochs, read digitally from memory (the run loop's free-phase reading)
    for name in SETUPS:
        cfg = TrainConfig(dataset="mnist", hidden=tuple(sizes[1:-1]), **EP, **SETUPS[name])
        params = make_run_controller(cfg, sizes[-1]).weights(runs[name][1])
        acc[name] = eqprop_accuracy(params, np.asarray(data.x_test[:], np.float32).reshape(len(data.x_test), -1),
                                    np.asarray(data.y_test), steps=EP["free_steps"])
    label = "-".join(map(str, sizes))
    print(f"{label} EP, batch {batch}, {n} batches per epoch, {args.epochs} timed epochs, interleaved, seed {args.seed}")
    print(f"  float EP {t_float:.3f} s/epoch, crossbar EP {t_xbar:.3f} s/epoch: {t_xbar / t_float:.2f} x")
    print(f"  test accuracy after {args.epochs + 1} epochs: float {100 * acc['float']:.2f} %, "
          f"crossbar {100 * acc['crossbar']:.2f} %")
    print(json.dumps({"sizes": label, "batches": n, "seed": args.seed, "float_s": t_float, "crossbar_s": t_xbar,
                      "ratio": t_xbar / t_float, "test_acc": acc, "sweeps_per_step": sweeps, "epochs_s": times}))


if __name__ == "__main__":
    main()
