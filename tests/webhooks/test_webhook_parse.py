"""``parse_webhook``: every delivery shape amoCRM sends (v2 form bodies, also for v4 subscriptions), built as real form bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from amocrm.webhooks import (
    WebhookCustomFieldValue,
    WebhookError,
    WebhookEvent,
    WebhookPayload,
    WebhookTag,
    WebhookTaskResult,
    parse_webhook,
)

Query = Callable[..., str]
ACCOUNT = {"subdomain": "testacc", "id": "7039099"}


def lead(**extra: Any) -> dict[str, Any]:
    """A lead in the webhook's old-field schema: every value a string."""
    fields = {
        "id": "25399013",
        "name": "Lead title",
        "status_id": "142",
        "price": "1500",
        "responsible_user_id": "102525",
        "last_modified": "1413554372",
        "modified_user_id": "102525",
        "created_user_id": "102525",
        "date_create": "1413554349",
        "pipeline_id": "1001",
        "account_id": "7039099",
        "custom_fields": [
            {"id": "427183", "name": "Checkbox", "values": ["1"]},
            {
                "id": "427661",
                "name": "Phone",
                "code": "PHONE",
                "values": [{"value": "+7999", "enum": "3685087"}, {"value": "+7888", "enum": "3685089"}],
            },
        ],
        "tags": [{"id": "11", "name": "vip"}, {"id": "12", "name": "new"}],
    }
    fields.update(extra)
    return fields


def parse(data: dict[str, Any], php_query: Query) -> WebhookPayload:
    return parse_webhook(php_query({**data, "account": ACCOUNT}).encode(), content_type=FORM)


FORM = "application/x-www-form-urlencoded; charset=UTF-8"


@pytest.mark.parametrize("action", ["add", "update", "status", "responsible", "restore"])
def test_lead_events_carry_typed_fields(action: str, php_query: Query) -> None:
    payload = parse({"leads": {action: [lead(old_status_id="7039101")]}}, php_query)
    assert payload.account.subdomain == "testacc" and payload.account.id == 7039099
    [event] = payload.events
    assert (event.entity, event.action, event.id, event.path) == (
        "lead",
        action,
        25399013,
        f"leads[{action}][0]",
    )
    assert event.name == "Lead title"
    assert (event.status_id, event.old_status_id, event.pipeline_id) == (142, 7039101, 1001)
    assert (event.responsible_user_id, event.account_id, event.price) == (102525, 7039099, 1500)
    assert (event.created_at, event.updated_at) == (1413554349, 1413554372)
    assert event.fields["status_id"] == "142"  # raw fields keep the strings as sent
    assert event.tags == [WebhookTag(name="vip", id=11), WebhookTag(name="new", id=12)]


def test_lead_delete_carries_only_the_id(php_query: Query) -> None:
    [event] = parse({"leads": {"delete": [{"id": "5"}, {"id": "6"}]}}, php_query).events[:1]
    assert (event.entity, event.action, event.id, event.fields) == ("lead", "delete", 5, {"id": "5"})
    assert event.name is None and event.status_id is None and event.custom_fields == [] and event.tags == []


def test_doc_example_with_a_single_object_and_bare_values(php_query: Query) -> None:
    # The v2 docs render leads[status] as one object (no index) and custom field values as ["1"].
    doc = {
        "id": "25399013",
        "name": "Lead title",
        "old_status_id": "7039101",
        "status_id": "142",
        "custom_fields": [{"id": "427271", "name": "Date custom field", "values": ["1412380800"]}],
    }
    [event] = parse({"leads": {"status": doc}}, php_query).events
    assert (event.id, event.path, event.old_status_id) == (25399013, "leads[status]", 7039101)
    assert event.custom_field_value("Date custom field") == "1412380800"


def test_bare_id_delete_as_the_docs_describe() -> None:
    [event] = parse_webhook("leads[delete]=77&account[subdomain]=x").events
    assert (event.entity, event.action, event.id) == ("lead", "delete", 77)


