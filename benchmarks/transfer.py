"""Transfer learning as Ambrogio et al. did it: a frozen digital trunk, the last layer trained on analog memory.

Ambrogio et al., "Equivalent-accuracy accelerated neural-network training using analogue memory", Nature 558,
60 (2018): PCM pairs + a 3T1C capacitor per synapse (the capacitor takes the frequent small updates, transferred
to the PCM pair now and then, with polarity inversion), up to 204,900 synapses, "equivalent" accuracy to
software on MNIST, MNIST-backrand, CIFAR-10 and CIFAR-100, the CIFAR networks trained by transfer learning
(a pre-trained feature extractor, only the last layer on the analog memory). Only the paper's abstract is
stored here: its per-dataset accuracies could not be re-read, so the table states photrain's numbers only.

Here:

1. Trunk: the LeNet-5 of ``benchmarks/conv.py`` trained digitally (float, ``optax.adam(1e-3)``, batch 64)
   on the plain MNIST training set (the source task), then frozen; its conv stages (two conv + ReLU +
   max-pool, 400 features) are the feature extractor. Its plain-MNIST test accuracy is reported.
2. Target task: MNIST-backrand (Larochelle et al., ICML 2007), built from the MNIST files with a fixed seed
   (:mod:`photrain.train.datasets.backrand`: 12,000 training images, MNIST's 10,000 test digits on random
   backgrounds).
3. Only a fresh last layer (Dense 400 -> 10, 4,010 synapses) is trained on the frozen trunk's features of the
   backrand images, with the same pipeline and seed on three memories: ``float`` (the software reference),
   ``pcm-3t1c`` (Ambrogio's synapse, photrain's defaults: transfer every 8,000 images, polarity inversion)
   and ``pcm`` (the PCM pair alone: the 3T1C's worth is the gap between the two). SGD lr 0.01, momentum 0.9,
   batch 64 (as ``benchmarks/analog_memory.py``); products digital (``--core`` moves them onto a core): the
   run isolates the memory. Test accuracy read through the memory (read noise) on the backrand test set.

Usage: .venv/bin/python benchmarks/transfer.py [--trunk-epochs 2] [--head-epochs 10] [--subset N]
       [--data-dir ../shared/datasets] [--out benchmarks/transfer_results.json]
The last printed line is one JSON object; gaps are against the float last layer of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import photrain.nn as pnn
from photrain.train.datasets.backrand import load_mnist_backrand
from photrain.train.datasets.idx import load_idx_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conv import LeNet, _pool  # noqa: E402  (the same network as the LeNet rows)

MEMORIES = ("float", "pcm-3t1c", "pcm")


def trunk_features(model, x, batch: int = 1000) -> np.ndarray:
    """The frozen conv stages of a (converted, trained) LeNet on images x (n, 1, 28, 28): (n, 400) features."""
    c1, c2 = model.c1.program(None), model.c2.program(None)

    @jax.jit
    def feats(xb):
        def one(xi):
            h = _pool(jax.nn.relu(c1(xi)))
            return _pool(jax.nn.relu(c2(h))).reshape(-1)
        return jax.vmap(one)(xb)

    return np.concatenate([np.asarray(feats(jnp.asarray(x[i : i + batch]))) for i in range(0, len(x), batch)])


def head_accuracy_without_retraining(model, feats, y) -> float:
    """The source task's own dense layers on the target's features (what transfer learning replaces)."""
    def head(f):
        h = jax.nn.relu(model.f1(f))
        return model.f3(jax.nn.relu(model.f2(h)))
    logits = jax.jit(jax.vmap(head))(jnp.asarray(feats))
    return float(jnp.mean(jnp.argmax(logits, -1) == jnp.asarray(y)))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trunk-epochs", type=int, default=2)
    p.add_argument("--head-epochs", type=int, default=10)
    p.add_argument("--subset", type=int, default=None, help="first N plain-MNIST training images for the trunk")
    p.add_argument("--n-train", type=int, default=12_000, help="MNIST-backrand training images (Larochelle: 12,000)")
    p.add_argument("--core", default="digital", help="core of the last layer's products (default digital)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=os.environ.get("PHOTRAIN_DATA_DIR", "../shared/datasets"))
    p.add_argument("--out", default="benchmarks/transfer_results.json")
    args = p.parse_args(argv)
    key = jax.random.PRNGKey(args.seed)

    mnist = load_idx_dataset("mnist", args.data_dir, download=False)
    xtr = np.asarray(mnist.x_train, np.float32).reshape(-1, 1, 28, 28)[: args.subset]
    ytr = np.asarray(mnist.y_train)[: args.subset]
    xte, yte = np.asarray(mnist.x_test).reshape(-1, 1, 28, 28), np.asarray(mnist.y_test)
    t0 = time.perf_counter()
    trunk = pnn.convert(LeNet(key), pnn.Hardware(), key=jax.random.fold_in(key, 1))
    trunk, _ = pnn.fit(trunk, optax.adam(1e-3), (xtr, ytr), epochs=args.trunk_epochs, batch_size=64,
                       key=jax.random.fold_in(key, 2), progress=False)
    trunk_s = time.perf_counter() - t0
    source_acc = pnn.evaluate(trunk, xte, yte, through="digital")
    n_trunk = len(ytr)
    del xtr, ytr

    br = load_mnist_backrand(args.data_dir, seed=args.seed, n_train=args.n_train)
    ftr = trunk_features(trunk, np.asarray(br.x_train).reshape(-1, 1, 28, 28))
    fte = trunk_features(trunk, np.asarray(br.x_test).reshape(-1, 1, 28, 28))
    out = {"trunk": "LeNet-5 conv stages (400 features), float, plain MNIST", "trunk_epochs": args.trunk_epochs,
           "trunk_train_images": n_trunk, "trunk_train_s": trunk_s,
           "source_mnist_accuracy": source_acc,
           "backrand_accuracy_source_head_no_retraining": head_accuracy_without_retraining(trunk, fte, br.y_test),
           "backrand_train": len(br.y_train), "backrand_test": len(br.y_test), "head": "Dense 400->10 (4,010 synapses)",
           "head_epochs": args.head_epochs, "core": args.core, "rows": {}}
    print(json.dumps({k: v for k, v in out.items() if k != "rows"}), flush=True)
    for memory in MEMORIES:
        hw = pnn.Hardware(args.core, memory)
        head = pnn.Dense(400, 10, hw, key=jax.random.fold_in(key, 5))
        t0 = time.perf_counter()
        head, hist = pnn.fit(head, optax.sgd(0.01, momentum=0.9), (ftr, br.y_train), epochs=args.head_epochs,
                             batch_size=64, key=jax.random.fold_in(key, 6), progress=False)
        row = {"memory": memory, "hardware": repr(hw), "train_s": time.perf_counter() - t0,
               "accuracy": pnn.evaluate(head, fte, br.y_test, key=jax.random.fold_in(key, 7)),
               "accuracy_digital_read": pnn.evaluate(head, fte, br.y_test, through="digital"),
               "loss": [h["loss"] for h in hist]}
        out["rows"][memory] = row
        print(json.dumps({k: v for k, v in row.items() if k != "loss"}), flush=True)
    ref = out["rows"]["float"]["accuracy"]
    for memory, row in out["rows"].items():
        row["points_below_float"] = 100 * (ref - row["accuracy"])
        print(f"last layer on {memory}: {100 * row['accuracy']:.2f} % on MNIST-backrand "
              f"({row['points_below_float']:+.2f} pt below float)")
    out["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    Path(args.out).write_text(json.dumps(out, indent=1))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
