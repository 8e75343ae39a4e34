"""Customers' features in API v4: mode, statuses (periodicity mode), segments (segments mode),
transactions and bonus points. The customers themselves are in :mod:`.crm` (shared with v2).

Feature switches: the account's customers mode (option ``customers_mode``, changed by
``PATCH /api/v4/customers/mode``) and the loyalty program (option ``bonus_points``). Customer
endpoints answer 402 while customers are off; statuses answer 422 unless the mode is
``periodicity`` and segments 422 unless it is ``segments``; bonus points 402 while loyalty is off.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..seed import SEED
from ..wire import Response, no_content
from .base import (
    NOT_BLANK,
    NOT_CHOICE,
    RANGE,
    Ctx,
    Invalid,
    V4Error,
    ValidationFailed,
    as_int,
    hal,
    ids_of,
    in_range,
    listing,
    range_of,
)
from .crm import check_customers, request_id_of
from .events import emit
from .pipelines import COLORS

__all__ = ["ROUTES"]

_MODES = ("segments", "periodicity")
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")


def set_mode(ctx: Ctx) -> Response:
    st = ctx.store.v4
    if st.customers_mode == "unavailable":
        raise V4Error(402, "Customers are not available on the account's tariff")
    body = ctx.object_body()
    inv = Invalid("0")
    if body.get("mode") not in _MODES:
        inv.add(NOT_BLANK if body.get("mode") is None else NOT_CHOICE, "mode")
    if not isinstance(body.get("is_enabled"), bool):
        inv.add(NOT_BLANK, "is_enabled") if body.get("is_enabled") is None else inv.type_error("is_enabled", "bool")
    if inv:
        raise ValidationFailed([inv])
    st.customers_mode = str(body["mode"])
    st.customers_enabled = bool(body["is_enabled"])
    return hal({"mode": st.customers_mode, "is_enabled": st.customers_enabled})


def _need_mode(ctx: Ctx, mode: str) -> None:
    check_customers(ctx)
    if ctx.store.v4.customers_mode != mode:
        raise V4Error(422, f"This needs the customers mode {mode!r}; the account is in {ctx.store.v4.customers_mode!r}")


# -- statuses ------------------------------------------------------------------------------------
def _render_status(ctx: Ctx, s: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    out = {**s, "conditions": [], "account_id": SEED.ACCOUNT_ID}
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"customers/statuses/{s['id']}")
    return out


def list_statuses(ctx: Ctx) -> Response:
    _need_mode(ctx, "periodicity")
    rows = sorted(ctx.store.v4.customer_statuses.values(), key=lambda s: (s["sort"], s["id"]))
    return listing(ctx, "customers/statuses", "statuses", rows, lambda s: _render_status(ctx, s))


def get_status(ctx: Ctx) -> Response:
    _need_mode(ctx, "periodicity")
    s = ctx.store.v4.customer_statuses.get(ctx.pid())
    return no_content() if s is None else hal(_render_status(ctx, s))


def _status_fields(raw: Any, inv: Invalid, create: bool) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    out: dict[str, Any] = {}
    if "name" in raw or create:
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            inv.add(NOT_BLANK, "name")
        else:
            out["name"] = raw["name"].strip()
    if "sort" in raw:
        sort = as_int(raw["sort"])
        if sort is None:
            inv.type_error("sort", "int")
        else:
            out["sort"] = sort
    if "color" in raw:
        if raw["color"] not in COLORS:
            inv.add(NOT_CHOICE, "color")
        else:
            out["color"] = raw["color"]
    return None if inv else out


def add_statuses(ctx: Ctx) -> Response:
    _need_mode(ctx, "periodicity")
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_status_fields(r, inv, True) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    st = ctx.store.v4
    out = []
    for fields, inv in zip(parsed, invs, strict=True):
        assert fields is not None
        st.next_customer_status += 1
        sid = st.next_customer_status
        st.customer_statuses[sid] = {"id": sid, "name": fields["name"], "sort": fields.get("sort", 100),
                                     "is_default": False, "color": fields.get("color", COLORS[0]), "type": 0}
        out.append(_render_status(ctx, st.customer_statuses[sid], inv.request_id))
    return hal({"_embedded": {"statuses": out}})


def update_status(ctx: Ctx) -> Response:
    _need_mode(ctx, "periodicity")
    s = ctx.store.v4.customer_statuses.get(ctx.pid())
    if s is None:
        raise V4Error(404, "Customer status not found")
    inv = Invalid("0")
    fields = _status_fields(ctx.object_body(), inv, False)
    if fields is None:
        raise ValidationFailed([inv])
    s.update(fields)
    return hal(_render_status(ctx, s))


def delete_status(ctx: Ctx) -> Response:
    _need_mode(ctx, "periodicity")
    sid = ctx.pid()
    s = ctx.store.v4.customer_statuses.get(sid)
    if s is None:
        raise V4Error(404, "Customer status not found")
    if s["is_default"]:
        raise V4Error(400, "A default customer status cannot be deleted")
    del ctx.store.v4.customer_statuses[sid]
    return no_content()


# -- segments ------------------------------------------------------------------------------------
def _render_segment(ctx: Ctx, s: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    count = sum(1 for c in ctx.store.items["customers"].values()
                if not c.get("is_deleted") and s["id"] in c.get("segments", []))
    out = {"id": s["id"], "name": s["name"], "color": s["color"], "created_at": s["created_at"],
           "updated_at": s["updated_at"], "customers_count": count,
           "available_products_price_types": list(s.get("available_products_price_types", [])),
           "custom_fields_values": None, "account_id": SEED.ACCOUNT_ID}
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"customers/segments/{s['id']}")
    return out


def list_segments(ctx: Ctx) -> Response:
    _need_mode(ctx, "segments")
    rows = sorted(ctx.store.v4.segments.values(), key=lambda s: s["id"])
    return listing(ctx, "customers/segments", "segments", rows, lambda s: _render_segment(ctx, s))


def get_segment(ctx: Ctx) -> Response:
    _need_mode(ctx, "segments")
    s = ctx.store.v4.segments.get(ctx.pid())
    return no_content() if s is None else hal(_render_segment(ctx, s))


def _segment_fields(raw: Any, inv: Invalid, create: bool) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    out: dict[str, Any] = {}
    if "name" in raw or create:
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            inv.add(NOT_BLANK, "name")
        else:
            out["name"] = raw["name"].strip()
    if "color" in raw or create:
        color = raw.get("color")
        if not isinstance(color, str) or not _HEX.match(color.lstrip("#")):
            inv.add(NOT_BLANK if color is None else NOT_CHOICE, "color")
        else:
            out["color"] = color.lstrip("#").lower()
    if "available_products_price_types" in raw:
        types = raw["available_products_price_types"]
        if not isinstance(types, list) or any(as_int(t) is None for t in types):
            inv.type_error("available_products_price_types", "int[]")
        else:
            out["available_products_price_types"] = [int(t) for t in types]
    return None if inv else out


def add_segments(ctx: Ctx) -> Response:
    """One object (as the official client sends) answers one object; an array answers ``_embedded``."""
    _need_mode(ctx, "segments")
    body = ctx.body()
    single = isinstance(body, dict)
    items = [body] if single else ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_segment_fields(r, inv, True) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    st = ctx.store.v4
    out = []
    now = int(time.time())
    for fields, inv in zip(parsed, invs, strict=True):
        assert fields is not None
        st.next_segment += 1
        st.segments[st.next_segment] = {"id": st.next_segment, "created_at": now, "updated_at": now, **fields}
        out.append(_render_segment(ctx, st.segments[st.next_segment], None if single else inv.request_id))
    return hal(out[0] if single else {"_embedded": {"segments": out}})


def update_segment(ctx: Ctx) -> Response:
    _need_mode(ctx, "segments")
    s = ctx.store.v4.segments.get(ctx.pid())
    if s is None:
        raise V4Error(404, "Segment not found")
    inv = Invalid("0")
    fields = _segment_fields(ctx.object_body(), inv, False)
    if fields is None:
        raise ValidationFailed([inv])
    s.update(fields, updated_at=int(time.time()))
    return hal(_render_segment(ctx, s))


def delete_segment(ctx: Ctx) -> Response:
    _need_mode(ctx, "segments")
    sid = ctx.pid()
    if ctx.store.v4.segments.pop(sid, None) is None:
        raise V4Error(404, "Segment not found")
    for cid, rec in list(ctx.store.items["customers"].items()):
        if sid in rec.get("segments", []):
            ctx.store.items["customers"][cid] = {**rec, "segments": [x for x in rec["segments"] if x != sid]}
    return no_content()


# -- transactions --------------------------------------------------------------------------------
def _render_tx(ctx: Ctx, t: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    out = {k: v for k, v in t.items() if k != "catalog_elements"}
    out["account_id"] = SEED.ACCOUNT_ID
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"customers/transactions/{t['id']}")
    out["_embedded"] = {"customer": {"id": t["customer_id"], "_links": ctx.link(f"customers/{t['customer_id']}")},
                        "catalog_elements": list(t.get("catalog_elements", []))}
    return out


def _customer(ctx: Ctx) -> dict[str, Any]:
    check_customers(ctx)
    rec = ctx.store.get("customers", ctx.pid())
    if rec is None:
        raise V4Error(404, f"Customer {ctx.params['id']} not found")
    return rec


def list_transactions(ctx: Ctx) -> Response:
    check_customers(ctx)
    rows = [t for t in ctx.store.v4.transactions.values() if not t["is_deleted"]]
    path = "customers/transactions"
    if "id" in ctx.params:
        cid = _customer(ctx)["id"]
        rows = [t for t in rows if t["customer_id"] == cid]
        path = f"customers/{cid}/transactions"
    flt = ctx.filter
    if flt.get("id") not in (None, ""):
        ids = ids_of(flt["id"], "filter[id]")
        rows = [t for t in rows if t["id"] in ids]
    if flt.get("customer_id") not in (None, ""):
        cids = ids_of(flt["customer_id"], "filter[customer_id]")
        rows = [t for t in rows if t["customer_id"] in cids]
    if flt.get("created_at") not in (None, ""):
        bounds = range_of(flt["created_at"], "filter[created_at]")
        rows = [t for t in rows if in_range(t["created_at"], bounds)]
    rows.sort(key=lambda t: t["id"])
    return listing(ctx, path, "transactions", rows, lambda t: _render_tx(ctx, t))


def get_transaction(ctx: Ctx) -> Response:
    check_customers(ctx)
    t = ctx.store.v4.transactions.get(ctx.pid("tid"))
    return no_content() if t is None or t["is_deleted"] else hal(_render_tx(ctx, t))


def _tx_fields(ctx: Ctx, raw: Any, inv: Invalid) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    price = as_int(raw.get("price"))
    if price is None or price < 0:
        inv.add(NOT_BLANK if raw.get("price") is None else "InvalidType", "price",
                None if raw.get("price") is None else "This value should be of type int.")
    out: dict[str, Any] = {"price": price}
    for key in ("completed_at", "next_price", "next_date"):
        if raw.get(key) is not None:
            n = as_int(raw[key])
            if n is None:
                inv.type_error(key, "int")
            else:
                out[key] = n
    if raw.get("comment") is not None:
        if not isinstance(raw["comment"], str):
            inv.type_error("comment", "string")
        else:
            out["comment"] = raw["comment"]
    meta = raw.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        inv.type_error("metadata", "object")
    out["metadata"] = dict(meta) if isinstance(meta, dict) else None
    emb: dict[str, Any] = raw["_embedded"] if isinstance(raw.get("_embedded"), dict) else {}
    elems = []
    for i, e in enumerate(emb.get("catalog_elements") or []):
        eid = as_int(e.get("id")) if isinstance(e, dict) else None
        rec = ctx.store.get("catalog_elements", eid) if eid is not None else None
        if rec is None:
            inv.add(NOT_CHOICE, f"_embedded.catalog_elements.{i}.id")
            continue
        meta_e: dict[str, Any] = e["metadata"] if isinstance(e.get("metadata"), dict) else {}
        elems.append({"id": eid, "metadata": {"catalog_id": rec["catalog_id"], "quantity": meta_e.get("quantity", 1)}})
    out["catalog_elements"] = elems
    return None if inv else out


def add_transactions(ctx: Ctx) -> Response:
    customer = _customer(ctx)
    accrue = str(ctx.q.get("accrue_bonus", "false")).lower() in ("1", "true")
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_tx_fields(ctx, r, inv) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    st, store = ctx.store.v4, ctx.store
    out = []
    now = int(time.time())
    for fields, inv in zip(parsed, invs, strict=True):
        assert fields is not None
        tid = st.next_transaction
        st.next_transaction += 1
        tx = {"id": tid, "price": fields["price"], "completed_at": fields.get("completed_at", now),
              "comment": fields.get("comment"), "customer_id": customer["id"], "created_by": ctx.user_id,
              "updated_by": ctx.user_id, "created_at": now, "updated_at": now, "is_deleted": False,
              "metadata": fields["metadata"], "catalog_elements": fields["catalog_elements"]}
        st.transactions[tid] = tx
        changes: dict[str, Any] = {k: fields[k] for k in ("next_price", "next_date") if k in fields}
        if changes:
            rec = store.items["customers"][customer["id"]]
            store.items["customers"][customer["id"]] = {**rec, **changes, "updated_at": now}
        if accrue and ctx.core.options.bonus_points:
            st.bonus_points[customer["id"]] = st.bonus_points.get(customer["id"], 0) + fields["price"] // 100
        emit(store, "transaction_added", "customer", customer["id"], after=[{"transaction": {"id": tid}}])
        out.append(_render_tx(ctx, tx, inv.request_id))
    return hal({"_links": ctx.link(f"customers/{customer['id']}/transactions"),
                "_embedded": {"transactions": out}})


def delete_transaction(ctx: Ctx) -> Response:
    customer = _customer(ctx)
    t = ctx.store.v4.transactions.get(ctx.pid("tid"))
    if t is None or t["is_deleted"] or t["customer_id"] != customer["id"]:
        raise V4Error(404, "Transaction not found")
    t["is_deleted"] = True
    t["updated_at"] = int(time.time())
    return no_content()


# -- bonus points --------------------------------------------------------------------------------
def bonus_points(ctx: Ctx) -> Response:
    customer = _customer(ctx)
    if not ctx.core.options.bonus_points:
        raise V4Error(402, "The loyalty program (bonus points) is off in this account")
    body = ctx.object_body()
    inv = Invalid("0")
    keys = [k for k in ("earn", "redeem") if k in body]
    if len(keys) != 1:
        inv.add(NOT_BLANK, "earn", "Exactly one of earn or redeem is required.")
        raise ValidationFailed([inv])
    amount = as_int(body[keys[0]])
    if amount is None or amount <= 0:
        inv.add(RANGE, keys[0], "This value should be a positive integer.")
        raise ValidationFailed([inv])
    st = ctx.store.v4
    balance = st.bonus_points.get(customer["id"], 0)
    if keys[0] == "redeem" and amount > balance:
        inv.add(RANGE, "redeem", f"This value should be {balance} or less.")
        raise ValidationFailed([inv])
    st.bonus_points[customer["id"]] = balance + amount if keys[0] == "earn" else balance - amount
    return hal({"bonus_points": st.bonus_points[customer["id"]]})


ROUTES = [
    ("PATCH", "customers/mode", set_mode),
    ("GET", "customers/statuses", list_statuses),
    ("POST", "customers/statuses", add_statuses),
    ("GET", "customers/statuses/{id}", get_status),
    ("PATCH", "customers/statuses/{id}", update_status),
    ("DELETE", "customers/statuses/{id}", delete_status),
    ("GET", "customers/segments", list_segments),
    ("POST", "customers/segments", add_segments),
    ("GET", "customers/segments/{id}", get_segment),
    ("PATCH", "customers/segments/{id}", update_segment),
    ("DELETE", "customers/segments/{id}", delete_segment),
    ("GET", "customers/transactions", list_transactions),
    ("GET", "customers/transactions/{tid}", get_transaction),
    ("GET", "customers/{id}/transactions", list_transactions),
    ("POST", "customers/{id}/transactions", add_transactions),
    ("DELETE", "customers/{id}/transactions/{tid}", delete_transaction),
    ("POST", "customers/{id}/bonus_points", bonus_points),
]

