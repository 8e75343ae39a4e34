"""The account's event log (``/api/v4/events``), written as changes happen through either face.

After every request the core hands the store's journal to :func:`record`, which compares each
touched record's state before the request with its state now and appends one event per change:
entity added/deleted, lead status, responsible user, name, price, tags, each custom field, links,
notes, task completion/text/deadline/type/result. Events carry ULID-like string ids that sort by
time, ``value_before``/``value_after`` arrays of one-key objects, and are filterable as documented,
so an incremental sync (``filter[created_at][from]`` + ``filter[entity]`` + paging) can be tested.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..seed import SEED
from ..store import ELEMENT_TYPES, LINKABLE, Store
from ..wire import Response, no_content
from .base import Ctx, V4Error, as_int, hal, ids_of, in_range, listing, one_or_many, page_params, range_of
from .notes_types import V4_NOTE_TYPES
from .state import ulid

__all__ = ["record", "emit", "ROUTES", "EVENT_TYPES"]

_SINGULAR = {"leads": "lead", "contacts": "contact", "companies": "company", "customers": "customer",
             "tasks": "task"}
_PLURAL = {v: k for k, v in _SINGULAR.items()}

#: (key, English name, Russian name) in the order of their numeric ``type``
EVENT_TYPES: list[tuple[str, str, str]] = [
    ("lead_added", "New lead", "Новая сделка"), ("lead_deleted", "Lead deleted", "Сделка удалена"),
    ("lead_restored", "Lead restored", "Сделка восстановлена"),
    ("lead_status_changed", "Lead stage changed", "Изменение этапа продажи"),
    ("lead_linked", "Lead linked", "Прикрепление сделки"), ("lead_unlinked", "Lead unlinked", "Открепление сделки"),
    ("contact_added", "New contact", "Новый контакт"), ("contact_deleted", "Contact deleted", "Контакт удален"),
    ("contact_restored", "Contact restored", "Контакт восстановлен"),
    ("contact_linked", "Contact linked", "Прикрепление контакта"),
    ("contact_unlinked", "Contact unlinked", "Открепление контакта"),
    ("company_added", "New company", "Новая компания"), ("company_deleted", "Company deleted", "Компания удалена"),
    ("company_restored", "Company restored", "Компания восстановлена"),
    ("company_linked", "Company linked", "Прикрепление компании"),
    ("company_unlinked", "Company unlinked", "Открепление компании"),
    ("customer_added", "New customer", "Новый покупатель"),
    ("customer_deleted", "Customer deleted", "Покупатель удален"),
    ("customer_status_changed", "Customer status changed", "Изменение этапа покупателя"),
    ("customer_linked", "Customer linked", "Прикрепление покупателя"),
    ("customer_unlinked", "Customer unlinked", "Открепление покупателя"),
    ("task_added", "New task", "Новая задача"), ("task_deleted", "Task deleted", "Задача удалена"),
    ("task_completed", "Task completed", "Завершение задачи"),
    ("task_type_changed", "Task type changed", "Изменение типа задачи"),
    ("task_text_changed", "Task text changed", "Изменение описания задачи"),
    ("task_deadline_changed", "Task deadline changed", "Изменение даты исполнения задачи"),
    ("task_result_added", "Task result added", "Результат по задаче"),
    ("incoming_call", "Incoming call", "Входящий звонок"), ("outgoing_call", "Outgoing call", "Исходящий звонок"),
    ("incoming_mail", "Incoming e-mail", "Входящее письмо"), ("outgoing_mail", "Outgoing e-mail", "Исходящее письмо"),
    ("incoming_chat_message", "Incoming chat message", "Сообщение в чат"),
    ("outgoing_chat_message", "Outgoing chat message", "Ответ в чат"),
    ("entity_direct_message", "Direct message", "Сообщение во внутренний чат"),
    ("incoming_sms", "Incoming SMS", "Входящее SMS"), ("outgoing_sms", "Outgoing SMS", "Исходящее SMS"),
    ("entity_tag_added", "Tag added", "Теги добавлены"), ("entity_tag_deleted", "Tag deleted", "Теги убраны"),
    ("entity_linked", "Entity linked", "Прикрепление"), ("entity_unlinked", "Entity unlinked", "Открепление"),
    ("sale_field_changed", "Sale field changed", "Изменение поля «Бюджет»"),
    ("name_field_changed", "Name field changed", "Изменение поля «Название»"),
    ("ltv_field_changed", "LTV field changed", "Сумма покупок"),
    ("custom_field_value_changed", "Custom field value changed", "Изменение поля"),
    ("entity_responsible_changed", "Responsible user changed", "Ответственный изменен"),
    ("robot_replied", "Robot replied", "Ответ робота"), ("intent_identified", "Intent identified", "Тема вопроса определена"),
    ("nps_rate_added", "NPS rate added", "Новая оценка NPS"), ("link_followed", "Link followed", "Переход по ссылке"),
    ("transaction_added", "Transaction added", "Добавлена покупка"),
    ("common_note_added", "Note added", "Новое примечание"), ("common_note_deleted", "Note deleted", "Примечание удалено"),
    ("attachment_note_added", "File added", "Добавлен новый файл"),
    ("targeting_in_note_added", "Targeting in", "Добавление в ретаргетинг"),
    ("targeting_out_note_added", "Targeting out", "Удаление из ретаргетинга"),
    ("geo_note_added", "Geolocation note", "Новое примечание с гео-меткой"),
    ("service_note_added", "Service note", "Новое системное примечание"),
    ("site_visit_note_added", "Site visit", "Заход на сайт"),
    ("message_to_cashier_note_added", "Message to cashier", "Новое примечание кассиру"),
    ("key_action_completed", "Key action completed", "Ключевое действие"),
    ("entity_merged", "Entities merged", "Выполнено объединение"),
]
_KNOWN_TYPES = {k for k, _, _ in EVENT_TYPES}
_NOTE_EVENTS = {"common": "common_note_added", "call_in": "incoming_call", "call_out": "outgoing_call",
                "sms_in": "incoming_sms", "sms_out": "outgoing_sms", "attachment": "attachment_note_added",
                "geolocation": "geo_note_added", "site_visit": "site_visit_note_added",
                "targeting_in": "targeting_in_note_added", "targeting_out": "targeting_out_note_added",
                "message_cashier": "message_to_cashier_note_added", "link_followed": "link_followed",
                "transaction": "transaction_added"}


# -- recording -----------------------------------------------------------------------------------
def _event(store: Store, etype: str, kind_name: str, eid: int, now: int, before: list[Any] | None = None,
           after: list[Any] | None = None) -> None:
    store.v4.events.append({"id": ulid(), "type": etype, "entity_id": eid, "entity_type": kind_name,
                            "created_by": SEED.USER_ADMIN, "created_at": now, "value_after": after or [],
                            "value_before": before or [], "account_id": SEED.ACCOUNT_ID})


def emit(store: Store, etype: str, entity_type: str, entity_id: int, before: list[Any] | None = None,
         after: list[Any] | None = None) -> None:
    """One event for a change the journal does not see (transactions, calls, ...)."""
    _event(store, etype, entity_type, entity_id, int(time.time()), before, after)


def _cf_snapshot(store: Store, kind: str, rec: dict[str, Any] | None) -> dict[int, list[dict[str, Any]]]:
    return dict(rec.get("custom_fields", {})) if rec else {}


def _cf_values(store: Store, kind: str, fid: int, values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fd = store.field_defs(kind).get(fid)
    out = []
    for v in values:
        value = v.get("value")
        out.append({"custom_field_value": {"field_id": fid, "field_type": fd.field_type if fd else 1,
                                           "enum_id": as_int(v.get("enum")) if v.get("enum") else None,
                                           "text": value if isinstance(value, str) else str(value)}})
    return out


def _entity_changes(store: Store, kind: str, eid: int, old: dict[str, Any] | None, new: dict[str, Any] | None,
                    now: int) -> None:
    name = _SINGULAR[kind]
    if new is None or (new.get("is_deleted") and not (old or {}).get("is_deleted")):
        if old is not None and not old.get("is_deleted"):
            _event(store, f"{name}_deleted", name, eid, now)
        return
    if old is None:
        after = [{"lead_status": {"id": new["status_id"], "pipeline_id": new["pipeline_id"]}}] if kind == "leads" \
            else []
        _event(store, f"{name}_added", name, eid, now, after=after)
        return
    if kind == "tasks":
        _task_changes(store, eid, old, new, now)
        return
    if kind == "leads" and (old["status_id"], old["pipeline_id"]) != (new["status_id"], new["pipeline_id"]):
        _event(store, "lead_status_changed", name, eid, now,
               [{"lead_status": {"id": old["status_id"], "pipeline_id": old["pipeline_id"]}}],
               [{"lead_status": {"id": new["status_id"], "pipeline_id": new["pipeline_id"]}}])
    if kind == "customers" and old.get("status_id") != new.get("status_id"):
        _event(store, "customer_status_changed", name, eid, now, [{"customer_status": {"id": old.get("status_id")}}],
               [{"customer_status": {"id": new.get("status_id")}}])
    if old.get("responsible_user_id") != new.get("responsible_user_id"):
        _event(store, "entity_responsible_changed", name, eid, now,
               [{"responsible_user": {"id": old.get("responsible_user_id")}}],
               [{"responsible_user": {"id": new.get("responsible_user_id")}}])
    if old.get("name") != new.get("name"):
        _event(store, "name_field_changed", name, eid, now, [{"name_field_value": {"name": old.get("name")}}],
               [{"name_field_value": {"name": new.get("name")}}])
    if kind == "leads" and old.get("sale") != new.get("sale"):
        _event(store, "sale_field_changed", name, eid, now, [{"sale_field_value": {"sale": old.get("sale")}}],
               [{"sale_field_value": {"sale": new.get("sale")}}])
    old_tags, new_tags = list(old.get("tags", [])), list(new.get("tags", []))
    added = [t for t in new_tags if t not in old_tags]
    removed = [t for t in old_tags if t not in new_tags]
    if added:
        _event(store, "entity_tag_added", name, eid, now,
               after=[{"tag": {"name": store.tag_names.get(t, "")}} for t in added])
    if removed:
        _event(store, "entity_tag_deleted", name, eid, now,
               before=[{"tag": {"name": store.tag_names.get(t, "")}} for t in removed])
    before_cf, after_cf = _cf_snapshot(store, kind, old), _cf_snapshot(store, kind, new)
    for fid in list(dict.fromkeys([*before_cf, *after_cf])):
        was, now_values = before_cf.get(fid, []), after_cf.get(fid, [])
        if was != now_values:
            _event(store, f"custom_field_{fid}_value_changed", name, eid, now, _cf_values(store, kind, fid, was),
                   _cf_values(store, kind, fid, now_values))


def _task_changes(store: Store, eid: int, old: dict[str, Any], new: dict[str, Any], now: int) -> None:
    if not old.get("is_completed") and new.get("is_completed"):
        _event(store, "task_completed", "task", eid, now, [{"task_completed": {"is_completed": False}}],
               [{"task_completed": {"is_completed": True}}])
    if new.get("result") and new.get("result") != old.get("result"):
        text = new["result"].get("text") if isinstance(new["result"], dict) else str(new["result"])
        _event(store, "task_result_added", "task", eid, now, after=[{"task_result": {"text": text}}])
    if old.get("text") != new.get("text"):
        _event(store, "task_text_changed", "task", eid, now, [{"task_text": {"text": old.get("text")}}],
               [{"task_text": {"text": new.get("text")}}])
    if old.get("complete_till_at") != new.get("complete_till_at"):
        _event(store, "task_deadline_changed", "task", eid, now,
               [{"task_deadline": {"timestamp": old.get("complete_till_at")}}],
               [{"task_deadline": {"timestamp": new.get("complete_till_at")}}])
    if old.get("task_type") != new.get("task_type"):
        _event(store, "task_type_changed", "task", eid, now, [{"task_type": {"id": old.get("task_type")}}],
               [{"task_type": {"id": new.get("task_type")}}])
    if old.get("responsible_user_id") != new.get("responsible_user_id"):
        _event(store, "entity_responsible_changed", "task", eid, now,
               [{"responsible_user": {"id": old.get("responsible_user_id")}}],
               [{"responsible_user": {"id": new.get("responsible_user_id")}}])


def _note_added(store: Store, rec: dict[str, Any], now: int) -> None:
    parent = ELEMENT_TYPES.get(int(rec.get("element_type") or 0))
    if parent is None:
        return
    code = V4_NOTE_TYPES.get(int(rec.get("note_type") or 0), "common")
    etype = "task_result_added" if parent == "tasks" else _NOTE_EVENTS.get(code, "service_note_added")
    _event(store, etype, _SINGULAR[parent], int(rec["element_id"]), now, after=[{"note": {"id": rec["id"]}}])


def record(store: Store, entries: list[tuple[Any, ...]]) -> None:
    """Append the events of one request's journal entries to the store's log."""
    if not entries:
        return
    now = int(time.time())
    first: dict[tuple[str, int], dict[str, Any] | None] = {}
    link_start: dict[tuple[Any, Any], bool] = {}
    link_order: list[tuple[Any, Any]] = []
    for entry in entries:
        if entry[0] == "item":
            key = (entry[1], entry[2])
            if key not in first:
                first[key] = entry[3]
        else:
            _, a, b, added = entry
            pair = (a, b) if a <= b else (b, a)
            if pair not in link_start:
                link_start[pair] = not added  # the state before the first change
                link_order.append(pair)
    for (kind, eid), old in first.items():
        new = store.items[kind].get(eid)
        if new is old:
            continue
        if kind == "notes":
            if old is None and new is not None:
                _note_added(store, new, now)
        elif kind in _SINGULAR:
            _entity_changes(store, kind, eid, old, new, now)
    for a, b in link_order:
        linked_now = store.is_linked(a, b)
        if linked_now == link_start[(a, b)] or a[0] not in LINKABLE or b[0] not in LINKABLE:
            continue
        verb = "linked" if linked_now else "unlinked"
        for this, other in ((a, b), (b, a)):
            value = [{"link": {"entity": {"type": _SINGULAR[other[0]], "id": other[1]}}}]
            _event(store, f"{_SINGULAR[other[0]]}_{verb}", _SINGULAR[this[0]], this[1], now,
                   before=[] if linked_now else value, after=value if linked_now else [])


# -- reading -------------------------------------------------------------------------------------
_WITH_NAMES = {"lead_name": "lead", "contact_name": "contact", "company_name": "company",
               "customer_name": "customer", "catalog_element_name": "catalog_element"}


def _render(ctx: Ctx, ev: dict[str, Any], with_: set[str]) -> dict[str, Any]:
    out = {k: v for k, v in ev.items()}
    kind = _PLURAL.get(ev["entity_type"])
    entity: dict[str, Any] = {"id": ev["entity_id"]}
    if kind is not None:
        entity["_links"] = ctx.link(f"{kind}/{ev['entity_id']}")
        wanted = {w for w, single in _WITH_NAMES.items() if single == ev["entity_type"]}
        if wanted & with_:
            rec = ctx.store.items[kind].get(ev["entity_id"])
            entity["name"] = rec.get("name", rec.get("text", "")) if rec else None
    out["_links"] = ctx.link(f"events/{ev['id']}")
    out["_embedded"] = {"entity": entity}
    return out


def _type_matcher(ctx: Ctx, flt: dict[str, Any]) -> Callable[[str], bool] | None:
    types = [str(t) for t in one_or_many(flt.get("type"))]
    if not types:
        return None
    per_field = [t for t in types if t.startswith("custom_field_") and t != "custom_field_value_changed"]
    if per_field and len(types) > 1:
        raise V4Error(400, "filter[type]: a per-field type (custom_field_{id}_value_changed) must be passed alone")
    unknown = [t for t in types if t not in _KNOWN_TYPES and t not in per_field]
    if unknown:
        raise V4Error(400, f"filter[type]: unknown event type(s) {', '.join(unknown)}")
    wanted = set(types)

    def match(t: str) -> bool:
        if t in wanted:
            return True
        return "custom_field_value_changed" in wanted and t.startswith("custom_field_") and t.endswith("_value_changed")
    return match


def _value_filter(side: str, cond: Any) -> Callable[[dict[str, Any]], bool] | None:
    if not isinstance(cond, dict):
        return None
    key = "value_after" if side == "value_after" else "value_before"
    if "leads_statuses" in cond:
        pairs = set()
        for e in one_or_many(cond["leads_statuses"]):
            if isinstance(e, dict):
                pairs.add((as_int(e.get("pipeline_id")), as_int(e.get("status_id"))))
        return lambda ev: any("lead_status" in v and (v["lead_status"]["pipeline_id"], v["lead_status"]["id"]) in pairs
                              for v in ev[key])
    if "responsible_user_id" in cond:
        users = ids_of(cond["responsible_user_id"], f"filter[{side}][responsible_user_id]")
        return lambda ev: any("responsible_user" in v and v["responsible_user"]["id"] in users for v in ev[key])
    if "custom_field_values" in cond:
        enums = ids_of(cond["custom_field_values"], f"filter[{side}][custom_field_values]")
        return lambda ev: any("custom_field_value" in v and v["custom_field_value"]["enum_id"] in enums
                              for v in ev[key])
    if "value" in cond:
        wanted = str(cond["value"])
        return lambda ev: any(str(x) == wanted for v in ev[key] for inner in v.values() if isinstance(inner, dict)
                              for x in inner.values())
    return None


def list_events(ctx: Ctx) -> Response:
    flt: dict[str, Any] = ctx.filter
    rows = list(ctx.store.v4.events)
    if flt.get("id") not in (None, ""):
        ids = {str(i) for i in one_or_many(flt["id"])}
        rows = [e for e in rows if e["id"] in ids]
    if flt.get("created_at") not in (None, ""):
        bounds = range_of(flt["created_at"], "filter[created_at]")
        rows = [e for e in rows if in_range(e["created_at"], bounds)]
    if flt.get("created_by") not in (None, ""):
        users = ids_of(flt["created_by"], "filter[created_by]")
        if len(users) > 10:
            raise V4Error(400, "filter[created_by]: at most 10 users")
        rows = [e for e in rows if e["created_by"] in users]
    entities = [str(e) for e in one_or_many(flt.get("entity"))]
    if entities:
        bad = [e for e in entities if e not in _PLURAL and not (e.startswith("catalog_") and e[8:].isdigit())]
        if bad:
            raise V4Error(400, f"filter[entity]: unknown entity {', '.join(bad)}")
        rows = [e for e in rows if e["entity_type"] in entities]
    if flt.get("entity_id") not in (None, ""):
        if len(entities) != 1:
            raise V4Error(400, "filter[entity_id] needs exactly one filter[entity]")
        eids = ids_of(flt["entity_id"], "filter[entity_id]")
        if len(eids) > 10:
            raise V4Error(400, "filter[entity_id]: at most 10 ids")
        rows = [e for e in rows if e["entity_id"] in eids]
    match = _type_matcher(ctx, flt)
    if match is not None:
        rows = [e for e in rows if match(e["type"])]
    for side in ("value_before", "value_after"):
        pred = _value_filter(side, flt.get(side))
        if pred is not None:
            rows = [e for e in rows if pred(e)]
    order = ctx.order
    direction = str(order.get("created_at", order.get("id", "desc"))).lower()
    rows.sort(key=lambda e: e["id"], reverse=direction != "asc")
    with_ = {w.strip() for w in str(ctx.q.get("with", "")).split(",")}
    page = page_params(ctx, max_limit=ctx.core.options.v4_events_max_limit,
                       default=min(50, ctx.core.options.v4_events_max_limit))
    return listing(ctx, "events", "events", rows, lambda e: _render(ctx, e, with_), page)


def get_event(ctx: Ctx) -> Response:
    eid = ctx.params["uid"]
    ev = next((e for e in ctx.store.v4.events if e["id"] == eid), None)
    if ev is None:
        return no_content()
    with_ = {w.strip() for w in str(ctx.q.get("with", "")).split(",")}
    return hal(_render(ctx, ev, with_))


def event_types(ctx: Ctx) -> Response:
    lang = str(ctx.q.get("language_code") or "")
    if lang and lang not in ("ru", "en", "es", "pt"):
        raise V4Error(400, "language_code must be one of ru, en, es, pt")
    rows = []
    for n, (key, en, ru) in enumerate(EVENT_TYPES, start=1):
        names = {"ru": ru, "en": en, "es": en, "pt": en}
        rows.append({"key": key, "type": n, "lang": {lang: names[lang]} if lang else names})
    return hal({"_links": ctx.link("events/types", echo=True), "_embedded": {"events_types": rows}})


ROUTES = [
    ("GET", "events/types", event_types),
    ("GET", "events", list_events),
    ("GET", "events/{uid}", get_event),
]
