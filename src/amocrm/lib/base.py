"""Base classes of every generated model, and change tracking.

``AmoStruct`` carries the per-class metadata the generator renders as a class variable:
``__amo_flex__`` (which fields accept amoCRM's ``{}``/``[]`` placeholders). How a model is written
is generated apart, per version (``amocrm.<version>.writes``). ``AmoFlexModel`` adds the
``__post_init__`` that normalises those placeholders; only classes that have such fields inherit
it, so small leaf structs (custom-field values, links) decode without a Python-level hook.

**Change tracking.** Objects a resource returns (read from the server) are marked *clean*
(:func:`mark_clean`); from then on every attribute assignment is recorded, and
:func:`changed_fields` tells which fields the caller set since. Saves use it: only changed fields
are type-checked again (the rest came from the server), and API v4 updates send only them, so two
workers changing different fields of one entity both keep their change. Objects you build
yourself are untracked: everything set on them counts as changed. Assignments are seen; changes
made inside a nested list or object in place are not -- reassign the field, use the model's helper
methods, or call :func:`touch`.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any, ClassVar

import msgspec

__all__ = ["CHANGED_KEY", "AmoFlexModel", "AmoStruct", "changed_fields", "mark_clean", "struct_type", "touch"]

#: Key of the changed-field set in an object's ``__dict__`` (absent: untracked).
CHANGED_KEY = "__amo_changed__"
_CHANGED = CHANGED_KEY


class AmoStruct(msgspec.Struct, kw_only=True, repr_omit_defaults=True, dict=True):
    """A mutable amoCRM object; fields the server did not send are ``msgspec.UNSET``."""

    __amo_flex__: ClassVar[tuple[tuple[str, bool], ...]] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        changed: set[str] | None = self.__dict__.get(_CHANGED)
        if changed is not None:
            changed.add(name)
        super().__setattr__(name, value)


class AmoFlexModel(AmoStruct, kw_only=True, repr_omit_defaults=True):
    """An :class:`AmoStruct` with ``FlexList``/``FlexObj`` fields, normalised after decoding."""

    def __post_init__(self) -> None:
        for name, is_list in self.__amo_flex__:
            value: Any = getattr(self, name)
            if is_list:
                if type(value) is dict:
                    msgspec.structs.force_setattr(self, name, list(value.values()))
            elif type(value) is list:
                msgspec.structs.force_setattr(self, name, None)


def mark_clean(objects: Iterable[Any]) -> None:
    """Start tracking ``objects`` as they are now (read from the server, or just saved)."""
    for obj in objects:
        state = getattr(obj, "__dict__", None)
        if state is not None:
            state[_CHANGED] = set()


def changed_fields(obj: Any) -> set[str] | None:
    """The fields assigned since ``obj`` was read or saved; ``None`` when it is untracked
    (built by you: every field set on it counts)."""
    state = getattr(obj, "__dict__", None)
    if state is None:
        return None
    changed: set[str] | None = state.get(_CHANGED)
    return changed


def touch(obj: Any, *names: str) -> None:
    """Record ``names`` as changed (after changing a nested list or object in place)."""
    changed = changed_fields(obj)
    if changed is not None:
        fields = getattr(type(obj), "__struct_fields__", ())
        for name in names:
            if name not in fields:
                raise AttributeError(f"{type(obj).__name__} has no field {name!r}")
            changed.add(name)


_STRUCT_TYPES: dict[tuple[type, str], Any] = {}


def struct_type(cls: type, attr: str) -> Any:
    """The Struct class inside the annotation of ``cls.attr`` (``FlexList[Tag] | None`` -> ``Tag``), cached.

    Helpers build nested objects through it, so they work for subclasses of the generated models
    (the per-account fields modules, your own) whose nested types differ.
    """
    cached = _STRUCT_TYPES.get((cls, attr))
    if cached is not None:
        return cached
    stack: list[Any] = [typing.get_type_hints(cls)[attr]]
    while stack:
        tp = stack.pop(0)
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            _STRUCT_TYPES[(cls, attr)] = tp
            return tp
        stack.extend(typing.get_args(tp))
    raise TypeError(f"{cls.__name__}.{attr} holds no model type")
