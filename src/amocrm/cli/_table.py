"""Entities as CSV rows (``export``) and CSV rows as model objects (``import``), for API v2 and v4 models.

Columns of an export, in order: the model's own fields (``id``, ``name``, ``status_id``..., times as
unix seconds), links as ids (``company_id``, ``contacts_id``: ids joined with ``;``), ``tags`` (names),
one column per custom field of the account (headed by the field's name, or ``cf_<id>`` with
``--columns id``), then with ``--with contacts,companies`` the linked entities' ``contacts.name``,
``contacts.phone``, ``contacts.email`` (and the same for companies). A cell with several values joins
them with ``"; "``. An import reads the same columns back: link, tag, time and ``contacts.*`` columns
are skipped (reported once), unknown columns are an error.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from msgspec import UNSET

from amocrm._fieldvalues import (
    Api,
    FieldDef,
    api_of,
    entity_fields,
    parse_cell,
    render_cell,
    struct_fields,
    text_of,
    write_values,
)
from amocrm.upsert import READ_ONLY

__all__ = ["LINKABLE", "ExportTable", "ImportTable", "linked_ids"]

#: Kinds ``--with`` may add, and the entity resource each is read from.
LINKABLE = ("contacts", "companies")
_SCALARS = (int, str, float, bool)
_SKIP = frozenset({"links", "request_id", "unlink", "custom_fields", "custom_fields_values"})
_LINKED_COLUMNS = ("name", "phone", "email")


def _scalar_type(hint: Any) -> type | None:
    """``int`` for ``int | UnsetType`` (and the like), None for anything that is not one scalar type."""
    args = [a for a in typing.get_args(hint) if a is not type(None) and a is not msgspec.UnsetType] or [hint]
    kinds = [a for a in args if a in _SCALARS]
    if len(kinds) == len(args) and kinds:
        return str if len(set(kinds)) > 1 else kinds[0]
    return None


def _hints(model: type) -> dict[str, Any]:
    return typing.get_type_hints(model)


def _id_of(value: Any) -> int | None:
    ident = getattr(value, "id", None)
    return ident if isinstance(ident, int) and not isinstance(ident, bool) else None


def _ids(value: Any) -> list[int]:
    """Ids in a v2 link (``LinkedEntity``, ``LinkedIds``) or a v4 ``_embedded`` list."""
    if value is UNSET or value is None:
        return []
    if isinstance(value, list):
        return [i for i in (_id_of(v) for v in value) if i is not None]
    ident = getattr(value, "id", None)
    if isinstance(ident, list):
        return [int(i) for i in ident if isinstance(i, int)]
    single = _id_of(value)
    return [single] if single is not None else []


def linked_ids(obj: Any, kind: str) -> list[int]:
    """Ids of the ``kind`` (``contacts`` or ``companies``) linked to ``obj``, the main contact first."""
    embedded = getattr(obj, "embedded", UNSET)
    if isinstance(embedded, msgspec.Struct) or isinstance(embedded, Mapping):
        items = embedded.get(kind) if isinstance(embedded, Mapping) else getattr(embedded, kind, UNSET)
        if isinstance(items, list):
            if kind == "contacts":
                items = sorted(items, key=lambda v: not bool(getattr(v, "is_main", False)) if not isinstance(
                    v, Mapping) else not v.get("is_main"))
            found = [v.get("id") if isinstance(v, Mapping) else _id_of(v) for v in items]
            return [i for i in found if isinstance(i, int)]
    if kind == "contacts":
        ids = _ids(getattr(obj, "contacts", UNSET))
        main = _ids(getattr(obj, "main_contact", UNSET))
        return main + [i for i in ids if i not in main]
    return _ids(getattr(obj, "company", UNSET)) or _ids(getattr(obj, "companies", UNSET))


def _tag_names(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        value = list(value.values())
    if not isinstance(value, list):
        return []
    return [n for n in (getattr(t, "name", None) for t in value) if isinstance(n, str)]


def _json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


def custom_field_headers(definitions: Sequence[FieldDef], by: str, taken: set[str]) -> list[str]:
    """One header per field: its name (``Name (id)`` when two fields share it) or ``cf_<id>``."""
    if by == "id":
        return [f"cf_{d.id}" for d in definitions]
    counts: dict[str, int] = {}
    for d in definitions:
        counts[d.name] = counts.get(d.name, 0) + 1
    return [f"{d.name} ({d.id})" if counts[d.name] > 1 or d.name in taken or not d.name else d.name
            for d in definitions]


class ExportTable:
    """The header and the rows of one entity kind's CSV export."""

    def __init__(self, model: type, definitions: Sequence[FieldDef], *, by: str = "name",
                 linked: Sequence[str] = (), linked_definitions: Mapping[str, Sequence[FieldDef]] | None = None) -> None:
        self.model = model
        self.definitions = list(definitions)
        self.linked = list(linked)
        hints = _hints(model)
        self._columns: list[tuple[str, str]] = []  # (kind, attribute)
        header: list[str] = []
        for name in struct_fields(model):
            if name in _SKIP:
                continue
            hint = hints.get(name)
            if name == "tags":
                self._columns.append(("tags", name))
                header.append("tags")
            elif name == "embedded":
                for kind in ("tags", "contacts", "companies"):
                    if kind == "tags":
                        self._columns.append(("embedded_tags", kind))
                        header.append("tags")
                    else:
                        self._columns.append(("embedded_ids", kind))
                        header.append("company_id" if kind == "companies" else f"{kind}_id")
            elif _scalar_type(hint) is not None:
                self._columns.append(("scalar", name))
                header.append(name)
            elif name in ("company", "main_contact", "contacts", "leads", "customers", "pipeline", "companies"):
                if name == "pipeline" and "pipeline_id" in struct_fields(model):
                    continue
                self._columns.append(("ids", name))
                header.append(f"{name}_id")
            else:
                self._columns.append(("json", name))
                header.append(name)
        seen = set(header)
        deduped: list[str] = []
        columns: list[tuple[str, str]] = []
        for title, column in zip(header, self._columns, strict=True):
            if title in deduped:
                continue
            deduped.append(title)
            columns.append(column)
        self._columns = columns
        self.header = deduped + custom_field_headers(self.definitions, by, seen)
        self._linked_defs = dict(linked_definitions or {})
        for kind in self.linked:
            self.header += [f"{kind}.{c}" for c in _LINKED_COLUMNS]

    def row(self, obj: Any, linked: Mapping[str, Mapping[int, Any]] | None = None) -> list[str]:
        """The cells of ``obj``; ``linked`` maps kind -> id -> the linked entity (for ``--with``)."""
        cells: list[str] = []
        for kind, name in self._columns:
            if kind == "embedded_tags":
                embedded = getattr(obj, "embedded", UNSET)
                tags = getattr(embedded, "tags", UNSET) if isinstance(embedded, msgspec.Struct) else (
                    embedded.get("tags") if isinstance(embedded, Mapping) else None)
                cells.append("; ".join(_tag_names(tags)))
                continue
            if kind == "embedded_ids":
                cells.append("; ".join(str(i) for i in linked_ids(obj, name)))
                continue
            value = getattr(obj, name, UNSET)
            if value is UNSET or value is None:
                cells.append("")
            elif kind == "tags":
                cells.append("; ".join(_tag_names(value)))
            elif kind == "ids":
                cells.append("; ".join(str(i) for i in _ids(value)))
            elif kind == "json":
                cells.append(_json(value))
            else:
                cells.append(text_of(value))
        values = {fid: vals for fid, _, _, vals in entity_fields(obj)}
        for d in self.definitions:
            cells.append(render_cell(values.get(d.id, []), d))
        for kind in self.linked:
            found = [linked.get(kind, {}).get(i) if linked else None for i in linked_ids(obj, kind)]
            others = [o for o in found if o is not None]
            cells.append("; ".join(text_of(getattr(o, "name", "")) for o in others))
            for code in ("PHONE", "EMAIL"):
                texts: list[str] = []
                for o in others:
                    for _, _, fcode, vals in entity_fields(o):
                        if fcode == code:
                            texts += [text_of(v.value) for v in vals if v.value not in (None, "")]
                cells.append("; ".join(texts))
        return cells


