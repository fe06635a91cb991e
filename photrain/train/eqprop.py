"""Equilibrium propagation and contrastive Hebbian learning on a layered energy-based network.

The network (Scellier & Bengio, Front. Comput. Neurosci. 11, 24 (2017), eq. 1 and
Sec. 5) has the input ``s_0 = x`` clamped and free layers ``s_1 .. s_L``
(``s_L`` is the output) with the Hopfield-like energy

    E(s) = sum_l 1/2 |s_l|^2 - sum_l b_l . rho(s_l) - sum_l rho(s_l) . W_l rho(s_{l-1})

with the hard sigmoid ``rho(s) = clip(s, 0, 1)``; as in their implementation the
states live in the box [0, 1] (where rho is the identity). The total energy
``F = E + beta C`` adds the cost ``C = 1/2 |s_L - t|^2`` with strength beta.

Relaxation minimises F over the box by exact block-coordinate descent: F is a
quadratic in each layer given its neighbours, and layers of equal parity do
not interact, so one *sweep* sets every odd layer, then every even layer, to
its box-constrained minimiser

    s_l = clip(W_l rho(s_{l-1}) + b_l + W_{l+1}^T rho(s_{l+1}), 0, 1)
    s_L = clip((W_L rho(s_{L-1}) + b_L + beta t) / (1 + beta), 0, 1)

(the asynchronous layer-wise updates of Scellier, Ernoult, Kendall & Kumar,
NeurIPS 2023, "Energy-based learning algorithms for analog computing"). F never
increases, so the relaxation converges; it stops when no state moves by more
than ``tol`` in a sweep, or after the step cap (hardware read noise keeps the
states jittering, and then the cap ends it).

Free phase: beta = 0 from s = 0 gives s0. Nudged phase: beta from s0 (warm
start) gives s^beta. The EP update (Scellier & Bengio 2017, eq. 10 / Theorem 1)

    dW_l = (rho(s^b_l) rho(s^b_{l-1})^T - rho(s0_l) rho(s0_{l-1})^T) / beta,
    db_l = (rho(s^b_l) - rho(s0_l)) / beta        (means over the batch)

tends to -dC(s0)/dW as beta -> 0. The *clamped* variant ("chl") fixes the
output to the target in the second phase and uses the plain difference of the
products — contrastive Hebbian learning (Movellan 1991), the rule that Yi,
Kendall, Kumar et al. (Nature Electronics 6, 45 (2023)) run on memristor
crossbars; it is EP's beta -> infinity limit (times beta). ``random_sign``
draws beta's sign per batch (Scellier & Bengio's code; Laborieux et al.,
Front. Neurosci. 15, 633674 (2021)), which cancels the first-order bias of a
one-sided nudge on average. ``symmetric`` nudges twice from s0, with +beta and
with -beta, and uses the centred difference

    dW_l = (rho(s^+b_l) rho(s^+b_{l-1})^T - rho(s^-b_l) rho(s^-b_{l-1})^T) / (2 beta)

(Laborieux et al. 2021, their symmetric nudging), whose bias is O(beta^2) instead of O(beta),
for one more nudged phase per step. With the hard sigmoid and squared cost here
the -beta phase's output minimiser (d - beta t) / (1 - beta) amplifies and
saturates at large beta: on a 784-500-10 net after 3000 MNIST images
(recurrent-backprop reference, float products) its layer-1 cosine to the exact
gradient was 0.69 at beta 0.5 against 0.87 one-sided, and 0.96 vs 0.97 at beta
0.1 (issue 11 scratch check), so it is an option, not the default.

Hardware: every product in the relaxation goes through two callables,

    matmul(i, s, key)   -> s @ W_i.T   (batch, out_i)   W x on the core
    matmul_t(i, s, key) -> s @ W_i     (batch, in_i)    W^T s on the core

(``key`` is a jax PRNG key for the read noise of that one product, or None).
The weights themselves are never needed: the update is built from the states,
which is what makes the rule local. This module never imports a core or a
memory; :func:`digital_products` gives the plain float products.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp

from photrain.counter_hash import host_uniform
from photrain.train.network import F32
from photrain.xla_forms import max_all

VARIANTS = ("ep", "chl")


def rho(s):
    """Hard sigmoid, Scellier & Bengio (2017) Sec. 5: clip(s, 0, 1)."""
    return jnp.clip(s, 0.0, 1.0)


#: The most relaxation sweeps a phase may run (the defaults run 4-30; each sweep is a pass per batch).
MAX_RELAX_STEPS = 1000


@dataclass(frozen=True)
class EqPropConfig:
    """Settings of one EP/CHL step.

    beta: nudging strength (EP; any finite non-zero value, |beta| < 1 when negative or random-signed,
        so the output energy stays convex). free_steps / nudged_steps: sweep caps of the two phases.
    tol: a phase stops once no state changes by more than tol in a sweep (0 = always run the cap).
    variant: "ep" (nudged, divided by beta) or "chl" (outputs clamped to the target).
    random_sign: draw the sign of beta at random every step (needs a key).
    symmetric: nudge with +beta and -beta and take the centred difference (Laborieux et al. 2021).
    layer_scale: per-layer factors on the update (None = 1): layer-wise learning rates, as Scellier &
        Bengio's code uses (0.1 and 0.05 for 784-500-10, i.e. (1, 0.5)).
    eps: relaxation step (1 = exact block minimisation; < 1 damps, averaging read noise: :func:`relax`).
    """

    beta: float = 0.5
    free_steps: int = 20
    nudged_steps: int = 8
    tol: float = 1e-4
    variant: str = "ep"
    random_sign: bool = False
    layer_scale: tuple[float, ...] | None = None
    eps: float = 1.0
    symmetric: bool = False

    def __post_init__(self):
        b = float(self.beta)
        if not math.isfinite(b) or b == 0.0:
            raise ValueError(f"--beta must be a finite non-zero nudging strength (e.g. 0.5); got {self.beta}")
        if (b < 0 or self.random_sign or self.symmetric) and abs(b) >= 1.0:
            raise ValueError(f"--beta {self.beta}: a negative, random-sign or symmetric beta needs |beta| < 1 "
                             "(the nudged output energy (1 + beta)/2 |s|^2 must stay convex); use e.g. 0.5")
        if self.symmetric and (self.random_sign or self.variant != "ep"):
            raise ValueError("--symmetric-beta already nudges both ways: it cannot be combined with "
                             "--random-sign-beta or --eqprop-variant chl; drop one")
        for name, v in (("free_steps", self.free_steps), ("nudged_steps", self.nudged_steps)):
            if int(v) != v or not 1 <= int(v) <= MAX_RELAX_STEPS:
                raise ValueError(f"--{name.replace('_', '-')} must be an integer in [1, {MAX_RELAX_STEPS}] relaxation "
                                 f"sweeps (each is a pass over the network per batch); got {v}")
        if not (self.tol >= 0 and math.isfinite(self.tol)):
            raise ValueError(f"eqprop tol must be a finite number >= 0; got {self.tol}")
        if self.layer_scale is not None and not all(math.isfinite(f) and f > 0 for f in self.layer_scale):
            raise ValueError(f"--layer-scale factors must be finite and > 0; got {self.layer_scale}")
        if not 0.0 < self.eps <= 1.0:
            raise ValueError(f"--relax-step must be in (0, 1] (1 = exact block minimisation); got {self.eps}")
        if self.variant not in VARIANTS:
            raise ValueError(f"--eqprop-variant must be one of {', '.join(VARIANTS)}; got {self.variant!r}")


class Relaxed(NamedTuple):
    states: list  # [s_1, ..., s_L], each (batch, width)
    sweeps: jax.Array  # int32: sweeps run
    delta: jax.Array  # largest state change in the last sweep


class EqPropResult(NamedTuple):
    loss: jax.Array  # mean over the batch of C(s0) = 1/2 |s0_L - t|^2
    grads: list  # [(gW, gb)] with gW (out, in): descent directions for an optimiser (w -= lr * g)
    free: Relaxed
    nudged: Relaxed
    beta: jax.Array  # the (signed) beta used
    nudged_neg: Relaxed | None = None  # the -beta phase of a symmetric step, else None

    @property
    def nudged_sweeps(self) -> jax.Array:
        """Sweeps of every nudged phase this step ran (both of a symmetric step): what the ledger counts."""
        return self.nudged.sweeps if self.nudged_neg is None else self.nudged.sweeps + self.nudged_neg.sweeps


def digital_products(params):
    """(matmul, matmul_t) as plain float products of ``params = [(W, b)]``; the key is ignored."""
    def matmul(i, s, key=None):
        return s @ params[i][0].T

    def matmul_t(i, s, key=None):
        return s @ params[i][0]

    return matmul, matmul_t


def _check_products(matmul, matmul_t):
    if matmul is None:
        raise ValueError("eqprop needs matmul(i, s, key) -> s @ W_i.T (the W x product of the core)")
    if matmul_t is None:
        raise ValueError("eqprop needs W^T products (matmul_t(i, s, key) -> s @ W_i) in every relaxation step, "
                     "and this core has no transpose: use --core crossbar (drives the columns), bank (programs W^T) "
                     "or digital")


def relax(biases, x, matmul, matmul_t, *, steps: int, tol: float = 0.0, beta=0.0, target=None, clamp: bool = False,
          init=None, key=None, drive0=None, differentiable: bool = False, eps: float = 1.0,
          prepare_keys=None) -> Relaxed:
    """Minimise F = E + beta C over the box by odd/even block sweeps (see the module docstring).

    biases: [b_1 .. b_L] (their shapes give the layer widths). init: starting states (default zeros).
    clamp: hold the output at ``target`` (the CHL clamped phase). drive0: W_1 x if already computed (x is
    clamped, so the input layer's drive is one product per relaxation). ``steps`` caps the sweeps.
    differentiable: run exactly ``steps`` sweeps with ``lax.scan`` (reverse-mode differentiable; no early exit).
    eps: step towards each layer's minimiser, s <- s + eps (s* - s): 1 is exact block minimisation; eps < 1 is
    Scellier & Bengio's leaky-integrator step (their eps = 0.5), which also averages read noise over sweeps.
    Noise keys: product n of sweep k reads with ``fold_in(fold_in(key, k), n)``, all derived before the loop in one
    vectorised call (a Threefry call per product inside the loop cost more than a crossbar sweep's products on
    CPU, issue 27); products n = 2j are ``matmul(j)`` (j >= 1), n = 2j + 1 ``matmul_t(j + 1)``. ``prepare_keys``
    maps that (sweeps, products) key array to a list with one entry per product n: what it takes as its key in
    every sweep (leading axis: sweeps), or None where a product never runs; e.g. its read noise drawn in advance
    for all sweeps (:meth:`photrain.controller.engines.CrossbarEngine.draw_noise`: the draws of the same keys).
    """
    if int(steps) < 1:
        raise ValueError(f"relaxation steps must be >= 1; got {steps}")
    _check_products(matmul, matmul_t)
    n_layers = len(biases)
    batch = x.shape[0]
    if init is None:
        init = [jnp.zeros((batch, b.shape[-1]), F32) for b in biases]
    states = [jnp.asarray(s, F32) for s in init]
    if clamp:
        states[-1] = jnp.asarray(target, F32)
    beta = jnp.asarray(beta, F32)
    x = jnp.asarray(x, F32)
    biases = [jnp.asarray(b, F32) for b in biases]
    target = None if target is None else jnp.asarray(target, F32)
    if drive0 is None:
        drive0 = matmul(0, x, None if key is None else jax.random.fold_in(key, 10_000))
    drive0 = jnp.asarray(drive0, F32)
    odd = list(range(0, n_layers, 2))  # state index l-1 for layers l = 1, 3, 5 ...
    even = list(range(1, n_layers, 2))

    keys = None
    if key is not None:  # (sweeps, products): the same keys as folding in per sweep, in one vectorised draw
        fold = jax.vmap(jax.random.fold_in, in_axes=(None, 0))
        keys = jax.vmap(fold, in_axes=(0, None))(fold(key, jnp.arange(int(steps))), jnp.arange(2 * n_layers))
        keys = [keys[:, n] for n in range(2 * n_layers)] if prepare_keys is None else prepare_keys(keys)

    def pkey(step, n):
        return None if keys is None or keys[n] is None else jax.tree.map(lambda a: a[step], keys[n])

    def update(states, j, step):
        """Box minimiser of layer j+1 (state index j) given its neighbours."""
        d = (drive0 if j == 0 else matmul(j, rho(states[j - 1]), pkey(step, 2 * j)).astype(F32)) + biases[j]
        if j < n_layers - 1:
            up = matmul_t(j + 1, rho(states[j + 1]), pkey(step, 2 * j + 1)).astype(F32)
            return jnp.clip(d + up, 0.0, 1.0)
        if clamp:
            return states[j]
        if target is None:
            return jnp.clip(d, 0.0, 1.0)
        return jnp.clip((d + beta * target) / (1.0 + beta), 0.0, 1.0)

    def sweep(states, step):
        new = list(states)
        for group in (odd, even):
            for j in group:
                target_j = update(new, j, step)
                new[j] = target_j if eps == 1.0 else new[j] + eps * (target_j - new[j])
        return new

    def cond(c):
        _, step, delta = c
        return (step < steps) & (delta > tol)

    def change(new, old):
        return max_all(*[jnp.abs(a - b) for a, b in zip(new, old, strict=True)]).astype(F32)

    def body(c):
        states, step, _ = c
        new = sweep(states, step)
        return new, step + 1, change(new, states)

    if differentiable:
        def scan_body(st, step):
            new = sweep(st, step)
            return new, change(new, st)

        states, deltas = jax.lax.scan(scan_body, states, jnp.arange(int(steps)))
        return Relaxed(states, jnp.int32(steps), deltas[-1])
    states, n, delta = jax.lax.while_loop(cond, body, (states, jnp.int32(0), jnp.asarray(jnp.inf, F32)))
    return Relaxed(states, n, delta)


def activity_products(x, states, n):
    """[(rho(s_l)^T rho(s_{l-1}) / n, sum rho(s_l) / n)] for every layer pair."""
    pre = [x, *[rho(s) for s in states[:-1]]]
    return [(rho(s).T @ p / n, rho(s).sum(0) / n) for s, p in zip(states, pre, strict=True)]


def eqprop_step(biases, x, target, matmul, matmul_t, config: EqPropConfig, key=None, *,
                prepare_keys=None) -> EqPropResult:
    """One EP (or CHL) step on a batch: free phase, nudged (or clamped) phase, the local update.

    biases: [b_1 .. b_L]. x: (batch, n_in) clamped inputs (in [0, 1]). target: (batch, n_out) in [0, 1]
    (one-hot classes, or clean patterns to reconstruct). key: PRNG key for random-sign beta and the
    cores' read noise (None = deterministic). Returns loss, descent directions ``grads`` (the negated
    update, so an optimiser's ``w -= lr * g`` applies +lr dW) and both relaxed phases. ``prepare_keys``: see
    :func:`relax`.
    """
    _check_products(matmul, matmul_t)
    x = jnp.asarray(x, F32)
    target = jnp.asarray(target, F32)
    n = x.shape[0]
    k_sign, k_free, k_nudge, k_in = (None,) * 4 if key is None else tuple(jax.random.split(key, 4))
    beta = jnp.asarray(config.beta, F32)
    if config.random_sign:
        if key is None:
            raise ValueError("random-sign beta needs a PRNG key")
        beta = jnp.where(jax.random.bernoulli(k_sign), beta, -beta)
    biases = [jnp.asarray(b, F32) for b in biases]
    drive0 = matmul(0, x, k_in).astype(F32)  # x is clamped in both phases: W_1 x is one product per batch
    free = relax(biases, x, matmul, matmul_t, steps=config.free_steps, tol=config.tol, key=k_free, drive0=drive0,
                 eps=config.eps, prepare_keys=prepare_keys)
    clamp = config.variant == "chl"
    nudged = relax(biases, x, matmul, matmul_t, steps=config.nudged_steps, tol=config.tol, beta=beta, target=target,
                   clamp=clamp, init=free.states, key=k_nudge, drive0=drive0, eps=config.eps, prepare_keys=prepare_keys)
    scale = 1.0 if clamp else beta
    anchor, nudged_neg = free, None
    if config.symmetric:
        nudged_neg = relax(biases, x, matmul, matmul_t, steps=config.nudged_steps, tol=config.tol, beta=-beta,
                           target=target, init=free.states, key=None if k_nudge is None
                           else jax.random.fold_in(k_nudge, 1), drive0=drive0, eps=config.eps, prepare_keys=prepare_keys)
        anchor, scale = nudged_neg, 2.0 * beta
    pos, neg = activity_products(x, nudged.states, n), activity_products(x, anchor.states, n)
    grads = [(-(wp - wn) / scale, -(bp - bn) / scale) for (wp, bp), (wn, bn) in zip(pos, neg, strict=True)]
    if config.layer_scale is not None:
        if len(config.layer_scale) != len(grads):
            raise ValueError(f"--layer-scale has {len(config.layer_scale)} factors for a network of {len(grads)} "
                             "weight layers; give one per layer")
        grads = [(f * gw, f * gb) for (gw, gb), f in zip(grads, config.layer_scale, strict=True)]
    loss = 0.5 * jnp.mean(jnp.sum((free.states[-1] - target) ** 2, -1))
    return EqPropResult(loss, grads, free, nudged, beta, nudged_neg)


def predict(biases, x, matmul, matmul_t, *, steps: int, tol: float = 1e-4, key=None, eps: float = 1.0,
            prepare_keys=None):
    """Free-phase output states (batch, n_out): the network's prediction."""
    return relax(biases, jnp.asarray(x, F32), matmul, matmul_t, steps=steps, tol=tol, key=key, eps=eps,
                 prepare_keys=prepare_keys).states[-1]


# ------------------------------------------------------------------ references for tests and notebooks


def energy(params, x, states, *, beta=0.0, target=None):
    """F = E + beta C per example (batch,), with states in the box (rho = identity there)."""
    pre = [x, *states[:-1]]
    e = 0.0
    for (w, b), s, p in zip(params, states, pre, strict=True):
        e = e + 0.5 * jnp.sum(s * s, -1) - s @ b - jnp.sum(s * (p @ w.T), -1)
    if target is not None:
        e = e + beta * 0.5 * jnp.sum((states[-1] - target) ** 2, -1)
    return e


def stationarity(params, x, states, *, beta=0.0, target=None):
    """Largest projected-gradient component |s - clip(s - dF/ds, 0, 1)| over units and batch.

    Zero exactly at a stationary point of F on the box (the first-order optimality measure of
    box-constrained minimisation)."""
    g = jax.grad(lambda st: jnp.sum(energy(params, x, st, beta=beta, target=target)))(list(states))
    return max(float(jnp.max(jnp.abs(s - jnp.clip(s - gs, 0.0, 1.0)))) for s, gs in zip(states, g, strict=True))


def recurrent_backprop_grads(params, x, target, *, steps: int = 200, unroll: int = 200, tol: float = 0.0):
    """The exact gradient of C(s0(theta)) by recurrent backpropagation (Almeida 1987; Pineda 1987).

    s0 is relaxed to its fixed point, then the loss is differentiated through ``unroll`` more free sweeps
    started at s0 (held constant): a truncated Neumann series of the implicit-function gradient
    dC/ds (I - dT/ds)^-1 dT/dtheta of the sweep map T, exact as ``unroll`` grows. Returns (loss, grads).
    """
    matmul, matmul_t = digital_products(params)
    biases = [b for _, b in params]
    s0 = jax.lax.stop_gradient(relax(biases, x, matmul, matmul_t, steps=steps, tol=tol).states)

    def loss_fn(p):  # lax.while_loop has no reverse mode: the unrolled sweeps run under lax.scan
        mm, mt = digital_products(p)
        states = relax([b for _, b in p], x, mm, mt, steps=unroll, init=s0, differentiable=True).states
        return 0.5 * jnp.mean(jnp.sum((states[-1] - target) ** 2, -1))

    return jax.value_and_grad(loss_fn)(params)


# ------------------------------------------------------------------ a plain float training loop


def init_eqprop(key, sizes: list[int]):
    """[(W, b)] with Glorot-uniform W (out, in) and zero b, the initialisation of Scellier & Bengio's code."""
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"layer sizes must be >= 1 and at least input and output; got {sizes}")
    out = []
    for k, (n_in, n_out) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:], strict=True),
                                strict=True):
        bound = math.sqrt(6.0 / (n_in + n_out))
        # jax.random.uniform's values, from shared compiled draws (photrain.counter_hash.host_uniform)
        out.append((jnp.asarray(host_uniform(k, (n_out, n_in), F32, -bound, bound)), jnp.zeros((n_out,), F32)))
    return out


