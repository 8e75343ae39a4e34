"""Write items (what ``save()`` sends): exact payloads per entity, odd but valid shapes, and values of
the wrong type refused with a ``ConfigError`` naming the field (speed is measured by ``make bench``)."""

from __future__ import annotations

import enum
from typing import Any

import msgspec
import pytest

from amocrm.errors import ConfigError
from amocrm.models import UNSET, to_write_item
from amocrm.v2.models import (
    CatalogElement,
    Contact,
    CustomField,
    CustomFieldValue,
    IncomingEntities,
    IncomingLead,
    IncomingLeadInfo,
    Lead,
    Link,
    LinkedEntity,
    LinkedIds,
    Links,
    Note,
    Tag,
    Task,
    TaskResult,
    Unlink,
)


def _same(obj: Any) -> dict[str, Any]:
    """The write item, and the JSON a save sends for it is exactly its encoding."""
    item = to_write_item(obj)
    sent: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(item))
    return sent


# ------------------------------------------------------------------------------ fixtures

_LINKS = Links(self=Link(href="/api/v2/x", method="get"))


def full_lead() -> Lead:
    return Lead(
        id=11,
        name="Deal",
        responsible_user_id=2,
        created_by=3,
        created_at=1700000000,
        updated_at=1700000001,
        account_id=99,
        updated_by=4,
        group_id=0,
        request_id="r1",
        is_deleted=False,
        main_contact=LinkedEntity(id=5),
        company=LinkedEntity(id=6, name="ACME", links=_LINKS),
        closed_at=0,
        closest_task_at=1700000500,
        tags=[Tag(id=1, name="vip"), Tag(id=2, name="b2b")],
        custom_fields=[
            CustomField(
                id=100, name="Text", code=None, is_system=False, values=[CustomFieldValue(value="hello")]
            ),
            CustomField(id=101, name="Select", values=[CustomFieldValue(value="Option 1", enum="1011")]),
            CustomField(id=102, name="Multi", values=[1021, 1022]),
            CustomField(
                id=103, name="Legal", values=[CustomFieldValue(value={"name": "LLC", "vat_id": "1"})]
            ),
            CustomField(id=104, name="Flag", values=[CustomFieldValue(value=True)]),
        ],
        contacts=LinkedIds(id=[7, 8], links=_LINKS),
        status_id=142,
        sale=1500,
        pipeline_id=3001,
        pipeline=LinkedEntity(id=3002),
        loss_reason_id=0,
        is_price_modified_by_robot=False,
        loss_reason_name="late",
        catalog_elements_id={"93": {"98": 10}},
        unlink=Unlink(contacts_id=[9], company_id=10),
        links=_LINKS,
        embedded={"x": 1},
    )


def test_full_lead_payload() -> None:
    assert _same(full_lead()) == {
        "id": 11,
        "name": "Deal",
        "responsible_user_id": 2,
        "created_by": 3,
        "created_at": 1700000000,
        "group_id": 0,
        "request_id": "r1",
        "is_deleted": False,
        "company_id": 6,
        "closed_at": 0,
        "closest_task_at": 1700000500,
        "tags": ["vip", "b2b"],
        "custom_fields": [
            {"id": 100, "values": [{"value": "hello"}]},
            {"id": 101, "values": [{"value": "Option 1", "enum": "1011"}]},
            {"id": 102, "values": [1021, 1022]},
            {"id": 103, "values": [{"value": {"name": "LLC", "vat_id": "1"}}]},
            {"id": 104, "values": [{"value": True}]},
        ],
        "contacts_id": [7, 8],
        "status_id": 142,
        "sale": 1500,
        "pipeline_id": 3001,
        "loss_reason_id": 0,
        "catalog_elements_id": {"93": {"98": 10}},
        "unlink": {"contacts_id": [9], "company_id": 10},
    }


