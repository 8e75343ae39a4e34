"""Write and read semantics of the v2 entity endpoints, checked over raw HTTP and against stored state."""

from __future__ import annotations

import email.utils
import time
from typing import Any

from amocrm.sandbox import SEED, Sandbox

from .conftest import Api


def _by_id(entity: dict[str, Any], fid: int) -> dict[str, Any]:
    return next(cf for cf in entity["custom_fields"] if cf["id"] == fid)


def test_seeded_state_is_readable(api: Api) -> None:
    leads = api.items("/api/v2/leads")
    assert [le["id"] for le in leads] == [SEED.LEAD_FIRST, SEED.LEAD_SECOND]
    first = leads[0]
    assert first["contacts"]["id"] == [SEED.CONTACT_IVAN]
    assert first["main_contact"]["id"] == SEED.CONTACT_IVAN
    assert first["company"]["id"] == SEED.COMPANY_ACME and first["company"]["name"] == "ООО Акме"
    assert first["pipeline"]["id"] == SEED.PIPELINE_MAIN and first["closest_task_at"] == 4102444740
    assert first["_links"]["self"] == {"href": f"/api/v2/leads?id={SEED.LEAD_FIRST}", "method": "get"}


def test_add_contact_with_tags_custom_fields_and_links(api: Api, sb: Sandbox) -> None:
    [lead] = api.add("leads", {"name": "L"})
    r = api.post("/api/v2/contacts", {"add": [{
        "name": "Пётр Сидоров", "request_id": "abc", "tags": "a, b", "leads_id": [lead],
        "company_id": str(SEED.COMPANY_ACME), "responsible_user_id": str(SEED.USER_MANAGER),
        "custom_fields": [
            {"id": SEED.CF_CONTACT_PHONE, "values": [{"value": "+7999", "enum": "MOB"},
                                                      {"value": "+7888", "enum": SEED.PHONE_ENUMS["WORK"]}]},
            {"id": str(SEED.CF_CONTACT_MULTISELECT), "values": [SEED.enum_id(SEED.CF_CONTACT_MULTISELECT, 1),
                                                               SEED.enum_id(SEED.CF_CONTACT_MULTISELECT, 3)]},
            {"id": SEED.CF_CONTACT_SELECT, "values": [{"value": SEED.enum_id(SEED.CF_CONTACT_SELECT, 2)}]},
            {"id": SEED.CF_CONTACT_ADDRESS, "values": [{"value": "ул. Ленина 1", "subtype": "address_line_1"},
                                                        {"value": "Москва", "subtype": "city"}]},
            {"id": SEED.CF_CONTACT_DATE, "values": [{"value": "21.10.1999"}]},
        ]}, {"name": "Second"}]})
    assert r.status == 200 and r.headers["Content-Type"].startswith("application/hal+json")
    assert "Runtime-Timestamp" in r.headers
    body = r.json()
    assert body["_links"]["self"] == {"href": "/api/v2/contacts", "method": "post"}
    items = body["_embedded"]["items"]
    assert [i["request_id"] for i in items] == ["abc", 1]
    cid = items[0]["id"]
    assert items[0]["_links"]["self"]["href"] == f"/api/v2/contacts?id={cid}"
    c = api.one("contacts", cid)
    assert c["first_name"] == "Пётр" and c["last_name"] == "Сидоров"
    assert c["responsible_user_id"] == SEED.USER_MANAGER
    assert [t["name"] for t in c["tags"]] == ["a", "b"] and all(isinstance(t["id"], int) for t in c["tags"])
    phone = _by_id(c, SEED.CF_CONTACT_PHONE)
    assert phone["code"] == "PHONE" and phone["is_system"] is True and phone["name"] == "Телефон"
    assert phone["values"] == [{"value": "+7999", "enum": str(SEED.PHONE_ENUMS["MOB"])},
                               {"value": "+7888", "enum": str(SEED.PHONE_ENUMS["WORK"])}]
    multi = _by_id(c, SEED.CF_CONTACT_MULTISELECT)
    assert [v["value"] for v in multi["values"]] == ["Option 1", "Option 3"]
    assert _by_id(c, SEED.CF_CONTACT_SELECT)["values"] == [
        {"value": "Option 2", "enum": str(SEED.enum_id(SEED.CF_CONTACT_SELECT, 2))}]
    assert _by_id(c, SEED.CF_CONTACT_ADDRESS)["values"] == [{"value": "ул. Ленина 1", "subtype": "1"},
                                                            {"value": "Москва", "subtype": "3"}]
    assert _by_id(c, SEED.CF_CONTACT_DATE)["values"] == [{"value": "1999-10-21 00:00:00"}]
    assert c["company"]["id"] == SEED.COMPANY_ACME and c["leads"]["id"] == [lead]
    # the other side of every link
    assert api.one("leads", lead)["contacts"]["id"] == [cid]
    assert cid in api.one("companies", SEED.COMPANY_ACME)["contacts"]["id"]
    stored = next(e for e in sb.entities("contacts") if e["id"] == cid)
    assert stored["linked_leads"] == [lead] and stored["tags"] == ["a", "b"]


