"""The rest of API v4: account, users, roles, webhooks, widgets, calls, sources, website buttons,
talks, short links, followers/subscriptions, files (entity files and the drive's ``/v1.0``),
chat templates, currencies, contacts' chats.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid as _uuid
from typing import Any

from .. import seed as S
from ..account import MAX_WEBHOOKS, WEBHOOK_EVENTS
from ..seed import SEED
from ..wire import Response, no_content
from .base import (
    NOT_BLANK,
    NOT_CHOICE,
    RANGE,
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
from .crm import request_id_of, users_ok
from .router import Router
from .state import CURRENCIES

__all__ = ["ROUTES", "drive_router", "WEBHOOK_SETTINGS", "ACCOUNT_CREATED_AT"]

ACCOUNT_CREATED_AT = 1577836800  # 2020-01-01
WEBHOOK_SETTINGS = frozenset(WEBHOOK_EVENTS | {
    "restore_customer", "add_talk", "update_talk", "add_chat_template_review", "add_unsorted", "update_unsorted",
    "delete_unsorted", "add_message", "add_catalog", "update_catalog", "delete_catalog"})


def _fail(inv: Invalid) -> None:
    if inv:
        raise ValidationFailed([inv])


# -- account -------------------------------------------------------------------------------------
def _with(ctx: Ctx) -> set[str]:
    return {w.strip() for w in ",".join(str(x) for x in one_or_many(ctx.q.get("with"))).split(",") if w.strip()}


def account(ctx: Ctx) -> Response:
    w = _with(ctx)
    st = ctx.store.v4
    mode = st.customers_mode if st.customers_mode == "unavailable" or st.customers_enabled else "disabled"
    body: dict[str, Any] = {
        "id": SEED.ACCOUNT_ID, "name": "Sandbox", "subdomain": ctx.store.subdomain, "created_at": ACCOUNT_CREATED_AT,
        "created_by": SEED.USER_ADMIN, "updated_at": ACCOUNT_CREATED_AT, "updated_by": SEED.USER_ADMIN,
        "current_user_id": ctx.user_id, "country": "RU", "currency": "RUB", "currency_symbol": "₽",
        "customers_mode": mode, "is_unsorted_on": True, "is_loss_reason_enabled": True, "is_helpbot_enabled": False,
        "is_technical_account": False, "contact_name_display_order": 1, "mobile_feature_version": 0}
    if "uuid" in w:
        body["uuid"] = str(_uuid.uuid5(_uuid.NAMESPACE_URL, f"amocrm-sandbox:{SEED.ACCOUNT_ID}"))
    if "amojo_id" in w:
        body["amojo_id"] = hashlib.md5(f"amojo:{SEED.ACCOUNT_ID}".encode()).hexdigest()
    if "version" in w:
        body["version"] = 11
    if "drive_url" in w:
        body["drive_url"] = ctx.base
    if "is_api_filter_enabled" in w:
        body["is_api_filter_enabled"] = True
    if "invoices_settings" in w:
        invoices = next((c["id"] for c in ctx.store.items["catalogs"].values() if c["type"] == "invoices"), None)
        body["invoices_settings"] = {"lang": "ru", "invoices_catalog_id": invoices}
    body["_links"] = ctx.link("account")
    emb: dict[str, Any] = {}
    if "amojo_rights" in w:
        emb["amojo_rights"] = {"can_direct": True, "can_create_groups": True}
    if "users_groups" in w:
        emb["users_groups"] = [{"id": gid, "name": name, "uuid": None} for gid, name in S.GROUPS.items()]
    if "task_types" in w:
        emb["task_types"] = [{"id": tid, "name": name, "color": None, "icon_id": None,
                              "code": {1: "FOLLOW_UP", 2: "MEETING"}.get(tid)} for tid, name in SEED.TASK_TYPES.items()]
    if "datetime_settings" in w:
        emb["datetime_settings"] = {"date_pattern": "d.m.Y H:i", "short_date_pattern": "d.m.Y",
                                    "short_time_pattern": "H:i", "date_format": "d.m.Y", "time_format": "H:i:s",
                                    "timezone": "Europe/Moscow", "timezone_offset": "+03:00"}
    if "entity_names" in w:
        emb["entity_names"] = {
            "leads": {"ru": {"gender": "f", "plural_form": {"dative": "сделкам", "default": "сделки",
                                                             "genitive": "сделок", "accusative": "сделки",
                                                             "instrumental": "сделками", "prepositional": "сделках"},
                             "singular_form": {"dative": "сделке", "default": "сделка", "genitive": "сделки",
                                               "accusative": "сделку", "instrumental": "сделкой",
                                               "prepositional": "сделке"}}}}
    if emb:
        body["_embedded"] = emb
    return hal(body)


# -- users and roles -----------------------------------------------------------------------------
def _render_user(ctx: Ctx, u: dict[str, Any], w: set[str], request_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": u["id"], "name": u["name"], "email": u["email"], "lang": u["lang"],
                           "rights": u["rights"]}
    for key in ("uuid", "amojo_id", "user_rank", "phone_number"):
        if key in w:
            out[key] = u.get(key)
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"users/{u['id']}")
    emb: dict[str, Any] = {}
    if "role" in w:
        role = ctx.store.v4.roles.get(u["rights"].get("role_id") or 0)
        emb["roles"] = [{"id": role["id"], "name": role["name"], "_links": ctx.link(f"roles/{role['id']}")}] \
            if role else []
    if "group" in w:
        gid = u["rights"].get("group_id") or 0
        emb["groups"] = [{"id": gid, "name": S.GROUPS.get(gid, "")}]
    if emb:
        out["_embedded"] = emb
    return out


def _counted(ctx: Ctx, path: str, key: str, rows: list[Any], render: Any) -> Response:
    page = page_params(ctx)
    count = max(1, -(-len(rows) // page.limit))
    return listing(ctx, path, key, rows, render, page, {"_total_items": len(rows), "_page_count": count})


def list_users(ctx: Ctx) -> Response:
    w = _with(ctx)
    rows = sorted(ctx.store.v4.users.values(), key=lambda u: u["id"])
    return _counted(ctx, "users", "users", rows, lambda u: _render_user(ctx, u, w))


def get_user(ctx: Ctx) -> Response:
    u = ctx.store.v4.users.get(ctx.pid())
    return no_content() if u is None else hal(_render_user(ctx, u, _with(ctx)))


_NAME_OK = re.compile(r"^[\w .@\-]{1,50}$", re.UNICODE)


def _rights(raw: Any, inv: Invalid, prefix: str = "rights") -> dict[str, Any] | None:
    from .state import default_rights

    base = default_rights(False)
    if raw is None:
        return base
    if not isinstance(raw, dict):
        inv.type_error(prefix, "object")
        return None
    for entity in ("leads", "contacts", "companies"):
        block = raw.get(entity)
        if block is None:
            continue
        if not isinstance(block, dict):
            inv.type_error(f"{prefix}.{entity}", "object")
            continue
        for action, value in block.items():
            allowed = ("A", "D") if action == "add" else ("A", "G", "M", "D", "L")
            if action not in ("view", "edit", "add", "delete", "export") or value not in allowed:
                inv.add(NOT_CHOICE, f"{prefix}.{entity}.{action}")
        base[entity] = {**base[entity], **block}
    for key in ("mail_access", "catalog_access", "is_admin", "is_free"):
        if key in raw:
            if not isinstance(raw[key], bool):
                inv.type_error(f"{prefix}.{key}", "bool")
            else:
                base[key] = raw[key]
    if "tasks" in raw and isinstance(raw["tasks"], dict):
        base["tasks"] = {**base["tasks"], **raw["tasks"]}
    if raw.get("group_id") is not None:
        gid = as_int(raw["group_id"])
        if gid not in S.GROUPS:
            inv.add(NOT_CHOICE, f"{prefix}.group_id")
        else:
            base["group_id"] = gid
    return base


def add_users(ctx: Ctx) -> Response:
    items = ctx.array_body(limit=10)
    st = ctx.store.v4
    if len(st.users) + len(items) > 100:
        raise V4Error(403, "The account already has 100 users: no more can be added")
    invs: list[Invalid] = []
    made: list[Any] = []
    emails = {u["email"].lower() for u in st.users.values()}
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        if not isinstance(raw, dict):
            inv.type_error("", "object")
            made.append(None)
            continue
        name, email, password = raw.get("name"), raw.get("email"), raw.get("password")
        if not isinstance(name, str) or not name.strip():
            inv.add(NOT_BLANK, "name")
        elif not _NAME_OK.match(name) or "http" in name.lower():
            inv.add("InvalidValue", "name", "The name may have at most 50 characters and no links or special symbols.")
        if not isinstance(email, str) or "@" not in email:
            inv.add(NOT_BLANK if email is None else "InvalidValue", "email")
        elif email.lower() in emails:
            inv.add(NOT_CHOICE, "email", "A user with this e-mail already exists.")
        if not isinstance(password, str) or len(password) < 6 or not re.search(r"\d", password) \
                or not re.search(r"[a-zа-я]", password) or not re.search(r"[A-ZА-Я]", password):
            inv.add("InvalidValue", "password",
                    "The password needs at least 6 characters with a digit, an upper- and a lower-case letter.")
        if raw.get("lang") not in (None, "ru", "en", "es", "pt"):
            inv.add(NOT_CHOICE, "lang")
        rights = _rights(raw.get("rights"), inv)
        if isinstance(email, str):
            emails.add(email.lower())
        made.append(None if inv or not isinstance(name, str) or not isinstance(password, str) else {
            "name": name.strip(), "email": email, "lang": raw.get("lang") or "ru",
                                      "rights": rights, "uuid": str(_uuid.uuid4()), "amojo_id": None,
                                      "user_rank": "newbie", "phone_number": None,
                                      "password": hashlib.sha256(password.encode()).hexdigest()})
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for u, inv in zip(made, invs, strict=True):
        assert u is not None
        st.next_user += 1
        u["id"] = st.next_user
        st.users[u["id"]] = u
        out.append(_render_user(ctx, u, set(), inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"users": out}})


def _activation(ctx: Ctx, active: bool) -> Response:
    items = ctx.array_body(limit=10)
    invs = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        uid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        if uid is None or uid not in ctx.store.v4.users:
            inv.add(NOT_CHOICE if uid is not None else NOT_BLANK, "id")
        elif uid == ctx.user_id and not active:
            inv.add(NOT_CHOICE, "id", "You cannot deactivate yourself.")
        invs.append(inv)
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    for raw in items:
        user = ctx.store.v4.users[int(raw["id"])]
        user["rights"] = {**user["rights"], "is_active": active}
    return no_content()


def activate_users(ctx: Ctx) -> Response:
    return _activation(ctx, True)


def deactivate_users(ctx: Ctx) -> Response:
    return _activation(ctx, False)


def _render_role(ctx: Ctx, r: dict[str, Any], w: set[str], request_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r["id"], "name": r["name"], "rights": r["rights"]}
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"roles/{r['id']}")
    if "users" in w:
        out["_embedded"] = {"users": [{"id": u["id"]} for u in ctx.store.v4.users.values()
                                      if u["rights"].get("role_id") == r["id"]]}
    return out


def list_roles(ctx: Ctx) -> Response:
    w = _with(ctx)
    rows = sorted(ctx.store.v4.roles.values(), key=lambda r: r["id"])
    return _counted(ctx, "roles", "roles", rows, lambda r: _render_role(ctx, r, w))


def get_role(ctx: Ctx) -> Response:
    r = ctx.store.v4.roles.get(ctx.pid())
    return no_content() if r is None else hal(_render_role(ctx, r, _with(ctx)))


def _role_fields(raw: Any, inv: Invalid, create: bool) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    out: dict[str, Any] = {}
    if "name" in raw or create:
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            inv.add(NOT_BLANK, "name")
        else:
            out["name"] = raw["name"].strip()
    if "rights" in raw or create:
        rights = _rights(raw.get("rights"), inv)
        if rights is not None:
            out["rights"] = {k: v for k, v in rights.items()
                             if k not in ("is_admin", "is_free", "is_active", "group_id", "role_id")}
    return None if inv else out


def add_roles(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_role_fields(r, inv, True) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    st = ctx.store.v4
    out = []
    for fields, inv in zip(parsed, invs, strict=True):
        assert fields is not None
        rid = st.next_role
        st.next_role += 1
        st.roles[rid] = {"id": rid, **fields}
        out.append(_render_role(ctx, st.roles[rid], set(), inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"roles": out}})


def update_role(ctx: Ctx) -> Response:
    r = ctx.store.v4.roles.get(ctx.pid())
    if r is None:
        raise V4Error(404, "Role not found")
    inv = Invalid("0")
    fields = _role_fields(ctx.object_body(), inv, False)
    if fields is None:
        raise ValidationFailed([inv])
    r.update(fields)
    return hal(_render_role(ctx, r, set()))


def delete_role(ctx: Ctx) -> Response:
    rid = ctx.pid()
    if ctx.store.v4.roles.pop(rid, None) is None:
        raise V4Error(404, "Role not found")
    for u in ctx.store.v4.users.values():
        if u["rights"].get("role_id") == rid:
            u["rights"] = {**u["rights"], "role_id": None}
    return no_content()


# -- webhooks ------------------------------------------------------------------------------------
def _render_hook(h: dict[str, Any]) -> dict[str, Any]:
    return {"id": h["id"], "destination": h["url"], "created_at": h.get("created_at", ACCOUNT_CREATED_AT),
            "updated_at": h.get("updated_at", ACCOUNT_CREATED_AT), "account_id": SEED.ACCOUNT_ID,
            "created_by": h.get("created_by", SEED.USER_ADMIN), "sort": h.get("sort", 1),
            "disabled": h.get("disabled", False), "settings": list(h["events"])}


def list_webhooks(ctx: Ctx) -> Response:
    hooks = list(ctx.store.webhooks)
    flt = ctx.filter
    if flt.get("destination") not in (None, ""):
        hooks = [h for h in hooks if h["url"] == str(flt["destination"])]
    if not hooks:
        return no_content()
    return hal({"_total_items": len(hooks), "_embedded": {"webhooks": [_render_hook(h) for h in hooks]}})


def add_webhook(ctx: Ctx) -> Response:
    """One object; POSTing a destination that exists replaces its settings (and sort)."""
    body = ctx.object_body()
    inv = Invalid("0")
    url = body.get("destination")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        inv.add(NOT_BLANK if url is None else "InvalidValue", "destination")
    settings = body.get("settings")
    if not isinstance(settings, list) or not settings:
        inv.add(NOT_BLANK, "settings")
    else:
        for i, s in enumerate(settings):
            if s not in WEBHOOK_SETTINGS:
                inv.add(NOT_CHOICE, f"settings.{i}")
    sort = as_int(body.get("sort", 1))
    if sort is None:
        inv.type_error("sort", "int")
    store = ctx.store
    hook = next((h for h in store.webhooks if h["url"] == url), None)
    if hook is None and len(store.webhooks) >= MAX_WEBHOOKS:
        inv.add(TOO_MANY, "destination", f"The account already has {MAX_WEBHOOKS} webhooks.")
    _fail(inv)
    assert isinstance(settings, list)
    now = int(time.time())
    if hook is None:
        hook = {"id": store.next_webhook, "url": url, "events": [], "created_at": now,
                "created_by": ctx.user_id, "disabled": False}
        store.next_webhook += 1
        store.webhooks.append(hook)
    hook.update(events=list(dict.fromkeys(str(s) for s in settings)), sort=sort, updated_at=now)
    return hal(_render_hook(hook))


def delete_webhook(ctx: Ctx) -> Response:
    body = ctx.object_body()
    url = body.get("destination")
    hook = next((h for h in ctx.store.webhooks if h["url"] == url), None)
    if hook is None:
        inv = Invalid("0")
        inv.add(NOT_BLANK if url is None else NOT_CHOICE, "destination")
        raise ValidationFailed([inv])
    ctx.store.webhooks.remove(hook)
    return no_content()


# -- widgets -------------------------------------------------------------------------------------
def _render_widget(ctx: Ctx, w: dict[str, Any]) -> dict[str, Any]:
    installed = w["widget_code"] in ctx.store.v4.widgets
    out: dict[str, Any] = {
        "id": w["widget_id"], "code": w["widget_code"], "version": "1.0.0", "rating": str(w.get("rating", 0)),
        "settings_template": [{"key": k, "name": v.get("name", k), "type": v.get("type", "text"),
                               "is_required": bool(v.get("required"))} for k, v in w["settings_template"].items()],
        "is_lead_source": bool(w.get("is_lead_source")), "is_work_with_dp": bool(w.get("dp_ready")),
        "is_crm_template": False, "client_uuid": None, "is_active_in_account": installed, "pipeline_id": None}
    if installed:
        out["settings"] = dict(ctx.store.v4.widgets[w["widget_code"]])
    out["_links"] = ctx.link(f"widgets/{w['widget_code']}")
    return out


def _widget(code: str) -> dict[str, Any]:
    w = next((x for x in S.WIDGETS if x["widget_code"] == code), None)
    if w is None:
        raise V4Error(404, f"Widget {code} not found")
    return w


def list_widgets(ctx: Ctx) -> Response:
    return listing(ctx, "widgets", "widgets", list(S.WIDGETS), lambda w: _render_widget(ctx, w))


def get_widget(ctx: Ctx) -> Response:
    w = next((x for x in S.WIDGETS if x["widget_code"] == ctx.params["code"]), None)
    return no_content() if w is None else hal(_render_widget(ctx, w))


def install_widget(ctx: Ctx) -> Response:
    w = _widget(ctx.params["code"])
    body = ctx.object_body(required=False)
    inv = Invalid("0")
    settings = body.get("settings", body) if isinstance(body.get("settings"), dict) else body
    for key, spec in w["settings_template"].items():
        if spec.get("required") and settings.get(key) in (None, ""):
            inv.add(NOT_BLANK, key)
    _fail(inv)
    ctx.store.v4.widgets[w["widget_code"]] = {k: settings[k] for k in w["settings_template"] if k in settings}
    return hal(_render_widget(ctx, w))


def uninstall_widget(ctx: Ctx) -> Response:
    w = _widget(ctx.params["code"])
    ctx.store.v4.widgets.pop(w["widget_code"], None)
    return no_content()


def bot_continue(ctx: Ctx) -> Response:
    body = ctx.object_body(required=False)
    if "execute_handlers" in body and not isinstance(body["execute_handlers"], list):
        inv = Invalid("0")
        inv.type_error("execute_handlers", "array")
        raise ValidationFailed([inv])
    return Response(202, b"", None)


# -- calls ---------------------------------------------------------------------------------------
def _by_phone(ctx: Ctx, phone: str) -> tuple[str, int] | None:
    digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
    if len(digits) < 5:
        return None
    store = ctx.store
    for kind in ("contacts", "companies"):
        defs = store.field_defs(kind)
        for eid, rec in sorted(store.items[kind].items()):
            if rec.get("is_deleted") or rec.get("unsorted_uid"):
                continue
            for fid, values in rec["custom_fields"].items():
                fd = defs.get(fid)
                if fd is not None and fd.code == "PHONE" and any(
                        "".join(ch for ch in str(v.get("value", "")) if ch.isdigit())[-10:] == digits for v in values):
                    return kind, eid
    return None


def _call_target(ctx: Ctx, kind: str, eid: int) -> tuple[str, int]:
    store = ctx.store
    leads = [lid for lid in store.linked(kind, eid, "leads")
             if store.items["leads"][lid]["status_id"] not in (SEED.STATUS_WON, SEED.STATUS_LOST)]
    customers = store.linked(kind, eid, "customers")
    if len(leads) == 1 and not customers:
        return "leads", leads[0]
    if len(customers) == 1 and not leads:
        return "customers", customers[0]
    return kind, eid


def add_calls(ctx: Ctx) -> Response:
    from ..entities import create_entity

    items = ctx.array_body()
    invs = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        if not isinstance(raw, dict):
            inv.type_error("", "object")
            continue
        if raw.get("direction") not in ("inbound", "outbound"):
            inv.add(NOT_BLANK if raw.get("direction") is None else NOT_CHOICE, "direction")
        if as_int(raw.get("duration")) is None:
            inv.add(NOT_BLANK, "duration") if raw.get("duration") is None else inv.type_error("duration", "int")
        for key in ("source", "phone"):
            if not isinstance(raw.get(key), (str, int)) or isinstance(raw.get(key), bool) or str(raw.get(key)) == "":
                inv.add(NOT_BLANK, key)
        status = raw.get("call_status")
        if status is not None and (as_int(status) is None or not 1 <= int(status) <= 8):
            inv.add(NOT_CHOICE, "call_status")
        for key in ("responsible_user_id", "created_by"):
            if raw.get(key) is not None and not users_ok(ctx.store, as_int(raw[key]) or -1, robot_ok=True):
                inv.add(NOT_CHOICE, key)
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out, errors = [], []
    st = ctx.store.v4
    for raw, inv in zip(items, invs, strict=True):
        found = _by_phone(ctx, str(raw["phone"]))
        if found is None:
            errors.append({"request_id": inv.request_id, "title": "Entity not found", "status": 400,
                           "detail": f"No contact or company has the phone {raw['phone']}"})
            continue
        kind, eid = _call_target(ctx, *found)
        cid = st.next_call
        st.next_call += 1
        code = 10 if raw["direction"] == "inbound" else 11
        params = {"uniq": str(raw.get("uniq") or secrets.token_hex(8)), "duration": int(raw["duration"]),
                  "source": str(raw["source"]), "link": raw.get("link"), "phone": str(raw["phone"]),
                  "call_result": raw.get("call_result"), "call_status": raw.get("call_status"),
                  "call_responsible": raw.get("call_responsible")}
        etype = {"contacts": 1, "leads": 2, "companies": 3, "customers": 12}[kind]
        note = {"element_id": eid, "element_type": etype, "note_type": code, "params": params, "text": ""}
        if raw.get("created_by") is not None:
            note["created_by"] = int(raw["created_by"])
        if raw.get("responsible_user_id") is not None:
            note["responsible_user_id"] = int(raw["responsible_user_id"])
        create_entity(ctx.store, "notes", note)
        st.calls.append({"id": cid, "entity_id": eid, "entity_type": kind, **params})
        out.append({"id": cid, "entity_id": eid, "entity_type": kind, "account_id": SEED.ACCOUNT_ID,
                    "request_id": inv.request_id,
                    "_embedded": {"entity": {"id": eid, "_links": ctx.link(f"{kind}/{eid}")}}})
    return hal({"_total_items": len(out), "_embedded": {"calls": out}, "errors": errors})


# -- sources -------------------------------------------------------------------------------------
SOURCES_LIMIT = 50


def _render_source(ctx: Ctx, s: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    out = {k: v for k, v in s.items() if k != "is_deleted"}
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"sources/{s['id']}")
    return out


def _live_sources(ctx: Ctx) -> list[dict[str, Any]]:
    return [s for s in ctx.store.v4.sources.values() if not s["is_deleted"]]


def list_sources(ctx: Ctx) -> Response:
    rows = sorted(_live_sources(ctx), key=lambda s: s["id"])
    flt = ctx.filter
    if flt.get("external_id") not in (None, ""):
        ext = {str(e) for e in one_or_many(flt["external_id"])}
        rows = [s for s in rows if s["external_id"] in ext]
    if not rows:
        return no_content()
    return hal({"_total_items": len(rows), "_links": ctx.link("sources", echo=True),
                "_embedded": {"sources": [_render_source(ctx, s) for s in rows]}})


def get_source(ctx: Ctx) -> Response:
    s = ctx.store.v4.sources.get(ctx.pid())
    return no_content() if s is None or s["is_deleted"] else hal(_render_source(ctx, s))


def _source_fields(ctx: Ctx, raw: Any, inv: Invalid, create: bool) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    out: dict[str, Any] = {}
    for key in ("name", "external_id"):
        if key in raw or create:
            if not isinstance(raw.get(key), (str, int)) or isinstance(raw.get(key), bool) or not str(raw[key]).strip():
                inv.add(NOT_BLANK, key)
            else:
                out[key] = str(raw[key]).strip()
    if "pipeline_id" in raw:
        pid = as_int(raw["pipeline_id"]) if raw["pipeline_id"] is not None else None
        if raw["pipeline_id"] is not None and (pid is None or ctx.store.pipeline(pid) is None):
            inv.add(NOT_CHOICE, "pipeline_id")
        else:
            out["pipeline_id"] = pid
    if "default" in raw:
        if not isinstance(raw["default"], bool):
            inv.type_error("default", "bool")
        else:
            out["default"] = raw["default"]
    if "origin_code" in raw:
        out["origin_code"] = raw["origin_code"]
    if "services" in raw:
        if not isinstance(raw["services"], list):
            inv.type_error("services", "array")
        else:
            out["services"] = raw["services"]
    return None if inv else out


def add_sources(ctx: Ctx) -> Response:
    items = ctx.array_body()
    st = ctx.store.v4
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_source_fields(ctx, r, inv, True) for r, inv in zip(items, invs, strict=True)]
    live = _live_sources(ctx)
    new_ext = [p["external_id"] for p in parsed if p is not None]
    for p, inv in zip(parsed, invs, strict=True):
        if p is not None and (any(s["external_id"] == p["external_id"] for s in live)
                              or new_ext.count(p["external_id"]) > 1):
            inv.add(NOT_CHOICE, "external_id", "A source with this external_id exists.")
    if len(live) + len(items) > SOURCES_LIMIT:
        invs[0].add(TOO_MANY, "", f"An integration may have at most {SOURCES_LIMIT} active sources.")
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for fields, inv in zip(parsed, invs, strict=True):
        assert fields is not None
        old = next((s for s in st.sources.values() if s["external_id"] == fields["external_id"]), None)
        sid = old["id"] if old is not None else st.next_source
        if old is None:
            st.next_source += 1
        st.sources[sid] = {"id": sid, "name": fields["name"], "pipeline_id": fields.get("pipeline_id"),
                           "external_id": fields["external_id"], "default": fields.get("default", False),
                           "origin_code": fields.get("origin_code"), "services": fields.get("services", []),
                           "is_deleted": False}
        out.append(_render_source(ctx, st.sources[sid], inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"sources": out}})


def _patch_source(ctx: Ctx, s: dict[str, Any], raw: Any, inv: Invalid) -> dict[str, Any] | None:
    fields = _source_fields(ctx, raw, inv, False)
    if fields and "external_id" in fields and fields["external_id"] != s["external_id"] and any(
            x["external_id"] == fields["external_id"] for x in _live_sources(ctx)):
        inv.add(NOT_CHOICE, "external_id")
        return None
    return fields


def update_sources(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs: list[Invalid] = []
    plans: list[Any] = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        sid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        s = ctx.store.v4.sources.get(sid) if sid is not None else None
        if s is None or s["is_deleted"]:
            inv.add(NOT_CHOICE if sid is not None else NOT_BLANK, "id")
            plans.append(None)
            continue
        plans.append((s, _patch_source(ctx, s, raw, inv)))
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for plan, inv in zip(plans, invs, strict=True):
        assert plan is not None and plan[1] is not None
        plan[0].update(plan[1])
        out.append(_render_source(ctx, plan[0], inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"sources": out}})


def update_source(ctx: Ctx) -> Response:
    s = ctx.store.v4.sources.get(ctx.pid())
    if s is None or s["is_deleted"]:
        raise V4Error(404, "Source not found")
    inv = Invalid("0")
    fields = _patch_source(ctx, s, ctx.object_body(), inv)
    if fields is None:
        raise ValidationFailed([inv])
    s.update(fields)
    return hal(_render_source(ctx, s))


def delete_sources(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        sid = as_int(raw.get("id")) if isinstance(raw, dict) else as_int(raw)
        s = ctx.store.v4.sources.get(sid) if sid is not None else None
        if s is None or s["is_deleted"]:
            inv.add(NOT_CHOICE, "id")
        invs.append(inv)
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    for raw in items:
        sid = as_int(raw.get("id")) if isinstance(raw, dict) else as_int(raw)
        assert sid is not None
        ctx.store.v4.sources[sid]["is_deleted"] = True
    return no_content()


def delete_source(ctx: Ctx) -> Response:
    s = ctx.store.v4.sources.get(ctx.pid())
    if s is None or s["is_deleted"]:
        raise V4Error(404, "Source not found")
    s["is_deleted"] = True
    return no_content()


# -- website buttons -----------------------------------------------------------------------------
def _render_button(ctx: Ctx, b: dict[str, Any], w: set[str]) -> dict[str, Any]:
    out = {"account_id": SEED.ACCOUNT_ID, "source_id": b["source_id"], "button_id": b["button_id"],
           "name": b["name"], "pipeline_id": b["pipeline_id"], "creation_status": "created",
           "is_duplication_control_enabled": False, "trusted_websites": list(b["trusted_websites"]),
           "is_used_in_app": b["is_used_in_app"], "is_deleted": b["is_deleted"]}
    if "scripts" in w:
        out["script"] = f"<script>(function(a,m,o){{/* amoCRM sandbox button {b['button_id']} */}})()</script>"
    out["_links"] = ctx.link(f"website_buttons/{b['source_id']}")
    return out


def _sites(raw: Any, path: str, inv: Invalid) -> list[str]:
    if not isinstance(raw, list) or any(not isinstance(s, str) or not s for s in raw):
        inv.type_error(path, "string[]")
        return []
    return [str(s) for s in raw]


def add_button(ctx: Ctx) -> Response:
    body = ctx.object_body()
    inv = Invalid("0")
    pid = as_int(body.get("pipeline_id"))
    if pid is None or ctx.store.pipeline(pid) is None:
        inv.add(NOT_BLANK if body.get("pipeline_id") is None else NOT_CHOICE, "pipeline_id")
    sites = _sites(body.get("trusted_websites", []), "trusted_websites", inv)
    if "is_used_in_app" in body and not isinstance(body["is_used_in_app"], bool):
        inv.type_error("is_used_in_app", "bool")
    _fail(inv)
    st = ctx.store.v4
    sid = st.next_source
    st.next_source += 1
    name = f"Кнопка на сайт #{st.next_button}"
    st.sources[sid] = {"id": sid, "name": name, "pipeline_id": pid, "external_id": f"website_button_{sid}",
                       "default": False, "origin_code": "website_button", "services": [], "is_deleted": False}
    st.website_buttons[sid] = {"source_id": sid, "button_id": st.next_button, "name": name, "pipeline_id": pid,
                               "trusted_websites": sites, "is_used_in_app": bool(body.get("is_used_in_app")),
                               "is_deleted": False, "online_chat": False}
    st.next_button += 1
    return hal({"source_id": sid, "trusted_websites": sites, "name": name})


def list_buttons(ctx: Ctx) -> Response:
    w = _with(ctx)
    rows = [b for b in ctx.store.v4.website_buttons.values() if "deleted" in w or not b["is_deleted"]]
    return listing(ctx, "website_buttons", "website_buttons", sorted(rows, key=lambda b: b["source_id"]),
                   lambda b: _render_button(ctx, b, w))


def _button(ctx: Ctx) -> dict[str, Any]:
    b = ctx.store.v4.website_buttons.get(ctx.pid())
    if b is None:
        raise V4Error(404, "Website button not found")
    return b


def get_button(ctx: Ctx) -> Response:
    b = ctx.store.v4.website_buttons.get(ctx.pid())
    return no_content() if b is None else hal(_render_button(ctx, b, _with(ctx)))


def update_button(ctx: Ctx) -> Response:
    b = _button(ctx)
    body = ctx.object_body()
    inv = Invalid("0")
    add: list[str] = []
    if "trusted_websites" in body:
        tw = body["trusted_websites"]
        if not isinstance(tw, dict) or "add" not in tw:
            inv.type_error("trusted_websites", "object {add: string[]}")
        else:
            add = _sites(tw["add"], "trusted_websites.add", inv)
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        inv.add(NOT_BLANK, "name")
    _fail(inv)
    b["trusted_websites"] = list(dict.fromkeys([*b["trusted_websites"], *add]))
    if "name" in body:
        b["name"] = body["name"].strip()
    return hal(_render_button(ctx, b, set()))


def button_online_chat(ctx: Ctx) -> Response:
    _button(ctx)["online_chat"] = True
    return no_content()


# -- talks ---------------------------------------------------------------------------------------
def _render_talk(ctx: Ctx, t: dict[str, Any]) -> dict[str, Any]:
    out = dict(t)
    out["_links"] = ctx.link(f"talks/{t['talk_id']}")
    emb: dict[str, Any] = {"contacts": [{"id": t["contact_id"], "_links": ctx.link(f"contacts/{t['contact_id']}")}]}
    if t["entity_type"] == "lead":
        emb["leads"] = [{"id": t["entity_id"], "_links": ctx.link(f"leads/{t['entity_id']}")}]
    elif t["entity_type"] == "customer":
        emb["customers"] = [{"id": t["entity_id"], "_links": ctx.link(f"customers/{t['entity_id']}")}]
    out["_embedded"] = emb
    return out


def get_talk(ctx: Ctx) -> Response:
    t = ctx.store.v4.talks.get(ctx.pid())
    return no_content() if t is None else hal(_render_talk(ctx, t))


def close_talk(ctx: Ctx) -> Response:
    t = ctx.store.v4.talks.get(ctx.pid())
    if t is None:
        raise V4Error(404, "Talk not found")
    body = ctx.object_body(required=False)
    if "force_close" in body and not isinstance(body["force_close"], bool):
        inv = Invalid("0")
        inv.type_error("force_close", "bool")
        raise ValidationFailed([inv])
    t.update(status="closed" if body.get("force_close") else "nps_scheduled", is_in_work=False,
             updated_at=int(time.time()))
    return no_content()


# -- short links ---------------------------------------------------------------------------------
def add_short_links(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        if not isinstance(raw, dict):
            inv.type_error("", "object")
            continue
        if not isinstance(raw.get("url"), str) or not raw["url"].startswith(("http://", "https://")):
            inv.add(NOT_BLANK if raw.get("url") is None else "InvalidValue", "url")
        meta = raw.get("metadata")
        if not isinstance(meta, dict):
            inv.add(NOT_BLANK, "metadata")
            continue
        if meta.get("entity_type") != "contacts":
            inv.add(NOT_CHOICE, "metadata.entity_type")
        eid = as_int(meta.get("entity_id"))
        if eid is None or ctx.store.get("contacts", eid) is None:
            inv.add(NOT_CHOICE, "metadata.entity_id")
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for raw in items:
        code = secrets.token_urlsafe(6)
        short = f"{ctx.base}/l/{code}"
        entry = {"url": short, "metadata": {"entity_type": "contacts", "entity_id": int(raw["metadata"]["entity_id"])}}
        ctx.store.v4.short_links.append({**entry, "target": raw["url"]})
        out.append(entry)
    return hal({"_embedded": {"short_links": out}})


# -- followers and subscriptions -----------------------------------------------------------------
def _subject(ctx: Ctx) -> tuple[str, int]:
    kind, eid = ctx.params["entity"], ctx.pid()
    if ctx.store.get(kind, eid) is None:
        raise V4Error(404, f"Entity {eid} not found")
    return kind, eid


def list_followers(ctx: Ctx) -> Response:
    key = _subject(ctx)
    rows = ctx.store.v4.followers.get(key, [])
    page = page_params(ctx)
    return listing(ctx, f"{key[0]}/{key[1]}/followers", "followers", rows,
                   lambda f: {**f, "_links": ctx.link(f"users/{f['user_id']}")}, page, {"_total_items": len(rows)})


def _follower_ids(ctx: Ctx) -> list[int]:
    items = ctx.array_body()
    invs = []
    ids = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        uid = as_int(raw.get("user_id")) if isinstance(raw, dict) else None
        if uid is None or not users_ok(ctx.store, uid):
            inv.add(NOT_CHOICE if uid is not None else NOT_BLANK, "user_id")
        else:
            ids.append(uid)
        invs.append(inv)
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    return ids


def add_followers(ctx: Ctx) -> Response:
    key = _subject(ctx)
    st = ctx.store.v4
    rows = st.followers.setdefault(key, [])
    for uid in _follower_ids(ctx):
        if not any(f["user_id"] == uid for f in rows):
            rows.append({"id": st.next_follower, "user_id": uid, "created_at": int(time.time()),
                         "created_by": ctx.user_id})
            st.next_follower += 1
    return hal({"_total_items": len(rows), "_embedded": {"followers": [dict(f) for f in rows]}})


def delete_followers(ctx: Ctx) -> Response:
    key = _subject(ctx)
    drop = set(_follower_ids(ctx))
    ctx.store.v4.followers[key] = [f for f in ctx.store.v4.followers.get(key, []) if f["user_id"] not in drop]
    return no_content()


def list_subscriptions(ctx: Ctx) -> Response:
    """The same set as the followers, in the official client's shape (read-only)."""
    key = _subject(ctx)
    rows = ctx.store.v4.followers.get(key, [])
    return listing(ctx, f"{key[0]}/{key[1]}/subscriptions", "subscriptions", rows,
                   lambda f: {"subscriber_id": f["user_id"], "type": "user"})


