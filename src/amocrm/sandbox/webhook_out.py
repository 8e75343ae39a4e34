"""Outgoing webhooks: which events a write caused, and the form body amoCRM would POST.

The write path is left untouched: the core takes a :func:`snapshot` of the affected kinds before a
write (only while someone is subscribed), and :func:`detect_events` compares record identities
afterwards (writes always store a fresh dict, so ``is`` tells changed from unchanged). Bodies use
the old v2 field names with string values and PHP bracket keys, as ``amocrm.webhooks`` parses them.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from .seed import SEED
from .store import ELEMENT_TYPES, Store

__all__ = ["Snapshot", "WebhookEvent", "snapshot", "detect_events", "watched_kinds", "encode_form",
           "build_bodies"]

Snapshot = dict[str, dict[int, dict[str, Any]]]

#: Store kind -> webhook event suffix.
_SINGULAR = {"leads": "lead", "contacts": "contact", "companies": "company", "customers": "customer",
             "tasks": "task"}
#: Event suffix -> top-level key of the delivered form (companies ride under ``contacts``, tasks are singular).
_FORM_KEY = {"lead": "leads", "contact": "contacts", "company": "contacts", "customer": "customers", "task": "task"}
_ACCOUNT_TZ = _dt.timezone(_dt.timedelta(hours=3))  # Europe/Moscow, the seeded account's zone


@dataclass(frozen=True)
class WebhookEvent:
    """One entity change: ``name`` is the subscription event (``status_lead``), ``item`` the delivered fields."""

    name: str
    item: dict[str, Any]

    @property
    def form_path(self) -> tuple[str, str]:
        """(top-level key, action) under which the item is delivered, e.g. ``("leads", "status")``."""
        action, _, entity = self.name.partition("_")
        return _FORM_KEY[entity], action


def watched_kinds(kind: str) -> tuple[str, ...]:
    """Kinds a write to ``kind`` can change (a contact's ``company_name`` creates a company)."""
    if kind == "contacts":
        return ("contacts", "companies")
    if kind in _SINGULAR or kind == "notes":
        return (kind,)
    return ()


def snapshot(store: Store, kinds: tuple[str, ...]) -> Snapshot:
    """References to the current records (cheap: no record is copied)."""
    return {k: dict(store.items[k]) for k in kinds}


def detect_events(store: Store, before: Snapshot) -> list[WebhookEvent]:
    """Events for everything that changed in the snapshotted kinds, in store order."""
    events: list[WebhookEvent] = []
    for kind, old_items in before.items():
        new_items = store.items[kind]
        for eid, rec in new_items.items():
            old = old_items.get(eid)
            if rec is old:
                continue
            if kind == "notes":
                if old is None:
                    events.extend(_note_event(rec))
                continue
            if rec.get("unsorted_uid") or (old is not None and old.get("unsorted_uid") and rec.get("is_deleted")):
                continue  # part of an incoming item that is not accepted (or was declined): no webhook
            if old is None or old.get("unsorted_uid"):  # new, or just accepted from the incoming leads
                if not rec.get("is_deleted"):
                    events.append(WebhookEvent(f"add_{_SINGULAR[kind]}", _item(store, kind, rec, None, "add")))
            elif rec.get("is_deleted") and not old.get("is_deleted"):
                events.append(_delete_event(kind, eid))
            elif not rec.get("is_deleted"):
                events.extend(_update_events(store, kind, rec, old))
        if kind != "notes":
            events.extend(_delete_event(kind, eid) for eid in old_items if eid not in new_items)
    return events


def _update_events(store: Store, kind: str, rec: dict[str, Any], old: dict[str, Any]) -> list[WebhookEvent]:
    name = _SINGULAR[kind]
    out = [WebhookEvent(f"update_{name}", _item(store, kind, rec, old, "update"))]
    if kind == "leads" and rec.get("status_id") != old.get("status_id"):
        out.append(WebhookEvent("status_lead", _item(store, kind, rec, old, "status")))
    if rec.get("responsible_user_id") != old.get("responsible_user_id"):
        out.append(WebhookEvent(f"responsible_{name}", _item(store, kind, rec, old, "responsible")))
    return out


def _delete_event(kind: str, eid: int) -> WebhookEvent:
    name = _SINGULAR[kind]
    item: dict[str, Any] = {"id": str(eid)}
    if _FORM_KEY[name] == "contacts":
        item["type"] = name
    return WebhookEvent(f"delete_{name}", item)


def _s(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _local_time(ts: Any) -> str:
    return _dt.datetime.fromtimestamp(int(ts or 0), _ACCOUNT_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _custom_fields(store: Store, kind: str, rec: dict[str, Any]) -> list[dict[str, Any]]:
    defs = store.field_defs(kind)
    out: list[dict[str, Any]] = []
    for fid, values in rec.get("custom_fields", {}).items():
        if not values:
            continue
        fd = defs.get(fid)
        rendered = []
        for v in values:
            one = {"value": _s(v.get("value"))}
            for extra in ("enum", "subtype"):
                if v.get(extra) is not None:
                    one[extra] = _s(v[extra])
            rendered.append(one)
        out.append({"id": str(fid), "name": fd.name if fd else "", "values": rendered})
    return out


def _item(store: Store, kind: str, rec: dict[str, Any], old: dict[str, Any] | None, action: str) -> dict[str, Any]:
    """The delivered fields of one entity in the old v2 naming, every scalar a string."""
    item: dict[str, Any] = {"id": _s(rec["id"])}
    if kind != "tasks":
        item["name"] = _s(rec.get("name", ""))
    if kind in ("contacts", "companies"):
        item["type"] = _SINGULAR[kind]
    if kind == "leads":
        item.update(status_id=_s(rec["status_id"]), price=_s(rec.get("sale", 0)), pipeline_id=_s(rec["pipeline_id"]))
        if action == "status" and old is not None:
            item["old_status_id"] = _s(old["status_id"])
    item["responsible_user_id"] = _s(rec.get("responsible_user_id"))
    if action == "responsible" and old is not None:
        item["old_responsible_user_id"] = _s(old.get("responsible_user_id"))
    item.update(date_create=_s(rec.get("created_at")), last_modified=_s(rec.get("updated_at")),
                created_user_id=_s(rec.get("created_by")), modified_user_id=_s(rec.get("updated_by")),
                account_id=_s(rec.get("account_id", SEED.ACCOUNT_ID)))
    if kind == "customers":
        item.update(next_price=_s(rec.get("next_price")), next_date=_s(rec.get("next_date")),
                    periodicity=_s(rec.get("periodicity")))
    if kind == "tasks":
        completed = bool(rec.get("is_completed"))
        item.update(element_id=_s(rec.get("element_id")), element_type=_s(rec.get("element_type")),
                    task_type=_s(rec.get("task_type")), text=_s(rec.get("text", "")), status="1" if completed else "0",
                    action_close="1" if completed and not (old or {}).get("is_completed") else "0",
                    complete_till=_local_time(rec.get("complete_till_at")))
        result = rec.get("result")
        if isinstance(result, dict):
            item["result"] = {"id": _s(result.get("id")), "text": _s(result.get("text"))}
    cfs = _custom_fields(store, kind, rec)
    if cfs:
        item["custom_fields"] = cfs
    tags = [{"id": _s(t), "name": store.tag_names.get(t, "")} for t in rec.get("tags", [])]
    if tags:
        item["tags"] = tags
    return item


def _note_event(rec: dict[str, Any]) -> list[WebhookEvent]:
    """``note_<entity>`` for a note added to a lead, contact, company or customer (not to a task)."""
    kind = ELEMENT_TYPES.get(int(rec.get("element_type") or 0))
    if kind is None or kind == "tasks":
        return []
    name = _SINGULAR[kind]
    when = _local_time(rec.get("created_at"))
    note = {"id": _s(rec["id"]), "text": f"'{_s(rec.get('text', ''))}'", "attachement": f"'{_s(rec.get('attachment'))}'",
            "date_create": f"'{when}'", "note_type": _s(rec.get("note_type")),
            "element_type": _s(rec.get("element_type")), "element_id": _s(rec.get("element_id")),
            "timestamp_x": f"'{_local_time(rec.get('updated_at'))}'",
            "account_id": _s(rec.get("account_id", SEED.ACCOUNT_ID)), "created_by": _s(rec.get("created_by")),
            "modified_by": _s(rec.get("updated_by")), "main_user_id": _s(rec.get("responsible_user_id")),
            "group_id": _s(rec.get("group_id", 0))}
    return [WebhookEvent(f"note_{name}", {"note": note, "type": name})]


# -- encoding ------------------------------------------------------------------------------------
def _pairs(value: Any, prefix: str) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        children: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    else:
        return [(prefix, _s(value))]
    out: list[tuple[str, str]] = []
    for key, child in children:
        out.extend(_pairs(child, f"{prefix}[{key}]" if prefix else str(key)))
    return out


def encode_form(data: dict[str, Any]) -> bytes:
    """PHP ``http_build_query``-style body with literal brackets: ``leads[add][0][id]=1&...``."""
    return "&".join(f"{quote(k, safe='[]')}={quote_plus(v)}" for k, v in _pairs(data, "")).encode("ascii")


def build_bodies(events: list[WebhookEvent], subscriptions: list[dict[str, Any]], subdomain: str
                 ) -> list[tuple[str, str, bytes]]:
    """``(url, event name, body)`` per subscriber and event name; one body carries every item of that event."""
    by_name: dict[str, list[WebhookEvent]] = {}
    for ev in events:
        by_name.setdefault(ev.name, []).append(ev)
    account = {"subdomain": subdomain, "id": str(SEED.ACCOUNT_ID),
               "_links": {"self": f"https://{subdomain}.amocrm.ru"}}
    out: list[tuple[str, str, bytes]] = []
    for hook in subscriptions:
        for name, group in by_name.items():
            if name not in hook["events"]:
                continue
            key, action = group[0].form_path
            out.append((str(hook["url"]), name, encode_form({key: {action: [e.item for e in group]},
                                                              "account": account})))
    return out
