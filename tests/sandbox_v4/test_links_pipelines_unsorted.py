"""Links, tags, pipelines/statuses, loss reasons and unsorted (incoming leads) through API v4."""

from __future__ import annotations

import time

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4, Api, invalid, paths, problem


def test_link_unlink_one_and_mass(v4: V4, v2: Api) -> None:
    lead = SEED.LEAD_SECOND
    body = v4.ok("POST", f"leads/{lead}/link", [
        {"to_entity_id": SEED.CONTACT_MARIA, "to_entity_type": "contacts", "metadata": {"is_main": True}},
        {"to_entity_id": SEED.COMPANY_ACME, "to_entity_type": "companies"},
        {"to_entity_id": SEED.ELEMENT_PEN, "to_entity_type": "catalog_elements",
         "metadata": {"catalog_id": SEED.CATALOG_PRODUCTS, "quantity": 3}}])
    assert [x["to_entity_type"] for x in body["_embedded"]["links"]] == ["contacts", "companies", "catalog_elements"]
    assert body["_embedded"]["links"][1]["metadata"] is None
    links = v4.rows(f"leads/{lead}/links", "links")
    assert {(x["to_entity_type"], x["to_entity_id"]) for x in links} == {
        ("contacts", SEED.CONTACT_MARIA), ("companies", SEED.COMPANY_ACME), ("catalog_elements", SEED.ELEMENT_PEN)}
    old = v2.one("leads", lead, **{"with": "catalog_elements_links"})
    assert old["main_contact"]["id"] == SEED.CONTACT_MARIA and old["company"]["id"] == SEED.COMPANY_ACME
    assert old["_embedded"]["catalog_elements_links"] == [
        {"id": SEED.ELEMENT_PEN, "catalog_id": SEED.CATALOG_PRODUCTS, "quantity": 3}]
    filtered = v4.rows(f"leads/{lead}/links", "links", {"filter[to_entity_type]": "contacts",
                                                         "filter[to_entity_id]": str(SEED.CONTACT_MARIA)})
    assert len(filtered) == 1 and filtered[0]["metadata"] == {"main_contact": True}
    problem(v4.get(f"leads/{lead}/links", {"filter[to_entity_id]": "1"}), 400)
    r = v4.post(f"leads/{lead}/unlink", [{"to_entity_id": SEED.CONTACT_MARIA, "to_entity_type": "contacts"},
                                          {"to_entity_id": SEED.ELEMENT_PEN, "to_entity_type": "catalog_elements",
                                           "metadata": {"catalog_id": SEED.CATALOG_PRODUCTS}}])
    assert r.status == 204 and r.data == b""
    assert [x["to_entity_type"] for x in v4.rows(f"leads/{lead}/links", "links")] == ["companies"]
    mass = v4.ok("POST", "contacts/link", [{"entity_id": SEED.CONTACT_MARIA, "to_entity_id": SEED.LEAD_FIRST,
                                             "to_entity_type": "leads"}])
    assert mass["_embedded"]["links"][0]["entity_type"] == "contacts"
    rows = v4.rows("leads/links", "links", {"filter[entity_id][]": str(SEED.LEAD_FIRST)})
    assert {x["to_entity_id"] for x in rows if x["to_entity_type"] == "contacts"} == {SEED.CONTACT_IVAN,
                                                                                      SEED.CONTACT_MARIA}
    assert v4.post("contacts/unlink", [{"entity_id": SEED.CONTACT_MARIA, "to_entity_id": SEED.LEAD_FIRST,
                                        "to_entity_type": "leads"}]).status == 204
    r = v4.post(f"leads/{lead}/link", [{"to_entity_id": 1, "to_entity_type": "contacts"},
                                        {"to_entity_id": SEED.CUSTOMER_FIRST, "to_entity_type": "customers"},
                                        {"to_entity_id": SEED.ELEMENT_PEN, "to_entity_type": "catalog_elements"}])
    assert paths(r) == {("0", "to_entity_id", "NotSupportedChoice"), ("1", "to_entity_type", "NotSupportedChoice"),
                        ("2", "metadata.catalog_id", "NotBlank")}
    problem(v4.get("leads/links"), 400)
    assert v4.get("leads/999/links").status == 204