# -- files ---------------------------------------------------------------------------------------
MAX_PART = 512 * 1024


def _file_links(ctx: Ctx, f: dict[str, Any]) -> dict[str, Any]:
    return {"self": {"href": f"{ctx.base}/v1.0/files/{f['uuid']}"},
            "download": {"href": f"{ctx.base}/v1.0/download/{f['uuid']}"},
            "download_version": {"href": f"{ctx.base}/v1.0/download/{f['uuid']}?version={f['version_uuid']}"}}


def render_file(ctx: Ctx, f: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in f.items() if k not in ("content", "versions")}
    out["has_multiple_versions"] = len(f["versions"]) > 1
    out["_links"] = _file_links(ctx, f)
    return out


def _file_type(mime: str) -> str:
    top = mime.split("/", 1)[0]
    if top in ("image", "video", "audio"):
        return top
    return "document" if mime in ("application/pdf", "text/plain", "application/msword") else "file"


def start_session(ctx: Ctx) -> Response:
    body = ctx.object_body()
    inv = Invalid("0")
    if not isinstance(body.get("file_name"), str) or not body["file_name"].strip():
        inv.add(NOT_BLANK, "file_name")
    size = as_int(body.get("file_size"))
    if size is None or size < 0:
        inv.add(NOT_BLANK if body.get("file_size") is None else RANGE, "file_size")
    if not isinstance(body.get("content_type"), str) or "/" not in body["content_type"]:
        inv.add(NOT_BLANK, "content_type")
    if body.get("file_uuid") is not None and body["file_uuid"] not in ctx.store.v4.files:
        inv.add(NOT_CHOICE, "file_uuid")
    _fail(inv)
    sid = secrets.token_hex(12)
    ctx.store.v4.upload_sessions[sid] = {"file_name": body["file_name"].strip(), "file_size": size,
                                         "content_type": body["content_type"], "file_uuid": body.get("file_uuid"),
                                         "data": b"", "part": 0}
    return hal({"session_id": sid, "upload_url": f"{ctx.base}/v1.0/upload/{sid}/0", "max_part_size": MAX_PART,
                "max_file_size": 1 << 30})


