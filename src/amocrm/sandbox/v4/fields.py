"""Custom fields in API v4: values on entities (``custom_fields_values``) and the field definitions.

Values are stored once, in the v2 form the rest of the sandbox uses (``{"value": str, "enum": "<id>"}``,
``subtype`` for address parts, dates as ``Y-m-d H:i:s`` UTC), so a value written through one face
reads back through the other. v4 renders them with ``field_id/field_name/field_code/field_type`` and
``enum_id``/``enum_code``, dates as Unix timestamps and checkboxes as booleans.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import time
from typing import Any

from .. import seed as S
from ..custom_fields import SUBTYPES
from ..seed import SEED, FieldDef
from ..wire import Response, no_content
from .base import (
    NOT_BLANK,
    NOT_CHOICE,
    TOO_MANY,
    Ctx,
    Invalid,
    V4Error,
    ValidationFailed,
    as_int,
    hal,
    ids_of,
    listing,
    one_or_many,
    page_params,
)

__all__ = ["render_values", "parse_values", "store_key", "entity_of", "render_field", "ROUTES", "FIELD_PAGE_SIZE"]

FIELD_PAGE_SIZE = 50
_SUBTYPE_CODES = {v: k for k, v in SUBTYPES.items()}
_TEXTLIKE = (S.TEXT, S.TEXTAREA, S.URL, S.STREETADDRESS, S.TRACKING_DATA, S.ORG_LEGAL_NAME)
_NUMBERLIKE = (S.NUMERIC, S.PRICE, S.MONETARY)
_DATELIKE = (S.DATE, S.BIRTHDAY, S.DATE_TIME)
_OBJECTLIKE = (S.LEGAL_ENTITY, S.ITEMS, S.PAYER, S.SUPPLIER, S.FILE, S.LINKED_ENTITY)
_ENUM_PICK = (S.SELECT, S.MULTISELECT, S.RADIOBUTTON, S.CATEGORY)
_REMIND = ("never", "day", "week", "month")
_ONLY_CATALOGS = ("price", "category", "items", "linked_entity", "payer", "supplier")
_NOT_CATALOGS = ("smart_address", "birthday", "legal_entity", "multitext", "chained_list")


# -- where definitions live ----------------------------------------------------------------------
def store_key(cf_entity: str) -> str:
    """``leads`` / ``customers/segments`` / ``catalogs/5001`` (path form) -> the store's key."""
    if cf_entity.startswith("catalogs/"):
        return "catalog:" + cf_entity.split("/", 1)[1]
    if cf_entity == "customers/segments":
        return "segments"
    return cf_entity


def entity_of(key: str) -> str:
    """The store key back to the v4 ``entity_type`` of a field."""
    if key.startswith("catalog:"):
        return "catalogs"
    return "segments" if key == "segments" else key


# -- values: render ------------------------------------------------------------------------------
def _ts(text: Any) -> Any:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return int(text)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return int(_dt.datetime.strptime(str(text), fmt).replace(tzinfo=_dt.timezone.utc).timestamp())
        except ValueError:
            continue
    return text


def render_value(fd: FieldDef, v: dict[str, Any]) -> dict[str, Any]:
    ft = fd.field_type
    value = v.get("value")
    if ft in _ENUM_PICK:
        eid = as_int(v.get("enum"))
        return {"value": value, "enum_id": eid, "enum_code": None}
    if ft == S.MULTITEXT:
        eid = as_int(v.get("enum"))
        code = next((label for i, label in fd.enums if i == eid), None)
        return {"value": value, "enum_id": eid, "enum_code": code}
    if ft == S.SMART_ADDRESS:
        sub = str(v.get("subtype", ""))
        return {"value": value, "enum_id": as_int(sub), "enum_code": _SUBTYPE_CODES.get(sub)}
    if ft == S.CHECKBOX:
        return {"value": value in ("1", 1, True, "true")}
    if ft in _DATELIKE:
        return {"value": _ts(value)}
    if ft == S.CHAINED_LIST and isinstance(value, dict):
        return {"catalog_id": value.get("catalog_id"), "catalog_element_id": value.get("catalog_element_id")}
    return {"value": value}


