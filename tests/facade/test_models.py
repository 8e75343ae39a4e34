"""The Amo* models: construction, attribute access, payloads and the seed's methods (parity rows 40-60)."""

from __future__ import annotations

import pytest

from amocrm.errors import ConfigError, NotFoundError
from amocrm.facade import (
    AmoAPI,
    AmoAPIException,
    AmoCatalog,
    AmoCatalogElement,
    AmoCompany,
    AmoContact,
    AmoIncomingLead,
    AmoIncomingLeadForm,
    AmoLead,
    AmoNote,
    AmoObject,
    AmoTask,
)
from amocrm.sandbox import SEED, Sandbox
from amocrm.v2.models import Contact


def test_constants() -> None:
    assert (AmoObject.CONTACT_TYPE, AmoObject.LEAD_TYPE, AmoObject.COMPANY_TYPE, AmoObject.TASK_TYPE,
            AmoObject.CUSTOMER_TYPE) == (1, 2, 3, 4, 12)
    assert [AmoNote.LEAD_CREATED_NOTETYPE, AmoNote.CONTACT_CREATED_NOTETYPE, AmoNote.LEAD_STATUS_CHANGED_NOTETYPE,
            AmoNote.COMMON_NOTETYPE, AmoNote.COMPANY_CREATED_NOTETYPE, AmoNote.TASK_RESULT_NOTETYPE,
            AmoNote.SYSTEM_NOTETYPE, AmoNote.SMS_IN_NOTETYPE, AmoNote.SMS_OUT_NOTETYPE] == [1, 2, 3, 4, 12, 13, 25, 102, 103]
    assert (AmoTask.CALL_TASKTYPE, AmoTask.MEET_TASKTYPE, AmoTask.MAIL_TASKTYPE) == (1, 2, 3)
    assert AmoContact.URL == "/api/v2/contacts" and AmoCatalogElement.URL == "/api/v2/catalog_elements"


def test_construction_and_attributes() -> None:
    contact = AmoContact({"id": "77", "name": "Hans", "_links": {}, "unknown": 1, "subdomain": "evil"})
    assert contact.id == 77 and contact.name == "Hans" and contact.subdomain is None
    assert isinstance(contact.model, Contact)
    assert contact.first_name is None
    contact.first_name = "Hans-Dietrich"
    assert contact.model.first_name == "Hans-Dietrich"
    contact.first_name = None
    assert "first_name" not in contact.get_params()
    with pytest.raises(ConfigError, match="no field 'nickname'"):
        contact.nickname = "x"
    with pytest.raises(AttributeError):
        _ = contact.nickname
    with pytest.raises(ConfigError, match=r"\$.responsible_user_id") as info:
        AmoContact({"responsible_user_id": "not a number"})
    assert isinstance(info.value, AmoAPIException) and info.value.code == 0
    with pytest.raises(ConfigError, match="params must be a dict"):
        AmoContact(["name"])  # type: ignore[arg-type]
    assert AmoLead({"pipeline_id": 45}).get_params()["pipeline_id"] == 45
    assert AmoLead({"pipeline": {"id": 45}}).get_params()["pipeline_id"] == 45


def test_get_params() -> None:
    contact = AmoContact({"name": "A", "first_name": "F", "last_name": "L", "tags": [{"id": 1, "name": "t1"}]})
    contact.add_tags(["t2", "t1"]).del_tags("t1")
    params = contact.get_params()
    assert params == {"name": "A", "first_name": "F", "last_name": "L", "tags": ["t2"]}
    updated = AmoLead({"id": 5, "name": "L"}).get_params()
    assert updated["id"] == 5 and updated["updated_at"] >= AmoAPI.updated_at_delta
    sms = AmoNote({"note_type": AmoNote.SMS_OUT_NOTETYPE, "text": "hi", "element_id": 1, "element_type": 2})
    assert sms.get_params()["params"] == {"text": "hi"}


def test_custom_fields() -> None:
    contact = AmoContact()
    contact.set_custom_fields({
        "100": "scalar",
        101: [{"value": "+7945", "enum": "WORK"}, {"value": "+7946", "enum": "HOME"}],
        102: [1121, 1122],
    })
    assert contact.get_custom_field_value_by_id(100) == "scalar"
    assert contact.get_custom_field_value_by_id("101", False) == ["+7945", "+7946"]
    assert contact.get_custom_field_value_by_id(101, True, "enum") == "WORK"
    assert contact.get_custom_field_value_by_id(102, False) == [1121, 1122]
    assert contact.get_custom_field_value_by_id(999) is None
    assert [f.id for f in contact.get_custom_fields([101, "100"])] == [100, 101]
    contact.set_custom_fields({100: "replaced"})
    assert contact.get_custom_field_value_by_id(100, False) == ["replaced"]
    assert contact.custom_fields is not None and len(contact.custom_fields) == 3
    with pytest.raises(ConfigError, match="return_value"):
        contact.get_custom_field_value_by_id(100, True, "name")
    with pytest.raises(ConfigError, match="unknown keys"):
        contact.set_custom_fields({1: [{"bogus": 1}]})