def test_full_contact_payload_with_multitext_enums_and_smart_address() -> None:
    contact = msgspec.json.decode(
        b"""{"id": 21, "name": "Ann Lee", "first_name": "Ann", "last_name": "Lee", "responsible_user_id": 2,
        "created_by": 3, "created_at": 1700000000, "updated_at": 1700000009, "account_id": 1, "updated_by": 3,
        "group_id": 0, "company": {"id": 6, "name": "ACME"}, "company_name": "ACME",
        "leads": {"id": [11, 12]}, "customers": {"id": [31]}, "closest_task_at": 0,
        "tags": {"1": {"id": 1, "name": "vip"}},
        "custom_fields": [
          {"id": 10, "name": "Phone", "code": "PHONE", "is_system": true,
           "values": [{"value": "+7 1", "enum": "3685087"}, {"value": "+7 2", "enum": 3685088}]},
          {"id": 11, "name": "Email", "code": "EMAIL", "is_system": true, "values": [{"value": "a@b.c", "enum": "WORK"}]},
          {"id": 12, "name": "Address", "values": [{"value": "Lenina 1", "subtype": "address_line_1"},
            {"value": "Moscow", "subtype": "city"}, {"value": "RU", "subtype": "country"}]}
        ], "_links": {"self": {"href": "/api/v2/contacts?id=21", "method": "get"}}}""",
        type=Contact,
    )
    contact.unlink = Unlink(leads_id=[12])
    assert _same(contact) == {
        "id": 21,
        "name": "Ann Lee",
        "first_name": "Ann",
        "last_name": "Lee",
        "responsible_user_id": 2,
        "created_by": 3,
        "created_at": 1700000000,
        "group_id": 0,
        "company_id": 6,
        "company_name": "ACME",
        "leads_id": [11, 12],
        "customers_id": [31],
        "closest_task_at": 0,
        "tags": ["vip"],
        "custom_fields": [
            {"id": 10, "values": [{"value": "+7 1", "enum": "3685087"}, {"value": "+7 2", "enum": 3685088}]},
            {"id": 11, "values": [{"value": "a@b.c", "enum": "WORK"}]},
            {
                "id": 12,
                "values": [
                    {"value": "Lenina 1", "subtype": "address_line_1"},
                    {"value": "Moscow", "subtype": "city"},
                    {"value": "RU", "subtype": "country"},
                ],
            },
        ],
        "unlink": {"leads_id": [12]},
    }


def test_full_task_payload() -> None:
    task = Task(
        id=41,
        responsible_user_id=2,
        created_by=3,
        created_at=1,
        updated_at=2,
        account_id=9,
        group_id=0,
        request_id=5,
        element_id=11,
        element_type=2,
        is_completed=True,
        task_type=1,
        complete_till_at=1700003600,
        text="Call back",
        duration=900,
        links=_LINKS,
    )
    assert _same(task) == {
        "id": 41,
        "responsible_user_id": 2,
        "created_by": 3,
        "created_at": 1,
        "group_id": 0,
        "request_id": 5,
        "element_id": 11,
        "element_type": 2,
        "is_completed": True,
        "task_type": 1,
        "complete_till_at": 1700003600,
        "text": "Call back",
        "duration": 900,
    }


def test_a_task_result_set_by_the_caller_raises_instead_of_being_dropped() -> None:
    """API v2 does not take a result on a task: setting one used to be left out of the request silently."""
    from amocrm.lib.base import mark_clean

    task = Task(id=41, text="Call back", result=TaskResult(text="done"))
    with pytest.raises(ConfigError, match=r"Task.result is not written by the API: .*note of type 13"):
        to_write_item(task)
    read = msgspec.json.decode(b'{"id": 41, "text": "t", "result": {"id": 9, "text": "done"}}', type=Task)
    mark_clean((read,))  # as read from the server: its result is kept, not sent, and no error
    read.text = "changed"
    assert to_write_item(read) == {"id": 41, "text": "changed"}
    read.result = TaskResult(text="other")
    with pytest.raises(ConfigError, match="Task.result"):
        to_write_item(read)


@pytest.mark.parametrize("note_type", [25, 102, 103, "103"])
def test_note_payload_with_params_text(note_type: Any) -> None:
    note = Note(
        id=51,
        responsible_user_id=2,
        created_by=3,
        created_at=1,
        updated_at=2,
        account_id=9,
        group_id=0,
        request_id="n",
        is_editable=False,
        element_id=11,
        element_type=2,
        attachment="a.txt",
        note_type=note_type,
        text="sms body",
        params={"UNIQ": "u1", "PHONE": "+7"},
        links=_LINKS,
    )
    assert _same(note) == {
        "id": 51,
        "responsible_user_id": 2,
        "created_by": 3,
        "created_at": 1,
        "group_id": 0,
        "request_id": "n",
        "is_editable": False,
        "element_id": 11,
        "element_type": 2,
        "note_type": note_type,
        "text": "sms body",
        "params": {"UNIQ": "u1", "PHONE": "+7", "text": "sms body"},
    }
    assert note.params == {"UNIQ": "u1", "PHONE": "+7"}
    bare = Note(note_type=note_type, text="t")  # no params: the hook creates them
    assert _same(bare) == {"note_type": note_type, "text": "t", "params": {"text": "t"}}


