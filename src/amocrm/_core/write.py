"""Conversions and checks the generated write functions call (``amocrm.<version>.writes``).

Codegen turns each model's write rules (``readOnly`` fields left out, ``x-write`` renames and
conversions) into a function ``write_<model>(obj) -> <Model>Write``: a write Struct whose fields
carry the wire names, which msgspec encodes directly, and ``check_<model>(objs)``, which checks the
fields written as they are against their declared types for a whole batch at once (one C-level
pass per field; :func:`check_fields` then names the offending field). The others are converted
here:

- :func:`link_id`: a linked entity ``{"id": .., "name": ..}`` -> its id (``company`` -> ``company_id``);
- :func:`link_ids`: linked ids ``{"id": [..]}`` -> the list (``contacts`` -> ``contacts_id``);
- :func:`tag_names`: tags -> their names, without repeats;
- :func:`nested` / :func:`nested_list`: a nested model (list) by its own write rules; a dict given
  for a model is read as that model (unknown keys dropped, wrong types refused);
- :func:`placeholder`: ``None`` on a field that accepts amoCRM's ``[]``/``{}`` placeholders is not sent.

``UNSET`` is never sent. ``None`` is sent as ``null`` for plain fields, and not at all for links,
tags and placeholders.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain, repeat
from operator import attrgetter
from typing import Any

import msgspec

from amocrm.errors import ConfigError
from amocrm.lib.base import CHANGED_KEY as _CHANGED

__all__ = [
    "NONE_TYPE",
    "UNSET",
    "UNSET_TYPE",
    "FieldCheck",
    "check_fields",
    "check_models",
    "check_nested",
    "link_id",
    "link_ids",
    "nested",
    "nested_list",
    "placeholder",
    "tag_names",
    "to_builtins",
]

UNSET: Any = msgspec.UNSET
NONE_TYPE = type(None)
UNSET_TYPE = type(msgspec.UNSET)
_N = NONE_TYPE
_U = UNSET_TYPE
_SCALARS = (int, str, float, bool)
_Struct = msgspec.Struct
to_builtins = msgspec.to_builtins
_get_dict = attrgetter("__dict__")
_dict_get = dict.get
_LIST = frozenset({list})


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


class FieldCheck:
    """One field of a model written as it is: its attribute and the types it may hold."""

    __slots__ = ("attr", "get", "exact", "loose")

    def __init__(self, attr: str, types: tuple[type, ...]) -> None:
        self.attr = attr
        self.get = attrgetter(attr)
        #: Exact types (the fast path: one set of ``type(v)`` per field over the whole batch).
        self.exact = frozenset(types)
        #: The same, for ``isinstance`` (subclasses such as IntEnum members; bool never counts as a number).
        self.loose = types


def check_fields(objs: Sequence[Any], checks: tuple[FieldCheck, ...], what: str) -> None:
    """Raise :class:`ConfigError` naming the first field of the first object that holds a value of a
    type the field does not take. One C-level pass per field over the whole batch."""
    for check in checks:
        if set(map(type, map(check.get, objs))) <= check.exact:
            continue
        for index, obj in enumerate(objs):
            value = check.get(obj)
            tp = type(value)
            if tp in check.exact:
                continue
            if isinstance(value, check.loose) and not (tp is bool and bool not in check.exact):
                continue
            expected = " | ".join(t.__name__ for t in check.loose if t not in (_N, _U)) or "nothing"
            where = f" (object #{index})" if len(objs) > 1 else ""
            raise ConfigError(
                f"{what}.{check.attr}{where}: expected {expected} (or None), got "
                f"{_describe(value)}; nothing was sent"
            )


def check_models(
    objs: Sequence[Any],
    checks: tuple[FieldCheck, ...],
    what: str,
    nested: tuple[tuple[str, type[Any], Callable[..., None], bool], ...] = (),
    refused: tuple[tuple[str, str, bool], ...] = (),
) -> None:
    """Check the objects of one model: every field of untracked objects (built by the caller), and
    only the changed fields of tracked ones (read from the server; see :mod:`amocrm.lib.base`).

    ``refused`` names read-only fields a caller may set believing they are saved (a task's result in
    API v2, a lead's ``account_id``): setting one raises :class:`ConfigError` with the message instead
    of dropping it silently (see :func:`_check_refused`).
    """
    states = list(map(_dict_get, map(_get_dict, objs), repeat(_CHANGED)))
    fresh: list[Any]
    tracked: list[Any] = []
    if states.count(None) == len(states):  # all built by the caller: no Python-level loop
        fresh = objs if type(objs) is list else list(objs)
    else:
        fresh = []
        for obj, changed in zip(objs, states, strict=True):
            if changed is None:
                fresh.append(obj)
            elif changed:
                tracked.append(obj)
    if refused:
        _check_refused(fresh, tracked, refused, what)
    if fresh:
        check_fields(fresh, checks, what)
        for attr, cls, checker, many in nested:
            check_nested(fresh, attr, cls, checker, what, many=many)
    if tracked and _tracked_pass(tracked, checks, what, nested):
        return
    by_attr = _by_attr(checks) if tracked else {}
    for obj in tracked:
        names = obj.__dict__[_CHANGED]
        picked = tuple(by_attr[n] for n in names if n in by_attr)
        if picked:
            check_fields([obj], picked, what)
        for attr, cls, checker, many in nested:
            if attr in names:
                check_nested([obj], attr, cls, checker, what, many=many)


def _tracked_pass(tracked: list[Any], checks: tuple[FieldCheck, ...], what: str,
                  nested: tuple[tuple[str, type[Any], Callable[..., None], bool], ...]) -> bool:
    """Check tracked objects in groups of the same changed fields (a C-level pass per field and
    group): True when all of them pass. On any failure the caller's object-by-object loop runs
    instead, so the error raised (which object, which field, its wording) stays the same."""
    groups: dict[frozenset[str], list[Any]] = {}
    for obj in tracked:
        groups.setdefault(frozenset(obj.__dict__[_CHANGED]), []).append(obj)
    by_attr = _by_attr(checks)
    try:
        for names, objs in groups.items():
            for check in (by_attr[n] for n in names if n in by_attr):
                if not set(map(type, map(check.get, objs))) <= check.exact:
                    return False
            for attr, cls, checker, many in nested:
                if attr in names:
                    check_nested(objs, attr, cls, checker, what, many=many)
    except ConfigError:
        return False
    return True


def _check_refused(fresh: list[Any], tracked: list[Any], refused: tuple[tuple[str, str, bool], ...],
                   what: str) -> None:
    """Raise for a read-only field the caller set: a changed one in an object read from the server;
    in an object built (or decoded) by the caller, any value (``None`` and ``UNSET`` aside) of an
    ``always`` field, and of the others when the object is new (an update's read-only values are
    taken to be the server's own)."""
    names = [attr for attr, _, _ in refused]
    if fresh:
        # C-level passes decide whether any object can be refused; only then the loop below runs
        empty = {id(UNSET), id(None)}

        def held(name: str) -> bool:
            return not set(map(id, map(attrgetter(name), fresh))) <= empty

        new = not empty.isdisjoint(map(id, map(getattr, fresh, repeat("id"), repeat(UNSET))))
        if any(held(attr) for attr, _, always in refused if always) or (new and any(map(held, names))):
            _refused_fresh(fresh, refused, names, what)
    wanted = frozenset(names)
    for obj in tracked:
        hit = wanted.intersection(obj.__dict__[_CHANGED])
        for attr, message, _ in refused:
            if attr in hit and getattr(obj, attr) is not UNSET and getattr(obj, attr) is not None:
                raise ConfigError(f"{what}: {message}; nothing was sent")


def _refused_fresh(fresh: list[Any], refused: tuple[tuple[str, str, bool], ...], names: list[str],
                   what: str) -> None:
    single = attrgetter(names[0])
    get = attrgetter(*names) if len(names) > 1 else None
    empty = {id(UNSET), id(None)}
    for obj in fresh:
        values = get(obj) if get is not None else (single(obj),)
        if not set(map(id, values)) <= empty:
            ident = getattr(obj, "id", UNSET)
            new = ident is UNSET or ident is None
            for (_, message, always), value in zip(refused, values, strict=True):
                if (always or new) and value is not UNSET and value is not None:
                    raise ConfigError(f"{what}: {message}; nothing was sent")


_BY_ATTR: dict[int, tuple[tuple[FieldCheck, ...], dict[str, FieldCheck]]] = {}


def _by_attr(checks: tuple[FieldCheck, ...]) -> dict[str, FieldCheck]:
    found = _BY_ATTR.get(id(checks))
    if found is None or found[0] is not checks:
        found = _BY_ATTR[id(checks)] = (checks, {c.attr: c for c in checks})
    return found[1]


def check_nested(
    objs: Sequence[Any], attr: str, cls: type[Any], checker: Callable[..., None], what: str, *, many: bool
) -> None:
    """Check the nested models (``cls``) of ``attr`` in every object with ``checker``."""
    values = list(map(attrgetter(attr), objs))
    if many:
        if set(map(type, values)) <= _LIST:
            values = list(chain.from_iterable(values))
        else:
            values = list(chain.from_iterable(v for v in values if type(v) is list or type(v) is tuple))
    kinds = set(map(type, values))
    if kinds == {cls}:
        items = values
    elif cls in kinds or any(issubclass(k, cls) for k in kinds):
        items = [v for v in values if isinstance(v, cls)]
    else:
        return
    checker(items, f"{what}.{attr}")


def placeholder(value: Any) -> Any:
    return UNSET if value is None else value


def _link_target(value: Any, what: str, kind: str) -> Any:
    if isinstance(value, _Struct):
        return getattr(value, "id", None)
    if isinstance(value, Mapping):
        return value.get("id")
    raise ConfigError(f"{what}: expected {kind}, got {_describe(value)}; nothing was sent")


def link_id(value: Any, what: str = "link") -> Any:
    if value is UNSET or value is None:
        return UNSET
    ident = _link_target(value, what, "a linked entity ({'id': ..})")
    if ident is None or ident is UNSET:
        return UNSET
    if type(ident) is not int and (isinstance(ident, bool) or not isinstance(ident, int)):
        raise ConfigError(f"{what}: the linked id must be an int, got {_describe(ident)}; nothing was sent")
    return ident


def link_ids(value: Any, what: str = "links") -> Any:
    if value is UNSET or value is None:
        return UNSET
    ids = _link_target(value, what, "linked ids ({'id': [..]})")
    if ids is None or ids is UNSET:
        return UNSET
    out = list(ids) if isinstance(ids, (list, tuple)) else [ids]
    if not set(map(type, out)) <= _INT:
        for ident in out:
            if isinstance(ident, bool) or not isinstance(ident, int):
                raise ConfigError(
                    f"{what}: linked ids must be ints, got {_describe(ident)}; nothing was sent"
                )
    return out


_INT = frozenset({int})
_get_name = attrgetter("name")
#: Struct classes with a ``name`` field (tags): their names are read in one C-level pass.
_NAMED: dict[type, bool] = {}


def _named(tp: type) -> bool:
    known = _NAMED.get(tp)
    if known is None:
        known = _NAMED[tp] = issubclass(tp, _Struct) and "name" in tp.__struct_fields__
    return known


def tag_names(value: Any, what: str = "tags") -> Any:
    if value is UNSET or value is None:
        return UNSET
    if type(value) is not list and (
        isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple))
    ):
        raise ConfigError(f"{what}: expected a list of tags, got {_describe(value)}; nothing was sent")
    kinds = set(map(type, value))
    if all(map(_named, kinds)):
        names = list(map(_get_name, value))
        if set(map(type, names)) <= _STR:
            return list(dict.fromkeys(names))
    out: list[str] = []
    for tag in value:
        if isinstance(tag, str):
            name: Any = tag
        elif isinstance(tag, Mapping):
            name = tag.get("name")
        elif isinstance(tag, _Struct):
            name = getattr(tag, "name", None)
        else:
            raise ConfigError(
                f"{what}: a tag must be a name, a Tag or {{'name': ..}}, got {_describe(tag)}; "
                "nothing was sent"
            )
        if isinstance(name, str) and name not in out:
            out.append(name)
    return out


