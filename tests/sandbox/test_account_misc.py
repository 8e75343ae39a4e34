"""Account metadata, pipelines, webhooks, widgets and incoming (unsorted) leads."""

from __future__ import annotations

import time
from typing import Any

from amocrm.sandbox import SEED, Sandbox

from .conftest import Api


def test_account_with_everything(api: Api) -> None:
    r = api.get("/api/v2/account", {"with": "custom_fields,users,pipelines,groups,note_types,task_types"})
    assert r.status == 200
    acc = r.json()
    assert acc["id"] == SEED.ACCOUNT_ID and acc["current_user"] == SEED.USER_ADMIN
    emb = acc["_embedded"]
    assert set(emb["users"]) == {str(u) for u in SEED.USERS}
    assert emb["users"][str(SEED.USER_ADMIN)]["rights"]["lead_add"] == "A"
    contacts_cf = emb["custom_fields"]["contacts"]
    phone = contacts_cf[str(SEED.CF_CONTACT_PHONE)]
    assert phone["code"] == "PHONE" and phone["field_type"] == 8 and phone["is_system"] is True
    assert phone["enums"][str(SEED.PHONE_ENUMS["MOB"])] == "MOB"
    assert contacts_cf[str(SEED.CF_CONTACT_ADDRESS)]["field_type"] == 13
    assert contacts_cf[str(SEED.CF_CONTACT_MULTISELECT)]["field_type"] == 5
    assert contacts_cf[str(SEED.CF_CONTACT_DATE)]["field_type"] == 6
    for kind in ("leads", "companies", "customers"):
        assert emb["custom_fields"][kind]
    assert str(SEED.CATALOG_PRODUCTS) in emb["custom_fields"]["catalogs"]
    main = emb["pipelines"][str(SEED.PIPELINE_MAIN)]
    assert main["statuses"]["142"]["editable"] == "N" and main["statuses"]["143"]["sort"] == 11000
    assert emb["note_types"]["4"]["code"] == "COMMON" and emb["task_types"]["1"]["id"] == 1
    assert emb["groups"][str(SEED.GROUP_SUPPORT)]["name"]
    plain = api.get("/api/v2/account").json()
    assert "_embedded" not in plain


def test_pipelines_keyed_by_id(api: Api) -> None:
    body = api.get("/api/v2/pipelines").json()
    items = body["_embedded"]["items"]
    assert isinstance(items, dict) and set(items) == {str(SEED.PIPELINE_MAIN), str(SEED.PIPELINE_SECOND)}
    st = items[str(SEED.PIPELINE_SECOND)]["statuses"]
    assert st["142"]["is_editable"] is False and st["142"]["color"] == "#CCFF66"
    assert str(SEED.STATUS_SECOND_INCOMING) in st
    one = api.get("/api/v2/pipelines", {"id": SEED.PIPELINE_MAIN}).json()["_embedded"]["items"]
    assert list(one) == [str(SEED.PIPELINE_MAIN)]
    assert api.get("/api/v2/pipelines", {"id": 1}).status == 204


def test_webhooks(api: Api, sb: Sandbox) -> None:
    assert api.get("/api/v2/webhooks").status == 204
    r = api.post("/api/v2/webhooks/subscribe", {"subscribe": [
        {"url": "https://example.com/hook", "events": ["add_lead", "update_contact"]},
        {"url": "ftp://nope", "events": ["add_lead"]},
        {"url": "https://example.com/x", "events": ["no_such_event"]}]})
    assert r.status == 200
    assert [i["result"] for i in r.json()["_embedded"]["items"]] == [True, False, False]
    [hook] = api.items("/api/v2/webhooks")
    assert hook["url"] == "https://example.com/hook" and hook["events"] == ["add_lead", "update_contact"]
    r = api.post("/api/v2/webhooks/unsubscribe", {"unsubscribe": [{"url": "https://example.com/hook",
                                                                   "events": ["add_lead"]}]})
    assert r.json()["_embedded"]["items"] == [{"url": "https://example.com/hook", "result": True}]
    assert sb.entities("webhooks")[0]["events"] == ["update_contact"]
    api.post("/api/v2/webhooks/unsubscribe", {"unsubscribe": [{"url": "https://example.com/hook",
                                                               "events": ["update_contact"]}]})
    assert sb.entities("webhooks") == []
    assert api.post("/api/v2/webhooks/subscribe", {}).status == 400


