"""The event log: changes through either face are recorded as they happen and can be synced incrementally."""

from __future__ import annotations

from typing import Any

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4, Api, problem


def _events(v4: V4, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return v4.rows("events", "events", {"limit": "100", **(query or {})})


def test_v4_writes_are_recorded(v4: V4, sb: Sandbox) -> None:
    assert _events(v4) == []  # the seeded state has no history
    [lid] = v4.add("leads", {"name": "Событийная", "price": 10})
    v4.ok("PATCH", f"leads/{lid}", {"status_id": SEED.STATUS_MAIN_PROGRESS, "responsible_user_id": SEED.USER_MANAGER,
                                    "name": "Новое имя", "price": 20, "tags_to_add": [{"name": "t"}],
                                    "custom_fields_values": [{"field_id": SEED.CF_LEAD_TEXT, "values": [{"value": "v"}]}]})
    v4.ok("POST", f"leads/{lid}/link", [{"to_entity_id": SEED.CONTACT_MARIA, "to_entity_type": "contacts"}])
    assert v4.post(f"leads/{lid}/unlink", [{"to_entity_id": SEED.CONTACT_MARIA, "to_entity_type": "contacts"}]).status \
        == 204
    [nid] = v4.add("leads/notes", {"entity_id": lid, "note_type": "common", "params": {"text": "n"}}, key="notes")
    [tid] = v4.add("tasks", {"text": "t", "complete_till": 1900000000}, key="tasks")
    v4.ok("PATCH", f"tasks/{tid}", {"is_completed": True, "result": {"text": "done"}, "text": "t2"})
    by_type = {e["type"]: e for e in _events(v4)}
    assert by_type["lead_added"]["value_after"] == [{"lead_status": {"id": SEED.STATUS_MAIN_NEW,
                                                                     "pipeline_id": SEED.PIPELINE_MAIN}}]
    status = by_type["lead_status_changed"]
    assert status["entity_id"] == lid and status["entity_type"] == "lead"
    assert status["value_before"] == [{"lead_status": {"id": SEED.STATUS_MAIN_NEW, "pipeline_id": SEED.PIPELINE_MAIN}}]
    assert status["value_after"] == [{"lead_status": {"id": SEED.STATUS_MAIN_PROGRESS,
                                                      "pipeline_id": SEED.PIPELINE_MAIN}}]
    assert by_type["entity_responsible_changed"]["value_after"] == [{"responsible_user": {"id": SEED.USER_MANAGER}}]
    assert by_type["name_field_changed"]["value_after"] == [{"name_field_value": {"name": "Новое имя"}}]
    assert by_type["sale_field_changed"]["value_before"] == [{"sale_field_value": {"sale": 10}}]
    assert by_type["entity_tag_added"]["value_after"] == [{"tag": {"name": "t"}}]
    cf = by_type[f"custom_field_{SEED.CF_LEAD_TEXT}_value_changed"]
    assert cf["value_before"] == [] and cf["value_after"][0]["custom_field_value"]["text"] == "v"
    assert by_type["contact_linked"]["entity_id"] == lid
    assert by_type["lead_linked"]["entity_type"] == "contact" and by_type["lead_linked"]["entity_id"] == SEED.CONTACT_MARIA
    assert by_type["contact_unlinked"]["value_before"] == [{"link": {"entity": {"type": "contact",
                                                                                "id": SEED.CONTACT_MARIA}}}]
    assert by_type["common_note_added"]["value_after"] == [{"note": {"id": nid}}]
    assert by_type["task_added"]["entity_id"] == tid
    assert by_type["task_completed"]["entity_type"] == "task"
    assert by_type["task_result_added"]["value_after"] == [{"task_result": {"text": "done"}}]
    assert by_type["task_text_changed"]["value_after"] == [{"task_text": {"text": "t2"}}]
    one = v4.one(f"events/{status['id']}", {"with": "lead_name"})
    assert one["_embedded"]["entity"] == {"id": lid, "name": "Новое имя",
                                          "_links": {"self": {"href": f"{sb.base_url}/api/v4/leads/{lid}"}}}
    assert isinstance(one["id"], str) and len(one["id"]) == 26
    assert v4.get("events/01nonexistent000000000000000").status == 204


def test_v2_writes_are_recorded_too(v4: V4, v2: Api) -> None:
    [cid] = v2.add("contacts", {"name": "v2 контакт"})
    lead = v2.one("leads", SEED.LEAD_FIRST)
    r = v2.post("/api/v2/leads", {"update": [{"id": SEED.LEAD_FIRST, "updated_at": lead["updated_at"] + 1,
                                              "status_id": 142}]})
    assert r.status == 200
    r = v2.http.request("POST", v2.base_url + "/ajax/contacts/multiple/delete/", body=f"ID[]={cid}",
                        headers=v2.headers({"X-Requested-With": "XMLHttpRequest",
                                            "Content-Type": "application/x-www-form-urlencoded"}))
    assert r.status == 200
    types = [(e["type"], e["entity_id"]) for e in _events(v4, {"order[created_at]": "asc"})]
    assert types == [("contact_added", cid), ("lead_status_changed", SEED.LEAD_FIRST), ("contact_deleted", cid)]


def test_filters_for_an_incremental_sync(v4: V4) -> None:
    ids = v4.add("leads", {"name": "a"}, {"name": "b"})
    [cid] = v4.add("contacts", {"name": "c"})
    v4.ok("PATCH", f"leads/{ids[0]}", {"responsible_user_id": SEED.USER_OPERATOR})
    everything = _events(v4, {"order[created_at]": "asc"})
    assert [e["type"] for e in everything] == ["lead_added", "lead_added", "contact_added",
                                               "entity_responsible_changed"]
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)
    assert _events(v4)[0]["id"] == everything[-1]["id"]  # newest first by default
    since = everything[2]["created_at"]
    assert all(e["created_at"] >= since for e in _events(v4, {"filter[created_at][from]": str(since)}))
    assert [e["entity_id"] for e in _events(v4, {"filter[entity][]": "contact"})] == [cid]
    assert [e["type"] for e in _events(v4, {"filter[entity][]": "lead", "filter[entity_id][]": str(ids[0])})] == [
        "entity_responsible_changed", "lead_added"]
    assert len(_events(v4, {"filter[type][]": "lead_added"})) == 2
    assert len(_events(v4, {"filter[type]": "lead_added,contact_added"})) == 3
    assert _events(v4, {"filter[id][]": everything[1]["id"]})[0]["entity_id"] == ids[1]
    assert len(_events(v4, {"filter[created_by][]": str(SEED.USER_ADMIN)})) == 4
    assert [e["entity_id"] for e in _events(v4, {"filter[value_after][responsible_user_id]":
                                                 str(SEED.USER_OPERATOR)})] == [ids[0]]
    page = v4.ok("GET", "events", {"limit": "2", "order[created_at]": "asc"})
    assert len(page["_embedded"]["events"]) == 2 and "next" in page["_links"]
    assert v4.get("events", {"limit": "2", "page": "3"}).status == 204
    problem(v4.get("events", {"filter[entity_id]": "1"}), 400)
    problem(v4.get("events", {"filter[entity][]": "deal"}), 400)
    problem(v4.get("events", {"filter[type][]": "nope"}), 400)
    problem(v4.get("events", {"filter[type][0]": f"custom_field_{SEED.CF_LEAD_TEXT}_value_changed",
                              "filter[type][1]": "lead_added"}), 400)
    assert len(v4.rows("events", "events", {"limit": "500"})) == 4  # clamped to 100


