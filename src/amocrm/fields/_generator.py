"""``amocrm fields`` (also ``python -m codegen account`` in a checkout): a typed module of one account's custom fields.

Reads the account's custom-field definitions and writes a module for the user's project: per entity
kind a ``LeadFields``/``ContactFields``/... class whose properties read and write the model's custom
fields with precise types, and ``fields(model)`` to get one::

    from myproject.amo_fields import fields
    fields(lead).budget_source = "Ads"      # Literal of the field's enum labels; type-checked

``--api v4`` (``--version v4``) reads ``GET /api/v4/{leads,contacts,companies,customers}/custom_fields`` (every
page) and writes a module for the API v4 models (``amocrm.v4.models``, or ``--models MODULE``) that
reads and writes ``custom_fields_values`` through their helpers (``get_value``/``set_value`` with the
builders of ``amocrm.lib.v4.fields``); it is the default (``DEFAULT_VERSION``, the SDK's default
version). ``--api v2`` reads ``GET /api/v2/account?with=custom_fields`` and writes one for the v2
models (``amocrm.v2.models``). Sources: ``AmoClient`` with a token, a saved JSON, or the bundled sandbox.

The generated module imports only the public API (``amocrm.v2.models`` or ``amocrm.v4.models`` and
``amocrm.lib.v4.fields``); output is deterministic.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import keyword
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_VERSION", "FieldSpec", "KINDS", "fetch_v4_definitions", "field_specs", "field_specs_v4",
           "load_account", "load_v4_definitions", "main", "render_module", "render_module_v4", "safe_name"]

#: The API version ``--version`` defaults to: the SDK's default version.
DEFAULT_VERSION = "v4"

#: Entity kinds with custom fields: account key -> (model class, fields class prefix).
KINDS: dict[str, str] = {"leads": "Lead", "contacts": "Contact", "companies": "Company", "customers": "Customer"}

TEXT, NUMERIC, CHECKBOX, SELECT, MULTISELECT, DATE, URL, MULTITEXT, TEXTAREA, RADIO = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
STREET, SMART_ADDRESS, BIRTHDAY = 11, 13, 14

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)
_TRANSLIT["ъ"] = _TRANSLIT["ь"] = ""
#: Names a property may not take: the wrapper's own attribute and builtins shadowing would confuse readers.
_RESERVED = {"model", "fields"}
#: Smart-address subtypes: API code -> key of the generated ``Address`` TypedDict.
ADDRESS_KEYS = {"1": "address_line_1", "2": "address_line_2", "3": "city", "4": "state", "5": "zip", "6": "country"}


class AccountSourceError(Exception):
    """The account could not be read (file missing, bad JSON, no custom_fields in it)."""


@dataclass(frozen=True)
class FieldSpec:
    """One custom field as the generator sees it."""

    id: int
    name: str
    field_type: int
    code: str | None
    enums: tuple[tuple[int, str], ...]
    attr: str = ""
    type_code: str = ""
    """The API v4 type (``text``, ``numeric``, ...); empty for v2 specs (``field_type`` holds the number)."""


def safe_name(text: str) -> str:
    """A snake_case identifier from a field name or code: Cyrillic transliterated, '' when nothing is left."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.strip().lower())
    out = re.sub(r"[^a-z0-9]+", "_", out).strip("_")
    if out and out[0].isdigit():
        out = f"f_{out}"
    if keyword.iskeyword(out) or out in _RESERVED:
        out = f"{out}_"
    return out


def _enums(raw: Any) -> tuple[tuple[int, str], ...]:
    from amocrm.v2.models import FieldEnum

    pairs: list[tuple[int, str]] = []
    if isinstance(raw, dict):
        for key, label in raw.items():
            pairs.append((int(key), str(label)))
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, FieldEnum) and isinstance(item.id, int) and isinstance(item.value, str):
                pairs.append((item.id, item.value))
    return tuple(sorted(pairs))


def field_specs(account: Any) -> dict[str, list[FieldSpec]]:
    """Kind -> its fields with unique attribute names, sorted by attribute name (deterministic)."""
    from msgspec import UNSET

    emb = account.embedded
    cfs = emb.custom_fields if emb not in (UNSET, None) else None
    if cfs in (UNSET, None):
        raise AccountSourceError("the account has no _embedded.custom_fields: fetch it with with=custom_fields")
    result: dict[str, list[FieldSpec]] = {}
    for kind in KINDS:
        defs = getattr(cfs, kind)
        if defs is UNSET or not defs:
            continue
        specs: list[FieldSpec] = []
        for d in defs:
            if not isinstance(d.id, int):
                continue
            name = d.name if isinstance(d.name, str) else ""
            code = d.code if isinstance(d.code, str) and d.code else None
            ftype = d.field_type if isinstance(d.field_type, int) else TEXT
            base = safe_name(code) if code else ""
            base = base or safe_name(name) or f"field_{d.id}"
            specs.append(FieldSpec(d.id, name, ftype, code, _enums(d.enums), base))
        result[kind] = _unique(specs)
    return result


