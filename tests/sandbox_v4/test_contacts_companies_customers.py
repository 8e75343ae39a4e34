"""Contacts, companies and customers through API v4 (plus contacts' chats), read back through v2."""

from __future__ import annotations

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4, Api, paths, problem


def test_contact_shape_and_with(v4: V4, sb: Sandbox) -> None:
    c = v4.one(f"contacts/{SEED.CONTACT_IVAN}", {"with": "leads,customers,catalog_elements,social_profiles"})
    assert (c["first_name"], c["last_name"], c["is_unsorted"], c["closest_task_at"]) == ("Иван", "Петров", False, None)
    phone = next(f for f in c["custom_fields_values"] if f["field_code"] == "PHONE")
    assert phone["field_type"] == "multitext" and phone["values"][0]["enum_code"] == "MOB"
    emb = c["_embedded"]
    assert [x["id"] for x in emb["leads"]] == [SEED.LEAD_FIRST] and [x["id"] for x in emb["customers"]] == [
        SEED.CUSTOMER_FIRST]
    assert emb["companies"][0]["id"] == SEED.COMPANY_ACME and emb["social_profiles"] == []
    maria = v4.one(f"contacts/{SEED.CONTACT_MARIA}")
    assert maria["custom_fields_values"] is None and maria["_embedded"] == {"tags": [], "companies": []}
    company = v4.one(f"companies/{SEED.COMPANY_ACME}", {"with": "contacts,leads,customers"})
    assert [t["name"] for t in company["_embedded"]["tags"]] == ["vip"]
    assert [x["id"] for x in company["_embedded"]["contacts"]] == [SEED.CONTACT_IVAN]
    assert "companies" not in company["_embedded"]


def test_contact_create_update_and_v2_view(v4: V4, v2: Api) -> None:
    [cid] = v4.add("contacts", {"name": "Одно Имя", "responsible_user_id": SEED.USER_OPERATOR,
                                "custom_fields_values": [
                                    {"field_code": "EMAIL", "values": [{"value": "a@b.c", "enum_code": "PRIV"}]},
                                    {"field_id": SEED.CF_CONTACT_MULTISELECT, "values": [
                                        {"enum_id": SEED.enum_id(SEED.CF_CONTACT_MULTISELECT, 1)},
                                        {"value": "Option 3"}]},
                                    {"field_id": SEED.CF_CONTACT_ADDRESS, "values": [
                                        {"value": "Тверская 1", "enum_code": "address_line_1"},
                                        {"value": "Москва", "enum_id": 3}]}],
                                "_embedded": {"companies": [{"id": SEED.COMPANY_ACME}]}})
    c = v4.one(f"contacts/{cid}")
    assert (c["name"], c["first_name"], c["last_name"]) == ("Одно Имя", "", "")
    old = v2.one("contacts", cid)
    assert old["company"]["id"] == SEED.COMPANY_ACME and old["responsible_user_id"] == SEED.USER_OPERATOR
    cf = {f["id"]: f["values"] for f in old["custom_fields"]}
    assert cf[SEED.CF_CONTACT_EMAIL] == [{"value": "a@b.c", "enum": str(SEED.EMAIL_ENUMS["PRIV"])}]
    assert [v["subtype"] for v in cf[SEED.CF_CONTACT_ADDRESS]] == ["1", "3"]
    assert len(cf[SEED.CF_CONTACT_MULTISELECT]) == 2
    v4.ok("PATCH", "contacts", [{"id": cid, "first_name": "Анна", "last_name": "Кац"}])
    assert v4.one(f"contacts/{cid}")["name"] == "Анна Кац"
    r = v4.post("contacts", [{"custom_fields_values": [{"field_code": "PHONE", "values": [
        {"value": "1", "enum_code": "PAGER"}]}, {"field_id": SEED.CF_CONTACT_ADDRESS, "values": [{"value": "x"}]}]}])
    assert paths(r) == {("0", "custom_fields_values.0.values.0.enum_code", "NotSupportedChoice"),
                        ("0", "custom_fields_values.1.values.0.enum_code", "NotBlank")}
    v2_ids = v2.add("contacts", {"name": "Через v2", "company_id": SEED.COMPANY_ACME})
    assert v4.one(f"contacts/{v2_ids[0]}")["_embedded"]["companies"][0]["id"] == SEED.COMPANY_ACME


