"""Account metadata endpoints: account (with=...), pipelines, webhooks, widgets."""

from __future__ import annotations

from typing import Any

from . import seed as S
from .seed import SEED, FieldDef
from .store import Store
from .wire import BadInput, Request, Response, id_list, json_response, no_content

__all__ = ["account", "pipelines", "webhooks_list", "webhooks_change", "widgets_list", "account_summary",
           "WEBHOOK_EVENTS", "MAX_WEBHOOKS"]

MAX_WEBHOOKS = 100
_ENT = ("lead", "contact", "company", "customer", "task")
WEBHOOK_EVENTS = frozenset(
    [f"{a}_{e}" for a in ("add", "update", "delete", "responsible") for e in _ENT]
    + [f"restore_{e}" for e in ("lead", "contact", "company")] + ["status_lead"]
    + [f"note_{e}" for e in ("lead", "contact", "company", "customer")])
_RIGHTS = ("mail", "incoming_leads", "catalogs", "lead_add", "lead_view", "lead_edit", "lead_delete", "lead_export",
           "contact_add", "contact_view", "contact_edit", "contact_delete", "contact_export", "company_add",
           "company_view", "company_edit", "company_delete", "company_export", "task_edit", "task_delete")


def _keyed(items: dict[int, Any]) -> Any:
    """PHP quirk: an id-keyed collection is an object when non-empty and ``[]`` when empty."""
    return {str(k): v for k, v in items.items()} if items else []


def account_summary(store: Store) -> dict[str, Any]:
    return {"id": SEED.ACCOUNT_ID, "name": "Sandbox", "subdomain": store.subdomain, "language": "ru",
            "timezone": "Europe/Moscow"}


def _field(fd: FieldDef) -> dict[str, Any]:
    return {"id": fd.id, "name": fd.name, "field_type": fd.field_type, "sort": fd.sort, "code": fd.code or "",
            "is_multiple": fd.is_multiple, "is_system": fd.is_system, "is_editable": not fd.is_system,
            "is_required": False, "is_deletable": not fd.is_system, "is_visible": True, "params": [],
            "enums": _keyed({eid: label for eid, label in fd.enums})}


def _pipeline(p: dict[str, Any], for_account: bool) -> dict[str, Any]:
    statuses: dict[int, Any] = {}
    rows = list(p["statuses"]) + [(SEED.STATUS_WON, p.get("won_name", S.WON_NAME), "#CCFF66", 10000),
                                  (SEED.STATUS_LOST, p.get("lost_name", S.LOST_NAME), "#D5D8DB", 11000)]
    for sid, name, color, sort in rows:
        editable = sid not in (SEED.STATUS_WON, SEED.STATUS_LOST)
        st: dict[str, Any] = {"id": sid, "name": name, "color": color, "sort": sort}
        if for_account:
            st["editable"] = "Y" if editable else "N"
        else:
            st["is_editable"] = editable
        statuses[sid] = st
    return {"id": p["id"], "name": p["name"], "sort": p["sort"], "is_main": p["is_main"],
            "statuses": _keyed(statuses), "_links": {"self": {"href": f"/api/v2/pipelines?id={p['id']}",
                                                              "method": "get"}}}


def account(store: Store, req: Request) -> Response:
    with_ = {w.strip() for w in str(req.query.get("with", "")).split(",") if w.strip()}
    body: dict[str, Any] = {
        "id": SEED.ACCOUNT_ID, "name": "Sandbox", "subdomain": store.subdomain, "currency": "RUB",
        "timezone": "Europe/Moscow", "timezone_offset": "+03:00", "language": "ru",
        "date_pattern": {"date": "d.m.Y", "time": "H:i", "date_time": "d.m.Y H:i", "time_full": "H:i:s"},
        "current_user": SEED.USER_ADMIN, "_links": {"self": {"href": "/api/v2/account", "method": "get"}}}
    emb: dict[str, Any] = {}
    if "users" in with_:
        emb["users"] = _keyed({u["id"]: {
            **u, "language": "ru", "phone_number": "", "is_active": True, "is_free": False,
            "rights": {r: "A" if u["is_admin"] or r.endswith(("view", "add", "edit")) else "D" for r in _RIGHTS}}
            for u in S.USERS})
    if "custom_fields" in with_:
        cf: dict[str, Any] = {}
        for kind in ("contacts", "leads", "companies", "customers"):
            cf[kind] = _keyed({fd.id: _field(fd) for fd in store.fields.get(kind, {}).values()})
        catalogs = {}
        for key, defs in store.fields.items():
            if key.startswith("catalog:") and store.get("catalogs", int(key.split(":")[1])) is not None:
                catalogs[int(key.split(":")[1])] = _keyed({fd.id: _field(fd) for fd in defs.values()})
        cf["catalogs"] = _keyed(catalogs)
        emb["custom_fields"] = cf
    if "pipelines" in with_:
        emb["pipelines"] = _keyed({p["id"]: _pipeline(p, True) for p in store.pipelines})
    if "groups" in with_:
        emb["groups"] = _keyed({gid: {"id": gid, "name": name} for gid, name in S.GROUPS.items()})
    if "note_types" in with_:
        emb["note_types"] = _keyed({nid: {"id": nid, "name": "", "code": code, "editable": "Y" if nid == 4 else "N"}
                                    for nid, code in SEED.NOTE_TYPES.items()})
    if "task_types" in with_:
        emb["task_types"] = _keyed({tid: {"id": tid, "name": name} for tid, name in SEED.TASK_TYPES.items()})
    if emb:
        body["_embedded"] = emb
    return json_response(body)


