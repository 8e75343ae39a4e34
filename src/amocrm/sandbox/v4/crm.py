"""Leads, contacts, companies and customers in API v4: list, get, create, update, complex, tags.

The records are the store's (the v2 face's) records. v4 renames and reshapes on the way out
(``sale`` -> ``price``, ``custom_fields`` -> ``custom_fields_values``, ``0`` -> ``null``, links under
``_embedded``) and translates v4 writes into the same record changes on the way in, after
validating them with v4's own error form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..custom_fields import ItemError
from ..entities import CF_VALUES_KEY, create_entity, update_entity
from ..read import RenderContext, text_of
from ..seed import SEED
from ..store import Store
from ..wire import BadInput, Response, no_content
from . import fields as F
from .base import (
    INVALID_TYPE,
    NOT_BLANK,
    NOT_CHOICE,
    Ctx,
    Invalid,
    V4Error,
    ValidationFailed,
    as_int,
    hal,
    ids_of,
    in_range,
    listing,
    one_or_many,
    range_of,
)

__all__ = ["ROUTES", "render", "visible", "SINGULAR", "ETYPE", "users_ok", "Plan", "apply_plans", "parse_item",
           "check_customers"]

SINGULAR = {"leads": "lead", "contacts": "contact", "companies": "company", "customers": "customer",
            "tasks": "task", "catalog_elements": "catalog_element"}
ETYPE = {"contacts": 1, "leads": 2, "companies": 3, "customers": 12}
WITH = {
    "leads": {"contacts", "loss_reason", "is_price_modified_by_robot", "catalog_elements", "only_deleted",
              "source_id", "source"},
    "contacts": {"leads", "customers", "catalog_elements", "social_profiles", "only_deleted"},
    "companies": {"leads", "customers", "contacts", "catalog_elements", "only_deleted"},
    "customers": {"catalog_elements", "contacts", "companies", "group_id"},
}
ORDER = {"leads": ("created_at", "updated_at", "id"), "contacts": ("updated_at", "id", "created_at"),
         "companies": ("updated_at", "id", "created_at"), "customers": ("updated_at", "id", "created_at")}


def visible(rec: dict[str, Any]) -> bool:
    """Listed at all: not deleted, and not waiting in an unaccepted incoming (unsorted) item."""
    return not rec.get("is_deleted") and not rec.get("unsorted_uid")


def users_ok(store: Store, uid: int, robot_ok: bool = False) -> bool:
    return uid in store.v4.users or (robot_ok and uid == 0)


def check_customers(ctx: Ctx) -> None:
    """Customers endpoints answer only while the feature is on (402 otherwise)."""
    st = ctx.store.v4
    if st.customers_mode == "unavailable":
        raise V4Error(402, "Customers are not available on the account's tariff")
    if not st.customers_enabled or st.customers_mode == "disabled":
        raise V4Error(402, "Customers are disabled in this account (PATCH /api/v4/customers/mode)")


# -- rendering -----------------------------------------------------------------------------------
def _with(ctx: Ctx, kind: str) -> set[str]:
    raw = ctx.q.get("with", "")
    names = {w.strip() for w in (",".join(one_or_many(raw)) if not isinstance(raw, str) else raw).split(",")}
    return names & WITH.get(kind, set())


def _none(value: Any) -> Any:
    return value if value else None


def _ref(ctx: Ctx, kind: str, eid: int) -> dict[str, Any]:
    return {"id": eid, "_links": ctx.link(f"{kind}/{eid}", echo=True)}


def tags_of(store: Store, rec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": t, "name": store.tag_names.get(t, ""), "color": store.v4.tag_colors.get(t)}
            for t in rec.get("tags", [])]


def _catalog_elements(rec: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": e, "metadata": {"quantity": q, "catalog_id": c, "price_id": None}}
            for c, elems in rec.get("catalog_elements", {}).items() for e, q in elems.items()]


def main_contact(store: Store, kind: str, eid: int) -> int | None:
    contacts = store.linked(kind, eid, "contacts")
    chosen = store.v4.main_contacts.get((kind, eid))
    if chosen in contacts:
        return chosen
    return contacts[0] if contacts else None


def _customer_figures(store: Store, cid: int) -> tuple[int, int, int]:
    prices = [t["price"] for t in store.v4.transactions.values() if t["customer_id"] == cid and not t["is_deleted"]]
    ltv = sum(prices)
    return ltv, len(prices), (ltv // len(prices)) if prices else 0


def render(ctx: Ctx, kind: str, rec: dict[str, Any], with_: set[str], rc: RenderContext) -> dict[str, Any]:
    """One record in the v4 shape (``with_`` already limited to what ``kind`` accepts)."""
    store, eid = ctx.store, rec["id"]
    out: dict[str, Any] = {"id": eid, "name": rec["name"]}
    if kind == "leads":
        out["price"] = rec["sale"]
    if kind == "contacts":
        out.update(first_name=rec["first_name"], last_name=rec["last_name"])
    if kind == "customers":
        out.update(next_price=rec["next_price"], next_date=rec["next_date"])
    out.update(responsible_user_id=rec["responsible_user_id"], group_id=rec.get("group_id", 0))
    if kind == "leads":
        out.update(status_id=rec["status_id"], pipeline_id=rec["pipeline_id"], loss_reason_id=_none(rec["loss_reason_id"]))
        if "source_id" in with_:
            out["source_id"] = rec.get("source_id")
    if kind == "customers":
        out.update(status_id=rec.get("status_id"), periodicity=rec["periodicity"])
    out.update(created_by=rec["created_by"], updated_by=rec["updated_by"], created_at=rec["created_at"],
               updated_at=rec["updated_at"])
    if kind == "leads":
        out["closed_at"] = _none(rec["closed_at"])
    out["closest_task_at"] = _none(rc.closest_task(ETYPE[kind], eid))
    out["is_deleted"] = bool(rec.get("is_deleted"))
    if kind == "contacts":
        out["is_unsorted"] = bool(rec.get("unsorted_uid"))
    if kind == "leads" and "is_price_modified_by_robot" in with_:
        out["is_price_modified_by_robot"] = False
    out["custom_fields_values"] = F.render_values(store.field_defs(kind), rec["custom_fields"])
    if kind == "leads":
        out["score"] = None
    if kind == "customers":
        ltv, count, avg = _customer_figures(store, eid)
        out.update(ltv=ltv, purchases_count=count, average_check=avg)
    out["account_id"] = SEED.ACCOUNT_ID
    if kind == "leads":
        out["labor_cost"] = None
    out["_links"] = ctx.link(f"{kind}/{eid}", echo=True)
    emb: dict[str, Any] = {"tags": tags_of(store, rec)}
    if kind == "customers":
        emb["segments"] = [{"id": s, "_links": ctx.link(f"customers/segments/{s}")} for s in rec.get("segments", [])]
    if kind in ("leads", "contacts") or (kind == "customers" and "companies" in with_):
        emb["companies"] = [_ref(ctx, "companies", c) for c in store.linked(kind, eid, "companies")[:1]]
    if kind in ("leads", "customers") and "contacts" in with_:
        main = main_contact(store, kind, eid)
        emb["contacts"] = [{"id": c, "is_main": c == main, "_links": ctx.link(f"contacts/{c}", echo=True)}
                           for c in store.linked(kind, eid, "contacts")]
    if kind == "companies" and "contacts" in with_:
        emb["contacts"] = [_ref(ctx, "contacts", c) for c in store.linked(kind, eid, "contacts")]
    if kind in ("contacts", "companies"):
        for other in ("leads", "customers"):
            if other in with_:
                emb[other] = [_ref(ctx, other, x) for x in store.linked(kind, eid, other)]
    if "catalog_elements" in with_:
        emb["catalog_elements"] = _catalog_elements(rec)
    if kind == "contacts" and "social_profiles" in with_:
        emb["social_profiles"] = []
    if kind == "leads" and "loss_reason" in with_ and rec["loss_reason_id"]:
        lr = store.v4.loss_reasons.get(rec["loss_reason_id"])
        if lr is not None:
            obj = {**lr, "_links": ctx.link(f"leads/loss_reasons/{lr['id']}")}
            emb["loss_reason"] = obj if ctx.core.options.v4_loss_reason == "object" else [obj]
    if kind == "leads" and "source" in with_ and rec.get("source_id"):
        src = store.v4.sources.get(rec["source_id"])
        if src is not None:
            emb["source"] = {"id": src["id"], "name": src["name"]}
    out["_embedded"] = emb
    return out


# -- lists ---------------------------------------------------------------------------------------
def _cf_match(store: Store, kind: str, rec: dict[str, Any], cond: dict[str, Any]) -> bool:
    defs = store.field_defs(kind)
    for fid_raw, wanted in cond.items():
        fid = as_int(fid_raw)
        fd = defs.get(fid) if fid is not None else None
        values = rec["custom_fields"].get(fid, []) if fid is not None else []
        if fd is None:
            return False
        rendered = [F.render_value(fd, v) for v in values]
        if isinstance(wanted, dict) and ("from" in wanted or "to" in wanted):
            bounds = range_of(wanted, f"filter[custom_fields_values][{fid_raw}]")
            nums = []
            for r in rendered:
                n = as_int(r.get("value"))
                if n is None:
                    try:
                        n = int(float(str(r.get("value"))))
                    except ValueError:
                        continue
                nums.append(n)
            if not any(in_range(n, bounds) for n in nums):
                return False
            continue
        options = {str(w) for w in one_or_many(wanted)}
        got = set()
        for r in rendered:
            got.add(str(r.get("value")).lower() if isinstance(r.get("value"), bool) else str(r.get("value")))
            if r.get("enum_id") is not None:
                got.add(str(r["enum_id"]))
        if not options & got:
            return False
    return True


def _filters(ctx: Ctx, kind: str, rc: RenderContext) -> list[Callable[[dict[str, Any]], bool]]:
    q = ctx.q
    flt: dict[str, Any] = ctx.filter
    preds: list[Callable[[dict[str, Any]], bool]] = []
    if q.get("query") not in (None, ""):
        needle = str(q["query"]).lower()
        preds.append(lambda r: needle in text_of(r) or needle == str(r["id"]))
    if flt.get("id") not in (None, ""):
        ids = ids_of(flt["id"], "filter[id]")
        preds.append(lambda r: r["id"] in ids)
    if flt.get("name") not in (None, ""):
        names = {str(n) for n in one_or_many(flt["name"])}
        preds.append(lambda r: r["name"] in names)
    for key in ("created_by", "updated_by", "responsible_user_id"):
        if flt.get(key) not in (None, ""):
            users = ids_of(flt[key], f"filter[{key}]")
            preds.append(lambda r, k=key, u=users: r.get(k) in u)  # type: ignore[misc]
    for key in ("created_at", "updated_at") + (("closed_at",) if kind == "leads" else ()):
        if flt.get(key) not in (None, ""):
            bounds = range_of(flt[key], f"filter[{key}]")
            preds.append(lambda r, k=key, b=bounds: in_range(r.get(k) or None, b))  # type: ignore[misc]
    if flt.get("closest_task_at") not in (None, ""):
        bounds = range_of(flt["closest_task_at"], "filter[closest_task_at]")
        preds.append(lambda r: in_range(rc.closest_task(ETYPE[kind], r["id"]) or None, bounds))
    if kind == "leads":
        if flt.get("price") not in (None, ""):
            price = flt["price"]
            if isinstance(price, dict):
                bounds = range_of(price, "filter[price]")
                preds.append(lambda r: in_range(r["sale"], bounds))
            else:
                prices = ids_of(price, "filter[price]")
                preds.append(lambda r: r["sale"] in prices)
        if flt.get("pipeline_id") not in (None, ""):
            pids = ids_of(flt["pipeline_id"], "filter[pipeline_id]")
            preds.append(lambda r: r["pipeline_id"] in pids)
        if flt.get("statuses") not in (None, ""):
            pairs: set[tuple[int | None, int]] = set()
            for entry in one_or_many(flt["statuses"]):
                if not isinstance(entry, dict) or as_int(entry.get("status_id")) is None:
                    raise V4Error(400, "filter[statuses][i] needs status_id and pipeline_id")
                pairs.add((as_int(entry.get("pipeline_id")), int(entry["status_id"])))
            preds.append(lambda r: (r["pipeline_id"], r["status_id"]) in pairs or (None, r["status_id"]) in pairs)
    if isinstance(flt.get("custom_fields_values"), dict):
        cond = flt["custom_fields_values"]
        preds.append(lambda r: _cf_match(ctx.store, kind, r, cond))
    return preds


def _order(ctx: Ctx, kind: str, rows: list[dict[str, Any]]) -> None:
    order = ctx.order
    rows.sort(key=lambda r: r["id"])
    for key, direction in order.items():
        if key in ORDER[kind] and str(direction).lower() in ("asc", "desc"):
            field = str(key)
            rows.sort(key=lambda r: (r.get(field) or 0, r["id"]), reverse=str(direction).lower() == "desc")
            break


def list_entities(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    if kind == "customers":
        check_customers(ctx)
    with_ = _with(ctx, kind)
    rc = RenderContext(ctx.store, False)
    if "only_deleted" in with_:
        rows = [r for r in ctx.store.items[kind].values() if r.get("is_deleted")]
    else:
        rows = [r for r in ctx.store.items[kind].values() if visible(r)]
    for pred in _filters(ctx, kind, rc):
        rows = [r for r in rows if pred(r)]
    _order(ctx, kind, rows)
    if "only_deleted" in with_:
        return listing(ctx, kind, kind, rows, lambda r: {
            "id": r["id"], "updated_at": r["updated_at"], "updated_by": r["updated_by"], "is_deleted": True,
            "_links": ctx.link(f"{kind}/{r['id']}", echo=True)})
    return listing(ctx, kind, kind, rows, lambda r: render(ctx, kind, r, with_, rc))


def get_entity(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    if kind == "customers":
        check_customers(ctx)
    rec = ctx.store.get(kind, ctx.pid())
    if rec is None:
        return no_content()
    return hal(render(ctx, kind, rec, _with(ctx, kind), RenderContext(ctx.store, False)))


# -- writes --------------------------------------------------------------------------------------
class Plan:
    """One validated write: the v2-form item for the shared write path, and what v4 adds after it."""

    def __init__(self, kind: str, request_id: str, current: dict[str, Any] | None) -> None:
        self.kind = kind
        self.request_id = request_id
        self.current = current
        self.item: dict[str, Any] = {}
        self.tags_add: list[Any] = []
        self.tags_del: list[Any] = []
        self.set_fields: dict[str, Any] = {}
        self.main_contact: int | None = None
        self.after: list[Callable[[int], None]] = []


def _user_field(ctx: Ctx, raw: dict[str, Any], key: str, inv: Invalid, plan: Plan, prefix: str = "",
                robot_ok: bool = False) -> None:
    if key not in raw:
        return
    value = raw[key]
    uid = as_int(value)
    if uid is None:
        inv.type_error(prefix + key, "int")
        inv.add(NOT_CHOICE, prefix + key)
    elif not users_ok(ctx.store, uid, robot_ok):
        inv.add(NOT_CHOICE, prefix + key)
    else:
        plan.item[key] = uid


def _int_field(raw: dict[str, Any], key: str, inv: Invalid, prefix: str = "", null_as: int | None = 0
               ) -> int | None:
    if key not in raw:
        return None
    if raw[key] is None and null_as is not None:
        return null_as
    n = as_int(raw[key])
    if n is None or n < 0:
        inv.type_error(prefix + key, "int")
        return None
    return n


def _tag_refs(ctx: Ctx, raw: Any, path: str, inv: Invalid) -> list[Any]:
    """``[{id}|{name}]`` (names may also be plain strings) -> ids and ``{"name": …}`` items."""
    if not isinstance(raw, list):
        inv.type_error(path, "array")
        return []
    out: list[Any] = []
    for i, t in enumerate(raw):
        if isinstance(t, str) and t.strip():
            out.append({"name": t.strip()})
        elif isinstance(t, dict) and t.get("id") is not None:
            tid = as_int(t["id"])
            if tid is None or tid not in ctx.store.tag_names:
                inv.add(NOT_CHOICE, f"{path}.{i}.id")
            else:
                out.append(tid)
        elif isinstance(t, dict) and isinstance(t.get("name"), (str, int)) and str(t["name"]).strip():
            out.append({"name": str(t["name"]).strip()})
        else:
            inv.add(NOT_BLANK, f"{path}.{i}.name")
    return out


def _refs(ctx: Ctx, raw: Any, path: str, other: str, inv: Invalid) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        inv.type_error(path, "array")
        return []
    out = []
    for i, ref in enumerate(raw):
        oid = as_int(ref.get("id")) if isinstance(ref, dict) else None
        if oid is None:
            inv.type_error(f"{path}.{i}.id", "int")
        elif ctx.store.get(other, oid) is None:
            inv.add(NOT_CHOICE, f"{path}.{i}.id")
        else:
            out.append({**ref, "id": oid})
    return out


def parse_item(ctx: Ctx, kind: str, raw: Any, request_id: str, current: dict[str, Any] | None,
               inv: Invalid, prefix: str = "") -> Plan:
    """Validate one v4 entity object (create when ``current`` is None) into a :class:`Plan`."""
    plan = Plan(kind, request_id, current)
    if not isinstance(raw, dict):
        inv.type_error(prefix, "object")
        return plan
    store, item = ctx.store, plan.item
    if "name" in raw and raw["name"] is not None:
        if not isinstance(raw["name"], str):
            inv.type_error(prefix + "name", "string")
        else:
            item["name"] = raw["name"]
    _user_field(ctx, raw, "responsible_user_id", inv, plan, prefix)
    for key in ("created_by", "updated_by"):
        _user_field(ctx, raw, key, inv, plan, prefix, robot_ok=True)
    for key in ("created_at", "updated_at"):
        n = _int_field(raw, key, inv, prefix, null_as=None)
        if n is not None:
            item[key] = n
    if "custom_fields_values" in raw:
        item[CF_VALUES_KEY] = F.parse_values(store.field_defs(kind), raw["custom_fields_values"], inv,
                                             prefix + "custom_fields_values")
    emb = raw.get("_embedded")
    if emb is not None and not isinstance(emb, dict):
        inv.type_error(prefix + "_embedded", "object")
        emb = None
    emb = emb or {}
    if "tags" in emb:
        item["tags"] = [] if emb["tags"] is None else _tag_refs(ctx, emb["tags"], prefix + "_embedded.tags", inv)
    for key, dest in (("tags_to_add", plan.tags_add), ("tags_to_delete", plan.tags_del)):
        if key in raw and raw[key] is not None:
            dest.extend(_tag_refs(ctx, raw[key], prefix + key, inv))
    if kind == "leads":
        _parse_lead(ctx, raw, emb, inv, plan, prefix)
    elif kind == "contacts":
        for key in ("first_name", "last_name"):
            if key in raw and raw[key] is not None:
                if not isinstance(raw[key], str):
                    inv.type_error(prefix + key, "string")
                else:
                    item[key] = raw[key]
        if "name" in item and "first_name" not in item and "last_name" not in item:
            # v4 keeps the name as given: it is not split into first and last name
            item["first_name"] = current["first_name"] if current else ""
            item["last_name"] = current["last_name"] if current else ""
        if current is None and "companies" in emb:
            comps = _refs(ctx, emb["companies"], prefix + "_embedded.companies", "companies", inv)
            if comps:
                item["company_id"] = comps[0]["id"]
    elif kind == "companies":
        if current is None and "contacts" in emb:
            item["contacts_id"] = [c["id"] for c in _refs(ctx, emb["contacts"], prefix + "_embedded.contacts",
                                                            "contacts", inv)]
    elif kind == "customers":
        _parse_customer(ctx, raw, emb, inv, plan, prefix)
    return plan


def _parse_lead(ctx: Ctx, raw: dict[str, Any], emb: dict[str, Any], inv: Invalid, plan: Plan, prefix: str) -> None:
    store, item = ctx.store, plan.item
    if "price" in raw:
        price = 0 if raw["price"] is None else as_int(raw["price"])
        if price is None or price < 0:
            inv.type_error(prefix + "price", "int")
        else:
            item["sale"] = price
    pid = _int_field(raw, "pipeline_id", inv, prefix, null_as=None)
    sid = _int_field(raw, "status_id", inv, prefix, null_as=None)
    if pid is not None and store.pipeline(pid) is None:
        inv.add(NOT_CHOICE, prefix + "pipeline_id")
        pid = None
    if sid is not None:
        hint = pid if pid is not None else (plan.current["pipeline_id"] if plan.current else store.main_pipeline())
        if store.pipeline_of_status(sid, hint) is None:
            inv.add(NOT_CHOICE, prefix + "status_id")
        else:
            item["status_id"] = sid
            item["pipeline_id"] = hint
    elif pid is not None:
        item["pipeline_id"] = pid
    if "loss_reason_id" in raw:
        lr = _int_field(raw, "loss_reason_id", inv, prefix)
        if lr is not None and lr != 0 and lr not in store.v4.loss_reasons:
            inv.add(NOT_CHOICE, prefix + "loss_reason_id")
        elif lr is not None:
            item["loss_reason_id"] = lr
    if "closed_at" in raw:
        closed = _int_field(raw, "closed_at", inv, prefix)
        if closed is not None:
            plan.set_fields["closed_at"] = closed
    if "visitor_uid" in raw and plan.current is None:
        if raw["visitor_uid"] is not None and not isinstance(raw["visitor_uid"], str):
            inv.type_error(prefix + "visitor_uid", "string")
        else:
            plan.set_fields["visitor_uid"] = raw["visitor_uid"]
    if plan.current is None:
        if "contacts" in emb:
            contacts = _refs(ctx, emb["contacts"], prefix + "_embedded.contacts", "contacts", inv)
            item["contacts_id"] = [c["id"] for c in contacts]
            mains = [c["id"] for c in contacts if c.get("is_main") is True]
            plan.main_contact = mains[0] if mains else None
        if "companies" in emb:
            comps = _refs(ctx, emb["companies"], prefix + "_embedded.companies", "companies", inv)
            if comps:
                item["company_id"] = comps[0]["id"]
        src = emb.get("source")
        if isinstance(src, dict) and src.get("external_id") is not None:
            found = next((s for s in store.v4.sources.values() if s["external_id"] == str(src["external_id"])), None)
            if found is None:
                inv.add(NOT_CHOICE, prefix + "_embedded.source.external_id")
            else:
                plan.set_fields["source_id"] = found["id"]


def _parse_customer(ctx: Ctx, raw: dict[str, Any], emb: dict[str, Any], inv: Invalid, plan: Plan,
                    prefix: str) -> None:
    store, item = ctx.store, plan.item
    for key in ("next_price", "next_date", "periodicity"):
        n = _int_field(raw, key, inv, prefix)
        if n is not None:
            item[key] = n
    if "status_id" in raw:
        sid = _int_field(raw, "status_id", inv, prefix, null_as=None)
        if sid is not None and sid not in store.v4.customer_statuses:
            inv.add(NOT_CHOICE, prefix + "status_id")
        elif sid is not None:
            plan.set_fields["status_id"] = sid
    if "segments" in emb:
        segs: list[int] = []
        if not isinstance(emb["segments"], list):
            inv.type_error(prefix + "_embedded.segments", "array")
        else:
            for i, s in enumerate(emb["segments"]):
                sid = as_int(s.get("id")) if isinstance(s, dict) else None
                if sid is None or sid not in store.v4.segments:
                    inv.add(NOT_CHOICE, f"{prefix}_embedded.segments.{i}.id")
                else:
                    segs.append(sid)
        plan.set_fields["segments"] = segs
    if plan.current is None:
        if "contacts" in emb:
            item["contacts_id"] = [c["id"] for c in _refs(ctx, emb["contacts"], prefix + "_embedded.contacts",
                                                            "contacts", inv)]
        if "companies" in emb:
            comps = _refs(ctx, emb["companies"], prefix + "_embedded.companies", "companies", inv)
            if comps:
                item["company_id"] = comps[0]["id"]


def _resolve_tags(store: Store, refs: list[Any]) -> list[int]:
    out = []
    for ref in refs:
        tid = ref if isinstance(ref, int) else store.tag_id(str(ref["name"]))
        if tid not in out:
            out.append(tid)
    return out


def _finish(ctx: Ctx, plan: Plan, eid: int) -> None:
    """The v4-only parts of a write, applied to the stored record (one more fresh dict)."""
    store, kind = ctx.store, plan.kind
    rec = store.items[kind][eid]
    changes = dict(plan.set_fields)
    if plan.tags_add or plan.tags_del:
        tags = list(rec.get("tags", []))
        for t in _resolve_tags(store, plan.tags_add):
            if t not in tags:
                tags.append(t)
        drop = set()
        for ref in plan.tags_del:
            drop.add(ref if isinstance(ref, int) else store.tags.get(str(ref["name"]), -1))
        changes["tags"] = [t for t in tags if t not in drop]
    if changes:
        store.items[kind][eid] = {**rec, **changes}
    for t in store.items[kind][eid].get("tags", []):
        store.v4.tag_kinds.setdefault(t, set()).add(kind)
    if plan.main_contact is not None:
        store.v4.main_contacts[(kind, eid)] = plan.main_contact
    for step in plan.after:
        step(eid)


def apply_one(ctx: Ctx, plan: Plan) -> tuple[int, int]:
    """Apply one validated plan (create or update); ItemError/BadInput when the shared write path refuses."""
    if plan.current is None:
        eid = create_entity(ctx.store, plan.kind, plan.item)
    else:
        result = update_entity(ctx.store, plan.kind, {**plan.item, "id": plan.current["id"]}, check_stale=False)
        assert not isinstance(result, str)
        eid = result[0]
    _finish(ctx, plan, eid)
    return eid, int(ctx.store.items[plan.kind][eid]["updated_at"])


def apply_plans(ctx: Ctx, plans: list[Plan], invs: list[Invalid]) -> list[tuple[Plan, int, int]]:
    """Apply the valid plans: all or nothing (``v4_atomic_batches``), else each valid one.

    Raises ValidationFailed when any item failed (after applying the valid ones in partial mode).
    """
    bad = [i for i in invs if i]
    atomic = ctx.core.options.v4_atomic_batches
    if bad and atomic:
        raise ValidationFailed(bad)
    mark = ctx.store.journal.mark()
    done: list[tuple[Plan, int, int]] = []
    for plan, inv in zip(plans, invs, strict=True):
        if inv:
            continue
        try:
            eid, updated = apply_one(ctx, plan)
        except (ItemError, BadInput) as exc:
            inv.add("InvalidValue", "", exc.message if isinstance(exc, ItemError) else exc.detail)
            if atomic:
                ctx.store.journal.rollback(ctx.store, mark)
                raise ValidationFailed([inv]) from None
            bad.append(inv)
            continue
        done.append((plan, eid, updated))
    if bad:
        raise ValidationFailed(bad)
    return done


def request_id_of(raw: Any, index: int) -> str:
    rid = raw.get("request_id") if isinstance(raw, dict) else None
    return str(rid) if rid is not None and not isinstance(rid, (dict, list)) else str(index)


def _wrote(ctx: Ctx, kind: str, done: list[tuple[Plan, int, int]], update: bool,
           sent_ids: set[str]) -> Response:
    rows = []
    for plan, eid, updated in done:
        row: dict[str, Any] = {"id": eid}
        if update:
            row["updated_at"] = updated
            if plan.request_id in sent_ids:
                row["request_id"] = plan.request_id
        else:
            row["request_id"] = plan.request_id
        row["_links"] = ctx.link(f"{kind}/{eid}")
        rows.append(row)
    return hal({"_links": ctx.link(kind), "_embedded": {kind: rows}})


def add_entities(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    if kind == "customers":
        check_customers(ctx)
    items = ctx.array_body()
    plans, invs = [], []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        plans.append(parse_item(ctx, kind, raw, inv.request_id, None, inv))
        invs.append(inv)
    return _wrote(ctx, kind, apply_plans(ctx, plans, invs), False, set())


def update_entities(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    if kind == "customers":
        check_customers(ctx)
    items = ctx.array_body()
    plans, invs, sent = [], [], set()
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        if isinstance(raw, dict) and raw.get("request_id") is not None:
            sent.add(inv.request_id)
        current = None
        eid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        if isinstance(raw, dict) and eid is None:
            inv.add(NOT_BLANK if raw.get("id") is None else INVALID_TYPE, "id")
        elif eid is not None:
            current = ctx.store.get(kind, eid)
            if current is None:
                inv.add(NOT_CHOICE, "id")
        plans.append(parse_item(ctx, kind, raw, inv.request_id, current, inv) if current or not isinstance(raw, dict)
                     else Plan(kind, inv.request_id, None))
        invs.append(inv)
    return _wrote(ctx, kind, apply_plans(ctx, plans, invs), True, sent)


def update_one(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    if kind == "customers":
        check_customers(ctx)
    current = ctx.store.get(kind, ctx.pid())
    if current is None:
        raise V4Error(404, f"{SINGULAR[kind].capitalize()} {ctx.params['id']} not found")
    raw = ctx.object_body()
    inv = Invalid(request_id_of(raw, 0))
    plan = parse_item(ctx, kind, raw, inv.request_id, current, inv)
    [(_, eid, updated)] = apply_plans(ctx, [plan], [inv])
    return hal({"id": eid, "updated_at": updated, "_links": ctx.link(f"{kind}/{eid}")})


# -- complex -------------------------------------------------------------------------------------
COMPLEX_LIMIT = 50


def _phones_emails(store: Store, kind: str, rec_cf: dict[int, list[dict[str, Any]]]) -> set[str]:
    defs = store.field_defs(kind)
    out = set()
    for fid, values in rec_cf.items():
        fd = defs.get(fid)
        if fd is not None and fd.code in ("PHONE", "EMAIL"):
            for v in values:
                text = str(v.get("value", "")).strip().lower()
                digits = "".join(ch for ch in text if ch.isdigit())
                out.add(digits[-10:] if fd.code == "PHONE" and len(digits) >= 7 else text)
    return out


def _duplicate(ctx: Ctx, contact_plan: Plan | None, pipeline_id: int) -> tuple[int, int] | None:
    """(lead id, contact id) of an open lead in the pipeline whose contact shares a phone or e-mail."""
    if contact_plan is None:
        return None
    keys = _phones_emails(ctx.store, "contacts", contact_plan.item.get(CF_VALUES_KEY, {}))
    if not keys:
        return None
    for cid, rec in ctx.store.items["contacts"].items():
        if visible(rec) and keys & _phones_emails(ctx.store, "contacts", rec["custom_fields"]):
            for lid in ctx.store.linked("contacts", cid, "leads"):
                lead = ctx.store.items["leads"][lid]
                if lead["pipeline_id"] == pipeline_id and lead["status_id"] not in (SEED.STATUS_WON, SEED.STATUS_LOST):
                    return lid, cid
    return None


def complex_add(ctx: Ctx) -> Response:
    """``POST /api/v4/leads/complex``: a lead with its new contact and company; a bare JSON array back."""
    from .unsorted import create_unsorted_for

    items = ctx.array_body(limit=COMPLEX_LIMIT)
    store = ctx.store
    prepared: list[Any] = []
    invs = []
    for i, raw in enumerate(items):
        rid = request_id_of(raw, i)
        inv = Invalid(rid)
        invs.append(inv)
        if not isinstance(raw, dict):
            inv.type_error("", "object")
            prepared.append(None)
            continue
        emb: dict[str, Any] = raw["_embedded"] if isinstance(raw.get("_embedded"), dict) else {}
        lead_raw = {k: v for k, v in raw.items() if k not in ("id", "request_id")}
        lead_raw["_embedded"] = {k: v for k, v in emb.items() if k in ("tags", "source")}
        lead = parse_item(ctx, "leads", lead_raw, rid, None, inv)
        sub: dict[str, Plan | None] = {"contacts": None, "companies": None}
        for kind in ("contacts", "companies"):
            refs = emb.get(kind)
            if refs is None:
                continue
            if not isinstance(refs, list):
                inv.type_error(f"_embedded.{kind}", "array")
                continue
            if len(refs) > 1:
                inv.add("TooMany", f"_embedded.{kind}", "This collection should contain 1 element or less.")
                continue
            if refs:
                one = {k: v for k, v in refs[0].items() if k != "id"} if isinstance(refs[0], dict) else refs[0]
                sub[kind] = parse_item(ctx, kind, one, rid, None, inv, prefix=f"_embedded.{kind}.0.")
        meta = emb.get("metadata")
        if meta is not None:
            if not isinstance(meta, dict) or meta.get("category") not in ("forms", "sip", "chats", "mail"):
                inv.add(NOT_CHOICE, "_embedded.metadata.category")
        prepared.append((lead, sub, meta))
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    mark = store.journal.mark()
    results: list[dict[str, Any]] = []
    by_lead: dict[int, dict[str, Any]] = {}
    try:
        for (lead, sub, meta), inv in zip(prepared, invs, strict=True):
            pipeline_id = lead.item.get("pipeline_id") or store.main_pipeline()
            dup = _duplicate(ctx, sub["contacts"], pipeline_id) if ctx.core.options.duplicate_control else None
            if dup is not None:
                lid, cid = dup
                if lid in by_lead:
                    by_lead[lid]["request_id"].append(inv.request_id)
                    continue
                comp = store.linked("leads", lid, "companies")
                row = {"id": lid, "contact_id": cid, "company_id": comp[0] if comp else None,
                       "request_id": [inv.request_id], "merged": True}
                by_lead[lid] = row
                results.append(row)
                continue
            made: dict[str, int | None] = {"contacts": None, "companies": None}
            for kind in ("companies", "contacts"):
                plan = sub[kind]
                if plan is not None:
                    made[kind] = apply_one(ctx, plan)[0]
            if made["contacts"] is not None:
                lead.item["contacts_id"] = [made["contacts"]]
            if made["companies"] is not None:
                lead.item["company_id"] = made["companies"]
            if made["contacts"] is not None and made["companies"] is not None:
                store.link(("contacts", made["contacts"]), ("companies", made["companies"]))
            lid = apply_one(ctx, lead)[0]
            if meta is not None:
                create_unsorted_for(ctx, str(meta["category"]), meta, lid, made["contacts"], made["companies"])
            row = {"id": lid, "contact_id": made["contacts"], "company_id": made["companies"],
                   "request_id": [inv.request_id], "merged": False}
            by_lead[lid] = row
            results.append(row)
    except (ItemError, BadInput) as exc:
        store.journal.rollback(store, mark)
        raise V4Error(400, exc.message if isinstance(exc, ItemError) else exc.detail) from None
    return hal(results)


# -- tags ----------------------------------------------------------------------------------------
def _used_tags(store: Store, kind: str) -> set[int]:
    used = {t for t, kinds in store.v4.tag_kinds.items() if kind in kinds}
    for rec in store.items[kind].values():
        used.update(rec.get("tags", []))
    return used


def _render_tag(ctx: Ctx, tid: int, request_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": tid, "name": ctx.store.tag_names[tid], "color": ctx.store.v4.tag_colors.get(tid)}
    if request_id is not None:
        out["request_id"] = request_id
    return out


def list_tags(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    store = ctx.store
    rows = sorted(_used_tags(store, kind))
    flt = ctx.filter
    if flt.get("id") not in (None, ""):
        ids = ids_of(flt["id"], "filter[id]")
        rows = [t for t in rows if t in ids]
    if flt.get("name") not in (None, ""):
        name = str(flt["name"])
        rows = [t for t in rows if store.tag_names[t] == name]
    if ctx.q.get("query") not in (None, ""):
        needle = str(ctx.q["query"]).lower()
        rows = [t for t in rows if needle in store.tag_names[t].lower()]
    return listing(ctx, f"{kind}/tags", "tags", rows, lambda t: _render_tag(ctx, t))


TAG_COLORS = ("EBEBEB", "D0D0D0", "F2DDF7", "D1A4DC", "FF8F92", "FFC8C8", "C7DB8C", "DDEBB5", "8699DA", "AABDFF",
              "FFCE5A", "FFE193", "90CDB0", "C6F4DE", "A9A5D7", "D8D5FF", "86C0FC", "832161", "6A0F49", "0C7C59",
              "10599D", "9D2B32", "247BA0")


def _parse_tag(ctx: Ctx, raw: Any, inv: Invalid, update: bool) -> tuple[int | None, str | None, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    tid = None
    if update:
        tid = as_int(raw.get("id"))
        if tid is None or tid not in ctx.store.tag_names:
            inv.add(NOT_CHOICE if raw.get("id") is not None else NOT_BLANK, "id")
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        inv.add(NOT_BLANK, "name")
    elif name is None and not update:
        inv.add(NOT_BLANK, "name")
    color = raw.get("color", ...)
    if color is not ... and color is not None and str(color).upper().lstrip("#") not in TAG_COLORS:
        inv.add(NOT_CHOICE, "color")
    if inv:
        return None
    return tid, name.strip() if isinstance(name, str) else None, color


def add_tags(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_parse_tag(ctx, r, inv, False) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad and ctx.core.options.v4_atomic_batches:
        raise ValidationFailed(bad)
    out = []
    for p, inv in zip(parsed, invs, strict=True):
        if p is None:
            continue
        _, name, color = p
        assert name is not None
        tid = ctx.store.tag_id(name)
        if color is not ...:
            ctx.store.v4.tag_colors[tid] = None if color is None else str(color).upper().lstrip("#")
        ctx.store.v4.tag_kinds.setdefault(tid, set()).add(kind)
        out.append(_render_tag(ctx, tid, inv.request_id))
    if bad:
        raise ValidationFailed(bad)
    return hal({"_links": ctx.link(f"{kind}/tags"), "_embedded": {"tags": out}})


def update_tags(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_parse_tag(ctx, r, inv, True) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    store = ctx.store
    for p, inv in zip(parsed, invs, strict=True):
        assert p is not None
        tid, name, color = p
        assert tid is not None
        if name is not None and name != store.tag_names[tid]:
            del store.tags[store.tag_names[tid]]
            store.tags[name] = tid
            store.tag_names[tid] = name
        if color is not ...:
            store.v4.tag_colors[tid] = None if color is None else str(color).upper().lstrip("#")
        out.append(_render_tag(ctx, tid, inv.request_id))
    return hal({"_links": ctx.link("leads/tags"), "_embedded": {"tags": out}})


ROUTES = [
    ("POST", "leads/complex", complex_add),
    ("GET", "{entity}/tags", list_tags),
    ("POST", "{entity}/tags", add_tags),
    ("PATCH", "leads/tags", update_tags),
    ("GET", "{entity}", list_entities),
    ("POST", "{entity}", add_entities),
    ("PATCH", "{entity}", update_entities),
    ("GET", "{entity}/{id}", get_entity),
    ("PATCH", "{entity}/{id}", update_one),
]
