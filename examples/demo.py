"""The main job (`make demo`): start the bundled sandbox and walk through the SDK against it.

Every step prints what it does and what came back. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import logging
import tempfile
import time

from amocrm import AmoClient, ConflictError, FileTokenStorage, OAuth2
from amocrm.models import (
    Catalog,
    CatalogElement,
    Company,
    Contact,
    IncomingEntities,
    IncomingLead,
    IncomingLeadInfo,
    Lead,
    Note,
    Task,
)
from amocrm.sandbox import SEED, Sandbox


def step(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with Sandbox(rate_limit=7.0) as sb, tempfile.TemporaryDirectory() as tokens_dir:
        step(f"sandbox running at {sb.base_url} (subdomain {sb.subdomain!r}, 7 requests/s like the real service)")

        step("OAuth 2.0: exchange the authorization code, tokens saved to a file storage (0600, atomic)")
        storage = FileTokenStorage(tokens_dir)
        auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, code=sb.code)
        client = AmoClient(sb.subdomain, base_url=sb.base_url, auth=auth)  # throttled to 7 req/s
        account = client.account.get(with_=["users", "pipelines", "custom_fields"])
        print(f"account #{account.id} {account.name!r}; tokens stored: {storage.has_tokens(client.domain)}")
        print(f"client repr hides secrets: {client!r}")

        step("contacts and companies with custom fields and links")
        company = Company(name="ООО Ромашка")
        client.companies.save(company)
        contact = Contact(name="Иван Иванов", first_name="Иван", last_name="Иванов")
        contact.set_custom_field(SEED.CF_CONTACT_PHONE, [{"value": "+79990001122", "enum": "WORK"}])
        contact.set_custom_field(SEED.CF_CONTACT_EMAIL, [{"value": "ivan@example.com", "enum": "WORK"}])
        if company.id:
            contact.add_company(company.id)
        client.contacts.save(contact)
        fresh = client.contacts.get(contact.id) if contact.id else None
        print(f"company #{company.id}, contact #{contact.id}: phone {fresh.phone if fresh else None}, "
              f"email {fresh.email if fresh else None}")

        step("leads: add with tags, contacts and a custom field, then update")
        lead = Lead(name="Поставка", sale=150000, status_id=SEED.STATUS_MAIN_NEW, pipeline_id=SEED.PIPELINE_MAIN)
        lead.add_tags("vip", "demo")
        lead.set_custom_field(SEED.CF_LEAD_TEXT, "из демо")
        if contact.id:
            lead.add_contacts(contact.id)
        client.leads.save(lead)
        print(f"new lead id written back into the object: {lead.id}")
        if lead.id:
            got = client.leads.get(lead.id)
            got.sale = 175000
            client.leads.save(got)
            print(f"updated: sale {client.leads.get(lead.id).sale}, tags {[t.name for t in got.tags or []]}")

        step("batch save: 600 leads in chunks of 250 (3 POSTs), ids written back")
        started = time.monotonic()
        batch = [Lead(name=f"batch lead {i}") for i in range(600)]
        saved = client.leads.save(batch)
        print(f"saved {len(saved)} leads in {time.monotonic() - started:.2f}s; first id {batch[0].id}")

        step("iterate every lead, page by page (500 per page), throttled to 7 requests/s")
        started = time.monotonic()
        count = sum(1 for _ in client.leads.list())
        print(f"{count} leads in {time.monotonic() - started:.2f}s")

        step("tasks and notes")
        task = Task(text="Перезвонить", task_type=1, complete_till_at=int(time.time()) + 86400)
        if lead.id:
            task.attach_to_lead(lead.id)
        client.tasks.save(task)
        note = Note(text="Клиент доволен", note_type=4, element_id=lead.id or 0, element_type=2)
        client.notes.save(note)
        print(f"task #{task.id}, note #{note.id}; lead notes: {len(client.notes.list(type='lead').items)}")

        step("catalogs and catalog elements (page-based paging, delete)")
        catalog = Catalog(name="Товары")
        client.catalogs.save(catalog)
        elements = [CatalogElement(name=f"Товар {i}", catalog_id=catalog.id or 0) for i in range(5)]
        client.catalog_elements.save(elements)
        client.catalog_elements.delete(elements[:2])
        print(f"catalog #{catalog.id} holds {len(list(client.catalog_elements.list(catalog_id=catalog.id or 0)))} elements")

        step("incoming (unsorted) leads: add from a form, accept")
        incoming = IncomingLead(
            source_name="site", source_uid="demo-form",
            incoming_lead_info=IncomingLeadInfo(form_id=1, form_page="https://example.com/contact", form_name="Contact us"),
            incoming_entities=IncomingEntities(leads=[Lead(name="Заявка с сайта")]),
        )
        uids = client.incoming_leads.add_form(incoming)
        client.incoming_leads.accept(uids, user_id=SEED.USER_ADMIN, status_id=SEED.STATUS_MAIN_NEW)
        print(f"accepted {uids}")

        step("webhooks")
        client.webhooks.subscribe("https://example.com/amocrm-hook", ["add_lead", "update_lead"])
        print(f"subscribed: {[(h.url, h.events) for h in client.webhooks.list()]}")

        step("raw and AJAX requests")
        raw = client.request("GET", "/api/v2/leads", {"id": [SEED.LEAD_FIRST]})
        print(f"raw GET: {raw['_embedded']['items'][0]['name']!r}")
        ajax = client.ajax("/ajax/contacts/list", {"json": 1, "element_type": 1})
        print(f"AJAX contacts list: {len(ajax['response']['items'])} items")

        step("optimistic locking: a stale updated_at is raised as ConflictError")
        client.config.updated_at_delta = -3600
        try:
            client.leads.save(Lead(id=SEED.LEAD_FIRST, name="stale"))
        except ConflictError as exc:
            print(f"ConflictError: {exc}")
        client.config.updated_at_delta = 5

        step("what the sandbox saw")
        counters = sb.counters()
        print(f"requests {counters['requests']}, 429s {counters['rate_limited']}, code exchanges "
              f"{counters['code_exchanges']}, refreshes {counters['refreshes']}")
        client.close()
    print("\ndone")


if __name__ == "__main__":
    main()