def test_tags_per_entity(v4: V4) -> None:
    body = v4.ok("POST", "leads/tags", [{"name": "alpha", "color": "EBEBEB", "request_id": "t1"}, {"name": "beta"}])
    made = body["_embedded"]["tags"]
    assert made[0]["request_id"] == "t1" and made[0]["color"] == "EBEBEB" and made[1]["color"] is None
    names = [t["name"] for t in v4.rows("leads/tags", "tags")]
    assert names == ["alpha", "beta"]
    assert [t["name"] for t in v4.rows("companies/tags", "tags")] == ["vip"]
    assert [t["name"] for t in v4.rows("leads/tags", "tags", {"query": "alp"})] == ["alpha"]
    assert [t["name"] for t in v4.rows("leads/tags", "tags", {"filter[name]": "beta"})] == ["beta"]
    v4.ok("PATCH", "leads/tags", [{"id": made[1]["id"], "name": "gamma", "color": "FF8F92"}])
    v4.ok("PATCH", f"leads/{SEED.LEAD_FIRST}", {"_embedded": {"tags": [{"id": made[1]["id"]}]}})
    assert v4.one(f"leads/{SEED.LEAD_FIRST}")["_embedded"]["tags"] == [
        {"id": made[1]["id"], "name": "gamma", "color": "FF8F92"}]
    assert paths(v4.post("leads/tags", [{"name": ""}, {"name": "x", "color": "123456"}])) == {
        ("0", "name", "NotBlank"), ("1", "color", "NotSupportedChoice")}
    assert v4.patch("contacts/tags", [{"id": 1}]).status == 405


def test_pipelines_and_statuses_crud(v4: V4, v2: Api) -> None:
    pipes = v4.ok("GET", "leads/pipelines")["_embedded"]["pipelines"]
    main = pipes[0]
    ids = [s["id"] for s in main["_embedded"]["statuses"]]
    assert ids == [SEED.STATUS_MAIN_UNSORTED, SEED.STATUS_MAIN_NEW, SEED.STATUS_MAIN_PROGRESS, 142, 143]
    assert main["_embedded"]["statuses"][0]["type"] == 1
    body = v4.ok("POST", "leads/pipelines", [{
        "name": "Воронка доп продаж", "is_main": False, "is_unsorted_on": True, "sort": 20, "request_id": "123",
        "_embedded": {"statuses": [{"id": 142, "name": "Мое название для успешных сделок"},
                                   {"name": "Первичный контакт", "sort": 10, "color": "#fffeb2"}]}}])
    new = body["_embedded"]["pipelines"][0]
    assert new["request_id"] == "123"
    statuses = {s["id"]: s for s in new["_embedded"]["statuses"]}
    assert statuses[142]["name"] == "Мое название для успешных сделок" and 143 in statuses
    pid = new["id"]
    v2_pipes = v2.get("/api/v2/pipelines").json()["_embedded"]["items"]
    assert v2_pipes[str(pid)]["statuses"]["142"]["name"] == "Мое название для успешных сделок"
    v4.ok("PATCH", f"leads/pipelines/{pid}", {"name": "Переименована", "sort": 5})
    assert v4.one(f"leads/pipelines/{pid}")["name"] == "Переименована"
    added = v4.ok("POST", f"leads/pipelines/{pid}/statuses", [{"name": "Счёт", "sort": 30, "color": "#d6eaff"}])
    sid = added["_embedded"]["statuses"][0]["id"]
    v4.ok("PATCH", f"leads/pipelines/{pid}/statuses/{sid}", {
        "name": "Счёт выставлен", "descriptions": [{"level": "newbie", "description": "Отправьте счёт"}]})
    listed = v4.ok("GET", f"leads/pipelines/{pid}/statuses", {"with": "descriptions"})["_embedded"]["statuses"]
    assert [s["id"] for s in listed][-2:] == [142, 143] and all("descriptions" in s for s in listed)
    st = v4.one(f"leads/pipelines/{pid}/statuses/{sid}", {"with": "descriptions"})
    assert st["name"] == "Счёт выставлен" and st["descriptions"][0]["level"] == "newbie"
    [lid] = v4.add("leads", {"name": "в новой", "pipeline_id": pid, "status_id": sid})
    problem(v4.delete(f"leads/pipelines/{pid}/statuses/{sid}"), 400)  # it has a lead
    problem(v4.delete(f"leads/pipelines/{pid}/statuses/142"), 400)
    problem(v4.delete(f"leads/pipelines/{pid}"), 400)
    v4.ok("PATCH", f"leads/{lid}", {"pipeline_id": SEED.PIPELINE_MAIN, "status_id": SEED.STATUS_MAIN_NEW})
    v4.ok("DELETE", f"leads/pipelines/{pid}/statuses/{sid}", status=204)
    v4.ok("DELETE", f"leads/pipelines/{pid}", status=204)
    assert v4.get(f"leads/pipelines/{pid}").status == 204
    problem(v4.delete(f"leads/pipelines/{SEED.PIPELINE_MAIN}"), 400)
    r = v4.post("leads/pipelines", [{"name": "", "_embedded": {"statuses": [{"name": "a", "color": "red"}]}}])
    assert paths(r) == {("0", "name", "NotBlank"), ("0", "_embedded.statuses.0.color", "NotSupportedChoice")}
    v4.ok("PATCH", "leads/pipelines", [{"id": SEED.PIPELINE_SECOND, "is_main": True}])
    assert [p["is_main"] for p in v4.ok("GET", "leads/pipelines")["_embedded"]["pipelines"]] == [False, True]
    v4.ok("PATCH", f"leads/pipelines/{SEED.PIPELINE_MAIN}/statuses", [{"id": SEED.STATUS_MAIN_NEW, "color": "#fff000"}])
    assert v4.one(f"leads/pipelines/{SEED.PIPELINE_MAIN}/statuses/{SEED.STATUS_MAIN_NEW}")["color"] == "#fff000"


