"""Links between entities (``/{entity}/{id}/link``, ``/unlink``, ``/links`` and the mass forms).

Contact/company/lead/customer links are the store's two-way links (the v2 face's ``contacts_id``,
``company_id`` …); catalog element links are the record's ``catalog_elements`` map (v2's
``catalog_elements_id``), so a link made through one face reads back through the other.
"""

from __future__ import annotations

from typing import Any

from ..store import LINKABLE
from ..wire import Response, no_content
from .base import NOT_BLANK, NOT_CHOICE, Ctx, Invalid, V4Error, ValidationFailed, as_int, hal, ids_of, listing
from .crm import main_contact, request_id_of

__all__ = ["ROUTES", "ALLOWED"]

#: main entity -> the entity types it may be linked to
ALLOWED: dict[str, tuple[str, ...]] = {
    "leads": ("contacts", "companies", "catalog_elements"),
    "contacts": ("companies", "customers", "catalog_elements", "leads"),
    "companies": ("contacts", "leads", "customers", "catalog_elements"),
    "customers": ("contacts", "companies", "catalog_elements"),
}


def _links_of(ctx: Ctx, kind: str, eid: int) -> list[dict[str, Any]]:
    store = ctx.store
    out = []
    main = main_contact(store, kind, eid) if kind in ("leads", "customers") else None
    for other in ALLOWED[kind]:
        if other == "catalog_elements":
            rec = store.items[kind].get(eid) or {}
            for cid, elems in rec.get("catalog_elements", {}).items():
                for el, qty in elems.items():
                    out.append({"entity_id": eid, "entity_type": kind, "to_entity_id": el,
                                "to_entity_type": "catalog_elements",
                                "metadata": {"quantity": qty, "catalog_id": cid, "price_id": None}})
            continue
        for oid in store.linked(kind, eid, other):
            meta = {"main_contact": oid == main} if other == "contacts" and main is not None else None
            out.append({"entity_id": eid, "entity_type": kind, "to_entity_id": oid, "to_entity_type": other,
                        "metadata": meta})
    return out