def upload_part(ctx: Ctx) -> Response:
    st = ctx.store.v4
    session = st.upload_sessions.get(ctx.params["uid"])
    if session is None or str(session["part"]) != ctx.params["part"]:
        raise V4Error(404, "Upload session not found")
    chunk = ctx.req.body
    if len(chunk) > MAX_PART:
        raise V4Error(413, f"A part may have at most {MAX_PART} bytes")
    session["data"] += chunk
    session["part"] += 1
    if len(session["data"]) > session["file_size"]:
        del st.upload_sessions[ctx.params["uid"]]
        raise V4Error(400, "More bytes than the session's file_size")
    if len(session["data"]) < session["file_size"]:
        return hal({"next_url": f"{ctx.base}/v1.0/upload/{ctx.params['uid']}/{session['part']}"})
    del st.upload_sessions[ctx.params["uid"]]
    now = int(time.time())
    version = str(_uuid.uuid4())
    name = session["file_name"]
    if session["file_uuid"]:
        f = st.files[session["file_uuid"]]
        f.update(size=len(session["data"]), version_uuid=version, updated_at=now, content=session["data"],
                 updated_by={"id": ctx.user_id, "type": "user"})
        f["versions"].append({"uuid": version, "size": len(session["data"]), "created_at": now})
        return hal(render_file(ctx, f))
    fid = str(_uuid.uuid4())
    ext = name.rsplit(".", 1)[1].lower() if "." in name else ""
    st.files[fid] = {
        "uuid": fid, "type": _file_type(session["content_type"]), "is_trashed": False, "name": name,
        "sanitized_name": re.sub(r"[^\w.\-]", "_", name), "size": len(session["data"]), "source_id": None,
        "version_uuid": version, "public_url": None, "created_at": now,
        "created_by": {"id": ctx.user_id, "type": "user"}, "updated_at": now,
        "updated_by": {"id": ctx.user_id, "type": "user"}, "deleted_at": None, "deleted_by": None,
        "metadata": {"extension": ext, "mime_type": session["content_type"]}, "previews": [],
        "content": session["data"], "versions": [{"uuid": version, "size": len(session["data"]), "created_at": now}]}
    return hal(render_file(ctx, st.files[fid]))


