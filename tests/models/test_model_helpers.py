"""Model helpers: custom fields, phone/email, tags, links, tasks, notes, write items, PHP quirks, speed."""

from __future__ import annotations

import msgspec
import pytest

from amocrm.errors import ERROR_CODES as RUNTIME_ERROR_CODES
from amocrm.models import UNSET, to_write_item
from amocrm.v2.constants import (
    COMMON_NOTETYPE,
    CONTACT_TYPE,
    ERROR_CODES,
    SMS_IN_NOTETYPE,
    ElementType,
    NoteType,
    TaskType,
)
from amocrm.v2.models import (
    Company,
    Contact,
    CustomField,
    CustomFieldValue,
    Lead,
    LinkedEntity,
    LinkedIds,
    Note,
    Tag,
    Task,
)


def make_contact() -> Contact:
    return msgspec.json.decode(
        b"""{"id": 1, "name": "N", "custom_fields": [
             {"id": 10, "name": "Phone", "code": "PHONE", "is_system": true,
              "values": [{"value": "+7 1", "enum": "3685087"}, {"value": "+7 2", "enum": 3685088}]},
             {"id": 11, "name": "Email", "code": "EMAIL", "values": [{"value": "a@b.c", "enum": "WORK"}]},
             {"id": 12, "name": "Addr", "values": [{"value": "Lenina 1", "subtype": "1"}, {"value": "RU", "subtype": "6"}]},
             {"id": 13, "name": "Multi", "values": [1121, 1122]}]}""",
        type=Contact,
    )


# ------------------------------------------------------------------------------------------ custom fields


def test_get_custom_field_and_values() -> None:
    c = make_contact()
    assert c.get_custom_field(10).name == "Phone"  # type: ignore[union-attr]
    assert c.get_custom_field("11").code == "EMAIL"  # type: ignore[union-attr]
    assert c.get_custom_field(99) is None
    assert c.get_custom_field_value(10) == "+7 1"
    assert c.get_custom_field_value(10, first=False) == ["+7 1", "+7 2"]
    assert c.get_custom_field_value(10, first=False, key="enum") == ["3685087", 3685088]
    assert c.get_custom_field_value(12, first=False, key="subtype") == ["1", "6"]
    assert c.get_custom_field_value(13, first=False) == [1121, 1122]  # bare values as-is
    assert c.get_custom_field_value(11, key="subtype") is None
    assert c.get_custom_field_value(99) is None and c.get_custom_field_value(99, first=False) == []
    assert Contact().get_custom_field(1) is None


def test_set_custom_field_replaces_values_and_keeps_the_field() -> None:
    c = make_contact()
    c.set_custom_field(10, "+7 999")
    field = c.get_custom_field(10)
    assert field is not None and (field.id, field.name, field.code) == (10, "Phone", "PHONE")
    assert field.values == [CustomFieldValue(value="+7 999")]
    c.set_custom_field(12, [{"value": "Moscow", "subtype": "city"}, CustomFieldValue(value="x", enum="WORK")])
    assert c.get_custom_field_value(12, first=False, key="subtype") == ["city"]
    c.set_custom_field(13, [5, 6])
    assert c.get_custom_field_value(13, first=False) == [5, 6]
    c.set_custom_fields({"20": None, 21: {"name": "LLC", "vat_id": "1"}})
    assert c.get_custom_field(20).values == [CustomFieldValue(value=None)]  # type: ignore[union-attr]
    assert c.get_custom_field_value(21) == {"name": "LLC", "vat_id": "1"}
    assert [f.id for f in c.custom_fields][-2:] == [20, 21]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unknown keys"):
        c.set_custom_field(10, [{"value": 1, "field_name": "x"}])


def test_set_custom_field_on_a_fresh_model() -> None:
    lead = Lead(name="x").set_custom_field(5, 100)
    assert lead.custom_fields == [CustomField(id=5, values=[CustomFieldValue(value=100)])]
    item = to_write_item(lead)
    assert item["custom_fields"] == [{"id": 5, "values": [{"value": 100}]}]


def test_phone_and_email() -> None:
    c = make_contact()
    assert (c.phone, c.email) == ("+7 1", "a@b.c")
    assert (Contact().phone, Contact().email) == (None, None)
    company = Company(custom_fields=[CustomField(id=1, code="EMAIL", values=[])])
    assert company.email is None and company.phone is None


# ------------------------------------------------------------------------------------------ tags and links


def test_tags_by_name_deduplicated() -> None:
    lead = Lead(tags=[Tag(id=1, name="a")])
    lead.add_tags("a", "b", ["c", "b"])
    assert [t.name for t in lead.tags] == ["a", "b", "c"]  # type: ignore[union-attr]
    lead.remove_tags("a", ["c"])
    assert lead.tags == [Tag(name="b")]
    assert to_write_item(lead)["tags"] == ["b"]
    lead.remove_tags("b")
    assert to_write_item(lead)["tags"] == []  # sent empty, so the last tag can be removed (seed quirk 19)
    with pytest.raises(TypeError, match="tag names must be str"):
        lead.add_tags(5)  # type: ignore[arg-type]