def make_float_epoch(config: EqPropConfig, lrs):
    """A jitted epoch of plain float EP/CHL with per-layer learning rates: (params, xs, ts, key) -> (params, losses).

    xs: (n_batches, batch, n_in), ts: (n_batches, batch, n_out). The reference against which the
    hardware runs (the controller path) are compared.
    """
    @jax.jit
    def epoch(params, xs, ts, key):
        def step(p, batch):
            x, t, k = batch
            mm, mt = digital_products(p)
            r = eqprop_step([b for _, b in p], x, t, mm, mt, config, k)
            new = [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb), lr in zip(p, r.grads, lrs, strict=True)]
            return new, (r.loss, r.free.sweeps, r.nudged.sweeps)

        keys = jax.random.split(key, xs.shape[0])
        return jax.lax.scan(step, params, (xs, ts, keys))

    return epoch


@functools.lru_cache(maxsize=16)
def float_predict_fn(steps: int, tol: float = 1e-4, eps: float = 1.0):
    """jitted (params, x) -> free-phase output states, with float products."""
    @jax.jit
    def f(params, x):
        mm, mt = digital_products(params)
        return predict([b for _, b in params], x, mm, mt, steps=steps, tol=tol, eps=eps)

    return f


# ------------------------------------------------------------------ on the hardware, through the controller


