"""Custom-field values: normalise what clients write, render what the API returns."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from . import seed as S
from .seed import FieldDef
from .store import ELEMENT_TYPES

__all__ = ["ItemError", "normalize_custom_fields", "render_custom_fields", "SUBTYPES", "write_fields"]

SUBTYPES = {
    "address_line_1": "1",
    "address_line_2": "2",
    "city": "3",
    "state": "4",
    "zip": "5",
    "country": "6",
}
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%dT%H:%M:%S",
)


class ItemError(Exception):
    """One entity of a batch was refused; reported in ``_embedded.errors`` while the others apply."""

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def _as_list(values: Any, where: str) -> list[Any]:
    if isinstance(values, dict):
        return list(values.values())
    if isinstance(values, list):
        return values
    if values is None:
        return []
    raise ItemError(400, f"{where}: 'values' must be a list, got {type(values).__name__}")


def _resolve_enum(fd: FieldDef, raw: Any, where: str) -> tuple[int, str]:
    """Enum (id, label) from an id (int or numeric string) or a label/code."""
    for eid, label in fd.enums:
        if str(raw) == str(eid) or (isinstance(raw, str) and raw.upper() == label.upper()):
            return eid, label
    raise ItemError(400, f"{where}: unknown enum {raw!r} for field {fd.id} ({fd.name})")


def _date(raw: Any, where: str) -> str:
    if isinstance(raw, (int, float)) or (isinstance(raw, str) and raw.isdigit()):
        return _dt.datetime.fromtimestamp(int(raw), _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(raw, str):
        for fmt in _DATE_FORMATS:
            try:
                return _dt.datetime.strptime(raw.strip(), fmt).strftime("%Y-%m-%d %H:%M:%S")
            except ValueError:
                continue
    raise ItemError(400, f"{where}: date value {raw!r} is not a date (Y-m-d, d.m.Y, Y/m/d or unix time)")


def _scalar(raw: Any, where: str) -> str:
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, (int, float, str)):
        return str(raw)
    raise ItemError(400, f"{where}: value must be a string or number, got {type(raw).__name__}")


def _one_value(fd: FieldDef, element: Any, where: str) -> dict[str, Any]:
    elem = element if isinstance(element, dict) else {"value": element}
    value = elem.get("value")
    ft = fd.field_type
    if ft in (S.SELECT, S.MULTISELECT, 10):
        eid, label = _resolve_enum(fd, elem.get("enum", value), where)
        return {"value": label, "enum": str(eid)}
    if ft == S.MULTITEXT:
        enum = elem.get("enum")
        eid = _resolve_enum(fd, enum, where)[0] if enum is not None else fd.enums[0][0]
        return {"value": _scalar(value, where), "enum": str(eid)}
    if ft == S.SMART_ADDRESS:
        sub = elem.get("subtype")
        code = SUBTYPES.get(str(sub), str(sub) if str(sub) in SUBTYPES.values() else None)
        if code is None:
            raise ItemError(
                400, f"{where}: unknown address subtype {sub!r}; use one of {', '.join(SUBTYPES)}"
            )
        return {"value": _scalar(value, where), "subtype": code}
    if ft in (S.DATE, 14):
        return {"value": _date(value, where)}
    if ft == S.CHECKBOX:
        return {"value": "1" if value not in (0, "0", False, "", None, "false") else "0"}
    if ft == S.NUMERIC:
        text = _scalar(value, where)
        try:
            float(text)
        except ValueError:
            raise ItemError(400, f"{where}: numeric field {fd.id} got {value!r}") from None
        return {"value": text}
    if isinstance(value, dict):  # legal entity and similar structured values are kept as given
        return {"value": value}
    return {"value": _scalar(value, where)}


def normalize_custom_fields(
    defs: dict[int, FieldDef], raw: Any, unknown_code: int, where: str
) -> dict[int, list[dict[str, Any]]]:
    """Field id -> normalised values for every field in ``raw``; an empty list clears the field."""
    out: dict[int, list[dict[str, Any]]] = {}
    for n, entry in enumerate(_as_list(raw, where)):
        if not isinstance(entry, dict) or "id" not in entry:
            raise ItemError(400, f"{where}: custom_fields[{n}] needs an 'id'")
        try:
            fid = int(entry["id"])
        except (TypeError, ValueError):
            raise ItemError(
                unknown_code, f"{where}: custom field id {entry['id']!r} is not a number"
            ) from None
        fd = defs.get(fid)
        if fd is None:
            raise ItemError(unknown_code, f"{where}: custom field {fid} not found")
        values = [
            _one_value(fd, v, f"{where}: custom field {fid}") for v in _as_list(entry.get("values"), where)
        ]
        if not fd.is_multiple and fd.field_type != S.SMART_ADDRESS and len(values) > 1:
            values = values[:1]
        out[fid] = values
    return out


def render_custom_fields(
    defs: dict[int, FieldDef], stored: dict[int, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    result = []
    for fid, values in stored.items():
        if not values:
            continue
        fd = defs.get(fid)
        if fd is None:  # the field was deleted: its values are no longer shown
            continue
        result.append(
            {
                "id": fid,
                "name": fd.name,
                "code": fd.code,
                "values": [dict(v) for v in values],
                "is_system": fd.is_system,
            }
        )
    return result


# -- definitions: POST /api/v2/fields ------------------------------------------------------------
_V2_ELEMENT_KINDS = {k: v for k, v in ELEMENT_TYPES.items() if v != "tasks"}


def _field_kind(store: Any, raw: Any) -> str | None:
    try:
        number = int(raw)
    except (TypeError, ValueError):
        return None
    if number in _V2_ELEMENT_KINDS:
        return _V2_ELEMENT_KINDS[number]
    if store.get("catalogs", number) is not None:
        return f"catalog:{number}"
    return None


def write_fields(store: Any, body: Any) -> dict[str, Any]:
    """``POST /api/v2/fields`` with ``add`` and/or ``delete``: the common v2 write envelope.

    Each item applies or fails on its own (``_embedded.errors``); a field can only be deleted with
    the ``origin`` it was created with.
    """
    from .wire import BadInput

    if not isinstance(body, dict) or not ({"add", "delete"} & set(body)):
        raise BadInput(103, detail="Параметры не переданы: body needs 'add' or 'delete'")
    items: list[dict[str, Any]] = []
    errors: dict[str, list[dict[str, Any]]] = {}
    for section in ("add", "delete"):
        raw = body.get(section)
        if raw is None:
            continue
        entries = list(raw.values()) if isinstance(raw, dict) else raw
        if not isinstance(entries, list) or not entries:
            raise BadInput(
                284, detail=f"Неверный запрос, передан не массив: '{section}' must be a non-empty list"
            )
        for idx, entry in enumerate(entries):
            try:
                items.append(
                    _add_field(store, entry, idx) if section == "add" else _delete_field(store, entry)
                )
            except ItemError as exc:
                errors.setdefault(section, []).append(
                    {"code": exc.code, "message": exc.message, "index": idx}
                )
    embedded: dict[str, Any] = {"items": items}
    if errors:
        embedded["errors"] = errors
    return {"_links": {"self": {"href": "/api/v2/fields", "method": "post"}}, "_embedded": embedded}


def _add_field(store: Any, entry: Any, idx: int) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ItemError(400, f"add[{idx}] must be an object")
    name, origin = entry.get("name"), entry.get("origin")
    if not isinstance(name, str) or not name.strip():
        raise ItemError(285, "Требуемое поле не передано: name")
    if not isinstance(origin, str) or not origin.strip():
        raise ItemError(285, "Требуемое поле не передано: origin")
    try:
        ftype = int(entry["type"])
    except (KeyError, TypeError, ValueError):
        ftype = 0
    if ftype not in S.TYPE_CODES or ftype > S.ORG_LEGAL_NAME:
        raise ItemError(400, f"type {entry.get('type')!r} is not a field type (1..17)")
    kind = _field_kind(store, entry.get("element_type"))
    if kind is None:
        raise ItemError(
            400, f"element_type {entry.get('element_type')!r} is neither 1, 2, 3, 12 nor a catalog id"
        )
    enums_raw = entry.get("enums") or []
    if isinstance(enums_raw, dict):
        enums_raw = list(enums_raw.values())
    if ftype in (S.SELECT, S.MULTISELECT, S.RADIOBUTTON) and not enums_raw:
        raise ItemError(400, "enums are required for select, multiselect and radiobutton fields")
    enums = []
    for label in enums_raw:
        store.v4.next_enum += 1
        enums.append((store.v4.next_enum, str(label)))
    if ftype == S.MULTITEXT and not enums:
        for label in ("WORK", "HOME", "OTHER"):
            store.v4.next_enum += 1
            enums.append((store.v4.next_enum, label))
    extra: list[tuple[str, Any]] = []
    for flag in ("is_required", "is_deletable", "is_visible"):
        if flag in entry and kind.startswith("catalog:"):
            extra.append((flag, entry[flag] not in (False, 0, "0", "false", "")))
    store.v4.next_field += 1
    fid = store.v4.next_field
    defs = store.fields.setdefault(kind, {})
    defs[fid] = FieldDef(
        fid, name.strip(), ftype, None, False, tuple(enums), 500, origin.strip(), (), tuple(extra)
    )
    rid = entry.get("request_id", idx)
    return {
        "id": fid,
        "request_id": rid,
        "_links": {"self": {"href": f"/api/v2/fields?id={fid}", "method": "get"}},
    }


def _delete_field(store: Any, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ItemError(400, "delete items must be objects {id, origin}")
    try:
        fid = int(entry["id"])
    except (KeyError, TypeError, ValueError):
        raise ItemError(285, "Требуемое поле не передано: id") from None
    for defs in store.fields.values():
        fd = defs.get(fid)
        if fd is None:
            continue
        if fd.is_system or fd.origin is None or fd.origin != entry.get("origin"):
            raise ItemError(244, f"Field {fid} can only be deleted with the origin it was created with")
        del defs[fid]
        return {"id": fid, "_links": {"self": {"href": f"/api/v2/fields?id={fid}", "method": "get"}}}
    raise ItemError(282, f"Field {fid} not found")