def test_contact_and_company_links() -> None:
    c = Contact(leads=LinkedIds(id=[1]))
    c.add_leads([1, 2]).add_customers(9).add_company(4)
    assert c.leads == LinkedIds(id=[1, 2]) and c.customers == LinkedIds(id=[9]) and c.company == LinkedEntity(id=4)
    item = to_write_item(c)
    assert (item["leads_id"], item["customers_id"], item["company_id"]) == ([1, 2], [9], 4)
    co = Company().add_leads(1).add_contacts([2, 3]).add_customers(4)
    assert to_write_item(co) == {"leads_id": [1], "contacts_id": [2, 3], "customers_id": [4]}


def test_task_attach() -> None:
    task = Task(text="call", task_type=TaskType.CALL).attach_to_contact(5)
    assert (task.element_id, task.element_type) == (5, ElementType.CONTACT)
    task.attach_to_lead("6")
    assert (task.element_id, task.element_type) == (6, 2)
    assert to_write_item(task) == {"element_id": 6, "element_type": 2, "task_type": 1, "text": "call"}


@pytest.mark.parametrize("note_type", [25, 102, 103, "102"])
def test_note_text_goes_to_params_for_system_and_sms(note_type: object) -> None:
    note = Note(note_type=note_type, text="hi", params={"phone": "+7"}).attach_to(5, ElementType.LEAD)  # type: ignore[arg-type]
    item = to_write_item(note)
    assert item["params"] == {"phone": "+7", "text": "hi"} and item["text"] == "hi"
    assert note.params == {"phone": "+7"}  # the model is not changed


def test_common_note_has_no_params_text() -> None:
    item = to_write_item(Note(note_type=COMMON_NOTETYPE, text="hi", element_id=1, element_type=CONTACT_TYPE))
    assert item == {"element_id": 1, "element_type": 1, "note_type": 4, "text": "hi"}


def test_write_item_skips_read_only_and_keeps_explicit_null() -> None:
    lead = msgspec.json.decode(
        b'{"id": 1, "account_id": 2, "updated_by": 3, "updated_at": 4, "main_contact": {"id": 5},'
        b' "company": [], "loss_reason_name": "x", "_links": {"self": {"href": "/"}}, "_embedded": {}}',
        type=Lead,
    )
    assert to_write_item(lead) == {"id": 1}
    lead.pipeline = LinkedEntity(id=3)
    assert to_write_item(lead)["pipeline_id"] == 3
    lead.pipeline_id = 4
    assert to_write_item(lead)["pipeline_id"] == 4  # explicit pipeline_id wins


# ------------------------------------------------------------------------------------------ PHP quirks


def test_empty_and_keyed_collections_decode_both_ways() -> None:
    a = msgspec.json.decode(b'{"tags": {}, "custom_fields": {}, "company": [], "contacts": [], "pipeline": []}', type=Lead)
    assert (a.tags, a.custom_fields, a.company, a.contacts, a.pipeline) == ([], [], None, None, None)
    b = msgspec.json.decode(b'{"tags": {"7": {"id": 7, "name": "x"}}, "custom_fields": []}', type=Lead)
    assert b.tags == [Tag(id=7, name="x")] and b.custom_fields == []
    assert msgspec.json.decode(b'{"result": []}', type=Task).result is None


def test_bad_payload_names_the_json_path() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"\$\.custom_fields\[0\]\.id"):
        msgspec.json.decode(b'{"custom_fields": [{"id": "x"}]}', type=Lead)


def test_constants_match_the_seed_and_the_runtime_table() -> None:
    assert [int(e) for e in ElementType] == [1, 2, 3, 4, 12]
    assert [int(n) for n in NoteType] == [1, 2, 3, 4, 12, 13, 25, 102, 103]
    assert (COMMON_NOTETYPE, SMS_IN_NOTETYPE) == (4, 102)
    assert ERROR_CODES == RUNTIME_ERROR_CODES


def test_a_500_lead_page_decodes() -> None:
    """Speed is measured by ``make bench``; here only that a full page decodes, through the wrapper."""
    from amocrm._core.response import wrapper_type

    item = {
        "id": 1, "name": "Сделка", "responsible_user_id": 2, "created_at": 3, "updated_at": 4, "account_id": 5,
        "is_deleted": False, "main_contact": {"id": 6, "_links": {"self": {"href": "/c", "method": "get"}}},
        "company": {"id": 7, "name": None, "_links": {"self": {"href": "/c", "method": "get"}}},
        "tags": [{"id": 1, "name": "a"}], "status_id": 142, "sale": 5000,
        "custom_fields": [
            {"id": i, "name": "f", "values": [{"value": "v", "enum": "3"}], "is_system": False} for i in range(5)
        ],
        "contacts": {"id": [1, 2], "_links": {"self": {"href": "/c", "method": "get"}}},
        "_links": {"self": {"href": "/l", "method": "get"}},
    }
    data = msgspec.json.encode({"_embedded": {"items": [dict(item, id=i) for i in range(500)]}})
    decoder = msgspec.json.Decoder(wrapper_type(list[Lead], ("_embedded", "items"), paged=True))
    leads = decoder.decode(data).v.v
    assert len(leads) == 500 and leads[499].id == 499 and leads[0].contacts.id == [1, 2]


def test_unset_fields_are_not_encoded() -> None:
    assert msgspec.json.encode(Lead(name="x", loss_reason_name=None)) == b'{"name":"x","loss_reason_name":null}'
    assert Lead().name is UNSET
