"""Pai et al., "Experimentally realized in situ backpropagation for deep learning in photonic neural networks",
Science 380, 398 (2023), reproduced in simulation with photrain.nn.MZIMesh and in-situ gradients (issue 30).

Their data and programs: github.com/solgaardlab/photonicbackprop (``--repo``: a git directory of it, as the
``fetch`` tool or ``git clone --bare`` leaves it; the files are read with ``git show``).

(a) Their chip tasks, from their stored datasets (``moons_onn_device.p``: 200 train / 50 test points;
    ``ring_onn_device.p``: 400 / 100; 4 complex inputs: two features and two constant ports). Their model (the
    Keras model stored in those files): three 4-port mesh layers, |.| after each, |.|^2 at the end, the powers of
    ports (0, 1) and (2, 3) summed into two logits, softmax cross-entropy. Here: three 4-mode triangular
    (``scheme='reck'``) ``MZIMesh`` layers with coherent (field) readout between layers, trained with Adam from the
    in-situ gradient (three-intensity form) on photrain's default chip, the error budget stated in the output
    (per-chip coupler and phase errors, per-arm loss, 12-bit V^2 heater drive, thermal crosstalk, tap and output
    detector noise at 1 mW); and, as the reference, autodiff on an ideal chip. Reported: test accuracy through the
    noisy chip; the gradient-direction error 1 - cos(in situ, exact gradient of the same chip) over a batch;
    next to their files: the accuracy of their chip's stored outputs (``y_onn_test``) and of their simulation
    (``y_sim_test``), and 1 - cos of their measured vs expected gradients (``batch_grad.p``, batch 1, 2, 4).
(b) Their 64-port MNIST simulation (``sim_data.nc``: eval error per epoch, batch 600, SGD and Adam, 100 epochs,
    swept over tap-detector shot noise 0 / 0.005 / 0.01 / 0.02, MZI loss std 0 / 0.05 dB and input/output
    amplitude and phase errors). As their code builds it (``utils.MNISTDataProcessor.fourier(4)``): the centred
    8 x 8 of the shifted 2-D FFT of each image, each example divided by its mean |x|; two triangular 64-port
    layers, |.| between, |.|^2 of the first 10 ports as logits. Run here for ``--mnist-epochs`` epochs on
    ``--mnist-train`` examples, test error next to theirs at the same epoch, in one of two formulations:
    ``--formulation photrain`` (default): per-example in-situ passes (Hughes et al.) on photrain's chip, their
    shot noise mapped to photrain's photodiodes and their MZI loss to per-arm loss (see ``pai_hardware``);
    ``--formulation matrix``: their own simulation (simphox's ``in_situ_matrix_fn``, read in
    fancompute/simphox ``simphox/circuit/forward.py``): the whole matrix measured on basis inputs, their io
    amplitude/phase errors of the generated and measured fields, their tap shot-noise formula, on photrain's
    mesh (``benchmarks/pai2023_matrix.py``). ``--mnist-settings shot,loss_db[,io_amp,io_phase]`` picks their rows.

Where photrain differs (said in the output too): the loss function and learning rates of their sweep are not in
their repository (their ``sim.ipynb`` is absent from its stored history; Adam 0.01 and softmax cross-entropy here;
their older ``mnist/mnist_insitu_train.py``, batch 1, defaults to Adam 0.001); in simphox the noise is drawn by
``np.random`` inside ``jax.jit`` (fixed when traced); here it is drawn fresh every step.

Long runs: ``--checkpoint DIR`` saves every setting after each epoch (atomic write) and resumes from it bit for bit;
``--time-budget S`` starts no epoch that would end past S seconds, so a 100-epoch run fits 10-minute slots.

Usage: flock /tmp/team/heavy.lock .venv/bin/python benchmarks/pai2023.py [--repo DIR] [--epochs 100]
       [--mnist-epochs 1] [--mnist-train 60000] [--mnist-settings 0,0 0.02,0.05] [--method intensity|field]
       [--formulation photrain|matrix] [--mnist-optimizer adam|sgd] [--mnist-lr LR] [--checkpoint DIR]
       [--time-budget S] [--skip-chip] [--skip-mnist] [--data-dir ../shared/datasets]
The last printed line is one JSON object with every figure.

Measured (defaults, ``nice -n 19``): (a) test accuracy in situ on the noisy chip / autodiff on an ideal chip /
their chip / their simulation: moons 92 / 94 / 94 / 94 %, ring 88 / 77 / 90 / 100 %; 1 - cos after training 0.034,
0.051 (three intensities), 5.0e-5, 2.7e-5 (field); theirs 0.0195 / 0.0181 / 0.0161 (batch 1 / 2 / 4). (b) MNIST,
one epoch: 6.93 % noise-free, 54.04 % with shot 0.02 and MZI loss 0.05 dB (three intensities), 5.77 % with the
field form (``--method field``); theirs after one epoch 30.67 / 19.12 % and 32.30 / 18.90 % (Adam / SGD).
Longer (``--mnist-epochs 100 --checkpoint DIR --time-budget 520``, test error after epoch 1 / 5 / 10 / 20 / 50 /
100, theirs with Adam at the same epochs): noise-free per example 6.93 / 4.34 / 3.29 / 3.10 % (21 epochs, 25 s
each); noise-free ``--formulation matrix`` 7.03 / 4.37 / 3.22 / 3.29 / 3.52 / 3.14 % (theirs 30.67 / 6.19 / 4.98 /
4.25 / 3.58 / 3.06 %); matrix, shot 0.02 and MZI loss 0.05 dB: 7.33 / 4.30 / 5.26 / 3.53 / 3.86 / 3.02 %
(theirs 32.30 / 7.08 / 5.94 / 5.35 / 5.21 / 5.04 %), with ``--frozen-noise`` 11.59 / 16.03 / 11.93 / 10.91 % (33
epochs); matrix, io errors 0.05 / 0.05: 11.22 / 5.94 / 4.28 / 3.77 / 2.72 / 2.80 % (theirs 39.24 / 8.32 / 6.86 /
6.03 / 4.75 / 4.26 %); matrix, SGD 0.03: 14.49 / 7.21 / 5.87 / 5.21 / 4.13 / 3.33 % (theirs with SGD 19.12 / 5.07 /
4.17 / 3.54 / 3.10 / 2.97 %).
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import math
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from photrain.nn import MZIMesh
from photrain.nn import insitu as ins
from photrain.nn.checkpoint import load_checkpoint, save_checkpoint

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pai2023_matrix as pm  # noqa: E402

REPO = "/work/.mirror/solgaardlab+photonicbackprop/repo"


# ------------------------------------------------------------------ their files

class _Stub:
    def __init__(self, *a, **k):
        self._args = a

    def __setstate__(self, state):
        self._state = state


class _Unpickler(pickle.Unpickler):
    """Their device files are dill pickles of phox objects: read the arrays, stub the classes we lack."""

    def find_class(self, module, name):
        if name == "_get_attr":
            return lambda obj, attr: getattr(obj, attr, _Stub)
        if name == "_import_module":
            return _import_module
        if name == "_create_namedtuple":
            return lambda n, fields, modname, defaults=None: collections.namedtuple(n, fields)
        if module.startswith("keras"):
            return lambda *a, **k: None
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Stub,), {"__module__": module})


def _import_module(name, safe=False):
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        return _Stub()


def git_file(repo: str, path: str) -> bytes:
    return subprocess.run(["git", "--git-dir", repo, "show", f"HEAD:{path}"], check=True,
                          capture_output=True).stdout


def chip_task(repo: str, name: str):
    onn = _Unpickler(io.BytesIO(git_file(repo, f"{name}_onn_device.p"))).load()["onn"]._state
    tr, te = onn["dataset"], onn["dataset_test"]
    return {"x": np.asarray(tr.X), "y": np.argmax(np.abs(tr.y), 1), "x_test": np.asarray(te.X),
            "y_test": np.argmax(np.abs(te.y), 1), "their_chip_test_acc": float(
                np.mean(np.argmax(onn["y_onn_test"], 1) == np.argmax(np.abs(te.y), 1))),
            "their_sim_test_acc": float(np.mean(np.argmax(onn["y_sim_test"], 1) == np.argmax(np.abs(te.y), 1)))}


def their_gradient_errors(repo: str) -> dict:
    """1 - cos of their measured vs expected gradients (batch_grad.p: batch size -> (expected, measured))."""
    d = pickle.loads(git_file(repo, "batch_grad.p"))
    out = {}
    for batch, arr in d.items():
        a = np.asarray(arr.values, float)
        e, m = a[list(arr.coords["type"].values).index("expected")], a[list(arr.coords["type"].values).index(
            "measured")]
        out[int(batch)] = float(1 - e @ m / (np.linalg.norm(e) * np.linalg.norm(m)))
    return out


def their_mnist(repo: str):
    """(params, coords, values[amp, phase, loss, shot, batch, optimizer, param, epoch]) of sim_data.nc."""
    from scipy.io import netcdf_file

    with tempfile.NamedTemporaryFile(suffix=".nc") as f:
        f.write(git_file(repo, "sim_data.nc"))
        f.flush()
        nc = netcdf_file(f.name, "r", mmap=False)
        v = nc.variables
        params = [b"".join(r).decode() for r in v["param"][:]]
        coords = {k: np.asarray(v[k][:]) for k in ("io_amp_error_std", "io_phase_error_std", "loss_db_std",
                                                   "tap_pd_shot_noise")}
        coords["optimizer"] = [b"".join(r).decode() for r in v["optimizer"][:]]
        return params, coords, np.asarray(v["__xarray_dataarray_variable__"][:])


def their_eval_error(mnist, optimizer: str, shot: float, loss_db: float, epoch: int, amp: float = 0.0,
                     phase: float = 0.0) -> float:
    """Their eval error after epoch ``epoch`` (0-based) of one setting; NaN when the setting is not in their sweep."""
    params, c, a = mnist
    try:
        i = (list(c["io_amp_error_std"]).index(amp), list(c["io_phase_error_std"]).index(phase),
             list(c["loss_db_std"]).index(loss_db), list(c["tap_pd_shot_noise"]).index(shot), 0,
             c["optimizer"].index(optimizer), params.index("eval/error"), epoch)
    except ValueError:
        return float("nan")
    return float(a[i])


# ------------------------------------------------------------------ the networks

class ONN(eqx.Module):
    """Mesh layers with |.| between them (coherent readout), |.|^2 at the end; ``head`` turns powers into logits."""

    layers: tuple
    head: str = eqx.field(static=True)

    def __call__(self, x, *, key=None):
        keys = [None] * len(self.layers) if key is None else list(jax.random.split(key, len(self.layers)))
        h = x
        for i, (layer, k) in enumerate(zip(self.layers, keys, strict=True)):
            y = layer(h, key=k)
            h = jnp.abs(y) if i < len(self.layers) - 1 else jnp.abs(y) ** 2
        if self.head == "pairs":
            return jnp.stack([h[0] + h[1], h[2] + h[3]])
        return h[:10]


def onn(n, depth, head, key, **hw):
    keys = jax.random.split(key, depth)
    return ONN(tuple(MZIMesh(n, scheme="reck", key=k, readout="field", **hw) for k in keys), head)


def ce(model, x, y, key=None):
    logits = jax.vmap(lambda xi, ki: model(xi, key=ki))(x, jax.random.split(key, x.shape[0])) if key is not None \
        else jax.vmap(model)(x)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))


def train(model, x, y, *, epochs, batch, optimizer, gradient, key, log=None, method="intensity", step_grad=None,
          checkpoint=None, time_budget=None):
    """Mini-batch training; each step's gradient by ``gradient`` (in situ: measured on the chip, with noise), or by
    ``step_grad(model, x, y, key) -> (loss, grads)`` when given (their matrix formulation).

    ``checkpoint``: a path; the model, optimiser state, epoch and ``log``'s record are saved there after every epoch
    (written to a temporary file, then renamed) and a run resumes from it bit for bit (the epoch's shuffle and key
    are functions of the epoch number). ``time_budget``: seconds; no epoch is started that would end past it (by
    the last epoch's time). Returns (model, per-epoch mean train loss of the epochs run in this call)."""
    params = eqx.filter(model, eqx.is_inexact_array)
    opt_state = optimizer.init(params)
    steps = len(x) // batch

    @eqx.filter_jit
    def epoch(model, opt_state, order, k, x, y):
        def step(carry, i):
            model, opt_state = carry
            idx = jax.lax.dynamic_slice(order, (i * batch,), (batch,))
            ks = jax.random.fold_in(k, i)
            if step_grad is not None:
                loss, grads = step_grad(model, x[idx], y[idx], ks)
            else:
                loss, grads, _ = ins.value_and_grad(lambda m: ce(m, x[idx], y[idx], ks), model, key=ks,
                                                    gradient=gradient, method=method)
            updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
            return (eqx.apply_updates(model, updates), opt_state), loss

        (model, opt_state), losses = jax.lax.scan(step, (model, opt_state), jnp.arange(steps))
        return model, opt_state, jnp.mean(losses)

    x, y = jnp.asarray(x), jnp.asarray(y)
    start = 0
    if checkpoint is not None and Path(checkpoint).exists():
        model, opt_state, meta = load_checkpoint(checkpoint, model, opt_state)
        start, record = meta["epoch"], meta["record"]
        if log is not None:
            log.restore(record)
        print(f"  resumed from {checkpoint} after epoch {start - 1}", flush=True)
    rng = np.random.default_rng(0)
    for _ in range(start):
        rng.permutation(len(x))
    history, t_start, t_epoch = [], time.perf_counter(), 0.0
    for e in range(start, epochs):
        if time_budget is not None and time.perf_counter() - t_start + t_epoch > time_budget:
            print(f"  time budget: stopping before epoch {e}", flush=True)
            break
        t0 = time.perf_counter()
        model, opt_state, loss = epoch(model, opt_state, jnp.asarray(rng.permutation(len(x))),
                                       jax.random.fold_in(key, e), x, y)
        history.append(float(loss))
        if log is not None:
            log(e, model, float(loss))
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, opt_state,
                            {"epoch": e + 1, "record": None if log is None else log.record()})
        t_epoch = time.perf_counter() - t0
    return model, history


