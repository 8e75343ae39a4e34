"""Custom-field values: normalise what clients write, render what the API returns (api-contract §A4)."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from . import seed as S
from .seed import FieldDef

__all__ = ["ItemError", "normalize_custom_fields", "render_custom_fields", "SUBTYPES"]

SUBTYPES = {"address_line_1": "1", "address_line_2": "2", "city": "3", "state": "4", "zip": "5", "country": "6"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d.%m.%Y %H:%M", "%Y-%m-%dT%H:%M:%S")


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
            raise ItemError(400, f"{where}: unknown address subtype {sub!r}; use one of {', '.join(SUBTYPES)}")
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


def normalize_custom_fields(defs: dict[int, FieldDef], raw: Any, unknown_code: int,
                            where: str) -> dict[int, list[dict[str, Any]]]:
    """Field id -> normalised values for every field in ``raw``; an empty list clears the field."""
    out: dict[int, list[dict[str, Any]]] = {}
    for n, entry in enumerate(_as_list(raw, where)):
        if not isinstance(entry, dict) or "id" not in entry:
            raise ItemError(400, f"{where}: custom_fields[{n}] needs an 'id'")
        try:
            fid = int(entry["id"])
        except (TypeError, ValueError):
            raise ItemError(unknown_code, f"{where}: custom field id {entry['id']!r} is not a number") from None
        fd = defs.get(fid)
        if fd is None:
            raise ItemError(unknown_code, f"{where}: custom field {fid} not found")
        values = [_one_value(fd, v, f"{where}: custom field {fid}") for v in _as_list(entry.get("values"), where)]
        if not fd.is_multiple and fd.field_type != S.SMART_ADDRESS and len(values) > 1:
            values = values[:1]
        out[fid] = values
    return out


def render_custom_fields(defs: dict[int, FieldDef], stored: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    result = []
    for fid, values in stored.items():
        if not values:
            continue
        fd = defs.get(fid)
        result.append({"id": fid, "name": fd.name if fd else "", "code": fd.code if fd else None,
                       "values": [dict(v) for v in values], "is_system": fd.is_system if fd else False})
    return result