def _apply_filter(ctx: Ctx, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flt = ctx.filter
    if flt.get("to_entity_id") not in (None, ""):
        if flt.get("to_entity_type") in (None, ""):
            raise V4Error(400, "filter[to_entity_id] must be passed together with filter[to_entity_type]")
        ids = ids_of(flt["to_entity_id"], "filter[to_entity_id]")
        rows = [r for r in rows if r["to_entity_id"] in ids]
    if flt.get("to_entity_type") not in (None, ""):
        rows = [r for r in rows if r["to_entity_type"] == str(flt["to_entity_type"])]
    if flt.get("to_catalog_id") not in (None, ""):
        cids = ids_of(flt["to_catalog_id"], "filter[to_catalog_id]")
        rows = [r for r in rows if r["metadata"] and r["metadata"].get("catalog_id") in cids]
    return rows


def list_one(ctx: Ctx) -> Response:
    kind, eid = ctx.params["entity"], ctx.pid()
    if ctx.store.get(kind, eid) is None:
        return no_content()
    rows = _apply_filter(ctx, _links_of(ctx, kind, eid))
    return listing(ctx, f"{kind}/{eid}/links", "links", rows, lambda r: r, paged_keys=False)


def list_mass(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    flt = ctx.filter
    if flt.get("entity_id") in (None, ""):
        raise V4Error(400, "filter[entity_id] is required")
    rows: list[dict[str, Any]] = []
    for eid in sorted(ids_of(flt["entity_id"], "filter[entity_id]")):
        if ctx.store.get(kind, eid) is not None:
            rows.extend(_links_of(ctx, kind, eid))
    return listing(ctx, f"{kind}/links", "links", _apply_filter(ctx, rows), lambda r: r, paged_keys=False)


def _parse(ctx: Ctx, kind: str, raw: Any, inv: Invalid, fixed_id: int | None) -> tuple[Any, ...] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    eid = fixed_id
    if eid is None:
        eid = as_int(raw.get("entity_id"))
        if eid is None:
            inv.add(NOT_BLANK if raw.get("entity_id") is None else "InvalidType", "entity_id")
        elif ctx.store.get(kind, eid) is None:
            inv.add(NOT_CHOICE, "entity_id")
    to_type = raw.get("to_entity_type")
    if to_type not in ALLOWED[kind]:
        inv.add(NOT_CHOICE if to_type is not None else NOT_BLANK, "to_entity_type")
    to_id = as_int(raw.get("to_entity_id"))
    if to_id is None:
        inv.add(NOT_BLANK if raw.get("to_entity_id") is None else "InvalidType", "to_entity_id")
    meta = raw.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        inv.type_error("metadata", "object")
    if inv:
        return None
    assert isinstance(to_type, str) and to_id is not None and eid is not None
    meta = dict(meta) if isinstance(meta, dict) else None
    if to_type == "catalog_elements":
        el = ctx.store.get("catalog_elements", to_id)
        cid = as_int((meta or {}).get("catalog_id"))
        if el is None:
            inv.add(NOT_CHOICE, "to_entity_id")
        elif cid is None:
            inv.add(NOT_BLANK, "metadata.catalog_id")
        elif el["catalog_id"] != cid:
            inv.add(NOT_CHOICE, "metadata.catalog_id")
        qty = (meta or {}).get("quantity", 1)
        if not isinstance(qty, (int, float)) or isinstance(qty, bool) or qty < 0:
            inv.type_error("metadata.quantity", "int|float")
    elif ctx.store.get(to_type, to_id) is None:
        inv.add(NOT_CHOICE, "to_entity_id")
    if inv:
        return None
    return kind, eid, to_type, to_id, meta


def _link(ctx: Ctx, kind: str, eid: int, to_type: str, to_id: int, meta: dict[str, Any] | None, on: bool) -> None:
    store = ctx.store
    if to_type == "catalog_elements":
        rec = store.items[kind][eid]
        el = store.items["catalog_elements"][to_id]
        elems = {c: dict(e) for c, e in rec.get("catalog_elements", {}).items()}
        cid = int(el["catalog_id"])
        if on:
            qty = (meta or {}).get("quantity", 1)
            elems.setdefault(cid, {})[to_id] = int(qty) if float(qty).is_integer() else qty
        else:
            elems.get(cid, {}).pop(to_id, None)
            elems = {c: e for c, e in elems.items() if e}
        store.items[kind][eid] = {**rec, "catalog_elements": elems}
        return
    if on:
        store.link((kind, eid), (to_type, to_id))
        if to_type == "contacts" and kind in ("leads", "customers") and meta and (
                meta.get("is_main") is True or meta.get("main_contact") is True):
            store.v4.main_contacts[(kind, eid)] = to_id
    else:
        store.unlink((kind, eid), (to_type, to_id))


def _write(ctx: Ctx, fixed_id: int | None, on: bool) -> Response:
    kind = ctx.params["entity"]
    if fixed_id is not None and ctx.store.get(kind, fixed_id) is None:
        raise V4Error(404, f"Entity {fixed_id} not found")
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_parse(ctx, kind, r, inv, fixed_id) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for p in parsed:
        assert p is not None
        k, eid, to_type, to_id, meta = p
        if to_type != "catalog_elements" and (k not in LINKABLE or to_type not in LINKABLE):
            continue
        _link(ctx, k, eid, to_type, to_id, meta, on)
        out.append({"entity_id": eid, "entity_type": k, "to_entity_id": to_id, "to_entity_type": to_type,
                    "metadata": meta})
    if not on:
        return no_content()
    path = f"{kind}/{fixed_id}/link" if fixed_id is not None else f"{kind}/link"
    return hal({"_links": ctx.link(path), "_embedded": {"links": out}})


def link_one(ctx: Ctx) -> Response:
    return _write(ctx, ctx.pid(), True)


def unlink_one(ctx: Ctx) -> Response:
    return _write(ctx, ctx.pid(), False)


def link_mass(ctx: Ctx) -> Response:
    return _write(ctx, None, True)


def unlink_mass(ctx: Ctx) -> Response:
    return _write(ctx, None, False)


ROUTES = [
    ("GET", "{entity}/links", list_mass),
    ("POST", "{entity}/link", link_mass),
    ("POST", "{entity}/unlink", unlink_mass),
    ("GET", "{entity}/{id}/links", list_one),
    ("POST", "{entity}/{id}/link", link_one),
    ("POST", "{entity}/{id}/unlink", unlink_one),
]
