"""Account, users, roles, webhooks (and their delivery), widgets, calls, sources, website buttons, talks,
short links, followers/subscriptions, files, chat templates, currencies, catalogs and elements."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import unquote_plus

import pytest

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4, Api, paths, problem


def test_account_with_everything(v4: V4, sb: Sandbox) -> None:
    base = v4.one("account")
    assert base["id"] == SEED.ACCOUNT_ID and base["subdomain"] == sb.subdomain and "_embedded" not in base
    assert base["customers_mode"] == "segments" and base["current_user_id"] == SEED.USER_ADMIN
    full = v4.one("account", {"with": "amojo_id,amojo_rights,users_groups,task_types,version,entity_names,"
                                      "datetime_settings,drive_url,is_api_filter_enabled,invoices_settings,uuid"})
    for key in ("amojo_id", "version", "drive_url", "is_api_filter_enabled", "invoices_settings", "uuid"):
        assert key in full, key
    assert full["drive_url"] == sb.base_url
    emb = full["_embedded"]
    assert set(emb) == {"amojo_rights", "users_groups", "task_types", "entity_names", "datetime_settings"}
    assert [t["id"] for t in emb["task_types"]] == [1, 2, 3]
    assert emb["datetime_settings"]["timezone"] == "Europe/Moscow"


def test_users(v4: V4) -> None:
    body = v4.ok("GET", "users", {"with": "role,group,uuid,amojo_id,user_rank,phone_number"})
    assert (body["_total_items"], body["_page"], body["_page_count"]) == (3, 1, 1)
    admin = body["_embedded"]["users"][0]
    assert admin["rights"]["is_admin"] is True and admin["_embedded"]["groups"][0]["id"] == 0
    assert "user_rank" in admin and "phone_number" in admin
    assert v4.one(f"users/{SEED.USER_OPERATOR}")["rights"]["group_id"] == SEED.GROUP_SUPPORT
    made = v4.ok("POST", "users", [{"name": "Новый Менеджер", "email": "new@example.com", "password": "Secret1",
                                    "lang": "en", "rights": {"leads": {"view": "A", "add": "A"}}}])
    uid = made["_embedded"]["users"][0]["id"]
    assert v4.one(f"users/{uid}")["lang"] == "en"
    r = v4.post("users", [{"name": "x<script>", "email": "new@example.com", "password": "short"},
                          {"name": "ok", "email": "b@c.d", "password": "Secret1", "rights": {"leads": {"add": "M"}}}])
    assert paths(r) == {("0", "name", "InvalidValue"), ("0", "email", "NotSupportedChoice"),
                        ("0", "password", "InvalidValue"), ("1", "rights.leads.add", "NotSupportedChoice")}
    assert paths(v4.post("users", [{"name": "a", "email": "a@a.a", "password": "Secret1"}] * 11)) == {
        ("0", "", "TooMany")}
    assert v4.post("users/deactivate", [{"id": uid}]).status == 204
    assert v4.one(f"users/{uid}")["rights"]["is_active"] is False
    assert v4.post("users/activate", [{"id": uid}]).status == 204
    assert paths(v4.post("users/deactivate", [{"id": SEED.USER_ADMIN}])) == {("0", "id", "NotSupportedChoice")}


def test_roles(v4: V4) -> None:
    body = v4.ok("GET", "roles", {"with": "users"})
    assert body["_total_items"] == 1 and "_page_count" in body
    made = v4.ok("POST", "roles", [{"name": "Стажёр", "rights": {"leads": {"view": "M", "edit": "M", "add": "D",
                                                                           "delete": "D", "export": "D"}}}])
    rid = made["_embedded"]["roles"][0]["id"]
    v4.ok("PATCH", f"roles/{rid}", {"name": "Стажёр 2"})
    assert v4.one(f"roles/{rid}")["name"] == "Стажёр 2"
    v4.ok("DELETE", f"roles/{rid}", status=204)
    assert v4.get(f"roles/{rid}").status == 204
    assert paths(v4.post("roles", [{}])) == {("0", "name", "NotBlank")}


class _Hooks(BaseHTTPRequestHandler):
    bodies: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        data = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).bodies.append(unquote_plus(data.decode()))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str]]]:
    _Hooks.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hooks.bodies
    server.shutdown()
    server.server_close()


def test_webhooks_v4_and_v2_form_delivery(v4: V4, v2: Api, sb: Sandbox, receiver: tuple[str, list[str]]) -> None:
    url, bodies = receiver
    hook = v4.ok("POST", "webhooks", {"destination": url, "settings": ["add_lead", "status_lead"], "sort": 10})
    assert hook["destination"] == url and hook["settings"] == ["add_lead", "status_lead"] and hook["disabled"] is False
    listed = v4.ok("GET", "webhooks", {"filter[destination]": url})
    assert listed["_total_items"] == 1 and "_page" not in listed
    assert [h["url"] for h in v2.items("/api/v2/webhooks")] == [url]
    v4.ok("POST", "webhooks", {"destination": url, "settings": ["add_lead"]})
    assert v4.ok("GET", "webhooks")["_embedded"]["webhooks"][0]["settings"] == ["add_lead"]
    [lid] = v4.add("leads", {"name": "Хук", "price": 5})
    deadline = time.monotonic() + 5
    # the receiver sees the body before the sandbox records the delivery as done: wait for both
    while not (bodies and sb.deliveries()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert bodies and f"leads[add][0][id]={lid}" in bodies[0] and "leads[add][0][price]=5" in bodies[0]
    assert sb.deliveries()[0]["ok"] is True
    assert paths(v4.post("webhooks", {"destination": "ftp://x", "settings": ["nope"]})) == {
        ("0", "destination", "InvalidValue"), ("0", "settings.0", "NotSupportedChoice")}
    assert v4.delete("webhooks", {"destination": url}).status == 204
    assert v4.get("webhooks").status == 204
    assert paths(v4.delete("webhooks", {"destination": url})) == {("0", "destination", "NotSupportedChoice")}


def test_widgets_and_bot_continue(v4: V4) -> None:
    [w] = v4.rows("widgets", "widgets")
    assert w["code"] == "amo_sandbox_widget" and w["is_active_in_account"] is True
    v4.ok("DELETE", f"widgets/{w['code']}", status=204)
    assert v4.one(f"widgets/{w['code']}")["is_active_in_account"] is False
    installed = v4.ok("POST", f"widgets/{w['code']}", {"token": "abc"})
    assert installed["settings"] == {"token": "abc"}
    problem(v4.post("widgets/unknown", {}), 404)
    r = v4.post("salesbot/1/continue/2", {"data": {"status": "ok"}, "execute_handlers": []})
    assert r.status == 202 and r.data == b""


def test_calls_match_by_phone(v4: V4) -> None:
    body = v4.ok("POST", "calls", [
        {"direction": "inbound", "duration": 30, "source": "pbx", "phone": "8 (999) 000-00-01", "call_status": 4,
         "request_id": "c1"},
        {"direction": "outbound", "duration": 5, "source": "pbx", "phone": "+7 495 000-00-00"},
        {"direction": "outbound", "duration": 5, "source": "pbx", "phone": "+1 555 0100"}])
    calls = body["_embedded"]["calls"]
    # Ivan has one open lead and a customer: the call stays on his card; ACME has one open lead only
    assert calls[0]["entity_type"] == "contacts" and calls[0]["entity_id"] == SEED.CONTACT_IVAN
    assert calls[0]["request_id"] == "c1"
    assert calls[1]["entity_type"] == "leads" and calls[1]["entity_id"] == SEED.LEAD_FIRST
    assert body["_total_items"] == 2 and body["errors"][0]["request_id"] == "2"
    notes = v4.rows(f"contacts/{SEED.CONTACT_IVAN}/notes", "notes", {"filter[note_type][]": "call_in"})
    assert notes[0]["params"]["duration"] == 30
    assert v4.rows(f"leads/{SEED.LEAD_FIRST}/notes", "notes", {"filter[note_type][]": "call_out"})
    assert paths(v4.post("calls", [{"direction": "sideways", "duration": "x", "phone": ""}])) == {
        ("0", "direction", "NotSupportedChoice"), ("0", "duration", "InvalidType"), ("0", "source", "NotBlank"),
        ("0", "phone", "NotBlank")}


def test_sources_and_website_buttons(v4: V4) -> None:
    body = v4.ok("POST", "sources", [{"name": "Сайт", "external_id": "site-1", "pipeline_id": SEED.PIPELINE_MAIN}])
    sid = body["_embedded"]["sources"][0]["id"]
    listed = v4.ok("GET", "sources", {"filter[external_id]": "site-1"})
    assert listed["_total_items"] == 1
    v4.ok("PATCH", f"sources/{sid}", {"name": "Сайт 2"})
    v4.ok("PATCH", "sources", [{"id": sid, "default": True}])
    assert v4.one(f"sources/{sid}")["default"] is True
    [lid] = v4.add("leads", {"name": "из источника", "_embedded": {"source": {"external_id": "site-1", "type": "widget"}}})
    lead = v4.one(f"leads/{lid}", {"with": "source,source_id"})
    assert lead["source_id"] == sid and lead["_embedded"]["source"] == {"id": sid, "name": "Сайт 2"}
    assert paths(v4.post("sources", [{"name": "dup", "external_id": "site-1"}])) == {
        ("0", "external_id", "NotSupportedChoice")}
    assert v4.delete("sources", [{"id": sid}]).status == 204
    assert v4.get("sources").status == 204
    again = v4.ok("POST", "sources", [{"name": "Снова", "external_id": "site-1"}])
    assert again["_embedded"]["sources"][0]["id"] == sid  # a deleted external_id comes back with its old id
    v4.ok("DELETE", f"sources/{sid}", status=204)
    button = v4.ok("POST", "website_buttons", {"pipeline_id": SEED.PIPELINE_MAIN, "trusted_websites": ["a.ru"]})
    bid = button["source_id"]
    v4.ok("PATCH", f"website_buttons/{bid}", {"trusted_websites": {"add": ["b.ru"]}})
    got = v4.one(f"website_buttons/{bid}", {"with": "scripts"})
    assert got["trusted_websites"] == ["a.ru", "b.ru"] and "script" in got and got["creation_status"] == "created"
    assert v4.post(f"website_buttons/{bid}/online_chat", None).status == 204
    assert len(v4.rows("website_buttons", "website_buttons")) == 1
    assert paths(v4.post("website_buttons", {"trusted_websites": "a.ru"})) == {
        ("0", "pipeline_id", "NotBlank"), ("0", "trusted_websites", "InvalidType")}


def test_talks_short_links_followers(v4: V4) -> None:
    talk = v4.one("talks/101")
    assert talk["talk_id"] == 101 and talk["_embedded"]["leads"][0]["id"] == SEED.LEAD_FIRST
    assert v4.post("talks/101/close", {"force_close": True}).status == 204
    assert v4.one("talks/101")["status"] == "closed"
    assert v4.get("talks/5").status == 204
    body = v4.ok("POST", "short_links", [{"url": "https://example.com/offer",
                                          "metadata": {"entity_type": "contacts", "entity_id": SEED.CONTACT_IVAN}}])
    link = body["_embedded"]["short_links"][0]
    assert link["url"].startswith(v4.base_url) and link["metadata"]["entity_id"] == SEED.CONTACT_IVAN
    assert paths(v4.post("short_links", [{"url": "x", "metadata": {"entity_type": "leads", "entity_id": 1}}])) == {
        ("0", "url", "InvalidValue"), ("0", "metadata.entity_type", "NotSupportedChoice"),
        ("0", "metadata.entity_id", "NotSupportedChoice")}
    followed = v4.ok("POST", f"leads/{SEED.LEAD_FIRST}/followers", [{"user_id": SEED.USER_MANAGER}])
    assert followed["_embedded"]["followers"][0]["user_id"] == SEED.USER_MANAGER
    assert v4.ok("GET", f"leads/{SEED.LEAD_FIRST}/followers")["_total_items"] == 1
    assert v4.rows(f"leads/{SEED.LEAD_FIRST}/subscriptions", "subscriptions") == [
        {"subscriber_id": SEED.USER_MANAGER, "type": "user"}]
    assert v4.delete(f"leads/{SEED.LEAD_FIRST}/followers", [{"user_id": SEED.USER_MANAGER}]).status == 204
    assert v4.get(f"leads/{SEED.LEAD_FIRST}/subscriptions").status == 204


def test_files_drive_and_entity_files(v4: V4) -> None:
    content = b"x" * (600 * 1024 + 10)
    session = v4.ok("POST", "/v1.0/sessions", {"file_name": "big.pdf", "file_size": len(content),
                                               "content_type": "application/pdf"})
    url, size = session["upload_url"], session["max_part_size"]
    assert url.startswith(v4.base_url)
    part = v4.http.request("POST", url, body=content[:size], headers=v4.headers({"Content-Type": "application/pdf"}))
    nxt = part.json()["next_url"]
    done = v4.http.request("POST", nxt, body=content[size:], headers=v4.headers({"Content-Type": "application/pdf"}))
    f = done.json()
    assert f["name"] == "big.pdf" and f["size"] == len(content) and f["type"] == "document"
    uid = f["uuid"]
    assert v4.one(f"/v1.0/files/{uid}")["metadata"]["extension"] == "pdf"
    assert v4.get(f"/v1.0/download/{uid}").data == content
    v4.ok("PATCH", f"/v1.0/files/{uid}", {"name": "renamed.pdf"})
    assert [x["name"] for x in v4.rows("/v1.0/files", "files", {"filter[extensions][]": "pdf"})] == ["renamed.pdf"]
    assert len(v4.ok("GET", f"/v1.0/files/{uid}/versions")["_embedded"]["versions"]) == 1
    attached = v4.ok("PUT", f"leads/{SEED.LEAD_FIRST}/files", [{"file_uuid": uid}])
    assert attached["_embedded"]["files"] == [{"file_uuid": uid}]
    assert [x["file_uuid"] for x in v4.rows(f"leads/{SEED.LEAD_FIRST}/files", "files")] == [uid]
    assert v4.rows(f"files/{uid}/links", "links") == [{"entity_id": SEED.LEAD_FIRST, "entity_type": "leads",
                                                       "file_uuid": uid}]
    assert v4.delete(f"leads/{SEED.LEAD_FIRST}/files", [{"file_uuid": uid}]).status == 204
    assert v4.get(f"leads/{SEED.LEAD_FIRST}/files").status == 204
    assert v4.delete("/v1.0/files", [{"uuid": uid}]).status == 204
    assert v4.get("/v1.0/files").status == 204
    assert v4.rows("/v1.0/files", "files", {"with": "deleted"})[0]["is_trashed"] is True
    v4.ok("POST", "/v1.0/files/restore", [{"uuid": uid}])
    assert len(v4.rows("/v1.0/files", "files")) == 1
    assert paths(v4.put(f"leads/{SEED.LEAD_FIRST}/files", [{"file_uuid": "nope"}])) == {
        ("0", "file_uuid", "NotSupportedChoice")}
    problem(v4.get("/v1.0/nothing"), 404)


def test_chat_templates_and_currencies(v4: V4) -> None:
    body = v4.ok("POST", "chats/templates", [
        {"name": "Привет", "content": "Здравствуйте!", "external_id": "t-1",
         "buttons": [{"type": "url", "text": "Сайт", "url": "https://example.com"}]},
        {"name": "WABA", "content": "Hi {{1}}", "type": "waba", "waba_category": "UTILITY", "waba_language": "en"}])
    first, waba = (t["id"] for t in body["_embedded"]["chat_templates"])
    assert [t["id"] for t in v4.rows("chats/templates", "chat_templates", {"filter[external_id]": "t-1"})] == [first]
    v4.ok("PATCH", f"chats/templates/{first}", {"content": "Добрый день!"})
    v4.ok("PATCH", "chats/templates", [{"id": first, "name": "Привет 2"}])
    assert v4.one(f"chats/templates/{first}")["content"] == "Добрый день!"
    review = v4.ok("POST", f"chats/templates/{waba}/review", None)["_embedded"]["reviews"][0]
    assert review["status"] == "review"
    assert v4.ok("POST", f"chats/templates/{waba}/review/{review['id']}", {"status": "approved"})["status"] == "approved"
    assert v4.one(f"chats/templates/{waba}", {"with": "reviews"})["_embedded"]["reviews"][0]["status"] == "approved"
    problem(v4.post(f"chats/templates/{first}/review", None), 400)
    v4.ok("DELETE", f"chats/templates/{first}", status=204)
    assert v4.delete("chats/templates", [{"id": waba}]).status == 204
    assert v4.get("chats/templates").status == 204
    assert paths(v4.post("chats/templates", [{"name": "x", "buttons": [{"type": "call"}]}])) == {
        ("0", "content", "NotBlank"), ("0", "buttons.0", "NotSupportedChoice")}
    assert [c["code"] for c in v4.rows("currencies", "currencies")][:3] == ["RUB", "USD", "EUR"]


def test_catalogs_and_elements(v4: V4, v2: Api) -> None:
    [cat] = v4.rows("catalogs", "catalogs")
    assert cat["id"] == SEED.CATALOG_PRODUCTS and cat["type"] == "regular"
    made = v4.ok("POST", "catalogs", [{"name": "Услуги", "can_link_multiple": False}])["_embedded"]["catalogs"][0]
    cid = made["id"]
    assert v2.one("catalogs", cid)["name"] == "Услуги"
    v4.ok("PATCH", f"catalogs/{cid}", {"name": "Услуги 2", "sort": 3})
    v4.ok("PATCH", "catalogs", [{"id": cid, "can_show_in_cards": True}])
    assert v4.one(f"catalogs/{cid}")["can_show_in_cards"] is True
    elements = v4.rows(f"catalogs/{SEED.CATALOG_PRODUCTS}/elements", "elements")
    assert [e["name"] for e in elements] == ["Ручка", "Карандаш"]
    sku = elements[0]["custom_fields_values"][0]
    assert sku["field_code"] == "SKU" and sku["values"] == [{"value": "P-1"}]
    body = v4.ok("POST", f"catalogs/{SEED.CATALOG_PRODUCTS}/elements", [{"name": "Ластик", "custom_fields_values": [
        {"field_code": "PRICE", "values": [{"value": 15}]}]}])
    eid = body["_embedded"]["elements"][0]["id"]
    assert v2.one("catalog_elements", eid, catalog_id=SEED.CATALOG_PRODUCTS)["custom_fields"][0]["values"] == [
        {"value": "15"}]
    v4.ok("PATCH", f"catalogs/{SEED.CATALOG_PRODUCTS}/elements/{eid}", {"name": "Ластик белый"})
    v4.ok("PATCH", f"catalogs/{SEED.CATALOG_PRODUCTS}/elements", [{"id": eid, "name": "Ластик серый"}])
    assert [e["id"] for e in v4.rows(f"catalogs/{SEED.CATALOG_PRODUCTS}/elements", "elements",
                                     {"query": "ласт"})] == [eid]
    assert [e["id"] for e in v4.rows(f"catalogs/{SEED.CATALOG_PRODUCTS}/elements", "elements",
                                     {"id": str(SEED.ELEMENT_PEN)})] == [SEED.ELEMENT_PEN]
    one = v4.one(f"catalogs/{SEED.CATALOG_PRODUCTS}/elements/{eid}", {"with": "invoice_link"})
    assert one["name"] == "Ластик серый" and "invoice_link" in one
    assert paths(v4.post(f"catalogs/{SEED.CATALOG_PRODUCTS}/elements", [{"custom_fields_values": [
        {"field_id": SEED.CF_LEAD_TEXT, "values": [{"value": 1}]}]}])) == {
        ("0", "name", "NotBlank"), ("0", "custom_fields_values.0.field_id", "NotSupportedChoice")}
    v4.ok("DELETE", f"catalogs/{cid}", status=204)
    assert v4.get(f"catalogs/{cid}").status == 204
    assert v4.delete(f"catalogs/{SEED.CATALOG_PRODUCTS}/elements/{eid}").status == 405
    assert v4.ok("GET", "catalogs/products/settings") == {"is_enabled": True}
    assert v4.ok("PATCH", "catalogs/products/settings", {"is_enabled": False}) == {"is_enabled": False}
    problem(v4.get("catalogs", {"type": "weird"}), 400)