def list_files(ctx: Ctx) -> Response:
    w = _with(ctx)
    rows = [f for f in ctx.store.v4.files.values() if "deleted" in w or not f["is_trashed"]]
    flt = ctx.filter
    if flt.get("uuid") not in (None, ""):
        uuids = {str(u) for u in one_or_many(flt["uuid"])}
        rows = [f for f in rows if f["uuid"] in uuids]
    if flt.get("name") not in (None, ""):
        rows = [f for f in rows if str(flt["name"]).lower() in f["name"].lower()]
    if flt.get("term") not in (None, ""):
        rows = [f for f in rows if str(flt["term"]).lower() in f["name"].lower()]
    if flt.get("extensions") not in (None, ""):
        exts = {str(e).lower() for e in one_or_many(flt["extensions"])}
        rows = [f for f in rows if f["metadata"]["extension"] in exts]
    if str(flt.get("deleted", "")).lower() in ("1", "true"):
        rows = [f for f in rows if f["is_trashed"]]
    rows.sort(key=lambda f: (f["created_at"], f["uuid"]))
    page = page_params(ctx)
    start = (page.number - 1) * page.limit
    chunk = rows[start:start + page.limit]
    if not chunk:
        return no_content()
    links: dict[str, Any] = {"self": {"href": f"{ctx.base}/v1.0/files" + (f"?{ctx.req.raw_query}"
                                                                         if ctx.req.raw_query else "")}}
    if len(rows) > start + page.limit:
        links["next"] = {"href": f"{ctx.base}/v1.0/files?page={page.number + 1}&limit={page.limit}"}
    return hal({"_page": page.number, "_links": links, "_embedded": {"files": [render_file(ctx, f) for f in chunk]}})