def render_values(defs: dict[int, FieldDef], stored: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]] | None:
    """``custom_fields_values``: only fields with a value; ``None`` (not ``[]``) when there is none."""
    out = []
    for fid, values in stored.items():
        fd = defs.get(fid)
        if not values or fd is None:
            continue
        out.append({"field_id": fid, "field_name": fd.name, "field_code": fd.code, "field_type": fd.type_code,
                    "values": [render_value(fd, v) for v in values]})
    return out or None


# -- values: parse and validate ------------------------------------------------------------------
def _date_value(raw: Any) -> str | None:
    if isinstance(raw, bool):
        return None
    stamp: _dt.datetime | None = None
    n = as_int(raw)
    if n is not None:
        try:
            stamp = _dt.datetime.fromtimestamp(n, _dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(raw, str) and len(raw) < 40:
        text = raw.strip().replace("Z", "+00:00")
        try:
            stamp = _dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(_dt.timezone.utc)
    if stamp is None or not 1 <= stamp.year <= 9999:
        return None
    return stamp.strftime("%Y-%m-%d %H:%M:%S")


def _enum_by(fd: FieldDef, v: dict[str, Any], path: str, inv: Invalid) -> int | None:
    """The enum of a value by ``enum_id``, ``enum_code`` (or ``enum``) or, for pick lists, ``value``."""
    if v.get("enum_id") is not None:
        eid = as_int(v["enum_id"])
        if eid is None:
            inv.type_error(f"{path}.enum_id", "int")
            return None
        if any(i == eid for i, _ in fd.enums):
            return eid
        inv.add(NOT_CHOICE, f"{path}.enum_id")
        return None
    for key in ("enum_code", "enum"):
        code = v.get(key)
        if code is not None:
            found = next((i for i, label in fd.enums if str(code).upper() == label.upper()), None)
            if found is None:
                inv.add(NOT_CHOICE, f"{path}.{key}")
            return found
    if fd.field_type in _ENUM_PICK:
        raw = v.get("value")
        if raw is None:
            inv.add(NOT_BLANK, f"{path}.enum_id")
            return None
        found = next((i for i, label in fd.enums if str(raw) == label), None)
        if found is None:
            found = next((i for i, label in fd.enums if str(raw).casefold() == label.casefold()), None)
        if found is None:
            inv.add(NOT_CHOICE, f"{path}.value")
        return found
    return fd.enums[0][0] if fd.enums else None


def _text(v: dict[str, Any], path: str, inv: Invalid) -> str | None:
    raw = v.get("value")
    if raw is None:
        inv.add(NOT_BLANK, f"{path}.value")
        return None
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        inv.type_error(f"{path}.value", "string")
        return None
    return str(raw)


def parse_value(fd: FieldDef, v: Any, path: str, inv: Invalid) -> dict[str, Any] | None:
    """One value object, validated for the field's type, in the stored (v2) form."""
    if not isinstance(v, dict):
        inv.type_error(path, "object")
        return None
    ft = fd.field_type
    if ft in _ENUM_PICK:
        eid = _enum_by(fd, v, path, inv)
        if eid is None:
            return None
        return {"value": next(label for i, label in fd.enums if i == eid), "enum": str(eid)}
    if ft == S.MULTITEXT:
        text = _text(v, path, inv)
        eid = _enum_by(fd, v, path, inv)
        return None if text is None or eid is None else {"value": text, "enum": str(eid)}
    if ft == S.SMART_ADDRESS:
        text = _text(v, path, inv)
        sub: str | None = None
        if v.get("enum_code") is not None:
            sub = SUBTYPES.get(str(v["enum_code"]))
            if sub is None:
                inv.add(NOT_CHOICE, f"{path}.enum_code")
        elif v.get("enum_id") is not None:
            eid = as_int(v["enum_id"])
            sub = str(eid) if eid is not None and str(eid) in _SUBTYPE_CODES else None
            if sub is None:
                inv.add(NOT_CHOICE, f"{path}.enum_id")
        else:
            inv.add(NOT_BLANK, f"{path}.enum_code")
        return None if text is None or sub is None else {"value": text, "subtype": sub}
    raw = v.get("value")
    if ft == S.CHECKBOX:
        if isinstance(raw, bool):
            return {"value": "1" if raw else "0"}
        if raw in (0, 1, "0", "1"):
            return {"value": str(int(raw))}
        inv.type_error(f"{path}.value", "bool")
        return None
    if ft in _NUMBERLIKE:
        ok = (isinstance(raw, (int, float)) and not isinstance(raw, bool)) or (
            isinstance(raw, str) and re.fullmatch(r"\s*-?\d{1,30}([.,]\d{1,12})?\s*", raw) is not None)
        if not ok or (isinstance(raw, float) and (raw != raw or abs(raw) > 1e18)):
            inv.type_error(f"{path}.value", "numeric")
            return None
        text = str(raw).strip().replace(",", ".")
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        return {"value": text}
    if ft in _DATELIKE:
        stamp = _date_value(raw)
        if stamp is None:
            inv.type_error(f"{path}.value", "int (Unix time) or string (RFC 3339)")
            return None
        return {"value": stamp}
    if ft == S.CHAINED_LIST:
        cat, elem = as_int(v.get("catalog_id")), as_int(v.get("catalog_element_id"))
        if cat is None:
            inv.type_error(f"{path}.catalog_id", "int")
        if elem is None:
            inv.type_error(f"{path}.catalog_element_id", "int")
        return None if cat is None or elem is None else {"value": {"catalog_id": cat, "catalog_element_id": elem}}
    if ft in _OBJECTLIKE:
        if not isinstance(raw, dict):
            inv.type_error(f"{path}.value", "object")
            return None
        return {"value": dict(raw)}
    text = _text(v, path, inv)
    return None if text is None else {"value": text}


def parse_values(defs: dict[int, FieldDef], raw: Any, inv: Invalid, prefix: str = "custom_fields_values"
                 ) -> dict[int, list[dict[str, Any]]]:
    """Field id -> new stored values for each field named in ``raw`` (a patch: others keep theirs).

    ``values: null`` (or ``[]``) clears that field. Errors go to ``inv`` with dotted paths.
    """
    out: dict[int, list[dict[str, Any]]] = {}
    if raw is None:
        return out
    if not isinstance(raw, list):
        inv.type_error(prefix, "array")
        return out
    by_code = {fd.code: fd for fd in defs.values() if fd.code}
    for i, entry in enumerate(raw):
        p = f"{prefix}.{i}"
        if not isinstance(entry, dict):
            inv.type_error(p, "object")
            continue
        fd: FieldDef | None = None
        if entry.get("field_id") is not None:
            fid = as_int(entry["field_id"])
            if fid is None:
                inv.type_error(f"{p}.field_id", "int")
                continue
            fd = defs.get(fid)
            if fd is None:
                inv.add(NOT_CHOICE, f"{p}.field_id")
                continue
        elif entry.get("field_code") is not None:
            fd = by_code.get(str(entry["field_code"])) or by_code.get(str(entry["field_code"]).upper())
            if fd is None:
                inv.add(NOT_CHOICE, f"{p}.field_code")
                continue
        else:
            inv.add(NOT_BLANK, f"{p}.field_id")
            continue
        values = entry.get("values")
        if values is None or values == []:
            out[fd.id] = []
            continue
        if isinstance(values, dict):
            values = list(values.values())
        if not isinstance(values, list):
            inv.type_error(f"{p}.values", "array")
            continue
        limit = 1 if not fd.is_multiple and fd.field_type != S.SMART_ADDRESS else 40
        if len(values) > limit:
            inv.add(TOO_MANY, f"{p}.values", f"This collection should contain {limit} element"
                                             f"{'s' if limit > 1 else ''} or less.")
            continue
        parsed = [parse_value(fd, v, f"{p}.values.{j}", inv) for j, v in enumerate(values)]
        if all(x is not None for x in parsed):
            out[fd.id] = [x for x in parsed if x is not None]
    return out


# -- definitions ---------------------------------------------------------------------------------
def _defs(ctx: Ctx) -> tuple[str, dict[int, FieldDef]]:
    key = store_key(ctx.params["cf_entity"])
    if key.startswith("catalog:") and ctx.store.get("catalogs", int(key.split(":")[1])) is None:
        raise V4Error(404, f"Catalog {key.split(':')[1]} not found")
    return key, ctx.store.fields.setdefault(key, {})


def render_field(ctx: Ctx, key: str, fd: FieldDef, request_id: str | None = None) -> dict[str, Any]:
    entity = entity_of(key)
    path = f"{ctx.params.get('cf_entity', entity)}/custom_fields/{fd.id}"
    out: dict[str, Any] = {
        "id": fd.id, "name": fd.name, "type": fd.type_code, "account_id": SEED.ACCOUNT_ID, "code": fd.code,
        "sort": fd.sort, "is_api_only": bool(fd.attr("is_api_only", False)),
        "enums": [{"id": i, "value": label, "sort": fd.enum_sort(n)} for n, (i, label) in enumerate(fd.enums)]
        if fd.field_type in S.ENUM_TYPES else None,
        "group_id": fd.attr("group_id"),
        "required_statuses": [dict(r) for r in fd.attr("required_statuses", ())],
        "is_deletable": not fd.is_system, "is_predefined": fd.is_system, "entity_type": entity,
        "tracking_callback": fd.attr("tracking_callback"), "remind": fd.attr("remind"),
        "triggers": [], "currency": fd.attr("currency"), "hidden_statuses": [],
        "chained_lists": fd.attr("chained_lists"),
    }
    if key.startswith("catalog:"):
        out.update(catalog_id=int(key.split(":")[1]), is_visible=bool(fd.attr("is_visible", True)),
                   is_required=bool(fd.attr("is_required", False)), settings=fd.attr("settings"),
                   nested=fd.attr("nested"), search_in=fd.attr("search_in"))
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = {"self": {"href": ctx.href(path)}}
    return out


def list_fields(ctx: Ctx) -> Response:
    key, defs = _defs(ctx)
    rows = list(defs.values())
    types = {str(t) for t in one_or_many((ctx.q.get("filter") or {}).get("type")
                                          if isinstance(ctx.q.get("filter"), dict) else None)}
    if types:
        rows = [fd for fd in rows if fd.type_code in types]
    flt = ctx.filter
    if flt.get("id") not in (None, ""):
        wanted = ids_of(flt["id"], "filter[id]")
        rows = [fd for fd in rows if fd.id in wanted]
    order = ctx.order
    rows.sort(key=lambda fd: fd.id)
    for field_name in ("sort", "id"):
        direction = order.get(field_name)
        if direction in ("asc", "desc"):
            rows.sort(key=lambda fd: (fd.sort, fd.id) if field_name == "sort" else fd.id, reverse=direction == "desc")
    page = page_params(ctx)
    page.limit = min(page.limit, FIELD_PAGE_SIZE)
    return listing(ctx, f"{ctx.params['cf_entity']}/custom_fields", "custom_fields", rows,
                   lambda fd: render_field(ctx, key, fd), page)


def get_field(ctx: Ctx) -> Response:
    key, defs = _defs(ctx)
    fd = defs.get(ctx.pid())
    return no_content() if fd is None else hal(render_field(ctx, key, fd))


def _status_pairs(ctx: Ctx, raw: Any, path: str, inv: Invalid) -> tuple[dict[str, int], ...] | None:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        inv.type_error(path, "array")
        return None
    out = []
    for i, entry in enumerate(raw):
        sid = as_int(entry.get("status_id")) if isinstance(entry, dict) else None
        pid = as_int(entry.get("pipeline_id")) if isinstance(entry, dict) else None
        if sid is None or pid is None or ctx.store.pipeline_of_status(sid, pid) is None:
            inv.add(NOT_CHOICE, f"{path}.{i}")
            continue
        out.append({"status_id": sid, "pipeline_id": pid})
    return tuple(out)


def _parse_enums(ctx: Ctx, fd: FieldDef | None, raw: Any, inv: Invalid
                 ) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]] | None:
    if not isinstance(raw, list) or not raw:
        inv.add(NOT_BLANK, "enums") if raw in (None, []) else inv.type_error("enums", "array")
        return None
    known = dict(fd.enums) if fd else {}
    enums: list[tuple[int, str]] = []
    sorts: list[int] = []
    for i, e in enumerate(raw):
        if not isinstance(e, dict) or not isinstance(e.get("value"), (str, int)) or isinstance(e.get("value"), bool):
            inv.add(NOT_BLANK, f"enums.{i}.value")
            continue
        eid = as_int(e.get("id")) if e.get("id") is not None else None
        if eid is not None and eid not in known:
            inv.add(NOT_CHOICE, f"enums.{i}.id")
            continue
        if eid is None:
            ctx.store.v4.next_enum += 1
            eid = ctx.store.v4.next_enum
        enums.append((eid, str(e["value"])))
        sort = as_int(e.get("sort"))
        sorts.append(sort if sort is not None else (i + 1) * 10)
    return tuple(enums), tuple(sorts)