def _unique(specs: list[FieldSpec]) -> list[FieldSpec]:
    """Attribute names made unique (a shared name gets the field id appended), sorted by name then id."""
    counts: dict[str, int] = {}
    for s in specs:
        counts[s.attr] = counts.get(s.attr, 0) + 1
    unique = [dataclasses.replace(s, attr=f"{s.attr}_{s.id}") if counts[s.attr] > 1 else s for s in specs]
    return sorted(unique, key=lambda s: (s.attr, s.id))


# -- rendering --------------------------------------------------------------------------------------

_RUNTIME = '''
class _HasCustomFields(Protocol):
    def get_custom_field(self, field_id: int | str) -> CustomField | None: ...
    def set_custom_field(self, field_id: int | str, value: Any) -> object: ...


class Address(TypedDict, total=False):
    """A smart address by part (the API's subtypes 1..6)."""

    address_line_1: str
    address_line_2: str
    city: str
    state: str
    zip: str
    country: str


_ADDRESS_KEYS: Final[dict[str, str]] = {ADDRESS_KEYS}
_ADDRESS_CODES: Final[dict[str, str]] = {{v: k for k, v in _ADDRESS_KEYS.items()}}
_DATE_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S")


class StaleFieldsError(ValueError):
    """The account's data no longer matches this module (an enum added or renamed): regenerate it."""


def _values(model: _HasCustomFields, fid: int) -> list[CustomFieldValue]:
    field = model.get_custom_field(fid)
    if field is None or isinstance(field.values, UnsetType):
        return []
    return [v if isinstance(v, CustomFieldValue) else CustomFieldValue(enum=v) for v in field.values]


def _text(v: CustomFieldValue) -> str:
    return "" if isinstance(v.value, UnsetType) or v.value is None else str(v.value)


def _first(model: _HasCustomFields, fid: int) -> CustomFieldValue | None:
    values = _values(model, fid)
    return values[0] if values else None


def _get_str(model: _HasCustomFields, fid: int) -> str | None:
    v = _first(model, fid)
    return None if v is None else _text(v)


def _get_float(model: _HasCustomFields, fid: int) -> float | None:
    v = _first(model, fid)
    if v is None or _text(v) == "":
        return None
    try:
        return float(_text(v))
    except ValueError:
        raise StaleFieldsError(f"custom field {{fid}}: {{_text(v)!r}} is not a number") from None


def _get_bool(model: _HasCustomFields, fid: int) -> bool | None:
    v = _first(model, fid)
    return None if v is None else _text(v).lower() not in ("", "0", "false")


def _parse_date(fid: int, text: str) -> datetime.date:
    if text.isdigit():
        return datetime.datetime.fromtimestamp(int(text), datetime.timezone.utc).date()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise StaleFieldsError(f"custom field {{fid}}: {{text!r}} is not a date")


def _get_date(model: _HasCustomFields, fid: int) -> datetime.date | None:
    v = _first(model, fid)
    return None if v is None or _text(v) == "" else _parse_date(fid, _text(v))


def _label(fid: int, v: CustomFieldValue, enums: Mapping[int, str]) -> str:
    if not isinstance(v.enum, UnsetType):
        try:
            return enums[int(v.enum)]
        except (KeyError, ValueError):
            pass
    text = _text(v)
    if text in enums.values():
        return text
    if text.isdigit() and int(text) in enums:  # set here and not saved yet: the value is the option's id
        return enums[int(text)]
    raise StaleFieldsError(
        f"custom field {{fid}}: option {{text or v.enum!r}} is unknown to this module; regenerate it"
    )


def _get_labels(model: _HasCustomFields, fid: int, enums: Mapping[int, str]) -> list[str]:
    return [_label(fid, v, enums) for v in _values(model, fid)]


def _enum_id(fid: int, label: str, enums: Mapping[int, str]) -> int:
    for eid, known in enums.items():
        if known == label:
            return eid
    raise ValueError(f"custom field {{fid}}: {{label!r}} is not one of {{sorted(enums.values())}}")


def _set(model: _HasCustomFields, fid: int, values: list[dict[str, Any]]) -> None:
    model.set_custom_field(fid, values)


def _address(model: _HasCustomFields, fid: int) -> Address:
    out: dict[str, str] = {{}}
    for v in _values(model, fid):
        key = _ADDRESS_KEYS.get(v.subtype if isinstance(v.subtype, str) else "", "")
        if key:
            out[key] = _text(v)
    return cast(Address, out)
'''