def _drive_file(ctx: Ctx) -> dict[str, Any]:
    f = ctx.store.v4.files.get(ctx.params["uuid"])
    if f is None:
        raise V4Error(404, "File not found")
    return f


def get_file(ctx: Ctx) -> Response:
    f = ctx.store.v4.files.get(ctx.params["uuid"])
    return no_content() if f is None else hal(render_file(ctx, f))


def rename_file(ctx: Ctx) -> Response:
    f = _drive_file(ctx)
    body = ctx.object_body()
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        inv = Invalid("0")
        inv.add(NOT_BLANK, "name")
        raise ValidationFailed([inv])
    f.update(name=body["name"].strip(), sanitized_name=re.sub(r"[^\w.\-]", "_", body["name"].strip()),
             updated_at=int(time.time()))
    return hal(render_file(ctx, f))


def _uuids(ctx: Ctx) -> list[str]:
    items = ctx.array_body()
    invs, out = [], []
    for i, raw in enumerate(items):
        inv = Invalid(str(i))
        uid = raw.get("uuid") if isinstance(raw, dict) else raw
        if not isinstance(uid, str) or uid not in ctx.store.v4.files:
            inv.add(NOT_CHOICE, "uuid")
        else:
            out.append(uid)
        invs.append(inv)
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    return out


