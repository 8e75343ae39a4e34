"""Every resource operation of AmoClient against a live sandbox on loopback.

Written as a user of the package would write it: the ``amocrm_client`` and ``amocrm_sandbox``
fixtures come from the pytest plugin that ``pip install amocrm`` registers.
"""

from __future__ import annotations

import time

import pytest

from amocrm import AmoClient, ConflictError, EntityErrors, NotFoundError
from amocrm.models._write import to_write_item
from amocrm.sandbox import SEED, Sandbox
from amocrm.v2.models import Catalog, CatalogElement, Company, Contact, IncomingLead, Lead, Note, Task


def by_name(sandbox: Sandbox, kind: str, name: str) -> list[dict[str, object]]:
    return [e for e in sandbox.entities(kind) if e.get("name") == name]


# -- account, pipelines, widgets ------------------------------------------------------------------


def test_account_with_everything(amocrm_client: AmoClient) -> None:
    acc = amocrm_client.v2.account.get(with_=["custom_fields", "users", "pipelines", "groups", "note_types", "task_types"])
    assert acc.id == SEED.ACCOUNT_ID
    assert acc.subdomain == "sandbox"
    raw = amocrm_client.request("GET", "/api/v2/account", {"with": "users"})
    assert str(SEED.USER_ADMIN) in raw["_embedded"]["users"]


def test_pipelines_have_won_and_lost(amocrm_client: AmoClient) -> None:
    pipelines = amocrm_client.v2.pipelines.list()
    ids = {p.id for p in pipelines}
    assert {SEED.PIPELINE_MAIN, SEED.PIPELINE_SECOND} <= ids
    for p in pipelines:
        assert p.statuses is not None
        status_ids = {int(s) for s in p.statuses} if isinstance(p.statuses, dict) else {s.id for s in p.statuses}
        assert {142, 143} <= status_ids


def test_widgets_list(amocrm_client: AmoClient) -> None:
    assert isinstance(amocrm_client.v2.widgets.list(), list)


# -- leads: list / iter / get / save (add, update) -----------------------------------------------


def test_lead_add_writes_id_back_and_round_trips(amocrm_client: AmoClient, amocrm_sandbox: Sandbox) -> None:
    lead = Lead(name="Big deal", sale=15000, status_id=SEED.STATUS_MAIN_NEW, pipeline_id=SEED.PIPELINE_MAIN)
    lead.add_tags("vip", "q4")
    lead.set_custom_field(SEED.CF_LEAD_TEXT, "hello")
    lead.add_contacts([SEED.CONTACT_IVAN])
    lead.add_company(SEED.COMPANY_ACME)
    saved = amocrm_client.v2.leads.save(lead)
    assert len(saved) == 1 and isinstance(lead.id, int) and saved[0].id == lead.id

    got = amocrm_client.v2.leads.get(lead.id)
    assert got.name == "Big deal" and got.sale == 15000
    assert sorted(t.name for t in got.tags) == ["q4", "vip"]
    assert got.get_custom_field_value(SEED.CF_LEAD_TEXT) == "hello"
    assert SEED.CONTACT_IVAN in got.contacts.id
    # links are kept consistent in both directions
    ivan = amocrm_client.v2.contacts.get(SEED.CONTACT_IVAN)
    assert lead.id in ivan.leads.id
    stored = by_name(amocrm_sandbox, "leads", "Big deal")
    assert len(stored) == 1


def test_lead_update_and_unlink(amocrm_client: AmoClient) -> None:
    lead = Lead(name="To update")
    lead.add_contacts([SEED.CONTACT_IVAN, SEED.CONTACT_MARIA])
    amocrm_client.v2.leads.save(lead)
    assert lead.id is not None
    got = amocrm_client.v2.leads.get(lead.id)
    got.name = "Updated"
    got.remove_contacts(SEED.CONTACT_MARIA)
    got.remove_tags("nothing")
    amocrm_client.v2.leads.save(got)
    again = amocrm_client.v2.leads.get(lead.id)
    assert again.name == "Updated"
    assert list(again.contacts.id) == [SEED.CONTACT_IVAN]