def _py_type(spec: FieldSpec) -> tuple[str, str]:
    """(getter type, setter type) of a field."""
    literal = f"Literal[{', '.join(repr(label) for _, label in spec.enums)}]" if spec.enums else "str"
    t = spec.field_type
    if t in (SELECT, RADIO):
        return f"{literal} | None", f"{literal} | None"
    if t == MULTISELECT:
        return f"list[{literal}]", f"Sequence[{literal}]"
    if t == MULTITEXT:
        return f"list[tuple[str, {literal}]]", f"Sequence[tuple[str, {literal}]]"
    if t == NUMERIC:
        return "float | None", "float | None"
    if t == CHECKBOX:
        return "bool | None", "bool | None"
    if t in (DATE, BIRTHDAY):
        return "datetime.date | None", "datetime.date | None"
    if t == SMART_ADDRESS:
        return "Address", "Address"
    if t in (TEXT, TEXTAREA, URL, STREET):
        return "str | None", "str | None"
    return "list[CustomFieldValue]", ""


def _enum_const(kind: str, spec: FieldSpec) -> str:
    return f"_{KINDS[kind].upper()}_{spec.attr.upper()}_ENUMS"


def _getter(kind: str, spec: FieldSpec) -> str:
    t, fid = spec.field_type, spec.id
    enums = _enum_const(kind, spec)
    if t in (SELECT, RADIO):
        return f"labels = _get_labels(self.model, {fid}, {enums})\n        return cast({_py_type(spec)[0].split(' |')[0]}, labels[0]) if labels else None"
    if t == MULTISELECT:
        return f"return cast({_py_type(spec)[0]}, _get_labels(self.model, {fid}, {enums}))"
    if t == MULTITEXT:
        return (f"return cast({_py_type(spec)[0]}, [(_text(v), _label({fid}, v, {enums}))"
                f" for v in _values(self.model, {fid})])")
    if t == NUMERIC:
        return f"return _get_float(self.model, {fid})"
    if t == CHECKBOX:
        return f"return _get_bool(self.model, {fid})"
    if t in (DATE, BIRTHDAY):
        return f"return _get_date(self.model, {fid})"
    if t == SMART_ADDRESS:
        return f"return _address(self.model, {fid})"
    if t in (TEXT, TEXTAREA, URL, STREET):
        return f"return _get_str(self.model, {fid})"
    return f"return _values(self.model, {fid})"


def _setter(kind: str, spec: FieldSpec) -> str:
    t, fid = spec.field_type, spec.id
    enums = _enum_const(kind, spec)
    if t in (SELECT, RADIO):
        return (f"_set(self.model, {fid}, [] if value is None else "
                f"[{{\"value\": _enum_id({fid}, value, {enums})}}])")
    if t == MULTISELECT:
        return f"_set(self.model, {fid}, [{{\"value\": _enum_id({fid}, v, {enums})}} for v in value])"
    if t == MULTITEXT:
        return f"_set(self.model, {fid}, [{{\"value\": text, \"enum\": code}} for text, code in value])"
    if t in (DATE, BIRTHDAY):
        return f"_set(self.model, {fid}, [] if value is None else [{{\"value\": value.isoformat()}}])"
    if t == SMART_ADDRESS:
        return (f"_set(self.model, {fid}, [{{\"value\": text, \"subtype\": key}}"
                f" for key, text in value.items() if key in _ADDRESS_CODES])")
    return f"_set(self.model, {fid}, [] if value is None else [{{\"value\": value}}])"


_TYPE_NAMES = {TEXT: "text", NUMERIC: "numeric", CHECKBOX: "checkbox", SELECT: "select", MULTISELECT: "multiselect",
               DATE: "date", URL: "url", MULTITEXT: "multitext", TEXTAREA: "textarea", RADIO: "radiobutton",
               STREET: "street address", SMART_ADDRESS: "smart address", BIRTHDAY: "birthday"}


def _doc(spec: FieldSpec) -> str:
    kind = _TYPE_NAMES.get(spec.field_type, f"type {spec.field_type}")
    code = f", code {spec.code}" if spec.code else ""
    name = spec.name.replace("\\", "\\\\").replace('"', "'")
    return f"{name} (id {spec.id}, {kind}{code})."


