"""The write form of a model as builtins: what a save sends for it.

Each API version's generated ``writes`` module holds, per model, a write Struct and a
``write_<model>`` function applying the spec's write rules (read-only fields left out, links
renamed, tags as names, nested models by their own rules). :func:`to_write_item` finds the function
for an object's class (or its nearest generated base) and returns the result as a dict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

__all__ = ["checker_for", "to_write_item", "writer_for"]

_CACHE: dict[type[Any], Callable[[Any], Any] | None] = {}


def _registries() -> list[dict[type[Any], Callable[[Any], Any]]]:
    from amocrm.v2.writes import WRITERS as V2
    from amocrm.v4.writes import WRITERS as V4

    return [V2, V4]


def _checker_registries() -> list[dict[type[Any], Callable[..., None]]]:
    from amocrm.v2.writes import CHECKERS as V2
    from amocrm.v4.writes import CHECKERS as V4

    return [V2, V4]


def checker_for(cls: type[Any]) -> Callable[..., None] | None:
    """The generated type check of ``cls`` (or of its nearest generated base)."""
    for base in cls.__mro__:
        for registry in _checker_registries():
            if base in registry:
                return registry[base]
    return None


def writer_for(cls: type[Any]) -> Callable[[Any], Any] | None:
    """The generated write function of ``cls`` (or of its nearest generated base class); ``None``
    for classes written as they are."""
    if cls in _CACHE:
        return _CACHE[cls]
    found: Callable[[Any], Any] | None = None
    registries = _registries()
    for base in cls.__mro__:
        for registry in registries:
            if base in registry:
                found = registry[base]
                break
        if found is not None:
            break
    _CACHE[cls] = found
    return found


def to_write_item(obj: Any) -> dict[str, Any]:
    """The dict a save sends for ``obj`` (its class's write rules applied, its field types checked)."""
    checker = checker_for(type(obj))
    if checker is not None:
        checker([obj], type(obj).__name__)
    writer = writer_for(type(obj))
    item = writer(obj) if writer is not None else obj
    data = msgspec.to_builtins(item)
    if not isinstance(data, dict):
        raise TypeError(f"{type(obj).__name__} is not a model")
    return data