def test_update_semantics_and_conflict(api: Api, sb: Sandbox) -> None:
    a, b = api.add("leads", {"name": "A"}, {"name": "B"})
    stored = api.one("leads", a)["updated_at"]
    later = int(time.time()) + 5
    r = api.post("/api/v2/leads", {"update": [
        {"id": a, "updated_at": stored, "name": "stale"},
        {"id": str(b), "updated_at": str(later), "name": "B2", "sale": "150"}]})
    assert r.status == 200
    body = r.json()["_embedded"]
    assert body["errors"] == {"update": {str(a): "Last modified date is older than in database"}}
    assert [i["id"] for i in body["items"]] == [b] and body["items"][0]["updated_at"] == later
    assert api.one("leads", a)["name"] == "A"
    updated = api.one("leads", b)
    assert updated["name"] == "B2" and updated["sale"] == 150


def test_update_missing_id_or_updated_at_gives_entity_codes(api: Api) -> None:
    r = api.post("/api/v2/contacts", {"update": [{"id": SEED.CONTACT_IVAN, "name": "x"}]})
    assert r.status == 200
    assert r.json()["_embedded"]["errors"]["update"][0]["code"] == 209
    r = api.post("/api/v2/leads", {"update": [{"name": "x", "updated_at": int(time.time()) + 10}]})
    assert r.json()["_embedded"]["errors"]["update"][0]["code"] == 217


def test_unknown_custom_field_is_refused_others_apply(api: Api) -> None:
    r = api.post("/api/v2/leads", {"add": [{"name": "ok"}, {"name": "bad", "custom_fields": [
        {"id": 999999, "values": [{"value": "x"}]}]}]})
    body = r.json()["_embedded"]
    assert len(body["items"]) == 1
    [err] = body["errors"]["add"]
    assert err["code"] == 240 and err["index"] == 1 and "999999" in err["message"]
    r = api.post("/api/v2/contacts", {"add": [{"name": "bad", "custom_fields": [{"id": 1, "values": []}]}]})
    assert r.json()["_embedded"]["errors"]["add"][0]["code"] == 204


def test_unlink_and_company_is_single(api: Api) -> None:
    [comp2] = api.add("companies", {"name": "Second Co", "contacts_id": [SEED.CONTACT_MARIA]})
    assert api.one("contacts", SEED.CONTACT_MARIA)["company"]["id"] == comp2
    r = api.post("/api/v2/contacts", {"update": [{"id": SEED.CONTACT_MARIA, "updated_at": int(time.time()) + 1,
                                                  "company_id": SEED.COMPANY_ACME}]})
    assert "errors" not in r.json()["_embedded"]
    assert api.one("contacts", SEED.CONTACT_MARIA)["company"]["id"] == SEED.COMPANY_ACME
    assert api.one("companies", comp2)["contacts"] == {}
    r = api.post("/api/v2/leads", {"update": [{"id": SEED.LEAD_FIRST, "updated_at": int(time.time()) + 1,
                                               "unlink": {"contacts_id": [SEED.CONTACT_IVAN]}}]})
    assert "errors" not in r.json()["_embedded"]
    assert api.one("leads", SEED.LEAD_FIRST)["contacts"] == {}
    assert api.one("contacts", SEED.CONTACT_IVAN)["leads"] == {}


def test_company_name_creates_company(api: Api, sb: Sandbox) -> None:
    before = len(sb.entities("companies"))
    [cid] = api.add("contacts", {"name": "With Co", "company_name": "New Co"})
    assert len(sb.entities("companies")) == before + 1
    assert api.one("contacts", cid)["company"]["name"] == "New Co"


def test_lead_contact_limit_330(api: Api) -> None:
    ids = api.add("contacts", *[{"name": f"c{i}"} for i in range(41)])
    r = api.post("/api/v2/leads", {"add": [{"name": "big", "contacts_id": ids}]})
    assert r.json()["_embedded"]["errors"]["add"][0]["code"] == 330


