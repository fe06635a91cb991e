"""A memory's parameters by name and declared type, and text (``--memory-param KEY=VALUE``) parsed to them.

One helper for every device: the type of a parameter is its dataclass field's annotation
(``float``, ``int``, ``bool``, ``str``, ``int | None``), so a new memory needs nothing here.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing

_TRUE, _FALSE, _NONE = ("true", "yes", "on", "1"), ("false", "no", "off", "0"), ("none", "null", "~", "")


def parameter_types(cls: type) -> dict[str, typing.Any]:
    """``{name: type hint}`` of a memory class's parameters (its dataclass fields), in declaration order."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints.get(f.name, typing.Any) for f in dataclasses.fields(cls)}


def describe(hint) -> str:
    """A type hint in words: 'a number', 'an integer', 'true or false', 'an integer or none', ..."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        words = [describe(a) for a in args if a is not type(None)]
        return " or ".join(words + (["none"] if type(None) in args else []))
    return {float: "a number", int: "an integer", bool: "true or false", str: "a word"}.get(hint, str(hint))


def _convert(value, hint):
    """``value`` (text or an already typed value) as ``hint``; ValueError when it does not fit."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.strip().lower() in _NONE):
            if type(None) in args:
                return None
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(value, a)
            except ValueError:
                pass
        raise ValueError
    text = value.strip() if isinstance(value, str) else None
    if hint is bool:
        if isinstance(value, bool):
            return value
        if text is not None and text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError
    if hint is str:
        if isinstance(value, str) and text:
            return text
        raise ValueError
    if hint in (int, float):
        if isinstance(value, bool) or value is None:
            raise ValueError
        number = float(text.replace("_", "") if text is not None else value)  # float() takes 1e-4, 8000, 8e3
        if not math.isfinite(number):
            raise ValueError
        if hint is int:
            if float(number) != int(number):
                raise ValueError
            return int(number)
        return float(number)
    return value  # an annotation this helper does not know: the device's own checks decide


def parse_params(memory: str, cls: type, params: dict, option: str = "memory_params") -> dict:
    """``params`` with every value converted to the declared type of ``cls``'s parameter of that name.

    Values may be text (``'1e-4'``, ``'8000'``, ``'true'``, ``'none'``) or already typed (``1e-4`` from YAML or
    Python; an int where a float is declared becomes a float). An unknown name or a value that does not
    parse raises ``ValueError``, one line naming the option, the key, the memory and what is allowed.
    """
    types_ = parameter_types(cls)
    out = {}
    for key, value in params.items():
        if key not in types_:
            import difflib

            close = difflib.get_close_matches(str(key), list(types_), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            allowed = f"its parameters are {', '.join(types_)}" if types_ else "it has no parameters"
            raise ValueError(f"{option} {key}: memory {memory!r} has no parameter {key!r}{hint}; {allowed}")
        try:
            out[key] = _convert(value, types_[key])
        except (ValueError, TypeError, OverflowError):
            default = next(f.default for f in dataclasses.fields(cls) if f.name == key)
            raise ValueError(f"{option} {key}={value}: memory {memory!r} needs {key} to be "
                             f"{describe(types_[key])} (default {default!r})") from None
    return out
