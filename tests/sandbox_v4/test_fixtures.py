"""Vendored API v4 bodies (``tests/fixtures/v4``, see its PROVENANCE.md): the sandbox answers each
response's request with the same keys and value types, and accepts each request body."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v4"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number" if isinstance(value, float) else "int"
    return {str: "str", list: "list", dict: "object"}[type(value)]


def _merge(values: list[Any]) -> Any:
    """One shape for all items of a list: dict keys united, scalar types collected."""
    dicts = [v for v in values if isinstance(v, dict)]
    if dicts:
        keys: dict[str, list[Any]] = {}
        for d in dicts:
            for k, v in d.items():
                keys.setdefault(k, []).append(v)
        return {k: _merge(vs) for k, vs in keys.items()}
    lists = [v for v in values if isinstance(v, list)]
    if lists:
        return [_merge([x for lst in lists for x in lst])] if any(lists) else []
    return {_type(v) for v in values}


def shape(value: Any) -> Any:
    return _merge([value])


def assert_same_shape(expected: Any, actual: Any, path: str = "$", extra_ok: frozenset[str] = frozenset(),
                      renamed: dict[str, str] | None = None) -> None:
    """Every key of ``expected`` is in ``actual`` with the same value types, and no more keys.

    An empty list matches a list of anything (the fixture or the sandbox had no items there);
    ``extra_ok`` names keys the sandbox may add (documented fields a fixture left out);
    ``renamed`` maps a fixture key to the sandbox's name for it (a peer fixture's artefact).
    """
    renamed = renamed or {}
    if isinstance(expected, dict):
        assert isinstance(actual, dict), (path, actual)
        want = {renamed.get(k, k) for k in expected}
        extra = set(actual) - want - extra_ok
        missing = want - set(actual)
        assert not missing and not extra, (path, "missing", sorted(missing), "extra", sorted(extra))
        for k, v in expected.items():
            assert_same_shape(v, actual[renamed.get(k, k)], f"{path}.{k}", extra_ok, renamed)
    elif isinstance(expected, list):
        assert isinstance(actual, list), (path, actual)
        if expected and actual:
            assert_same_shape(expected[0], actual[0], f"{path}[]", extra_ok, renamed)
    else:
        assert expected <= actual or ("int" in expected and "number" in actual), (path, expected, actual)


def check(fixture: str, actual: Any, extra_ok: frozenset[str] = frozenset(), renamed: dict[str, str] | None = None
          ) -> None:
    assert_same_shape(shape(load(fixture)), shape(actual), extra_ok=extra_ok, renamed=renamed)


@pytest.fixture(scope="module")
def box() -> Any:
    with Sandbox(rate_limit=None, duplicate_control=True) as sb:
        yield sb


@pytest.fixture
def api(box: Sandbox) -> V4:
    box.reset()
    return V4(box.base_url, box.issue_tokens()["access_token"])


def test_leads_list_observed(api: V4) -> None:
    api.add("leads", {"name": "Разработка", "price": 0}, {"name": "Сделка 1", "price": 2000,
                                                          "_embedded": {"companies": [{"id": SEED.COMPANY_ACME}]}})
    r = api.get("leads", {"page": "1", "limit": "250"})
    body = r.json()
    for lead in body["_embedded"]["leads"]:
        assert lead["_links"]["self"]["href"].endswith("?page=1&limit=250")
    check("leads_list_response_observed.json", {**body, "_embedded": {"leads": body["_embedded"]["leads"][2:]}})


def test_contact_get_peer(api: V4) -> None:
    body = api.one(f"contacts/{SEED.CONTACT_IVAN}", {"with": "leads,customers,catalog_elements"})
    body["custom_fields_values"] = body["custom_fields_values"][:1]
    check("contact_get_response_peer.json", body, extra_ok=frozenset({"is_deleted", "is_unsorted"}),
          renamed={"enum": "enum_code"})


def test_contacts_list_with_next_peer(api: V4) -> None:
    api.add("contacts", {"name": "1"}, {"name": "dsgdsg"}, {"name": "third"})
    body = api.ok("GET", "contacts", {"limit": "2", "page": "2", "order[id]": "asc"})
    assert "next" in body["_links"]
    check("contacts_list_page1_with_next_peer.json", {**body, "_links": {k: v for k, v in body["_links"].items()
                                                                         if k != "prev"}},
          extra_ok=frozenset({"is_deleted", "is_unsorted"}))


def test_custom_field_create_201() -> None:
    with Sandbox(rate_limit=None, v4_cf_create="object") as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        r = v4.post("leads/custom_fields", [{"name": "Client Type", "type": "select", "sort": 500, "enums": [
            {"value": "New", "sort": 500}, {"value": "Regular", "sort": 500}, {"value": "VIP", "sort": 500}]}])
        assert r.status == 201
        check("custom_field_create_201_response_doc.json", r.json())


def test_customers_mode_request_and_response(api: V4) -> None:
    body = api.ok("PATCH", "customers/mode", load("customers_mode_request_doc.json"))
    check("customers_mode_response_doc.json", body)
    assert body == load("customers_mode_response_doc.json")


def test_leads_add_request(api: V4, box: Sandbox) -> None:
    body = api.ok("POST", "leads", load("leads_add_request_doc.json"))
    assert [row["request_id"] for row in body["_embedded"]["leads"]] == ["0", "1"]
    made = {r["name"]: r for r in box.entities("leads")}
    assert made["Сделка для примера 1"]["sale"] == 20000 and made["Сделка для примера 1"]["created_by"] == 0


def test_complex_responses(api: V4) -> None:
    item = {"name": "Комплексная", "request_id": "1", "_embedded": {
        "contacts": [{"first_name": "Иван", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+79000000099", "enum_code": "WORK"}]}]}],
        "companies": [{"name": "ООО Комплекс"}]}}
    first = api.ok("POST", "leads/complex", [item])
    check("leads_complex_response_doc.json", first)
    merged = api.ok("POST", "leads/complex", [{**item, "request_id": "2"}])
    check("leads_complex_response_merged_doc.json", merged)
    assert merged[0]["merged"] is True and merged[0]["id"] == first[0]["id"]
    custom = api.ok("POST", "leads/complex", [{"name": "Другая", "request_id": "qweasd", "_embedded": {
        "contacts": [{"name": "Другой"}], "companies": [{"name": "Другая компания"}]}}])
    check("leads_complex_response_custom_request_id_test_fixture.json", custom)
    assert custom[0]["request_id"] == ["qweasd"]


def test_complex_validation_error(api: V4) -> None:
    r = api.post("leads/complex", [{"name": "x", "request_id": "qweasd",
                                    "_embedded": {"contacts": [{"responsible_user_id": "someone"}]}}])
    assert r.status == 400 and r.headers["Content-Type"].startswith("application/problem+json")
    check("leads_complex_validation_error_400_test_fixture.json", r.json())
    assert r.json() == load("leads_complex_validation_error_400_test_fixture.json")


def test_validation_error_doc(api: V4) -> None:
    r = api.post("leads", [{"custom_fields_values": [{"field_id": 1, "values": [{"value": "x"}]}]}])
    assert r.json() == load("validation_error_400_doc.json")


def test_leads_link_response(api: V4) -> None:
    body = api.ok("POST", "leads/link", [
        {"entity_id": SEED.LEAD_SECOND, "to_entity_id": SEED.CONTACT_MARIA, "to_entity_type": "contacts"},
        {"entity_id": SEED.LEAD_SECOND, "to_entity_id": SEED.COMPANY_ACME, "to_entity_type": "companies"}])
    check("leads_link_response_test_fixture.json", body)


def test_tasks_add_and_get(api: V4) -> None:
    body = api.ok("POST", "tasks", [{"text": "Назначить встречу с клиентом", "complete_till": 1575910423,
                                     "entity_id": SEED.LEAD_FIRST, "entity_type": "leads", "task_type_id": 2}])
    check("tasks_add_response_test_fixture.json", body)
    tid = body["_embedded"]["tasks"][0]["id"]
    api.ok("PATCH", f"tasks/{tid}", {"is_completed": True, "result": {"text": "Результат есть"}})
    check("task_get_response_doc.json", api.one(f"tasks/{tid}"))


def test_users_list(api: V4) -> None:
    body = api.ok("GET", "users", {"with": "role,group"})
    user = next(u for u in body["_embedded"]["users"] if u["id"] == SEED.USER_MANAGER)
    user.pop("_embedded")  # the excerpt cut the user's embedded roles and groups
    check("users_list_response_doc_excerpt.json", {**body, "_embedded": {"users": [user]}})


def test_webhooks_list(api: V4) -> None:
    api.ok("POST", "webhooks", {"destination": "https://webhook-uri.com", "settings": ["add_task"]})
    check("webhooks_list_response_doc_excerpt.json", api.ok("GET", "webhooks"))


def test_pipelines_add_request(api: V4) -> None:
    body = api.ok("POST", "leads/pipelines", load("pipelines_add_request_doc.json"))
    [pipeline] = body["_embedded"]["pipelines"]
    assert pipeline["request_id"] == "123"
    names = {s["id"]: s["name"] for s in pipeline["_embedded"]["statuses"]}
    assert names[142] == "Мое название для успешных сделок"


def test_unsorted_sip_add_request(api: V4) -> None:
    body = api.ok("POST", "leads/unsorted/sip", load("unsorted_sip_add_request_doc.json"))
    [item] = body["_embedded"]["unsorted"]
    lead = api.one(f"leads/{item['_embedded']['leads'][0]['id']}")
    assert lead["name"] == "Тех обслуживание" and lead["price"] == 5000


def test_unsorted_link_request(api: V4) -> None:
    api.ok("POST", "leads/complex", [{"name": "чат", "_embedded": {"contacts": [{"name": "Гость"}], "metadata": {
        "category": "chats", "from": "Гость", "received_at": int(time.time()), "service": "tg",
        "client": {"name": "Гость"}, "origin": {"chat_id": "c"}}}}])
    [item] = api.rows("leads/unsorted", "unsorted")
    request = load("unsorted_link_request_doc.json")
    request["link"]["entity_id"] = SEED.LEAD_FIRST  # 123 is a placeholder in the source
    body = api.ok("POST", f"leads/unsorted/{item['uid']}/link", request)
    assert body["_embedded"]["leads"][0]["id"] == SEED.LEAD_FIRST


def test_notes_params_by_type(api: V4, box: Sandbox) -> None:
    items = []
    for types, example in load("notes_params_by_type_doc.json").items():
        for note_type in types.split("/"):
            items.append({"entity_id": SEED.LEAD_FIRST, "note_type": note_type, **example})
    body = api.ok("POST", "leads/notes", items)
    assert len(body["_embedded"]["notes"]) == len(items) == 9
    listed = {n["note_type"]: n["params"] for n in api.rows(f"leads/{SEED.LEAD_FIRST}/notes", "notes")}
    assert listed["geolocation"]["latitude"] == "32" and listed["call_in"]["duration"] == 60


def test_oauth_requests_and_responses(box: Sandbox) -> None:
    http = urllib3.PoolManager(retries=False)

    def token(body: dict[str, Any]) -> urllib3.BaseHTTPResponse:
        return http.request("POST", box.base_url + "/oauth2/access_token", body=json.dumps(body),
                            headers={"Content-Type": "application/json"})

    creds = {"client_id": box.client_id, "client_secret": box.client_secret, "redirect_uri": box.redirect_uri}
    by_code = load("oauth_access_token_request_code_doc.json")
    r = token({**by_code, **creds, "code": box.mint_code()})
    assert r.status == 200
    check("oauth_access_token_response_test_fixture.json", r.json(), extra_ok=frozenset({"server_time"}))
    by_refresh = load("oauth_access_token_request_refresh_doc.json")
    r2 = token({**by_refresh, **creds, "refresh_token": r.json()["refresh_token"]})
    assert r2.status == 200
    check("oauth_access_token_response_test_fixture.json", r2.json(), extra_ok=frozenset({"server_time"}))
    assert token({**by_code, **creds, "code": "garbage"}).json() == load("oauth_error_cannot_decrypt_code_observed.json")
    assert token({**by_refresh, **creds}).json() == load("oauth_error_invalid_refresh_token_observed.json")


def test_oauth_code_expired_observed() -> None:
    with Sandbox(rate_limit=None, code_lifetime=0.1) as sb:
        code = sb.mint_code()
        time.sleep(0.2)
        r = urllib3.request("POST", sb.base_url + "/oauth2/access_token", body=json.dumps({
            "client_id": sb.client_id, "client_secret": sb.client_secret, "grant_type": "authorization_code",
            "code": code, "redirect_uri": sb.redirect_uri}), headers={"Content-Type": "application/json"})
        assert r.json() == load("oauth_error_code_expired_observed.json")


def test_every_fixture_is_covered() -> None:
    names = {p.name for p in FIXTURES.glob("*.json")}
    source = Path(__file__).read_text(encoding="utf-8")
    assert {n for n in names if f'"{n}"' not in source} == set()
    provenance = (FIXTURES / "PROVENANCE.md").read_text(encoding="utf-8")
    assert {n for n in names if f"`{n}`" not in provenance} == set()
