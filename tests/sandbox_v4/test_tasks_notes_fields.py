"""Tasks, notes (every writable note_type), custom field definitions and groups; /api/v2/fields."""

from __future__ import annotations

from typing import Any

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4, Api, paths, problem


def test_tasks_create_complete_and_filters(v4: V4, v2: Api) -> None:
    body = v4.ok("POST", "tasks", [
        {"text": "Позвонить", "complete_till": 1900000000, "entity_id": SEED.LEAD_SECOND, "entity_type": "leads",
         "task_type_id": 2, "responsible_user_id": SEED.USER_MANAGER},
        {"text": "Без сущности", "complete_till": 1900000100}])
    tid, free = [t["id"] for t in body["_embedded"]["tasks"]]
    assert [t["request_id"] for t in body["_embedded"]["tasks"]] == ["0", "1"]
    task = v4.one(f"tasks/{tid}")
    assert (task["entity_type"], task["task_type_id"], task["result"], task["is_completed"]) == ("leads", 2, None, False)
    assert v4.one(f"tasks/{free}")["entity_id"] is None
    old = v2.one("tasks", tid)
    assert old["element_type"] == 2 and old["complete_till_at"] == 1900000000 and old["task_type"] == 2
    done = v4.ok("PATCH", f"tasks/{tid}", {"is_completed": True, "result": {"text": "Дозвонился"}})
    assert set(done) == {"id", "updated_at", "_links"}
    task = v4.one(f"tasks/{tid}")
    assert task["is_completed"] is True and task["result"] == {"text": "Дозвонился"}
    assert v2.one("tasks", tid)["is_completed"] is True
    v4.ok("PATCH", "tasks", [{"id": free, "text": "Изменена", "complete_till": 1900000500}])
    assert v4.one(f"tasks/{free}")["text"] == "Изменена"

    def ids_of(query: dict[str, str]) -> list[int]:
        return [t["id"] for t in v4.rows("tasks", "tasks", query)]

    assert ids_of({"filter[is_completed]": "1"}) == [tid]
    assert ids_of({"filter[entity_type]": "leads", "filter[entity_id][]": str(SEED.LEAD_SECOND)}) == [tid]
    assert ids_of({"filter[responsible_user_id]": str(SEED.USER_MANAGER)}) == [tid]
    assert ids_of({"filter[task_type][]": "2"}) == [tid]
    assert ids_of({"filter[lead_statuses][0][pipeline_id]": str(SEED.PIPELINE_MAIN),
                   "filter[lead_statuses][0][status_id]": str(SEED.STATUS_MAIN_NEW)}) == [SEED.TASK_FIRST]
    assert ids_of({"order[complete_till]": "asc"}) == [tid, free, SEED.TASK_FIRST]
    problem(v4.get("tasks", {"filter[entity_id]": "1"}), 400)
    r = v4.post("tasks", [{"text": "x"}, {"complete_till": "soon", "entity_type": "deals", "task_type_id": 99},
                          {"complete_till": 1, "entity_id": 1, "entity_type": "leads", "is_completed": "yes"}])
    assert paths(r) == {("0", "complete_till", "NotBlank"), ("1", "complete_till", "InvalidType"),
                        ("1", "entity_type", "NotSupportedChoice"), ("1", "task_type_id", "NotSupportedChoice"),
                        ("2", "entity_id", "NotSupportedChoice"), ("2", "is_completed", "InvalidType")}


NOTE_PARAMS: dict[str, dict[str, Any]] = {
    "common": {"text": "Common note"},
    "call_in": {"uniq": "u-1", "duration": 60, "source": "Twilio", "link": "https://example.com", "phone": "+1415"},
    "call_out": {"uniq": "u-2", "duration": 60, "source": "Twilio", "link": "https://example.com", "phone": "+1415",
                 "call_status": 4},
    "service_message": {"service": "Example service", "text": "Note text"},
    "extended_service_message": {"service": "Example service", "text": "Long text"},
    "geolocation": {"text": "Geo", "address": "222 Columbus Ave", "longitude": "-13", "latitude": "32"},
    "sms_in": {"text": "in", "phone": "+1415"},
    "sms_out": {"text": "out", "phone": "+1415"},
    "attachment": {"version_uuid": "v-1", "file_uuid": "f-1", "file_name": "image.png"},
    "message_cashier": {"status": "created", "text": "pay"},
    "invoice_paid": {"service": "bank", "text": "paid", "icon_url": "https://example.com/i.png"},
    "bill_paid": {"service": "bank", "text": "paid", "icon_url": "https://example.com/i.png"},
    "ai_result": {"text": "answer"},
    "zoom_meeting": {"conference": {"id": 1}, "recordings": []},
    "site_visit": {"url": "https://example.com"},
    "targeting_in": {"service": "facebook", "campaign": "c"},
    "targeting_out": {"service": "facebook", "campaign": "c"},
}


