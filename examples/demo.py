"""The main job (`make demo`): start the bundled sandbox and walk through the SDK against it.

API v4 first: it is the default version, so ``client.leads``, ``client.contacts``... and
``amocrm.models`` are API v4's. Then a short part on API v2 (the seed library's API) through
``client.v2`` and ``amocrm.v2.models``. Every step prints what it does and what came back. Nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

import logging
import tempfile
import time

from amocrm import AmoClient, ConflictError, FileTokenStorage, OAuth2
from amocrm.models import Company, Contact, EmbeddedEntity, Lead, LeadEmbedded
from amocrm.sandbox import SEED, Sandbox
from amocrm.v2 import models as v2
from amocrm.v4.fields import Email, Phone, Select, Text


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
        account = client.account.get()  # API v4, the default version: GET /api/v4/account
        print(f"account #{account.id} {account.name!r}; tokens stored: {storage.has_tokens(client.domain)}")
        print(f"client repr hides secrets: {client!r}")

        # -- API v4, the default: client.leads is client.v4.leads ------------------------------------
        step("API v4 (default): a company and a contact with phone and e-mail")
        company = Company(name="ООО Ромашка")
        client.companies.save(company)
        contact = Contact(name="Иван Иванов", first_name="Иван", last_name="Иванов")
        contact.set_value("PHONE", Phone([("+79990001122", "WORK")]))
        contact.set_value("EMAIL", Email(["ivan@example.com"]))
        client.contacts.save(contact)
        print(f"company #{company.id}, contact #{contact.id} (ids written back into the objects)")
        if contact.id:
            fresh = client.contacts.get(contact.id)
            phones = [p.value for p in fresh.get_value("PHONE", Phone) or []]
            emails = [e.value for e in fresh.get_value("EMAIL", Email) or []]
            print(f"read back: {fresh.name!r}, phones {phones}, e-mails {emails}")
            print(f"contacts named Иван: {[c.name for c in client.contacts.list(query='Иван')]}")

        step("API v4 (default): a lead with tags, links and custom fields; get, update, read the values back")
        lead = Lead(name="Поставка", price=150000, status_id=SEED.STATUS_MAIN_NEW, pipeline_id=SEED.PIPELINE_MAIN)
        if contact.id and company.id:
            lead.embedded = LeadEmbedded(contacts=[EmbeddedEntity(id=contact.id)],
                                         companies=[EmbeddedEntity(id=company.id)])
        lead.add_tags("vip", "demo")
        lead.set_value(SEED.CF_LEAD_TEXT, Text("из демо"))
        lead.set_value(SEED.CF_LEAD_SELECT, Select("Option 2"))  # an option by its text
        print(f"save: {client.leads.save(lead)}; new lead #{lead.id}")
        if lead.id:
            got = client.leads.get(lead.id, with_=["contacts"])
            got.price = 175000  # a save of an object read from the server sends only what changed
            client.leads.save(got)
            again = client.leads.get(lead.id, with_=["contacts"])
            choice = again.get_value(SEED.CF_LEAD_SELECT, Select)
            linked = [c.id for c in again.embedded.contacts or []] if again.embedded else []
            print(f"price {again.price}, tags {again.tag_names}, contacts {linked}")
            print(f"custom fields: text {again.get_value(SEED.CF_LEAD_TEXT, Text)!r}, "
                  f"select {choice.value if choice else None!r} (option #{choice.enum_id if choice else None})")
            client.leads.update(lead.id, Lead(name="Поставка (подписано)"))  # PATCH of the given fields only
            print(f"renamed: {client.leads.get(lead.id).name!r}")

        step("API v4 (default): list with a filter and an order; batch save; iterate every page")
        main_pipeline = client.leads.list(filter={"pipeline_id": SEED.PIPELINE_MAIN}, order={"id": "desc"})
        print(f"leads of the main pipeline, newest first: {[x.name for x in main_pipeline]}")
        started = time.monotonic()
        batch = [Lead(name=f"batch lead {i}", price=i) for i in range(600)]
        saved = client.leads.save(batch)
        print(f"saved {len(saved)} leads in chunks of 250 in {time.monotonic() - started:.2f}s; "
              f"first id {batch[0].id}")
        started = time.monotonic()
        count = sum(1 for _ in client.leads.list())
        print(f"{count} leads, 250 a page, in {time.monotonic() - started:.2f}s (throttled to 7 requests/s)")

        step("API v4 (default): the events of the lead (what changed, newest first)")
        if lead.id:
            for event in client.events.list(filter={"entity": "lead", "entity_id": [lead.id]}):
                print(f"  {event.type} (lead #{event.entity_id})")

        # -- API v2 through client.v2 ----------------------------------------------------------------
        step("API v2 (client.v2): the same lead through the legacy API, a note, an incoming lead")
        if lead.id:
            old = client.v2.leads.get(lead.id)  # amocrm.v2.models.Lead: sale, custom_fields
            print(f"v2 lead #{old.id}: {old.name!r}, sale {old.sale}, "
                  f"text field {old.get_custom_field_value(SEED.CF_LEAD_TEXT)!r}")
            note = v2.Note(text="Клиент доволен", note_type=4, element_id=lead.id, element_type=2)
            client.v2.notes.save(note)
            print(f"note #{note.id}; lead notes: {len(client.v2.notes.list(type='lead').items)}")
        incoming = v2.IncomingLead(
            source_name="site", source_uid="demo-form",
            incoming_lead_info=v2.IncomingLeadInfo(form_id=1, form_page="https://example.com/contact",
                                                   form_name="Contact us"),
            incoming_entities=v2.IncomingEntities(leads=[v2.Lead(name="Заявка с сайта")]),
        )
        uids = client.v2.incoming_leads.add_form(incoming)
        client.v2.incoming_leads.accept(uids, user_id=SEED.USER_ADMIN, status_id=SEED.STATUS_MAIN_NEW)
        print(f"accepted incoming lead {uids}")

        step("API v2: raw and AJAX requests")
        raw = client.request("GET", "/api/v2/leads", {"id": [SEED.LEAD_FIRST]})
        print(f"raw GET: {raw['_embedded']['items'][0]['name']!r}")
        ajax = client.ajax("/ajax/contacts/list", {"json": 1, "element_type": 1})
        print(f"AJAX contacts list: {len(ajax['response']['items'])} items")

        step("API v2: optimistic locking, a stale updated_at is raised as ConflictError")
        client.config.lock_updates = False  # with the lock on, a same-second refusal is resolved by re-reading
        client.config.updated_at_delta = -3600
        try:
            client.v2.leads.save(v2.Lead(id=SEED.LEAD_FIRST, name="stale"))
            print("saved (no conflict)")
        except ConflictError as exc:
            print(f"ConflictError: {exc}")
        finally:
            client.config.updated_at_delta = 5
            client.config.lock_updates = True

        step("what the sandbox saw")
        counters = sb.counters()
        print(f"requests {counters['requests']}, 429s {counters['rate_limited']}, code exchanges "
              f"{counters['code_exchanges']}, refreshes {counters['refreshes']}")
        client.close()
    print("\ndone")


if __name__ == "__main__":
    main()