def test_fill_by_id(api: Sandbox) -> None:
    contact = AmoContact()
    assert contact.fill_by_id(SEED.CONTACT_IVAN, {"with": "x"}) is contact
    assert api.request_log()[-1]["query"] == f"id={SEED.CONTACT_IVAN}&with=x"
    assert contact.name and contact.get_phone() and contact.get_email() == "ivan@example.com"
    assert contact.company is not None and contact.company.id == SEED.COMPANY_ACME
    with pytest.raises(NotFoundError, match="not found") as info:
        AmoLead().fill_by_id(123)
    assert info.value.code == 404 and isinstance(info.value, AmoAPIException)


def test_save_add_update_and_response(api: Sandbox) -> None:
    contact = AmoContact({"name": "Hans", "first_name": "Hans", "responsible_user_id": SEED.USER_MANAGER})
    contact.set_custom_fields({SEED.CF_CONTACT_PHONE: [{"value": "+79451112233", "enum": "WORK"}]})
    new_id = contact.save()
    assert new_id == contact.id  # written back
    stored = next(c for c in api.entities("contacts") if c["id"] == new_id)
    assert stored["first_name"] == "Hans" and stored["responsible_user_id"] == SEED.USER_MANAGER
    contact.name = "Hans renamed"
    response = contact.save(return_response=True)
    assert response["_embedded"]["items"][0]["id"] == new_id
    assert next(c for c in api.entities("contacts") if c["id"] == new_id)["name"] == "Hans renamed"


def test_contact_and_company_links(api: Sandbox) -> None:
    contact = AmoContact({"name": "Linked"}).add_leads([SEED.LEAD_SECOND, "8000002"]).add_company(SEED.COMPANY_ACME)
    contact.add_customers(SEED.CUSTOMER_FIRST)
    contact.save()
    stored = next(c for c in api.entities("contacts") if c["id"] == contact.id)
    assert stored["linked_leads"] == [SEED.LEAD_SECOND] and stored["linked_companies"] == [SEED.COMPANY_ACME]
    assert stored["linked_customers"] == [SEED.CUSTOMER_FIRST]
    company = AmoCompany({"name": "Co"}).add_contacts(SEED.CONTACT_MARIA).add_leads(SEED.LEAD_SECOND)
    company.add_customers([SEED.CUSTOMER_FIRST]).add_tags("Акционер")
    company.save()
    stored = next(c for c in api.entities("companies") if c["id"] == company.id)
    assert stored["linked_contacts"] == [SEED.CONTACT_MARIA] and stored["tags"] == ["Акционер"]
    assert AmoCompany().fill_by_id(SEED.COMPANY_ACME).get_phone() is not None
    with pytest.raises(ConfigError, match="expected an int id"):
        AmoContact().add_leads([1.5])  # type: ignore[list-item]


def test_lead_links_like_the_seed_unit_tests() -> None:
    lead = AmoLead({"contacts": {"id": [1]}})
    lead.add_contacts([10, 11, 12]).remove_contacts(11).add_contacts(11)
    assert lead.contacts is not None and lead.contacts.id == [1, 10, 12, 11] and lead.unlink is None
    lead.remove_contacts([1, 10, 12, 11])
    assert lead.contacts is None and lead.unlink is not None and lead.unlink.contacts_id == [1, 10, 12, 11]
    lead = AmoLead({"company": {"id": 5}})
    lead.add_company(6).remove_company(5)
    assert lead.company is not None and lead.unlink is not None
    assert lead.company.id == 6 and lead.unlink.company_id == 5
    lead.remove_company(6)
    assert lead.company is None