def test_notes_every_type_pin_and_v2_view(v4: V4, v2: Api) -> None:
    items = [{"entity_id": SEED.LEAD_SECOND, "note_type": t, "params": p} for t, p in NOTE_PARAMS.items()]
    body = v4.ok("POST", "leads/notes", items)
    made = body["_embedded"]["notes"]
    assert len(made) == len(NOTE_PARAMS) and all(n["entity_id"] == SEED.LEAD_SECOND for n in made)
    listed = v4.rows(f"leads/{SEED.LEAD_SECOND}/notes", "notes", {"limit": "50"})
    assert [n["note_type"] for n in listed] == list(NOTE_PARAMS)
    assert listed[1]["params"]["duration"] == 60
    v2_notes = v2.items("/api/v2/notes", {"type": "lead", "element_id": SEED.LEAD_SECOND})
    assert {n["note_type"] for n in v2_notes} >= {4, 10, 11, 25, 102, 103}
    first = made[0]["id"]
    assert v4.post(f"leads/notes/{first}/pin", None).status == 204
    assert v4.one(f"leads/notes/{first}", {"with": "is_pinned"})["is_pinned"] is True
    assert v4.post(f"leads/notes/{first}/unpin", None).status == 204
    assert v4.one(f"leads/{SEED.LEAD_SECOND}/notes/{first}", {"with": "is_pinned"})["is_pinned"] is False
    v4.ok("PATCH", f"leads/notes/{first}", {"params": {"text": "edited"}})
    assert v4.one(f"leads/notes/{first}")["params"]["text"] == "edited"
    v4.ok("PATCH", f"leads/{SEED.LEAD_SECOND}/notes", [{"id": first, "note_type": "common", "params": {"text": "2"}}])
    assert v4.one(f"leads/notes/{first}")["params"]["text"] == "2"
    v4.ok("PATCH", f"leads/{SEED.LEAD_SECOND}/notes/{first}", {"params": {"text": "3"}})
    assert v4.one(f"leads/notes/{first}")["params"]["text"] == "3"
    [cnote] = v4.add(f"contacts/{SEED.CONTACT_MARIA}/notes", {"note_type": "sms_out",
                                                             "params": {"text": "hi", "phone": "+7"}}, key="notes")
    assert v4.one(f"contacts/notes/{cnote}")["entity_id"] == SEED.CONTACT_MARIA
    assert [n["id"] for n in v4.rows("leads/notes", "notes", {"filter[note_type][]": "sms_in"})] == [made[6]["id"]]
    assert v4.get(f"contacts/notes/{first}").status == 204  # a lead's note is not a contact's
    seeded = v4.one(f"leads/notes/{SEED.NOTE_FIRST}")
    assert seeded["note_type"] == "common" and seeded["params"] == {"text": "Первое примечание"}
    r = v4.post("leads/notes", [{"entity_id": SEED.LEAD_SECOND, "note_type": "lead_created"},
                                {"entity_id": 1, "note_type": "common", "params": {"text": "x"}},
                                {"entity_id": SEED.LEAD_SECOND, "note_type": "call_in", "params": {"uniq": "u"}},
                                {"entity_id": SEED.LEAD_SECOND, "note_type": "call_in", "params": {
                                    "uniq": "u", "duration": "long", "source": "s", "phone": "1", "call_status": 9}}])
    assert paths(r) == {("0", "note_type", "NotSupportedChoice"), ("1", "entity_id", "NotSupportedChoice"),
                        ("2", "params.duration", "NotBlank"), ("2", "params.source", "NotBlank"),
                        ("2", "params.phone", "NotBlank"), ("3", "params.duration", "InvalidType"),
                        ("3", "params.call_status", "NotSupportedChoice")}
    assert paths(v4.patch(f"leads/notes/{first}", {"note_type": "sms_in"})) == {("0", "note_type", "NotSupportedChoice")}
    assert v4.delete(f"leads/notes/{first}").status == 405


