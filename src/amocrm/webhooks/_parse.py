"""Turn a decoded webhook body (``{"<entity>": {"<action>": [items]}, "account": {...}}``) into events.

Delivery quirks handled here (as amoCRM sends them): companies arrive under ``contacts`` with
``type=company``; tasks under ``task`` (singular); note events wrap ``{"note": {...}, "type": ...}``
with string values in literal single quotes; custom-field values come as ``[{value, enum}]`` or
as bare ``["v"]``; an action may hold a list, one object (the doc example) or a bare id.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec

from amocrm.webhooks._events import (
    WebhookAccount,
    WebhookCustomField,
    WebhookCustomFieldValue,
    WebhookEntity,
    WebhookEvent,
    WebhookPayload,
    WebhookTag,
)
from amocrm.webhooks._form import MAX_BYTES, MAX_DEPTH, WebhookError, parse_form

__all__ = ["parse_webhook", "payload_from_mapping"]

#: Top-level keys that carry events, and the entity each stands for (``contacts`` is refined by ``type``).
ENTITY_KEYS: dict[str, WebhookEntity] = {
    "leads": "lead",
    "contacts": "contact",
    "companies": "company",
    "customers": "customer",
    "task": "task",
    "tasks": "task",
    "notes": "note",
    "catalogs": "catalog_element",
    "catalog_elements": "catalog_element",
    "unsorted": "unsorted",
}


def parse_webhook(
    body: bytes | str, *, content_type: str | None = None, max_bytes: int = MAX_BYTES
) -> WebhookPayload:
    """Decode an amoCRM webhook POST body (form-encoded, or JSON when ``content_type`` says so).

    Raises :class:`WebhookError` naming the offending key or position on malformed input.
    """
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    if kind in ("", "application/x-www-form-urlencoded"):
        data = parse_form(body, max_bytes=max_bytes)
    elif kind == "application/json" or kind.endswith("+json"):
        data = _parse_json(body, max_bytes)
    else:
        raise WebhookError(
            f"unsupported content type {kind!r}: expected application/x-www-form-urlencoded or application/json"
        )
    return payload_from_mapping(data)


def _parse_json(body: bytes | str, max_bytes: int) -> dict[str, Any]:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if len(raw) > max_bytes:
        raise WebhookError(f"body is {len(raw)} bytes, over the {max_bytes}-byte limit")
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise WebhookError(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WebhookError(f"JSON body is a {type(data).__name__}, expected an object")
    _check_depth(data)
    return data


def _check_depth(data: Any) -> None:
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    raise WebhookError(f"JSON body nests deeper than {MAX_DEPTH} levels")
                stack.append((child, depth + 1))


def payload_from_mapping(data: dict[str, Any]) -> WebhookPayload:
    """Build the typed payload from an already decoded body (e.g. a framework's parsed form)."""
    events: list[WebhookEvent] = []
    for key, actions in data.items():
        entity = ENTITY_KEYS.get(key)
        if entity is None:
            continue  # "account" and anything undocumented: still available in ``raw``
        if not isinstance(actions, dict):
            raise WebhookError(f"{key} is {_kind(actions)}, expected {key}[<action>][...]")
        for action, value in actions.items():
            for path, item in _items(f"{key}[{action}]", value):
                events.append(_event(entity, str(action), path, item))
    return WebhookPayload(account=_account(data.get("account")), events=events, raw=data)


def _kind(value: Any) -> str:
    return f"a {type(value).__name__}" if isinstance(value, (dict, list)) else repr(value)


def _items(path: str, value: Any) -> list[tuple[str, dict[str, Any]]]:
    """The items of one action: a list, a map keyed by index, one bare object, or a bare id."""
    if isinstance(value, list):
        pairs = list(enumerate(value))
    elif isinstance(value, dict) and value and all(k.isdigit() for k in value):
        pairs = list(value.items())
    elif isinstance(value, dict):
        return [(path, value)]
    else:
        return [(path, {"id": value})]
    out: list[tuple[str, dict[str, Any]]] = []
    for index, item in pairs:
        out.append((f"{path}[{index}]", item if isinstance(item, dict) else {"id": item}))
    return out


def _account(value: Any) -> WebhookAccount:
    if not isinstance(value, dict) or not isinstance(value.get("subdomain"), str) or not value["subdomain"]:
        raise WebhookError("account[subdomain] is missing: not an amoCRM webhook body")
    return WebhookAccount(subdomain=value["subdomain"], id=_opt_int(value.get("id"), "account[id]"))


def _opt_int(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    return _req_int(value, where)


def _req_int(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise WebhookError(f"{where} is {_kind(value)}, not an integer")


def _unquote(value: Any) -> Any:
    """Strip the literal single quotes amoCRM wraps note strings in (``"'Note to lead'"``)."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value
    if isinstance(value, dict):
        return {k: _unquote(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _event(entity: WebhookEntity, action: str, path: str, item: dict[str, Any]) -> WebhookEvent:
    if entity in ("contact", "company") and item.get("type") in ("company", "'company'"):
        entity = "company"
    note: dict[str, Any] | None = None
    fields = item
    if isinstance(item.get("note"), dict):
        note = cast(dict[str, Any], _unquote(item["note"]))
        fields = {**item, "note": note}
    if note is not None and note.get("element_id") not in (None, ""):
        event_id = _req_int(note["element_id"], f"{path}[note][element_id]")
    elif "id" in item:
        event_id = _req_int(item["id"], f"{path}[id]")
    elif entity == "unsorted":
        event_id = _opt_int(item.get("lead_id"), f"{path}[lead_id]") or 0
    else:
        raise WebhookError(f"{path}[id] is missing")
    return WebhookEvent(
        entity=entity,
        action=action,
        id=event_id,
        fields=fields,
        custom_fields=_custom_fields(path, fields.get("custom_fields")),
        tags=_tags(path, fields.get("tags")),
        note=note,
        path=path,
    )


def _listed(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, list):
        return [(str(i), v) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return list(value.items())
    return []


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _custom_fields(path: str, value: Any) -> list[WebhookCustomField]:
    if value is None or value == "":
        return []
    if not isinstance(value, (list, dict)):
        raise WebhookError(f"{path}[custom_fields] is {_kind(value)}, expected a list of fields")
    fields: list[WebhookCustomField] = []
    for index, raw in _listed(value):
        where = f"{path}[custom_fields][{index}]"
        if not isinstance(raw, dict):
            raise WebhookError(f"{where} is {_kind(raw)}, expected {{id, name, values}}")
        values: list[WebhookCustomFieldValue] = []
        for v_index, item in _listed(raw.get("values")):
            if isinstance(item, dict):
                inner = item.get("value", "")
                text = inner if isinstance(inner, str) else msgspec.json.encode(inner).decode()
                values.append(
                    WebhookCustomFieldValue(
                        value=text, enum=_opt_str(item.get("enum")), subtype=_opt_str(item.get("subtype"))
                    )
                )
            elif isinstance(item, list):
                raise WebhookError(
                    f"{where}[values][{v_index}] is a list, expected a value or {{value, enum}}"
                )
            else:
                values.append(WebhookCustomFieldValue(value="" if item is None else str(item)))
        fields.append(
            WebhookCustomField(
                id=_req_int(raw.get("id"), f"{where}[id]"),
                name=_opt_str(raw.get("name")),
                code=_opt_str(raw.get("code")),
                values=values,
            )
        )
    return fields


def _tags(path: str, value: Any) -> list[WebhookTag]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [WebhookTag(name=name.strip()) for name in value.split(",") if name.strip()]
    tags: list[WebhookTag] = []
    for index, item in _listed(value):
        if isinstance(item, dict):
            tags.append(
                WebhookTag(
                    name=str(item.get("name", "")), id=_opt_int(item.get("id"), f"{path}[tags][{index}][id]")
                )
            )
        else:
            tags.append(WebhookTag(name=str(item)))
    return tags