@eqx.filter_jit
def _accuracy(model, x, y, key):
    logits = jax.vmap(lambda xi, ki: model(xi, key=ki))(x, jax.random.split(key, x.shape[0]))
    return jnp.mean(jnp.argmax(logits, -1) == y)


def accuracy(model, x, y, key, chunk=2000):
    accs = [float(_accuracy(model, jnp.asarray(x[i:i + chunk]), jnp.asarray(y[i:i + chunk]),
                            jax.random.fold_in(key, i))) * len(x[i:i + chunk]) for i in range(0, len(x), chunk)]
    return sum(accs) / len(x)


def flat(g):
    return jnp.concatenate([jnp.concatenate([m.theta, m.phi, m.out_phase]) for m in g.layers])


def direction_error(model, x, y, key, method="intensity"):
    """1 - cos(in-situ gradient on the noisy chip, exact gradient of the same chip without read noise)."""
    _, g, _ = ins.value_and_grad(lambda m: ce(m, x, y, key), model, key=key, gradient="insitu", method=method)
    exact = eqx.filter_grad(lambda m: ce(m, x, y))(model)
    a, b = flat(g), flat(exact)
    return float(1 - a @ b / (jnp.linalg.norm(a) * jnp.linalg.norm(b)))


# ------------------------------------------------------------------ (a) the chip tasks