def delete_files(ctx: Ctx) -> Response:
    now = int(time.time())
    for uid in _uuids(ctx):
        ctx.store.v4.files[uid].update(is_trashed=True, deleted_at=now, deleted_by={"id": ctx.user_id, "type": "user"})
    return no_content()


def restore_files(ctx: Ctx) -> Response:
    out = []
    for uid in _uuids(ctx):
        f = ctx.store.v4.files[uid]
        f.update(is_trashed=False, deleted_at=None, deleted_by=None)
        out.append(render_file(ctx, f))
    return hal({"_embedded": {"files": out}})


def file_versions(ctx: Ctx) -> Response:
    f = _drive_file(ctx)
    return hal({"_embedded": {"versions": [dict(v, _links={"download": {
        "href": f"{ctx.base}/v1.0/download/{f['uuid']}?version={v['uuid']}"}}) for v in f["versions"]]}})


def download(ctx: Ctx) -> Response:
    f = _drive_file(ctx)
    return Response(200, f["content"], f["metadata"]["mime_type"],
                    [("Content-Disposition", f'attachment; filename="{f["sanitized_name"]}"')])


def drive_router() -> Router:
    """The drive's routes (``/v1.0/...``), served by the account host in the sandbox."""
    r = Router()
    for method, pattern, handler in [
        ("POST", "sessions", start_session), ("POST", "upload/{uid}/{part}", upload_part),
        ("GET", "files", list_files), ("DELETE", "files", delete_files), ("POST", "files/restore", restore_files),
        ("GET", "files/{uuid}", get_file), ("PATCH", "files/{uuid}", rename_file),
        ("GET", "files/{uuid}/versions", file_versions), ("GET", "download/{uuid}", download),
    ]:
        r.add(method, pattern, handler)
    return r


