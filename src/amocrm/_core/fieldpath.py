"""Server field paths -> Python attribute paths, and v4 validation errors -> the failed input objects.

API v4 names a refused field by its dotted wire path (``custom_fields_values.0.values.0.value``,
``_embedded.tags.0.name``). :func:`python_path` walks the model's msgspec type information to
spell the same place as attribute access on the model (``custom_fields_values[0].values[0].value``,
``embedded.tags[0].name``); :func:`failures` turns a ``validation-errors`` list into
:class:`~amocrm.errors.ItemFailure` objects that point at the input objects by ``request_id``.
I/O-free.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from amocrm.errors import FieldError, ItemFailure

__all__ = ["failures", "python_path"]


@functools.lru_cache(maxsize=256)
def _fields_of(cls: type[Any]) -> Mapping[str, tuple[str, Any]]:
    """``{wire name: (attribute, msgspec type info)}`` of a Struct class."""
    info = msgspec.inspect.type_info(cls)
    fields = getattr(info, "fields", ())
    return {f.encode_name: (f.name, f.type) for f in fields}


def _unwrap(t: Any) -> Any:
    """The struct or list inside an optional / union type info (the first one that has fields)."""
    if isinstance(t, msgspec.inspect.UnionType):
        for member in t.types:
            if isinstance(member, (msgspec.inspect.StructType, msgspec.inspect.ListType,
                                   msgspec.inspect.DictType)):
                return member
        return None
    return t


def python_path(model: type[Any] | None, dotted: str) -> str:
    """``dotted`` (a server path) as attribute access on ``model``; unknown parts are kept as they are."""
    parts = [p for p in str(dotted).split(".") if p != ""]
    current: Any = msgspec.inspect.type_info(model) if model is not None else None
    out = ""
    for part in parts:
        t = _unwrap(current)
        if part.isdigit():
            out += f"[{part}]"
            current = t.item_type if isinstance(t, msgspec.inspect.ListType) else None
            continue
        if isinstance(t, msgspec.inspect.StructType):
            found = _fields_of(t.cls).get(part)
            if found is not None:
                name, current = found
                out += ("." if out else "") + name
                continue
        if isinstance(t, msgspec.inspect.DictType):
            out += f"[{part!r}]"
            current = t.value_type
            continue
        out += ("." if out else "") + part
        current = None
    return out


def failures(validation: Sequence[Any], model: type[Any] | None,
             by_request: Mapping[str, tuple[int, Any]] | None = None) -> list[ItemFailure]:
    """One :class:`ItemFailure` per entry of ``validation-errors``; ``by_request`` maps a request id
    to ``(input index, input object)`` (a save's adds)."""
    out: list[ItemFailure] = []
    for entry in validation:
        if not isinstance(entry, Mapping):
            continue
        rid = entry.get("request_id")
        rid_text = None if rid is None else str(rid)
        index, obj = (by_request or {}).get(rid_text, (None, None)) if rid_text is not None else (None, None)
        errors = []
        for err in entry.get("errors") or []:
            if not isinstance(err, Mapping):
                continue
            path = str(err.get("path") or "")
            errors.append(FieldError(path=path, field=python_path(model, path) if path else "",
                                     code=err.get("code"), detail=str(err.get("detail") or "")))
        out.append(ItemFailure(request_id=rid_text, index=index, object=obj, errors=errors))
    return out