def chip_tasks(args, out):
    out["their_gradient_1_minus_cos"] = their_gradient_errors(args.repo)
    print("their measured vs expected gradient (batch_grad.p), 1 - cos:", out["their_gradient_1_minus_cos"])
    hw = MZIMesh(4, key=jax.random.PRNGKey(0)).hardware
    out["error_budget"] = {k: getattr(hw, k) for k in ("coupler_sigma", "phase_sigma", "arm_loss_db",
                                                       "arm_loss_sigma_db", "phase_bits", "crosstalk", "power",
                                                       "tap_fraction", "tap_bandwidth")}
    print("error budget (photrain's default chip):", out["error_budget"])
    for task in ("moons", "ring"):
        d = chip_task(args.repo, task)
        row = {"task": task, "train": len(d["x"]), "test": len(d["x_test"]),
               "their_chip_test_acc": d["their_chip_test_acc"], "their_sim_test_acc": d["their_sim_test_acc"]}
        key = jax.random.PRNGKey(1)
        x, y = d["x"].astype(np.complex64), d["y"]
        for label, kw, gradient in (("insitu_noisy_chip", {}, "insitu"),
                                    ("autodiff_ideal", {"ideal": True}, "autodiff")):
            model = onn(4, 3, "pairs", jax.random.PRNGKey(2), **kw)
            if label == "insitu_noisy_chip":
                row["grad_1_minus_cos_init"] = direction_error(model, jnp.asarray(x[:10]), jnp.asarray(y[:10]), key)
            t0 = time.perf_counter()
            model, hist = train(model, x, y, epochs=args.epochs, batch=10, optimizer=optax.adam(args.lr),
                                gradient=gradient, key=key)
            row[f"{label}_s"] = time.perf_counter() - t0
            row[f"{label}_test_acc"] = accuracy(model, d["x_test"].astype(np.complex64), d["y_test"],
                                                jax.random.PRNGKey(5))
            row[f"{label}_final_loss"] = hist[-1]
            if label == "insitu_noisy_chip":
                errs = [direction_error(model, jnp.asarray(x[i:i + 10]), jnp.asarray(y[i:i + 10]),
                                        jax.random.fold_in(key, i)) for i in range(0, 100, 10)]
                row["grad_1_minus_cos_trained"] = float(np.median(errs))
                row["grad_1_minus_cos_trained_field"] = float(np.median(
                    [direction_error(model, jnp.asarray(x[i:i + 10]), jnp.asarray(y[i:i + 10]),
                                     jax.random.fold_in(key, i), method="field") for i in range(0, 100, 10)]))
        out["chip_tasks"].append(row)
        print(json.dumps(row), flush=True)


