"""convert: any Equinox model with its eqx.nn.Linear / eqx.nn.Conv2d layers on the hardware."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import equinox as eqx
import jax

from photrain.nn.hardware import Hardware
from photrain.nn.layers import Conv2d, Dense, HardwareLayer

#: Layers with weights that photrain cannot map (yet): left digital, with a warning naming them.
UNSUPPORTED = (eqx.nn.Conv1d, eqx.nn.Conv3d, eqx.nn.ConvTranspose, eqx.nn.Embedding, eqx.nn.GRUCell,
               eqx.nn.LSTMCell)


def _path_str(path) -> str:
    return jax.tree_util.keystr(path).lstrip(".")


def _choose(hardware, path: str, layer):
    """The Hardware for one layer (None: leave it as it is)."""
    if isinstance(hardware, Hardware):
        return hardware
    for key in (path, "." + path):
        if key in hardware:
            return hardware[key]
    for cls in type(layer).__mro__:
        if cls in hardware:
            return hardware[cls]
    return hardware.get("*")


def convert(model, hardware: Hardware | Mapping, *, key=None):
    """``model`` with every ``eqx.nn.Linear`` -> :class:`~photrain.nn.Dense` and ``eqx.nn.Conv2d`` ->
    :class:`~photrain.nn.Conv2d` on ``hardware`` (weights written into its memory); everything else is left.

    hardware: a :class:`~photrain.nn.Hardware` for every layer, or a mapping per layer (as aihwkit's per-layer
    rpu_config) from a layer's path (``"layers[0]"``, as ``jax.tree_util.keystr`` writes it) or type
    (``eqx.nn.Linear``) to a Hardware, or to None to leave that layer as it is; ``"*"``: every other layer
    (without it, unmatched layers stay as they are). A path wins over a type.
    key: device-to-device spread of the memories (default ``PRNGKey(0)``).
    Layers with weights that cannot be mapped (Conv1d, Conv3d, ConvTranspose, Embedding, GRU/LSTM cells,
    non-zero-padded Conv2d) stay digital, with one warning per type naming it.
    """
    if not isinstance(hardware, (Hardware, Mapping)):
        raise ValueError(f"convert(model, hardware): hardware must be a photrain.nn.Hardware or a mapping from layer "
                         f"path or type to Hardware; got {type(hardware).__name__}")
    if isinstance(hardware, Mapping):
        for k, v in hardware.items():
            if v is not None and not isinstance(v, Hardware):
                raise ValueError(f"convert: the mapping's value for {k!r} must be a Hardware or None; "
                                 f"got {type(v).__name__}")
    key = jax.random.PRNGKey(0) if key is None else key
    mappable = (eqx.nn.Linear, eqx.nn.Conv2d)
    warned: set[str] = set()
    counter = iter(range(1 << 30))

    def warn(name: str, why: str):
        if name not in warned:
            warned.add(name)
            warnings.warn(f"photrain.nn.convert: {name} {why}; it stays digital", stacklevel=3)

    def leaf(x):
        return isinstance(x, (*mappable, *UNSUPPORTED, HardwareLayer))

    def one(path, x):
        if isinstance(x, HardwareLayer) or not leaf(x):
            return x
        if isinstance(x, UNSUPPORTED):
            warn(type(x).__name__, "is not supported by photrain.nn (no hardware layer for it)")
            return x
        hw = _choose(hardware, _path_str(path), x)
        if hw is None:
            return x
        k = jax.random.fold_in(key, next(counter))
        if isinstance(x, eqx.nn.Linear):
            if x.in_features == "scalar" or x.out_features == "scalar":
                warn("Linear with 'scalar' features", "is not supported")
                return x
            return Dense.from_linear(x, hw, key=k)
        if x.num_spatial_dims != 2:
            warn(type(x).__name__, "is not supported")
            return x
        if getattr(x, "padding_mode", "ZEROS") != "ZEROS":
            warn("Conv2d with non-zero padding", "is not supported by photrain.nn.Conv2d")
            return x
        return Conv2d.from_conv(x, hw, key=k)

    return jax.tree_util.tree_map_with_path(one, model, is_leaf=leaf)
