"""Sandbox webhook delivery: real API writes -> form POSTs to a wsgiref receiver -> ``parse_webhook`` events."""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from amocrm.sandbox import SEED, Sandbox, SandboxOptions, SandboxProcess
from amocrm.sandbox.cli import options_to_argv, parse_args
from amocrm.webhooks import WebhookEvent, WebhookPayload, parse_webhook

from .conftest import Api

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webhook_wsgi.py"
WAIT_S = 5.0


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_wsgi_example_for_sandbox", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@dataclass
class Receiver:
    """``examples/webhook_wsgi.py``'s app on 127.0.0.1:<free port>; collects parsed events in order."""

    url: str
    events: list[tuple[WebhookEvent, WebhookPayload]] = field(default_factory=list)
    hold: threading.Event | None = None  # when set, each event waits on it (a slow subscriber)

    def of(self, entity: str, action: str) -> list[WebhookEvent]:
        return [e for e, _ in self.events if (e.entity, e.action) == (entity, action)]


def _serve(app: Callable[..., Any]) -> tuple[WSGIServer, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return server, thread


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    module = _load_example()
    rec = Receiver(url="")

    def on_event(event: WebhookEvent, payload: WebhookPayload) -> None:
        if rec.hold is not None:
            rec.hold.wait(3.0)
        rec.events.append((event, payload))

    server, thread = _serve(module.make_app(on_event))
    rec.url = f"http://127.0.0.1:{server.server_port}/amocrm/hook?secret=s1"
    try:
        yield rec
    finally:
        if rec.hold is not None:
            rec.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subscribe(api: Api, url: str, *events: str) -> None:
    r = api.post("/api/v2/webhooks/subscribe", {"subscribe": [{"url": url, "events": list(events)}]})
    assert r.status == 200 and r.json()["_embedded"]["items"] == [{"url": url, "result": True}], r.data


def wait_deliveries(sb: Sandbox | SandboxProcess, n: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_S
    while True:
        got = sb.deliveries()
        if len(got) >= n or time.monotonic() > deadline:
            assert len(got) >= n, f"expected {n} deliveries within {WAIT_S}s, got {got}"
            return got
        time.sleep(0.02)


def update(api: Api, kind: str, eid: int, **fields: Any) -> None:
    current = api.one(kind, eid)
    r = api.post(f"/api/v2/{kind}", {"update": [{"id": eid, "updated_at": int(current["updated_at"]) + 1, **fields}]})
    assert r.status == 200 and "errors" not in r.json()["_embedded"], r.data


def test_lead_add_update_status_responsible_parse_into_events(sb: Sandbox, api: Api, receiver: Receiver) -> None:
    subscribe(api, receiver.url, "add_lead", "update_lead", "status_lead", "responsible_lead")
    [lid] = api.add("leads", {"name": "Webhook deal", "sale": 1500, "tags": "hot,vip", "custom_fields": [
        {"id": SEED.CF_LEAD_TEXT, "values": [{"value": "hello & =world"}]},
        {"id": SEED.CF_LEAD_SELECT, "values": [{"value": SEED.enum_id(SEED.CF_LEAD_SELECT, 2)}]}]})
    update(api, "leads", lid, name="Renamed deal")
    update(api, "leads", lid, status_id=SEED.STATUS_MAIN_PROGRESS)
    update(api, "leads", lid, responsible_user_id=SEED.USER_MANAGER)
    # add, update, update+status, update+responsible
    got = wait_deliveries(sb, 6)
    assert [d["event"] for d in got] == ["add_lead", "update_lead", "update_lead", "status_lead", "update_lead",
                                         "responsible_lead"]
    assert all(d["ok"] and d["status"] == 200 and d["error"] is None and d["url"] == receiver.url for d in got)
    assert all(d["body_size"] > 0 and d["time"] > 0 for d in got)
    assert len(receiver.events) == 6

    [added] = receiver.of("lead", "add")
    assert added.id == lid and added.name == "Webhook deal" and added.price == 1500
    assert added.status_id == SEED.STATUS_MAIN_NEW and added.pipeline_id == SEED.PIPELINE_MAIN
    assert added.responsible_user_id == SEED.USER_ADMIN and added.account_id == SEED.ACCOUNT_ID
    assert added.created_at is not None and added.updated_at is not None
    assert all(isinstance(v, str) for v in added.fields.values() if not isinstance(v, list))
    assert added.custom_field_value(SEED.CF_LEAD_TEXT) == "hello & =world"
    select = added.custom_field(SEED.CF_LEAD_SELECT)
    assert select is not None and select.name == "Список"
    assert [(v.value, v.enum) for v in select.values] == [("Option 2", str(SEED.enum_id(SEED.CF_LEAD_SELECT, 2)))]
    assert sorted(t.name for t in added.tags) == ["hot", "vip"] and all(t.id for t in added.tags)

    updates = receiver.of("lead", "update")
    assert [u.id for u in updates] == [lid] * 3 and updates[0].name == "Renamed deal"
    [status] = receiver.of("lead", "status")
    assert (status.id, status.old_status_id, status.status_id) == (lid, SEED.STATUS_MAIN_NEW,
                                                                   SEED.STATUS_MAIN_PROGRESS)
    [resp] = receiver.of("lead", "responsible")
    assert resp.responsible_user_id == SEED.USER_MANAGER
    assert resp.fields["old_responsible_user_id"] == str(SEED.USER_ADMIN)
    payload = receiver.events[0][1]
    assert payload.account.subdomain == sb.subdomain and payload.account.id == SEED.ACCOUNT_ID


def test_contact_company_task_note_shapes(sb: Sandbox, api: Api, receiver: Receiver) -> None:
    subscribe(api, receiver.url, "add_contact", "add_company", "add_task", "note_lead", "note_company")
    [cid] = api.add("contacts", {"name": "Ivan Webhook", "custom_fields": [
        {"id": SEED.CF_CONTACT_PHONE, "values": [{"value": "+7 900 000-00-01", "enum": "MOB"}]}]})
    [coid] = api.add("companies", {"name": "Hook LLC"})
    [tid] = api.add("tasks", {"element_id": SEED.LEAD_FIRST, "element_type": 2, "text": "Call back",
                              "complete_till_at": 1_700_000_000, "task_type": 1})
    [nid] = api.add("notes", {"element_id": SEED.LEAD_FIRST, "element_type": 2, "note_type": 4, "text": "It's noted"})
    api.add("notes", {"element_id": SEED.COMPANY_ACME, "element_type": 3, "note_type": 4, "text": "Co note"})
    api.add("notes", {"element_id": cid, "element_type": 1, "note_type": 4, "text": "not subscribed"})
    got = wait_deliveries(sb, 5)
    assert [d["event"] for d in got] == ["add_contact", "add_company", "add_task", "note_lead", "note_company"]
    raw_keys = [next(k for k in p.raw if k != "account") for _, p in receiver.events]
    assert raw_keys == ["contacts", "contacts", "task", "leads", "contacts"]

    [contact] = receiver.of("contact", "add")
    assert contact.id == cid and contact.type == "contact" and contact.name == "Ivan Webhook"
    phone = contact.custom_field(SEED.CF_CONTACT_PHONE)
    assert phone is not None and phone.name == "Телефон"
    assert [(v.value, v.enum) for v in phone.values] == [("+7 900 000-00-01", str(SEED.PHONE_ENUMS["MOB"]))]
    [company] = receiver.of("company", "add")
    assert company.id == coid and company.type == "company" and company.name == "Hook LLC"
    [task] = receiver.of("task", "add")
    assert task.id == tid and task.text == "Call back" and task.status == 0
    assert (task.element_id, task.element_type) == (SEED.LEAD_FIRST, 2)
    assert task.complete_till == "2023-11-15 01:13:20"  # 1_700_000_000 in the account's +03:00 zone
    [note] = receiver.of("lead", "note")
    assert note.id == SEED.LEAD_FIRST and note.note_id == nid and note.text == "It's noted" and note.type == "lead"
    assert note.element_type == 2 and note.note is not None and note.note["note_type"] == "4"
    [co_note] = receiver.of("company", "note")
    assert co_note.id == SEED.COMPANY_ACME and co_note.text == "Co note"


def test_deletes_are_delivered_with_the_id_only(sb: Sandbox, api: Api, receiver: Receiver) -> None:
    subscribe(api, receiver.url, "delete_customer", "delete_lead", "delete_company")
    r = api.post("/api/v2/customers", {"delete": [SEED.CUSTOMER_FIRST]})
    assert r.status == 200, r.data
    r = api.http.request("POST", f"{sb.base_url}/ajax/leads/multiple/delete/", fields={"ID[]": str(SEED.LEAD_SECOND)},
                         encode_multipart=False,
                         headers=api.headers({"X-Requested-With": "XMLHttpRequest"}))
    assert r.status == 200 and r.json()["status"] == "success", r.data
    r = api.http.request("POST", f"{sb.base_url}/ajax/companies/multiple/delete/",
                         fields={"ID[]": str(SEED.COMPANY_ACME)}, encode_multipart=False,
                         headers=api.headers({"X-Requested-With": "XMLHttpRequest"}))
    assert r.status == 200, r.data
    got = wait_deliveries(sb, 3)
    assert [d["event"] for d in got] == ["delete_customer", "delete_lead", "delete_company"]
    assert [(e.entity, e.action, e.id) for e, _ in receiver.events] == [
        ("customer", "delete", SEED.CUSTOMER_FIRST), ("lead", "delete", SEED.LEAD_SECOND),
        ("company", "delete", SEED.COMPANY_ACME)]
    assert receiver.events[0][0].fields == {"id": str(SEED.CUSTOMER_FIRST)}
    assert receiver.events[2][0].fields == {"id": str(SEED.COMPANY_ACME), "type": "company"}


def test_only_subscribed_events_are_delivered(sb: Sandbox, api: Api, receiver: Receiver) -> None:
    subscribe(api, receiver.url, "add_contact", "update_lead")
    api.add("leads", {"name": "not subscribed"})  # add_lead: nobody listens
    update(api, "contacts", SEED.CONTACT_IVAN, name="Ivan Two")  # update_contact: nobody listens
    r = api.post("/api/v2/webhooks/unsubscribe", {"unsubscribe": [{"url": receiver.url, "events": ["update_lead"]}]})
    assert r.status == 200 and r.json()["_embedded"]["items"][0]["result"] is True
    update(api, "leads", SEED.LEAD_FIRST, name="after unsubscribe")
    [cid] = api.add("contacts", {"name": "the marker"})  # one queue, FIFO: earlier ones would arrive first
    got = wait_deliveries(sb, 1)
    time.sleep(0.1)
    assert [d["event"] for d in sb.deliveries()] == ["add_contact"] and len(got) == 1
    assert [(e.entity, e.action, e.id) for e, _ in receiver.events] == [("contact", "add", cid)]


def test_unreachable_subscriber_is_recorded_and_never_hurts_the_api(sb: Sandbox, api: Api) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/hook"
    subscribe(api, dead, "add_lead")
    t0 = time.perf_counter()
    ids = api.add("leads", {"name": "a"}, {"name": "b"})
    assert time.perf_counter() - t0 < 1.0 and len(ids) == 2
    [d] = wait_deliveries(sb, 1)  # one POST carries both items
    assert d["url"] == dead and d["event"] == "add_lead" and d["status"] is None and d["ok"] is False
    assert "ConnectionRefused" in d["error"], d["error"]
    assert api.one("leads", ids[0])["name"] == "a"  # the API keeps working
    assert "500" not in sb.counters()["by_status"] and not sb.core.internal_errors


def test_raw_body_is_php_form_with_string_values(sb: Sandbox, api: Api) -> None:
    bodies: list[tuple[str, bytes]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        bodies.append((environ.get("CONTENT_TYPE", ""), environ["wsgi.input"].read(length)))
        start_response("204 No Content", [])
        return []

    server, thread = _serve(app)
    try:
        subscribe(api, f"http://127.0.0.1:{server.server_port}/raw", "add_lead")
        ids = api.add("leads", {"name": "first one"}, {"name": "second"})
        [d] = wait_deliveries(sb, 1)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert d["status"] == 204 and d["ok"] is True
    [(ctype, raw)] = bodies
    assert ctype == "application/x-www-form-urlencoded" and d["body_size"] == len(raw)
    assert raw.startswith(f"leads[add][0][id]={ids[0]}&leads[add][0][name]=first+one&".encode())
    assert f"leads[add][1][id]={ids[1]}&".encode() in raw
    assert raw.endswith(f"&account[subdomain]=sandbox&account[id]={SEED.ACCOUNT_ID}"
                        "&account[_links][self]=https%3A%2F%2Fsandbox.amocrm.ru".encode())
    payload = parse_webhook(raw, content_type=ctype)
    assert [(e.entity, e.action, e.id) for e in payload.events] == [("lead", "add", i) for i in ids]


def test_slow_subscriber_never_slows_the_api(sb: Sandbox, api: Api, receiver: Receiver) -> None:
    receiver.hold = threading.Event()  # the receiver sits on each delivery until released (max 3 s)
    subscribe(api, receiver.url, "add_contact")
    t0 = time.perf_counter()
    for n in range(5):
        api.add("contacts", {"name": f"c{n}"})
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0, elapsed
    assert sb.deliveries() == []  # the first POST is still waiting on the receiver
    receiver.hold.set()
    got = wait_deliveries(sb, 5)
    assert [d["ok"] for d in got] == [True] * 5
    assert [e.name for e, _ in receiver.events] == [f"c{n}" for n in range(5)]


def test_reset_clears_deliveries_and_subscriptions(sb: Sandbox, api: Api, receiver: Receiver) -> None:
    subscribe(api, receiver.url, "add_lead")
    api.add("leads", {"name": "x"})
    wait_deliveries(sb, 1)
    sb.reset()
    assert sb.deliveries() == [] and sb.entities("webhooks") == []
    api.add("leads", {"name": "after reset"})
    time.sleep(0.1)
    assert sb.deliveries() == [] and len(receiver.events) == 1


def test_delivery_switched_off_and_thread_stops_on_stop(receiver: Receiver) -> None:
    with Sandbox(rate_limit=None, deliver_webhooks=False) as off:
        api = Api(off.base_url, off.issue_tokens()["access_token"])
        subscribe(api, receiver.url, "add_lead")
        api.add("leads", {"name": "quiet"})
        time.sleep(0.1)
        assert off.deliveries() == [] and receiver.events == [] and not off.core.delivery.running
    on = Sandbox(rate_limit=None)
    with on:
        api = Api(on.base_url, on.issue_tokens()["access_token"])
        subscribe(api, receiver.url, "add_lead")
        api.add("leads", {"name": "loud"})
        wait_deliveries(on, 1)
        delivery = on.core.delivery
        assert delivery.running
    assert not delivery.running  # joined by stop(), not merely forgotten
    delivery.submit(receiver.url, "add_lead", b"x=1")  # after stop: recorded, never sent, no new thread
    assert not delivery.running and delivery.records()[-1]["error"] == "deliverer stopped"


def test_cli_flag_round_trips() -> None:
    assert parse_args(["--no-webhook-delivery"]).deliver_webhooks is False
    assert parse_args([]).deliver_webhooks is True
    assert parse_args(options_to_argv(SandboxOptions(deliver_webhooks=False))).deliver_webhooks is False
    assert "--no-webhook-delivery" not in options_to_argv(SandboxOptions())


def test_subprocess_admin_route_lists_deliveries(receiver: Receiver) -> None:
    with SandboxProcess(rate_limit=None) as sp:
        api = Api(sp.base_url, sp.issue_tokens()["access_token"])
        subscribe(api, receiver.url, "add_company")
        [coid] = api.add("companies", {"name": "Out of process"})
        [d] = wait_deliveries(sp, 1)
        assert d["event"] == "add_company" and d["ok"] is True and d["url"] == receiver.url
        sp.reset()
        assert sp.deliveries() == []
    assert [(e.entity, e.action, e.id) for e, _ in receiver.events] == [("company", "add", coid)]