@pytest.mark.parametrize("action", ["add", "update", "delete", "responsible", "restore"])
def test_contacts_and_companies_share_the_contacts_key(action: str, php_query: Query) -> None:
    contact = {"id": "1", "type": "contact", "name": "Ann"}
    company = {"id": "2", "type": "company", "name": "ACME"}
    if action == "delete":
        contact, company = {"id": "1", "type": "contact"}, {"id": "2", "type": "company"}
    events = parse({"contacts": {action: [contact, company]}}, php_query).events
    assert [(e.entity, e.action, e.id, e.type) for e in events] == [
        ("contact", action, 1, "contact"),
        ("company", action, 2, "company"),
    ]


def test_customer_events(php_query: Query) -> None:
    customer = {
        "id": "31",
        "name": "Customer",
        "next_price": "100",
        "periodicity": "7",
        "custom_fields": [{"id": "9", "name": "Plan", "values": [{"value": "gold", "enum": "4"}]}],
    }
    [added, deleted] = parse({"customers": {"add": [customer], "delete": [{"id": "32"}]}}, php_query).events
    assert (added.entity, added.action, added.id, added.name) == ("customer", "add", 31, "Customer")
    assert added.custom_field_value(9) == "gold" and added.custom_fields[0].values[0].enum == "4"
    assert (deleted.entity, deleted.action, deleted.id) == ("customer", "delete", 32)


def test_task_add_and_update_with_result(php_query: Query) -> None:
    task = {
        "id": "11122233",
        "element_id": "33322211",
        "element_type": "2",
        "task_type": "1",
        "date_create": "2017-07-20 15:00:00",
        "text": "Follow-up",
        "status": "0",
        "account_id": "77711122",
        "created_user_id": "110110",
        "last_modified": "2017-07-21 19:00:00",
        "responsible_user_id": "110110",
        "complete_till": "2017-07-22 23:59:00",
    }
    closed = {**task, "status": "1", "action_close": "1", "result": {"id": "155155155", "text": "Success"}}
    added, updated = parse({"task": {"add": [task], "update": [closed]}}, php_query).events
    assert (added.entity, added.action, added.id, added.status, added.result) == (
        "task",
        "add",
        11122233,
        0,
        None,
    )
    assert (added.text, added.complete_till) == ("Follow-up", "2017-07-22 23:59:00")
    assert (added.element_id, added.element_type, added.responsible_user_id) == (33322211, 2, 110110)
    # Task dates are "Y-m-d H:i:s" in the account's zone: no timestamp is invented, the raw text stays.
    assert (added.created_at, added.updated_at) == (None, None)
    assert added.fields["date_create"] == "2017-07-20 15:00:00"
    assert (updated.action, updated.status) == ("update", 1)
    assert updated.result == WebhookTaskResult(text="Success", id=155155155)
    assert updated.fields["action_close"] == "1"


@pytest.mark.parametrize(
    ("key", "kind", "entity", "element_type"),
    [
        ("leads", "lead", "lead", "2"),
        ("contacts", "contact", "contact", "1"),
        ("contacts", "company", "company", "3"),
        ("customers", "customer", "customer", "12"),
    ],
)
def test_note_events_unwrap_quoted_strings(
    key: str, kind: str, entity: str, element_type: str, php_query: Query
) -> None:
    note = {
        "id": "901",
        "text": "'Note to it's owner'",
        "attachement": "''",
        "date_create": "'2019-05-01 10:00:00'",
        "note_type": "4",
        "element_type": element_type,
        "element_id": "555",
        "timestamp_x": "'1556694000'",
        "account_id": "7039099",
        "created_by": "102525",
        "modified_by": "102525",
        "main_user_id": "102525",
        "group_id": "0",
    }
    [event] = parse({key: {"note": [{"note": note, "type": kind}]}}, php_query).events
    assert (event.entity, event.action, event.type) == (entity, "note", kind)
    assert event.id == 555 and event.element_id == 555 and event.note_id == 901  # id = the noted entity
    assert event.note is not None and event.note["text"] == "Note to it's owner"
    assert event.text == "Note to it's owner" and event.note["attachement"] == ""
    assert event.fields["note"] is event.note and event.note["date_create"] == "2019-05-01 10:00:00"
    assert event.responsible_user_id == 102525 and event.element_type == int(element_type)
    assert event.updated_at == 1556694000


