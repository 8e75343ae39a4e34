"""Unsorted (incoming leads) in API v4: ``/api/v4/leads/unsorted`` — forms and sip add, list, get,
accept, decline (DELETE with a body), link, summary.

Items are the store's incoming leads, shared with v2's ``/api/v2/incoming_leads``: v2 names the
categories ``form``/``sip``/``chat``/``mail``, v4 ``forms``/``sip``/``chats``/``mail``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from ..incoming import accept_item, decline_item, hide
from ..read import RenderContext
from ..seed import SEED
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
    in_range,
    listing,
    one_or_many,
    range_of,
)
from .crm import Plan, apply_one, parse_item, render, request_id_of, users_ok

__all__ = ["ROUTES", "create_unsorted_for"]

_TO_V4 = {"form": "forms", "sip": "sip", "chat": "chats", "mail": "mail", "forms": "forms", "chats": "chats"}
_TO_V2 = {"forms": "form", "sip": "sip", "chats": "chat", "mail": "mail"}
_REQUIRED = {"forms": ("form_id", "form_name", "form_page", "ip", "form_sent_at"),
             "sip": ("uniq", "duration", "service_code", "phone", "called_at", "from"),
             "chats": ("from", "received_at", "service", "client", "origin")}
_INTS = {"forms": ("form_sent_at",), "sip": ("duration", "called_at"), "chats": ("received_at",)}


def _v2_info(category: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The v2 ``incoming_lead_info`` of v4 metadata (what the v2 face shows for the same item)."""
    if category == "sip":
        return {"to": meta.get("call_responsible"), "from": meta.get("from"), "date": meta.get("called_at"),
                "duration": meta.get("duration"), "service_code": meta.get("service_code"),
                "link": meta.get("link"), "uniq": meta.get("uniq"), "phone": meta.get("phone")}
    return {k: meta.get(k) for k in ("form_id", "form_name", "form_page", "ip", "referer", "visitor_uid")
            if meta.get(k) is not None}


def _v4_meta(rec: dict[str, Any]) -> dict[str, Any]:
    if "metadata" in rec:
        return dict(rec["metadata"])
    info = rec.get("incoming_lead_info", {})
    if rec["category"] == "sip":
        return {"from": info.get("from"), "phone": info.get("from"), "called_at": info.get("date"),
                "duration": as_int(info.get("duration")), "link": info.get("link"), "service_code": info.get("service_code"),
                "uniq": info.get("uniq"), "call_responsible": info.get("to")}
    return {"form_id": info.get("form_id"), "form_name": info.get("form_name"), "form_page": info.get("form_page"),
            "ip": info.get("ip"), "form_sent_at": rec.get("created_at"), "referer": info.get("referer")}


def create_unsorted_for(ctx: Ctx, category: str, meta: dict[str, Any], lead_id: int, contact_id: int | None,
                        company_id: int | None, source_name: str = "", source_uid: str | None = None,
                        created_at: int | None = None, request_id: str | None = None,
                        raw_entities: dict[str, Any] | None = None) -> str:
    """Register already created entities as one unaccepted incoming item (lead moved to "unsorted")."""
    store = ctx.store
    uid = secrets.token_hex(30)
    lead = store.items["leads"][lead_id]
    pipeline = store.pipeline(lead["pipeline_id"]) or store.pipelines[0]
    store.items["leads"][lead_id] = {**lead, "status_id": pipeline.get("unsorted_status") or lead["status_id"]}
    made = {"leads": [lead_id], "contacts": [contact_id] if contact_id else [],
            "companies": [company_id] if company_id else []}
    for kind, ids in made.items():
        for eid in ids:
            hide(store, kind, eid, uid)
    meta = {k: v for k, v in meta.items() if k != "category"}
    v2_category = _TO_V2.get(category, category)
    store.incoming[uid] = {
        "uid": uid, "category": v2_category, "source_name": source_name, "source_uid": source_uid,
        "created_at": created_at or int(time.time()), "pipeline_id": pipeline["id"],
        "incoming_lead_info": _v2_info(category, meta), "incoming_entities": raw_entities or {},
        "_fingerprint": f"v4:{category}:{source_uid or uid}", "made": made, "metadata": meta,
        "request_id": request_id}
    return uid


