"""Unsorted / incoming leads: add via form or sip, list, accept, decline, summary (api-contract §A5.13)."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from .custom_fields import ItemError
from .entities import create_entity
from .store import Store
from .wire import BadInput, Request, Response, int_param, json_response, no_content

__all__ = ["add_incoming", "list_incoming", "accept_incoming", "decline_incoming", "summary"]

_REQUIRED = {"sip": ("to", "from", "date_call", "service_code"), "form": ("form_id", "form_page")}


def _links(href: str, method: str) -> dict[str, Any]:
    return {"self": {"href": href, "method": method}}


def _fail(message: str, code: int = 400) -> Response:
    return json_response({"status": "fail", "error": message, "error_code": code}, 400, "application/json")


def add_incoming(store: Store, category: str, body: Any) -> Response:
    if not isinstance(body, dict) or not isinstance(body.get("add"), (list, dict)) or not body["add"]:
        return _fail("Параметры не переданы: body needs a non-empty 'add' list", 103)
    entries = body["add"] if isinstance(body["add"], list) else list(body["add"].values())
    prepared = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict):
            return _fail(f"add[{n}] must be an object")
        info = entry.get("incoming_lead_info")
        if not isinstance(info, dict):
            return _fail(f"add[{n}].incoming_lead_info is required")
        missing = [k for k in _REQUIRED[category] if info.get(k) in (None, "")]
        if category == "form" and entry.get("created_at") in (None, ""):
            missing.append("created_at")
        if missing:
            return _fail(f"add[{n}]: required field(s) missing: {', '.join(missing)}")
        ents = entry.get("incoming_entities") or {}
        if not isinstance(ents, dict):
            return _fail(f"add[{n}].incoming_entities must be an object")
        prepared.append((entry, info, ents))
    uids = []
    for entry, info, ents in prepared:
        if category == "sip":
            dup_key = tuple(str(info.get(k)) for k in ("to", "from", "duration", "date_call", "service_code"))
        else:
            dup_key = (str(info.get("form_id")), str(entry.get("created_at")), str(info.get("form_page")))
        fingerprint = hashlib.sha1(repr((category, dup_key)).encode()).hexdigest()
        existing = next((u for u, r in store.incoming.items() if r["_fingerprint"] == fingerprint), None)
        if existing is not None:
            uids.append(existing)
            continue
        uid = secrets.token_hex(30)
        lead_info = dict(info)
        if category == "sip":
            lead_info["date"] = int_param(lead_info.pop("date_call"), "date_call")
        store.incoming[uid] = {
            "uid": uid, "category": category, "source_name": str(entry.get("source_name", "")),
            "source_uid": entry.get("source_uid"), "created_at": int(entry.get("created_at") or time.time()),
            "pipeline_id": entry.get("pipeline_id"), "incoming_lead_info": lead_info,
            "incoming_entities": {k: list(v) for k, v in ents.items() if isinstance(v, list)},
            "_fingerprint": fingerprint}
        uids.append(uid)
    return json_response({"status": "success", "data": uids,
                          "_links": _links(f"/api/v2/incoming_leads/{category}", "post")}, 200, "application/json")


def _public(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec[k] for k in ("uid", "category", "source_name", "created_at", "incoming_lead_info",
                                "incoming_entities")}


def list_incoming(store: Store, req: Request) -> Response:
    q = req.query
    records = list(store.incoming.values())
    if q.get("uid"):
        uids = q["uid"] if isinstance(q["uid"], list) else list(q["uid"].values()) if isinstance(q["uid"], dict) \
            else str(q["uid"]).split(",")
        records = [r for r in records if r["uid"] in uids]
    cats = q.get("categories")
    if cats:
        wanted = set(cats.values() if isinstance(cats, dict) else cats if isinstance(cats, list) else [cats])
        wanted |= {"form" for c in wanted if c == "forms"}
        records = [r for r in records if r["category"] in wanted]
    if q.get("pipeline_id"):
        pid = int_param(q["pipeline_id"], "pipeline_id")
        records = [r for r in records if r.get("pipeline_id") in (pid, str(pid))]
    order = q.get("order_by", {}).get("created_at") if isinstance(q.get("order_by"), dict) else None
    records.sort(key=lambda r: r["created_at"], reverse=order == "desc")
    size = min(max(int_param(q.get("page_size", 500) or 500, "page_size"), 1), 500)
    page = max(int_param(q.get("page", 1) or 1, "page"), 1)
    records = records[(page - 1) * size:page * size]
    if not records:
        return no_content()
    return json_response({"_links": _links("/api/v2/incoming_leads", "get"),
                          "_embedded": {"items": [_public(r) for r in records]}})


def _uids(body: Any, key: str) -> list[str]:
    if not isinstance(body, dict) or key not in body:
        raise BadInput(103, detail=f"Параметры не переданы: body needs '{key}'")
    raw = body[key]
    raw = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else [raw]
    if body.get("user_id") in (None, ""):
        raise BadInput(103, detail="Параметры не переданы: user_id is required")
    int_param(body["user_id"], "user_id")
    return [str(u) for u in raw]


def accept_incoming(store: Store, body: Any) -> Response:
    uids = _uids(body, "accept")
    user = int_param(body["user_id"], "user_id")
    status = int_param(body["status_id"], "status_id") if body.get("status_id") not in (None, "") else None
    data: dict[str, Any] = {}
    for uid in uids:
        rec = store.incoming.get(uid)
        if rec is None:
            data[uid] = False
            continue
        made: dict[str, list[int]] = {"leads": [], "contacts": [], "companies": []}
        ents = rec["incoming_entities"]
        try:
            for kind in ("companies", "contacts"):
                for raw in ents.get(kind, []):
                    made[kind].append(create_entity(store, kind, {**_clean(raw), "responsible_user_id": user}))
            for raw in ents.get("leads", []) or [{"name": f"Сделка из неразобранного {uid[:8]}"}]:
                lead = {**_clean(raw), "responsible_user_id": user, "contacts_id": made["contacts"]}
                if made["companies"]:
                    lead["company_id"] = made["companies"][0]
                if status is not None:
                    lead["status_id"] = status
                if rec.get("pipeline_id"):
                    lead["pipeline_id"] = rec["pipeline_id"]
                made["leads"].append(create_entity(store, "leads", lead))
        except ItemError as exc:
            raise BadInput(400, detail=f"accept {uid}: {exc.message}") from None
        for cid in made["contacts"]:
            for comp in made["companies"][:1]:
                store.link(("contacts", cid), ("companies", comp))
        del store.incoming[uid]
        store.incoming_accepted += 1
        data[uid] = made
    return json_response({"status": "success", "data": data,
                          "_links": _links("/api/v2/incoming_leads/accept", "post")}, 200, "application/json")


def _clean(raw: Any) -> dict[str, Any]:
    """Entity fields of an incoming entity, ``price`` read as ``sale``; nested notes are dropped."""
    if not isinstance(raw, dict):
        return {}
    out = {k: v for k, v in raw.items() if k not in ("notes", "id", "price")}
    if "price" in raw and "sale" not in raw:
        out["sale"] = raw["price"]
    return out


def decline_incoming(store: Store, body: Any) -> Response:
    uids = _uids(body, "decline")
    data = {}
    for uid in uids:
        data[uid] = store.incoming.pop(uid, None) is not None
    return json_response({"status": "success", "data": data,
                          "_links": _links("/api/v2/incoming_leads/decline", "post")}, 200, "application/json")


def summary(store: Store, req: Request) -> Response:
    counts = {"sip": 0, "mail": 0, "form": 0, "chat": 0}
    for rec in store.incoming.values():
        counts[rec["category"]] = counts.get(rec["category"], 0) + 1
    total = sum(counts.values())
    return json_response({**counts, "total": total, "avg_time": 0, "accepted": store.incoming_accepted,
                          "_links": _links("/api/v2/incoming_leads/summary", "get")}, 200, "application/json")