def _parse_field(ctx: Ctx, key: str, defs: dict[int, FieldDef], item: Any, inv: Invalid,
                 current: FieldDef | None) -> FieldDef | None:
    if not isinstance(item, dict):
        inv.type_error("", "object")
        return None
    name = item.get("name", current.name if current else None)
    if not isinstance(name, str) or not name.strip():
        if name is None:
            inv.add(NOT_BLANK, "name")
        else:
            inv.type_error("name", "string")
    type_code = item.get("type", current.type_code if current else None)
    ftype = S.TYPE_NUMBERS.get(type_code) if isinstance(type_code, str) else None
    catalog = key.startswith("catalog:")
    if ftype is None:
        inv.add(NOT_BLANK if type_code is None else NOT_CHOICE, "type")
    elif current is not None and ftype != current.field_type:
        inv.add(NOT_CHOICE, "type", "The type of an existing field cannot be changed.")
    elif (type_code in _ONLY_CATALOGS and not catalog) or (type_code in _NOT_CATALOGS and catalog) or (
            type_code == "multitext" and key not in ("contacts", "companies")) or (
            type_code == "chained_list" and key not in ("leads", "customers")):
        inv.add(NOT_CHOICE, "type", f"Fields of type {type_code} are not available for {entity_of(key)}.")
    code = item.get("code", current.code if current else None)
    if code is not None and (not isinstance(code, str) or len(code) > 255):
        inv.type_error("code", "string")
    elif code and any(fd.code == code and fd.id != (current.id if current else None) for fd in defs.values()):
        inv.add(NOT_CHOICE, "code", "A field with this code already exists.")
    sort = as_int(item.get("sort")) if item.get("sort") is not None else (current.sort if current else 500)
    if sort is None:
        inv.type_error("sort", "int")
    extra = dict(current.extra) if current else {}
    for flag in ("is_api_only", "is_visible", "is_required"):
        if flag in item:
            if not isinstance(item[flag], bool):
                inv.type_error(flag, "bool")
            else:
                extra[flag] = item[flag]
    if "group_id" in item:
        gid = item["group_id"]
        groups = {g["id"] for g in ctx.store.v4.field_groups.get(key, [])}
        if gid is not None and str(gid) not in groups:
            inv.add(NOT_CHOICE, "group_id")
        else:
            extra["group_id"] = None if gid is None else str(gid)
    if "required_statuses" in item:
        pairs = _status_pairs(ctx, item["required_statuses"], "required_statuses", inv)
        if pairs is not None:
            extra["required_statuses"] = pairs
    if "remind" in item:
        if item["remind"] is not None and item["remind"] not in _REMIND:
            inv.add(NOT_CHOICE, "remind")
        else:
            extra["remind"] = item["remind"]
    for key_name, kind in (("currency", str), ("tracking_callback", str), ("search_in", str)):
        if key_name in item:
            if item[key_name] is not None and not isinstance(item[key_name], kind):
                inv.type_error(key_name, "string")
            else:
                extra[key_name] = item[key_name]
    for key_name in ("settings", "nested", "chained_lists"):
        if key_name in item:
            extra[key_name] = item[key_name]
    if type_code == "monetary" and not extra.get("currency"):
        extra["currency"] = "RUB"
    enums: tuple[tuple[int, str], ...] = current.enums if current else ()
    sorts: tuple[int, ...] = current.enum_sorts if current else ()
    if ftype in S.ENUM_TYPES and (current is None or "enums" in item):
        if ftype == S.MULTITEXT and current is None and "enums" not in item:
            ctx.store.v4.next_enum += 3
            base = ctx.store.v4.next_enum
            enums, sorts = ((base - 2, "WORK"), (base - 1, "HOME"), (base, "OTHER")), (2, 4, 6)
        else:
            parsed = _parse_enums(ctx, current, item.get("enums"), inv)
            if parsed is not None:
                enums, sorts = parsed
    if inv or ftype is None or not isinstance(name, str) or sort is None:
        return None
    if current is None:
        ctx.store.v4.next_field += 1
        fid = ctx.store.v4.next_field
        return FieldDef(fid, name.strip(), ftype, code or None, False, enums, sort, None, sorts, tuple(extra.items()))
    return dataclasses.replace(current, name=name.strip(), code=code or None, sort=sort, enums=enums,
                               enum_sorts=sorts, extra=tuple(extra.items()))


