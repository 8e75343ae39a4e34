"""Turn a model into the dict amoCRM expects in ``add``/``update`` (read-only keys never echoed).

Each generated class lists its writable fields in ``__amo_write__`` as
``(attribute, wire key, conversion)``, rendered from the spec (``readOnly`` fields are left out,
``x-write`` renames and converts). Conversions:

- ``value``: the value as JSON builtins; nested models are converted by their own rules.
- ``ids``: a linked-ids object ``{"id": [...]}`` becomes the list of ids (``contacts`` -> ``contacts_id``).
- ``id``: a linked entity ``{"id": .., "name": ..}`` becomes its id (``company`` -> ``company_id``).
- ``tag_names``: ``[{"id", "name"}]`` becomes the list of names.
- ``custom_fields``: ``[{"id", "values": [{"value", "enum", "subtype"}]}]`` without name/code/is_system.

``UNSET`` is skipped. ``None`` is sent as ``null`` for plain fields (clearing a nullable field, as
the API expects) and skipped for links and ``[]``/``{}`` placeholders; a key already produced by an earlier rule is kept, so an explicit
``pipeline_id`` wins over ``pipeline.id``. A model may define ``_amo_write_hook(item)`` to add
derived keys (notes put ``text`` into ``params`` for SMS and system notes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

__all__ = ["CONVERSIONS", "to_write_item"]


def to_write_item(obj: Any) -> dict[str, Any]:
    """The write dict for one model instance, following its class's ``__amo_write__`` rules."""
    out: dict[str, Any] = {}
    cls = type(obj)
    placeholders = cls.__amo_flex__
    for attr, key, conversion in cls.__amo_write__:
        value = getattr(obj, attr, msgspec.UNSET)
        if value is msgspec.UNSET or key in out:
            continue
        if value is None and (conversion != "value" or any(attr == name for name, _ in placeholders)):
            continue
        converted = CONVERSIONS[conversion](value)
        if converted is not None or value is None:
            out[key] = converted
    hook = getattr(obj, "_amo_write_hook", None)
    if hook is not None:
        hook(out)
    return out


def _value(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        if getattr(type(value), "__amo_write__", None) is not None:
            return to_write_item(value)
        return msgspec.to_builtins(value)
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    return msgspec.to_builtins(value)


def _ids(value: Any) -> Any:
    ids = getattr(value, "id", None)
    if isinstance(value, Mapping):
        ids = value.get("id")
    if ids is None or ids is msgspec.UNSET:
        return None
    return list(ids) if isinstance(ids, (list, tuple)) else [ids]


def _id(value: Any) -> Any:
    ident = value.get("id") if isinstance(value, Mapping) else getattr(value, "id", None)
    return None if ident is msgspec.UNSET else ident


def _tag_names(value: Any) -> Any:
    names: list[str] = []
    for tag in value:
        name = tag.get("name") if isinstance(tag, Mapping) else getattr(tag, "name", tag)
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


_VALUE_KEYS = ("value", "enum", "subtype")


def _custom_field_value(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        value = msgspec.to_builtins(value)
    if isinstance(value, Mapping):
        return {k: value[k] for k in _VALUE_KEYS if k in value}
    return value


def _custom_fields(value: Any) -> Any:
    out: list[dict[str, Any]] = []
    for field in value:
        data = msgspec.to_builtins(field) if isinstance(field, msgspec.Struct) else dict(field)
        item: dict[str, Any] = {"id": data.get("id")}
        item["values"] = [_custom_field_value(v) for v in data.get("values") or []]
        out.append(item)
    return out


CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "value": _value,
    "ids": _ids,
    "id": _id,
    "tag_names": _tag_names,
    "custom_fields": _custom_fields,
}