def test_companies_list_filters_and_create(v4: V4, v2: Api) -> None:
    ids = v4.add("companies", {"name": "Альфа", "_embedded": {"contacts": [{"id": SEED.CONTACT_MARIA}],
                                                               "tags": [{"name": "b2b"}]}}, {"name": "Бета"})
    rows = v4.rows("companies", "companies", {"filter[name]": "Альфа"})
    assert [c["id"] for c in rows] == [ids[0]]
    assert v2.one("companies", ids[0])["contacts"]["id"] == [SEED.CONTACT_MARIA]
    assert [c["id"] for c in v4.rows("companies", "companies", {"order[id]": "desc", "limit": "1"})] == [ids[1]]
    v4.ok("PATCH", f"companies/{ids[1]}", {"name": "Бета 2", "tags_to_add": [{"name": "b2b"}]})
    tags = v4.rows("companies/tags", "tags")
    assert {"vip", "b2b"} <= {t["name"] for t in tags}


def test_customers_crud_segments_and_feature_switch(v4: V4, v2: Api, sb: Sandbox) -> None:
    seg = v4.ok("POST", "customers/segments", {"name": "VIP", "color": "ae7cc1"})
    assert seg["customers_count"] == 0
    [cid] = v4.add("customers", {"name": "Покупатель", "next_price": 500, "next_date": 1900000000,
                                 "_embedded": {"segments": [{"id": seg["id"]}], "contacts": [{"id": SEED.CONTACT_MARIA}]}})
    c = v4.one(f"customers/{cid}", {"with": "contacts"})
    assert (c["next_price"], c["ltv"], c["purchases_count"], c["average_check"]) == (500, 0, 0, 0)
    assert c["_embedded"]["segments"][0]["id"] == seg["id"] and c["_embedded"]["contacts"][0]["id"] == SEED.CONTACT_MARIA
    assert v2.one("customers", cid)["next_price"] == 500
    assert v4.one(f"customers/segments/{seg['id']}")["customers_count"] == 1
    v4.ok("PATCH", f"customers/segments/{seg['id']}", {"name": "VIP+", "color": "#10599d"})
    assert v4.one(f"customers/segments/{seg['id']}")["color"] == "10599d"
    other = v4.ok("POST", "customers/segments", [{"name": "Пробный", "color": "ffffff"}])["_embedded"]["segments"][0]
    v4.ok("DELETE", f"customers/segments/{other['id']}", status=204)
    assert v4.get(f"customers/segments/{other['id']}").status == 204
    r = v4.post("customers", [{"_embedded": {"segments": [{"id": 1}]}}])
    assert paths(r) == {("0", "_embedded.segments.0.id", "NotSupportedChoice")}
    problem(v4.get("customers/statuses"), 422)  # statuses need the periodicity mode
    assert v4.ok("PATCH", "customers/mode", {"mode": "periodicity", "is_enabled": True}) == {
        "mode": "periodicity", "is_enabled": True}
    statuses = v4.rows("customers/statuses", "statuses")
    assert {s["type"] for s in statuses} >= {1, 2, 3, 4}
    [sid] = [s["id"] for s in v4.ok("POST", "customers/statuses", [{"name": "Новый", "color": "#fffd7f"}])[
        "_embedded"]["statuses"]]
    v4.ok("PATCH", f"customers/statuses/{sid}", {"name": "Переименован"})
    assert v4.one(f"customers/statuses/{sid}")["name"] == "Переименован"
    v4.ok("PATCH", f"customers/{cid}", {"status_id": sid})
    assert v4.one(f"customers/{cid}")["status_id"] == sid
    problem(v4.delete(f"customers/statuses/{statuses[0]['id']}"), 400)
    v4.ok("DELETE", f"customers/statuses/{sid}", status=204)
    problem(v4.get("customers/segments"), 422)
    problem(v4.patch("customers/mode", {"mode": "dynamic"}), 400)
    v4.ok("PATCH", "customers/mode", {"mode": "segments", "is_enabled": False})
    assert problem(v4.get("customers"), 402)["detail"].startswith("Customers are disabled")
    assert v4.one("account")["customers_mode"] == "disabled"


