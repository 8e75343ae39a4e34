"""Front-end AJAX endpoints: contact/lead lists, soft delete, catalog delete.

Only form-encoded POSTs with ``X-Requested-With: XMLHttpRequest`` are answered; anything else under
``/ajax/`` gets the 404 HTML page, as the real UI server does.
"""

from __future__ import annotations

import datetime as _dt
import time
from typing import Any

from .custom_fields import render_custom_fields
from .seed import SEED, USERS
from .store import Store
from .wire import Request, Response, html_page, json_response, legacy_error

__all__ = ["handle_ajax", "not_found_page", "AJAX_PAGE_SIZE"]

AJAX_PAGE_SIZE = 50
_WORDS = {"leads": "сделки", "contacts": "контакта", "companies": "компании"}
_USER_NAMES = {u["id"]: f"{u['name']} {u['last_name']}".strip() for u in USERS}


def not_found_page() -> Response:
    return html_page(404, "404 Not Found", "<p>Страница не найдена</p>")


def _when(ts: int) -> str:
    return _dt.datetime.fromtimestamp(ts).strftime("%d.%m.%Y %H:%M")


def _date_bounds(raw: Any) -> tuple[int | None, int | None]:
    def parse(v: Any, end: bool) -> int | None:
        if v in (None, ""):
            return None
        try:
            day = _dt.datetime.strptime(str(v), "%d.%m.%Y")
        except ValueError:
            raise _BadForm() from None
        return int((day + _dt.timedelta(days=1 if end else 0)).timestamp()) - (1 if end else 0)
    if not isinstance(raw, dict):
        return None, None
    return parse(raw.get("from"), False), parse(raw.get("to"), True)


class _BadForm(Exception):
    """A form value the UI server cannot parse: answered with the legacy code 222."""


def _cf_match(store: Store, kind: str, rec: dict[str, Any], cf_filter: dict[str, Any]) -> bool:
    for fid_raw, cond in cf_filter.items():
        try:
            fid = int(fid_raw)
        except ValueError:
            return False
        values = rec.get("custom_fields", {}).get(fid, [])
        if isinstance(cond, dict) and ("from" in cond or "to" in cond):
            lo, hi = _date_bounds(cond)
            stamps = []
            for v in values:
                try:
                    stamps.append(int(_dt.datetime.strptime(str(v["value"])[:10], "%Y-%m-%d").timestamp()))
                except ValueError:
                    continue
            if not any((lo is None or s >= lo) and (hi is None or s <= hi) for s in stamps):
                return False
        else:
            wanted = set(map(str, cond.values() if isinstance(cond, dict) else cond if isinstance(cond, list)
                             else [cond]))
            if not any(v.get("value") in wanted or v.get("enum") in wanted for v in values):
                return False
    return True


def _row(store: Store, kind: str, rec: dict[str, Any]) -> dict[str, Any]:
    entity = {"contacts": "contact", "companies": "company", "leads": "lead"}[kind]
    url = f"/{'leads' if kind == 'leads' else 'contacts' if kind == 'contacts' else 'companies'}/detail/{rec['id']}"
    comp = store.linked(kind, rec["id"], "companies") if kind != "companies" else []
    comp_name = store.items["companies"][comp[0]]["name"] if comp else ""
    cfs = render_custom_fields(store.field_defs(kind), rec["custom_fields"])
    return {
        "id": rec["id"], "tags": {"items": [{"id": t, "name": store.tag_names[t]} for t in rec["tags"]]},
        "url": url, "element_type": {"contact": 1, "lead": 2, "company": 3}[entity], "entity": entity,
        "is_deleted": rec["is_deleted"], "rights": {"contacts": {"edit": True}, "companies": {"edit": True}},
        "class_name": "", "name": {"text": rec["name"], "url": url},
        "company_name": {"name": comp_name, "url": f"/companies/detail/{comp[0]}" if comp else "#"},
        "manager": _USER_NAMES.get(rec["responsible_user_id"], ""), "date_create": _when(rec["created_at"]),
        "creator": _USER_NAMES.get(rec["created_by"], ""), "date_modified": _when(rec["updated_at"]),
        "modified_by": _USER_NAMES.get(rec["updated_by"], ""),
        "date_of_nearest_task": {"date": 0, "failed": False},
        "custom_fields": [{"id": str(c["id"]), "name": c["name"],
                           "values": [{k: str(v) for k, v in val.items()} for val in c["values"]]} for c in cfs],
        **({"price": rec["sale"], "status": rec["status_id"]} if kind == "leads" else {}),
    }