def test_common_note_keeps_params_as_given() -> None:
    assert _same(Note(note_type=4, text="t", params={"a": 1})) == {
        "note_type": 4,
        "text": "t",
        "params": {"a": 1},
    }


def test_catalog_element_payload() -> None:
    element = CatalogElement(
        id=61,
        name="Chair",
        catalog_id=93,
        created_by=3,
        created_at=1,
        updated_at=2,
        updated_by=3,
        request_id=7,
        is_deleted=False,
        links=_LINKS,
        custom_fields=[
            CustomField(id=70, name="Price", values=[CustomFieldValue(value=120.5)]),
            CustomField(id=71, values=[]),
        ],
    )
    assert _same(element) == {
        "id": 61,
        "name": "Chair",
        "catalog_id": 93,
        "request_id": 7,
        "is_deleted": False,
        "custom_fields": [{"id": 70, "values": [{"value": 120.5}]}, {"id": 71, "values": []}],
    }


def test_incoming_lead_payload() -> None:
    incoming = IncomingLead(
        source_name="site",
        source_uid="s-1",
        pipeline_id=3001,
        created_at=1700000000,
        incoming_lead_info=IncomingLeadInfo(
            form_id=1,
            form_page="https://x.test",
            ip="127.0.0.1",
            form_name="Contact us",
            form_send_at=1700000000,
            referer=None,
        ),
        incoming_entities=IncomingEntities(
            leads=[Lead(name="From form", sale=10, tags=[Tag(name="web")])],
            contacts=[
                Contact(
                    name="Visitor",
                    custom_fields=[
                        CustomField(id=10, code="PHONE", values=[CustomFieldValue(value="+7 5", enum="WORK")])
                    ],
                )
            ],
        ),
    )
    assert _same(incoming) == {
        "source_name": "site",
        "source_uid": "s-1",
        "pipeline_id": 3001,
        "created_at": 1700000000,
        "incoming_lead_info": {
            "form_id": 1,
            "form_page": "https://x.test",
            "ip": "127.0.0.1",
            "form_name": "Contact us",
            "form_send_at": 1700000000,
            "referer": None,
        },
        "incoming_entities": {
            "leads": [{"name": "From form", "tags": ["web"], "sale": 10}],
            "contacts": [
                {
                    "name": "Visitor",
                    "custom_fields": [{"id": 10, "values": [{"value": "+7 5", "enum": "WORK"}]}],
                }
            ],
        },
    }
    incoming.incoming_entities = None  # a PHP [] placeholder: skipped, not sent as null
    assert "incoming_entities" not in _same(incoming)
    incoming.uid = "u-1"  # the server's, never sent: setting it on a new incoming lead is a mistake
    with pytest.raises(ConfigError, match="IncomingLead.uid is read only"):
        to_write_item(incoming)


# ------------------------------------------------------------------------------ odd inputs


#: untyped aliases: the cases below put deliberately odd or ill-typed values into the models
CF: Any = CustomField
CFV: Any = CustomFieldValue
AnyLead: Any = Lead
AnyContact: Any = Contact


class Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    ("custom_fields", "expected"),
    [
        # a dict given for a custom field is read as one: unknown keys dropped, read-only ones too
        (
            [{"id": 1, "name": "n", "values": [{"value": "a", "enum": 2, "extra": 1}, 5]}],
            [{"id": 1, "values": [{"value": "a", "enum": 2}, 5]}],
        ),
        (
            [CF(id=1, values=[CFV(subtype="city", value="M")])],
            [{"id": 1, "values": [{"value": "M", "subtype": "city"}]}],
        ),
        (
            [CF(id=1, values=[CFV(), CFV(value=None), True, "bare"])],
            [{"id": 1, "values": [{}, {"value": None}, True, "bare"]}],
        ),
        (
            [CF(values=[CFV(value="no id")]), CF(id=None, values=None)],
            [{"values": [{"value": "no id"}]}, {"id": None, "values": None}],
        ),
        ([CF(id=1, values=(CFV(value=1),))], [{"id": 1, "values": [{"value": 1}]}]),
        ([CF(id=Level.HIGH, values=[CFV(value={"a": 1})])], [{"id": 3, "values": [{"value": {"a": 1}}]}]),
        ([CF(id=1)], [{"id": 1}]),  # values UNSET
        (
            [CF(id=1, values=[1]), {"id": 2, "values": [CFV(value="s", subtype="1")]}],
            [{"id": 1, "values": [1]}, {"id": 2, "values": [{"value": "s", "subtype": "1"}]}],
        ),
        ([], []),
    ],
)
def test_custom_field_shapes(custom_fields: Any, expected: Any) -> None:
    for _ in range(2):  # the first call may take the slow path, the second the fast one
        assert _same(AnyLead(id=1, custom_fields=custom_fields)) == {"id": 1, "custom_fields": expected}


