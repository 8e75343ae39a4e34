"""Unsorted / incoming leads: add via form or sip, list, accept, decline, summary.

An incoming item's lead, contacts and companies exist from the moment it is added, as in the real
service: the lead sits in its pipeline's "unsorted" stage and every one of them carries
``unsorted_uid`` (hidden from lists) until the item is accepted (they become ordinary entities) or
declined (they are deleted). Both API faces share these records and the functions below.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from .custom_fields import ItemError
from .entities import create_entity
from .store import Store
from .wire import BadInput, Request, Response, int_param, json_response, no_content

__all__ = ["add_incoming", "list_incoming", "accept_incoming", "decline_incoming", "summary", "materialize",
           "accept_item", "decline_item", "hide"]

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
        rec = {
            "uid": uid, "category": category, "source_name": str(entry.get("source_name", "")),
            "source_uid": entry.get("source_uid"), "created_at": int(entry.get("created_at") or time.time()),
            "pipeline_id": entry.get("pipeline_id"), "incoming_lead_info": lead_info,
            "incoming_entities": {k: list(v) for k, v in ents.items() if isinstance(v, list)},
            "_fingerprint": fingerprint}
        mark = store.journal.mark()
        try:
            materialize(store, rec)
        except (ItemError, BadInput) as exc:
            store.journal.rollback(store, mark)
            return _fail(f"incoming entities: {exc.message if isinstance(exc, ItemError) else exc.detail}")
        store.incoming[uid] = rec
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


def hide(store: Store, kind: str, eid: int, uid: str | None) -> None:
    """Mark an entity as part of the incoming item ``uid`` (None: an ordinary entity again)."""
    rec = {k: v for k, v in store.items[kind][eid].items() if k != "unsorted_uid"}
    if uid is not None:
        rec["unsorted_uid"] = uid
    store.items[kind][eid] = rec


def _pipeline_for(store: Store, rec: dict[str, Any]) -> dict[str, Any]:
    try:
        pid = int(rec.get("pipeline_id") or 0)
    except (TypeError, ValueError):
        pid = 0
    return store.pipeline(pid) or next(p for p in store.pipelines if p["is_main"])


def materialize(store: Store, rec: dict[str, Any]) -> None:
    """Create the (hidden) entities of a v2 incoming item; ItemError/BadInput when one is refused."""
    uid, ents = rec["uid"], rec["incoming_entities"]
    pipeline = _pipeline_for(store, rec)
    made: dict[str, list[int]] = {"leads": [], "contacts": [], "companies": []}
    for kind in ("companies", "contacts"):
        for raw in ents.get(kind, []):
            made[kind].append(create_entity(store, kind, _clean(raw)))
    for raw in ents.get("leads", []) or [{"name": f"Сделка из неразобранного {uid[:8]}"}]:
        lead = {**_clean(raw), "contacts_id": made["contacts"], "pipeline_id": pipeline["id"],
                "status_id": pipeline.get("unsorted_status") or pipeline["statuses"][0][0]}
        if made["companies"]:
            lead["company_id"] = made["companies"][0]
        made["leads"].append(create_entity(store, "leads", lead))
    for cid in made["contacts"]:
        for comp in made["companies"][:1]:
            store.link(("contacts", cid), ("companies", comp))
    for kind, ids in made.items():
        for eid in ids:
            hide(store, kind, eid, uid)
    rec["made"] = made
    rec["pipeline_id"] = pipeline["id"]


def accept_item(store: Store, rec: dict[str, Any], user: int, status_id: int | None) -> dict[str, list[int]]:
    """Accept: the entities become ordinary, the lead moves to ``status_id`` or the first stage."""
    made: dict[str, list[int]] = rec["made"]
    pipeline = _pipeline_for(store, rec)
    for kind, ids in made.items():
        for eid in ids:
            if store.items[kind].get(eid) is None:
                continue
            hide(store, kind, eid, None)
            changes: dict[str, Any] = {"responsible_user_id": user}
            if kind == "leads":
                changes["status_id"] = status_id if status_id is not None else pipeline["statuses"][0][0]
                if changes["status_id"] in (142, 143):
                    changes["closed_at"] = int(time.time())
            store.items[kind][eid] = {**store.items[kind][eid], **changes}
    del store.incoming[rec["uid"]]
    store.incoming_accepted += 1
    return made


def decline_item(store: Store, rec: dict[str, Any]) -> dict[str, list[int]]:
    """Decline: the item's entities are deleted (for good: they never were ordinary ones) and it leaves the list."""
    made: dict[str, list[int]] = rec["made"]
    for kind, ids in made.items():
        for eid in ids:
            if store.items[kind].get(eid) is not None:
                del store.items[kind][eid]
                store.drop_links((kind, eid))
    del store.incoming[rec["uid"]]
    store.v4.unsorted_declined += 1
    return made


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
        if "made" in rec:
            if status is not None and store.pipeline_of_status(status, _pipeline_for(store, rec)["id"]) is None:
                raise BadInput(400, detail=f"accept {uid}: status_id {status} is not in the item's pipeline")
            data[uid] = accept_item(store, rec, user, status)
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
        rec = store.incoming.get(uid)
        if rec is not None and "made" in rec:
            decline_item(store, rec)
        else:
            store.incoming.pop(uid, None)
        data[uid] = rec is not None
    return json_response({"status": "success", "data": data,
                          "_links": _links("/api/v2/incoming_leads/decline", "post")}, 200, "application/json")


def summary(store: Store, req: Request) -> Response:
    counts = {"sip": 0, "mail": 0, "form": 0, "chat": 0}
    for rec in store.incoming.values():
        counts[rec["category"]] = counts.get(rec["category"], 0) + 1
    total = sum(counts.values())
    return json_response({**counts, "total": total, "avg_time": 0, "accepted": store.incoming_accepted,
                          "_links": _links("/api/v2/incoming_leads/summary", "get")}, 200, "application/json")