# ------------------------------------------------------------------ (b) 64-port MNIST

def fourier_features(images, radius=4):
    """utils.MNISTDataProcessor.fourier: centred (2 radius)^2 of fftshift(fft2(image)), each example / mean|x|."""
    ft = np.fft.fftshift(np.fft.fft2(images.reshape(-1, 28, 28)), axes=(1, 2))
    x = ft[:, 14 - radius:14 + radius, 14 - radius:14 + radius].reshape(len(images), -1)
    return (x / np.mean(np.abs(x), axis=1, keepdims=True)).astype(np.complex64)


def pai_hardware(shot: float, loss_db_std: float) -> dict:
    """photrain settings for their noise model: no static errors but the MZI loss spread (per arm), no DAC or
    crosstalk; detector noise on with the optical power at which a tap read of unit intensity has relative standard
    deviation ``shot`` (photrain's photodiode: shot, dark and thermal noise), or off when ``shot`` is 0."""
    from photrain.controller.mesh_physics import RESPONSIVITY, photodiode

    hw = dict(coupler_sigma=0.0, phase_sigma=0.0, arm_loss_db=0.0, arm_loss_sigma_db=loss_db_std / math.sqrt(2),
              phase_bits=None, crosstalk=False, noise=shot > 0)
    if shot > 0:
        tap, bw = 0.01, 1e6
        lo, hi = -15.0, 0.0  # log10 W
        for _ in range(60):  # relative std falls with power: bisect
            mid = (lo + hi) / 2
            p = 10 ** mid * tap
            cur = photodiode(jnp.full(4000, p), key=jax.random.PRNGKey(0), bandwidth=bw)
            rel = float(jnp.std(cur) / (RESPONSIVITY * p))
            lo, hi = (mid, hi) if rel > shot else (lo, mid)
        hw.update(power=10 ** hi, tap_fraction=tap, tap_bandwidth=bw)
    return hw


