"""The network ``photrain train`` trains with a layered rule: an Equinox MLP of :class:`photrain.nn.Dense` layers.

ReLU hidden layers, a linear output (logits). Its weights start as PyTorch's ``nn.Linear`` draws them
(:func:`init_mlp`, U(+-1/sqrt(fan_in)) for W and b, float32) and are written into the run's weight memory by
the controller (:func:`build_mlp`); :func:`photrain.nn.fit` trains it (every product and memory write through
the controller) and :func:`photrain.nn.predict` evaluates it.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from photrain.controller import HubState
from photrain.counter_hash import host_uniform
from photrain.nn import Dense, Hardware, predict

F32 = jnp.float32


def init_mlp(key, sizes: list[int]):
    """[(W, b)] for layer sizes, W of shape (out, in), PyTorch ``nn.Linear`` init U(+-1/sqrt(fan_in)), float32."""
    if len(sizes) < 2 or any(int(s) < 1 for s in sizes):
        raise ValueError(f"layer sizes must be >= 1 and at least input and output; got {sizes}")
    params = []
    for k, (n_in, n_out) in zip(jax.random.split(key, len(sizes) - 1), zip(sizes[:-1], sizes[1:], strict=True),
                                strict=True):
        kw, kb = jax.random.split(k)
        bound = 1.0 / jnp.sqrt(jnp.float32(n_in))
        # jax.random.uniform's values, from shared compiled draws (photrain.counter_hash.host_uniform)
        params.append((jnp.asarray(host_uniform(kw, (n_out, n_in), F32, -bound, bound)),
                       jnp.asarray(host_uniform(kb, (n_out,), F32, -bound, bound))))
    return params


class MLP(eqx.Module):
    """Hardware layers with ReLU between them; ``__call__`` takes one example (in,) and returns its logits.

    pixels: how 8-bit inputs are read (:class:`photrain.train.datasets.base.Uint8Images`): an example of dtype
    uint8 becomes code / 255, then (x - shift) / scale when ``pixels = (shift, scale)`` has a shift, the same
    float32 operations in the same order as ``Uint8Images`` indexing (a run keeps MNIST on the device as its
    47 MB of codes); float inputs pass as they are.
    """

    layers: tuple
    pixels: tuple = eqx.field(static=True, default=(None, None))

    def __call__(self, x):
        if x.dtype == jnp.uint8:  # the constants behind a barrier: XLA would divide by multiplying by 1/c
            shift, scale = self.pixels
            c255, shift, scale = jax.lax.optimization_barrier((F32(255), F32(shift or 0.0), F32(scale or 1.0)))
            x = x.astype(F32) / c255
            if self.pixels[0] is not None:
                x = (x - shift) / scale
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = jax.nn.relu(x)
        return x


def build_mlp(params, hardware: Hardware, key=None) -> MLP:
    """The MLP whose layer l holds ``params[l] = (W, b)`` in ``hardware``'s memory.

    key: the memories' initial write (layer l gets ``split(key, L)[l]``, as the controller's ``init`` of the
    whole network draws it); None: float memory only (noise-free, e.g. to evaluate saved weights).
    """
    ctrl = hardware.controller
    hs = ctrl.init([(jnp.asarray(w, F32), jnp.asarray(b, F32)) for w, b in params],
                   jax.random.PRNGKey(0) if key is None else key)
    layers = []
    for i, (w, b) in enumerate(params):
        layer = Dense(int(w.shape[1]), int(w.shape[0]), hardware, key=jax.random.PRNGKey(0),
                      weight=jnp.zeros(w.shape, F32), bias=jnp.zeros(b.shape, F32))
        state = hs._replace(mem=(hs.mem[i],), bias=(hs.bias[i],), vel=(), acc=hs.acc[i : i + 1])
        layers.append(eqx.tree_at(lambda m: m.state, layer, state))
    return MLP(tuple(layers))


def weights(model: MLP) -> list:
    """[(W, b)] as read from the memories, noise-free (for evaluation and checkpoints)."""
    return [(layer.read(), layer.bias) for layer in model.layers]


def hub_state(model: MLP) -> HubState:
    """The controller state of the whole network (every layer's memory, bias register and accumulator), as the
    controller's ``init`` of all layers would hold it: for ``ctrl.weights``, ``ctrl.elapse`` and the benchmarks
    that read a run's ``results['state']``. The optimiser's velocity lives in optax's state, so ``vel`` is ()."""
    layers = model.layers
    return HubState(tuple(layer.state.mem[0] for layer in layers), tuple(layer.state.bias[0] for layer in layers), (),
                    tuple(a for layer in layers for a in layer.state.acc))


def accuracies(model: MLP, sets, *, through: str = "digital", key=None) -> list[float]:
    """Accuracy (fraction) on each ``(x, y)`` of ``sets``, all run together through one programming of the cores
    (:func:`photrain.nn.predict`: 'digital' reads the memories noise-free; 'hardware' with read and core noise)."""
    x = np.concatenate([np.asarray(x, np.float32) for x, _ in sets])
    if len(x) == 0:
        return [float("nan")] * len(sets)
    y = np.concatenate([np.asarray(y) for _, y in sets])
    correct = np.asarray(jnp.argmax(predict(model, x, through=through, key=key), -1)) == y
    edges = np.cumsum([0, *(len(x) for x, _ in sets)])
    return [float(np.mean(correct[a:b])) if b > a else float("nan") for a, b in zip(edges[:-1], edges[1:], strict=True)]


def accuracy(params, x, y) -> float:
    """Classification accuracy (fraction) of the weights ``[(W, b)]`` as a float MLP (digital products)."""
    return accuracies(build_mlp(params, Hardware()), [(x, y)])[0]


def forward(params, x, matmul=None):
    """Float reference of :class:`MLP` on a batch: (logits, [(input, pre-activation)] per layer) for the weights
    ``[(W, b)]``; ``matmul(layer, h, W)`` replaces ``h @ W.T``. For tests and benchmarks that compare against the
    plain float network (training runs through :func:`photrain.nn.fit`)."""
    h, cache = x, []
    for i, (w, b) in enumerate(params):
        a = (h @ w.T if matmul is None else matmul(i, h, w)) + b
        cache.append((h, a))
        h = jax.nn.relu(a) if i < len(params) - 1 else a
    return h, cache


def cross_entropy(logits, y):
    """Mean softmax cross-entropy for integer labels."""
    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))