def render_module(specs: dict[str, list[FieldSpec]], source: str) -> str:
    """The Python source of the fields module (deterministic for the same definitions)."""
    kinds = [k for k in KINDS if k in specs]
    models = ", ".join(sorted(KINDS[k] for k in kinds))
    lines = [
        f"# @generated by `amocrm fields --api v2` from {source}. DO NOT EDIT: regenerate instead.",
        '"""Typed custom fields of one amoCRM account: ``fields(lead).<name>`` reads and writes them."""',
        "",
        "from __future__ import annotations",
        "",
        "import datetime",
        "from collections.abc import Mapping, Sequence",
        "from typing import Any, Final, Literal, Protocol, TypedDict, cast, overload",
        "",
        "from amocrm.models import UnsetType",
        "from amocrm.v2.models import CustomField, CustomFieldValue" + (f", {models}" if models else ""),
        "",
        f"__all__ = {sorted(['Address', 'StaleFieldsError', 'fields'] + [KINDS[k] + 'Fields' for k in kinds])!r}",
        _RUNTIME.replace("{ADDRESS_KEYS}", repr(ADDRESS_KEYS)).replace("{{", "{").replace("}}", "}"),
    ]
    for kind in kinds:
        for spec in specs[kind]:
            if spec.enums:
                pairs = ", ".join(f"{eid}: {label!r}" for eid, label in spec.enums)
                lines.append(f"{_enum_const(kind, spec)}: Final[dict[int, str]] = {{{pairs}}}")
    for kind in kinds:
        model = KINDS[kind]
        lines += ["", "", f"class {model}Fields:",
                  f'    """Custom fields of a {model} (account kind ``{kind}``)."""', "",
                  '    __slots__ = ("model",)', "",
                  f"    def __init__(self, model: {model}) -> None:",
                  "        self.model = model"]
        for spec in specs[kind]:
            get_t, set_t = _py_type(spec)
            lines += ["", "    @property", f"    def {spec.attr}(self) -> {get_t}:",
                      f'        """{_doc(spec)}"""', f"        {_getter(kind, spec)}"]
            if set_t:
                lines += ["", f"    @{spec.attr}.setter", f"    def {spec.attr}(self, value: {set_t}) -> None:",
                          f"        {_setter(kind, spec)}"]
    if kinds:
        for kind in kinds if len(kinds) > 1 else ():
            lines += ["", "", "@overload", f"def fields(model: {KINDS[kind]}) -> {KINDS[kind]}Fields: ..."]
        union_in = " | ".join(KINDS[k] for k in kinds)
        union_out = " | ".join(KINDS[k] + "Fields" for k in kinds)
        lines += ["", "", f"def fields(model: {union_in}) -> {union_out}:",
                  '    """The typed custom fields of ``model``; reads and writes go to ``model.custom_fields``."""']
        for kind in kinds:
            lines += [f"    if isinstance(model, {KINDS[kind]}):", f"        return {KINDS[kind]}Fields(model)"]
        lines.append('    raise TypeError(f"no custom fields generated for {type(model).__name__}")')
    return "\n".join(lines).rstrip() + "\n"


# -- API v4 ---------------------------------------------------------------------------------------

#: v4 field types -> (builder of amocrm.lib.v4.fields, getter type, setter type); ``None`` types are
#: filled in per field (option labels) by ``_v4_types``.
_V4_TEXT = {"text": "Text", "textarea": "TextArea", "url": "Url", "streetaddress": "StreetAddress",
            "tracking_data": "TrackingData", "org_legal_name": "OrgLegalName"}
_V4_NUMBER = {"numeric": "Numeric", "price": "Price", "monetary": "Monetary"}
_V4_DATE = {"date": "Date", "date_time": "DateTime", "birthday": "Birthday"}
_V4_CHOICE = {"select": "Select", "radiobutton": "Radiobutton", "category": "Category"}
#: Types written with a builder object (the setter takes the builder): builder, getter type.
_V4_OBJECT = {"legal_entity": ("LegalEntity", "LegalEntityValue | None"),
              "linked_entity": ("LinkedEntity", "LinkedEntityValue | None"),
              "file": ("File", "FileValue | None"), "items": ("Items", "list[dict[str, Any]]"),
              "payer": ("Payer", "dict[str, Any] | None"), "supplier": ("Supplier", "dict[str, Any] | None")}
#: Kind -> the generated wrapper class (and the model class it wraps).
_V4_WRAPPER = {kind: f"{model}Fields" for kind, model in KINDS.items()}


def load_v4_definitions(data: bytes, where: str) -> dict[str, list[dict[str, Any]]]:
    """Field definitions by kind from saved API v4 JSON.

    Accepted: ``{"leads": <definitions>, "contacts": ...}`` where each value is a list of field
    objects, one page (``{"_embedded": {"custom_fields": [...]}}``) or a list of pages; or, without
    the kind keys, any of those forms (the kind of each field is then its ``entity_type``).
    """
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise AccountSourceError(f"{where}: not JSON: {exc}") from None
    out: dict[str, list[dict[str, Any]]] = {}
    if isinstance(raw, dict) and set(raw) & set(KINDS) and "_embedded" not in raw:
        for kind in KINDS:
            if kind in raw:
                out[kind] = _v4_field_objects(raw[kind], where)
    else:
        for field in _v4_field_objects(raw, where):
            entity = field.get("entity_type")
            if entity in KINDS:
                out.setdefault(str(entity), []).append(field)
    if not any(out.values()):
        raise AccountSourceError(f"{where}: no custom field definitions of {', '.join(KINDS)} in it "
                                 "(save GET /api/v4/<kind>/custom_fields answers)")
    return out