def test_loss_reasons_crud(v4: V4) -> None:
    assert [r["name"] for r in v4.rows("leads/loss_reasons", "loss_reasons")] == ["Дорого", "Выбрали конкурента"]
    body = v4.ok("POST", "leads/loss_reasons", [{"name": "Пропал", "sort": 5, "request_id": "a"}])
    lr = body["_embedded"]["loss_reasons"][0]
    assert lr["request_id"] == "a"
    v4.ok("PATCH", f"leads/loss_reasons/{lr['id']}", {"name": "Исчез"})
    assert v4.one(f"leads/loss_reasons/{lr['id']}")["name"] == "Исчез"
    assert v4.rows("leads/loss_reasons", "loss_reasons")[0]["id"] == lr["id"]
    v4.ok("DELETE", f"leads/loss_reasons/{lr['id']}", status=204)
    assert v4.get(f"leads/loss_reasons/{lr['id']}").status == 204
    assert paths(v4.post("leads/loss_reasons", [{"sort": "x"}])) == {("0", "name", "NotBlank"),
                                                                       ("0", "sort", "InvalidType")}


def _sip(n: int) -> dict[str, object]:
    return {"source_name": "АТС", "source_uid": f"call-{n}", "created_at": 1510261200, "request_id": f"r{n}",
            "_embedded": {"leads": [{"name": f"Звонок {n}", "price": 5000}], "contacts": [{"name": f"Абонент {n}"}]},
            "metadata": {"is_call_event_needed": True, "uniq": f"u{n}", "duration": 54, "service_code": "CK",
                         "link": "https://pbx/rec.mp3", "phone": 79998888888, "called_at": 1510261200,
                         "from": "onlinePBX"}}


def test_unsorted_add_list_accept(v4: V4, v2: Api, sb: Sandbox) -> None:
    body = v4.ok("POST", "leads/unsorted/sip", [_sip(1), _sip(2)])
    assert body["_total_items"] == 2
    first = body["_embedded"]["unsorted"][0]
    uid, lead_id = first["uid"], first["_embedded"]["leads"][0]["id"]
    contact_id = first["_embedded"]["contacts"][0]["id"]
    assert first["request_id"] == "r1"
    listed = v4.rows("leads/unsorted", "unsorted", {"filter[category][]": "sip"})
    assert {u["uid"] for u in listed} == {uid, body["_embedded"]["unsorted"][1]["uid"]}
    item = v4.one(f"leads/unsorted/{uid}")
    assert item["category"] == "sip" and item["metadata"]["uniq"] == "u1"
    assert item["_embedded"]["leads"][0]["status_id"] == SEED.STATUS_MAIN_UNSORTED
    assert item["_embedded"]["contacts"][0]["is_unsorted"] is True
    assert contact_id not in [c["id"] for c in v4.rows("contacts", "contacts")]  # hidden until accepted
    assert {i["uid"] for i in v2.items("/api/v2/incoming_leads", {"categories[]": "sip"})} == {u["uid"] for u in listed}
    assert paths(v4.post("leads/unsorted/sip", [_sip(1)])) == {("r1", "source_uid", "NotSupportedChoice")}
    summary = v4.ok("GET", "leads/unsorted/summary")
    assert summary["total"] == 2 and summary["categories"]["sip"] == 2
    accepted = v4.ok("POST", f"leads/unsorted/{uid}/accept", {"user_id": SEED.USER_MANAGER,
                                                              "status_id": SEED.STATUS_MAIN_PROGRESS})
    assert accepted["_embedded"]["leads"][0]["id"] == lead_id
    lead = v4.one(f"leads/{lead_id}")
    assert lead["status_id"] == SEED.STATUS_MAIN_PROGRESS and lead["responsible_user_id"] == SEED.USER_MANAGER
    assert contact_id in [c["id"] for c in v4.rows("contacts", "contacts")]
    assert v4.get(f"leads/unsorted/{uid}").status == 204
    assert v4.ok("GET", "leads/unsorted/summary")["accepted"] == 1
    problem(v4.post(f"leads/unsorted/{uid}/accept", {}), 404)