def _entity_files_key(ctx: Ctx) -> tuple[str, int]:
    return _subject(ctx)


def list_entity_files(ctx: Ctx) -> Response:
    key = _entity_files_key(ctx)
    rows = [u for u in ctx.store.v4.entity_files.get(key, []) if u in ctx.store.v4.files]
    return listing(ctx, f"{key[0]}/{key[1]}/files", "files", rows,
                   lambda u: {"file_uuid": u, "_links": {"self": {"href": f"{ctx.base}/v1.0/files/{u}"}}})


def _entity_uuid_list(ctx: Ctx) -> list[str]:
    items = ctx.array_body()
    invs, out = [], []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        uid = raw.get("file_uuid") if isinstance(raw, dict) else None
        if not isinstance(uid, str) or uid not in ctx.store.v4.files:
            inv.add(NOT_CHOICE if uid is not None else NOT_BLANK, "file_uuid")
        else:
            out.append(uid)
        invs.append(inv)
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    return out


def attach_files(ctx: Ctx) -> Response:
    key = _entity_files_key(ctx)
    rows = ctx.store.v4.entity_files.setdefault(key, [])
    added = _entity_uuid_list(ctx)
    for u in added:
        if u not in rows:
            rows.append(u)
    return hal({"_embedded": {"files": [{"file_uuid": u} for u in added]}})


def detach_files(ctx: Ctx) -> Response:
    key = _entity_files_key(ctx)
    drop = set(_entity_uuid_list(ctx))
    ctx.store.v4.entity_files[key] = [u for u in ctx.store.v4.entity_files.get(key, []) if u not in drop]
    return no_content()


def file_links(ctx: Ctx) -> Response:
    uid = ctx.params["uuid"]
    rows = [{"entity_id": eid, "entity_type": kind, "file_uuid": uid}
            for (kind, eid), uuids in ctx.store.v4.entity_files.items() if uid in uuids]
    return listing(ctx, f"files/{uid}/links", "links", rows, lambda r: r)


# -- chat templates ------------------------------------------------------------------------------
_BUTTON_TYPES = ("inline", "url")
_WABA_CATEGORIES = ("UTILITY", "AUTHENTICATION", "MARKETING")


def _render_template(ctx: Ctx, t: dict[str, Any], w: set[str], request_id: str | None = None) -> dict[str, Any]:
    out = {k: v for k, v in t.items() if k != "reviews"}
    out["account_id"] = SEED.ACCOUNT_ID
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"chats/templates/{t['id']}")
    if "reviews" in w:
        out["_embedded"] = {"reviews": [dict(r) for r in t["reviews"]]}
    return out


def _template_fields(raw: Any, inv: Invalid, create: bool) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    out: dict[str, Any] = {}
    for key in ("name", "content"):
        if key in raw or create:
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                inv.add(NOT_BLANK, key)
            else:
                out[key] = raw[key]
    if "type" in raw:
        if raw["type"] not in ("amocrm", "waba"):
            inv.add(NOT_CHOICE, "type")
        else:
            out["type"] = raw["type"]
    if "buttons" in raw:
        buttons = raw["buttons"]
        if not isinstance(buttons, list):
            inv.type_error("buttons", "array")
        else:
            for i, b in enumerate(buttons):
                if not isinstance(b, dict) or b.get("type") not in _BUTTON_TYPES or not isinstance(b.get("text"), str):
                    inv.add(NOT_CHOICE, f"buttons.{i}")
            out["buttons"] = buttons
    if raw.get("waba_category") is not None and raw["waba_category"] not in _WABA_CATEGORIES:
        inv.add(NOT_CHOICE, "waba_category")
    for key in ("external_id", "attachment", "waba_header", "waba_footer", "waba_category", "waba_language",
                "waba_examples", "is_editable"):
        if key in raw:
            out[key] = raw[key]
    return None if inv else out


def list_templates(ctx: Ctx) -> Response:
    w = _with(ctx)
    rows = sorted(ctx.store.v4.chat_templates.values(), key=lambda t: t["id"])
    flt = ctx.filter
    if flt.get("external_id") not in (None, ""):
        ext = {str(e) for e in one_or_many(flt["external_id"])}
        rows = [t for t in rows if str(t.get("external_id")) in ext]
    return listing(ctx, "chats/templates", "chat_templates", rows, lambda t: _render_template(ctx, t, w))


def get_template(ctx: Ctx) -> Response:
    t = ctx.store.v4.chat_templates.get(ctx.pid())
    return no_content() if t is None else hal(_render_template(ctx, t, _with(ctx)))