def pipelines(store: Store, req: Request) -> Response:
    wanted = set(id_list(req.query.get("id"), "id"))
    chosen = {p["id"]: _pipeline(p, False) for p in store.pipelines if not wanted or p["id"] in wanted}
    if not chosen:
        return no_content()
    return json_response({"_links": {"self": {"href": "/api/v2/pipelines", "method": "get"}},
                          "_embedded": {"items": _keyed(chosen)}})


def webhooks_list(store: Store, req: Request) -> Response:
    if not store.webhooks:
        return no_content()
    items = [{"id": w["id"], "url": w["url"], "events": list(w["events"])} for w in store.webhooks]
    return json_response({"_links": {"self": {"href": "/api/v2/webhooks", "method": "get"}},
                          "_embedded": {"items": items}})


def webhooks_change(store: Store, body: Any, action: str) -> Response:
    """``POST /api/v2/webhooks/{subscribe|unsubscribe}``: per-URL ``result`` booleans."""
    if not isinstance(body, dict) or action not in body:
        raise BadInput(103, detail=f"Параметры не переданы: body needs '{action}'")
    entries = body[action]
    if isinstance(entries, dict):
        entries = list(entries.values())
    if not isinstance(entries, list) or not entries:
        raise BadInput(284, detail=f"'{action}' must be a non-empty list")
    results = []
    for entry in entries:
        url = entry.get("url") if isinstance(entry, dict) else None
        events = entry.get("events") if isinstance(entry, dict) else None
        if isinstance(events, str):
            events = [events]
        ok = isinstance(url, str) and url.startswith(("http://", "https://")) and isinstance(events, list) \
            and bool(events) and all(e in WEBHOOK_EVENTS for e in events)
        hook: dict[str, Any] | None
        if ok and action == "subscribe":
            hook = next((w for w in store.webhooks if w["url"] == url), None)
            if hook is None:
                if len(store.webhooks) >= MAX_WEBHOOKS:
                    ok = False
                else:
                    hook = {"id": store.next_webhook, "url": url, "events": []}
                    store.next_webhook += 1
                    store.webhooks.append(hook)
            if hook is not None:
                hook["events"] = list(dict.fromkeys([*hook["events"], *(events or [])]))
        elif ok:
            hook = next((w for w in store.webhooks if w["url"] == url), None)
            if hook is None:
                ok = False
            else:
                hook["events"] = [e for e in hook["events"] if e not in (events or [])]
                if not hook["events"]:
                    store.webhooks.remove(hook)
        results.append({"url": url, "result": ok})
    return json_response({"_links": {"self": {"href": f"/api/v2/webhooks/{action}", "method": "post"}},
                          "_embedded": {"items": results}})


def widgets_list(store: Store, req: Request) -> Response:
    codes = set(str(c) for c in _as_list(req.query.get("widget_code")))
    ids = set(id_list(req.query.get("widget_id"), "widget_id"))
    chosen = [w for w in S.WIDGETS if (not codes or w["widget_code"] in codes) and (not ids or w["widget_id"] in ids)]
    if not chosen:
        return no_content()
    return json_response({"widgets": chosen}, 200, "application/json")


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return list(value.values())
    return value if isinstance(value, list) else [value]