def _controller_products(ctrl, prog):
    if not getattr(ctrl.core, "supports_transpose", True):
        raise ValueError(f"eqprop runs W^T s in every relaxation sweep, and the {ctrl.core.kind!r} core has no "
                         "transpose: use --core crossbar, bank or digital")
    return (lambda i, s, k: ctrl.matmul(prog, i, s, k)), (lambda i, s, k: ctrl.matmul_t(prog, i, s, k))


def _prepare_keys(ctrl, prog, batch: int):
    """:func:`relax`'s ``prepare_keys`` on the controller's core: every product's read noise over the sweeps from
    its engine's ``draw_noise`` (None: the engine has none, and the products take the keys as they are)."""
    draw = getattr(ctrl.core, "draw_noise", None)
    if draw is None:
        return None
    n_layers = len(prog.settings)

    def prepare(keys):
        noise = []
        for n in range(keys.shape[1]):
            j, transposed = divmod(n, 2)  # n = 2j: matmul(j); n = 2j + 1: matmul_t(j + 1)
            i = j + transposed
            runs = i < n_layers if transposed else i >= 1  # W_1 x is drive0, once per batch
            noise.append(draw(prog.settings[i], keys[:, n], batch, transpose=bool(transposed)) if runs else None)
        return noise

    return prepare


