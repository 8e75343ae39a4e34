"""Argument checks and request building for an :class:`~amocrm._core.ops.Operation`.

Every argument is checked against its parameter's type before anything is sent; a wrong one
raises :class:`~amocrm.errors.ConfigError` naming the operation and the argument, e.g.
``leads.list(filter): unknown key 'date_creat' (known: active, date_create, date_modify, tasks)``.

Parameter types (``Param.kind``):

============  =========================================================  ===========================
kind          accepted                                                   sent as
============  =========================================================  ===========================
id            a positive int                                             the int
ids           an id or a sequence of ids                                 a list (bracket-encoded)
int, number   an int (a finite int or float)                             the number
str, strs     a str (a str or a sequence of str)                         the str (a list)
bool          True or False                                              1/0 in queries, JSON bool
literal(s)    one (a sequence) of the documented values                  the value (a list)
csv           one or a sequence of the documented values                 ``a,b``
timestamp     an aware datetime or unix seconds                          unix seconds
time          a timestamp, or a date string the API accepts              seconds or the str
http_date     an aware datetime or unix seconds                          ``Mon, 01 Aug 2017 07:07:23 UTC``
range         ``{"from": .., "to": ..}`` of timestamps or strings        the mapping
object        a mapping with the documented keys only (``Param.fields``) nested by wire name
json          anything JSON can encode                                   as is
model(s)      an instance (instances) of ``Param.model``                 its write form
refs          ids, or objects of ``Param.model`` with an id              a list of ids
============  =========================================================  ===========================
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from msgspec import UNSET

from amocrm._core.ops import Field, Operation, Param, Ref
from amocrm.errors import ConfigError

__all__ = ["Prepared", "http_date", "prepare", "wire_path"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Unix seconds the API can store: up to the end of year 9999.
_MAX_TS = 253402300799
_MAX_INT = 2**63 - 1
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


@dataclass
class Prepared:
    """A request ready to be sent: the path (parameters filled in), query, headers and body."""

    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any
    has_body: bool


def wire_path(wire: str) -> tuple[str, ...]:
    """``data[filter][date][from]`` -> ``("data", "filter", "date", "from")``."""
    head, sep, rest = wire.partition("[")
    if not sep:
        return (wire,)
    return (head, *_BRACKETS.findall("[" + rest))


def _fail(op: str, name: str, message: str) -> ConfigError:
    return ConfigError(f"{op}({name}): {message}")


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, bytearray, Mapping))


# ------------------------------------------------------------------------------------------ scalar kinds


def _id(op: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(op, name, f"expected a positive int id, got {_describe(value)}")
    if value < 1 or value > _MAX_INT:
        raise _fail(op, name, f"expected a positive int id, got {value}")
    return value


def _int(op: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(op, name, f"expected an int, got {_describe(value)}")
    if abs(value) > _MAX_INT:
        raise _fail(op, name, f"{value} is out of range")
    return value


def _number(op: str, name: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(op, name, f"expected a number, got {_describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(op, name, f"expected a finite number, got {value}")
    if abs(value) > _MAX_INT:
        raise _fail(op, name, f"{value} is out of range")
    return value


def _str(op: str, name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(op, name, f"expected a str, got {_describe(value)}")
    return value


def _bool(op: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(op, name, f"expected True or False, got {_describe(value)}")
    return value


def _literal(op: str, name: str, value: Any, values: tuple[Any, ...]) -> Any:
    for allowed in values:
        if value == allowed and type(value) is type(allowed):
            return allowed
    raise _fail(op, name, f"{value!r} is not one of {', '.join(repr(v) for v in values)}")


def _timestamp(op: str, name: str, value: Any) -> int:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _fail(op, name, "naive datetime: pass an aware one (e.g. tzinfo=datetime.timezone.utc)")
        seconds = int(value.timestamp())
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(op, name, f"expected an aware datetime or unix seconds, got {_describe(value)}")
    elif isinstance(value, float) and not math.isfinite(value):
        raise _fail(op, name, f"expected unix seconds, got {value}")
    else:
        seconds = int(value)
    if not 0 <= seconds <= _MAX_TS:
        raise _fail(op, name, f"unix seconds {seconds} out of range (0 .. {_MAX_TS})")
    return seconds


def _time(op: str, name: str, value: Any) -> int | str:
    if isinstance(value, str):
        if not value.strip():
            raise _fail(op, name, "empty date string")
        return value
    return _timestamp(op, name, value)


def http_date(seconds: int) -> str:
    """``If-Modified-Since`` value in the form the v2 docs use: ``Mon, 01 Aug 2017 07:07:23 UTC``."""
    moment = _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC"
    )


def _many(op: str, name: str, value: Any, one: Any) -> list[Any]:
    if _is_sequence(value):
        return [one(op, f"{name}[{i}]", v) for i, v in enumerate(value)]
    return [one(op, name, value)]


def _one_or_many(op: str, name: str, value: Any, one: Any) -> Any:
    """A scalar stays a scalar (``id=5``), a sequence becomes a list (``id[0]=1&id[1]=2``)."""
    if _is_sequence(value):
        return [one(op, f"{name}[{i}]", v) for i, v in enumerate(value)]
    return one(op, name, value)


def _range(op: str, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(op, name, f"expected {{'from': .., 'to': ..}}, got {_describe(value)}")
    out: dict[str, Any] = {}
    for key, bound in value.items():
        if key not in ("from", "to"):
            raise _fail(op, name, f"unknown key {key!r} (known: from, to)")
        if bound is not None:
            out[key] = _time(op, f"{name}[{key}]", bound)
    return out


def _int_range(op: str, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(op, name, f"expected {{'from': .., 'to': ..}}, got {_describe(value)}")
    out: dict[str, Any] = {}
    for key, bound in value.items():
        if key not in ("from", "to"):
            raise _fail(op, name, f"unknown key {key!r} (known: from, to)")
        if bound is not None:
            out[key] = _int(op, f"{name}[{key}]", bound)
    return out


def _pairs(op: str, name: str, value: Any, keys: tuple[Any, ...]) -> list[dict[str, int]]:
    """``[(pipeline_id, status_id), ...]`` (or mappings with those keys) -> ``[{..}, ...]``."""
    if not _is_sequence(value):
        raise _fail(op, name, f"expected a list of ({keys[0]}, {keys[1]}) pairs, got {_describe(value)}")
    out: list[dict[str, int]] = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        if isinstance(item, Mapping):
            extra = set(item) - set(keys)
            if extra or set(item) != set(keys):
                raise _fail(op, where, f"expected the keys {keys[0]!r} and {keys[1]!r}, got {sorted(map(str, item))}")
            first, second = item[keys[0]], item[keys[1]]
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            first, second = item
        else:
            raise _fail(op, where, f"expected a ({keys[0]}, {keys[1]}) pair, got {_describe(item)}")
        out.append({str(keys[0]): _id(op, f"{where}[0]", first), str(keys[1]): _id(op, f"{where}[1]", second)})
    return out


def _json(op: str, name: str, value: Any, depth: int = 0) -> Any:
    """A JSON-encodable value (builtins only), bounded in depth."""
    if depth > 32:
        raise _fail(op, name, "nested too deeply")
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return _int(op, name, value)
    if isinstance(value, float):
        return _number(op, name, value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise _fail(op, name, f"keys must be str or int, got {_describe(k)}")
            out[str(k)] = _json(op, f"{name}[{k!r}]", v, depth + 1)
        return out
    if _is_sequence(value):
        return [_json(op, f"{name}[{i}]", v, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, _dt.datetime):
        return _timestamp(op, name, value)
    raise _fail(op, name, f"cannot send a {type(value).__name__}")


def _object(op: str, name: str, value: Any, fields: Mapping[str, Field] | None) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(op, name, f"expected a mapping, got {_describe(value)}")
    if fields is None:
        checked = _json(op, name, value)
        assert isinstance(checked, dict)
        return checked
    out: dict[str, Any] = {}
    for key, item in value.items():
        spec = fields.get(key) if isinstance(key, str) else None
        if spec is None:
            known = ", ".join(sorted(fields))
            raise _fail(op, name, f"unknown key {key!r} (known: {known})")
        if item is None:
            continue
        out[spec.wire] = _value(op, f"{name}[{key!r}]", spec.kind, item, spec.values, spec.fields)
    return out


def _value(
    op: str, name: str, kind: str, value: Any, values: tuple[Any, ...] = (), fields: Mapping[str, Field] | None = None
) -> Any:
    """Check one value of a scalar or container kind (not model/models/refs)."""
    if kind == "id":
        return _id(op, name, value)
    if kind == "ids":
        ids = _one_or_many(op, name, value, _id)
        if ids == []:
            raise _fail(op, name, "empty list of ids")
        return ids
    if kind == "int":
        return _int(op, name, value)
    if kind == "number":
        return _number(op, name, value)
    if kind == "str":
        return _str(op, name, value)
    if kind == "strs":
        return _one_or_many(op, name, value, _str)
    if kind == "bool":
        return _bool(op, name, value)
    if kind == "literal":
        return _literal(op, name, value, values)
    if kind == "literals":
        return [_literal(op, f"{name}[{i}]", v, values) for i, v in enumerate(value)] if _is_sequence(value) else [
            _literal(op, name, value, values)
        ]
    if kind == "csv":
        parts = [p.strip() for p in value.split(",") if p.strip()] if isinstance(value, str) else value
        items = _many(op, name, parts, lambda o, n, v: _literal(o, n, v, values))
        return ",".join(str(v) for v in items) if items else None
    if kind == "timestamp":
        return _timestamp(op, name, value)
    if kind == "time":
        return _time(op, name, value)
    if kind == "http_date":
        return http_date(_timestamp(op, name, value))
    if kind == "range":
        return _range(op, name, value)
    if kind == "int_range":
        return _int_range(op, name, value)
    if kind == "pairs":
        return _pairs(op, name, value, values)
    if kind == "object":
        return _object(op, name, value, fields)
    if kind == "json":
        return _json(op, name, value)
    raise _fail(op, name, f"unsupported parameter type {kind!r}")


# ------------------------------------------------------------------------------------------ model kinds


def _model(op: str, name: str, param: Param, value: Any) -> Any:
    model = param.model
    if model is None or not isinstance(value, model):
        expected = model.__name__ if model is not None else "a model"
        raise _fail(op, name, f"expected a {expected}, got {_describe(value)}")
    prepare_hook = getattr(value, "_amo_prepare_write", None)
    if prepare_hook is not None:
        prepare_hook()
    if param.checker is not None:
        param.checker([value], f"{op}({name})")
    return param.writer(value) if param.writer is not None else value


def model_list(op: str, param: Param, value: Any) -> list[Any]:
    """The objects of a ``models`` argument (one or a sequence), type-checked, not yet converted."""
    model = param.model
    assert model is not None
    items = [value] if isinstance(value, model) else list(value) if _is_sequence(value) else [value]
    for i, obj in enumerate(items):
        if not isinstance(obj, model):
            raise _fail(op, f"{param.name}[{i}]", f"expected a {model.__name__}, got {_describe(obj)}")
    return items


def _refs(op: str, name: str, param: Param, value: Any) -> list[int]:
    items = list(value) if _is_sequence(value) else [value]
    ids: list[int] = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]"
        if param.model is not None and isinstance(item, param.model):
            ident = getattr(item, "id", UNSET)
            if ident is UNSET or ident is None:
                raise _fail(op, where, f"this {param.model.__name__} has no id")
            ids.append(_id(op, where, ident))
        else:
            ids.append(_id(op, where, item))
    return ids


def convert(op: Operation, param: Param, value: Any) -> Any:
    """The wire value of one argument (checked)."""
    name = param.name
    if param.required and _is_sequence(value) and not list(value):
        raise _fail(op.name, name, "must not be empty")
    if param.kind == "model":
        return _model(op.name, name, param, value)
    if param.kind == "models":
        objects = model_list(op.name, param, value)
        return [_model(op.name, f"{name}[{i}]", param, obj) for i, obj in enumerate(objects)]
    if param.kind == "refs":
        return _refs(op.name, name, param, value)
    checked = _value(op.name, name, param.kind, value, param.values, param.fields)
    if param.where == "body" and param.kind in ("ids", "strs") and not isinstance(checked, list):
        checked = [checked]  # a body takes the list form
    return checked


# ------------------------------------------------------------------------------------------ building


def _place(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = target
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[path[-1]] = value


def _fill(template: Any, values: Mapping[str, Any]) -> Any:
    """The body template with its :class:`Ref` placeholders replaced; keys of absent optional values dropped."""
    if isinstance(template, Ref):
        return values.get(template.name)
    if isinstance(template, Mapping):
        out: dict[str, Any] = {}
        for key, sub in template.items():
            if isinstance(sub, Ref) and sub.name not in values:
                continue
            out[key] = _fill(sub, values)
        return out
    if isinstance(template, list):
        return [_fill(sub, values) for sub in template]
    return template


def _path_segment(op: str, param: Param, value: Any) -> str:
    if param.kind == "literal":
        return str(_literal(op, param.name, value, param.values))
    if param.kind in ("id", "int"):
        return str(_id(op, param.name, value) if param.kind == "id" else _int(op, param.name, value))
    text = _str(op, param.name, value)
    if not text or text in (".", "..") or "/" in text:
        raise _fail(op, param.name, f"{text!r} cannot be a path segment")
    return quote(text, safe="")


def prepare(op: Operation, args: Mapping[str, Any], *, required: bool = True) -> Prepared:
    """Check every argument of ``op`` and build the request parts.

    ``None`` (and an empty ``csv`` sequence) means "not given"; a missing required argument raises
    (unless ``required`` is False: the caller brings its own raw query).
    """
    path = op.path
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    body_values: dict[str, Any] = {}
    for param in op.params:
        value = args.get(param.name)
        if value is None or (param.kind == "csv" and _is_sequence(value) and not list(value)):
            if param.required and (required or param.where == "path"):
                raise _fail(op.name, param.name, "is required")
            continue
        if param.where == "path":
            path = path.replace("{" + param.name + "}", _path_segment(op.name, param, value))
            continue
        wire = convert(op, param, value)
        if wire is None:
            continue
        if param.where == "query":
            _place(query, wire_path(param.wire), wire)
        elif param.where == "header":
            headers[param.wire] = str(wire)
        else:
            body_values[param.name] = wire
    has_body = any(p.where == "body" for p in op.params) or op.body is not None
    body: Any = None
    if op.body is not None:
        body = _fill(op.body, body_values)
    elif body_values:
        by_name = {p.name: p for p in op.params}
        body = {by_name[name].wire: value for name, value in body_values.items()}
    elif has_body:
        body = {}
    return Prepared(path=path, query=query, headers=headers, body=body, has_body=has_body)