_STR = frozenset({str})


def _from_dict(value: Any, cls: type[Any], writer: Callable[[Any], Any] | None, what: str) -> Any:
    try:
        obj = msgspec.convert(value, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{what}: {exc}; nothing was sent") from None
    return writer(obj) if writer is not None else obj


def nested(
    value: Any,
    writer: Callable[[Any], Any] | None,
    cls: type[Any],
    keys: tuple[str, ...],
    what: str = "field",
) -> Any:
    """A nested model by its write rules (``writer``; ``None`` when it writes every field as is)."""
    if value is UNSET or value is None:
        return value
    if isinstance(value, cls):
        return writer(value) if writer is not None else value
    if isinstance(value, Mapping):
        return _from_dict(value, cls, writer, what)
    raise ConfigError(f"{what}: expected a {cls.__name__}, got {_describe(value)}; nothing was sent")


def nested_list(
    value: Any,
    writer: Callable[[Any], Any] | None,
    cls: type[Any],
    keys: tuple[str, ...],
    what: str = "field",
    many: Callable[[list[Any]], list[Any]] | None = None,
) -> Any:
    """A list of nested models (or scalars the field allows, or dicts) by their write rules;
    ``many`` writes a whole list of ``cls`` objects at once."""
    if value is UNSET or value is None:
        return value
    if type(value) is list and set(map(type, value)) == {cls}:
        if many is not None:
            return many(value)
        return list(map(writer, value)) if writer is not None else value
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{what}: expected a list, got {_describe(value)}; nothing was sent")
    out: list[Any] = []
    append = out.append
    for i, item in enumerate(value):
        tp = type(item)
        if tp is cls or isinstance(item, cls):
            append(writer(item) if writer is not None else item)
        elif tp in _SCALARS or item is None:
            append(item)
        elif isinstance(item, Mapping):
            append(_from_dict(item, cls, writer, f"{what}[{i}]"))
        else:
            raise ConfigError(
                f"{what}[{i}]: expected a {cls.__name__}, got {_describe(item)}; nothing was sent"
            )
    return out