class EpochLog:
    """Test error after every epoch (printed); its record travels in the checkpoint. With ``io`` = (amp, phase)
    also the test error through the measured matrices with their io errors (their formulation's forward)."""

    def __init__(self, label, x_test, y_test, io=None):
        self.label, self.x_test, self.y_test, self.io = label, x_test, y_test, io
        self.errors, self.losses, self.errors_io = [], [], []

    def __call__(self, e, model, loss):
        self.errors.append(1 - accuracy(model, self.x_test, self.y_test, jax.random.PRNGKey(9)))
        self.losses.append(loss)
        extra = ""
        if self.io is not None:
            self.errors_io.append(1 - matrix_accuracy(model, self.x_test, self.y_test, jax.random.PRNGKey(9),
                                                      *self.io))
            extra = f" (through the io errors: {self.errors_io[-1]:.4f})"
        print(f"  MNIST {self.label}: epoch {e} train loss {loss:.4f} test error {self.errors[-1]:.4f}{extra}",
              flush=True)

    def record(self):
        return {"errors": self.errors, "losses": self.losses, "errors_io": self.errors_io}

    def restore(self, record):
        self.errors, self.losses = list(record["errors"]), list(record["losses"])
        io = list(record.get("errors_io", []))
        self.errors_io = [None] * (len(self.errors) - len(io)) + io


