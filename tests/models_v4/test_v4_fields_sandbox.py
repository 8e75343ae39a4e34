"""Round trips through the sandbox: write with the builders, save, read back, compare; clearing; the
partial updates of tracked objects (two writers of different fields of one lead both keep theirs); tags.

The models are the test-only ``FxLead``/``FxContact`` (fx_v4_package.py), saved and read through
their generated resources on a real ``AmoClient``; lead fields of the types the seed lacks are
created first through ``POST /api/v4/leads/custom_fields``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from fx_v4_package import models as fx_models
from fx_v4_package import v4 as fx_v4

from amocrm.client import AmoClient
from amocrm.lib.base import changed_fields
from amocrm.lib.v4.fields import (
    ChainedList,
    Checkbox,
    Choice,
    Date,
    DateTime,
    Email,
    File,
    LegalEntity,
    Monetary,
    MultiSelect,
    Numeric,
    Phone,
    Radiobutton,
    Select,
    SmartAddress,
    Text,
    TextArea,
    Url,
)
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for

UTC = datetime.timezone.utc
EXTRA = [
    {"name": "Согласие", "type": "checkbox"},
    {"name": "Встреча", "type": "date_time"},
    {"name": "Юбилей", "type": "birthday"},
    {"name": "Сайт", "type": "url", "code": "SITE"},
    {"name": "Заметки", "type": "textarea"},
    {"name": "Тип", "type": "radiobutton", "enums": [{"value": "B2B"}, {"value": "B2C"}]},
    {"name": "Реквизиты", "type": "legal_entity"},
    {"name": "Выручка", "type": "monetary", "currency": "USD"},
    {"name": "Линейка", "type": "chained_list", "chained_lists": [{"catalog_id": SEED.CATALOG_PRODUCTS}]},
    {"name": "Договор", "type": "file"},
]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[AmoClient]:
    sandbox.reset()
    c = client_for(sandbox)
    try:
        yield c
    finally:
        c.close()


def extra_fields(client: AmoClient) -> dict[str, int]:
    body = client.request("POST", "/api/v4/leads/custom_fields", json=EXTRA)
    return {f["type"]: f["id"] for f in body["_embedded"]["custom_fields"]}


def test_every_type_round_trips(client: AmoClient) -> None:
    ids = extra_fields(client)
    leads = fx_v4(client).fx_leads
    when = datetime.datetime(2024, 2, 29, 10, 30, tzinfo=UTC)
    lead = fx_models().FxLead(name="typed")
    lead.set_values({
        SEED.CF_LEAD_TEXT: Text("hello"),
        SEED.CF_LEAD_NUMERIC: Numeric(12.5),
        SEED.CF_LEAD_SELECT: Select("Option 2"),
        SEED.CF_LEAD_MULTISELECT: MultiSelect(["Option 1", SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 3)]),
        SEED.CF_LEAD_DATE: Date(datetime.date(2024, 2, 29)),
        SEED.CF_LEAD_ADDRESS: SmartAddress(city="Москва", zip="101000", address_line_1="Тверская 1"),
        ids["checkbox"]: Checkbox(True),
        ids["date_time"]: DateTime(when),
        ids["birthday"]: Date(datetime.date(1990, 5, 17)),
        "SITE": Url("https://example.com"),
        ids["textarea"]: TextArea("a\nb"),
        ids["radiobutton"]: Radiobutton("B2C"),
        ids["legal_entity"]: LegalEntity("ООО Ромашка", entity_type=2, vat_id="7701000000"),
        ids["monetary"]: Monetary("1234.50"),
        ids["chained_list"]: ChainedList(SEED.CATALOG_PRODUCTS, SEED.ELEMENT_PEN),
        ids["file"]: File("f-uuid", "v-uuid", file_name="contract.pdf", file_size=1024),
    })
    assert leads.save(lead).ok and isinstance(lead.id, int)
    back = leads.get(lead.id)
    assert changed_fields(back) == set()
    assert back.get_value(SEED.CF_LEAD_TEXT, Text) == "hello"
    assert back.get_value(SEED.CF_LEAD_NUMERIC, Numeric) == 12.5
    assert back.get_value(SEED.CF_LEAD_SELECT, Select) == Choice("Option 2", SEED.enum_id(SEED.CF_LEAD_SELECT, 2))
    assert [c.value for c in back.get_value(SEED.CF_LEAD_MULTISELECT, MultiSelect) or []] == ["Option 1", "Option 3"]
    assert back.get_value(SEED.CF_LEAD_DATE, Date) == datetime.datetime(2024, 2, 29, tzinfo=UTC)
    assert back.get_value(SEED.CF_LEAD_ADDRESS, SmartAddress) == {
        "address_line_1": "Тверская 1", "city": "Москва", "zip": "101000"}
    assert back.get_value(ids["checkbox"], Checkbox) is True
    assert back.get_value(ids["date_time"], DateTime) == when
    assert back.get_value(ids["birthday"]) == datetime.datetime(1990, 5, 17, tzinfo=UTC)
    assert back.get_value("site") == "https://example.com" and back.get_value("Заметки") == "a\nb"
    assert back.get_value(ids["radiobutton"], Radiobutton) == ("B2C", back.get_value(ids["radiobutton"]).enum_id)
    assert back.get_value(ids["legal_entity"], LegalEntity) == {
        "name": "ООО Ромашка", "entity_type": 2, "vat_id": "7701000000"}
    assert back.get_value(ids["monetary"], Monetary) == 1234.5
    assert back.get_value(ids["chained_list"], ChainedList) == (SEED.CATALOG_PRODUCTS, SEED.ELEMENT_PEN)
    assert back.get_value(ids["file"], File) == {"file_uuid": "f-uuid", "version_uuid": "v-uuid",
                                                 "file_name": "contract.pdf", "file_size": 1024}
    assert back.get_value("Текст") == "hello" and back.get_value("ТЕКСТ", first=False) == ["hello"]


def test_plain_values_updates_and_clearing(client: AmoClient) -> None:
    leads = fx_v4(client).fx_leads
    lead = fx_models().FxLead(name="plain")
    lead.set_values({SEED.CF_LEAD_TEXT: "a", SEED.CF_LEAD_NUMERIC: 7, SEED.CF_LEAD_SELECT: "Option 1"})
    leads.save(lead)
    back = leads.get(lead.id)
    # plain values on a read object: converted per the field's type (which the read object knows)
    back.set_value("Список", "Option 3").set_value("Число", "8.25").clear("Текст")
    back.set_value(SEED.CF_LEAD_DATE, datetime.date(2024, 1, 2))
    assert changed_fields(back) == {"custom_fields_values"}
    assert leads.save(back).ok
    again = leads.get(lead.id)
    assert again.get_value("Список", Select) == ("Option 3", SEED.enum_id(SEED.CF_LEAD_SELECT, 3))
    assert again.get_value("Число") == 8.25 and again.get_value("Текст") is None
    assert again.get_field(SEED.CF_LEAD_TEXT) is None  # an emptied field leaves the list
    assert again.get_value(SEED.CF_LEAD_DATE) == datetime.datetime(2024, 1, 2, tzinfo=UTC)
    for ref in ("Список", "Число", SEED.CF_LEAD_DATE):
        again.clear(ref)
    leads.save(again)
    assert leads.get(lead.id).custom_fields_values is None


def test_two_writers_of_different_fields_both_keep_their_change(client: AmoClient) -> None:
    leads = fx_v4(client).fx_leads
    lead = fx_models().FxLead(name="shared")
    lead.set_values({SEED.CF_LEAD_TEXT: "start", SEED.CF_LEAD_NUMERIC: 1})
    leads.save(lead)
    first, second = leads.get(lead.id), leads.get(lead.id)
    first.set_value(SEED.CF_LEAD_TEXT, "from first")
    second.set_value(SEED.CF_LEAD_NUMERIC, 2)
    leads.save(first)
    leads.save(second)  # sends only the numeric field: the text written by `first` stays
    final = leads.get(lead.id)
    assert (final.get_value(SEED.CF_LEAD_TEXT), final.get_value(SEED.CF_LEAD_NUMERIC)) == ("from first", 2)
    untouched = leads.get(lead.id)
    assert leads.save(untouched)[0].message == "unchanged since read: nothing sent"


def test_contact_phones_emails_and_tags(client: AmoClient) -> None:
    contacts = fx_v4(client).fx_contacts
    contact = fx_models().FxContact(name="Пётр")
    contact.set_value("PHONE", Phone([("+79990000001", "MOB"), "+74950000002"]))
    contact.set_value("EMAIL", Email(("p@example.com", "PRIV")))
    contact.add_tags("vip", "new")
    contacts.save(contact)
    back = contacts.get(contact.id)
    assert back.get_value("PHONE") == [("+79990000001", "MOB"), ("+74950000002", "WORK")]
    assert back.get_value("email", Email) == [("p@example.com", "PRIV")]
    assert sorted(back.tag_names) == ["new", "vip"]

    other = contacts.get(contact.id)
    back.remove_tags("new").add_tags("returning")
    other.add_tags("from-other")  # a concurrent tag change: patches do not drop it
    contacts.save(other)
    contacts.save(back)
    assert sorted(contacts.get(contact.id).tag_names) == ["from-other", "returning", "vip"]
    final = contacts.get(contact.id)
    final.clear_tags()
    contacts.save(final)
    assert contacts.get(contact.id).tag_names == []


def test_seeded_entities_read_typed(client: AmoClient) -> None:
    ivan = fx_v4(client).fx_contacts.get(SEED.CONTACT_IVAN)
    assert ivan.get_value("PHONE", Phone) == [("+79990000001", "MOB")]
    assert ivan.get_value("EMAIL", first=False) == [("ivan@example.com", "WORK")]
    raw: Any = client.request("GET", f"/api/v4/contacts/{SEED.CONTACT_IVAN}")
    assert {f["field_code"] for f in raw["custom_fields_values"]} >= {"PHONE", "EMAIL"}
