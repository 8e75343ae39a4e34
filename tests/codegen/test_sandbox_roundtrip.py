"""Generated resources end to end: the real client (urllib3, real socket) against the in-process emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

sandbox_mod = pytest.importorskip("amocrm.sandbox")
client_mod = pytest.importorskip("amocrm.client")

from amocrm.auth.token import LongLivedToken  # noqa: E402
from amocrm.errors import NotFoundError  # noqa: E402
from amocrm.v2.models import (  # noqa: E402
    Catalog,
    CatalogElement,
    Contact,
    IncomingEntities,
    IncomingLead,
    IncomingLeadInfo,
    Lead,
    Note,
    Task,
)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with sandbox_mod.Sandbox(rate_limit=None, read_timeout=3.0) as sb:
        token = LongLivedToken(sb.issue_tokens()["access_token"])
        yield client_mod.AmoClient(sb.subdomain, auth=token, base_url=sb.base_url, throttle=None)


def test_contacts_and_leads_round_trip(client: Any) -> None:
    account = client.v2.account.get(with_=["users", "custom_fields", "pipelines"])
    assert account.embedded.users and account.embedded.pipelines
    phone = next(f for f in account.embedded.custom_fields.contacts if f.code == "PHONE")

    contact = Contact(name="Ivan").add_tags("vip").set_custom_field(phone.id, [{"value": "+7999", "enum": "WORK"}])
    client.v2.contacts.save(contact)
    assert isinstance(contact.id, int)
    lead = Lead(name="Deal", sale=100).add_contacts(contact.id).add_tags("a", "b")
    client.v2.leads.save(lead)
    got = client.v2.leads.get(lead.id)
    assert (got.name, got.sale, got.contacts.id, [t.name for t in got.tags]) == ("Deal", 100, [contact.id], ["a", "b"])
    assert client.v2.contacts.get(contact.id).phone == "+7999"

    got.sale = 200
    got.remove_contacts(contact.id)
    (saved,) = client.v2.leads.save(got)
    assert saved.id == lead.id
    again = client.v2.leads.get(lead.id)
    assert again.sale == 200 and not getattr(again.contacts, "id", None)
    with pytest.raises(NotFoundError):
        client.v2.leads.get(999_999_999)


def test_batches_and_paging(client: Any) -> None:
    before = len(list(client.v2.leads.list()))
    leads = [Lead(name=f"L{i}") for i in range(7)]
    client.v2.leads.save(leads, batch_size=3)
    assert all(isinstance(lead.id, int) for lead in leads) and len({lead.id for lead in leads}) == 7
    assert len(list(client.v2.leads.list(page_size=4))) == before + 7
    assert len(client.v2.leads.list(page_size=2).items) == 2


def test_notes_tasks_catalogs(client: Any) -> None:
    lead = Lead(name="N")
    client.v2.leads.save(lead)
    note = Note(note_type=4, text="hello").attach_to(lead.id, 2)
    client.v2.notes.save(note)
    assert "hello" in [n.text for n in client.v2.notes.list(type="lead", element_id=lead.id)]
    task = Task(text="call", task_type=1, complete_till_at=int(time.time()) + 3600).attach_to_lead(lead.id)
    client.v2.tasks.save(task)
    assert client.v2.tasks.get(task.id).text == "call"
    catalog = Catalog(name="Goods")
    client.v2.catalogs.save(catalog)
    element = CatalogElement(name="Pen", catalog_id=catalog.id)
    client.v2.catalog_elements.save(element)
    assert [e.name for e in client.v2.catalog_elements.list(catalog_id=catalog.id)] == ["Pen"]
    client.v2.catalogs.delete(catalog)
    assert catalog.id not in [c.id for c in client.v2.catalogs.list()]


def test_pipelines_webhooks_incoming_widgets(client: Any) -> None:
    assert all(p.statuses for p in client.v2.pipelines.list())
    assert client.v2.webhooks.subscribe("https://example.com/h", ["add_lead"])[0].result is True
    assert "https://example.com/h" in [w.url for w in client.v2.webhooks.list()]
    incoming = IncomingLead(
        source_name="site",
        incoming_lead_info=IncomingLeadInfo(form_id=1, form_page="https://x", form_name="f"),
        incoming_entities=IncomingEntities(leads=[Lead(name="from form")]),
    )
    (uid,) = client.v2.incoming_leads.add_form(incoming)
    assert incoming.uid == uid and client.v2.incoming_leads.get_by_uid(uid).source_name == "site"
    user = client.v2.account.get().current_user
    accepted = client.v2.incoming_leads.accept(uid, user_id=user)
    assert accepted[uid].leads
    assert client.v2.incoming_leads.summary().accepted >= 1
    assert isinstance(client.v2.widgets.list(), list)
