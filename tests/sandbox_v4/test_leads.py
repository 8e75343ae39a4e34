"""Leads through API v4: shapes, writes, complex, paging, with/order/filters, and the v2 face's view of them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4, Api, invalid, paths

SELECT = SEED.CF_LEAD_SELECT
OPTION_2 = SEED.enum_id(SEED.CF_LEAD_SELECT, 2)


def test_lead_shape_nulls_and_embedded(v4: V4, sb: Sandbox) -> None:
    lead = v4.one(f"leads/{SEED.LEAD_SECOND}")
    assert lead["price"] == 5000 and "sale" not in lead
    for key in ("loss_reason_id", "closed_at", "closest_task_at", "custom_fields_values", "score", "labor_cost"):
        assert lead[key] is None, key
    assert lead["_embedded"] == {"tags": [], "companies": []}
    assert lead["_links"]["self"]["href"] == f"{sb.base_url}/api/v4/leads/{SEED.LEAD_SECOND}"
    first = v4.one(f"leads/{SEED.LEAD_FIRST}", {"with": "contacts"})
    assert first["closest_task_at"] == 4102444740
    assert first["_embedded"]["companies"][0]["id"] == SEED.COMPANY_ACME
    assert first["_embedded"]["contacts"] == [{"id": SEED.CONTACT_IVAN, "is_main": True, "_links": {
        "self": {"href": f"{sb.base_url}/api/v4/contacts/{SEED.CONTACT_IVAN}?with=contacts"}}}]
    assert v4.get("leads/999").status == 204 and v4.get("leads/999").data == b""


def test_create_batch_and_read_back_through_v2(v4: V4, v2: Api, sb: Sandbox) -> None:
    body = v4.ok("POST", "leads", [
        {"name": "Первая", "price": 20000, "created_by": 0, "request_id": "mine",
         "custom_fields_values": [{"field_id": SELECT, "values": [{"enum_id": OPTION_2}]},
                                  {"field_id": SEED.CF_LEAD_DATE, "values": [{"value": 1700000000}]},
                                  {"field_id": SEED.CF_LEAD_NUMERIC, "values": [{"value": 12.5}]}],
         "_embedded": {"tags": [{"name": "hot"}, "warm"], "contacts": [{"id": SEED.CONTACT_MARIA, "is_main": True}],
                       "companies": [{"id": SEED.COMPANY_ACME}]}},
        {"name": "Вторая"}])
    rows = body["_embedded"]["leads"]
    assert [r["request_id"] for r in rows] == ["mine", "1"]
    assert body["_links"]["self"]["href"] == f"{sb.base_url}/api/v4/leads"
    lid = rows[0]["id"]
    old = v2.one("leads", lid)
    assert old["sale"] == 20000 and old["created_by"] == 0
    assert {t["name"] for t in old["tags"]} == {"hot", "warm"}
    assert old["main_contact"]["id"] == SEED.CONTACT_MARIA and old["company"]["id"] == SEED.COMPANY_ACME
    cf = {c["id"]: c["values"] for c in old["custom_fields"]}
    assert cf[SELECT] == [{"value": "Option 2", "enum": str(OPTION_2)}]
    assert cf[SEED.CF_LEAD_DATE] == [{"value": "2023-11-14 22:13:20"}]
    new = v4.one(f"leads/{lid}")
    values = {c["field_id"]: c for c in new["custom_fields_values"]}
    assert values[SELECT] == {"field_id": SELECT, "field_name": "Список", "field_code": None, "field_type": "select",
                              "values": [{"value": "Option 2", "enum_id": OPTION_2, "enum_code": None}]}
    assert values[SEED.CF_LEAD_DATE]["values"] == [{"value": 1700000000}]
    assert values[SEED.CF_LEAD_NUMERIC]["values"] == [{"value": "12.5"}]
    assert [t["name"] for t in new["_embedded"]["tags"]] == ["hot", "warm"]
    record = next(r for r in sb.entities("leads") if r["id"] == lid)
    assert record["sale"] == 20000 and record["linked_contacts"] == [SEED.CONTACT_MARIA]


def test_v2_write_reads_back_through_v4(v4: V4, v2: Api) -> None:
    [lid] = v2.add("leads", {"name": "из v2", "sale": 777, "tags": "a,b", "status_id": SEED.STATUS_MAIN_PROGRESS,
                             "contacts_id": [SEED.CONTACT_IVAN],
                             "custom_fields": [{"id": SEED.CF_LEAD_TEXT, "values": [{"value": "t"}]},
                                               {"id": SEED.CF_LEAD_ADDRESS,
                                                "values": [{"value": "Москва", "subtype": "city"}]}]})
    lead = v4.one(f"leads/{lid}", {"with": "contacts"})
    assert lead["price"] == 777 and lead["status_id"] == SEED.STATUS_MAIN_PROGRESS
    assert [t["name"] for t in lead["_embedded"]["tags"]] == ["a", "b"]
    assert lead["_embedded"]["contacts"][0]["id"] == SEED.CONTACT_IVAN
    values = {c["field_id"]: c["values"] for c in lead["custom_fields_values"]}
    assert values[SEED.CF_LEAD_TEXT] == [{"value": "t"}]
    assert values[SEED.CF_LEAD_ADDRESS] == [{"value": "Москва", "enum_id": 3, "enum_code": "city"}]


def test_update_batch_single_and_no_stale_check(v4: V4, v2: Api) -> None:
    body = v4.ok("PATCH", "leads", [{"id": SEED.LEAD_FIRST, "price": 1, "updated_at": 5, "request_id": "r"},
                                    {"id": SEED.LEAD_SECOND, "name": "renamed"}])
    rows = body["_embedded"]["leads"]
    assert rows[0]["updated_at"] == 5 and rows[0]["request_id"] == "r" and "request_id" not in rows[1]
    one = v4.ok("PATCH", f"leads/{SEED.LEAD_SECOND}", {"status_id": SEED.STATUS_LOST, "loss_reason_id": 1001,
                                                       "tags_to_add": [{"name": "lost"}]})
    assert set(one) == {"id", "updated_at", "_links"}
    lead = v4.one(f"leads/{SEED.LEAD_SECOND}", {"with": "loss_reason"})
    assert lead["status_id"] == 143 and lead["pipeline_id"] == SEED.PIPELINE_SECOND and lead["closed_at"]
    assert lead["loss_reason_id"] == 1001 and lead["_embedded"]["loss_reason"]["name"] == "Дорого"
    v4.ok("PATCH", f"leads/{SEED.LEAD_SECOND}", {"tags_to_delete": [{"name": "lost"}], "tags_to_add": ["x"]})
    assert [t["name"] for t in v4.one(f"leads/{SEED.LEAD_SECOND}")["_embedded"]["tags"]] == ["x"]
    v4.ok("PATCH", f"leads/{SEED.LEAD_SECOND}", {"_embedded": {"tags": None}})
    assert v4.one(f"leads/{SEED.LEAD_SECOND}")["_embedded"]["tags"] == []
    assert v2.one("leads", SEED.LEAD_FIRST)["sale"] == 1
    v4.ok("PATCH", f"leads/{SEED.LEAD_FIRST}", {"custom_fields_values": [
        {"field_id": SEED.CF_LEAD_TEXT, "values": [{"value": "keep"}]}]})
    v4.ok("PATCH", f"leads/{SEED.LEAD_FIRST}", {"custom_fields_values": [{"field_id": SELECT, "values": [
        {"value": "Option 1"}]}]})
    values = {c["field_id"] for c in v4.one(f"leads/{SEED.LEAD_FIRST}")["custom_fields_values"]}
    assert values == {SEED.CF_LEAD_TEXT, SELECT}  # a patch by field: the text field kept its value
    v4.ok("PATCH", f"leads/{SEED.LEAD_FIRST}", {"custom_fields_values": [{"field_id": SELECT, "values": None},
                                                                          {"field_id": SEED.CF_LEAD_TEXT,
                                                                           "values": []}]})
    assert v4.one(f"leads/{SEED.LEAD_FIRST}")["custom_fields_values"] is None
    assert v4.patch("leads/999", {"name": "x"}).status == 404


def test_validation_errors_paths_and_atomicity(v4: V4, sb: Sandbox) -> None:
    before = len(sb.entities("leads"))
    r = v4.post("leads", [
        {"name": "good"},
        {"name": 5, "price": "lots", "status_id": 1, "responsible_user_id": 42,
         "custom_fields_values": [{"field_id": 1}, {"field_id": SELECT, "values": [{"enum_id": 9}]},
                                  {"field_code": "NOPE", "values": [{"value": 1}]},
                                  {"field_id": SEED.CF_LEAD_NUMERIC, "values": [{"value": "abc"}]},
                                  {"field_id": SEED.CF_LEAD_DATE, "values": [{"value": "2020-02-31"}]},
                                  {"field_id": SEED.CF_LEAD_TEXT, "values": [{"value": "a"}, {"value": "b"}]}],
         "_embedded": {"contacts": [{"id": 1}], "tags": [{"id": 1}]}},
        "not an object"])
    got = paths(r)
    assert ("1", "name", "InvalidType") in got and ("1", "price", "InvalidType") in got
    assert ("1", "status_id", "NotSupportedChoice") in got and ("1", "responsible_user_id", "NotSupportedChoice") in got
    assert ("1", "custom_fields_values.0.field_id", "NotSupportedChoice") in got
    assert ("1", "custom_fields_values.1.values.0.enum_id", "NotSupportedChoice") in got
    assert ("1", "custom_fields_values.2.field_code", "NotSupportedChoice") in got
    assert ("1", "custom_fields_values.3.values.0.value", "InvalidType") in got
    assert ("1", "custom_fields_values.4.values.0.value", "InvalidType") in got
    assert ("1", "custom_fields_values.5.values", "TooMany") in got
    assert ("1", "_embedded.contacts.0.id", "NotSupportedChoice") in got
    assert ("1", "_embedded.tags.0.id", "NotSupportedChoice") in got
    assert ("2", "", "InvalidType") in got
    assert {e["request_id"] for e in invalid(v4.post("leads", [{"price": 1e32}]))} == {"0"}
    assert len(sb.entities("leads")) == before  # nothing written: the batch is all or nothing
    assert v4.post("leads", {"name": "not an array"}).status == 400
    assert v4.post("leads", []).status == 400
    r = v4.patch("leads", [{"name": "no id"}, {"id": 1, "name": "no such"}])
    assert paths(r) == {("0", "id", "NotBlank"), ("1", "id", "NotSupportedChoice")}


def test_complex_add_and_limit(v4: V4, v2: Api, sb: Sandbox) -> None:
    r = v4.post("leads/complex", [{
        "name": "Сложная", "price": 10, "request_id": "qweasd",
        "_embedded": {"contacts": [{"first_name": "Пётр", "last_name": "Смирнов", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+79001112233", "enum_code": "WORK"}]}]}],
            "companies": [{"name": "ООО Ромашка"}], "tags": [{"name": "web"}]}}])
    assert r.status == 200 and r.headers["Content-Type"].startswith("application/hal+json")
    [row] = r.json()
    assert row["request_id"] == ["qweasd"] and row["merged"] is False
    lead = v2.one("leads", row["id"])
    assert lead["main_contact"]["id"] == row["contact_id"] and lead["company"]["id"] == row["company_id"]
    contact = v4.one(f"contacts/{row['contact_id']}")
    assert contact["name"] == "Пётр Смирнов" and contact["_embedded"]["companies"][0]["id"] == row["company_id"]
    assert contact["custom_fields_values"][0]["values"][0]["enum_code"] == "WORK"
    r = v4.post("leads/complex", [{"name": "x", "_embedded": {"contacts": [{"responsible_user_id": "me"}]}}])
    [entry] = invalid(r)
    assert [(e["code"], e["path"]) for e in entry["errors"]] == [
        ("InvalidType", "_embedded.contacts.0.responsible_user_id"),
        ("NotSupportedChoice", "_embedded.contacts.0.responsible_user_id")]
    r = v4.post("leads/complex", [{"name": f"n{i}"} for i in range(51)])
    assert invalid(r)[0]["errors"][0]["code"] == "TooMany"
    r = v4.post("leads/complex", [{"name": "two", "_embedded": {"contacts": [{"name": "a"}, {"name": "b"}]}}])
    assert ("0", "_embedded.contacts", "TooMany") in paths(r)


def test_complex_merge_with_duplicate_control() -> None:
    with Sandbox(rate_limit=None, duplicate_control=True) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        item = {"name": "Заявка", "_embedded": {"contacts": [{"name": "Дубль", "custom_fields_values": [
            {"field_code": "EMAIL", "values": [{"value": "dup@example.com"}]}]}]}}
        [first] = v4.ok("POST", "leads/complex", [dict(item, request_id="1")])
        assert first["merged"] is False
        [again] = v4.ok("POST", "leads/complex", [dict(item, request_id="2")])
        assert again == {"id": first["id"], "contact_id": first["contact_id"], "company_id": None,
                         "request_id": ["2"], "merged": True}
        both = v4.ok("POST", "leads/complex", [dict(item, request_id="3"), dict(item, request_id="4")])
        assert both == [{"id": first["id"], "contact_id": first["contact_id"], "company_id": None,
                         "request_id": ["3", "4"], "merged": True}]


def _make(v4: V4, n: int) -> list[int]:
    return v4.add("leads", *[{"name": f"page {i}", "price": i * 100} for i in range(n)])


def test_paging_links_and_204(v4: V4, sb: Sandbox) -> None:
    _make(v4, 5)
    page1 = v4.ok("GET", "leads", {"limit": "3", "page": "1", "order[id]": "asc"})
    assert page1["_page"] == 1 and len(page1["_embedded"]["leads"]) == 3
    nxt = page1["_links"]["next"]["href"]
    assert nxt.startswith(f"{sb.base_url}/api/v4/leads?") and parse_qs(urlsplit(nxt).query)["page"] == ["2"]
    item_href = page1["_embedded"]["leads"][0]["_links"]["self"]["href"]
    assert urlsplit(item_href).query == urlsplit(page1["_links"]["self"]["href"]).query
    page3 = v4.ok("GET", "leads", {"limit": "3", "page": "3", "order[id]": "asc"})
    assert "next" not in page3["_links"] and page3["_links"]["prev"]
    assert v4.get("leads", {"limit": "3", "page": "4"}).status == 204
    assert v4.get("leads", {"filter[id]": "1"}).data == b""
    assert len(v4.rows("leads", "leads", {"limit": "1000"})) == 7  # clamped to 250
    assert len(v4.rows("leads", "leads", {"page": "0"})) == 7
    assert v4.get("leads", {"limit": "x"}).status == 400


def test_filters_with_order(v4: V4, sb: Sandbox) -> None:
    ids = _make(v4, 4)
    v4.ok("PATCH", f"leads/{ids[1]}", {"status_id": SEED.STATUS_MAIN_PROGRESS, "responsible_user_id": SEED.USER_MANAGER,
                                       "custom_fields_values": [{"field_id": SELECT, "values": [{"enum_id": OPTION_2}]},
                                                                {"field_id": SEED.CF_LEAD_NUMERIC,
                                                                 "values": [{"value": 42}]}]})

    def ids_of(query: dict[str, str]) -> list[int]:
        return [lead["id"] for lead in v4.rows("leads", "leads", query)]

    assert ids_of({"filter[id][]": str(ids[0])}) == [ids[0]]
    assert sorted(ids_of({"filter[id][0]": str(ids[0]), "filter[id][1]": str(ids[2])})) == [ids[0], ids[2]]
    assert ids_of({"filter[name]": "page 3"}) == [ids[3]]
    assert ids_of({"filter[price][from]": "150", "filter[price][to]": "250"}) == [ids[2]]
    assert ids_of({"filter[statuses][0][pipeline_id]": str(SEED.PIPELINE_MAIN),
                   "filter[statuses][0][status_id]": str(SEED.STATUS_MAIN_PROGRESS)}) == [ids[1]]
    assert ids_of({"filter[responsible_user_id][]": str(SEED.USER_MANAGER), "filter[pipeline_id][]":
                   str(SEED.PIPELINE_MAIN)}) == [ids[1]]
    assert ids_of({"filter[pipeline_id]": str(SEED.PIPELINE_SECOND)}) == [SEED.LEAD_SECOND]
    assert ids_of({f"filter[custom_fields_values][{SELECT}][]": str(OPTION_2)}) == [ids[1]]
    assert ids_of({f"filter[custom_fields_values][{SELECT}][]": "Option 2"}) == [ids[1]]
    assert ids_of({f"filter[custom_fields_values][{SEED.CF_LEAD_NUMERIC}][from]": "40",
                   f"filter[custom_fields_values][{SEED.CF_LEAD_NUMERIC}][to]": "50"}) == [ids[1]]
    created = v4.one(f"leads/{ids[0]}")["created_at"]
    assert set(ids) <= set(ids_of({"filter[created_at][from]": str(created), "filter[updated_at][to]": "9999999999"}))
    assert ids_of({"filter[created_at][to]": "1"}) == []
    assert ids_of({"filter[closest_task_at][from]": "1"}) == [SEED.LEAD_FIRST]
    assert ids_of({"query": "page 2"}) == [ids[2]]
    desc = ids_of({"order[id]": "desc"})
    assert desc == sorted(desc, reverse=True)
    lead = v4.one(f"leads/{SEED.LEAD_FIRST}", {"with": "contacts,is_price_modified_by_robot,catalog_elements,source_id"})
    assert lead["is_price_modified_by_robot"] is False and lead["source_id"] is None
    assert lead["_embedded"]["catalog_elements"] == []
    assert v4.get("leads", {"filter[price][from]": "x"}).status == 400


def test_only_deleted_after_ajax_delete(v4: V4, v2: Api) -> None:
    r = v2.http.request("POST", v2.base_url + "/ajax/leads/multiple/delete/", body=f"ID[]={SEED.LEAD_SECOND}",
                        headers=v2.headers({"X-Requested-With": "XMLHttpRequest",
                                            "Content-Type": "application/x-www-form-urlencoded"}))
    assert r.status == 200
    assert SEED.LEAD_SECOND not in [lead["id"] for lead in v4.rows("leads", "leads")]
    [gone] = v4.rows("leads", "leads", {"with": "only_deleted"})
    assert gone["id"] == SEED.LEAD_SECOND and gone["is_deleted"] is True
    assert v4.get(f"leads/{SEED.LEAD_SECOND}").status == 204


def test_loss_reason_as_array_switch() -> None:
    with Sandbox(rate_limit=None, v4_loss_reason="array", v4_over_limit="error", v4_atomic_batches=False) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        v4.ok("PATCH", f"leads/{SEED.LEAD_FIRST}", {"status_id": 143, "loss_reason_id": 1002})
        lead = v4.one(f"leads/{SEED.LEAD_FIRST}", {"with": "loss_reason"})
        assert isinstance(lead["_embedded"]["loss_reason"], list)
        assert lead["_embedded"]["loss_reason"][0]["id"] == 1002
        assert v4.get("leads", {"limit": "251"}).status == 400
        r = v4.post("leads", [{"name": "kept"}, {"price": "bad"}])
        assert paths(r) == {("1", "price", "InvalidType")}
        assert any(rec["name"] == "kept" for rec in sb.entities("leads"))  # partial batches: the valid one stays