def controller_step(ctrl, config: EqPropConfig, hs, x, target, key, carried=None):
    """One EP/CHL step on the hardware: (hs, :class:`EqPropResult`, device counts).

    The controller (``photrain.controller.Controller``, passed in) programs its core from the weight
    memory once for the batch (W and, on a bank, W^T), every relaxation product runs on that core with
    fresh read noise, and the update is written into the memory as pulses (``ctrl.apply``). The result
    carries both phases' states and the sweeps they ran (``free.sweeps``, ``nudged.sweeps``). ``carried``: the
    core settings a run carries for ``hs`` (``ctrl.carry``; the same products): then a fourth element, the
    settings after the write (``ctrl.apply_carried``).
    """
    k_prog, k_step, k_mem = jax.random.split(key, 3)
    prog = ctrl.program(hs, k_prog, transpose=True, kept=carried) if carried else ctrl.program(hs, k_prog, transpose=True)
    mm, mt = _controller_products(ctrl, prog)
    r = eqprop_step(list(hs.bias), x, target, mm, mt, config, k_step, prepare_keys=_prepare_keys(ctrl, prog, x.shape[0]))
    if not carried:
        hs, counts = ctrl.apply(hs, r.grads, k_mem, x.shape[0])
        return (hs, r, counts) if carried is None else (hs, r, counts, carried)
    hs, counts, carried = ctrl.apply_carried(hs, r.grads, k_mem, x.shape[0], carried)
    return hs, r, counts, carried