def _v4_field_objects(raw: Any, where: str) -> list[dict[str, Any]]:
    """Field objects from a list of fields, a page, a list of pages (or ``null`` for a 204)."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        emb = raw.get("_embedded")
        fields = emb.get("custom_fields") if isinstance(emb, dict) else None
        if not isinstance(fields, list):
            raise AccountSourceError(f"{where}: a page without _embedded.custom_fields")
        return [f for f in fields if isinstance(f, dict)]
    if isinstance(raw, list):
        out: list[dict[str, Any]] = []
        for item in raw:
            if isinstance(item, dict) and "_embedded" in item:
                out.extend(_v4_field_objects(item, where))
            elif isinstance(item, dict):
                out.append(item)
        return out
    raise AccountSourceError(f"{where}: expected field definitions, got {type(raw).__name__}")


def fetch_v4_definitions(get: Callable[[str, Mapping[str, Any]], Any], kinds: Sequence[str] = tuple(KINDS),
                         page_size: int = 50, max_pages: int = 1000) -> dict[str, list[dict[str, Any]]]:
    """Every page of ``GET /api/v4/<kind>/custom_fields`` for each kind; ``get(path, query)`` returns
    the decoded body (``None`` for 204), e.g. ``AmoClient.request`` with ``"GET"`` bound."""
    out: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds:
        fields: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            body = get(f"/api/v4/{kind}/custom_fields", {"page": page, "limit": page_size})
            got = _v4_field_objects(body, f"GET /api/v4/{kind}/custom_fields page {page}")
            fields.extend(got)
            links = body.get("_links") if isinstance(body, dict) else None
            if not got or not (isinstance(links, dict) and links.get("next")):
                break
        out[kind] = fields
    return out


def _v4_enums(raw: Any) -> tuple[tuple[int, str], ...]:
    pairs: list[tuple[int, str]] = []
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and isinstance(item.get("id"), int) and isinstance(item.get("value"), str):
                pairs.append((item["id"], item["value"]))
    return tuple(sorted(pairs))


def field_specs_v4(definitions: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, list[FieldSpec]]:
    """Kind -> its fields (API v4 definitions) with unique attribute names, sorted (deterministic)."""
    result: dict[str, list[FieldSpec]] = {}
    for kind in KINDS:
        specs: list[FieldSpec] = []
        seen: set[int] = set()
        for d in definitions.get(kind) or ():
            ident = d.get("id")
            if not isinstance(ident, int) or isinstance(ident, bool) or ident in seen:
                continue
            seen.add(ident)
            name = d["name"] if isinstance(d.get("name"), str) else ""
            code = d["code"] if isinstance(d.get("code"), str) and d["code"] else None
            type_code = d["type"] if isinstance(d.get("type"), str) else ""
            base = (safe_name(code) if code else "") or safe_name(name) or f"field_{ident}"
            specs.append(FieldSpec(ident, name, 0, code, _v4_enums(d.get("enums")), base, type_code))
        if specs:
            result[kind] = _unique(specs)
    return result


def _v4_const(kind: str, spec: FieldSpec) -> str:
    return f"_{KINDS[kind].upper()}_{spec.attr.upper()}"


def _v4_member(kind: str, spec: FieldSpec) -> tuple[list[str], set[str]]:
    """The property (getter and setter lines) of one field, and the names it imports."""
    t, fid = spec.type_code, spec.id
    enums = f"{_v4_const(kind, spec)}_ENUMS"
    literal = f"{_v4_const(kind, spec)}_LABELS" if spec.enums else "str"
    uses: set[str] = set()
    if t in _V4_TEXT or t in _V4_NUMBER or t == "checkbox" or t in _V4_DATE:
        builder = _V4_TEXT.get(t) or _V4_NUMBER.get(t) or _V4_DATE.get(t) or "Checkbox"
        get_t = ("str | None" if t in _V4_TEXT else "int | float | None" if t in _V4_NUMBER
                 else "bool | None" if t == "checkbox" else "datetime.datetime | None")
        set_t = ("int | float | Decimal | None" if t in _V4_NUMBER
                 else "datetime.datetime | datetime.date | None" if t in _V4_DATE else get_t)
        uses.add(builder)
        getter = [f"return self.model.get_value({fid}, {builder})"]
        setter = [f"self.model.set_value({fid}, None if value is None else {builder}(value))"]
    elif t in _V4_CHOICE:
        builder = _V4_CHOICE[t]
        uses |= {builder, "_label", "_enum_id"} if spec.enums else {builder}
        get_t = set_t = f"{literal} | None"
        if spec.enums:
            getter = [f"choice = self.model.get_value({fid}, {builder})",
                      f"return None if choice is None else cast({literal}, _label({fid}, choice, {enums}))"]
            setter = [f"self.model.set_value({fid}, None if value is None else "
                      f"{builder}(enum_id=_enum_id({fid}, value, {enums})))"]
        else:
            getter = [f"choice = self.model.get_value({fid}, {builder})",
                      "return None if choice is None else choice.value"]
            setter = [f"self.model.set_value({fid}, None if value is None else {builder}(value))"]
    elif t == "multiselect":
        uses |= {"MultiSelect", "_label", "_enum_id"} if spec.enums else {"MultiSelect"}
        get_t, set_t = f"list[{literal}]", f"Sequence[{literal}] | None"
        if spec.enums:
            getter = [f"return [cast({literal}, _label({fid}, c, {enums}))"
                      f" for c in self.model.get_value({fid}, MultiSelect) or []]"]
            setter = [f"self.model.set_value({fid}, None if value is None else "
                      f"MultiSelect([_enum_id({fid}, v, {enums}) for v in value]))"]
        else:
            getter = [f"return [c.value for c in self.model.get_value({fid}, MultiSelect) or []]"]
            setter = [f"self.model.set_value({fid}, None if value is None else MultiSelect(list(value)))"]
    elif t == "multitext":
        builder = {"PHONE": "Phone", "EMAIL": "Email"}.get(spec.code or "", "MultiText")
        uses |= {builder, "_code"}
        get_t, set_t = f"list[tuple[str, {literal}]]", f"Sequence[tuple[str, {literal}]] | None"
        codes = enums if spec.enums else "{}"
        getter = [f"return [(v.value, cast({literal}, _code({fid}, v, {codes})))"
                  f" for v in self.model.get_value({fid}, {builder}) or []]"]
        setter = [f"self.model.set_value({fid}, None if value is None else {builder}(list(value)))"]
    elif t == "smart_address":
        uses |= {"Address", "SmartAddress"}
        get_t, set_t = "Address", "Address | None"
        getter = [f"return self.model.get_value({fid}, SmartAddress) or Address()"]
        setter = [f"self.model.set_value({fid}, SmartAddress(**value) if value else None)"]
    elif t == "chained_list":
        uses |= {"ChainedList", "ChainedListValue"}
        get_t, set_t = "ChainedListValue | None", "ChainedList | tuple[int, int] | None"
        getter = [f"return self.model.get_value({fid}, ChainedList)"]
        setter = [f"self.model.set_value({fid}, ChainedList(*value) if isinstance(value, tuple) else value)"]
    elif t in _V4_OBJECT:
        builder, get_t = _V4_OBJECT[t]
        set_t = f"{builder} | None"
        uses.add(builder)
        uses |= {n for n in ("LegalEntityValue", "LinkedEntityValue", "FileValue") if n in get_t}
        tail = " or []" if get_t.startswith("list[") else ""
        getter = [f"return self.model.get_value({fid}, {builder}){tail}"]
        setter = [f"self.model.set_value({fid}, value)"]
    else:
        uses |= {"AnyValue", "FieldBuilder"}
        get_t, set_t = "AnyValue | None", "FieldBuilder[Any, Any] | None"
        getter = [f"return self.model.get_value({fid})"]
        setter = [f"self.model.set_value({fid}, value)"]
    lines = ["", "    @property", f"    def {spec.attr}(self) -> {get_t}:", f'        """{_v4_doc(spec)}"""']
    lines += [f"        {line}" for line in getter]
    lines += ["", f"    @{spec.attr}.setter", f"    def {spec.attr}(self, value: {set_t}) -> None:"]
    lines += [f"        {line}" for line in setter]
    return lines, uses


def _v4_doc(spec: FieldSpec) -> str:
    code = f", code {spec.code}" if spec.code else ""
    name = spec.name.replace("\\", "\\\\").replace('"', "'")
    return f"{name} (id {spec.id}, {spec.type_code or 'unknown type'}{code})."


_V4_STALE = '''

class StaleFieldsError(ValueError):
    """The account's data no longer matches this module (an option added or renamed): regenerate it."""
