"""Field audit: for every model a save writes, each field is either sent or refused -- never
silently dropped.

A field is *sent* when setting it changes the write item; a read-only one is *refused* when set on
a new object or changed on one read from the server (a ``ConfigError`` naming ``Model.field``). The
read-only values an update object carries from the server are neither sent nor refused.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from amocrm.errors import ConfigError
from amocrm.lib.base import mark_clean
from amocrm.models._write import to_write_item
from amocrm.v2 import writes as v2_writes

#: v2 stamps every update with now + delta; a new object's own value is sent as it is.
STAMPED = {"updated_at"}


def _models() -> list[type[Any]]:
    found = []
    for model in v2_writes.WRITERS:
        if hasattr(v2_writes, model.__name__ + "Write"):
            found.append(model)
    return sorted(found, key=lambda m: m.__name__)


def _read_only(model: type[Any]) -> list[str]:
    """Fields the write form has no place for (under their own or a mapped key)."""
    write = getattr(v2_writes, model.__name__ + "Write")
    sent = set(write.__struct_fields__)
    mapped = set(getattr(v2_writes, "FIELD_MAP", {}).get(model, {}) or ())
    info = msgspec.inspect.type_info(model)
    out = []
    for f in info.fields:  # type: ignore[attr-defined]
        if f.name in sent or f.name in mapped or f.name in STAMPED or f.name == "id":
            continue
        out.append(f.name)
    return out


def _wire(model: type[Any], attr: str) -> str:
    info = msgspec.inspect.type_info(model)
    return next(f.encode_name for f in info.fields if f.name == attr)  # type: ignore[attr-defined]


def _value_for(model: type[Any], attr: str) -> Any:
    """Any non-empty value the model accepts for ``attr`` (decoded, so its type is right)."""
    for candidate in (7, "x", True, {"id": 3}, {"id": [3]}, [{"id": 3, "name": "x"}], {"self": {"href": "/x"}},
                      {"text": "done"}, {"leads": [1]}):
        try:
            obj = msgspec.convert({_wire(model, attr): candidate}, model)
        except (msgspec.ValidationError, TypeError):
            continue
        value = getattr(obj, attr)
        if value is not None and value is not msgspec.UNSET:
            return value
    raise AssertionError(f"no sample value for {model.__name__}.{attr}")


CASES = [(m, a) for m in _models() for a in _read_only(m)]


def test_the_audit_sees_the_read_only_fields() -> None:
    names = {f"{m.__name__}.{a}" for m, a in CASES}
    assert {"Lead.account_id", "Lead.main_contact", "Task.result", "Note.attachment", "Contact.updated_by"} <= names


@pytest.mark.parametrize(("model", "attr"), CASES, ids=[f"{m.__name__}.{a}" for m, a in CASES])
def test_a_read_only_field_is_refused_when_set_and_ignored_when_from_the_server(model: type[Any], attr: str) -> None:
    value = _value_for(model, attr)
    new = model()
    setattr(new, attr, value)
    with pytest.raises(ConfigError, match=f"{model.__name__}.{attr} is "):
        to_write_item(new)
    try:
        read = msgspec.convert({"id": 5, _wire(model, attr): msgspec.to_builtins(value)}, model)
    except msgspec.ValidationError:
        return  # no entity id (incoming leads are add-only; linked ids are a list): no update to read
    mark_clean([read])
    assert msgspec.to_builtins(to_write_item(read)).get(attr) is None  # carried, not sent
    if attr == "result":
        return  # a task result is refused even unchanged (it is never written)
    setattr(read, attr, value)  # a change by the caller
    with pytest.raises(ConfigError, match=f"{model.__name__}.{attr} is "):
        to_write_item(read)


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_writable_field_is_sent(model: type[Any]) -> None:
    write = getattr(v2_writes, model.__name__ + "Write")
    for attr in model.__struct_fields__:
        if attr not in write.__struct_fields__ or attr in ("request_id",):
            continue
        obj = model()
        try:
            value = _value_for(model, attr)
        except AssertionError:
            continue  # a field no sample fits (nested write-only structures are covered elsewhere)
        setattr(obj, attr, value)
        try:
            item = msgspec.to_builtins(to_write_item(obj))
        except ConfigError:
            continue  # a sample of the wrong kind for this field's own checks
        assert _wire(model, attr) in item or attr in item, f"{model.__name__}.{attr} set but not sent: {item}"
