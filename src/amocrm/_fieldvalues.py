"""Custom-field values of API v2 and v4 models behind one interface (used by the CLI export and import
and by :mod:`amocrm.upsert`).

API v2 models carry ``custom_fields``: ``CustomField(id, name, code, values=[CustomFieldValue(value,
enum, subtype)])``; API v4 models ``custom_fields_values``: ``FieldValues(field_id, field_name,
field_code, field_type, values=[FieldValue(value, enum_id, enum_code)])``. The shape is read from the
model class, so models of either version (and models generated later) work without changes here.
Values are seen as :class:`Value` (value, enum id, enum code; a smart address's part is its enum code,
``city``...), field definitions as :class:`FieldDef` with v4's type names.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import msgspec
from msgspec import UNSET

from amocrm.lib.base import struct_type

__all__ = [
    "ADDRESS_KEYS",
    "FieldDef",
    "Value",
    "api_of",
    "canonical",
    "entity_fields",
    "load_definitions",
    "parse_cell",
    "read_values",
    "render_cell",
    "struct_fields",
    "write_values",
]

Api = Literal["v2", "v4"]

#: v2 field types -> v4 type names.
V2_TYPES: dict[int, str] = {
    1: "text", 2: "numeric", 3: "checkbox", 4: "select", 5: "multiselect", 6: "date", 7: "url",
    8: "multitext", 9: "textarea", 10: "radiobutton", 11: "streetaddress", 13: "smart_address",
    14: "birthday", 15: "legal_entity", 16: "items", 17: "category", 19: "date_time", 20: "price",
}
#: Smart-address parts: v2 subtype -> key (v4's enum_code).
ADDRESS_KEYS: dict[str, str] = {"1": "address_line_1", "2": "address_line_2", "3": "city", "4": "state",
                                "5": "zip", "6": "country"}
_ADDRESS_SUBTYPES = {v: k for k, v in ADDRESS_KEYS.items()}
ENUM_TYPES = frozenset({"select", "multiselect", "radiobutton", "category"})
MULTI_TYPES = frozenset({"multiselect", "multitext", "category", "smart_address"})
DATE_TYPES = frozenset({"date", "birthday", "date_time"})
#: Entities with custom fields.
CF_ENTITIES = ("leads", "contacts", "companies", "customers")
#: What a cell with several values is split on (and joined with).
SEPARATOR = "; "


@dataclass(frozen=True)
class FieldDef:
    """A custom field definition: id, name, code (``PHONE``...), v4 type name, options ``(id, label)``."""

    id: int
    name: str
    code: str | None
    type: str
    enums: tuple[tuple[int, str], ...] = ()
    sort: int = 0

    def enum_id(self, label: str) -> int | None:
        """The option id for ``label`` (exact, then case-insensitive), or for a numeric id text."""
        for eid, known in self.enums:
            if known == label:
                return eid
        low = label.casefold()
        for eid, known in self.enums:
            if known.casefold() == low:
                return eid
        if label.isdigit() and any(eid == int(label) for eid, _ in self.enums):
            return int(label)
        return None

    def label(self, enum_id: int) -> str | None:
        for eid, known in self.enums:
            if eid == enum_id:
                return known
        return None


@dataclass(frozen=True)
class Value:
    """One value: ``value`` as the API holds it, the option id, and the option code (``WORK``, ``city``)."""

    value: Any = None
    enum_id: int | None = None
    enum_code: str | None = None


# -- model shapes --------------------------------------------------------------------------------


def struct_fields(cls: type) -> tuple[str, ...]:
    """The field names of a msgspec Struct class (``()`` for anything else)."""
    names = getattr(cls, "__struct_fields__", ())
    return tuple(names) if isinstance(names, tuple) else ()


def api_of(model: Any) -> Api:
    """``"v4"`` for a model (or model class) with ``custom_fields_values``, else ``"v2"``."""
    cls = model if isinstance(model, type) else type(model)
    return "v4" if "custom_fields_values" in struct_fields(cls) else "v2"


def _attr(api: Api) -> str:
    return "custom_fields_values" if api == "v4" else "custom_fields"




def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _set(value: Any) -> bool:
    return value is not UNSET and value is not None


def _field_list(model: Any, api: Api) -> list[Any]:
    items = getattr(model, _attr(api), UNSET)
    if isinstance(items, dict):  # v2's PHP quirk: {} (or an id-keyed object) for a list
        return list(items.values())
    return list(items) if isinstance(items, list) else []


def _values_of(field: Any, api: Api) -> list[Value]:
    raw = getattr(field, "values", UNSET)
    if not isinstance(raw, list):
        return []
    out: list[Value] = []
    for item in raw:
        if not isinstance(item, msgspec.Struct):  # v2 multiselect written as bare enum ids
            out.append(Value(None, _int_or_none(item), None))
            continue
        value = getattr(item, "value", UNSET)
        value = None if value is UNSET else value
        if api == "v4":
            eid = getattr(item, "enum_id", UNSET)
            code = getattr(item, "enum_code", UNSET)
            out.append(Value(value, eid if isinstance(eid, int) and not isinstance(eid, bool) else None,
                             code if isinstance(code, str) and code else None))
            continue
        enum = getattr(item, "enum", UNSET)
        subtype = getattr(item, "subtype", UNSET)
        eid2 = _int_or_none(enum)
        code2 = enum if isinstance(enum, str) and eid2 is None and enum else None
        if isinstance(subtype, str) and subtype:
            code2 = ADDRESS_KEYS.get(subtype, subtype)
        out.append(Value(value, eid2, code2))
    return out


def entity_fields(model: Any) -> list[tuple[int, str | None, str | None, list[Value]]]:
    """``(field id, name, code, values)`` of every custom field the model holds."""
    api = api_of(model)
    out: list[tuple[int, str | None, str | None, list[Value]]] = []
    for field in _field_list(model, api):
        fid = getattr(field, "field_id" if api == "v4" else "id", UNSET)
        if not isinstance(fid, int) or isinstance(fid, bool):
            continue
        name = getattr(field, "field_name" if api == "v4" else "name", None)
        code = getattr(field, "field_code" if api == "v4" else "code", None)
        out.append((fid, name if isinstance(name, str) else None, code if isinstance(code, str) and code else None,
                    _values_of(field, api)))
    return out


def read_values(model: Any, field_id: int) -> list[Value]:
    """The values of field ``field_id`` on ``model`` (``[]`` when absent)."""
    for fid, _, _, values in entity_fields(model):
        if fid == field_id:
            return values
    return []


def write_values(model: Any, field: FieldDef, values: Sequence[Value]) -> None:
    """Set field ``field``'s values on ``model`` (replacing the field's values, keeping other fields)."""
    api = api_of(model)
    cls = type(model)
    attr = _attr(api)
    field_cls = struct_type(cls, attr)
    value_cls = struct_type(field_cls, "values")
    built: list[Any] = []
    for v in values:
        if api == "v4":
            kwargs: dict[str, Any] = {}
            if v.value is not None:
                kwargs["value"] = v.value
            if v.enum_id is not None:
                kwargs["enum_id"] = v.enum_id
            if v.enum_code is not None:
                kwargs["enum_code"] = v.enum_code
            built.append(value_cls(**kwargs))
            continue
        kwargs = {}
        if field.type in ENUM_TYPES:
            kwargs["value"] = v.enum_id if v.enum_id is not None else v.value
        else:
            if v.value is not None:
                kwargs["value"] = v.value
            if field.type == "smart_address" and v.enum_code is not None:
                kwargs["subtype"] = v.enum_code
            elif v.enum_id is not None:
                kwargs["enum"] = v.enum_id
            elif v.enum_code is not None:
                kwargs["enum"] = v.enum_code
        built.append(value_cls(**kwargs))
    id_key = "field_id" if api == "v4" else "id"
    current = _field_list(model, api)
    for existing in current:
        if getattr(existing, id_key, None) == field.id:
            existing.values = built
            setattr(model, attr, current)
            return
    current.append(field_cls(**{id_key: field.id, "values": built}))
    setattr(model, attr, current)


# -- definitions ---------------------------------------------------------------------------------


def _enum_pairs(raw: Any) -> tuple[tuple[int, str], ...]:
    pairs: list[tuple[int, str]] = []
    if isinstance(raw, Mapping):
        for key, label in raw.items():
            ident = _int_or_none(key)
            if ident is not None:
                pairs.append((ident, str(label)))
    elif isinstance(raw, list):
        for item in raw:
            ident = getattr(item, "id", None) if not isinstance(item, Mapping) else item.get("id")
            label = getattr(item, "value", None) if not isinstance(item, Mapping) else item.get("value")
            ident = _int_or_none(ident)
            if ident is not None and isinstance(label, str):
                pairs.append((ident, label))
    return tuple(pairs)


def load_definitions(client: Any, entity: str, api: Api) -> list[FieldDef]:
    """The custom field definitions of ``entity`` (``leads``, ``contacts``...), in the account's order.

    API v2: one request (``GET /api/v2/account?with=custom_fields``); API v4: ``GET
    /api/v4/<entity>/custom_fields`` page by page (one request up to 250 fields). Entities without
    custom fields give ``[]`` without a request.
    """
    if entity not in CF_ENTITIES:
        return []
    out: list[FieldDef] = []
    if api == "v2":
        account = client.v2.account.get(with_=["custom_fields"])
        embedded = getattr(account, "embedded", UNSET)
        defs = getattr(embedded, "custom_fields", UNSET) if _set(embedded) else UNSET
        items = getattr(defs, entity, UNSET) if _set(defs) else UNSET
        for d in items if isinstance(items, list) else []:
            if not isinstance(d.id, int):
                continue
            ftype = d.field_type if isinstance(d.field_type, int) else 1
            code = d.code if isinstance(d.code, str) and d.code else None
            out.append(FieldDef(d.id, d.name if isinstance(d.name, str) else "", code,
                                V2_TYPES.get(ftype, f"type {ftype}"), _enum_pairs(d.enums),
                                d.sort if isinstance(d.sort, int) else 0))
    else:
        page = 1
        while True:
            body = client.request("GET", f"/api/v4/{entity}/custom_fields", {"page": page, "limit": 250})
            items2 = body.get("_embedded", {}).get("custom_fields", []) if isinstance(body, dict) else []
            for d in items2:
                if not isinstance(d, dict) or not isinstance(d.get("id"), int):
                    continue
                code = d.get("code")
                out.append(FieldDef(d["id"], str(d.get("name") or ""), code if isinstance(code, str) and code else None,
                                    str(d.get("type") or "text"), _enum_pairs(d.get("enums") or []),
                                    d["sort"] if isinstance(d.get("sort"), int) else 0))
            links = body.get("_links", {}) if isinstance(body, dict) else {}
            if not items2 or not isinstance(links, dict) or "next" not in links:
                break
            page += 1
    return sorted(out, key=lambda f: (f.sort, f.id))


# -- cells: rendering and parsing ----------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or value is UNSET:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return msgspec.json.encode(value).decode()
    return str(value)


def _date_text(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
        return moment.strftime("%Y-%m-%d") if moment.time() == _dt.time(0) else moment.strftime("%Y-%m-%d %H:%M:%S")
    text = _text(value)
    if text.isdigit():
        return _date_text(int(text))
    return text[:10] if text.endswith(" 00:00:00") else text


def render_cell(values: Sequence[Value], field: FieldDef | None) -> str:
    """One CSV cell: the values as text, several joined with ``"; "`` (options by label, address parts
    as ``city: Москва``, dates as ``YYYY-MM-DD``)."""
    ftype = field.type if field is not None else ""
    parts: list[str] = []
    for v in values:
        if ftype in ENUM_TYPES:
            eid = v.enum_id
            if eid is None and field is not None and isinstance(v.value, (int, str)):
                eid = field.enum_id(_text(v.value))  # v2 writes an option as its id in ``value``
            label = field.label(eid) if field is not None and eid is not None else None
            parts.append(label if label is not None else _text(v.value) or _text(v.enum_id))
        elif ftype == "smart_address":
            parts.append(f"{v.enum_code}: {_text(v.value)}" if v.enum_code else _text(v.value))
        elif ftype in DATE_TYPES:
            parts.append(_date_text(v.value))
        else:
            parts.append(_text(v.value))
    return SEPARATOR.join(p for p in parts if p != "")


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S")


def parse_date(text: str) -> _dt.datetime:
    """``2024-02-29``, ``29.02.2024``, ISO 8601 with or without an offset (``Z`` too); naive is UTC."""
    raw = text.strip()
    try:
        moment = _dt.datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                moment = _dt.datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD, DD.MM.YYYY or ISO 8601)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.timezone.utc)


_TRUE = {"1", "true", "yes", "y", "да", "on", "x"}
_FALSE = {"0", "false", "no", "n", "нет", "off", ""}


def parse_cell(text: str, field: FieldDef, api: Api) -> list[Value]:
    """The values a CSV cell asks for (``[]`` for an empty cell); :class:`ValueError` naming the problem."""
    raw = text.strip()
    if not raw:
        return []
    ftype = field.type
    parts = [p.strip() for p in raw.split(";")] if ftype in MULTI_TYPES else [raw]
    parts = [p for p in parts if p]
    out: list[Value] = []
    for part in parts:
        if ftype in ENUM_TYPES:
            eid = field.enum_id(part)
            if eid is None:
                labels = ", ".join(label for _, label in field.enums)
                raise ValueError(f"{field.name}: {part!r} is not one of its options ({labels})")
            out.append(Value(part if api == "v4" else None, eid, None))
        elif ftype == "multitext":
            default = "WORK"
            code, sep, rest = part.rpartition(" ")
            if sep and rest.startswith("(") and rest.endswith(")") and rest[1:-1].isupper():
                part, default = code, rest[1:-1]
            out.append(Value(part, None, default))
        elif ftype == "smart_address":
            key, sep, rest = part.partition(":")
            key = key.strip()
            if sep and (key in _ADDRESS_SUBTYPES or key in ADDRESS_KEYS):
                out.append(Value(rest.strip(), None, ADDRESS_KEYS.get(key, key)))
            else:
                out.append(Value(part, None, "address_line_1"))
        elif ftype in DATE_TYPES:
            moment = parse_date(part)
            out.append(Value(int(moment.timestamp()) if api == "v4" else moment.strftime("%Y-%m-%d")))
        elif ftype in ("numeric", "price", "monetary"):
            try:
                number = float(part.replace(",", ".").replace(" ", ""))
            except ValueError:
                raise ValueError(f"{field.name}: {part!r} is not a number") from None
            if not math.isfinite(number):
                raise ValueError(f"{field.name}: {part!r} is not a finite number")
            out.append(Value(int(number) if number.is_integer() else number))
        elif ftype == "checkbox":
            low = part.casefold()
            if low not in _TRUE and low not in _FALSE:
                raise ValueError(f"{field.name}: {part!r} is not yes/no (1/0, true/false)")
            out.append(Value(low in _TRUE))
        else:
            out.append(Value(part))
    return out


# -- comparison ----------------------------------------------------------------------------------


def canonical(values: Iterable[Value], field: FieldDef | None) -> tuple[Any, ...]:
    """A comparable form of a field's values: equal for values that mean the same (``"12.5"`` and ``12.5``,
    ``+7 (999) 000-00-01`` and ``89990000001``, ``2024-02-29 00:00:00`` and ``1709164800``)."""
    from amocrm.upsert import normalize_email, normalize_phone

    ftype = field.type if field is not None else ""
    code = field.code if field is not None else None
    out: list[Any] = []
    for v in values:
        if ftype in ENUM_TYPES:
            eid = v.enum_id
            if eid is None and field is not None and v.value is not None:
                eid = field.enum_id(_text(v.value))
            out.append(eid if eid is not None else _text(v.value))
        elif ftype == "multitext":
            text = _text(v.value)
            out.append(normalize_phone(text) if code == "PHONE" else normalize_email(text) if code == "EMAIL"
                       else text.strip().casefold())
        elif ftype == "smart_address":
            out.append((v.enum_code or "address_line_1", _text(v.value).strip()))
        elif ftype in DATE_TYPES:
            text = _date_text(v.value)
            try:
                out.append(parse_date(text).date().isoformat() if ftype != "date_time" else parse_date(text).timestamp())
            except ValueError:
                out.append(text)
        elif ftype in ("numeric", "price", "monetary"):
            try:
                out.append(float(_text(v.value).replace(",", ".")))
            except ValueError:
                out.append(_text(v.value))
        elif ftype == "checkbox":
            out.append(_text(v.value).casefold() in _TRUE)
        else:
            out.append(_text(v.value).strip())
    if ftype in MULTI_TYPES:
        return tuple(sorted(out, key=repr))
    return tuple(out)


def text_of(value: Any) -> str:
    """A top-level value as cell text (``""`` for unset)."""
    return _text(value)


