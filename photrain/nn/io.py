"""save / load: a hardware model in a documented, non-pickle file.

Format (``photrain.nn/1``): a NumPy ``.npz`` archive (zip) read with ``allow_pickle=False``, holding

* ``__photrain__``: a uint8 array, the UTF-8 bytes of a JSON header
  ``{"format": "photrain.nn/1", "tree": NODE}``;
* ``a0``, ``a1``, ...: every array of the model (memory device states, bias registers, drift references,
  the parameters of digital layers), in their own dtypes.

A NODE is ``{"t": kind, ...}``: ``"v"`` (a JSON value: null, bool, int, float, str), ``"a"`` (array
``"k"`` of the archive), ``"tuple"`` / ``"list"`` (``"v"``: NODEs), ``"dict"`` (``"v"``: [[str key,
NODE]]), ``"nt"`` (a NamedTuple: ``"cls"`` "module:QualName", ``"v"``: {field: NODE}), ``"module"`` (an
Equinox module, same keys, its dataclass fields), ``"hardware"`` (``"v"``: :meth:`Hardware.to_dict`),
``"fn"`` (a function by ``"mod"`` / ``"name"``, e.g. ``jax.nn.relu``) and ``"dtype"``.
Loading builds modules field by field (no ``__init__``, no code from the file); a class is looked up
only among modules already imported (import the module that defines your model first).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import zipfile
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from photrain.nn.hardware import Hardware
from photrain.nn.tree import clear_model

FORMAT = "photrain.nn/1"
HEADER = "__photrain__"


def _path(obj) -> str:
    return f"{type(obj).__module__}:{type(obj).__qualname__}"


def _resolve(name: str, path: str):
    mod, _, qual = name.partition(":")
    if mod not in sys.modules:
        raise ValueError(f"load {path}: {name} is not imported; import the module that defines it ({mod}) first")
    obj = sys.modules[mod]
    for part in qual.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ValueError(f"load {path}: {name} does not exist in the imported {mod}")
    return obj


def _encode(obj, arrays: dict):
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"t": "v", "v": obj}
    if isinstance(obj, Hardware):
        return {"t": "hardware", "v": obj.to_dict()}
    if isinstance(obj, (jax.Array, np.ndarray, np.generic)):
        if jnp.issubdtype(obj.dtype, jax.dtypes.prng_key):
            raise ValueError("save: the model holds a typed PRNG key; store keys as uint32 (jax.random.key_data)")
        key = f"a{len(arrays)}"
        arrays[key] = np.asarray(obj)
        return {"t": "a", "k": key}
    if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
        return {"t": "dtype", "v": np.dtype(obj).name}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return {"t": "nt", "cls": _path(obj), "v": {f: _encode(getattr(obj, f), arrays) for f in obj._fields}}
    if isinstance(obj, (tuple, list)):
        return {"t": type(obj).__name__, "v": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise ValueError("save: dict keys in the model must be strings")
        return {"t": "dict", "v": [[k, _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, eqx.Module):
        return {"t": "module", "cls": _path(obj),
                "v": {f.name: _encode(getattr(obj, f.name), arrays) for f in dataclasses.fields(obj)}}
    if callable(obj) and hasattr(obj, "__module__") and hasattr(obj, "__qualname__"):
        mod, name = obj.__module__, obj.__qualname__
        found = sys.modules.get(mod)
        for part in name.split("."):
            found = getattr(found, part, None)
        if found is not obj:  # a module-level lambda (e.g. equinox's identity): look it up by identity
            name = next((k for k, v in vars(sys.modules.get(mod, object)).items() if v is obj), name)
            found = getattr(sys.modules.get(mod), name, None)
        if found is not obj:
            raise ValueError(f"save: the function {mod}.{name} cannot be found by its name (a lambda or a local "
                             "function); use a module-level function")
        return {"t": "fn", "mod": mod, "name": name}
    raise ValueError(f"save: cannot store a {type(obj).__name__} in a photrain.nn file")


def _decode(node, arrays, path: str):
    t = node["t"]
    if t == "v":
        return node["v"]
    if t == "a":
        return jnp.asarray(arrays[node["k"]])
    if t == "hardware":
        return Hardware.from_dict(node["v"])
    if t == "dtype":
        return np.dtype(node["v"])
    if t in ("tuple", "list"):
        items = [_decode(v, arrays, path) for v in node["v"]]
        return tuple(items) if t == "tuple" else items
    if t == "dict":
        return {k: _decode(v, arrays, path) for k, v in node["v"]}
    if t == "fn":
        return _resolve(f"{node['mod']}:{node['name']}", path)
    if t in ("nt", "module"):
        cls = _resolve(node["cls"], path)
        fields = {k: _decode(v, arrays, path) for k, v in node["v"].items()}
        if t == "nt":
            if not (isinstance(cls, type) and issubclass(cls, tuple)):
                raise ValueError(f"load {path}: {node['cls']} is not a NamedTuple")
            return cls(**fields)
        if not (isinstance(cls, type) and issubclass(cls, eqx.Module)):
            raise ValueError(f"load {path}: {node['cls']} is not an Equinox module")
        obj = object.__new__(cls)
        for k, v in fields.items():
            object.__setattr__(obj, k, v)
        return obj
    raise ValueError(f"load {path}: unknown node kind {t!r}")


def save(path, model) -> Path:
    """Write ``model`` (memory device states, biases, hardware, structure) to ``path`` (.npz, :mod:`module doc
    <photrain.nn.io>`); returns the path written."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
    arrays: dict = {}
    tree = _encode(clear_model(model), arrays)
    header = json.dumps({"format": FORMAT, "tree": tree}).encode()
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **{HEADER: np.frombuffer(header, np.uint8)}, **arrays)
    tmp.replace(path)
    return path


def load(path):
    """The model :func:`save` wrote to ``path``; ``ValueError`` (one line) for a corrupt or foreign file."""
    path = Path(path)
    if path.exists() and not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a photrain.nn model file (not an .npz archive); save it with photrain.nn.save")
    try:
        with np.load(path, allow_pickle=False) as z:
            if HEADER not in z.files:
                raise ValueError(f"{path} is not a photrain.nn model file (no {HEADER} header); save it with "
                                 "photrain.nn.save")
            header = json.loads(bytes(z[HEADER]).decode())
            arrays = {k: z[k] for k in z.files if k != HEADER}
    except FileNotFoundError:
        raise
    except ValueError as err:
        if "photrain.nn" in str(err):
            raise
        raise ValueError(f"{path} is not a readable photrain.nn model file ({err})") from None
    except (OSError, zipfile.BadZipFile, EOFError, KeyError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a readable photrain.nn model file ({type(err).__name__}: {err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} model file (format {header.get('format')!r}); "
                         "save it with photrain.nn.save" if isinstance(header, dict) else f"{path}: bad header")
    try:
        return _decode(header["tree"], arrays, str(path))
    except (KeyError, TypeError) as err:
        raise ValueError(f"{path} is a damaged photrain.nn model file ({type(err).__name__}: {err})") from None
