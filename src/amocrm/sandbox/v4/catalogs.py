"""Catalogs (lists) and their elements in API v4: ``/api/v4/catalogs`` and ``/catalogs/{id}/elements``.

The store's catalogs and catalog elements (the v2 face's ``/api/v2/catalogs`` and
``/api/v2/catalog_elements``); custom fields of a catalog are defined per catalog.
"""

from __future__ import annotations

from typing import Any

from ..entities import CF_VALUES_KEY
from ..seed import SEED
from ..wire import Response, no_content
from . import fields as F
from .base import NOT_BLANK, NOT_CHOICE, Ctx, Invalid, V4Error, as_int, hal, ids_of, listing, one_or_many
from .crm import Plan, apply_plans, request_id_of

__all__ = ["ROUTES"]

_TYPES = ("regular", "invoices", "products", "suppliers")


def _render_catalog(ctx: Ctx, rec: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rec["id"], "name": rec["name"], "created_by": rec["created_by"], "updated_by": rec.get("updated_by", 0),
        "created_at": rec["created_at"], "updated_at": rec["updated_at"], "sort": rec["sort"], "type": rec["type"],
        "can_add_elements": rec["can_add_elements"], "can_show_in_cards": rec["can_show_in_cards"],
        "can_link_multiple": rec["can_link_multiple"], "can_be_deleted": rec["type"] == "regular",
        "sdk_widget_code": None, "account_id": SEED.ACCOUNT_ID}
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"catalogs/{rec['id']}")
    return out


def list_catalogs(ctx: Ctx) -> Response:
    rows = sorted(ctx.store.items["catalogs"].values(), key=lambda r: (r["sort"], r["id"]))
    kind = ctx.q.get("type")
    if kind not in (None, ""):
        if kind not in _TYPES:
            raise V4Error(400, f"type must be one of {', '.join(_TYPES)}")
        rows = [r for r in rows if r["type"] == kind]
    return listing(ctx, "catalogs", "catalogs", rows, lambda r: _render_catalog(ctx, r))


def get_catalog(ctx: Ctx) -> Response:
    rec = ctx.store.get("catalogs", ctx.pid("cid"))
    return no_content() if rec is None else hal(_render_catalog(ctx, rec))


def _parse_catalog(ctx: Ctx, raw: Any, inv: Invalid, current: dict[str, Any] | None) -> Plan:
    plan = Plan("catalogs", inv.request_id, current)
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return plan
    item = plan.item
    if "name" in raw or current is None:
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            inv.add(NOT_BLANK, "name")
        else:
            item["name"] = raw["name"].strip()
    if "type" in raw and current is None:
        if raw["type"] not in _TYPES:
            inv.add(NOT_CHOICE, "type")
        elif raw["type"] != "regular" and any(c["type"] == raw["type"] for c in ctx.store.items["catalogs"].values()):
            inv.add(NOT_CHOICE, "type", f"The account already has a {raw['type']} catalog.")
        else:
            item["type"] = raw["type"]
    if "sort" in raw:
        sort = as_int(raw["sort"])
        if sort is None:
            inv.type_error("sort", "int")
        else:
            plan.set_fields["sort"] = sort
    for key in ("can_add_elements", "can_show_in_cards", "can_link_multiple"):
        if key in raw:
            if not isinstance(raw[key], bool):
                inv.type_error(key, "bool")
            else:
                item[key] = raw[key]
    return plan


def _wrote(ctx: Ctx, done: list[tuple[Plan, int, int]]) -> Response:
    rows = [_render_catalog(ctx, ctx.store.items["catalogs"][cid], plan.request_id) for plan, cid, _ in done]
    return hal({"_links": ctx.link("catalogs"), "_embedded": {"catalogs": rows}})


