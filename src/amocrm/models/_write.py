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
the API expects) and skipped for links and ``[]``/``{}`` placeholders; a key already produced by an
earlier rule is kept, so an explicit ``pipeline_id`` wins over ``pipeline.id``. A model may define
``_amo_write_hook(item)`` to add derived keys (notes put ``text`` into ``params`` for SMS and system notes).

Speed: ``save()`` builds one item per model, so the rules are compiled once per class into a
straight-line function (:func:`_compile`, the technique of :mod:`dataclasses`): one attribute read
and one ``is UNSET`` test per rule, scalars stored as they are. Custom fields and tags take a fast
path for the generated Struct classes and fall back to the generic conversions below for anything
else (dicts, other objects), which define the semantics.
"""

from __future__ import annotations

import keyword
import threading
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

__all__ = ["CONVERSIONS", "to_write_item"]

_UNSET = msgspec.UNSET
_to_builtins = msgspec.to_builtins
#: Types ``msgspec.to_builtins`` returns unchanged: stored as they are, no call.
_SCALARS: frozenset[type] = frozenset({int, str, float, bool, type(None)})

Writer = Callable[[Any], dict[str, Any]]
_WRITERS: dict[type, Writer] = {}
_COMPILE_LOCK = threading.Lock()


def to_write_item(obj: Any) -> dict[str, Any]:
    """The write dict for one model instance, following its class's ``__amo_write__`` rules."""
    writer = _WRITERS.get(type(obj))
    if writer is None:
        writer = _writer_for(type(obj))
    return writer(obj)


# ------------------------------------------------------------------------------ generic conversions


def _value(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, msgspec.Struct):
        if getattr(type(value), "__amo_write__", None) is not None:
            return to_write_item(value)
        return _to_builtins(value)
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    if _is_mapping(type(value)):
        return {str(k): _value(v) for k, v in value.items()}
    return _to_builtins(value)


def _ids(value: Any) -> Any:
    if _is_mapping(type(value)):
        ids = value.get("id")
    else:
        ids = getattr(value, "id", None)
    if ids is None or ids is _UNSET:
        return None
    return list(ids) if isinstance(ids, (list, tuple)) else [ids]


def _id(value: Any) -> Any:
    ident = value.get("id") if _is_mapping(type(value)) else getattr(value, "id", None)
    return None if ident is _UNSET else ident


def _tag_names(value: Any) -> Any:
    names: list[str] = []
    for tag in value:
        tp = type(tag)
        if tp in _NAMED:
            name = tag.name
        elif _is_mapping(tp):
            name = tag.get("name")
        else:
            name = getattr(tag, "name", tag)
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


_VALUE_KEYS = ("value", "enum", "subtype")


def _custom_field_value(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        value = _to_builtins(value)
    if _is_mapping(type(value)):
        return {k: value[k] for k in _VALUE_KEYS if k in value}
    return value


def _custom_fields(value: Any) -> Any:
    if type(value) is list:
        batch = _custom_fields_batch(value)
        if batch is not None:
            return batch
    out: list[dict[str, Any]] = []
    for field in value:
        tp = type(field)
        fast = _FIELD_TYPES.get(tp)
        if fast is None:
            fast = _field_type_is_plain(tp)
        if fast:
            # a generated CustomField: read the two written attributes, skip name/code/is_system
            ident = field.id
            if ident is _UNSET:
                ident = None
            elif type(ident) not in _SCALARS:
                ident = _to_builtins(ident)
            out.append({"id": ident, "values": _field_values(field.values)})
            continue
        data = _to_builtins(field) if isinstance(field, msgspec.Struct) else dict(field)
        item: dict[str, Any] = {"id": data.get("id")}
        item["values"] = [_custom_field_value(v) for v in data.get("values") or []]
        out.append(item)
    return out


def _custom_fields_batch(fields: list[Any]) -> list[dict[str, Any]] | None:
    """The usual case in one ``to_builtins`` call: generated fields with int ids and a list of
    generated values / scalars, whose builtins need no filtering. ``None`` when anything else is seen."""
    out: list[dict[str, Any]] = []
    append = out.append
    for field in fields:
        if type(field) not in _PLAIN_FIELD_TYPES:
            return None
        ident = field.id
        values = field.values
        if type(ident) is not int or type(values) is not list or not _BATCH_VALUE_TYPES.issuperset(map(type, values)):
            return None
        append({"id": ident, "values": values})
    converted: list[dict[str, Any]] = _to_builtins(out)
    return converted


def _field_values(values: Any) -> list[Any]:
    """``values`` of a plain custom-field Struct as ``to_builtins`` + key filtering would give them."""
    if values is _UNSET or not values:
        return []
    out: list[Any] = []
    append = out.append
    for v in values:
        tp = type(v)
        if tp in _PLAIN_VALUE_TYPES:
            item: dict[str, Any] = {}
            x = v.value
            if x is not _UNSET:
                item["value"] = x if type(x) in _SCALARS else _to_builtins(x)
            x = v.enum
            if x is not _UNSET:
                item["enum"] = x if type(x) in _SCALARS else _to_builtins(x)
            x = v.subtype
            if x is not _UNSET:
                item["subtype"] = x if type(x) in _SCALARS else _to_builtins(x)
            append(item)
        elif tp in _SCALARS:
            append(v)
        elif tp not in _VALUE_TYPES_SEEN and _value_type_is_plain(tp):
            append(_field_values([v])[0])
        else:
            append(_custom_field_value(_to_builtins(v)))
    return out


CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "value": _value,
    "ids": _ids,
    "id": _id,
    "tag_names": _tag_names,
    "custom_fields": _custom_fields,
}