def test_widgets_list(api: Api) -> None:
    r = api.get("/api/v2/widgets/list")
    assert r.status == 200
    [w] = r.json()["widgets"]
    assert w["widget_code"] == "amo_sandbox_widget" and w["active"] == 1
    assert api.get("/api/v2/widgets/list", {"widget_code[]": "other"}).status == 204


def _sip(n: int) -> dict[str, Any]:
    return {"source_name": "pbx", "source_uid": f"s{n}", "created_at": int(time.time()),
            "incoming_lead_info": {"to": SEED.USER_ADMIN, "from": f"+7900{n}", "date_call": int(time.time()),
                                   "duration": 30, "service_code": "CK", "link": "https://rec/1"},
            "incoming_entities": {"leads": [{"name": f"Call {n}", "price": 100}],
                                  "contacts": [{"name": f"Caller {n}"}]}}


def _form(n: int) -> dict[str, Any]:
    return {"source_name": "site", "source_uid": f"f{n}", "created_at": 1600000000 + n,
            "incoming_lead_info": {"form_id": 7, "form_page": "https://example.com", "form_name": "Order"},
            "incoming_entities": {"leads": [{"name": f"Form {n}"}], "companies": [{"name": f"Co {n}"}],
                                  "contacts": [{"name": f"Person {n}"}]}}


def test_incoming_leads_flow(api: Api, sb: Sandbox) -> None:
    r = api.post("/api/v2/incoming_leads/sip", {"add": [_sip(1), _sip(2)]})
    assert r.status == 200 and r.json()["status"] == "success"
    sip_uids = r.json()["data"]
    assert len(sip_uids) == 2
    dup = api.post("/api/v2/incoming_leads/sip", {"add": [_sip(1)]}).json()["data"]
    assert dup == [sip_uids[0]]
    [form_uid] = api.post("/api/v2/incoming_leads/form", {"add": [_form(1)]}).json()["data"]
    listed = api.items("/api/v2/incoming_leads")
    assert {i["uid"] for i in listed} == set(sip_uids) | {form_uid}
    by_uid = api.items("/api/v2/incoming_leads", {"uid": sip_uids[1]})
    assert [i["uid"] for i in by_uid] == [sip_uids[1]]
    assert by_uid[0]["category"] == "sip" and "date" in by_uid[0]["incoming_lead_info"]
    forms = api.items("/api/v2/incoming_leads", {"categories[]": "forms"})
    assert [i["uid"] for i in forms] == [form_uid]
    summary = api.get("/api/v2/incoming_leads/summary").json()
    assert (summary["sip"], summary["form"], summary["total"], summary["accepted"]) == (2, 1, 3, 0)

    r = api.post("/api/v2/incoming_leads/accept", {"accept": [form_uid], "user_id": SEED.USER_MANAGER,
                                                   "status_id": SEED.STATUS_MAIN_PROGRESS})
    made = r.json()["data"][form_uid]
    lead = api.one("leads", made["leads"][0])
    assert lead["status_id"] == SEED.STATUS_MAIN_PROGRESS and lead["responsible_user_id"] == SEED.USER_MANAGER
    assert lead["contacts"]["id"] == made["contacts"] and lead["company"]["id"] == made["companies"][0]
    assert api.one("contacts", made["contacts"][0])["company"]["id"] == made["companies"][0]

    r = api.post("/api/v2/incoming_leads/decline", {"decline": [sip_uids[0], "nope"], "user_id": SEED.USER_ADMIN})
    assert r.json()["data"] == {sip_uids[0]: True, "nope": False}
    assert [i["uid"] for i in api.items("/api/v2/incoming_leads")] == [sip_uids[1]]
    assert api.get("/api/v2/incoming_leads/summary").json()["accepted"] == 1


def test_incoming_leads_validation(api: Api) -> None:
    bad = _sip(3)
    del bad["incoming_lead_info"]["service_code"]
    r = api.post("/api/v2/incoming_leads/sip", {"add": [bad]})
    assert r.status == 400 and r.json()["status"] == "fail" and "service_code" in r.json()["error"]
    bad_form = _form(2)
    del bad_form["created_at"]
    assert "created_at" in api.post("/api/v2/incoming_leads/form", {"add": [bad_form]}).json()["error"]
    r = api.post("/api/v2/incoming_leads/accept", {"accept": ["x"]})
    assert r.status == 400 and r.json()["response"]["error_code"] == "103"
    assert api.get("/api/v2/incoming_leads").status == 204
