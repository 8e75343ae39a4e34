"""Tasks (``/api/v4/tasks``) and notes (``/api/v4/{entity}/notes`` …) in API v4.

Both are the store's v2 records: a task's ``element_id/element_type/complete_till_at/task_type`` are
v4's ``entity_id/entity_type/complete_till/task_type_id``; a note's numeric ``note_type`` maps to
v4's string one (:mod:`.notes_types`) and its ``params`` are kept as given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..seed import SEED
from ..store import ELEMENT_TYPES
from ..wire import Response, no_content
from .base import (
    INVALID_TYPE,
    NOT_BLANK,
    NOT_CHOICE,
    Ctx,
    Invalid,
    V4Error,
    as_int,
    hal,
    ids_of,
    in_range,
    listing,
    one_or_many,
    range_of,
)
from .crm import Plan, apply_plans, request_id_of, users_ok
from .notes_types import PARAMS, V2_NOTE_TYPES, V4_NOTE_TYPES, WRITABLE

__all__ = ["ROUTES", "render_task", "render_note"]

_ETYPE = {"contacts": 1, "leads": 2, "companies": 3, "customers": 12}
_ENTITY = ELEMENT_TYPES


# -- tasks ---------------------------------------------------------------------------------------
def render_task(ctx: Ctx, rec: dict[str, Any]) -> dict[str, Any]:
    result = rec.get("result")
    return {
        "id": rec["id"],
        "created_by": rec["created_by"],
        "updated_by": rec["updated_by"],
        "created_at": rec["created_at"],
        "updated_at": rec["updated_at"],
        "responsible_user_id": rec["responsible_user_id"],
        "group_id": rec.get("group_id", 0),
        "entity_id": rec["element_id"] or None,
        "entity_type": _ENTITY.get(rec["element_type"]),
        "duration": rec["duration"],
        "is_completed": rec["is_completed"],
        "task_type_id": rec["task_type"],
        "text": rec["text"],
        "result": {"text": result.get("text", "")} if isinstance(result, dict) else None,
        "complete_till": rec["complete_till_at"],
        "account_id": SEED.ACCOUNT_ID,
        "_links": ctx.link(f"tasks/{rec['id']}", echo=True),
    }


def _task_filters(ctx: Ctx) -> list[Callable[[dict[str, Any]], bool]]:
    flt: dict[str, Any] = ctx.filter
    preds: list[Callable[[dict[str, Any]], bool]] = []
    if flt.get("id") not in (None, ""):
        ids = ids_of(flt["id"], "filter[id]")
        preds.append(lambda r: r["id"] in ids)
    for key in ("created_by", "responsible_user_id"):
        if flt.get(key) not in (None, ""):
            users = ids_of(flt[key], f"filter[{key}]")
            preds.append(lambda r, k=key, u=users: r[k] in u)  # type: ignore[misc]
    if flt.get("is_completed") not in (None, ""):
        done = str(flt["is_completed"]).lower() in ("1", "true")
        preds.append(lambda r: bool(r["is_completed"]) == done)
    types = flt.get("task_type", flt.get("task_type_id"))
    if types not in (None, ""):
        wanted = ids_of(types, "filter[task_type]")
        preds.append(lambda r: r["task_type"] in wanted)
    if flt.get("entity_type") not in (None, ""):
        etype = _ETYPE.get(str(flt["entity_type"]))
        if etype is None:
            raise V4Error(400, "filter[entity_type] must be leads, contacts, companies or customers")
        preds.append(lambda r: r["element_type"] == etype)
        if flt.get("entity_id") not in (None, ""):
            eids = ids_of(flt["entity_id"], "filter[entity_id]")
            preds.append(lambda r: r["element_id"] in eids)
    elif flt.get("entity_id") not in (None, ""):
        raise V4Error(400, "filter[entity_id] needs filter[entity_type]")
    if flt.get("updated_at") not in (None, ""):
        bounds = range_of(flt["updated_at"], "filter[updated_at]")
        preds.append(lambda r: in_range(r["updated_at"], bounds))
    if flt.get("lead_statuses") not in (None, ""):
        pairs = set()
        for e in one_or_many(flt["lead_statuses"]):
            if isinstance(e, dict):
                pairs.add((as_int(e.get("pipeline_id")), as_int(e.get("status_id"))))
        leads = ctx.store.items["leads"]
        preds.append(
            lambda r: (
                r["element_type"] == 2
                and r["element_id"] in leads
                and (leads[r["element_id"]]["pipeline_id"], leads[r["element_id"]]["status_id"]) in pairs
            )
        )
    return preds


def list_tasks(ctx: Ctx) -> Response:
    rows = list(ctx.store.items["tasks"].values())
    for pred in _task_filters(ctx):
        rows = [r for r in rows if pred(r)]
    rows.sort(key=lambda r: r["id"])
    order = ctx.order
    keys = {
        "created_at": "created_at",
        "complete_till": "complete_till_at",
        "id": "id",
        "updated_at": "updated_at",
    }
    for key, direction in order.items():
        if key in keys and str(direction).lower() in ("asc", "desc"):
            field = keys[key]
            rows.sort(key=lambda r: (r[field], r["id"]), reverse=str(direction).lower() == "desc")
            break
    return listing(ctx, "tasks", "tasks", rows, lambda r: render_task(ctx, r))


def get_task(ctx: Ctx) -> Response:
    rec = ctx.store.get("tasks", ctx.pid())
    return no_content() if rec is None else hal(render_task(ctx, rec))


def _parse_task(ctx: Ctx, raw: Any, inv: Invalid, current: dict[str, Any] | None) -> Plan:
    plan = Plan("tasks", inv.request_id, current)
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return plan
    item = plan.item
    if "text" in raw:
        if not isinstance(raw["text"], str):
            inv.type_error("text", "string")
        else:
            item["text"] = raw["text"]
    for key in ("responsible_user_id", "created_by", "updated_by"):
        if key in raw:
            uid = as_int(raw[key])
            if uid is None:
                inv.type_error(key, "int")
            elif not users_ok(ctx.store, uid, robot_ok=key != "responsible_user_id"):
                inv.add(NOT_CHOICE, key)
            else:
                item[key] = uid
    for key in ("created_at", "updated_at", "duration"):
        if key in raw:
            n = as_int(raw[key])
            if n is None or n < 0:
                inv.type_error(key, "int")
            else:
                item[key] = n
    if "complete_till" in raw:
        till = as_int(raw["complete_till"])
        if till is None:
            inv.type_error("complete_till", "int")
        else:
            item["complete_till_at"] = till
    elif current is None:
        inv.add(NOT_BLANK, "complete_till")
    if "task_type_id" in raw:
        tt = as_int(raw["task_type_id"])
        if tt is None:
            inv.type_error("task_type_id", "int")
        elif tt not in SEED.TASK_TYPES:
            inv.add(NOT_CHOICE, "task_type_id")
        else:
            item["task_type"] = tt
    if "is_completed" in raw:
        if not isinstance(raw["is_completed"], bool):
            inv.type_error("is_completed", "bool")
        else:
            item["is_completed"] = raw["is_completed"]
    if "entity_id" in raw or "entity_type" in raw:
        etype = _ETYPE.get(str(raw.get("entity_type")))
        eid = as_int(raw.get("entity_id"))
        if etype is None:
            inv.add(NOT_CHOICE if raw.get("entity_type") is not None else NOT_BLANK, "entity_type")
        elif eid is None:
            inv.add(NOT_BLANK if raw.get("entity_id") is None else INVALID_TYPE, "entity_id")
        elif ctx.store.get(_ENTITY[etype], eid) is None:
            inv.add(NOT_CHOICE, "entity_id")
        else:
            item.update(element_id=eid, element_type=etype)
    if "result" in raw and raw["result"] is not None:
        res = raw["result"]
        if not isinstance(res, dict) or not isinstance(res.get("text"), str):
            inv.type_error("result.text", "string")
        else:
            plan.set_fields["result"] = {"text": res["text"]}
    return plan


def _wrote_tasks(ctx: Ctx, done: list[tuple[Plan, int, int]], update: bool) -> Response:
    rows = []
    for plan, eid, updated in done:
        row: dict[str, Any] = {"id": eid}
        if update:
            row["updated_at"] = updated
        row["request_id"] = plan.request_id
        row["_links"] = ctx.link(f"tasks/{eid}")
        rows.append(row)
    return hal({"_links": ctx.link("tasks"), "_embedded": {"tasks": rows}})


def add_tasks(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = [_parse_task(ctx, r, inv, None) for r, inv in zip(items, invs, strict=True)]
    return _wrote_tasks(ctx, apply_plans(ctx, plans, invs), False)


def _current_task(ctx: Ctx, raw: Any, inv: Invalid) -> dict[str, Any] | None:
    tid = as_int(raw.get("id")) if isinstance(raw, dict) else None
    current = ctx.store.get("tasks", tid) if tid is not None else None
    if isinstance(raw, dict) and current is None:
        inv.add(NOT_CHOICE if tid is not None else NOT_BLANK, "id")
    return current


def update_tasks(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = []
    for raw, inv in zip(items, invs, strict=True):
        current = _current_task(ctx, raw, inv)
        plans.append(_parse_task(ctx, raw, inv, current) if current else Plan("tasks", inv.request_id, None))
    return _wrote_tasks(ctx, apply_plans(ctx, plans, invs), True)


def update_task(ctx: Ctx) -> Response:
    current = ctx.store.get("tasks", ctx.pid())
    if current is None:
        raise V4Error(404, f"Task {ctx.params['id']} not found")
    raw = ctx.object_body()
    inv = Invalid(request_id_of(raw, 0))
    [(_, eid, updated)] = apply_plans(ctx, [_parse_task(ctx, raw, inv, current)], [inv])
    return hal({"id": eid, "updated_at": updated, "_links": ctx.link(f"tasks/{eid}")})


# -- notes ---------------------------------------------------------------------------------------
def _params_of(rec: dict[str, Any]) -> dict[str, Any]:
    params = dict(rec.get("params") or {})
    if "text" not in params and rec.get("text"):
        params["text"] = rec["text"]
    return params


def render_note(ctx: Ctx, kind: str, rec: dict[str, Any], with_pinned: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rec["id"],
        "entity_id": rec["element_id"],
        "created_by": rec["created_by"],
        "updated_by": rec["updated_by"],
        "created_at": rec["created_at"],
        "updated_at": rec["updated_at"],
        "responsible_user_id": rec["responsible_user_id"],
        "group_id": rec.get("group_id", 0),
        "note_type": V4_NOTE_TYPES.get(int(rec["note_type"]), "common"),
        "params": _params_of(rec),
        "is_editable": bool(rec.get("is_editable", True)),
        "account_id": SEED.ACCOUNT_ID,
    }
    if with_pinned:
        out["is_pinned"] = bool(rec.get("is_pinned", False))
    out["_links"] = ctx.link(f"{kind}/{rec['element_id']}/notes/{rec['id']}", echo=True)
    return out


def _notes_of(ctx: Ctx, kind: str) -> list[dict[str, Any]]:
    etype = _ETYPE[kind]
    return [r for r in ctx.store.items["notes"].values() if r["element_type"] == etype]


def _pinned_with(ctx: Ctx) -> bool:
    return "is_pinned" in {w.strip() for w in str(ctx.q.get("with", "")).split(",")}


def list_notes(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    rows = _notes_of(ctx, kind)
    path = f"{kind}/notes"
    if "eid" in ctx.params:
        eid = ctx.pid("eid")
        rows = [r for r in rows if r["element_id"] == eid]
        path = f"{kind}/{eid}/notes"
    flt: dict[str, Any] = ctx.filter
    if flt.get("id") not in (None, ""):
        ids = ids_of(flt["id"], "filter[id]")
        rows = [r for r in rows if r["id"] in ids]
    if flt.get("entity_id") not in (None, ""):
        eids = ids_of(flt["entity_id"], "filter[entity_id]")
        rows = [r for r in rows if r["element_id"] in eids]
    if flt.get("note_type") not in (None, ""):
        types = {str(t) for t in one_or_many(flt["note_type"])}
        rows = [r for r in rows if V4_NOTE_TYPES.get(int(r["note_type"]), "common") in types]
    if flt.get("updated_at") not in (None, ""):
        bounds = range_of(flt["updated_at"], "filter[updated_at]")
        rows = [r for r in rows if in_range(r["updated_at"], bounds)]
    rows.sort(key=lambda r: r["id"])
    order = ctx.order
    for key in ("id", "updated_at", "created_at"):
        if str(order.get(key, "")).lower() in ("asc", "desc"):
            field = key
            rows.sort(key=lambda r: (r[field], r["id"]), reverse=str(order[key]).lower() == "desc")
            break
    pinned = _pinned_with(ctx)
    return listing(ctx, path, "notes", rows, lambda r: render_note(ctx, kind, r, pinned))


def _note(ctx: Ctx) -> dict[str, Any] | None:
    kind = ctx.params["entity"]
    rec = ctx.store.get("notes", ctx.pid())
    if rec is None or rec["element_type"] != _ETYPE[kind]:
        return None
    if "eid" in ctx.params and rec["element_id"] != ctx.pid("eid"):
        return None
    return rec


def get_note(ctx: Ctx) -> Response:
    rec = _note(ctx)
    return (
        no_content() if rec is None else hal(render_note(ctx, ctx.params["entity"], rec, _pinned_with(ctx)))
    )


def _check_params(code: str, params: Any, inv: Invalid) -> dict[str, Any] | None:
    required, optional = PARAMS[code]
    if params is None:
        params = {}
    if not isinstance(params, dict):
        inv.type_error("params", "object")
        return None
    for key in required:
        if params.get(key) in (None, ""):
            inv.add(NOT_BLANK, f"params.{key}")
    if code in ("call_in", "call_out"):
        if params.get("duration") is not None and as_int(params["duration"]) is None:
            inv.type_error("params.duration", "int")
        status = params.get("call_status")
        if status is not None and (as_int(status) is None or not 1 <= int(status) <= 8):
            inv.add(NOT_CHOICE, "params.call_status")
    if code == "message_cashier" and params.get("status") not in (None, "created", "shown", "canceled"):
        inv.add(NOT_CHOICE, "params.status")
    for key, value in params.items():
        if (
            key in required + optional
            and isinstance(value, (dict, list))
            and key not in ("contacts", "recordings", "conference")
        ):
            inv.type_error(f"params.{key}", "string")
    return dict(params)


def _parse_note(
    ctx: Ctx, kind: str, raw: Any, inv: Invalid, current: dict[str, Any] | None, fixed_entity: int | None
) -> Plan:
    plan = Plan("notes", inv.request_id, current)
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return plan
    item = plan.item
    if current is None:
        eid = fixed_entity if fixed_entity is not None else as_int(raw.get("entity_id"))
        if eid is None:
            inv.add(NOT_BLANK if raw.get("entity_id") is None else INVALID_TYPE, "entity_id")
        elif ctx.store.get(kind, eid) is None:
            inv.add(NOT_CHOICE, "entity_id")
        code = raw.get("note_type")
        if code not in WRITABLE:
            inv.add(NOT_BLANK if code is None else NOT_CHOICE, "note_type")
            return plan
        params = _check_params(str(code), raw.get("params"), inv)
        item.update(
            element_id=eid,
            element_type=_ETYPE[kind],
            note_type=V2_NOTE_TYPES[str(code)],
            params=params or {},
            text=str((params or {}).get("text", "")),
        )
    else:
        code = V4_NOTE_TYPES.get(int(current["note_type"]), "common")
        if raw.get("note_type") not in (None, code):
            inv.add(NOT_CHOICE, "note_type", "The type of a note cannot be changed.")
        if "params" in raw:
            if code not in WRITABLE:
                inv.add(NOT_CHOICE, "params", "Notes of this type cannot be edited.")
            else:
                params = _check_params(
                    code,
                    {**_params_of(current), **(raw["params"] or {})}
                    if isinstance(raw["params"], dict)
                    else raw["params"],
                    inv,
                )
                if params is not None:
                    item.update(params=params, text=str(params.get("text", "")))
    for key in ("responsible_user_id", "created_by"):
        if key in raw:
            uid = as_int(raw[key])
            if uid is None or not users_ok(ctx.store, uid, robot_ok=key == "created_by"):
                inv.add(NOT_CHOICE, key)
            else:
                item[key] = uid
    for key in ("created_at", "updated_at"):
        if key in raw:
            n = as_int(raw[key])
            if n is None:
                inv.type_error(key, "int")
            else:
                item[key] = n
    return plan


def _wrote_notes(ctx: Ctx, kind: str, done: list[tuple[Plan, int, int]], update: bool) -> Response:
    rows = []
    for plan, nid, updated in done:
        rec = ctx.store.items["notes"][nid]
        row: dict[str, Any] = {"id": nid, "entity_id": rec["element_id"]}
        if update:
            row["updated_at"] = updated
        row["request_id"] = plan.request_id
        row["_links"] = ctx.link(f"{kind}/{rec['element_id']}/notes/{nid}")
        rows.append(row)
    return hal({"_links": ctx.link(f"{kind}/notes"), "_embedded": {"notes": rows}})


def add_notes(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    fixed = ctx.pid("eid") if "eid" in ctx.params else None
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = [_parse_note(ctx, kind, r, inv, None, fixed) for r, inv in zip(items, invs, strict=True)]
    return _wrote_notes(ctx, kind, apply_plans(ctx, plans, invs), False)


def update_notes(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    plans = []
    for raw, inv in zip(items, invs, strict=True):
        nid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        current = ctx.store.get("notes", nid) if nid is not None else None
        if (
            current is None
            or current["element_type"] != _ETYPE[kind]
            or ("eid" in ctx.params and current["element_id"] != ctx.pid("eid"))
        ):
            inv.add(NOT_CHOICE if nid is not None else NOT_BLANK, "id")
            plans.append(Plan("notes", inv.request_id, None))
            continue
        plans.append(_parse_note(ctx, kind, raw, inv, current, None))
    return _wrote_notes(ctx, kind, apply_plans(ctx, plans, invs), True)


def update_note(ctx: Ctx) -> Response:
    kind = ctx.params["entity"]
    current = _note(ctx)
    if current is None:
        raise V4Error(404, f"Note {ctx.params['id']} not found")
    raw = ctx.object_body()
    inv = Invalid(request_id_of(raw, 0))
    [(_, nid, updated)] = apply_plans(ctx, [_parse_note(ctx, kind, raw, inv, current, None)], [inv])
    return hal(
        {
            "id": nid,
            "entity_id": current["element_id"],
            "updated_at": updated,
            "_links": ctx.link(f"{kind}/{current['element_id']}/notes/{nid}"),
        }
    )


def _pin(ctx: Ctx, on: bool) -> Response:
    rec = _note(ctx)
    if rec is None:
        raise V4Error(404, f"Note {ctx.params['id']} not found")
    ctx.store.items["notes"][rec["id"]] = {**rec, "is_pinned": on}
    return no_content()


def pin(ctx: Ctx) -> Response:
    return _pin(ctx, True)


def unpin(ctx: Ctx) -> Response:
    return _pin(ctx, False)


ROUTES = [
    ("GET", "tasks", list_tasks),
    ("POST", "tasks", add_tasks),
    ("PATCH", "tasks", update_tasks),
    ("GET", "tasks/{id}", get_task),
    ("PATCH", "tasks/{id}", update_task),
    ("GET", "{entity}/notes", list_notes),
    ("POST", "{entity}/notes", add_notes),
    ("PATCH", "{entity}/notes", update_notes),
    ("GET", "{entity}/notes/{id}", get_note),
    ("PATCH", "{entity}/notes/{id}", update_note),
    ("POST", "{entity}/notes/{id}/pin", pin),
    ("POST", "{entity}/notes/{id}/unpin", unpin),
    ("GET", "{entity}/{eid}/notes", list_notes),
    ("POST", "{entity}/{eid}/notes", add_notes),
    ("PATCH", "{entity}/{eid}/notes", update_notes),
    ("GET", "{entity}/{eid}/notes/{id}", get_note),
    ("PATCH", "{entity}/{eid}/notes/{id}", update_note),
]