def test_lead_save_with_links(api: Sandbox) -> None:
    lead = AmoLead({"name": "Заказ", "pipeline": {"id": SEED.PIPELINE_MAIN}, "status_id": SEED.STATUS_MAIN_NEW,
                    "sale": 15000})
    lead.add_contacts(SEED.CONTACT_IVAN).add_company(SEED.COMPANY_ACME)
    lead.set_catalog_elements({SEED.CATALOG_PRODUCTS: {SEED.ELEMENT_PEN: 10}})
    lead.save()
    stored = next(x for x in api.entities("leads") if x["id"] == lead.id)
    assert stored["linked_contacts"] == [SEED.CONTACT_IVAN] and stored["sale"] == 15000
    assert stored["catalog_elements"] == {SEED.CATALOG_PRODUCTS: {SEED.ELEMENT_PEN: 10}}
    first = AmoLead().fill_by_id(SEED.LEAD_FIRST)
    first.remove_contacts(SEED.CONTACT_IVAN).remove_company(SEED.COMPANY_ACME)
    first.save()
    stored = next(x for x in api.entities("leads") if x["id"] == SEED.LEAD_FIRST)
    assert stored["linked_contacts"] == [] and stored["linked_companies"] == []


def test_note_and_task(api: Sandbox) -> None:
    note = AmoNote({"element_id": SEED.LEAD_FIRST, "element_type": AmoNote.LEAD_TYPE,
                    "note_type": AmoNote.COMMON_NOTETYPE, "text": "Текст"})
    note.save()
    assert any(n["id"] == note.id and n["text"] == "Текст" for n in api.entities("notes"))
    task = AmoTask({"task_type": AmoTask.MAIL_TASKTYPE, "text": "Write", "complete_till_at": 1508706000})
    task.add_lead(SEED.LEAD_FIRST).add_contact(SEED.CONTACT_IVAN)
    assert (task.element_id, task.element_type) == (SEED.CONTACT_IVAN, AmoTask.CONTACT_TYPE)
    task.save()
    stored = next(t for t in api.entities("tasks") if t["id"] == task.id)
    assert stored["element_id"] == SEED.CONTACT_IVAN and stored["element_type"] == 1
    assert task.id is not None
    loaded = AmoTask().fill_by_id(task.id)
    assert loaded.text == "Write"


def test_catalog_and_elements(api: Sandbox) -> None:
    catalog = AmoCatalog({"name": "Склад"})
    catalog.save()
    element = AmoCatalogElement({"catalog_id": catalog.id, "name": "Ручка"})
    element.set_custom_fields({SEED.CF_CATALOG_SKU: "SKU-1"})
    with pytest.raises(AmoAPIException):
        element.save()  # the SKU field belongs to the products catalog
    element = AmoCatalogElement({"catalog_id": SEED.CATALOG_PRODUCTS, "name": "Ручка"})
    element.set_custom_fields({SEED.CF_CATALOG_SKU: "SKU-1"})
    element.save()
    assert element.id is not None and catalog.id is not None
    loaded = AmoCatalogElement().fill_by_id(element.id, {"catalog_id": SEED.CATALOG_PRODUCTS})
    assert loaded.get_custom_field_value_by_id(SEED.CF_CATALOG_SKU) == "SKU-1"
    assert AmoCatalog().fill_by_id(catalog.id).name == "Склад"


def test_incoming_models(api: Sandbox) -> None:
    with pytest.raises(ConfigError, match="abstract"):
        AmoIncomingLead()
    form = AmoIncomingLeadForm({"source_name": "site"})
    form.set_incoming_lead_info({"form_id": 7, "form_page": "https://example.com", "form_name": "Home"})
    form.add_incoming_lead(AmoLead({"name": "From the site"}))
    form.add_incoming_contact(AmoContact({"name": "Visitor"}))
    form.add_incoming_company(AmoCompany({"name": "Visitor's company"}))
    form.add_incoming_company({"name": "Second company"})
    with pytest.raises(ConfigError, match="expected AmoCompany or a dict"):
        form.add_incoming_company(AmoContact({"name": "wrong class"}))  # type: ignore[arg-type]
    params = form.get_params()
    assert params["created_at"] > 0 and form.created_at is None  # get_params does not change the object
    assert [c["name"] for c in params["incoming_entities"]["companies"]] == ["Visitor's company", "Second company"]
    uids = form.save()
    assert uids == [form.uid] and form.uid
    assert form.uid is not None
    loaded = AmoIncomingLeadForm().fill_by_uid(form.uid)
    assert loaded.source_name == "site" and loaded.incoming_lead_info is not None
    assert loaded.incoming_lead_info.form_name == "Home"
    with pytest.raises(NotFoundError):
        AmoIncomingLeadForm().fill_by_uid("nope")
    with pytest.raises(ConfigError, match="fill_by_uid"):
        form.fill_by_id(1)