def test_custom_fields_crud_and_value_validation(v4: V4, v2: Api, sb: Sandbox) -> None:
    fields = v4.rows("contacts/custom_fields", "custom_fields")
    phone = next(f for f in fields if f["code"] == "PHONE")
    assert phone["type"] == "multitext" and phone["is_predefined"] is True
    assert [e["value"] for e in phone["enums"]] == ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
    body = v4.ok("POST", "leads/custom_fields", [
        {"name": "Client Type", "type": "select", "sort": 500, "request_id": "f1",
         "enums": [{"value": "New", "sort": 500}, {"value": "Regular", "sort": 510}]},
        {"name": "Оплата", "type": "monetary", "currency": "USD"},
        {"name": "Согласен", "type": "checkbox", "code": "AGREE"},
        {"name": "Встреча", "type": "date_time"}])
    made = body["_embedded"]["custom_fields"]
    assert made[0]["request_id"] == "f1" and made[0]["entity_type"] == "leads" and made[1]["currency"] == "USD"
    select, _, check, when = (f["id"] for f in made)
    new_enum = made[0]["enums"][0]["id"]
    [lid] = v4.add("leads", {"custom_fields_values": [
        {"field_id": select, "values": [{"enum_id": new_enum}]}, {"field_code": "AGREE", "values": [{"value": True}]},
        {"field_id": when, "values": [{"value": "2024-05-01T10:00:00+03:00"}]}]})
    values = {c["field_id"]: c["values"][0] for c in v4.one(f"leads/{lid}")["custom_fields_values"]}
    assert values[select]["value"] == "New" and values[check] == {"value": True}
    assert values[when] == {"value": 1714546800}
    assert {c["id"] for c in v2.one("leads", lid)["custom_fields"]} == {select, check, when}
    assert [f["id"] for f in v4.rows("leads/custom_fields", "custom_fields", {"filter[type][]": "checkbox"})] == [check]
    v4.ok("PATCH", f"leads/custom_fields/{select}", {"name": "Тип", "enums": [{"id": made[0]["enums"][1]["id"],
                                                                              "value": "Постоянный"}]})
    field = v4.one(f"leads/custom_fields/{select}")
    assert field["name"] == "Тип" and [e["value"] for e in field["enums"]] == ["Постоянный"]
    assert select not in {c["field_id"] for c in v4.one(f"leads/{lid}")["custom_fields_values"]}  # removed enum
    v4.ok("PATCH", "leads/custom_fields", [{"id": check, "sort": 0}])
    assert v4.rows("leads/custom_fields", "custom_fields", {"order[sort]": "asc"})[0]["id"] == check
    v4.ok("DELETE", f"leads/custom_fields/{when}", status=204)
    assert v4.get(f"leads/custom_fields/{when}").status == 204
    assert when not in {c["field_id"] for c in v4.one(f"leads/{lid}")["custom_fields_values"]}
    problem(v4.delete(f"contacts/custom_fields/{phone['id']}"), 400)
    r = v4.post("leads/custom_fields", [{"type": "select"}, {"name": "x", "type": "nope"},
                                        {"name": "x", "type": "multitext"}, {"name": "x", "type": "price"},
                                        {"name": "y", "type": "checkbox", "code": "AGREE"}])
    assert paths(r) == {("0", "name", "NotBlank"), ("0", "enums", "NotBlank"), ("1", "type", "NotSupportedChoice"),
                        ("2", "type", "NotSupportedChoice"), ("3", "type", "NotSupportedChoice"),
                        ("4", "code", "NotSupportedChoice")}
    assert paths(v4.patch(f"leads/custom_fields/{check}", {"type": "text"})) == {("0", "type", "NotSupportedChoice")}
    catalog_fields = v4.rows(f"catalogs/{SEED.CATALOG_PRODUCTS}/custom_fields", "custom_fields")
    assert {f["code"] for f in catalog_fields} == {"SKU", "PRICE"}
    v4.ok("POST", f"catalogs/{SEED.CATALOG_PRODUCTS}/custom_fields", [{"name": "Цена опт", "type": "price"}])
    problem(v4.get("catalogs/999/custom_fields"), 404)
    assert v4.get("customers/segments/custom_fields").status == 204


def test_custom_field_value_types(v4: V4) -> None:
    made = v4.ok("POST", "contacts/custom_fields", [
        {"name": "Юрлицо", "type": "legal_entity"}, {"name": "ДР", "type": "birthday", "remind": "day"},
        {"name": "Радио", "type": "radiobutton", "enums": [{"value": "A"}, {"value": "B"}]},
        {"name": "Улица", "type": "streetaddress"}, {"name": "Сайт", "type": "url"}])["_embedded"]["custom_fields"]
    legal, birthday, radio, street, url = (f["id"] for f in made)
    assert made[1]["remind"] == "day"
    [cid] = v4.add("contacts", {"custom_fields_values": [
        {"field_id": legal, "values": [{"value": {"name": "ООО", "entity_type": 2, "vat_id": "123"}}]},
        {"field_id": birthday, "values": [{"value": 0}]}, {"field_id": radio, "values": [{"value": "B"}]},
        {"field_id": street, "values": [{"value": "ул. Ленина"}]}, {"field_id": url, "values": [{"value": "https://x"}]}]})
    values = {c["field_id"]: c for c in v4.one(f"contacts/{cid}")["custom_fields_values"]}
    assert values[legal]["values"][0]["value"]["vat_id"] == "123" and values[legal]["field_type"] == "legal_entity"
    assert values[birthday]["values"] == [{"value": 0}] and values[radio]["values"][0]["value"] == "B"
    r = v4.post("contacts", [{"custom_fields_values": [
        {"field_id": legal, "values": [{"value": "text"}]}, {"field_id": birthday, "values": [{"value": True}]},
        {"field_id": radio, "values": [{"value": "C"}]}, {"field_id": street, "values": [{"value": ["list"]}]},
        {"field_id": url, "values": "one"}, {"values": []}, "x"]}])
    assert paths(r) == {("0", "custom_fields_values.0.values.0.value", "InvalidType"),
                        ("0", "custom_fields_values.1.values.0.value", "InvalidType"),
                        ("0", "custom_fields_values.2.values.0.value", "NotSupportedChoice"),
                        ("0", "custom_fields_values.3.values.0.value", "InvalidType"),
                        ("0", "custom_fields_values.4.values", "InvalidType"),
                        ("0", "custom_fields_values.5.field_id", "NotBlank"),
                        ("0", "custom_fields_values.6", "InvalidType")}