def add_catalogs(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = [_parse_catalog(ctx, r, inv, None) for r, inv in zip(items, invs, strict=True)]
    done = apply_plans(ctx, plans, invs)
    for _, cid, _ in done:
        ctx.store.fields.setdefault(f"catalog:{cid}", {})
    return _wrote(ctx, done)


def update_catalogs(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = []
    for raw, inv in zip(items, invs, strict=True):
        cid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        current = ctx.store.get("catalogs", cid) if cid is not None else None
        if current is None:
            inv.add(NOT_CHOICE if cid is not None else NOT_BLANK, "id")
            plans.append(Plan("catalogs", inv.request_id, None))
            continue
        plans.append(_parse_catalog(ctx, raw, inv, current))
    return _wrote(ctx, apply_plans(ctx, plans, invs))


def update_catalog(ctx: Ctx) -> Response:
    current = ctx.store.get("catalogs", ctx.pid("cid"))
    if current is None:
        raise V4Error(404, f"Catalog {ctx.params['cid']} not found")
    raw = ctx.object_body()
    inv = Invalid(request_id_of(raw, 0))
    [(_, cid, _)] = apply_plans(ctx, [_parse_catalog(ctx, raw, inv, current)], [inv])
    return hal(_render_catalog(ctx, ctx.store.items["catalogs"][cid]))


def delete_catalog(ctx: Ctx) -> Response:
    """Deleting a catalog deletes its elements too (as the account's UI does)."""
    cid = ctx.pid("cid")
    rec = ctx.store.get("catalogs", cid)
    if rec is None:
        raise V4Error(404, f"Catalog {cid} not found")
    if rec["type"] != "regular":
        raise V4Error(400, f"The {rec['type']} catalog cannot be deleted")
    del ctx.store.items["catalogs"][cid]
    for el in [k for k, v in ctx.store.items["catalog_elements"].items() if v["catalog_id"] == cid]:
        del ctx.store.items["catalog_elements"][el]
    return no_content()


# -- elements ------------------------------------------------------------------------------------
def _catalog(ctx: Ctx) -> dict[str, Any]:
    rec = ctx.store.get("catalogs", ctx.pid("cid"))
    if rec is None:
        raise V4Error(404, f"Catalog {ctx.params['cid']} not found")
    return rec


def _render_element(ctx: Ctx, rec: dict[str, Any], with_: set[str], request_id: str | None = None
                    ) -> dict[str, Any]:
    cid = rec["catalog_id"]
    out: dict[str, Any] = {
        "id": rec["id"], "name": rec["name"], "created_by": rec["created_by"], "updated_by": rec["updated_by"],
        "created_at": rec["created_at"], "updated_at": rec["updated_at"], "is_deleted": bool(rec.get("is_deleted")),
        "custom_fields_values": F.render_values(ctx.store.field_defs("catalog_elements", cid), rec["custom_fields"]),
        "catalog_id": cid, "account_id": SEED.ACCOUNT_ID}
    if rec.get("currency_id") is not None:
        out["currency_id"] = rec["currency_id"]
    if "invoice_link" in with_:
        out["invoice_link"] = f"{ctx.base}/invoice/{rec['id']}"
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"catalogs/{cid}/elements/{rec['id']}", echo=True)
    return out


def list_elements(ctx: Ctx) -> Response:
    cat = _catalog(ctx)
    rows = [r for r in ctx.store.items["catalog_elements"].values()
            if r["catalog_id"] == cat["id"] and not r.get("is_deleted")]
    flt = ctx.filter
    ids_raw = ctx.q.get("id") if ctx.q.get("id") not in (None, "") else flt.get("id")
    if ids_raw not in (None, ""):
        ids = ids_of(ids_raw, "id")
        rows = [r for r in rows if r["id"] in ids]
    query = ctx.q.get("query") if ctx.q.get("query") not in (None, "") else flt.get("query")
    if query not in (None, ""):
        needle = str(query).lower()
        rows = [r for r in rows if needle in r["name"].lower()
                or any(needle in str(v.get("value", "")).lower() for vals in r["custom_fields"].values() for v in vals)]
    rows.sort(key=lambda r: r["id"])
    with_ = {w.strip() for w in ",".join(str(x) for x in one_or_many(ctx.q.get("with"))).split(",")}
    return listing(ctx, f"catalogs/{cat['id']}/elements", "elements", rows,
                   lambda r: _render_element(ctx, r, with_))


def get_element(ctx: Ctx) -> Response:
    cat = _catalog(ctx)
    rec = ctx.store.get("catalog_elements", ctx.pid())
    if rec is None or rec["catalog_id"] != cat["id"]:
        return no_content()
    with_ = {w.strip() for w in str(ctx.q.get("with", "")).split(",")}
    return hal(_render_element(ctx, rec, with_))


def _parse_element(ctx: Ctx, cid: int, raw: Any, inv: Invalid, current: dict[str, Any] | None) -> Plan:
    plan = Plan("catalog_elements", inv.request_id, current)
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return plan
    item = plan.item
    if current is None:
        item["catalog_id"] = cid
    if "name" in raw or current is None:
        if not isinstance(raw.get("name"), (str, int)) or isinstance(raw.get("name"), bool) or not str(
                raw["name"]).strip():
            inv.add(NOT_BLANK, "name")
        else:
            item["name"] = str(raw["name"]).strip()
    if "custom_fields_values" in raw:
        item[CF_VALUES_KEY] = F.parse_values(ctx.store.field_defs("catalog_elements", cid),
                                             raw["custom_fields_values"], inv)
    if "currency_id" in raw:
        cur = as_int(raw["currency_id"]) if raw["currency_id"] is not None else None
        if raw["currency_id"] is not None and cur is None:
            inv.type_error("currency_id", "int")
        else:
            plan.set_fields["currency_id"] = cur
    return plan


def _wrote_elements(ctx: Ctx, done: list[tuple[Plan, int, int]]) -> Response:
    rows = [_render_element(ctx, ctx.store.items["catalog_elements"][eid], set(), plan.request_id)
            for plan, eid, _ in done]
    return hal({"_links": ctx.link(f"catalogs/{ctx.params['cid']}/elements"), "_embedded": {"elements": rows}})


def add_elements(ctx: Ctx) -> Response:
    cat = _catalog(ctx)
    if not cat["can_add_elements"]:
        raise V4Error(403, f"Catalog {cat['id']} does not take new elements")
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = [_parse_element(ctx, cat["id"], r, inv, None) for r, inv in zip(items, invs, strict=True)]
    return _wrote_elements(ctx, apply_plans(ctx, plans, invs))


def update_elements(ctx: Ctx) -> Response:
    cat = _catalog(ctx)
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = []
    for raw, inv in zip(items, invs, strict=True):
        eid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        current = ctx.store.get("catalog_elements", eid) if eid is not None else None
        if current is None or current["catalog_id"] != cat["id"]:
            inv.add(NOT_CHOICE if eid is not None else NOT_BLANK, "id")
            plans.append(Plan("catalog_elements", inv.request_id, None))
            continue
        plans.append(_parse_element(ctx, cat["id"], raw, inv, current))
    return _wrote_elements(ctx, apply_plans(ctx, plans, invs))


def update_element(ctx: Ctx) -> Response:
    cat = _catalog(ctx)
    current = ctx.store.get("catalog_elements", ctx.pid())
    if current is None or current["catalog_id"] != cat["id"]:
        raise V4Error(404, f"Element {ctx.params['id']} not found in catalog {cat['id']}")
    raw = ctx.object_body()
    inv = Invalid(request_id_of(raw, 0))
    [(_, eid, _)] = apply_plans(ctx, [_parse_element(ctx, cat["id"], raw, inv, current)], [inv])
    return hal(_render_element(ctx, ctx.store.items["catalog_elements"][eid], set()))


# -- products settings ---------------------------------------------------------------------------
def products_settings(ctx: Ctx) -> Response:
    return hal({"is_enabled": ctx.store.v4.products_enabled})


def update_products_settings(ctx: Ctx) -> Response:
    body = ctx.object_body()
    if not isinstance(body.get("is_enabled"), bool):
        inv = Invalid("0")
        inv.type_error("is_enabled", "bool")
        from .base import ValidationFailed

        raise ValidationFailed([inv])
    ctx.store.v4.products_enabled = body["is_enabled"]
    return hal({"is_enabled": ctx.store.v4.products_enabled})


ROUTES = [
    ("GET", "catalogs/products/settings", products_settings),
    ("PATCH", "catalogs/products/settings", update_products_settings),
    ("GET", "catalogs", list_catalogs),
    ("POST", "catalogs", add_catalogs),
    ("PATCH", "catalogs", update_catalogs),
    ("GET", "catalogs/{cid}", get_catalog),
    ("PATCH", "catalogs/{cid}", update_catalog),
    ("DELETE", "catalogs/{cid}", delete_catalog),
    ("GET", "catalogs/{cid}/elements", list_elements),
    ("POST", "catalogs/{cid}/elements", add_elements),
    ("PATCH", "catalogs/{cid}/elements", update_elements),
    ("GET", "catalogs/{cid}/elements/{id}", get_element),
    ("PATCH", "catalogs/{cid}/elements/{id}", update_element),
]