def test_save_never_echoes_read_only_keys(amocrm_client: AmoClient, amocrm_sandbox: Sandbox) -> None:
    lead = amocrm_client.v2.leads.get(SEED.LEAD_FIRST)
    lead.name = "Renamed"
    amocrm_client.v2.leads.save(lead)
    posts = [r for r in amocrm_sandbox.request_log() if r["method"] == "POST" and r["path"] == "/api/v2/leads"]
    assert posts, "the save was not sent"
    # The request body is not in the log; check the payload builder the save used.
    payload = to_write_item(lead)
    for key in ("account_id", "updated_by", "_links", "main_contact", "is_price_modified_by_robot"):
        assert key not in payload
    for cf in payload.get("custom_fields", []):
        assert set(cf) <= {"id", "values"}
    assert "updated_at" not in payload  # save() adds now + delta itself


def test_list_filters_and_204(amocrm_client: AmoClient) -> None:
    amocrm_client.v2.leads.save([Lead(name=f"filter-{i}", responsible_user_id=SEED.USER_MANAGER) for i in range(3)])
    mine = amocrm_client.v2.leads.list(responsible_user_id=SEED.USER_MANAGER)
    assert {lead.name for lead in mine} >= {"filter-0", "filter-1", "filter-2"}
    assert amocrm_client.v2.leads.list(query="filter-1").items[0].name == "filter-1"
    assert amocrm_client.v2.leads.list(id=[SEED.LEAD_FIRST]).items[0].id == SEED.LEAD_FIRST
    empty = amocrm_client.v2.leads.list(query="no such lead anywhere")  # 204
    assert empty.items == [] and list(empty) == [] and not empty.has_next_page()


def test_get_missing_raises_not_found(amocrm_client: AmoClient) -> None:
    with pytest.raises(NotFoundError):
        amocrm_client.v2.leads.get(999999999)


def test_iter_pages_through_everything_and_stops(amocrm_client: AmoClient, amocrm_sandbox: Sandbox) -> None:
    amocrm_client.v2.leads.save([Lead(name=f"bulk-{i}") for i in range(23)], batch_size=10)
    before = len(amocrm_sandbox.request_log())
    names = [lead.name for lead in amocrm_client.v2.leads.list(page_size=5)]
    total = len(amocrm_sandbox.entities("leads"))
    assert len(names) == total and len(set(names)) == total
    requests = len(amocrm_sandbox.request_log()) - before
    # one per page, plus the pages fetched ahead past the end (at most config.prefetch) or one 204
    assert requests <= total // 5 + 1 + amocrm_client.config.prefetch
    pages = [page.items for page in amocrm_client.v2.leads.list(page_size=10).pages()]
    assert sum(len(p) for p in pages) == total


def test_batch_save_is_chunked(amocrm_client: AmoClient, amocrm_sandbox: Sandbox) -> None:
    leads = [Lead(name=f"chunk-{i}") for i in range(7)]
    before = len(amocrm_sandbox.request_log())
    saved = amocrm_client.v2.leads.save(leads, batch_size=3)
    posts = [r for r in amocrm_sandbox.request_log()[before:] if r["path"] == "/api/v2/leads"]
    assert len(posts) == 3
    assert [s.id for s in saved] == [lead.id for lead in leads]
    assert len({lead.id for lead in leads}) == 7


def test_stale_update_is_a_conflict(amocrm_client: AmoClient, amocrm_sandbox: Sandbox) -> None:
    from amocrm.testing import client_for

    mine = amocrm_client.v2.leads.get(SEED.LEAD_SECOND)  # the version this worker holds
    with client_for(amocrm_sandbox) as other:        # another worker updates the lead meanwhile
        theirs = other.v2.leads.get(SEED.LEAD_SECOND)
        theirs.name = "theirs"
        other.v2.leads.save(theirs)
    amocrm_client.config.lock_updates = False         # no lock: the conflict must surface
    amocrm_client.config.updated_at_delta = -3600     # and our clock is behind
    mine.name = "stale"
    with pytest.raises(ConflictError) as info:
        amocrm_client.v2.leads.save(mine)
    assert "Last modified date is older than in database" in str(info.value)
    assert isinstance(info.value, EntityErrors)
    assert amocrm_client.v2.leads.get(SEED.LEAD_SECOND).name == "theirs"