@eqx.filter_jit
def _matrix_correct(model, x, y, key, amp, phase):
    logits = pm.apply(pm.matrices(model, key, amp, phase), x)
    return jnp.sum(jnp.argmax(logits, -1) == y)


def matrix_accuracy(model, x, y, key, amp, phase, chunk=2000):
    """Accuracy through U' (one io-error draw per chunk of ``chunk`` examples, as one call of their layer)."""
    return sum(int(_matrix_correct(model, jnp.asarray(x[i:i + chunk]), jnp.asarray(y[i:i + chunk]),
                                   jax.random.fold_in(key, i), amp, phase)) for i in range(0, len(x), chunk)) / len(x)


def mnist_optimizer(name: str, lr: float):
    return optax.adam(lr) if name == "adam" else optax.sgd(lr)


def mnist(args, out):
    from photrain.train.data import load_dataset

    theirs = their_mnist(args.repo)
    d = load_dataset("mnist", args.data_dir, download=False)
    n = min(args.mnist_train, len(d.x_train))
    x, y = fourier_features(d.x_train[:n]), d.y_train[:n]
    x_test, y_test = fourier_features(d.x_test), d.y_test
    lr = args.mnist_lr if args.mnist_lr is not None else args.lr
    matrix = args.formulation == "matrix"
    for setting in args.mnist_settings:
        shot, loss_db, amp, phase = (tuple(setting) + (0.0, 0.0))[:4]
        if (amp or phase) and not matrix:
            raise ValueError("io amplitude/phase errors are modelled in their formulation only; add "
                             "--formulation matrix")
        # their formulation reads the taps with their noise formula: photrain's detectors off, the mesh as theirs
        hw = pai_hardware(0.0 if matrix else shot, loss_db)
        ideal = (shot == 0 or matrix) and loss_db == 0
        model = onn(64, 2, "first10", jax.random.PRNGKey(7), **({"ideal": True} if ideal else hw))
        label = (f"{args.formulation} {args.mnist_optimizer} lr {lr} shot {shot} loss_db_std {loss_db} io_amp "
                 f"{amp} io_phase {phase}")
        log = EpochLog(label, x_test, y_test, io=(amp, phase) if (amp or phase) else None)
        step_grad = None
        if matrix:
            def step_grad(m, xb, yb, k, shot=shot, amp=amp, phase=phase):
                if args.frozen_noise:  # one draw for the whole run (simphox's np.random under jit, if traced once)
                    k = jax.random.PRNGKey(11)
                return pm.value_and_grad(lambda logits, yy: jnp.mean(
                    optax.softmax_cross_entropy_with_integer_labels(logits, yy)), m, xb, yb, k, amp, phase, shot)
        if matrix:
            grad_err = matrix_direction_error(model, jnp.asarray(x[:600]), jnp.asarray(y[:600]),
                                              jax.random.PRNGKey(10), amp, phase, shot)
        else:
            grad_err = None if ideal else direction_error(model, jnp.asarray(x[:600]), jnp.asarray(y[:600]),
                                                           jax.random.PRNGKey(10), method=args.method)
        ck = None
        if args.checkpoint is not None:
            frozen = "_frozen" if args.frozen_noise else ""
            name = (f"pai_mnist_{args.formulation}{frozen}_{args.method}_{args.mnist_optimizer}_{lr}_{n}_{shot}_"
                    f"{loss_db}_{amp}_{phase}.npz")
            ck = Path(args.checkpoint) / name
        t0 = time.perf_counter()
        train(model, x, y, epochs=args.mnist_epochs, batch=600, optimizer=mnist_optimizer(args.mnist_optimizer, lr),
              gradient="insitu", key=jax.random.PRNGKey(8), log=log, method=args.method, step_grad=step_grad,
              checkpoint=ck, time_budget=args.time_budget)
        done = len(log.errors)
        opt = args.mnist_optimizer

        def theirs_at(o, e, shot=shot, loss_db=loss_db, amp=amp, phase=phase):
            return their_eval_error(theirs, o, shot, loss_db, e, amp, phase)

        row = {"shot": shot, "loss_db_std": loss_db, "io_amp_error_std": amp, "io_phase_error_std": phase,
               "formulation": args.formulation, "frozen_noise": args.frozen_noise,
               "method": None if matrix else args.method, "optimizer": opt,
               "lr": lr, "grad_1_minus_cos_init": grad_err, "epochs_done": done, "train_examples": n,
               "test_error": log.errors, "test_error_through_io_errors": log.errors_io or None,
               "train_loss": log.losses, "s_this_call": time.perf_counter() - t0,
               "hardware": "ideal" if ideal else {k: v for k, v in hw.items() if k in ("power", "arm_loss_sigma_db",
                                                                                        "noise")},
               f"their_eval_error_{opt}": [theirs_at(opt, e) for e in range(done)],
               "their_eval_error_adam_final": theirs_at("adam", 99), "their_eval_error_sgd_final": theirs_at("sgd", 99)}
        out["mnist"].append(row)
        print(json.dumps(row), flush=True)