def test_custom_field_groups(v4: V4) -> None:
    body = v4.ok("POST", "leads/custom_fields/groups", [{"name": "Доп.", "sort": 2, "fields": [SEED.CF_LEAD_TEXT]}])
    group = body["_embedded"]["custom_field_groups"][0]
    gid = group["id"]
    assert isinstance(gid, str) and group["fields"] == [SEED.CF_LEAD_TEXT] and group["type"] == "custom_field_group"
    assert v4.one(f"leads/custom_fields/{SEED.CF_LEAD_TEXT}")["group_id"] == gid
    assert [g["id"] for g in v4.rows("leads/custom_fields/groups", "custom_field_groups")] == [gid]
    v4.ok("PATCH", f"leads/custom_fields/groups/{gid}", {"name": "Другое", "fields": [SEED.CF_LEAD_NUMERIC]})
    assert v4.one(f"leads/custom_fields/groups/{gid}")["name"] == "Другое"
    assert v4.one(f"leads/custom_fields/{SEED.CF_LEAD_TEXT}")["group_id"] is None
    [fid] = [f["id"] for f in v4.ok("POST", "leads/custom_fields", [{"name": "В группе", "type": "text",
                                                                     "group_id": gid}])["_embedded"]["custom_fields"]]
    assert v4.one(f"leads/custom_fields/{fid}")["group_id"] == gid
    assert paths(v4.post("leads/custom_fields", [{"name": "z", "type": "text", "group_id": "nope"}])) == {
        ("0", "group_id", "NotSupportedChoice")}
    v4.ok("DELETE", f"leads/custom_fields/groups/{gid}", status=204)
    assert v4.get(f"leads/custom_fields/groups/{gid}").status == 204
    assert v4.one(f"leads/custom_fields/{fid}")["group_id"] is None


def test_custom_field_create_answers_201_object_when_switched() -> None:
    with Sandbox(rate_limit=None, v4_cf_create="object") as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        r = v4.post("leads/custom_fields", [{"name": "Client Type", "type": "select", "enums": [{"value": "New"}]}])
        assert r.status == 201 and r.json()["name"] == "Client Type" and r.json()["type"] == "select"


def test_v2_fields_add_and_delete(v2: Api, v4: V4) -> None:
    r = v2.post("/api/v2/fields", {"add": [
        {"name": "Выбор цветов", "type": "5", "element_type": "2", "origin": "widget_x", "is_editable": "0",
         "enums": ["чёрный", "белый"]},
        {"name": "Без origin", "type": 1, "element_type": 1},
        {"name": "В каталоге", "type": 1, "element_type": SEED.CATALOG_PRODUCTS, "origin": "widget_x"}]})
    assert r.status == 200
    body = r.json()
    items = body["_embedded"]["items"]
    fid = items[0]["id"]
    assert items[0]["_links"]["self"] == {"href": f"/api/v2/fields?id={fid}", "method": "get"}
    assert body["_embedded"]["errors"]["add"][0]["index"] == 1
    field = v4.one(f"leads/custom_fields/{fid}")
    assert field["type"] == "multiselect" and [e["value"] for e in field["enums"]] == ["чёрный", "белый"]
    account = v2.get("/api/v2/account", {"with": "custom_fields"}).json()
    assert str(fid) in account["_embedded"]["custom_fields"]["leads"]
    bad = v2.post("/api/v2/fields", {"delete": [{"id": fid, "origin": "other"}]}).json()
    assert bad["_embedded"]["errors"]["delete"][0]["code"] == 244
    v2.post("/api/v2/fields", {"delete": [{"id": fid, "origin": "widget_x"}]})
    assert v4.get(f"leads/custom_fields/{fid}").status == 204
    assert v2.post("/api/v2/fields", {"nothing": 1}).status == 400
    assert v2.get("/api/v2/fields").status == 405
