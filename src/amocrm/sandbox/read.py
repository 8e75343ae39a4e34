"""Read side of the v2 entity endpoints: filters, paging, If-Modified-Since, rendering."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

from .custom_fields import render_custom_fields
from .seed import SEED
from .store import LINKABLE, TYPE_NAMES, Store
from .wire import BadInput, Request, Response, id_list, int_param, json_response, no_content

__all__ = ["list_entities", "render", "parse_if_modified_since", "MAX_ROWS", "CATALOG_PAGE_SIZE"]

MAX_ROWS = 500
CATALOG_PAGE_SIZE = 50
_TYPE_OF_ELEMENT = {v: k for k, v in TYPE_NAMES.items()}


def _links(href: str) -> dict[str, Any]:
    return {"self": {"href": href, "method": "get"}}


def _id_group(kind: str, ids: list[int]) -> dict[str, Any]:
    if not ids:
        return {}
    return {"id": ids, "_links": _links(f"/api/v2/{kind}?id={','.join(map(str, ids))}")}


def _empty(value: list[Any], empty_as_object: bool) -> Any:
    return value if value or not empty_as_object else {}


class RenderContext:
    """Per-request caches (closest task per element) and switches."""

    def __init__(self, store: Store, empty_as_object: bool) -> None:
        self.store: Store = store
        self.empty_as_object: bool = empty_as_object
        self._closest: dict[tuple[int, int], int] | None = None

    def closest_task(self, etype: int, eid: int) -> int:
        if self._closest is None:
            idx: dict[tuple[int, int], int] = {}
            for t in self.store.items["tasks"].values():
                if not t["is_completed"] and t["element_id"]:
                    key = (t["element_type"], t["element_id"])
                    idx[key] = min(idx.get(key, t["complete_till_at"]), t["complete_till_at"])
            self._closest = idx
        return self._closest.get((etype, eid), 0)


def render(ctx: RenderContext, kind: str, rec: dict[str, Any], with_: set[str] | None = None) -> dict[str, Any]:
    """One stored record in the v2 response shape."""
    store, eid = ctx.store, rec["id"]
    out: dict[str, Any] = {"id": eid}
    if kind in LINKABLE or kind == "catalog_elements":
        out["name"] = rec["name"]
    if kind == "contacts":
        out.update(first_name=rec["first_name"], last_name=rec["last_name"])
    for key in ("responsible_user_id", "created_by", "created_at", "updated_at", "account_id", "updated_by",
                "group_id"):
        if key in rec:
            out[key] = rec[key]
    if kind in LINKABLE:
        out["is_deleted"] = rec["is_deleted"]
        etype = {"contacts": 1, "leads": 2, "companies": 3, "customers": 12}[kind]
        comp = store.linked(kind, eid, "companies") if kind != "companies" else []
        contacts = store.linked(kind, eid, "contacts") if kind != "contacts" else []
        if kind in ("leads", "customers"):
            chosen = store.v4.main_contacts.get((kind, eid))
            main = chosen if chosen in contacts else contacts[0] if contacts else None
            out["main_contact"] = {"id": main, "_links": _links(f"/api/v2/contacts?id={main}")} \
                if main is not None else {}
        if kind != "companies":
            if comp:
                c = store.items["companies"][comp[0]]
                out["company"] = {"id": c["id"], "name": c["name"], "_links": _links(f"/api/v2/companies?id={c['id']}")}
            else:
                out["company"] = {}
        if kind != "leads":
            out["leads"] = _id_group("leads", store.linked(kind, eid, "leads"))
        out["closest_task_at"] = ctx.closest_task(etype, eid)
        out["tags"] = _empty([{"id": t, "name": store.tag_names[t]} for t in rec["tags"]], ctx.empty_as_object)
        out["custom_fields"] = _empty(render_custom_fields(store.field_defs(kind), rec["custom_fields"]),
                                      ctx.empty_as_object)
        if kind != "contacts":
            out["contacts"] = _id_group("contacts", contacts)
        if kind in ("contacts", "companies"):
            out["customers"] = _id_group("customers", store.linked(kind, eid, "customers"))
    if kind == "leads":
        out.update(closed_at=rec["closed_at"], status_id=rec["status_id"], sale=rec["sale"],
                   pipeline={"id": rec["pipeline_id"], "_links": _links(f"/api/v2/pipelines?id={rec['pipeline_id']}")},
                   pipeline_id=rec["pipeline_id"], loss_reason_id=rec["loss_reason_id"])
        w = with_ or set()
        if "is_price_modified_by_robot" in w:
            out["is_price_modified_by_robot"] = False
        if "catalog_elements_links" in w:
            out["_embedded"] = {"catalog_elements_links": [
                {"id": e, "catalog_id": c, "quantity": q}
                for c, elems in rec["catalog_elements"].items() for e, q in elems.items()]}
    elif kind == "customers":
        out.update(next_price=rec["next_price"], next_date=rec["next_date"], periodicity=rec["periodicity"],
                   period_id=rec["period_id"])
    elif kind == "tasks":
        result = rec.get("result")
        out.update(element_type=rec["element_type"], element_id=rec["element_id"], is_completed=rec["is_completed"],
                   task_type=rec["task_type"], complete_till_at=rec["complete_till_at"], text=rec["text"],
                   duration=rec["duration"], result=result if result else [])
    elif kind == "notes":
        out.update(is_editable=rec["is_editable"], element_id=rec["element_id"], element_type=rec["element_type"],
                   attachment=rec["attachment"], note_type=rec["note_type"], text=rec["text"])
        if rec["params"]:
            out["params"] = rec["params"]
    elif kind == "catalogs":
        out = {"id": eid, "name": rec["name"], "created_by": rec["created_by"], "created_at": rec["created_at"],
               "sort": rec["sort"], "type": rec["type"], "can_add_elements": rec["can_add_elements"],
               "can_show_in_cards": rec["can_show_in_cards"], "can_link_multiple": rec["can_link_multiple"]}
    elif kind == "catalog_elements":
        out.update(is_deleted=False, catalog_id=rec["catalog_id"],
                   custom_fields=_empty(render_custom_fields(store.field_defs(kind, rec["catalog_id"]),
                                                             rec["custom_fields"]), ctx.empty_as_object))
    if kind == "notes":
        name = _TYPE_OF_ELEMENT.get(rec["element_type"], "")
        out["_links"] = _links(f"/api/v2/notes?id={eid}&type={name}")
    elif kind == "catalog_elements":
        out["_links"] = _links(f"/api/v2/catalog_elements?id={eid}&catalog_id={rec['catalog_id']}")
    else:
        out["_links"] = _links(f"/api/v2/{kind}?id={eid}")
    return out


def parse_if_modified_since(value: str) -> int:
    """Unix time of an ``If-Modified-Since`` value (``D, d M Y H:i:s`` with UTC/GMT, or a number)."""
    text = value.strip()
    if text.isdigit() and len(text) < 19:
        return int(text)
    try:
        parsed = email.utils.parsedate_tz(text.replace("UTC", "GMT"))
    except (TypeError, ValueError):
        parsed = None
    if parsed is not None:
        try:
            return int(email.utils.mktime_tz(parsed))
        except (OverflowError, ValueError):  # a year the calendar cannot hold
            pass
    raise BadInput(400, detail=f"If-Modified-Since {value!r} is not a date like 'Mon, 01 Aug 2017 07:07:23 UTC'")


def _range(q: dict[str, Any], name: str) -> tuple[int | None, int | None]:
    raw = q.get(name)
    if not isinstance(raw, dict):
        return None, None
    lo = int_param(raw["from"], f"filter[{name}][from]") if raw.get("from") not in (None, "") else None
    hi = int_param(raw["to"], f"filter[{name}][to]") if raw.get("to") not in (None, "") else None
    return lo, hi


def _in_range(value: int, bounds: tuple[int | None, int | None]) -> bool:
    lo, hi = bounds
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def text_of(rec: dict[str, Any]) -> str:
    parts = [str(rec.get("name", "")), str(rec.get("text", ""))]
    for vals in rec.get("custom_fields", {}).values():
        parts.extend(str(v.get("value", "")) for v in vals)
    return " ".join(parts).lower()


def _filters(store: Store, kind: str, req: Request) -> list[Callable[[dict[str, Any]], bool]]:
    q = req.query
    preds: list[Callable[[dict[str, Any]], bool]] = []
    flt: dict[str, Any] = q["filter"] if isinstance(q.get("filter"), dict) else {}
    if q.get("query"):
        needle = str(q["query"]).lower()
        preds.append(lambda r: needle in text_of(r))
    if "responsible_user_id" in q:
        users = set(id_list(q["responsible_user_id"], "responsible_user_id"))
        preds.append(lambda r: r.get("responsible_user_id") in users)
    if kind in ("leads", "tasks"):
        created, modified = _range(flt, "date_create"), _range(flt, "date_modify")
        preds.append(lambda r: _in_range(r["created_at"], created) and _in_range(r["updated_at"], modified))
    if kind == "leads":
        if "status" in q:
            statuses = set(id_list(q["status"], "status"))
            preds.append(lambda r: r["status_id"] in statuses)
        if str(flt.get("active", "")) == "1":
            preds.append(lambda r: r["status_id"] not in (SEED.STATUS_WON, SEED.STATUS_LOST))
        if flt.get("tasks") not in (None, ""):
            mode = int_param(flt["tasks"], "filter[tasks]")
            ctx = RenderContext(store, False)
            preds.append(lambda r: (ctx.closest_task(2, r["id"]) > 0) == (mode == 2))
    if kind in ("tasks", "notes"):
        if q.get("type"):
            etype = TYPE_NAMES.get(str(q["type"]))
            if etype is None:
                raise BadInput(400, detail=f"type must be one of {', '.join(TYPE_NAMES)}, got {q['type']!r}")
            preds.append(lambda r: r["element_type"] == etype)
        if "element_id" in q:
            elements = set(id_list(q["element_id"], "element_id"))
            preds.append(lambda r: r["element_id"] in elements)
    if kind == "notes" and q.get("note_type"):
        nts = set(id_list(q["note_type"], "note_type"))
        preds.append(lambda r: r["note_type"] in nts)
    if kind == "tasks":
        if "status" in flt:
            done = {bool(int_param(v, "filter[status]")) for v in id_list(flt["status"], "filter[status]")}
            preds.append(lambda r: r["is_completed"] in done)
        if "task_type" in flt:
            types = set(id_list(flt["task_type"], "filter[task_type]"))
            preds.append(lambda r: r["task_type"] in types)
        if "created_by" in flt:
            creators = set(id_list(flt["created_by"], "filter[created_by]"))
            preds.append(lambda r: r["created_by"] in creators)
    if kind == "customers" and "main_user" in flt:
        mains = set(id_list(flt["main_user"], "filter[main_user]"))
        preds.append(lambda r: r["responsible_user_id"] in mains)
    if kind == "catalog_elements" and q.get("term"):
        term = str(q["term"]).lower()
        preds.append(lambda r: term in text_of(r))
    ims = req.headers.get("if-modified-since")
    if ims:
        since = parse_if_modified_since(ims)
        preds.append(lambda r: r["updated_at"] > since)
    return preds


def list_entities(store: Store, kind: str, req: Request, empty_as_object: bool) -> Response:
    """``GET /api/v2/{kind}``: 204 with an empty body when nothing matches."""
    q = req.query
    if kind == "notes" and not q.get("type"):
        raise BadInput(221)
    with_ = {w.strip() for w in str(q.get("with", "")).split(",") if w.strip()}
    only_deleted = kind == "leads" and "only_deleted" in with_
    catalog_id: int | None = None
    if kind == "catalog_elements":
        if q.get("catalog_id") in (None, ""):
            raise BadInput(285, detail="Требуемое поле не передано: catalog_id")
        catalog_id = int_param(q["catalog_id"], "catalog_id")
    records = list(store.items[kind].values())
    if only_deleted:
        records = [r for r in records if r.get("is_deleted")]
    else:  # deleted entities, and those of an unaccepted incoming item, are not listed
        records = [r for r in records if not r.get("is_deleted") and not r.get("unsorted_uid")]
    if catalog_id is not None:
        records = [r for r in records if r["catalog_id"] == catalog_id]
    if q.get("id") not in (None, "", [], {}):
        wanted = set(id_list(q["id"], "id"))
        records = [r for r in records if r["id"] in wanted]
        if kind == "notes":
            etype = TYPE_NAMES.get(str(q.get("type")))
            records = [r for r in records if r["element_type"] == etype]
    else:
        for pred in _filters(store, kind, req):
            records = [r for r in records if pred(r)]
    records.sort(key=lambda r: r["id"])
    if kind == "catalog_elements":
        page = int_param(q.get("page", 1) or 1, "page")
        start = (max(page, 1) - 1) * CATALOG_PAGE_SIZE
        records = records[start:start + CATALOG_PAGE_SIZE]
    elif "limit_rows" in q:
        rows = int_param(q["limit_rows"], "limit_rows")
        if rows < 1:
            raise BadInput(400, detail=f"limit_rows must be 1..{MAX_ROWS} (larger values are clamped), got {rows}")
        rows = min(rows, MAX_ROWS)
        offset = max(int_param(q.get("limit_offset", 0) or 0, "limit_offset"), 0)
        records = records[offset:offset + rows]
    else:
        records = records[:MAX_ROWS]
    if not records:
        return no_content()
    ctx = RenderContext(store, empty_as_object)
    if only_deleted:
        items = [{"id": r["id"], "updated_at": r["updated_at"], "updated_by": r["updated_by"], "is_deleted": True,
                  "_links": _links(f"/api/v2/leads?id={r['id']}")} for r in records]
    else:
        items = [render(ctx, kind, r, with_) for r in records]
    href = f"/api/v2/{kind}" + (f"?{req.raw_query}" if req.raw_query else "")
    return json_response({"_links": _links(href), "_embedded": {"items": items}})


def now() -> int:
    return int(time.time())