def _request_id(item: Any, index: int) -> str:
    rid = item.get("request_id") if isinstance(item, dict) else None
    return str(rid) if rid is not None else str(index)


def _drop_enum_values(ctx: Ctx, key: str, fd: FieldDef) -> None:
    """Values that name an enum the field no longer has are dropped (the entity is rewritten)."""
    kinds = ["catalog_elements"] if key.startswith("catalog:") else [key] if key in ctx.store.items else []
    live = {str(i) for i, _ in fd.enums}
    for kind in kinds:
        for eid, rec in list(ctx.store.items[kind].items()):
            values = rec.get("custom_fields", {}).get(fd.id)
            if values and any("enum" in v and v["enum"] not in live for v in values):
                kept = [v for v in values if "enum" not in v or v["enum"] in live]
                cfs = dict(rec["custom_fields"])
                cfs[fd.id] = kept
                ctx.store.items[kind][eid] = {**rec, "custom_fields": cfs}


def _write_fields(ctx: Ctx, update: bool) -> Response:
    key, defs = _defs(ctx)
    items = ctx.array_body()
    invs: list[Invalid] = []
    made: list[Any] = []
    for i, item in enumerate(items):
        inv = Invalid(_request_id(item, i))
        current = None
        if update:
            fid = as_int(item.get("id")) if isinstance(item, dict) else None
            current = defs.get(fid) if fid is not None else None
            if current is None:
                inv.add(NOT_CHOICE if fid is not None else NOT_BLANK, "id")
        fd = _parse_field(ctx, key, defs, item, inv, current) if not inv else None
        invs.append(inv)
        made.append(fd)
    bad = [i for i in invs if i]
    if bad and ctx.core.options.v4_atomic_batches:
        raise ValidationFailed(bad)
    out = []
    for inv, fd in zip(invs, made, strict=True):
        if fd is None:
            continue
        defs[fd.id] = fd
        if update:
            _drop_enum_values(ctx, key, fd)
        out.append(render_field(ctx, key, fd, inv.request_id))
    if bad:
        raise ValidationFailed(bad)
    if not update and ctx.core.options.v4_cf_create == "object":
        if len(out) == 1:
            return hal({k: v for k, v in out[0].items() if k != "request_id"}, 201)
        return hal({"_embedded": {"custom_fields": out}}, 201)
    return hal({"_total_items": len(out), "_embedded": {"custom_fields": out}})