def controller_update(ctrl, config: EqPropConfig, hs, x, target, key):
    """One EP/CHL step on the hardware (:func:`controller_step`): (hs, loss, device counts)."""
    hs, r, counts = controller_step(ctrl, config, hs, x, target, key)
    return hs, r.loss, counts


def controller_predict(ctrl, hs, x, *, steps: int, tol: float = 1e-4, key=None, eps: float = 1.0):
    """Free-phase outputs with every product on the controller's core (read noise when ``key`` is given)."""
    k_prog, k_run = (None, None) if key is None else tuple(jax.random.split(key))
    prog = ctrl.program(hs, k_prog, transpose=True)
    mm, mt = _controller_products(ctrl, prog)
    return predict(list(hs.bias), x, mm, mt, steps=steps, tol=tol, key=k_run, eps=eps,
                   prepare_keys=_prepare_keys(ctrl, prog, jnp.shape(x)[0]))


def eqprop_accuracy(params, x, y, *, steps: int, tol: float = 1e-4, batch: int = 2000, eps: float = 1.0) -> float:
    """Classification accuracy (fraction) of the free phase's output, float products of ``params``."""
    f = float_predict_fn(steps, tol, eps)
    correct = 0
    for i in range(0, len(x), batch):
        out = f(params, jnp.asarray(x[i : i + batch], F32))
        correct += int(jnp.sum(jnp.argmax(out, -1) == jnp.asarray(y[i : i + batch])))
    return correct / len(x)
