"""Pipelines, their statuses (stages) and loss reasons: ``/api/v4/leads/pipelines``, ``/leads/loss_reasons``.

Pipelines are the store's (the v2 face lists the same ones). Every pipeline has the system
statuses 142 (won) and 143 (lost), which can be renamed but never deleted, and, while
``is_unsorted_on``, an "unsorted" stage (``type`` 1) that holds unaccepted incoming leads.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from ..seed import SEED
from ..wire import Response, no_content
from .base import (
    NOT_BLANK,
    NOT_CHOICE,
    Ctx,
    Invalid,
    V4Error,
    ValidationFailed,
    as_int,
    hal,
    listing,
)
from .crm import request_id_of

__all__ = ["ROUTES", "COLORS", "render_pipeline", "render_status"]

COLORS = ("#fffeb2", "#fffd7f", "#fff000", "#ffeab2", "#ffdc7f", "#ffce5a", "#ffdbdb", "#ffc8c8", "#ff8f92",
          "#d6eaff", "#c1e0ff", "#98cbff", "#ebffb1", "#deff81", "#87f2c0", "#f9deff", "#f3beff", "#ccc8f9",
          "#eb93ff", "#f2f3f4", "#e6e8ea")
_SYSTEM = (SEED.STATUS_WON, SEED.STATUS_LOST)
_LEVELS = ("newbie", "candidate", "master")


def _status_rows(p: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    if p.get("is_unsorted_on") and p.get("unsorted_status"):
        rows.append({"id": p["unsorted_status"], "name": "Неразобранное", "sort": 10, "is_editable": False,
                     "color": "#c1c1c1", "type": 1})
    for sid, name, color, sort in p["statuses"]:
        rows.append({"id": sid, "name": name, "sort": sort, "is_editable": True, "color": color, "type": 0})
    rows.append({"id": SEED.STATUS_WON, "name": p["won_name"], "sort": 10000, "is_editable": False,
                 "color": "#CCFF66", "type": 0})
    rows.append({"id": SEED.STATUS_LOST, "name": p["lost_name"], "sort": 11000, "is_editable": False,
                 "color": "#D5D8DB", "type": 0})
    return rows


def render_status(ctx: Ctx, p: dict[str, Any], row: dict[str, Any], with_descriptions: bool = False,
                  request_id: str | None = None) -> dict[str, Any]:
    out = {**row, "pipeline_id": p["id"], "account_id": SEED.ACCOUNT_ID}
    if with_descriptions:
        out["descriptions"] = list(p["descriptions"].get(row["id"], []))
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"leads/pipelines/{p['id']}/statuses/{row['id']}")
    return out


def render_pipeline(ctx: Ctx, p: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p["id"], "name": p["name"], "sort": p["sort"], "is_main": p["is_main"],
                           "is_unsorted_on": p["is_unsorted_on"], "is_archive": p["is_archive"],
                           "account_id": SEED.ACCOUNT_ID}
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"leads/pipelines/{p['id']}")
    out["_embedded"] = {"statuses": [render_status(ctx, p, r) for r in _status_rows(p)]}
    return out


def _pipeline(ctx: Ctx, name: str = "pid") -> dict[str, Any]:
    p = ctx.store.pipeline(ctx.pid(name))
    if p is None:
        raise V4Error(404, f"Pipeline {ctx.params[name]} not found")
    return p


def list_pipelines(ctx: Ctx) -> Response:
    rows = sorted(ctx.store.pipelines, key=lambda p: (p["sort"], p["id"]))
    return hal({"_total_items": len(rows), "_links": ctx.link("leads/pipelines"),
                "_embedded": {"pipelines": [render_pipeline(ctx, p) for p in rows]}})


def get_pipeline(ctx: Ctx) -> Response:
    p = ctx.store.pipeline(ctx.pid("pid"))
    return no_content() if p is None else hal(render_pipeline(ctx, p))


def _check_flag(raw: dict[str, Any], key: str, inv: Invalid) -> bool | None:
    if key not in raw:
        return None
    if not isinstance(raw[key], bool):
        inv.type_error(key, "bool")
        return None
    return bool(raw[key])


def _new_status(ctx: Ctx, raw: Any, inv: Invalid, path: str) -> tuple[str, str, int] | None:
    if not isinstance(raw, dict):
        inv.type_error(path, "object")
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        inv.add(NOT_BLANK, f"{path}name" if not path else f"{path}.name")
    color = raw.get("color", COLORS[0])
    if color not in COLORS:
        inv.add(NOT_CHOICE, f"{path}.color" if path else "color")
    sort = as_int(raw.get("sort", 100))
    if sort is None:
        inv.type_error(f"{path}.sort" if path else "sort", "int")
    if inv:
        return None
    assert isinstance(name, str) and isinstance(color, str) and sort is not None
    return name.strip(), color, sort


def _new_id(ctx: Ctx) -> int:
    ctx.store.next_status += 1
    return ctx.store.next_status


def add_pipelines(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs: list[Invalid] = []
    made: list[Any] = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        if not isinstance(raw, dict):
            inv.type_error("", "object")
            made.append(None)
            continue
        if not isinstance(raw.get("name"), str) or not raw["name"].strip():
            inv.add(NOT_BLANK, "name")
        sort = as_int(raw.get("sort", 100))
        if sort is None:
            inv.type_error("sort", "int")
        is_main = _check_flag(raw, "is_main", inv)
        unsorted_on = _check_flag(raw, "is_unsorted_on", inv)
        emb: dict[str, Any] = raw["_embedded"] if isinstance(raw.get("_embedded"), dict) else {}
        statuses = emb.get("statuses")
        won, lost = "Успешно реализовано", "Закрыто и не реализовано"
        regular: list[tuple[str, str, int]] = []
        if not isinstance(statuses, list) or not statuses:
            inv.add(NOT_BLANK, "_embedded.statuses")
        else:
            for j, st in enumerate(statuses):
                sid = as_int(st.get("id")) if isinstance(st, dict) else None
                if sid in _SYSTEM and isinstance(st, dict):
                    if isinstance(st.get("name"), str) and st["name"].strip():
                        won, lost = (st["name"].strip(), lost) if sid == SEED.STATUS_WON else (won, st["name"].strip())
                    continue
                one = _new_status(ctx, st, inv, f"_embedded.statuses.{j}")
                if one is not None:
                    regular.append(one)
            if not regular and not inv:
                inv.add(NOT_BLANK, "_embedded.statuses", "A pipeline needs at least one stage of its own.")
        made.append(None if inv else {"name": raw["name"].strip(), "sort": sort, "is_main": bool(is_main),
                                      "is_unsorted_on": True if unsorted_on is None else unsorted_on,
                                      "won": won, "lost": lost, "statuses": regular})
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    store = ctx.store
    out = []
    for spec, inv in zip(made, invs, strict=True):
        assert spec is not None
        store.next_pipeline += 1
        pid = store.next_pipeline
        if spec["is_main"]:
            for other in store.pipelines:
                other["is_main"] = False
        p = {"id": pid, "name": spec["name"], "sort": spec["sort"], "is_main": spec["is_main"],
             "statuses": [(_new_id(ctx), n, c, s) for n, c, s in sorted(spec["statuses"], key=lambda x: x[2])],
             "unsorted_status": _new_id(ctx), "is_unsorted_on": spec["is_unsorted_on"], "is_archive": False,
             "won_name": spec["won"], "lost_name": spec["lost"], "descriptions": {}}
        store.pipelines.append(p)
        out.append(render_pipeline(ctx, p, inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"pipelines": out}})


def _patch_pipeline(ctx: Ctx, p: dict[str, Any], raw: Any, inv: Invalid) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    changes: dict[str, Any] = {}
    if "name" in raw:
        if not isinstance(raw["name"], str) or not raw["name"].strip():
            inv.add(NOT_BLANK, "name")
        else:
            changes["name"] = raw["name"].strip()
    if "sort" in raw:
        sort = as_int(raw["sort"])
        if sort is None:
            inv.type_error("sort", "int")
        else:
            changes["sort"] = sort
    for key in ("is_main", "is_unsorted_on", "is_archive"):
        flag = _check_flag(raw, key, inv)
        if flag is not None:
            changes[key] = flag
    if changes.get("is_main") is False and p["is_main"]:
        inv.add(NOT_CHOICE, "is_main", "The account needs a main pipeline: make another one main instead.")
    return None if inv else changes


def _apply_pipeline(ctx: Ctx, p: dict[str, Any], changes: dict[str, Any]) -> None:
    if changes.get("is_main"):
        for other in ctx.store.pipelines:
            other["is_main"] = False
    p.update(changes)


def update_pipeline(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    inv = Invalid("0")
    changes = _patch_pipeline(ctx, p, ctx.object_body(), inv)
    if changes is None:
        raise ValidationFailed([inv])
    _apply_pipeline(ctx, p, changes)
    return hal(render_pipeline(ctx, p))


def update_pipelines(ctx: Ctx) -> Response:
    items = ctx.array_body()
    invs: list[Invalid] = []
    plans: list[Any] = []
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        pid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        p = ctx.store.pipeline(pid) if pid is not None else None
        if p is None:
            inv.add(NOT_CHOICE if pid is not None else NOT_BLANK, "id")
            plans.append(None)
            continue
        plans.append((p, _patch_pipeline(ctx, p, raw, inv)))
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for plan, inv in zip(plans, invs, strict=True):
        assert plan is not None and plan[1] is not None
        _apply_pipeline(ctx, plan[0], plan[1])
        out.append(render_pipeline(ctx, plan[0], inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"pipelines": out}})


def delete_pipeline(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    if p["is_main"]:
        raise V4Error(400, "The main pipeline cannot be deleted")
    if any(r["pipeline_id"] == p["id"] and not r.get("is_deleted") for r in ctx.store.items["leads"].values()):
        raise V4Error(400, "The pipeline has leads: move or delete them first")
    ctx.store.pipelines.remove(p)
    return no_content()


# -- statuses ------------------------------------------------------------------------------------
def _with_descriptions(ctx: Ctx) -> bool:
    return "descriptions" in {w.strip() for w in str(ctx.q.get("with", "")).split(",")}


def list_statuses(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    rows = _status_rows(p)
    wd = _with_descriptions(ctx)
    return hal({"_total_items": len(rows), "_links": ctx.link(f"leads/pipelines/{p['id']}/statuses", echo=True),
                "_embedded": {"statuses": [render_status(ctx, p, r, wd) for r in rows]}})


def get_status(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    sid = ctx.pid("sid")
    row = next((r for r in _status_rows(p) if r["id"] == sid), None)
    return no_content() if row is None else hal(render_status(ctx, p, row, _with_descriptions(ctx)))


def add_statuses(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_new_status(ctx, r, inv, "") for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for one, inv in zip(parsed, invs, strict=True):
        assert one is not None
        name, color, sort = one
        sid = _new_id(ctx)
        p["statuses"] = sorted([*p["statuses"], (sid, name, color, sort)], key=lambda s: (s[3], s[0]))
        row = next(r for r in _status_rows(p) if r["id"] == sid)
        out.append(render_status(ctx, p, row, False, inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"statuses": out}})


def _patch_status(ctx: Ctx, p: dict[str, Any], sid: int, raw: Any, inv: Invalid) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        inv.type_error("", "object")
        return None
    changes: dict[str, Any] = {}
    editable = any(s[0] == sid for s in p["statuses"])
    if "name" in raw:
        if not isinstance(raw["name"], str) or not raw["name"].strip():
            inv.add(NOT_BLANK, "name")
        else:
            changes["name"] = raw["name"].strip()
    if not editable and sid not in _SYSTEM:
        inv.add(NOT_CHOICE, "id", "This status cannot be changed.")
    if ("color" in raw or "sort" in raw) and not editable:
        inv.add(NOT_CHOICE, "color" if "color" in raw else "sort", "System statuses keep their colour and place.")
    if "color" in raw and raw["color"] not in COLORS:
        inv.add(NOT_CHOICE, "color")
    elif "color" in raw:
        changes["color"] = raw["color"]
    if "sort" in raw:
        sort = as_int(raw["sort"])
        if sort is None:
            inv.type_error("sort", "int")
        else:
            changes["sort"] = sort
    if "descriptions" in raw:
        descs = raw["descriptions"]
        if not isinstance(descs, list):
            inv.type_error("descriptions", "array")
        else:
            out = []
            now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            for i, d in enumerate(descs):
                if not isinstance(d, dict) or d.get("level") not in _LEVELS:
                    inv.add(NOT_CHOICE, f"descriptions.{i}.level")
                    continue
                if not isinstance(d.get("description"), str):
                    inv.type_error(f"descriptions.{i}.description", "string")
                    continue
                out.append({"id": i + 1, "account_id": SEED.ACCOUNT_ID, "created_at": now, "updated_at": now,
                            "created_by": 0, "updated_by": 0, "pipeline_id": p["id"], "status_id": sid,
                            "level": d["level"], "description": d["description"]})
            changes["descriptions"] = out
    return None if inv else changes


def _apply_status(p: dict[str, Any], sid: int, changes: dict[str, Any]) -> None:
    if "descriptions" in changes:
        p["descriptions"][sid] = changes.pop("descriptions")
    if sid == SEED.STATUS_WON and "name" in changes:
        p["won_name"] = changes["name"]
        return
    if sid == SEED.STATUS_LOST and "name" in changes:
        p["lost_name"] = changes["name"]
        return
    rows = []
    for s in p["statuses"]:
        if s[0] == sid:
            s = (sid, changes.get("name", s[1]), changes.get("color", s[2]), changes.get("sort", s[3]))
        rows.append(s)
    p["statuses"] = sorted(rows, key=lambda s: (s[3], s[0]))


def update_status(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    sid = ctx.pid("sid")
    row = next((r for r in _status_rows(p) if r["id"] == sid), None)
    if row is None:
        raise V4Error(404, f"Status {sid} not found in pipeline {p['id']}")
    inv = Invalid("0")
    changes = _patch_status(ctx, p, sid, ctx.object_body(), inv)
    if changes is None:
        raise ValidationFailed([inv])
    _apply_status(p, sid, changes)
    return hal(render_status(ctx, p, next(r for r in _status_rows(p) if r["id"] == sid), True))


def update_statuses(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    items = ctx.array_body()
    invs: list[Invalid] = []
    plans: list[Any] = []
    known = {r["id"] for r in _status_rows(p)}
    for i, raw in enumerate(items):
        inv = Invalid(request_id_of(raw, i))
        invs.append(inv)
        sid = as_int(raw.get("id")) if isinstance(raw, dict) else None
        if sid is None or sid not in known:
            inv.add(NOT_CHOICE if sid is not None else NOT_BLANK, "id")
            plans.append(None)
            continue
        plans.append((sid, _patch_status(ctx, p, sid, raw, inv)))
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    for plan, inv in zip(plans, invs, strict=True):
        assert plan is not None and plan[1] is not None
        _apply_status(p, plan[0], plan[1])
        row = next(r for r in _status_rows(p) if r["id"] == plan[0])
        out.append(render_status(ctx, p, row, False, inv.request_id))
    return hal({"_total_items": len(out), "_embedded": {"statuses": out}})


def delete_status(ctx: Ctx) -> Response:
    p = _pipeline(ctx)
    sid = ctx.pid("sid")
    if sid in _SYSTEM or sid == p.get("unsorted_status"):
        raise V4Error(400, f"Status {sid} is a system status and cannot be deleted")
    if not any(s[0] == sid for s in p["statuses"]):
        raise V4Error(404, f"Status {sid} not found in pipeline {p['id']}")
    if len(p["statuses"]) == 1:
        raise V4Error(400, "The last stage of a pipeline cannot be deleted")
    if any(r["status_id"] == sid and not r.get("is_deleted") for r in ctx.store.items["leads"].values()):
        raise V4Error(400, f"Status {sid} has leads: move them first")
    p["statuses"] = [s for s in p["statuses"] if s[0] != sid]
    return no_content()


# -- loss reasons --------------------------------------------------------------------------------
def _render_reason(ctx: Ctx, lr: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    out = dict(lr)
    if request_id is not None:
        out["request_id"] = request_id
    out["_links"] = ctx.link(f"leads/loss_reasons/{lr['id']}")
    return out


def list_reasons(ctx: Ctx) -> Response:
    rows = sorted(ctx.store.v4.loss_reasons.values(), key=lambda r: (r["sort"], r["id"]))
    return listing(ctx, "leads/loss_reasons", "loss_reasons", rows, lambda r: _render_reason(ctx, r))


def get_reason(ctx: Ctx) -> Response:
    lr = ctx.store.v4.loss_reasons.get(ctx.pid())
    return no_content() if lr is None else hal(_render_reason(ctx, lr))


def _reason_fields(raw: Any, inv: Invalid, create: bool) -> dict[str, Any] | None:
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
    return None if inv else out


def add_reasons(ctx: Ctx) -> Response:
    import time

    items = ctx.array_body()
    invs = [Invalid(request_id_of(r, i)) for i, r in enumerate(items)]
    parsed = [_reason_fields(r, inv, True) for r, inv in zip(items, invs, strict=True)]
    bad = [i for i in invs if i]
    if bad:
        raise ValidationFailed(bad)
    out = []
    st = ctx.store.v4
    for fields, inv in zip(parsed, invs, strict=True):
        assert fields is not None
        now = int(time.time())
        lid = st.next_loss_reason
        st.next_loss_reason += 1
        st.loss_reasons[lid] = {"id": lid, "name": fields["name"], "sort": fields.get("sort", 100),
                                "created_at": now, "updated_at": now}
        out.append(_render_reason(ctx, st.loss_reasons[lid], inv.request_id))
    return hal({"_links": ctx.link("leads/loss_reasons"), "_embedded": {"loss_reasons": out}})


def update_reason(ctx: Ctx) -> Response:
    import time

    lr = ctx.store.v4.loss_reasons.get(ctx.pid())
    if lr is None:
        raise V4Error(404, "Loss reason not found")
    inv = Invalid("0")
    fields = _reason_fields(ctx.object_body(), inv, False)
    if fields is None:
        raise ValidationFailed([inv])
    lr.update(fields, updated_at=int(time.time()))
    return hal(_render_reason(ctx, lr))


def delete_reason(ctx: Ctx) -> Response:
    if ctx.store.v4.loss_reasons.pop(ctx.pid(), None) is None:
        raise V4Error(404, "Loss reason not found")
    return no_content()


ROUTES = [
    ("GET", "leads/pipelines", list_pipelines),
    ("POST", "leads/pipelines", add_pipelines),
    ("PATCH", "leads/pipelines", update_pipelines),
    ("GET", "leads/pipelines/{pid}", get_pipeline),
    ("PATCH", "leads/pipelines/{pid}", update_pipeline),
    ("DELETE", "leads/pipelines/{pid}", delete_pipeline),
    ("GET", "leads/pipelines/{pid}/statuses", list_statuses),
    ("POST", "leads/pipelines/{pid}/statuses", add_statuses),
    ("PATCH", "leads/pipelines/{pid}/statuses", update_statuses),
    ("GET", "leads/pipelines/{pid}/statuses/{sid}", get_status),
    ("PATCH", "leads/pipelines/{pid}/statuses/{sid}", update_status),
    ("DELETE", "leads/pipelines/{pid}/statuses/{sid}", delete_status),
    ("GET", "leads/loss_reasons", list_reasons),
    ("POST", "leads/loss_reasons", add_reasons),
    ("GET", "leads/loss_reasons/{id}", get_reason),
    ("PATCH", "leads/loss_reasons/{id}", update_reason),
    ("DELETE", "leads/loss_reasons/{id}", delete_reason),
]