def test_lead_status_pipeline_and_closed_at(api: Api) -> None:
    [lid] = api.add("leads", {"name": "moves", "status_id": SEED.STATUS_SECOND_NEGOTIATION})
    lead = api.one("leads", lid)
    assert lead["pipeline_id"] == SEED.PIPELINE_SECOND and lead["closed_at"] == 0
    api.post("/api/v2/leads", {"update": [{"id": lid, "updated_at": int(time.time()) + 1, "status_id": 142}]})
    lead = api.one("leads", lid)
    assert lead["status_id"] == 142 and lead["pipeline_id"] == SEED.PIPELINE_SECOND and lead["closed_at"] > 0
    r = api.post("/api/v2/leads", {"add": [{"name": "x", "status_id": 123}]})
    assert r.json()["_embedded"]["errors"]["add"][0]["code"] == 400


def test_tags_as_list_and_ids(api: Api) -> None:
    [a] = api.add("leads", {"name": "t", "tags": ["one", "two"]})
    tags = api.one("leads", a)["tags"]
    [b] = api.add("leads", {"name": "t2", "tags": [tags[0]["id"]]})
    assert api.one("leads", b)["tags"] == [tags[0]]


def test_list_filters_and_paging(api: Api) -> None:
    ids = api.add("leads", *[{"name": f"page {i}", "responsible_user_id": SEED.USER_OPERATOR} for i in range(7)])
    got = api.items("/api/v2/leads", {"responsible_user_id": SEED.USER_OPERATOR, "limit_rows": 3, "limit_offset": 3})
    assert [g["id"] for g in got] == ids[3:6]
    got = api.items("/api/v2/leads", {"limit_offset": 3})  # offset ignored without limit_rows
    assert len(got) == 9
    assert [g["id"] for g in api.items("/api/v2/leads", {"query": "page 6"})] == [ids[6]]
    # id overrides all other filters; comma list and array both work
    got = api.items("/api/v2/leads", {"id": f"{ids[0]},{SEED.LEAD_FIRST}", "query": "nothing-matches"})
    assert sorted(g["id"] for g in got) == sorted([ids[0], SEED.LEAD_FIRST])
    r = api.get(f"/api/v2/leads?id[]={ids[1]}&id[]={ids[2]}")
    assert [i["id"] for i in r.json()["_embedded"]["items"]] == ids[1:3]
    assert [g["id"] for g in api.items("/api/v2/leads", {"status": SEED.STATUS_SECOND_INCOMING})] == [SEED.LEAD_SECOND]
    r = api.get("/api/v2/leads", {"query": "no such thing"})
    assert r.status == 204 and r.data == b""
    assert api.get("/api/v2/leads", {"id": 1}).status == 204
    assert len(api.items("/api/v2/leads", {"limit_rows": 10000})) == 9  # clamped to 500, not refused


def test_if_modified_since(api: Api) -> None:
    future = email.utils.formatdate(time.time() + 3600, usegmt=True).replace("GMT", "UTC")
    assert api.get("/api/v2/contacts", headers={"If-Modified-Since": future}).status == 204
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    assert api.get("/api/v2/contacts", headers={"If-Modified-Since": past}).status == 200
    assert api.get("/api/v2/contacts", headers={"If-Modified-Since": "yesterday"}).status == 400


def test_notes_need_type_221(api: Api) -> None:
    r = api.get("/api/v2/notes")
    assert r.status == 400 and r.json()["response"]["error_code"] == "221"
    [nid] = api.add("notes", {"element_id": SEED.CONTACT_IVAN, "element_type": 1, "note_type": 4, "text": "hi"})
    notes = api.items("/api/v2/notes", {"type": "contact", "element_id": SEED.CONTACT_IVAN})
    assert [n["id"] for n in notes] == [nid] and notes[0]["text"] == "hi"
    assert notes[0]["_links"]["self"]["href"] == f"/api/v2/notes?id={nid}&type=contact"
    r = api.post("/api/v2/notes", {"add": [{"element_id": 1, "element_type": 2, "note_type": 4, "text": "x"}]})
    assert r.json()["_embedded"]["errors"]["add"][0]["code"] == 226