def add_templates(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_template_fields(r, inv, True) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    st = ctx.store.v4
    out = []
    now = int(time.time())
    for fields, inv in zip(parsed, invs, strict=True):
        assert fields is not None
        tid = st.next_template
        st.next_template += 1
        st.chat_templates[tid] = {
            "id": tid, "name": fields["name"], "content": fields["content"], "created_at": now, "updated_at": now,
            "is_editable": fields.get("is_editable", True), "external_id": fields.get("external_id"),
            "type": fields.get("type", "amocrm"), "buttons": fields.get("buttons", []),
            "attachment": fields.get("attachment"), "waba_header": fields.get("waba_header"),
            "waba_footer": fields.get("waba_footer"), "waba_category": fields.get("waba_category"),
            "waba_language": fields.get("waba_language"), "waba_examples": fields.get("waba_examples"), "reviews": []}
        out.append(_render_template(ctx, st.chat_templates[tid], set(), inv.request_id))
    return hal({"_embedded": {"chat_templates": out}})


def update_templates(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs: list[Invalid] = []
    plans: list[Any] = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        tid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        t = ctx.store.v4.chat_templates.get(tid) if tid is not None else None
        if t is None:
            inv.add(NOT_CHOICE if tid is not None else NOT_BLANK, "id")
            plans.append(None)
            continue
        plans.append((t, _template_fields(raw, inv, False)))
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for plan, inv in zip(plans, invs, strict=True):
        assert plan is not None and plan[1] is not None
        plan[0].update(plan[1], updated_at=int(time.time()))
        out.append(_render_template(ctx, plan[0], set(), inv.request_id))
    return hal({"_embedded": {"chat_templates": out}})


def update_template(ctx: Ctx) -> Response:
    t = ctx.store.v4.chat_templates.get(ctx.pid())
    if t is None:
        raise V4Error(404, "Chat template not found")
    inv = Invalid("0")
    fields = _template_fields(ctx.object_body(), inv, False)
    if fields is None:
        raise ValidationFailed([inv])
    t.update(fields, updated_at=int(time.time()))
    return hal(_render_template(ctx, t, set()))


def delete_template(ctx: Ctx) -> Response:
    if ctx.store.v4.chat_templates.pop(ctx.pid(), None) is None:
        raise V4Error(404, "Chat template not found")
    return no_content()


def delete_templates(ctx: Ctx) -> Response:
    items = ctx.array_body()
    ids = []
    invs = []
    for i, raw in enumerate(items):
        inv = Invalid(str(i))
        tid = as_int(raw.get("id")) if isinstance(raw, dict) else as_int(raw)
        if tid is None or tid not in ctx.store.v4.chat_templates:
            inv.add(NOT_CHOICE, "id")
        else:
            ids.append(tid)
        invs.append(inv)
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    for tid in ids:
        ctx.store.v4.chat_templates.pop(tid, None)
    return no_content()


def review_template(ctx: Ctx) -> Response:
    t = ctx.store.v4.chat_templates.get(ctx.pid())
    if t is None:
        raise V4Error(404, "Chat template not found")
    if t["type"] != "waba":
        raise V4Error(400, "Only WhatsApp (waba) templates are sent for review")
    st = ctx.store.v4
    review = {"id": st.next_review, "source_id": None, "status": "review", "reject_reason": None}
    st.next_review += 1
    t["reviews"].append(review)
    return hal({"_embedded": {"reviews": [dict(review)]}})


def update_review(ctx: Ctx) -> Response:
    t = ctx.store.v4.chat_templates.get(ctx.pid())
    rid = ctx.pid("rid")
    review = next((r for r in (t or {}).get("reviews", []) if r["id"] == rid), None)
    if t is None or review is None:
        raise V4Error(404, "Review not found")
    body = ctx.object_body()
    if body.get("status") not in ("draft", "review", "rejected", "approved", "paused"):
        inv = Invalid("0")
        inv.add(NOT_CHOICE, "status")
        raise ValidationFailed([inv])
    review.update(status=body["status"], reject_reason=body.get("reject_reason"))
    return hal(dict(review))


# -- currencies, contacts' chats ------------------------------------------------------------------
def list_currencies(ctx: Ctx) -> Response:
    return listing(ctx, "currencies", "currencies", CURRENCIES, lambda c: dict(c))


def list_contact_chats(ctx: Ctx) -> Response:
    rows = list(ctx.store.v4.contact_chats)
    if ctx.q.get("contact_id") not in (None, ""):
        ids = ids_of(ctx.q["contact_id"], "contact_id")
        rows = [r for r in rows if r["contact_id"] in ids]
    if ctx.q.get("chat_id") not in (None, ""):
        chats = {str(c) for c in one_or_many(ctx.q["chat_id"])}
        rows = [r for r in rows if r["chat_id"] in chats]
    if not rows:
        return no_content()
    return hal({"_total_items": len(rows), "_links": ctx.link("contacts/chats", echo=True),
                "_embedded": {"chats": [dict(r) for r in rows]}})


def link_contact_chats(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        if not isinstance(raw, dict):
            inv.type_error("", "object")
            continue
        cid = as_int(raw.get("contact_id"))
        if cid is None or ctx.store.get("contacts", cid) is None:
            inv.add(NOT_CHOICE if cid is not None else NOT_BLANK, "contact_id")
        if not isinstance(raw.get("chat_id"), str) or not raw["chat_id"]:
            inv.add(NOT_BLANK, "chat_id")
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for raw, inv in zip(items, invs, strict=True):
        row = {"chat_id": raw["chat_id"], "contact_id": int(raw["contact_id"])}
        if row not in ctx.store.v4.contact_chats:
            ctx.store.v4.contact_chats.append(row)
        out.append({**row, "request_id": inv.request_id})
    return hal({"_total_items": len(out), "_embedded": {"chats": out}})


ROUTES = [
    ("GET", "account", account),
    ("GET", "users", list_users),
    ("POST", "users", add_users),
    ("POST", "users/activate", activate_users),
    ("POST", "users/deactivate", deactivate_users),
    ("GET", "users/{id}", get_user),
    ("GET", "roles", list_roles),
    ("POST", "roles", add_roles),
    ("GET", "roles/{id}", get_role),
    ("PATCH", "roles/{id}", update_role),
    ("DELETE", "roles/{id}", delete_role),
    ("GET", "webhooks", list_webhooks),
    ("POST", "webhooks", add_webhook),
    ("DELETE", "webhooks", delete_webhook),
    ("GET", "widgets", list_widgets),
    ("GET", "widgets/{code}", get_widget),
    ("POST", "widgets/{code}", install_widget),
    ("DELETE", "widgets/{code}", uninstall_widget),
    ("POST", "{bot}/{id}/continue/{cid}", bot_continue),
    ("POST", "calls", add_calls),
    ("GET", "sources", list_sources),
    ("POST", "sources", add_sources),
    ("PATCH", "sources", update_sources),
    ("DELETE", "sources", delete_sources),
    ("GET", "sources/{id}", get_source),
    ("PATCH", "sources/{id}", update_source),
    ("DELETE", "sources/{id}", delete_source),
    ("GET", "website_buttons", list_buttons),
    ("POST", "website_buttons", add_button),
    ("GET", "website_buttons/{id}", get_button),
    ("PATCH", "website_buttons/{id}", update_button),
    ("POST", "website_buttons/{id}/online_chat", button_online_chat),
    ("GET", "talks/{id}", get_talk),
    ("POST", "talks/{id}/close", close_talk),
    ("POST", "short_links", add_short_links),
    ("GET", "{entity}/{id}/followers", list_followers),
    ("POST", "{entity}/{id}/followers", add_followers),
    ("DELETE", "{entity}/{id}/followers", delete_followers),
    ("GET", "{entity}/{id}/subscriptions", list_subscriptions),
    ("GET", "{entity}/{id}/files", list_entity_files),
    ("PUT", "{entity}/{id}/files", attach_files),
    ("DELETE", "{entity}/{id}/files", detach_files),
    ("GET", "files/{uuid}/links", file_links),
    ("GET", "chats/templates", list_templates),
    ("POST", "chats/templates", add_templates),
    ("PATCH", "chats/templates", update_templates),
    ("DELETE", "chats/templates", delete_templates),
    ("GET", "chats/templates/{id}", get_template),
    ("PATCH", "chats/templates/{id}", update_template),
    ("DELETE", "chats/templates/{id}", delete_template),
    ("POST", "chats/templates/{id}/review", review_template),
    ("POST", "chats/templates/{id}/review/{rid}", update_review),
    ("GET", "currencies", list_currencies),
    ("GET", "contacts/chats", list_contact_chats),
    ("POST", "contacts/chats", link_contact_chats),
]