'''
#: Helper functions of the generated module, emitted when a property uses them.
_V4_HELPERS = {
    "_label": '''

def _label(fid: int, choice: Choice, enums: Mapping[int, str]) -> str:
    if choice.enum_id is not None and choice.enum_id in enums:
        return enums[choice.enum_id]
    if choice.value in enums.values():
        return choice.value
    raise StaleFieldsError(
        f"custom field {fid}: option {choice.value or choice.enum_id!r} is unknown to this module; regenerate it"
    )
''',
    "_enum_id": '''

def _enum_id(fid: int, label: str, enums: Mapping[int, str]) -> int:
    for eid, known in enums.items():
        if known == label:
            return eid
    raise ValueError(f"custom field {fid}: {label!r} is not one of {sorted(enums.values())}")
''',
    "_code": '''

def _code(fid: int, value: MultiTextValue, codes: Mapping[int, str]) -> str:
    code = value.enum_code or ""
    if codes and code not in codes.values():
        raise StaleFieldsError(f"custom field {fid}: enum code {code!r} is unknown to this module; regenerate it")
    return code
''',
}
_V4_HELPER_NAMES = {"_label": {"Choice"}, "_enum_id": set(), "_code": {"MultiTextValue"}}


def _used(body: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}\b", body) is not None


def render_module_v4(specs: dict[str, list[FieldSpec]], source: str, models: str = "amocrm.v4.models") -> str:
    """The Python source of the API v4 fields module (deterministic for the same definitions).

    It imports what it uses only (clean under ruff, mypy --strict and pyright strict).
    """
    kinds = [k for k in KINDS if k in specs]
    classes: list[str] = []
    uses: set[str] = set()
    consts: list[str] = []
    for kind in kinds:
        model = KINDS[kind]
        classes += ["", "", f"class {_V4_WRAPPER[kind]}:",
                    f'    """Custom fields of a {model} (``{kind}``): each property reads and writes'
                    ' ``custom_fields_values``."""', "",
                    '    __slots__ = ("model",)', "",
                    f"    def __init__(self, model: {model}) -> None:",
                    "        self.model = model"]
        for spec in specs[kind]:
            if spec.enums:
                const = _v4_const(kind, spec)
                labels = ", ".join(repr(label) for label in dict.fromkeys(label for _, label in spec.enums))
                pairs = ", ".join(f"{eid}: {label!r}" for eid, label in spec.enums)
                consts += [f"{const}_LABELS: TypeAlias = Literal[{labels}]",
                           f"{const}_ENUMS: Final[dict[int, str]] = {{{pairs}}}"]
            member, used = _v4_member(kind, spec)
            classes += member
            uses |= used
    helpers = [name for name in _V4_HELPERS if name in uses]
    for name in helpers:
        uses |= _V4_HELPER_NAMES[name]
    body_lines: list[str] = [_V4_STALE.rstrip()]
    for name in helpers:
        body_lines.append(_V4_HELPERS[name].rstrip())
    if consts:
        body_lines += ["", ""] + consts
    body_lines += classes
    if kinds:
        for kind in kinds if len(kinds) > 1 else ():
            body_lines += ["", "", "@overload", f"def fields(model: {KINDS[kind]}) -> {_V4_WRAPPER[kind]}: ..."]
        union_in = " | ".join(KINDS[k] for k in kinds)
        union_out = " | ".join(_V4_WRAPPER[k] for k in kinds)
        body_lines += ["", "", f"def fields(model: {union_in}) -> {union_out}:",
                       '    """The typed custom fields of ``model``; reads and writes go to its'
                       ' ``custom_fields_values``."""']
        body_lines.append("    obj = cast(object, model)  # checked at run time too: a model of another kind raises")
        for kind in kinds:
            body_lines += [f"    if isinstance(obj, {KINDS[kind]}):", f"        return {_V4_WRAPPER[kind]}(obj)"]
        body_lines.append('    raise TypeError(f"no custom fields generated for {type(model).__name__}")')
    else:
        body_lines += ["", "", "def fields(model: object) -> object:",
                       '    """No entity of this account has custom fields."""',
                       '    raise TypeError(f"no custom fields generated for {type(model).__name__}")']
    body = "\n".join(body_lines)
    typing_names = [n for n in ("Any", "Final", "Literal", "TypeAlias", "cast", "overload") if _used(body, n)]
    abc_names = [n for n in ("Mapping", "Sequence") if _used(body, n)]
    lib_names = sorted(n for n in uses - set(_V4_HELPERS) if _used(body, n))
    lines = [
        f"# @generated by `amocrm fields --api v4` from {source}. DO NOT EDIT: regenerate instead.",
        '"""Typed custom fields of one amoCRM account (API v4): ``fields(lead).<name>`` reads and writes them."""',
        "",
        "from __future__ import annotations",
        "",
    ]
    std = []
    if _used(body, "datetime"):
        std.append("import datetime")
    if abc_names:
        std.append(f"from collections.abc import {', '.join(abc_names)}")
    if _used(body, "Decimal"):
        std.append("from decimal import Decimal")
    if typing_names:
        std.append(f"from typing import {', '.join(typing_names)}")
    lines += std + ([""] if std else [])
    if lib_names:
        lines += ["from amocrm.lib.v4.fields import ("] + [f"    {n}," for n in lib_names] + [")"]
    if kinds:
        lines.append(f"from {models} import {', '.join(sorted(KINDS[k] for k in kinds))}")
    exports = sorted(["StaleFieldsError", "fields"] + [_V4_WRAPPER[k] for k in kinds])
    lines += ["", f"__all__ = {exports!r}", body]
    return "\n".join(lines).rstrip() + "\n"


# -- sources ----------------------------------------------------------------------------------------


def load_account(data: bytes, where: str) -> Any:
    """An ``Account`` decoded from API JSON (the body of /api/v2/account?with=custom_fields)."""
    import msgspec

    from amocrm.v2.models import Account

    try:
        return msgspec.json.decode(data, type=Account)
    except msgspec.DecodeError as exc:
        raise AccountSourceError(f"{where}: not an amoCRM account JSON: {exc}") from None


def _fetch(args: argparse.Namespace) -> tuple[Any, str]:
    """The v2 account (``--version v2``) or the v4 definitions by kind, and where they came from."""
    v4 = args.version == "v4"
    if args.account_json is not None:
        path = Path(args.account_json)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AccountSourceError(f"cannot read {path}: {exc.strerror}") from None
        return (load_v4_definitions(data, str(path)) if v4 else load_account(data, str(path))), path.name
    if args.sandbox:
        from amocrm.sandbox import Sandbox
        from amocrm.testing import client_for

        with Sandbox(rate_limit=None) as sb:
            client = client_for(sb)
            try:
                return _read(client, v4), "the bundled sandbox"
            finally:
                client.close()
    if not args.token or not (args.subdomain or args.base_url):
        raise AccountSourceError("give --account-json FILE, --sandbox, or --token with --subdomain/--base-url")
    from amocrm.auth import LongLivedToken
    from amocrm.client import AmoClient

    client = AmoClient(args.subdomain or "account", base_url=args.base_url, auth=LongLivedToken(args.token))
    try:
        return _read(client, v4), f"account {client.domain}"
    finally:
        client.close()


def _read(client: Any, v4: bool) -> Any:
    if v4:
        return fetch_v4_definitions(lambda path, query: client.request("GET", path, query))
    return client.v2.account.get(with_=["custom_fields"])


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``main(["--version", "v4", "--sandbox", "-o", "fields.py"])``; 0 on success,
    2 (with a message on stderr) when the definitions cannot be read or the file cannot be written."""
    parser = argparse.ArgumentParser(prog="amocrm fields", description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", "--api", dest="version", choices=("v2", "v4"), default=DEFAULT_VERSION,
                        help=f"API version of the definitions and of the models (default: {DEFAULT_VERSION})")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--account-json", "--fields-json", type=Path, dest="account_json",
                     help="saved definitions: v2 /api/v2/account?with=custom_fields; v4 the "
                          "/api/v4/<kind>/custom_fields answers ({\"leads\": [...], ...}, pages or fields)")
    src.add_argument("--sandbox", action="store_true", help="the bundled sandbox's seeded account")
    parser.add_argument("--subdomain", help="account subdomain (acme or acme.amocrm.com)")
    parser.add_argument("--base-url", help="send requests to this server instead (a proxy, a sandbox)")
    parser.add_argument("--token", help="a long-lived access token (or set AMOCRM_TOKEN)")
    parser.add_argument("--models", help="v4: the module the generated code imports Lead, Contact, Company and "
                                         "Customer from (default: amocrm.v4.models)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="file to write, e.g. myproject/amo_fields.py")
    args = parser.parse_args(argv)
    if args.models is not None and args.version != "v4":
        parser.error("--models is for --version v4 (v2 modules use amocrm.v2.models)")
    if args.token is None:
        import os

        args.token = os.environ.get("AMOCRM_TOKEN")
    from amocrm.errors import AmoError

    try:
        got, source = _fetch(args)
        specs = field_specs_v4(got) if args.version == "v4" else field_specs(got)
    except (AccountSourceError, AmoError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    if args.version == "v4":
        text = render_module_v4(specs, source, args.models or "amocrm.v4.models")
    else:
        text = render_module(specs, source)
    out: Path = args.out
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"error: cannot write {out}: {exc.strerror}\n")
        return 2
    count = sum(len(v) for v in specs.values())
    sys.stderr.write(f"wrote {out}: {count} custom fields of {', '.join(specs) or 'no entity'}\n")
    return 0