# ------------------------------------------------------------------------------ per-type facts, cached

_MAPPING_TYPES: dict[type, bool] = {}
#: Struct classes with a ``name`` attribute (tags): ``tag.name`` is read directly.
_NAMED: set[type] = set()
#: Custom-field Struct classes whose ``id``/``values`` fields are written as they are named.
_FIELD_TYPES: dict[type, bool] = {}
_PLAIN_FIELD_TYPES: set[type] = set()
#: Custom-field value Struct classes with exactly ``value``/``enum``/``subtype`` (names as on the wire).
_PLAIN_VALUE_TYPES: set[type] = set()
_VALUE_TYPES_SEEN: set[type] = set()
#: What ``to_builtins`` turns into the wanted value as it is: plain value Structs and scalars.
_BATCH_VALUE_TYPES: set[type] = set(_SCALARS)


def _is_mapping(tp: type) -> bool:
    """``issubclass(tp, Mapping)``, cached: the ABC check is slow for the many non-mappings seen here."""
    known = _MAPPING_TYPES.get(tp)
    if known is None:
        known = _MAPPING_TYPES[tp] = issubclass(tp, Mapping)
        if not known and issubclass(tp, msgspec.Struct) and "name" in tp.__struct_fields__:
            _NAMED.add(tp)
    return known


def _plain_struct(tp: type) -> bool:
    """A Struct that ``to_builtins`` turns into a dict of all its non-UNSET fields (not array-like,
    no default omission)."""
    if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)) or _is_mapping(tp):
        return False
    config = tp.__struct_config__
    return not config.array_like and not config.omit_defaults


def _field_type_is_plain(tp: type) -> bool:
    names: tuple[str, ...] = getattr(tp, "__struct_fields__", ())
    wire: tuple[str, ...] = getattr(tp, "__struct_encode_fields__", ())
    fields = dict(zip(names, wire, strict=True))
    plain = _plain_struct(tp) and fields.get("id") == "id" and fields.get("values") == "values"
    _FIELD_TYPES[tp] = plain
    if plain:
        _PLAIN_FIELD_TYPES.add(tp)
    return plain


def _value_type_is_plain(tp: type) -> bool:
    _VALUE_TYPES_SEEN.add(tp)
    fields = tuple(zip(getattr(tp, "__struct_fields__", ()), getattr(tp, "__struct_encode_fields__", ()), strict=True))
    if _plain_struct(tp) and fields == tuple((k, k) for k in _VALUE_KEYS):
        _PLAIN_VALUE_TYPES.add(tp)
        _BATCH_VALUE_TYPES.add(tp)
        return True
    return False


# ------------------------------------------------------------------------------ per-class writers


def _writer_for(cls: type) -> Writer:
    with _COMPILE_LOCK:
        writer = _WRITERS.get(cls)
        if writer is None:
            writer = _WRITERS[cls] = _compile(cls)
    return writer


def _compile(cls: Any) -> Writer:
    """A function applying ``cls.__amo_write__`` to one instance, same result as the rules read in
    a loop (see the module docstring) with the per-rule decisions taken here once."""
    placeholders = {name for name, _ in getattr(cls, "__amo_flex__", ())}
    fields = set(getattr(cls, "__struct_fields__", ()))
    env: dict[str, Any] = {"UNSET": _UNSET, "SCALARS": _SCALARS, "type": type, "getattr": getattr}
    body: list[str] = ["out = {}"]
    seen: set[str] = set()
    for n, (attr, key, conversion) in enumerate(cls.__amo_write__):
        if conversion not in CONVERSIONS:
            raise ValueError(f"{cls.__name__}.__amo_write__: unknown conversion {conversion!r} for {attr!r}")
        if attr in fields and attr.isidentifier() and not keyword.iskeyword(attr):
            body.append(f"v = obj.{attr}")
        else:
            body.append(f"v = getattr(obj, {attr!r}, UNSET)")
        test = "v is not UNSET"
        if conversion != "value" or attr in placeholders:
            test += " and v is not None"
        if key in seen:
            test += f" and {key!r} not in out"
        seen.add(key)
        body.append(f"if {test}:")
        env[f"conv{n}"] = _value if conversion == "value" else CONVERSIONS[conversion]
        if conversion == "value":
            body.append(f"    out[{key!r}] = v if type(v) in SCALARS else conv{n}(v)")
        else:
            body += [f"    v = conv{n}(v)", "    if v is not None:", f"        out[{key!r}] = v"]
    if getattr(cls, "_amo_write_hook", None) is not None:
        body.append("obj._amo_write_hook(out)")
    elif getattr(cls, "__dictoffset__", 0):
        body += ["hook = getattr(obj, '_amo_write_hook', None)", "if hook is not None:", "    hook(out)"]
    body.append("return out")
    # the helpers are closure cells of a factory, so the writer reads them as fast locals
    source = "\n".join([
        f"def factory({', '.join(env)}):",
        "    def write(obj):",
        *(f"        {line}" for line in body),
        "    return write",
    ])
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<amocrm write item of {cls.__module__}.{cls.__qualname__}>", "exec"), namespace)
    writer: Writer = namespace["factory"](**env)
    writer.__qualname__ = f"write_item[{cls.__qualname__}]"
    return writer