def _list(store: Store, kind_path: str, req: Request, form: dict[str, Any]) -> Response:
    kinds = {"contacts": ["contacts", "companies"], "contacts/contacts": ["contacts"],
             "contacts/companies": ["companies"], "leads": ["leads"]}[kind_path]
    flt: dict[str, Any] = form["filter"] if isinstance(form.get("filter"), dict) else {}
    records: list[tuple[str, dict[str, Any]]] = []
    for kind in kinds:
        for rec in store.items[kind].values():
            if rec["is_deleted"] or rec.get("unsorted_uid"):
                continue
            if isinstance(flt.get("cf"), dict) and not _cf_match(store, kind, rec, flt["cf"]):
                continue
            if flt.get("responsible_user_id") not in (None, ""):
                users = flt["responsible_user_id"]
                users = list(users.values()) if isinstance(users, dict) else users if isinstance(users, list) \
                    else [users]
                if str(rec["responsible_user_id"]) not in map(str, users):
                    continue
            records.append((kind, rec))
    records.sort(key=lambda kr: kr[1]["id"])
    if str(form.get("only_count", req.query.get("only_count", ""))).upper() == "Y":
        return json_response({"count": len(records)}, 200, "application/json")
    try:
        page = max(int(form.get("page", 1) or 1), 1)
    except ValueError:
        return legacy_error(222, 400, _err222())
    chunk = records[(page - 1) * AJAX_PAGE_SIZE:page * AJAX_PAGE_SIZE]
    if kind_path == "leads":
        summary: dict[str, Any] = {"count": len(records), "price": sum(r["sale"] for _, r in records)}
        url = "/leads/list/"
    else:
        summary = {"persons_count": sum(1 for k, _ in records if k == "contacts"),
                   "companies_count": sum(1 for k, _ in records if k == "companies"), "count": len(records)}
        url = "/contacts/list/" + ("contacts/" if kind_path != "contacts/companies" else "companies/")
    return json_response({"response": {"url": url, "items": [_row(store, k, r) for k, r in chunk],
                                       "summary": summary, "pagination": {"page": page, "total": len(records)}}},
                         200, "application/json")


def _err222() -> str:
    return ("Код ошибки 222. В случае повторного возникновения ошибки, обращайтесь в нашу техническую поддержку - "
            "support@amocrm.ru")


def _ids(form: dict[str, Any]) -> list[int]:
    raw = form.get("ID", form.get("id"))
    raw = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else [raw] if raw else []
    out = []
    for v in raw:
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return out


def _multiple_delete(store: Store, kind: str, form: dict[str, Any]) -> Response:
    ids = [i for i in _ids(form) if store.get(kind, i) is not None]
    if not ids:
        return json_response({"status": "error", "message": "Не переданы ID для удаления"}, 200, "application/json")
    now = int(time.time())
    for i in ids:
        store.items[kind][i] = dict(store.items[kind][i], is_deleted=True, updated_at=now, updated_by=SEED.USER_ADMIN)
    return json_response({"status": "success", "message": f"Удаление прошло успешно для {len(ids)} {_WORDS[kind]}"},
                         200, "application/json")


def _catalogs_set(store: Store, form: dict[str, Any]) -> Response:
    req = form.get("request")
    raw = req.get("catalogs", {}).get("delete") if isinstance(req, dict) and isinstance(req.get("catalogs"), dict) \
        else None
    if raw in (None, ""):
        return legacy_error(222, 400, _err222())
    ids = _ids({"ID": raw})
    deleted: dict[str, Any] = {}
    for cid in ids:
        rec = store.get("catalogs", cid)
        if rec is None:
            continue
        deleted[str(cid)] = {"id": cid, "name": rec["name"]}
        del store.items["catalogs"][cid]
        for el in [k for k, v in store.items["catalog_elements"].items() if v["catalog_id"] == cid]:
            del store.items["catalog_elements"][el]
    return json_response({"response": {"catalogs": {"delete": {"catalogs": deleted or [], "errors": []}}}},
                         200, "application/json")


def handle_ajax(store: Store, req: Request) -> Response:
    """Dispatch one ``/ajax/...`` request (caller has checked authentication)."""
    path = req.path.rstrip("/")
    route = path[len("/ajax/"):]
    if req.method == "GET" and route in ("contacts/list/contacts", "contacts/list/companies", "contacts/list") \
            and str(req.query.get("only_count", "")).upper() == "Y":
        return _list(store, route.replace("/list", "") if route != "contacts/list" else "contacts", req, {})
    if req.method != "POST" or req.headers.get("x-requested-with", "").lower() != "xmlhttprequest":
        return not_found_page()
    if req.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
        return legacy_error(222, 400, _err222())
    try:
        form = req.form_body()
    except Exception:
        return legacy_error(222, 400, _err222())
    lists = {"contacts/list": "contacts", "contacts/list/contacts": "contacts/contacts",
             "contacts/list/companies": "contacts/companies", "leads/list": "leads"}
    if route in lists:
        try:
            return _list(store, lists[route], req, form)
        except _BadForm:
            return legacy_error(222, 400, _err222())
    for kind in ("leads", "contacts", "companies"):
        if route == f"{kind}/multiple/delete":
            return _multiple_delete(store, kind, form)
    if route == "v1/catalogs/set":
        return _catalogs_set(store, form)
    return not_found_page()