def test_unsorted_items_keyed_by_uid(php_query: Query) -> None:
    added = {
        "uid": "abc123",
        "category": "forms",
        "lead_id": "44",
        "pipeline_id": "1001",
        "created_at": "1600000000",
    }
    gone = {"uid": "abc124", "action": "decline"}
    first, second = parse({"unsorted": {"add": [added], "delete": [gone]}}, php_query).events
    assert (first.entity, first.id, first.pipeline_id, first.created_at) == ("unsorted", 44, 1001, 1600000000)
    assert (second.entity, second.action, second.id, second.fields["uid"]) == (
        "unsorted",
        "delete",
        0,
        "abc124",
    )


def test_custom_field_values_in_both_shapes(php_query: Query) -> None:
    [event] = parse({"leads": {"add": [lead()]}}, php_query).events
    checkbox, phone = event.custom_fields
    assert (checkbox.id, checkbox.name, checkbox.values) == (
        427183,
        "Checkbox",
        [WebhookCustomFieldValue(value="1")],
    )
    assert phone.code == "PHONE"
    assert phone.values == [
        WebhookCustomFieldValue(value="+7999", enum="3685087"),
        WebhookCustomFieldValue(value="+7888", enum="3685089"),
    ]
    assert event.custom_field_value(427661) == "+7999"
    assert event.custom_field_value("Phone") == "+7999" == event.custom_field_value("PHONE")
    assert event.custom_field_value(427661, first=False) == ["+7999", "+7888"]
    assert event.custom_field_value(1) is None and event.custom_field_value("nope", first=False) == []
    assert event.custom_field_value("427183") is None  # a str looks up names and codes, ids are ints


def test_structured_custom_field_values_become_json_text(php_query: Query) -> None:
    legal = {
        "id": "5",
        "values": [{"value": {"name": "LLC X", "vat_id": "77"}}, {"value": "Moscow", "subtype": "3"}],
    }
    [event] = parse({"companies": {"add": [{"id": "8", "custom_fields": [legal]}]}}, php_query).events
    assert event.entity == "company"
    assert json.loads(event.custom_field_value(5) or "") == {"name": "LLC X", "vat_id": "77"}
    assert event.custom_fields[0].values[1] == WebhookCustomFieldValue(value="Moscow", subtype="3")


def test_many_events_come_out_in_delivery_order(php_query: Query) -> None:
    body = php_query(
        {
            "leads": {"update": [lead(id="1"), lead(id="2")], "status": [lead(id="3")]},
            "contacts": {"add": [{"id": "4", "type": "company"}, {"id": "5", "type": "contact"}]},
            "task": {"update": [{"id": "6", "text": "t"}]},
            "account": ACCOUNT,
        }
    )
    payload = parse_webhook(body)
    assert [(e.entity, e.action, e.id) for e in payload.events] == [
        ("lead", "update", 1),
        ("lead", "update", 2),
        ("lead", "status", 3),
        ("company", "add", 4),
        ("contact", "add", 5),
        ("task", "update", 6),
    ]


