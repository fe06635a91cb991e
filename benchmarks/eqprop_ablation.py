"""Where EP on the RRAM crossbar loses accuracy: one non-ideality at a time, on an MNIST subset (issue 11).

Trains 784-hidden-10 with equilibrium propagation through the controller (``eqprop.controller_update``:
every relaxation product on the chosen core, the update written to the chosen memory) on the first
``--n-train`` training images for ``--epochs`` epochs, and reports the free-phase test accuracy on the first
``--n-test`` test images, read digitally from memory and on the core, the mean pulses per step and the RMS
weight change of each layer (a device update much finer than a level is applied by stochastic rounding:
its RMS change exceeds the float update's when it is mostly a random walk).

The issue-11 diagnosis (4000 images, 1 epoch, batch 20, lr 0.03, beta 1, 30 + 15 sweeps, relax_step 0.5):
    --memory float --core digital                                   float EP
    --memory float                                                  float weights on the crossbar
    (defaults)                                                      RRAM (w_max 0.5) on the crossbar
    --memory-params '{"w_max": 0.5, "n_levels": null}'              ... with continuous conductance
    --crossbar '{"adc_bits": null}'                                 ... with ideal ADCs
    --batch 100 --lr 0.15                                           ... batch 100
    --batch 100 --lr 0.3 --pulse-mode accumulate                    ... with the controller's mixed-precision update

Usage: nice -n 10 python benchmarks/eqprop_ablation.py [--n-train 4000] [--n-test 1000] [--memory rram]
           [--memory-params JSON] [--core crossbar] [--crossbar JSON] [--batch 20] [--lr 0.03]
           [--pulse-mode analog|sign|accumulate] [--data-dir DIR]
The last printed line is one JSON object (every epoch's figures and the arguments).
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--hidden", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--lr", type=float, default=0.03)
    ap.add_argument("--beta", type=float, default=1.0)
    ap.add_argument("--free", type=int, default=30)
    ap.add_argument("--nudged", type=int, default=15)
    ap.add_argument("--relax-step", type=float, default=0.5)
    ap.add_argument("--layer-scale", type=float, nargs=2, default=[1.0, 0.5])
    ap.add_argument("--memory", default="rram")
    ap.add_argument("--memory-params", default='{"w_max": 0.5}', help="JSON")
    ap.add_argument("--core", default="crossbar")
    ap.add_argument("--crossbar", default="{}", help="JSON of CrossbarConfig fields")
    ap.add_argument("--pulse-mode", default="analog", choices=("analog", "sign", "accumulate"),
                    help="how the controller writes updates (accumulate: mixed precision, whole device granules)")
    ap.add_argument("--dataset", default="mnist")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", default=None)
    a = ap.parse_args()

    from photrain.controller import CrossbarConfig, build_controller
    from photrain.train import eqprop as ep
    from photrain.train.data import load_dataset

    data = load_dataset(a.dataset, a.data_dir)
    xtr, ytr = data.x_train[: a.n_train], data.y_train[: a.n_train]
    xte, yte = data.x_test[: a.n_test], data.y_test[: a.n_test]
    ctrl = build_controller(memory=a.memory, memory_params=json.loads(a.memory_params), core=a.core,
                            crossbar=CrossbarConfig(**json.loads(a.crossbar)), lr=a.lr, momentum=0.0,
                            n_channels=data.n_classes, pulse_mode=a.pulse_mode)
    key = jax.random.PRNGKey(a.seed)
    hs = ctrl.init(ep.init_eqprop(key, [data.n_features, a.hidden, data.n_classes]), jax.random.fold_in(key, 1))
    cfg = ep.EqPropConfig(beta=a.beta, free_steps=a.free, nudged_steps=a.nudged, layer_scale=tuple(a.layer_scale),
                          eps=a.relax_step)

    @jax.jit
    def epoch_fn(hs, xs, ys, k):
        def step(hs, batch):
            x, y, kk = batch
            hs, loss, counts = ep.controller_update(ctrl, cfg, hs, x, jax.nn.one_hot(y, data.n_classes), kk)
            return hs, (loss, counts[0])

        return jax.lax.scan(step, hs, (xs, ys, jax.random.split(k, xs.shape[0])))

    t0, w0, history = time.perf_counter(), ctrl.weights(hs), []
    nb = len(xtr) // a.batch
    for e in range(a.epochs):
        order = np.random.default_rng([a.seed, e]).permutation(len(xtr))[: nb * a.batch]
        hs, (losses, pulses) = epoch_fn(hs, jnp.asarray(xtr[order].reshape(nb, a.batch, -1)),
                                        jnp.asarray(ytr[order].reshape(nb, a.batch)), jax.random.fold_in(key, 100 + e))
        w = ctrl.weights(hs)
        out = ep.controller_predict(ctrl, hs, jnp.asarray(xte), steps=a.free, key=jax.random.PRNGKey(7), eps=a.relax_step)
        h = {"epoch": e + 1, "test_acc": ep.eqprop_accuracy(w, xte, yte, steps=a.free, eps=a.relax_step),
             "test_acc_on_core": float(np.mean(np.argmax(np.asarray(out), -1) == yte)),
             "loss": float(np.mean(losses)), "pulses_per_step": float(np.mean(pulses)),
             "rms_weight_change": [float(jnp.sqrt(jnp.mean((w[i][0] - w0[i][0]) ** 2))) for i in range(len(w))],
             "time_s": time.perf_counter() - t0}
        history.append(h)
        print(f"epoch {h['epoch']}: test {100 * h['test_acc']:.2f}% (on the core {100 * h['test_acc_on_core']:.2f}%), "
              f"{h['pulses_per_step']:.0f} pulses/step, RMS weight change {h['rms_weight_change']}", flush=True)
    print(json.dumps({"args": vars(a), "history": history}))


if __name__ == "__main__":
    main()