def matrix_direction_error(model, x, y, key, amp, phase, shot):
    """1 - cos(their-formulation gradient with io errors and shot noise, the exact gradient of the same mesh)."""
    def loss(logits, yy):
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, yy))

    _, g = pm.value_and_grad(loss, model, x, y, key, amp, phase, shot)
    exact = eqx.filter_grad(lambda m: ce(m, x, y))(model)
    a, b = flat(g), flat(exact)
    return float(1 - a @ b / (jnp.linalg.norm(a) * jnp.linalg.norm(b)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", default=REPO)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--skip-chip", action="store_true")
    ap.add_argument("--skip-mnist", action="store_true")
    ap.add_argument("--mnist-epochs", type=int, default=1)
    ap.add_argument("--method", default="intensity", choices=("intensity", "field"),
                    help="in-situ form for the MNIST runs (three intensities or coherent tap reads)")
    ap.add_argument("--mnist-train", type=int, default=60000)
    ap.add_argument("--mnist-settings", type=lambda s: tuple(float(v) for v in s.split(",")), nargs="+",
                    default=[(0.0, 0.0), (0.02, 0.05)],
                    help="shot,loss_db_std[,io_amp,io_phase] of their sweep (io errors: --formulation matrix)")
    ap.add_argument("--formulation", default="photrain", choices=("photrain", "matrix"),
                    help="photrain: per-example in-situ passes on photrain's chip and detectors; matrix: their "
                         "simphox formulation (benchmarks/pai2023_matrix.py)")
    ap.add_argument("--frozen-noise", action="store_true",
                    help="--formulation matrix: the same noise draw every step (as np.random inside a jit traced once)")
    ap.add_argument("--mnist-optimizer", default="adam", choices=("adam", "sgd"))
    ap.add_argument("--mnist-lr", type=float, default=None, help="MNIST learning rate (default: --lr)")
    ap.add_argument("--checkpoint", default=None, help="folder for per-setting epoch checkpoints (resume)")
    ap.add_argument("--time-budget", type=float, default=None,
                    help="seconds per setting: start no epoch that would end past it (resume with --checkpoint)")
    ap.add_argument("--data-dir", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"))
    args = ap.parse_args(argv)
    out = {"benchmark": "pai2023", "chip_tasks": [], "mnist": [],
           "not_modelled": ["their loss function and learning rates (not in their repository)",
                            "io amplitude/phase errors in --formulation photrain (modelled in --formulation matrix)"]}
    if not args.skip_chip:
        chip_tasks(args, out)
    if not args.skip_mnist:
        mnist(args, out)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