def test_unknown_actions_and_keys_do_not_fail(php_query: Query) -> None:
    payload = parse({"leads": {"merge": [{"id": "9"}]}, "something_new": {"x": "1"}}, php_query)
    assert [(e.entity, e.action, e.id) for e in payload.events] == [("lead", "merge", 9)]
    assert payload.raw["something_new"] == {"x": "1"}


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_json_bodies_from_re_encoding_proxies(content_type: str) -> None:
    data = {
        "leads": {
            "add": [
                {
                    "id": 12,
                    "status_id": "142",
                    "price": 10.5,
                    "custom_fields": [{"id": 3, "values": [{"value": "x", "enum": 7}]}],
                }
            ]
        },
        "account": {"subdomain": "acc", "id": 1},
    }
    payload = parse_webhook(json.dumps(data), content_type=content_type)
    [event] = payload.events
    assert (event.id, event.status_id, event.price, payload.account.id) == (12, 142, 10.5, 1)
    assert event.custom_fields[0].values == [WebhookCustomFieldValue(value="x", enum="7")]


def test_events_are_frozen_msgspec_structs(php_query: Query) -> None:
    [event] = parse({"leads": {"add": [lead()]}}, php_query).events
    with pytest.raises(AttributeError):
        event.id = 1  # type: ignore[misc]
    again = msgspec.json.decode(msgspec.json.encode(event), type=WebhookEvent)
    assert again == event


BAD: list[tuple[str, str | None, str]] = [
    ("leads[add][0][id]=1", None, "account[subdomain] is missing"),
    ("leads[add][0][name]=x&account[subdomain]=a", None, "leads[add][0][id] is missing"),
    ("leads[add][0][id]=12x&account[subdomain]=a", None, "leads[add][0][id] is '12x', not an integer"),
    ("leads=1&account[subdomain]=a", None, "leads is '1', expected leads[<action>][...]"),
    (
        "leads[add][0][id]=1&leads[add][0][custom_fields][0][id]=&account[subdomain]=a",
        None,
        "leads[add][0][custom_fields][0][id] is '', not an integer",
    ),
    (
        "leads[add][0][id]=1&leads[add][0][custom_fields][0][name]=n&account[subdomain]=a",
        None,
        "leads[add][0][custom_fields][0][id] is None, not an integer",
    ),
    (
        "leads[add][0][id]=1&leads[add][0][custom_fields]=x&account[subdomain]=a",
        None,
        "leads[add][0][custom_fields] is 'x', expected a list of fields",
    ),
    (
        "leads[add][0][id]=1&leads[add][0][tags][0][id]=t&leads[add][0][tags][0][name]=n&account[subdomain]=a",
        None,
        "leads[add][0][tags][0][id] is 't', not an integer",
    ),
    ("account[subdomain]=a&account[id]=z", None, "account[id] is 'z', not an integer"),
    ('{"leads": ', "application/json", "body is not valid JSON"),
    ("[1, 2]", "application/json", "JSON body is a list, expected an object"),
    ('{"a":' * 40 + "1" + "}" * 40, "application/json", "nests deeper than 32"),
    ("a=1", "multipart/form-data; boundary=x", "unsupported content type 'multipart/form-data'"),
    ("leads[add][0=1", None, "'[' not closed"),
]


@pytest.mark.parametrize(("body", "content_type", "message"), BAD)
def test_bad_payloads_raise_webhook_error(body: str, content_type: str | None, message: str) -> None:
    with pytest.raises(WebhookError) as info:
        parse_webhook(body, content_type=content_type)
    assert message in str(info.value)


def test_bad_field_values_fail_on_access_naming_the_event(php_query: Query) -> None:
    [event] = parse({"leads": {"update": [lead(status_id="abc", result="done")]}}, php_query).events
    with pytest.raises(WebhookError, match=r"leads\[update\]\[0\]\[status_id\] is 'abc', not an integer"):
        _ = event.status_id
    with pytest.raises(WebhookError, match=r"leads\[update\]\[0\]\[result\] is 'done'"):
        _ = event.result
    assert event.name == "Lead title"  # the rest of the event stays usable