def test_customers_unavailable_on_the_tariff() -> None:
    with Sandbox(rate_limit=None, customers_mode="unavailable", bonus_points=False) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        problem(v4.get("customers"), 402)
        problem(v4.patch("customers/mode", {"mode": "segments", "is_enabled": True}), 402)
        assert v4.one("account")["customers_mode"] == "unavailable"
    with Sandbox(rate_limit=None, bonus_points=False) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        problem(v4.post(f"customers/{SEED.CUSTOMER_FIRST}/bonus_points", {"earn": 5}), 402)


def test_transactions_and_bonus_points(v4: V4, sb: Sandbox) -> None:
    cid = SEED.CUSTOMER_FIRST
    body = v4.ok("POST", f"customers/{cid}/transactions?accrue_bonus=true", [
        {"price": 1500, "comment": "first", "next_price": 900, "next_date": 1900000000,
         "_embedded": {"catalog_elements": [{"id": SEED.ELEMENT_PEN, "metadata": {"quantity": 2}}]}},
        {"price": 500}])
    tids = [t["id"] for t in body["_embedded"]["transactions"]]
    c = v4.one(f"customers/{cid}")
    assert (c["ltv"], c["purchases_count"], c["average_check"], c["next_price"]) == (2000, 2, 1000, 900)
    assert len(v4.rows(f"customers/{cid}/transactions", "transactions")) == 2
    one = v4.one(f"customers/transactions/{tids[0]}")
    assert one["_embedded"]["catalog_elements"][0]["metadata"]["quantity"] == 2 and one["customer_id"] == cid
    v4.ok("DELETE", f"customers/{cid}/transactions/{tids[1]}", status=204)
    assert [t["id"] for t in v4.rows("customers/transactions", "transactions")] == [tids[0]]
    assert v4.ok("POST", f"customers/{cid}/bonus_points", {"earn": 100}) == {"bonus_points": 120}
    assert v4.ok("POST", f"customers/{cid}/bonus_points", {"redeem": 20}) == {"bonus_points": 100}
    assert paths(v4.post(f"customers/{cid}/bonus_points", {"redeem": 1000})) == {("0", "redeem", "Range")}
    assert paths(v4.post(f"customers/{cid}/bonus_points", {"earn": 1, "redeem": 1})) == {("0", "earn", "NotBlank")}
    assert paths(v4.post(f"customers/{cid}/transactions", [{"comment": "no price"}])) == {("0", "price", "NotBlank")}
    assert any(e["type"] == "transaction_added" for e in sb.entities("events"))


def test_contacts_chats(v4: V4) -> None:
    [linked] = v4.rows("contacts/chats", "chats", {"contact_id": str(SEED.CONTACT_IVAN)})
    assert linked["contact_id"] == SEED.CONTACT_IVAN
    body = v4.ok("POST", "contacts/chats", [{"contact_id": SEED.CONTACT_MARIA, "chat_id": "chat-2", "request_id": "x"}])
    assert body["_embedded"]["chats"][0]["request_id"] == "x"
    assert [c["contact_id"] for c in v4.rows("contacts/chats", "chats", {"chat_id": "chat-2"})] == [SEED.CONTACT_MARIA]
    assert paths(v4.post("contacts/chats", [{"contact_id": 1}])) == {("0", "contact_id", "NotSupportedChoice"),
                                                                     ("0", "chat_id", "NotBlank")}