def test_custom_field_and_status_filters(v4: V4) -> None:
    v4.ok("PATCH", f"leads/{SEED.LEAD_FIRST}", {"status_id": SEED.STATUS_MAIN_PROGRESS, "custom_fields_values": [
        {"field_id": SEED.CF_LEAD_SELECT, "values": [{"enum_id": SEED.enum_id(SEED.CF_LEAD_SELECT, 3)}]}]})
    per_field = f"custom_field_{SEED.CF_LEAD_SELECT}_value_changed"
    [ev] = _events(v4, {"filter[type]": per_field})
    assert ev["value_after"][0]["custom_field_value"]["enum_id"] == SEED.enum_id(SEED.CF_LEAD_SELECT, 3)
    assert _events(v4, {"filter[type]": "custom_field_value_changed"}) == [ev]
    assert _events(v4, {"filter[type]": per_field, "filter[value_after][custom_field_values]":
                        str(SEED.enum_id(SEED.CF_LEAD_SELECT, 3))}) == [ev]
    [moved] = _events(v4, {"filter[type]": "lead_status_changed",
                           "filter[value_after][leads_statuses][0][pipeline_id]": str(SEED.PIPELINE_MAIN),
                           "filter[value_after][leads_statuses][0][status_id]": str(SEED.STATUS_MAIN_PROGRESS)})
    assert moved["entity_id"] == SEED.LEAD_FIRST
    assert _events(v4, {"filter[type]": "lead_status_changed",
                        "filter[value_before][leads_statuses][0][pipeline_id]": str(SEED.PIPELINE_MAIN),
                        "filter[value_before][leads_statuses][0][status_id]": "142"}) == []


def test_event_types(v4: V4) -> None:
    types = v4.ok("GET", "events/types", {"language_code": "en"})["_embedded"]["events_types"]
    keys = [t["key"] for t in types]
    assert {"lead_added", "lead_status_changed", "custom_field_value_changed", "task_completed"} <= set(keys)
    assert types[0] == {"key": "lead_added", "type": 1, "lang": {"en": "New lead"}}
    assert set(v4.ok("GET", "events/types")["_embedded"]["events_types"][0]["lang"]) == {"ru", "en", "es", "pt"}
    problem(v4.get("events/types", {"language_code": "de"}), 400)


def test_events_page_size_switch() -> None:
    with Sandbox(rate_limit=None, v4_events_max_limit=250) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        v4.add("contacts", *[{"name": f"c{i}"} for i in range(120)])
        assert len(v4.rows("events", "events", {"limit": "250"})) == 120