def test_two_quick_updates_of_one_entity_do_not_conflict(amocrm_client: AmoClient) -> None:
    for name in ("one", "two", "three"):
        lead = amocrm_client.v2.leads.get(SEED.LEAD_FIRST)
        lead.name = name
        amocrm_client.v2.leads.save(lead)
    assert amocrm_client.v2.leads.get(SEED.LEAD_FIRST).name == "three"


# -- contacts and companies ----------------------------------------------------------------------


def test_contact_with_phone_email_and_company(amocrm_client: AmoClient) -> None:
    contact = Contact(name="Пётр Петров", first_name="Пётр", last_name="Петров")
    contact.set_custom_field(SEED.CF_CONTACT_PHONE, [{"value": "+79990001122", "enum": "WORK"}])
    contact.set_custom_field(SEED.CF_CONTACT_EMAIL, [{"value": "p@example.com", "enum": "WORK"}])
    contact.add_company(SEED.COMPANY_ACME)
    amocrm_client.v2.contacts.save(contact)
    assert contact.id is not None
    got = amocrm_client.v2.contacts.get(contact.id)
    assert got.phone == "+79990001122" and got.email == "p@example.com"
    assert got.first_name == "Пётр"
    assert got.company is not None and got.company.id == SEED.COMPANY_ACME
    assert contact.id in [c.id for c in amocrm_client.v2.contacts.list(query="Пётр Петров")]


def test_company_links_and_iter(amocrm_client: AmoClient) -> None:
    company = Company(name="Globex")
    company.add_contacts([SEED.CONTACT_MARIA])
    company.add_leads([SEED.LEAD_FIRST])
    amocrm_client.v2.companies.save(company)
    assert company.id is not None
    got = amocrm_client.v2.companies.get(company.id)
    assert SEED.CONTACT_MARIA in got.contacts.id
    assert SEED.LEAD_FIRST in got.leads.id
    assert company.id in {c.id for c in amocrm_client.v2.companies.list()}


# -- tasks and notes -----------------------------------------------------------------------------


def test_tasks(amocrm_client: AmoClient) -> None:
    task = Task(text="Call back", task_type=1, complete_till_at=int(time.time()) + 3600)
    task.attach_to_lead(SEED.LEAD_FIRST)
    amocrm_client.v2.tasks.save(task)
    assert task.id is not None
    got = amocrm_client.v2.tasks.get(task.id)
    assert got.element_id == SEED.LEAD_FIRST and got.element_type == 2
    assert task.id in {t.id for t in amocrm_client.v2.tasks.list(type="lead")}
    assert task.id in {t.id for t in amocrm_client.v2.tasks.list(element_id=SEED.LEAD_FIRST)}


def test_notes_need_a_type_and_save(amocrm_client: AmoClient) -> None:
    note = Note(text="Customer called", note_type=4, element_id=SEED.CONTACT_IVAN, element_type=1)
    amocrm_client.v2.notes.save(note)
    assert note.id is not None
    got = amocrm_client.v2.notes.get(note.id, type="contact")
    assert got.text == "Customer called"
    assert note.id in {n.id for n in amocrm_client.v2.notes.list(type="contact")}
    sms = Note(text="sms body", note_type=102, element_id=SEED.CONTACT_IVAN, element_type=1)
    assert to_write_item(sms)["params"]["text"] == "sms body"


# -- catalogs and elements (page paging, delete) --------------------------------------------------


def test_catalogs_and_elements(amocrm_client: AmoClient, amocrm_sandbox: Sandbox) -> None:
    catalog = Catalog(name="Services")
    amocrm_client.v2.catalogs.save(catalog)
    assert catalog.id is not None
    assert catalog.id in {c.id for c in amocrm_client.v2.catalogs.list()}
    elements = [CatalogElement(name=f"svc-{i}", catalog_id=catalog.id) for i in range(60)]
    amocrm_client.v2.catalog_elements.save(elements)
    listed = list(amocrm_client.v2.catalog_elements.list(catalog_id=catalog.id))
    assert sorted(e.name for e in listed) == sorted(f"svc-{i}" for i in range(60))
    amocrm_client.v2.catalog_elements.delete(elements[:10])
    assert len(list(amocrm_client.v2.catalog_elements.list(catalog_id=catalog.id))) == 50
    amocrm_client.v2.catalogs.delete([catalog])
    assert catalog.id not in {c.id for c in amocrm_client.v2.catalogs.list()}