def add_fields(ctx: Ctx) -> Response:
    return _write_fields(ctx, False)


def update_fields(ctx: Ctx) -> Response:
    return _write_fields(ctx, True)


def update_field(ctx: Ctx) -> Response:
    key, defs = _defs(ctx)
    current = defs.get(ctx.pid())
    if current is None:
        raise V4Error(404, "Custom field not found")
    inv = Invalid("0")
    fd = _parse_field(ctx, key, defs, ctx.object_body(), inv, current)
    if fd is None:
        raise ValidationFailed([inv])
    defs[fd.id] = fd
    _drop_enum_values(ctx, key, fd)
    return hal(render_field(ctx, key, fd))


def delete_field(ctx: Ctx) -> Response:
    _, defs = _defs(ctx)
    fd = defs.get(ctx.pid())
    if fd is None:
        raise V4Error(404, "Custom field not found")
    if fd.is_system:
        raise V4Error(400, f"Field {fd.id} is predefined and cannot be deleted")
    del defs[fd.id]
    return no_content()


# -- groups --------------------------------------------------------------------------------------
def _render_group(ctx: Ctx, key: str, g: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    members = [fd.id for fd in ctx.store.fields.get(key, {}).values() if fd.attr("group_id") == g["id"]]
    out = {"id": g["id"], "name": g["name"], "sort": g["sort"], "entity_type": entity_of(key),
           "is_predefined": False, "type": "custom_field_group", "fields": members}
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = {"self": {"href": ctx.href(f"{ctx.params['cf_entity']}/custom_fields/groups/{g['id']}")}}
    return out


def _group_fields(defs: dict[int, FieldDef], raw: Any, inv: Invalid) -> list[int] | None:
    if raw is None:
        return []
    if not isinstance(raw, list):
        inv.type_error("fields", "array")
        return None
    out = []
    for i, f in enumerate(raw):
        fid = as_int(f.get("id") if isinstance(f, dict) else f)
        if fid is None or fid not in defs:
            inv.add(NOT_CHOICE, f"fields.{i}")
            continue
        out.append(fid)
    return out


def list_groups(ctx: Ctx) -> Response:
    key, _ = _defs(ctx)
    groups = sorted(ctx.store.v4.field_groups.get(key, []), key=lambda g: (g["sort"], g["id"]))
    return listing(ctx, f"{ctx.params['cf_entity']}/custom_fields/groups", "custom_field_groups", groups,
                   lambda g: _render_group(ctx, key, g))


def _group(ctx: Ctx) -> tuple[str, dict[str, Any] | None]:
    key, _ = _defs(ctx)
    gid = ctx.params["gid"]
    return key, next((g for g in ctx.store.v4.field_groups.get(key, []) if g["id"] == gid), None)


def get_group(ctx: Ctx) -> Response:
    key, g = _group(ctx)
    return no_content() if g is None else hal(_render_group(ctx, key, g))


def add_groups(ctx: Ctx) -> Response:
    key, defs = _defs(ctx)
    items = ctx.array_body()
    invs: list[Invalid] = []
    made: list[Any] = []
    for i, item in enumerate(items):
        inv = Invalid(_request_id(item, i))
        if not isinstance(item, dict):
            inv.type_error("", "object")
            invs.append(inv)
            made.append(None)
            continue
        if not isinstance(item.get("name"), str) or not item["name"].strip():
            inv.add(NOT_BLANK, "name")
        sort = as_int(item.get("sort", 0))
        if sort is None:
            inv.type_error("sort", "int")
        fields = _group_fields(defs, item.get("fields"), inv)
        invs.append(inv)
        made.append(None if inv else {"name": item["name"].strip(), "sort": sort, "members": fields})
    bad = [i for i in invs if i]
    if bad and ctx.core.options.v4_atomic_batches:
        raise ValidationFailed(bad)
    out = []
    groups = ctx.store.v4.field_groups.setdefault(key, [])
    for inv, g in zip(invs, made, strict=True):
        if g is None:
            continue
        g["id"] = f"{entity_of(key)}_{int(time.time() * 1000)}{len(groups)}"
        for fid in g.pop("members") or []:
            defs[fid] = _with_group(defs[fid], g["id"])
        groups.append(g)
        out.append(_render_group(ctx, key, g, inv.request_id))
    if bad:
        raise ValidationFailed(bad)
    return hal({"_embedded": {"custom_field_groups": out}})


def _with_group(fd: FieldDef, gid: str | None) -> FieldDef:
    extra = dict(fd.extra)
    extra["group_id"] = gid
    return dataclasses.replace(fd, extra=tuple(extra.items()))


def update_group(ctx: Ctx) -> Response:
    key, g = _group(ctx)
    if g is None:
        raise V4Error(404, "Custom field group not found")
    _, defs = _defs(ctx)
    body = ctx.object_body()
    inv = Invalid("0")
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        inv.add(NOT_BLANK, "name")
    sort = as_int(body.get("sort", g["sort"]))
    if sort is None:
        inv.type_error("sort", "int")
    fields = _group_fields(defs, body["fields"], inv) if "fields" in body else None
    if inv:
        raise ValidationFailed([inv])
    new = {**g, "name": body.get("name", g["name"]).strip(), "sort": sort}
    if fields is not None:
        for fd in list(defs.values()):
            if fd.attr("group_id") == g["id"] and fd.id not in fields:
                defs[fd.id] = _with_group(fd, None)
        for fid in fields:
            defs[fid] = _with_group(defs[fid], g["id"])
    groups = ctx.store.v4.field_groups[key]
    groups[groups.index(g)] = new
    return hal(_render_group(ctx, key, new))


def delete_group(ctx: Ctx) -> Response:
    key, g = _group(ctx)
    if g is None:
        raise V4Error(404, "Custom field group not found")
    _, defs = _defs(ctx)
    for fd in list(defs.values()):
        if fd.attr("group_id") == g["id"]:
            defs[fd.id] = _with_group(fd, None)
    ctx.store.v4.field_groups[key].remove(g)
    return no_content()


ROUTES = [
    ("GET", "{cf_entity}/custom_fields", list_fields),
    ("POST", "{cf_entity}/custom_fields", add_fields),
    ("PATCH", "{cf_entity}/custom_fields", update_fields),
    ("GET", "{cf_entity}/custom_fields/groups", list_groups),
    ("POST", "{cf_entity}/custom_fields/groups", add_groups),
    ("GET", "{cf_entity}/custom_fields/groups/{gid}", get_group),
    ("PATCH", "{cf_entity}/custom_fields/groups/{gid}", update_group),
    ("DELETE", "{cf_entity}/custom_fields/groups/{gid}", delete_group),
    ("GET", "{cf_entity}/custom_fields/{id}", get_field),
    ("PATCH", "{cf_entity}/custom_fields/{id}", update_field),
    ("DELETE", "{cf_entity}/custom_fields/{id}", delete_field),
]
