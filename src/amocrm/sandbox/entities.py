"""Write side of the v2 entity endpoints: one POST with add / update / delete."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .custom_fields import ItemError, normalize_custom_fields
from .seed import SEED
from .store import ELEMENT_TYPES, LINKABLE, TYPE_NAMES, Store
from .wire import BadInput, Response, id_list, int_param, json_response

__all__ = [
    "KindSpec",
    "SPECS",
    "write_entities",
    "batch_size",
    "create_entity",
    "update_entity",
    "STALE_MESSAGE",
    "CF_VALUES_KEY",
]

#: item key carrying custom-field values already validated and normalised (by the API v4 face)
CF_VALUES_KEY = "_cf_values"

STALE_MESSAGE = "Last modified date is older than in database"
MAX_BATCH = 500
MAX_LEAD_CONTACTS = 40


@dataclass(frozen=True)
class KindSpec:
    """Error codes and abilities of one entity endpoint (the v2 error table)."""

    empty_add: int
    empty_request: int
    wrong_method: int
    empty_update: int
    update_missing: int
    not_found: int
    cf_unknown: int
    deletable: bool
    needs_updated_at: bool


SPECS: dict[str, KindSpec] = {
    "contacts": KindSpec(201, 206, 207, 208, 209, 212, 204, False, True),
    "companies": KindSpec(201, 206, 207, 208, 209, 212, 204, False, True),
    "leads": KindSpec(213, 214, 215, 216, 217, 217, 240, False, True),
    "customers": KindSpec(400, 400, 405, 400, 400, 282, 400, True, True),
    "tasks": KindSpec(227, 228, 229, 230, 230, 231, 400, False, True),
    "notes": KindSpec(218, 222, 223, 224, 224, 225, 400, False, True),
    "catalogs": KindSpec(283, 222, 405, 283, 285, 282, 400, True, False),
    "catalog_elements": KindSpec(283, 222, 405, 283, 285, 282, 204, True, False),
}

_LINK_KEYS = {
    "contacts_id": "contacts",
    "leads_id": "leads",
    "customers_id": "customers",
    "company_id": "companies",
}
_ALLOWED_LINKS = {
    "leads": ("contacts_id", "company_id"),
    "contacts": ("leads_id", "company_id", "customers_id"),
    "companies": ("leads_id", "contacts_id", "customers_id"),
    "customers": ("contacts_id", "company_id"),
}


def _as_items(value: Any, section: str) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    raise BadInput(284, detail=f"Неверный запрос, передан не массив: '{section}' must be a list")


def batch_size(body: Any) -> int:
    if not isinstance(body, dict):
        return 0
    return sum(len(body[s]) for s in ("add", "update", "delete") if isinstance(body.get(s), (list, dict)))


def _href(kind: str, eid: int, rec: dict[str, Any]) -> str:
    if kind == "catalog_elements":
        return f"/api/v2/catalog_elements?id={eid}&catalog_id={rec.get('catalog_id')}"
    if kind == "notes":
        name = {v: k for k, v in TYPE_NAMES.items()}.get(rec.get("element_type", 0), "")
        return f"/api/v2/notes?id={eid}&type={name}"
    return f"/api/v2/{kind}?id={eid}"


def _opt_int(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    return int_param(value, key)


def _tags(store: Store, raw: Any) -> list[int]:
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, dict):
        raw = list(raw.values())
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list):
        raise ItemError(400, f"'tags' must be a comma string or a list, got {type(raw).__name__}")
    out: list[int] = []
    for t in raw:
        if isinstance(t, int) and not isinstance(t, bool):
            if t not in store.tag_names:
                raise ItemError(400, f"tag id {t} does not exist")
            tid = t
        elif isinstance(t, dict) and "name" in t:
            tid = store.tag_id(str(t["name"]).strip())
        elif isinstance(t, str) and t.strip():
            tid = store.tag_id(t.strip())
        else:
            continue
        if tid not in out:
            out.append(tid)
    return out


def _defaults(store: Store, kind: str, now: int) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "created_by": SEED.USER_ADMIN,
        "created_at": now,
        "updated_at": now,
        "updated_by": SEED.USER_ADMIN,
        "account_id": SEED.ACCOUNT_ID,
    }
    if kind in ("leads", "contacts", "companies", "customers", "tasks", "notes"):
        rec.update(responsible_user_id=SEED.USER_ADMIN, group_id=0)
    if kind in LINKABLE:
        rec.update(name="", is_deleted=False, tags=[], custom_fields={})
    if kind == "contacts":
        rec.update(first_name="", last_name="")
    elif kind == "leads":
        pid = store.main_pipeline()
        rec.update(
            pipeline_id=pid,
            status_id=store.first_status(pid),
            sale=0,
            closed_at=0,
            loss_reason_id=0,
            catalog_elements={},
        )
    elif kind == "customers":
        rec.update(next_price=0, next_date=now, periodicity=0, period_id=0)
    elif kind == "tasks":
        rec.update(
            element_id=0,
            element_type=0,
            is_completed=False,
            task_type=1,
            complete_till_at=now + 86400,
            text="",
            duration=0,
            result=None,
        )
    elif kind == "notes":
        rec.update(
            element_id=0, element_type=0, note_type=4, text="", params={}, attachment="", is_editable=True
        )
    elif kind == "catalogs":
        rec.update(
            name="",
            type="regular",
            sort=10,
            can_add_elements=True,
            can_show_in_cards=False,
            can_link_multiple=True,
        )
    elif kind == "catalog_elements":
        rec.update(catalog_id=0, name="", is_deleted=False, custom_fields={})
    return rec


def _truthy(value: Any) -> bool:
    return value not in (False, 0, "0", "", None, "false", "N", "n")


def _element_exists(store: Store, etype: int, eid: int) -> bool:
    kind = ELEMENT_TYPES.get(etype)
    return kind is not None and store.get(kind, eid) is not None


class _Plan:
    """Link changes computed during validation and applied after the record is stored."""

    def __init__(self) -> None:
        self.add: list[tuple[str, int]] = []
        self.remove: list[tuple[str, int]] = []
        self.new_company: str | None = None


def _plan_links(store: Store, kind: str, rec_id: int | None, item: dict[str, Any], plan: _Plan) -> None:
    for key in _ALLOWED_LINKS.get(kind, ()):
        if key in item:
            other = _LINK_KEYS[key]
            for oid in id_list(item[key], key):
                if oid and store.get(other, oid) is not None:
                    plan.add.append((other, oid))
    unlink = item.get("unlink")
    if isinstance(unlink, dict):
        for key in _ALLOWED_LINKS.get(kind, ()):
            if key in unlink:
                plan.remove.extend((_LINK_KEYS[key], oid) for oid in id_list(unlink[key], f"unlink.{key}"))
    if kind == "contacts" and isinstance(item.get("company_name"), str) and item["company_name"].strip():
        plan.new_company = item["company_name"].strip()
    if kind == "leads":
        current = set(store.linked("leads", rec_id, "contacts")) if rec_id else set()
        current |= {oid for k, oid in plan.add if k == "contacts"}
        current -= {oid for k, oid in plan.remove if k == "contacts"}
        if len(current) > MAX_LEAD_CONTACTS:
            raise ItemError(330, f"a lead may have at most {MAX_LEAD_CONTACTS} contacts, got {len(current)}")


def _apply_common(store: Store, kind: str, rec: dict[str, Any], item: dict[str, Any], is_add: bool) -> None:
    spec = SPECS[kind]
    for key in ("responsible_user_id", "created_by", "created_at", "updated_by"):
        v = _opt_int(item, key)
        if v is not None:
            rec[key] = v
    if "name" in item and item["name"] is not None:
        rec["name"] = str(item["name"])
    if "tags" in item and kind in LINKABLE:
        rec["tags"] = _tags(store, item["tags"])
    if CF_VALUES_KEY in item and "custom_fields" in rec:
        merged = dict(rec["custom_fields"])
        merged.update(item[CF_VALUES_KEY])
        rec["custom_fields"] = {k: v for k, v in merged.items() if v}
    elif "custom_fields" in item and "custom_fields" in rec:
        defs = store.field_defs(kind, rec.get("catalog_id"))
        code = spec.cf_unknown if is_add or kind != "contacts" else 211
        changes = normalize_custom_fields(defs, item["custom_fields"], code, "custom_fields")
        merged = dict(rec["custom_fields"])
        merged.update(changes)
        rec["custom_fields"] = {k: v for k, v in merged.items() if v}


def _apply_kind(
    store: Store, kind: str, rec: dict[str, Any], item: dict[str, Any], is_add: bool, now: int
) -> None:
    if kind == "contacts":
        first, last = item.get("first_name"), item.get("last_name")
        if first is not None:
            rec["first_name"] = str(first)
        if last is not None:
            rec["last_name"] = str(last)
        if "name" in item and first is None and last is None:
            parts = str(item["name"]).split(" ", 1)
            rec["first_name"], rec["last_name"] = parts[0], parts[1] if len(parts) > 1 else ""
        elif "name" not in item and (first is not None or last is not None):
            rec["name"] = f"{rec['first_name']} {rec['last_name']}".strip()
    elif kind == "leads":
        _apply_lead(store, rec, item, now)
    elif kind == "customers":
        for key in ("next_price", "next_date", "periodicity", "period_id"):
            v = _opt_int(item, key)
            if v is not None:
                rec[key] = v
    elif kind == "tasks":
        _apply_task(store, rec, item, is_add)
    elif kind == "notes":
        _apply_note(store, rec, item, is_add)
    elif kind == "catalogs":
        for key in ("type",):
            if key in item:
                rec[key] = str(item[key])
        for key in ("can_add_elements", "can_show_in_cards", "can_link_multiple"):
            if key in item:
                rec[key] = _truthy(item[key])
        if is_add and not rec["name"]:
            raise ItemError(285, "Требуемое поле не передано: name")
    elif kind == "catalog_elements" and is_add:
        cid = _opt_int(item, "catalog_id")
        if cid is None:
            raise ItemError(285, "Требуемое поле не передано: catalog_id")
        if store.get("catalogs", cid) is None:
            raise ItemError(282, f"Каталог {cid} не найден в аккаунте")
        if not rec["name"]:
            raise ItemError(285, "Требуемое поле не передано: name")


def _apply_lead(store: Store, rec: dict[str, Any], item: dict[str, Any], now: int) -> None:
    v = _opt_int(item, "sale")
    if v is None:
        v = _opt_int(item, "price")
    if v is not None:
        rec["sale"] = v
    pid = _opt_int(item, "pipeline_id")
    sid = _opt_int(item, "status_id")
    old_status = rec["status_id"]
    if sid is not None:
        hint = (
            pid
            if pid is not None
            else (rec["pipeline_id"] if sid in (SEED.STATUS_WON, SEED.STATUS_LOST) else None)
        )
        found = store.pipeline_of_status(sid, hint)
        if found is None:
            raise ItemError(
                400, f"status_id {sid} does not belong to pipeline {pid if pid is not None else 'any'}"
            )
        rec["pipeline_id"], rec["status_id"] = found, sid
    elif pid is not None and pid != rec["pipeline_id"]:
        if store.pipeline_of_status(SEED.STATUS_WON, pid) is None:
            raise ItemError(400, f"pipeline_id {pid} does not exist")
        rec["pipeline_id"], rec["status_id"] = pid, store.first_status(pid)
    closed = (SEED.STATUS_WON, SEED.STATUS_LOST)
    if rec["status_id"] in closed and old_status not in closed:
        rec["closed_at"] = now
    elif rec["status_id"] not in closed:
        rec["closed_at"] = 0
    lr = _opt_int(item, "loss_reason_id")
    if lr is not None:
        rec["loss_reason_id"] = lr
    links = item.get("catalog_elements_id")
    if isinstance(links, dict):
        new: dict[int, dict[int, int]] = {}
        for cid, elems in links.items():
            if not isinstance(elems, dict):
                raise ItemError(400, "catalog_elements_id must be {catalog_id: {element_id: quantity}}")
            new[int_param(cid, "catalog_elements_id")] = {
                int_param(e, "catalog_elements_id"): int_param(q, "quantity") for e, q in elems.items()
            }
        rec["catalog_elements"] = new


def _apply_task(store: Store, rec: dict[str, Any], item: dict[str, Any], is_add: bool) -> None:
    eid, etype = _opt_int(item, "element_id"), _opt_int(item, "element_type")
    if eid is not None or etype is not None:
        if etype is None:
            raise ItemError(235, "Добавление задач: не указан тип элемента (element_type)")
        if etype not in (1, 2, 3, 12) or not eid:
            raise ItemError(232, f"element_id {eid!r} / element_type {etype!r} are empty or invalid")
        if not _element_exists(store, etype, eid):
            raise ItemError(237 if etype == 2 else 236, f"element {eid} of type {etype} not found")
        rec["element_id"], rec["element_type"] = eid, etype
    till = _opt_int(item, "complete_till_at")
    if till is None:
        till = _opt_int(item, "complete_till")
    if till is not None:
        rec["complete_till_at"] = till
    for key in ("task_type", "duration"):
        v = _opt_int(item, key)
        if v is not None:
            rec[key] = v
    if "is_completed" in item:
        rec["is_completed"] = _truthy(item["is_completed"])
    if "text" in item:
        rec["text"] = str(item["text"])


def _apply_note(store: Store, rec: dict[str, Any], item: dict[str, Any], is_add: bool) -> None:
    if is_add:
        eid, etype = _opt_int(item, "element_id"), _opt_int(item, "element_type")
        if not eid or etype not in ELEMENT_TYPES:
            raise ItemError(232, f"element_id {eid!r} / element_type {etype!r} are empty or invalid")
        if not _element_exists(store, etype, eid):
            raise ItemError(226, f"Добавление событий: элемент {eid} (element_type {etype}) не найден")
        nt = _opt_int(item, "note_type")
        if nt is None:
            raise ItemError(400, "note_type is required")
        if etype == 4 and nt != 13:
            raise ItemError(400, "only note_type 13 (TASK_RESULT) may be added to a task")
        rec.update(element_id=eid, element_type=etype, note_type=nt)
    if "text" in item:
        rec["text"] = str(item["text"])
    if isinstance(item.get("params"), dict):
        rec["params"] = dict(item["params"])
        if not rec["text"] and isinstance(item["params"].get("text"), str):
            rec["text"] = item["params"]["text"]


def _commit_links(store: Store, kind: str, eid: int, plan: _Plan, now: int) -> None:
    if plan.new_company:
        cid = store.new_id("companies")
        comp = _defaults(store, "companies", now)
        comp.update(id=cid, name=plan.new_company)
        store.items["companies"][cid] = comp
        plan.add.append(("companies", cid))
    for other in plan.remove:
        store.unlink((kind, eid), other)
    for other in plan.add:
        store.link((kind, eid), other)


def create_entity(store: Store, kind: str, item: dict[str, Any], forced_id: int | None = None) -> int:
    """Validate and store one new entity; ItemError on refusal (nothing changes then)."""
    now = int(time.time())
    rec = _defaults(store, kind, now)
    plan = _Plan()
    if kind == "catalog_elements":
        rec["catalog_id"] = _opt_int(item, "catalog_id") or 0
    _apply_common(store, kind, rec, item, True)
    _apply_kind(store, kind, rec, item, True, now)
    up = _opt_int(item, "updated_at")
    if up is not None:
        rec["updated_at"] = up
    _plan_links(store, kind, None, item, plan)
    eid = store.claim_id(kind, forced_id) if forced_id else store.new_id(kind)
    if kind == "leads" and not rec["name"]:
        rec["name"] = f"Сделка #{eid}"
    rec["id"] = eid
    store.items[kind][eid] = {"id": eid, **{k: v for k, v in rec.items() if k != "id"}}
    _commit_links(store, kind, eid, plan, now)
    return eid


def update_entity(
    store: Store, kind: str, item: dict[str, Any], check_stale: bool = True
) -> tuple[int, int] | str:
    """Apply one update; returns (id, updated_at), or the stale message; ItemError on refusal.

    ``check_stale=False`` (API v4) neither requires ``updated_at`` nor compares it: a sent value is stored.
    """
    return _update_entity(store, kind, item, check_stale)


def _update_entity(
    store: Store, kind: str, item: dict[str, Any], check_stale: bool = True
) -> tuple[int, int] | str:
    """Apply one update; returns (id, updated_at), or the stale message; ItemError on refusal."""
    spec = SPECS[kind]
    needs_updated_at = spec.needs_updated_at and check_stale
    if "id" not in item or (needs_updated_at and item.get("updated_at") in (None, "")):
        need = "id, updated_at" if needs_updated_at else "id"
        raise ItemError(spec.update_missing, f"update needs {need}")
    eid = int_param(item["id"], "id")
    current = store.get(kind, eid)
    if current is None:
        raise ItemError(spec.not_found, f"entity {eid} not found")
    now = int(time.time())
    up = _opt_int(item, "updated_at")
    if needs_updated_at and up is not None and up <= int(current["updated_at"]):
        return STALE_MESSAGE
    rec = dict(current)
    if "custom_fields" in rec:
        rec["custom_fields"] = dict(rec["custom_fields"])
    _apply_common(store, kind, rec, item, False)
    _apply_kind(store, kind, rec, item, False, now)
    plan = _Plan()
    _plan_links(store, kind, eid, item, plan)
    rec["updated_at"] = up if up is not None else now
    store.items[kind][eid] = rec
    _commit_links(store, kind, eid, plan, now)
    return eid, int(rec["updated_at"])


def _delete_entity(store: Store, kind: str, raw_id: Any) -> dict[str, Any]:
    eid = int_param(raw_id["id"] if isinstance(raw_id, dict) and "id" in raw_id else raw_id, "delete")
    rec = store.get(kind, eid)
    if rec is None:
        raise ItemError(SPECS[kind].not_found, f"entity {eid} not found")
    del store.items[kind][eid]
    store.drop_links((kind, eid))
    if kind == "catalogs":
        for el in [k for k, v in store.items["catalog_elements"].items() if v.get("catalog_id") == eid]:
            del store.items["catalog_elements"][el]
    return {"id": eid, "name": rec.get("name", "")}


def _errors_section(conflicts: dict[str, str], coded: list[dict[str, Any]]) -> Any:
    """Mapping ``{id: message}`` when only conflicts, else a list of ``{code, message, ...}`` objects."""
    if not coded:
        return conflicts
    return coded + [{"id": int(k), "message": v} for k, v in conflicts.items()]


def write_entities(store: Store, kind: str, body: Any) -> Response:
    """Handle ``POST /api/v2/{kind}``: every item applies or fails on its own; HTTP 200 either way."""
    spec = SPECS[kind]
    if body is None or body == [] or body == {}:
        raise BadInput(spec.empty_request)
    if not isinstance(body, dict):
        raise BadInput(
            284,
            detail=f"Неверный запрос, передан не массив: body must be a JSON object, got "
            f"{type(body).__name__}",
        )
    sections = [s for s in ("add", "update", "delete") if s in body]
    if not sections:
        raise BadInput(
            spec.empty_request, detail=f"{spec.empty_request}: body needs 'add', 'update' or 'delete'"
        )
    if "delete" in body and not spec.deletable:
        raise BadInput(spec.wrong_method, detail=f"delete is not supported for {kind}")
    if batch_size(body) > MAX_BATCH:
        raise BadInput(
            400,
            400,
            f"Превышено максимальное количество сущностей в запросе: {batch_size(body)} > {MAX_BATCH}",
        )
    items: list[dict[str, Any]] = []
    errors: dict[str, Any] = {}
    if "add" in body:
        adds = _as_items(body["add"], "add")
        if not adds:
            raise BadInput(spec.empty_add)
        coded: list[dict[str, Any]] = []
        for idx, item in enumerate(adds):
            rid = item.get("request_id", idx) if isinstance(item, dict) else idx
            try:
                if not isinstance(item, dict):
                    raise ItemError(400, f"add[{idx}] must be an object")
                eid = create_entity(store, kind, item)
                rec = store.items[kind][eid]
                items.append(
                    {
                        "id": eid,
                        "request_id": rid,
                        "_links": {"self": {"href": _href(kind, eid, rec), "method": "get"}},
                    }
                )
            except (ItemError, BadInput) as exc:
                code, msg = (exc.code, exc.message) if isinstance(exc, ItemError) else (exc.code, exc.detail)
                coded.append({"code": code, "message": msg, "index": idx, "request_id": rid})
        if coded:
            errors["add"] = coded
    if "update" in body:
        ups = _as_items(body["update"], "update")
        if not ups:
            raise BadInput(spec.empty_update)
        conflicts: dict[str, str] = {}
        ucoded: list[dict[str, Any]] = []
        for idx, item in enumerate(ups):
            try:
                if not isinstance(item, dict):
                    raise ItemError(400, f"update[{idx}] must be an object")
                result = _update_entity(store, kind, item)
                if isinstance(result, str):
                    conflicts[str(item["id"])] = result
                    continue
                eid, updated_at = result
                items.append(
                    {
                        "id": eid,
                        "updated_at": updated_at,
                        "_links": {
                            "self": {"href": _href(kind, eid, store.items[kind][eid]), "method": "get"}
                        },
                    }
                )
            except (ItemError, BadInput) as exc:
                code, msg = (exc.code, exc.message) if isinstance(exc, ItemError) else (exc.code, exc.detail)
                ent = {"code": code, "message": msg, "index": idx}
                if isinstance(item, dict) and "id" in item:
                    ent["id"] = item["id"]
                ucoded.append(ent)
        if conflicts or ucoded:
            errors["update"] = _errors_section(conflicts, ucoded)
    deleted: list[dict[str, Any]] = []
    if "delete" in body:
        dcoded: list[dict[str, Any]] = []
        for idx, raw in enumerate(_as_items(body["delete"], "delete")):
            try:
                deleted.append(_delete_entity(store, kind, raw))
            except (ItemError, BadInput) as exc:
                code, msg = (exc.code, exc.message) if isinstance(exc, ItemError) else (exc.code, exc.detail)
                dcoded.append({"code": code, "message": msg, "index": idx, "id": raw})
        if dcoded:
            errors["delete"] = dcoded
    embedded: dict[str, Any] = {"items": items}
    if kind == "customers" and deleted:
        embedded["items"] = {"deleted": deleted, **{str(i): it for i, it in enumerate(items)}}
    if errors:
        embedded["errors"] = errors
    return json_response(
        {"_links": {"self": {"href": f"/api/v2/{kind}", "method": "post"}}, "_embedded": embedded}
    )