def test_unsorted_decline_forms_and_v2_items(v4: V4, v2: Api) -> None:
    form = {"source_name": "Сайт", "source_uid": "form-1", "pipeline_id": SEED.PIPELINE_SECOND,
            "metadata": {"form_id": "7", "form_name": "Заказ", "form_page": "https://example.com", "ip": "10.0.0.1",
                         "form_sent_at": int(time.time())},
            "_embedded": {"leads": [{"name": "С формы"}], "companies": [{"name": "ООО Заявитель"}]}}
    [made] = v4.ok("POST", "leads/unsorted/forms", [form])["_embedded"]["unsorted"]
    lead_id = made["_embedded"]["leads"][0]["id"]
    assert v4.one(f"leads/{lead_id}")["status_id"] == SEED.STATUS_SECOND_UNSORTED
    r = v4.call("DELETE", f"leads/unsorted/{made['uid']}/decline", {"user_id": SEED.USER_ADMIN})
    assert r.status == 200 and r.json()["_embedded"]["leads"][0]["id"] == lead_id
    assert v4.get(f"leads/{lead_id}").status == 204
    assert v4.ok("GET", "leads/unsorted/summary")["declined"] == 1
    r = v2.post("/api/v2/incoming_leads/form", {"add": [{
        "source_name": "v2", "created_at": int(time.time()), "incoming_lead_info": {"form_id": 9, "form_page": "p"},
        "incoming_entities": {"leads": [{"name": "v2 lead", "price": 70}], "contacts": [{"name": "v2 contact"}]}}]})
    [uid] = r.json()["data"]
    item = v4.one(f"leads/unsorted/{uid}")
    assert item["category"] == "forms" and item["_embedded"]["leads"][0]["price"] == 70
    accepted = v4.ok("POST", f"leads/unsorted/{uid}/accept", {})
    assert [c["id"] for c in accepted["_embedded"]["contacts"]] == [item["_embedded"]["contacts"][0]["id"]]
    missing = v4.post("leads/unsorted/forms", [{"source_name": "x", "source_uid": "y", "metadata": {"form_id": 1}}])
    assert {e["path"] for e in invalid(missing)[0]["errors"]} == {
        "metadata.form_name", "metadata.form_page", "metadata.ip", "metadata.form_sent_at"}
    problem(v4.post("leads/unsorted/chats", [form]), 400)


def test_unsorted_link_chat_from_complex(v4: V4) -> None:
    [row] = v4.ok("POST", "leads/complex", [{"name": "из чата", "_embedded": {
        "contacts": [{"name": "Гость"}],
        "metadata": {"category": "chats", "from": "Гость", "received_at": int(time.time()), "service": "tg",
                     "client": {"name": "Гость"}, "origin": {"chat_id": "c-1"}}}}])
    [item] = v4.rows("leads/unsorted", "unsorted", {"filter[category][]": "chats"})
    assert item["_embedded"]["leads"][0]["id"] == row["id"]
    r = v4.post(f"leads/unsorted/{item['uid']}/link", {"link": {"entity_id": SEED.LEAD_FIRST, "entity_type": "leads"}})
    assert r.status == 200 and r.json()["_embedded"]["leads"][0]["id"] == SEED.LEAD_FIRST
    links = v4.rows(f"leads/{SEED.LEAD_FIRST}/links", "links", {"filter[to_entity_type]": "contacts"})
    assert row["contact_id"] in [x["to_entity_id"] for x in links]
    assert v4.get(f"leads/{row['id']}").status == 204
    [sip] = v4.ok("POST", "leads/unsorted/sip", [_sip(9)])["_embedded"]["unsorted"]
    assert ("0", "category", "NotSupportedChoice") in paths(
        v4.post(f"leads/unsorted/{sip['uid']}/link", {"link": {"entity_id": SEED.LEAD_FIRST, "entity_type": "leads"}}))


def test_unsorted_chats_switch() -> None:
    with Sandbox(rate_limit=None, v4_unsorted_chats=True) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        chat = {"source_name": "Telegram", "source_uid": "tg-1", "metadata": {
            "from": "Гость", "received_at": 1700000000, "service": "telegram", "client": {"name": "Гость"},
            "origin": {"chat_id": "c"}}}
        [made] = v4.ok("POST", "leads/unsorted/chats", [chat])["_embedded"]["unsorted"]
        assert v4.one(f"leads/unsorted/{made['uid']}")["category"] == "chats"