def test_tasks(api: Api) -> None:
    [tid] = api.add("tasks", {"element_id": SEED.CONTACT_MARIA, "element_type": "1", "task_type": 2,
                              "text": "meet", "complete_till": 4102444000})
    task = api.one("tasks", tid)
    assert task["complete_till_at"] == 4102444000 and task["is_completed"] is False and task["result"] == []
    assert api.one("contacts", SEED.CONTACT_MARIA)["closest_task_at"] == 4102444000
    assert [t["id"] for t in api.items("/api/v2/tasks", {"type": "contact"})] == [tid]
    api.post("/api/v2/tasks", {"update": [{"id": tid, "updated_at": int(time.time()) + 1, "is_completed": True,
                                           "text": "done"}]})
    assert api.items("/api/v2/tasks", {"filter[status][]": 1})[0]["id"] == tid
    r = api.post("/api/v2/tasks", {"add": [{"element_id": 5, "text": "no type"}]})
    assert r.json()["_embedded"]["errors"]["add"][0]["code"] == 235


def test_catalogs_elements_paging_and_delete(api: Api, sb: Sandbox) -> None:
    [cat] = api.add("catalogs", {"name": "Big"})
    ids = api.add("catalog_elements", *[{"catalog_id": cat, "name": f"e{i}"} for i in range(55)])
    page1 = api.items("/api/v2/catalog_elements", {"catalog_id": cat, "page": 1})
    page2 = api.items("/api/v2/catalog_elements", {"catalog_id": cat, "page": 2})
    assert len(page1) == 50 and len(page2) == 5
    assert page1[0]["_links"]["self"]["href"] == f"/api/v2/catalog_elements?id={ids[0]}&catalog_id={cat}"
    assert api.get("/api/v2/catalog_elements", {"catalog_id": cat, "page": 3}).status == 204
    assert api.get("/api/v2/catalog_elements").status == 400
    r = api.post("/api/v2/catalog_elements", {"delete": [ids[0]]})
    assert r.status == 200 and r.json()["_embedded"]["items"] == []
    r = api.post("/api/v2/catalogs", {"delete": [cat]})
    assert r.status == 200
    assert not [e for e in sb.entities("catalog_elements") if e["catalog_id"] == cat]
    assert api.get("/api/v2/catalogs", {"id": cat}).status == 204
    r = api.post("/api/v2/catalog_elements", {"add": [{"catalog_id": SEED.CATALOG_PRODUCTS, "name": "x",
                                                       "custom_fields": [{"id": SEED.CF_CATALOG_SKU,
                                                                          "values": [{"value": 7}]}]}]})
    eid = r.json()["_embedded"]["items"][0]["id"]
    el = api.one("catalog_elements", eid, catalog_id=SEED.CATALOG_PRODUCTS)
    assert el["custom_fields"][0]["values"] == [{"value": "7"}]


def test_delete_not_allowed_for_leads(api: Api) -> None:
    r = api.post("/api/v2/leads", {"delete": [SEED.LEAD_FIRST]})
    assert r.status == 400 and r.json()["response"]["error_code"] == "215"


def test_customers_delete_shape(api: Api) -> None:
    r = api.post("/api/v2/customers", {"delete": [SEED.CUSTOMER_FIRST]})
    assert r.json()["_embedded"]["items"]["deleted"] == [{"id": SEED.CUSTOMER_FIRST, "name": "Постоянный покупатель"}]


def test_more_than_500_refused(api: Api, sb: Sandbox) -> None:
    r = api.post("/api/v2/contacts", {"add": [{"name": "x"}] * 501})
    assert r.status == 400 and r.json()["response"]["error_code"] == "400"
    assert len(sb.entities("contacts")) == 2


def test_batch_504_above() -> None:
    with Sandbox(rate_limit=None, batch_504_above=10) as sb:
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        r = api.post("/api/v2/contacts", {"add": [{"name": "x"}] * 11})
        assert r.status == 504
        assert len(api.add("contacts", *[{"name": "x"}] * 10)) == 10


def test_empty_as_object_switch() -> None:
    with Sandbox(rate_limit=None, empty_as_object=True) as sb:
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        c = api.one("contacts", SEED.CONTACT_MARIA)
        assert c["tags"] == {} and c["custom_fields"] == {}
    with Sandbox(rate_limit=None, seed=False) as sb:
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        assert api.get("/api/v2/contacts").status == 204
        [cid] = api.add("contacts", {"name": "only"})
        c = api.one("contacts", cid)
        assert c["tags"] == [] and c["custom_fields"] == []


def test_reset_restores_seed(api: Api, sb: Sandbox) -> None:
    api.add("leads", {"name": "temp"})
    assert len(sb.entities("leads")) == 3
    sb.reset()
    assert len(sb.entities("leads")) == 2
    assert sb.counters()["requests"] == 0