# -- incoming leads ------------------------------------------------------------------------------


def test_incoming_leads_form_sip_accept_decline_summary(amocrm_client: AmoClient) -> None:
    form = IncomingLead(
        source_name="site",
        source_uid="form-1",
        incoming_lead_info={"form_id": 1, "form_page": "https://example.com", "form_name": "Contact us"},
        incoming_entities={"leads": [{"name": "From the form"}], "contacts": [{"name": "Visitor"}]},
    )
    sip = IncomingLead(
        source_name="pbx",
        source_uid="call-1",
        incoming_lead_info={"to": SEED.USER_ADMIN, "from": "+79990000000", "date_call": int(time.time()),
                            "duration": 30, "service_code": "pbx", "link": "https://example.com/rec.mp3"},
        incoming_entities={"leads": [{"name": "From a call"}]},
    )
    (uid_form,) = amocrm_client.v2.incoming_leads.add_form(form)
    (uid_sip,) = amocrm_client.v2.incoming_leads.add_sip(sip)
    assert amocrm_client.v2.incoming_leads.get_by_uid(uid_form).uid == uid_form
    assert {i.uid for i in amocrm_client.v2.incoming_leads.list()} >= {uid_form, uid_sip}
    assert [i.uid for i in amocrm_client.v2.incoming_leads.list(categories=["sip"])] == [uid_sip]
    accepted = amocrm_client.v2.incoming_leads.accept([uid_form], user_id=SEED.USER_ADMIN, status_id=SEED.STATUS_MAIN_NEW)
    assert accepted is not None
    amocrm_client.v2.incoming_leads.decline([uid_sip], user_id=SEED.USER_ADMIN)
    summary = amocrm_client.v2.incoming_leads.summary()
    assert summary is not None
    assert [lead.name for lead in amocrm_client.v2.leads.list(query="From the form")] == ["From the form"]


# -- webhooks ------------------------------------------------------------------------------------


def test_webhooks_subscribe_list_unsubscribe(amocrm_client: AmoClient) -> None:
    result = amocrm_client.v2.webhooks.subscribe("https://example.com/hook", ["add_lead", "update_lead"])
    assert result and result[0].result is True
    hooks = amocrm_client.v2.webhooks.list()
    assert any(h.url == "https://example.com/hook" for h in hooks)
    amocrm_client.v2.webhooks.unsubscribe("https://example.com/hook", ["add_lead", "update_lead"])
    assert not any(h.url == "https://example.com/hook" for h in amocrm_client.v2.webhooks.list())


# -- raw, AJAX, account domain, last response ----------------------------------------------------


def test_raw_get_post_ajax_and_last_response(amocrm_client: AmoClient) -> None:
    body = amocrm_client.request("POST", "/api/v2/leads", json={"add": [{"name": "raw"}]})
    new_id = body["_embedded"]["items"][0]["id"]
    assert amocrm_client.request("GET", "/api/v2/leads", {"id": new_id})["_embedded"]["items"][0]["name"] == "raw"
    assert amocrm_client.last_response is not None and amocrm_client.last_response.status == 200
    ajax = amocrm_client.ajax("/ajax/leads/list", {"json": 1, "page": 1})
    assert "response" in ajax
    assert amocrm_client.get_account_domain()["subdomain"] == "sandbox"
    assert amocrm_client.request("GET", "/api/v2/leads", {"query": "nothing like this"}) is None


def test_api_key_auth_works_end_to_end(amocrm_sandbox: Sandbox) -> None:
    from amocrm.testing import client_for

    with client_for(amocrm_sandbox, auth="api_key") as client:
        assert client.v2.contacts.get(SEED.CONTACT_IVAN).id == SEED.CONTACT_IVAN
    assert amocrm_sandbox.counters()["logins"] == 1
