"""Front-end AJAX endpoints: lists, soft delete, catalog delete, 404 pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import urllib3

from amocrm.sandbox import SEED, Sandbox

from .conftest import Api

XHR = {"X-Requested-With": "XMLHttpRequest", "Content-Type": "application/x-www-form-urlencoded"}


def _ajax(api: Api, path: str, form: dict[str, Any] | str, headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
    body = form if isinstance(form, str) else urlencode(form, doseq=True)
    return api.http.request("POST", api.base_url + path, body=body, headers=api.headers(headers or XHR))


def test_contacts_list_shape(api: Api) -> None:
    for path in ("/ajax/contacts/list", "/ajax/contacts/list/"):
        r = _ajax(api, path, {"useFilter": "y", "element_type": 1, "json": 1, "page": 1})
        assert r.status == 200, path
        resp = r.json()["response"]
        assert resp["url"] == "/contacts/list/contacts/"
        assert resp["summary"]["persons_count"] == 2 and resp["summary"]["companies_count"] == 1
        ivan = next(i for i in resp["items"] if i["id"] == SEED.CONTACT_IVAN)
        assert ivan["entity"] == "contact" and ivan["name"]["text"] == "Иван Петров"
        assert ivan["company_name"]["name"] == "ООО Акме" and ivan["tags"] == {"items": []}
        phone = next(c for c in ivan["custom_fields"] if c["id"] == str(SEED.CF_CONTACT_PHONE))
        assert phone["values"][0]["enum"] == str(SEED.PHONE_ENUMS["MOB"])


def test_contacts_list_cf_date_filter(api: Api) -> None:
    api.add("contacts", {"name": "Born", "custom_fields": [{"id": SEED.CF_CONTACT_DATE,
                                                             "values": [{"value": "2022-03-30"}]}]})
    form = f"filter%5Bcf%5D%5B{SEED.CF_CONTACT_DATE}%5D%5Bfrom%5D=30.03.2022&" \
           f"filter%5Bcf%5D%5B{SEED.CF_CONTACT_DATE}%5D%5Bto%5D=30.03.2022&useFilter=y&json=1&page=1"
    resp = _ajax(api, "/ajax/contacts/list/contacts/", form).json()["response"]
    assert [i["name"]["text"] for i in resp["items"]] == ["Born"]


def test_only_count(api: Api) -> None:
    r = api.get("/ajax/contacts/list/contacts/", {"only_count": "Y", "skip_filter": "Y"})
    assert r.json() == {"count": 2}


def test_leads_list_summary(api: Api) -> None:
    resp = _ajax(api, "/ajax/leads/list/", {"json": 1}).json()["response"]
    assert resp["summary"]["count"] == 2 and resp["summary"]["price"] == 6000


def test_multiple_delete_is_soft(api: Api, sb: Sandbox) -> None:
    r = _ajax(api, "/ajax/leads/multiple/delete/", {"ID[]": [SEED.LEAD_SECOND]})
    assert r.json() == {"status": "success", "message": "Удаление прошло успешно для 1 сделки"}
    assert api.get("/api/v2/leads", {"id": SEED.LEAD_SECOND}).status == 204
    deleted = api.items("/api/v2/leads", {"with": "only_deleted"})
    assert [d["id"] for d in deleted] == [SEED.LEAD_SECOND] and deleted[0]["is_deleted"] is True
    assert next(e for e in sb.entities("leads") if e["id"] == SEED.LEAD_SECOND)["is_deleted"] is True
    _ajax(api, "/ajax/contacts/multiple/delete/", {"ID[]": [SEED.CONTACT_MARIA]})
    assert api.get("/api/v2/contacts", {"id": SEED.CONTACT_MARIA}).status == 204


def test_catalog_delete_via_ajax_v1(api: Api, sb: Sandbox) -> None:
    r = _ajax(api, "/ajax/v1/catalogs/set/", f"request%5Bcatalogs%5D%5Bdelete%5D={SEED.CATALOG_PRODUCTS}")
    assert r.json()["response"]["catalogs"]["delete"]["catalogs"][str(SEED.CATALOG_PRODUCTS)]["name"] == "Товары"
    assert sb.entities("catalog_elements") == []
    bad = _ajax(api, "/ajax/v1/catalogs/set/", "x=1")
    assert bad.status == 400 and bad.json()["response"]["error_code"] == "222"


def test_ajax_requires_xhr_form_and_known_route(api: Api, anon: Api) -> None:
    no_xhr = _ajax(api, "/ajax/contacts/list/", {"json": 1}, {"Content-Type": "application/x-www-form-urlencoded"})
    assert no_xhr.status == 404 and no_xhr.headers["Content-Type"].startswith("text/html")
    as_json = _ajax(api, "/ajax/contacts/list/", "{}", {**XHR, "Content-Type": "application/json"})
    assert as_json.status == 400 and as_json.json()["response"]["error_code"] == "222"
    unknown = _ajax(api, "/ajax/nothing/here/", {"a": 1})
    assert unknown.status == 404 and b"<html>" in unknown.data
    assert _ajax(anon, "/ajax/contacts/list/", {"json": 1}).status == 401