def _refs(ctx: Ctx, made: dict[str, list[int]]) -> dict[str, Any]:
    return {k: [{"id": i, "_links": ctx.link(f"{k}/{i}")} for i in ids] for k, ids in made.items()}


def _render(ctx: Ctx, rec: dict[str, Any], rc: RenderContext) -> dict[str, Any]:
    made = rec.get("made", {"leads": [], "contacts": [], "companies": []})
    emb: dict[str, Any] = {}
    for kind in ("leads", "contacts", "companies"):
        rows = [ctx.store.items[kind][i] for i in made.get(kind, []) if i in ctx.store.items[kind]]
        emb[kind] = [render(ctx, kind, r, set(), rc) for r in rows]
    return {"uid": rec["uid"], "source_uid": rec.get("source_uid"), "source_name": rec.get("source_name", ""),
            "category": _TO_V4.get(rec["category"], rec["category"]), "pipeline_id": rec.get("pipeline_id"),
            "created_at": rec["created_at"], "metadata": _v4_meta(rec), "account_id": SEED.ACCOUNT_ID,
            "_links": ctx.link(f"leads/unsorted/{rec['uid']}"), "_embedded": emb}


def list_unsorted(ctx: Ctx) -> Response:
    flt: dict[str, Any] = ctx.filter
    rows = list(ctx.store.incoming.values())
    if flt.get("uid") not in (None, ""):
        uids = {str(u) for u in one_or_many(flt["uid"])}
        rows = [r for r in rows if r["uid"] in uids]
    cats = {str(c) for c in one_or_many(flt.get("category"))}
    if cats:
        bad = cats - set(_TO_V2)
        if bad:
            raise V4Error(400, f"filter[category]: unknown category {', '.join(sorted(bad))}")
        rows = [r for r in rows if _TO_V4.get(r["category"]) in cats]
    if flt.get("pipeline_id") not in (None, ""):
        pid = as_int(flt["pipeline_id"])
        rows = [r for r in rows if r.get("pipeline_id") == pid]
    order = ctx.order
    rows.sort(key=lambda r: (r["created_at"], r["uid"]))
    for key in ("created_at", "updated_at"):
        if str(order.get(key, "")).lower() in ("asc", "desc"):
            rows.sort(key=lambda r: (r["created_at"], r["uid"]), reverse=str(order[key]).lower() == "desc")
    rc = RenderContext(ctx.store, False)
    return listing(ctx, "leads/unsorted", "unsorted", rows, lambda r: _render(ctx, r, rc))


def get_unsorted(ctx: Ctx) -> Response:
    rec = ctx.store.incoming.get(ctx.params["uid"])
    return no_content() if rec is None else hal(_render(ctx, rec, RenderContext(ctx.store, False)))