class ImportTable:
    """How the columns of an import CSV map onto a model: fields, custom fields, or skipped."""

    def __init__(self, model: type, definitions: Sequence[FieldDef], header: Sequence[str]) -> None:
        self.model = model
        self.api: Api = api_of(model)
        hints = _hints(model)
        attrs = {n: _scalar_type(hints.get(n)) for n in struct_fields(model)}
        by_name: dict[str, FieldDef] = {}
        for d in definitions:
            by_name.setdefault(d.name.strip().casefold(), d)
        by_code = {d.code.casefold(): d for d in definitions if d.code}
        by_id = {d.id: d for d in definitions}
        self.columns: list[tuple[str, str, Any]] = []  # (column, kind, target)
        self.skipped: list[str] = []
        unknown: list[str] = []
        for column in header:
            title = (column or "").strip()
            low = title.casefold()
            target: Any = None
            if low == "id":
                self.columns.append((column, "id", int))
                continue
            if low in attrs and attrs[low] is not None and low not in READ_ONLY:
                self.columns.append((column, "attr", (low, attrs[low])))
                continue
            if low in attrs or low in READ_ONLY or low == "tags" or low.endswith("_id") and low[:-3] in attrs or (
                    "." in low and low.split(".", 1)[0] in LINKABLE) or low in ("company_id", "contacts_id"):
                self.skipped.append(title)
                continue
            if low.startswith("cf_") and low[3:].isdigit():
                target = by_id.get(int(low[3:]))
            elif low.isdigit():
                target = by_id.get(int(low))
            elif low.endswith(")") and "(" in low and low.rsplit("(", 1)[1][:-1].isdigit():
                target = by_id.get(int(low.rsplit("(", 1)[1][:-1]))
            if target is None:
                target = by_name.get(low) or by_code.get(low)
            if target is None:
                unknown.append(title)
                continue
            self.columns.append((column, "cf", target))
        if unknown:
            known = sorted({n for n, t in attrs.items() if t is not None and n not in READ_ONLY} |
                           {d.name for d in definitions} | {"id", "phone", "email"})
            raise ValueError(f"unknown column(s) {', '.join(repr(u) for u in unknown)}: not a field of "
                             f"{model.__name__} or a custom field of the account; known: {', '.join(known)}")

    def field_for(self, code: str) -> FieldDef | None:
        """The custom field a column maps to by code (``PHONE``), if any column does."""
        for _, kind, target in self.columns:
            if kind == "cf" and target.code == code:
                field: FieldDef = target
                return field
        return None

    def record(self, row: Mapping[str, str | None]) -> Any:
        """A model object holding the row's non-empty cells; :class:`ValueError` naming a bad cell."""
        obj = self.model()
        for column, kind, target in self.columns:
            text = (row.get(column) or "").strip()
            if not text:
                continue
            if kind == "id":
                if not text.isdigit():
                    raise ValueError(f"id: {text!r} is not an id")
                obj.id = int(text)
            elif kind == "attr":
                name, typ = target
                setattr(obj, name, _convert(name, text, typ))
            else:
                write_values(obj, target, parse_cell(text, target, self.api))
        return obj


def _convert(name: str, text: str, typ: type) -> Any:
    if typ is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not an integer") from None
    if typ is float:
        try:
            return float(text.replace(",", "."))
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not a number") from None
    if typ is bool:
        low = text.casefold()
        if low in ("1", "true", "yes", "да"):
            return True
        if low in ("0", "false", "no", "нет"):
            return False
        raise ValueError(f"{name}: {text!r} is not true/false")
    return text