@pytest.mark.parametrize(
    ("custom_fields", "where"),
    [
        (
            [CF(id="5", values=[CFV(value=1)])],
            r"Lead.custom_fields.id: expected int \(or None\), got str '5'",
        ),
        (
            [CF(id=1, values=[CFV(value=1, enum=[1])])],
            r"Lead.custom_fields.values.enum: expected str \| int \(or None\), got list",
        ),
        ([{"id": "x", "values": []}], r"Lead.custom_fields\[0\]"),
        ("not a list", r"Lead.custom_fields.*expected list"),
        ([object()], r"Lead.custom_fields"),
    ],
)
def test_ill_typed_custom_fields_are_refused_naming_the_field(custom_fields: Any, where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        to_write_item(AnyLead(id=1, custom_fields=custom_fields))


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ([Tag(name="a"), Tag(name="a"), Tag(id=3), {"name": "b"}, {"id": 1}, "c"], ["a", "b", "c"]),
        (({"name": "x"}, Tag(name="y")), ["x", "y"]),
        ([], []),
    ],
)
def test_tag_shapes(tags: Any, expected: list[str]) -> None:
    for _ in range(2):
        assert _same(AnyLead(tags=tags)) == {"tags": expected}


def test_ill_typed_tags_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"Lead.tags: a tag must be"):
        to_write_item(AnyLead(tags=[5]))
    with pytest.raises(ConfigError, match=r"Lead.tags: expected a list"):
        to_write_item(AnyLead(tags="a,b"))


def test_links_and_plain_values() -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        (
            AnyLead(company={"id": 4}, contacts={"id": 5}, pipeline={"name": "p"}),
            {"company_id": 4, "contacts_id": [5]},
        ),
        (AnyLead(company=LinkedEntity(), contacts=LinkedIds(), pipeline=LinkedEntity(id=UNSET)), {}),
        # placeholders (PHP's []/{}): None is not sent
        (AnyLead(company=None, contacts=None, tags=None, custom_fields=None, pipeline=None), {}),
        # plain fields: None is sent as null
        (AnyLead(name=None, sale=None, unlink=None), {"name": None, "sale": None, "unlink": None}),
        (AnyLead(pipeline=LinkedEntity(id=3)), {"pipeline_id": 3}),
        (
            AnyLead(pipeline_id=None, pipeline=LinkedEntity(id=3)),
            {"pipeline_id": None},
        ),  # an explicit null wins
        (AnyLead(status_id=Level.HIGH, sale=Level.HIGH), {"status_id": 3, "sale": 3}),
        (
            AnyLead(catalog_elements_id={"93": {"98": 10}}, unlink=Unlink()),
            {"catalog_elements_id": {"93": {"98": 10}}, "unlink": {}},
        ),
        # read-only values of an update are the server's own: never sent, never refused
        (AnyLead(id=9, embedded={"leads": [1]}, links=_LINKS, account_id=1), {"id": 9}),
        (
            AnyContact(leads=LinkedIds(id=[1, 2]), customers={"id": (3, 4)}, company={"id": None}),
            {"leads_id": [1, 2], "customers_id": [3, 4]},
        ),
    ]
    for obj, expected in cases:
        assert _same(obj) == expected


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        ({"sale": "lots"}, r"Lead.sale: expected int \(or None\), got str 'lots'"),
        ({"name": 5}, r"Lead.name: expected str"),
        ({"status_id": True}, r"Lead.status_id: expected int"),  # a bool is not a number
        ({"sale": 1.5}, r"Lead.sale: expected int"),
        ({"company": 5}, r"Lead.company: expected a linked entity"),
        ({"contacts": {"id": ["x"]}}, r"Lead.contacts: linked ids must be ints"),
        ({"unlink": [1]}, r"Lead.unlink: expected Unlink"),
    ],
)
def test_ill_typed_fields_are_refused_before_anything_is_sent(kwargs: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        to_write_item(AnyLead(**kwargs))
