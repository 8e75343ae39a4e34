"""``python -m codegen account``: a typed module of one account's custom fields.

Reads the account's custom-field definitions (``GET /api/v2/account?with=custom_fields`` through
``AmoClient``, a saved account JSON, or the bundled sandbox) and writes a module for the user's
project: per entity kind a ``LeadFields``/``ContactFields``/... class whose properties read and write
the model's ``custom_fields`` with precise types, and ``fields(model)`` to get one::

    from myproject.amo_fields import fields
    fields(lead).budget_source = "Ads"      # Literal of the field's enum labels; type-checked

The generated module imports only the public ``amocrm.models`` API; output is deterministic.
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FieldSpec", "KINDS", "field_specs", "load_account", "main", "render_module", "safe_name"]

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
    from amocrm.models import FieldEnum

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
        counts: dict[str, int] = {}
        for s in specs:
            counts[s.attr] = counts.get(s.attr, 0) + 1
        unique = [
            FieldSpec(s.id, s.name, s.field_type, s.code, s.enums, f"{s.attr}_{s.id}" if counts[s.attr] > 1 else s.attr)
            for s in specs
        ]
        result[kind] = sorted(unique, key=lambda s: (s.attr, s.id))
    return result


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
    if t == NUMERIC:
        return f"_set(self.model, {fid}, [] if value is None else [{{\"value\": value}}])"
    if t == CHECKBOX:
        return f"_set(self.model, {fid}, [] if value is None else [{{\"value\": value}}])"
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
        f"# @generated by `python -m codegen account` from {source}. DO NOT EDIT: regenerate instead.",
        '"""Typed custom fields of one amoCRM account: ``fields(lead).<name>`` reads and writes them."""',
        "",
        "from __future__ import annotations",
        "",
        "import datetime",
        "from collections.abc import Mapping, Sequence",
        "from typing import Any, Final, Literal, Protocol, TypedDict, cast, overload",
        "",
        "from amocrm.models import CustomField, CustomFieldValue, UnsetType" + (f", {models}" if models else ""),
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


# -- sources ----------------------------------------------------------------------------------------


def load_account(data: bytes, where: str) -> Any:
    """An ``Account`` decoded from API JSON (the body of /api/v2/account?with=custom_fields)."""
    import msgspec

    from amocrm.models import Account

    try:
        return msgspec.json.decode(data, type=Account)
    except msgspec.DecodeError as exc:
        raise AccountSourceError(f"{where}: not an amoCRM account JSON: {exc}") from None


def _fetch(args: argparse.Namespace) -> tuple[Any, str]:
    from amocrm.auth import LongLivedToken
    from amocrm.client import AmoClient

    if args.account_json is not None:
        path = Path(args.account_json)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise AccountSourceError(f"cannot read {path}: {exc.strerror}") from None
        return load_account(data, str(path)), path.name
    if args.sandbox:
        from amocrm.sandbox import Sandbox
        from amocrm.testing import client_for

        with Sandbox(rate_limit=None) as sb:
            client = client_for(sb)
            try:
                return client.account.get(with_=["custom_fields"]), "the bundled sandbox"
            finally:
                client.close()
    if not args.token or not (args.subdomain or args.base_url):
        raise AccountSourceError("give --account-json FILE, --sandbox, or --token with --subdomain/--base-url")
    client = AmoClient(args.subdomain or "account", base_url=args.base_url, auth=LongLivedToken(args.token))
    try:
        return client.account.get(with_=["custom_fields"]), f"account {client.domain}"
    finally:
        client.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen account", description=(__doc__ or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--account-json", type=Path, help="a saved /api/v2/account?with=custom_fields response")
    src.add_argument("--sandbox", action="store_true", help="the bundled sandbox's seeded account")
    parser.add_argument("--subdomain", help="account subdomain (acme or acme.amocrm.com)")
    parser.add_argument("--base-url", help="send requests to this server instead (a proxy, a sandbox)")
    parser.add_argument("--token", help="a long-lived access token (or set AMOCRM_TOKEN)")
    parser.add_argument("-o", "--out", type=Path, required=True, help="file to write, e.g. myproject/amo_fields.py")
    args = parser.parse_args(argv)
    if args.token is None:
        import os

        args.token = os.environ.get("AMOCRM_TOKEN")
    from amocrm.errors import AmoError

    try:
        account, source = _fetch(args)
        specs = field_specs(account)
    except (AccountSourceError, AmoError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
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