def _add(ctx: Ctx, category: str) -> Response:
    items = ctx.array_body()
    store = ctx.store
    invs: list[Invalid] = []
    plans: list[Any] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        if not isinstance(raw, dict):
            inv.type_error("", "object")
            plans.append(None)
            continue
        for key in ("source_name", "source_uid"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                inv.add(NOT_BLANK, key)
        uid_key = f"v4:{category}:{raw.get('source_uid')}"
        if uid_key in seen or any(r["_fingerprint"] == uid_key for r in store.incoming.values()):
            inv.add(NOT_CHOICE, "source_uid", "This item is already in the incoming leads.")
        seen.add(uid_key)
        pid = as_int(raw.get("pipeline_id")) if raw.get("pipeline_id") is not None else store.main_pipeline()
        pipeline = store.pipeline(pid) if pid is not None else None
        if pipeline is None:
            inv.add(NOT_CHOICE, "pipeline_id")
        elif not pipeline["is_unsorted_on"]:
            inv.add(NOT_CHOICE, "pipeline_id", "Incoming leads are off in this pipeline.")
        created_at = as_int(raw.get("created_at")) if raw.get("created_at") is not None else int(time.time())
        if created_at is None:
            inv.type_error("created_at", "int")
        meta = raw.get("metadata")
        if not isinstance(meta, dict):
            inv.add(NOT_BLANK, "metadata")
            meta = {}
        for key in _REQUIRED[category]:
            if meta.get(key) in (None, ""):
                inv.add(NOT_BLANK, f"metadata.{key}")
        for key in _INTS[category]:
            if meta.get(key) not in (None, "") and as_int(meta[key]) is None:
                inv.type_error(f"metadata.{key}", "int")
        emb: dict[str, Any] = raw["_embedded"] if isinstance(raw.get("_embedded"), dict) else {}
        subs: dict[str, Plan | None] = {}
        for kind in ("leads", "contacts", "companies"):
            refs = emb.get(kind) or []
            if not isinstance(refs, list):
                inv.type_error(f"_embedded.{kind}", "array")
                continue
            if len(refs) > 1:
                inv.add(TOO_MANY, f"_embedded.{kind}", "This collection should contain 1 element or less.")
                continue
            subs[kind] = parse_item(ctx, kind, refs[0], inv.request_id, None, inv, f"_embedded.{kind}.0.") \
                if refs else None
        plans.append(None if inv else (raw, pipeline, created_at, meta, subs, emb))
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for plan, inv in zip(plans, invs, strict=True):
        assert plan is not None
        raw, pipeline, created_at, meta, subs, emb = plan
        assert pipeline is not None
        made: dict[str, int | None] = {"contacts": None, "companies": None}
        for kind in ("companies", "contacts"):
            sub = subs.get(kind)
            if sub is not None:
                made[kind] = apply_one(ctx, sub)[0]
        lead = subs.get("leads") or Plan("leads", inv.request_id, None)
        if lead.item.get("name") is None:
            lead.item["name"] = f"{raw['source_name']}: {category}"
        lead.item["pipeline_id"] = pipeline["id"]
        lead.item.pop("status_id", None)
        if made["contacts"] is not None:
            lead.item["contacts_id"] = [made["contacts"]]
        if made["companies"] is not None:
            lead.item["company_id"] = made["companies"]
            if made["contacts"] is not None:
                store.link(("contacts", made["contacts"]), ("companies", made["companies"]))
        lead_id = apply_one(ctx, lead)[0]
        uid = create_unsorted_for(ctx, category, dict(meta), lead_id, made["contacts"], made["companies"],
                                  str(raw["source_name"]), str(raw["source_uid"]), created_at, inv.request_id,
                                  {k: v for k, v in emb.items() if k in ("leads", "contacts", "companies")})
        rec = store.incoming[uid]
        out.append({"uid": uid, "account_id": SEED.ACCOUNT_ID, "request_id": inv.request_id,
                    "_links": ctx.link(f"leads/unsorted/{uid}"), "_embedded": _refs(ctx, rec["made"])})
    return hal({"_total_items": len(out), "_embedded": {"unsorted": out}})


def add_forms(ctx: Ctx) -> Response:
    return _add(ctx, "forms")


def add_sip(ctx: Ctx) -> Response:
    return _add(ctx, "sip")


def add_chats(ctx: Ctx) -> Response:
    """Chats arrive through chat integrations; the docs say the API adds only forms and sip (the default).

    With the ``v4_unsorted_chats`` option on, this route accepts them too (metadata ``from``,
    ``received_at``, ``service``, ``client{name}``, ``origin{chat_id}``).
    """
    if not ctx.core.options.v4_unsorted_chats:
        raise V4Error(400, "Incoming leads of category chats arrive through chat integrations; the API adds only "
                           "forms and sip")
    return _add(ctx, "chats")


def _item(ctx: Ctx) -> dict[str, Any]:
    rec = ctx.store.incoming.get(ctx.params["uid"])
    if rec is None:
        raise V4Error(404, f"Incoming lead {ctx.params['uid']} not found")
    return rec


def _user(ctx: Ctx, body: dict[str, Any], inv: Invalid) -> int:
    if body.get("user_id") is None:
        return ctx.user_id
    uid = as_int(body["user_id"])
    if uid is None or not users_ok(ctx.store, uid):
        inv.add(NOT_CHOICE, "user_id")
        return ctx.user_id
    return uid


def accept(ctx: Ctx) -> Response:
    rec = _item(ctx)
    body = ctx.object_body(required=False)
    inv = Invalid("0")
    user = _user(ctx, body, inv)
    status: int | None = None
    if body.get("status_id") is not None:
        status = as_int(body["status_id"])
        pid = int(rec.get("pipeline_id") or 0)
        if status is None or ctx.store.pipeline_of_status(status, pid) is None \
                or status == (ctx.store.pipeline(pid) or {}).get("unsorted_status"):
            inv.add(NOT_CHOICE, "status_id")
    if inv:
        raise ValidationFailed([inv])
    made = accept_item(ctx.store, rec, user, status)
    return hal({"uid": rec["uid"], "category": _TO_V4.get(rec["category"]), "pipeline_id": rec.get("pipeline_id"),
                "created_at": rec["created_at"], "_embedded": _refs(ctx, made)})


def decline(ctx: Ctx) -> Response:
    rec = _item(ctx)
    inv = Invalid("0")
    _user(ctx, ctx.object_body(required=False), inv)
    if inv:
        raise ValidationFailed([inv])
    made = decline_item(ctx.store, rec)
    return hal({"uid": rec["uid"], "category": _TO_V4.get(rec["category"]), "pipeline_id": rec.get("pipeline_id"),
                "created_at": rec["created_at"], "_embedded": _refs(ctx, made)})


def link(ctx: Ctx) -> Response:
    """Attach a chat (or mail) item to an existing lead: its contact joins the lead, its own lead goes."""
    rec = _item(ctx)
    body = ctx.object_body()
    inv = Invalid("0")
    _user(ctx, body, inv)
    if _TO_V4.get(rec["category"]) not in ("chats", "mail"):
        inv.add(NOT_CHOICE, "category", "Only incoming chats (and mail) can be linked to an existing lead.")
    target = body.get("link")
    lead_id = None
    if not isinstance(target, dict):
        inv.add(NOT_BLANK, "link")
    else:
        if target.get("entity_type") != "leads":
            inv.add(NOT_CHOICE, "link.entity_type")
        lead_id = as_int(target.get("entity_id"))
        if lead_id is None or ctx.store.get("leads", lead_id) is None:
            inv.add(NOT_CHOICE, "link.entity_id")
    if inv:
        raise ValidationFailed([inv])
    assert lead_id is not None
    store = ctx.store
    made = rec["made"]
    for old_lead in made["leads"]:
        if old_lead in store.items["leads"]:
            del store.items["leads"][old_lead]
            store.drop_links(("leads", old_lead))
    for kind in ("contacts", "companies"):
        for eid in made[kind]:
            hide(store, kind, eid, None)
            store.link(("leads", lead_id), (kind, eid))
    del store.incoming[rec["uid"]]
    store.incoming_accepted += 1
    result = {"leads": [lead_id], "contacts": made["contacts"], "companies": made["companies"]}
    return hal({"uid": rec["uid"], "_embedded": _refs(ctx, result)})


def summary(ctx: Ctx) -> Response:
    flt: dict[str, Any] = ctx.filter
    rows = list(ctx.store.incoming.values())
    if flt.get("created_at") not in (None, ""):
        bounds = range_of(flt["created_at"], "filter[created_at]")
        rows = [r for r in rows if in_range(r["created_at"], bounds)]
    if flt.get("pipeline_id") not in (None, ""):
        pid = as_int(flt["pipeline_id"])
        rows = [r for r in rows if r.get("pipeline_id") == pid]
    cats = {"forms": 0, "sip": 0, "chats": 0, "mail": 0}
    for r in rows:
        key = str(_TO_V4.get(r["category"], r["category"]))
        cats[key] = cats.get(key, 0) + 1
    return hal({"total": len(rows), "accepted": ctx.store.incoming_accepted,
                "declined": ctx.store.v4.unsorted_declined, "average_sort_time": 0, "categories": cats})


ROUTES = [
    ("GET", "leads/unsorted", list_unsorted),
    ("GET", "leads/unsorted/summary", summary),
    ("POST", "leads/unsorted/forms", add_forms),
    ("POST", "leads/unsorted/sip", add_sip),
    ("POST", "leads/unsorted/chats", add_chats),
    ("GET", "leads/unsorted/{uid}", get_unsorted),
    ("POST", "leads/unsorted/{uid}/accept", accept),
    ("DELETE", "leads/unsorted/{uid}/decline", decline),
    ("POST", "leads/unsorted/{uid}/link", link),
]
