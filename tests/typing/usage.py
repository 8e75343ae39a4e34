"""A realistic script over the public API, type-checked by mypy --strict and pyright (strict), and run
against a sandbox by test_usage.py so that it cannot rot.

It authorises with OAuth2 into a file token storage, reads the account, adds and updates leads and
contacts with custom fields and tags through API v4 (the default version: ``client.leads``,
``amocrm.models``), pages through lists with filters, handles typed errors, adds a note and a task
and reads the lead back through API v2 (``client.v2``, ``amocrm.v2.models``), and parses a webhook
delivery.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from amocrm import (
    AmoClient,
    AmoError,
    ClientConfig,
    FileTokenStorage,
    LocalThrottle,
    NotFoundError,
    OAuth2,
    RetryPolicy,
    Tokens,
)
from amocrm.constants import ElementType, NoteType
from amocrm.models import Contact, EmbeddedEntity, Lead, LeadEmbedded, to_write_item
from amocrm.v2.models import Note, Task
from amocrm.v4.fields import Choice, MultiSelect, Phone
from amocrm.v4.models import CallNoteParams
from amocrm.v4.models import Note as V4Note
from amocrm.webhooks import WebhookError, WebhookPayload, parse_webhook


@dataclass
class Summary:
    """What the script did, for the test to check."""

    account_id: int
    lead_id: int
    contact_id: int
    budget: int
    tags: list[str]
    phone: str | None
    options: list[int]
    filtered_names: list[str]
    pages: int
    missing_error: str
    v2_sale: int
    v2_notes: int
    webhook_status: tuple[int | None, int | None]
    bad_webhook: str
    stored_tokens: bool


def run(*, subdomain: str, base_url: str, client_id: str, client_secret: str, redirect_uri: str, code: str,
        token_dir: Path, select_field: int, select_enum: int, phone_field: int) -> Summary:
    storage = FileTokenStorage(token_dir)
    auth = OAuth2(client_id, client_secret, redirect_uri, storage=storage, code=code)
    config = ClientConfig(batch_size=50, page_size=2)
    with AmoClient(subdomain, base_url=base_url, auth=auth, throttle=LocalThrottle(50.0),
                   retry=RetryPolicy(), config=config) as client:
        account = client.account.get(with_=["users_groups"])  # API v4, the default version
        account_id = account.id if isinstance(account.id, int) else 0

        contact = Contact(name="Typed contact")
        contact.set_value(phone_field, Phone([("+79990001122", "MOB")]))
        client.contacts.save([contact])
        assert isinstance(contact.id, int)

        lead = Lead(name="Typed lead", price=1500, embedded=LeadEmbedded(contacts=[EmbeddedEntity(id=contact.id)]))
        lead.add_tags("python", "typed")
        lead.set_value(select_field, MultiSelect([select_enum]))
        saved = client.leads.save(lead)
        assert saved.ok and isinstance(lead.id, int)
        lead_id: int = lead.id

        fresh = client.leads.get(lead_id)
        fresh.price = 2500
        fresh.remove_tags("typed")
        client.leads.save(fresh)
        again = client.leads.get(lead_id, with_=["contacts"])
        budget = again.price if isinstance(again.price, int) else -1
        tags = sorted(again.tag_names)
        chosen: list[Choice] | None = again.get_value(select_field, MultiSelect)
        options = [c.enum_id for c in chosen or [] if isinstance(c.enum_id, int)]

        phones = client.contacts.get(contact.id).get_value(phone_field, Phone) or []
        phone = phones[0].value if phones else None
        filtered = [x.name for x in client.leads.list(filter={"price": {"from": 2000, "to": 3000}}, page_size=2)
                    if isinstance(x.name, str)]
        pages = sum(1 for _ in client.leads.list(page_size=2).pages())
        assert to_write_item(lead)["id"] == lead_id
        call = V4Note.call_out(uniq="typed-1", duration=5, source="usage", phone="+79990001122", entity_id=lead_id)
        client.notes.save(call, "leads")
        assert isinstance(call.id, int)
        assert client.notes.get("leads", call.id).params_as(CallNoteParams).duration == 5

        try:
            client.leads.get(999_999_999)
            missing = "found?"
        except NotFoundError as exc:
            missing = type(exc).__name__
        except AmoError as exc:  # any other SDK failure is typed too
            missing = f"unexpected {exc!r}"

        # API v2 stays reachable as client.v2, with its own models (amocrm.v2.models)
        note = Note(note_type=NoteType.COMMON, text="created by the typed usage script")
        note.attach_to(lead_id, ElementType.LEAD)
        task = Task(text="call back", complete_till_at=int(datetime.datetime.now().timestamp()) + 3600)
        task.attach_to_lead(lead_id)
        client.v2.notes.save(note)
        client.v2.tasks.save(task)
        old = client.v2.leads.get(lead_id)
        v2_sale = old.sale if isinstance(old.sale, int) else -1
        v2_notes = sum(1 for n in client.v2.notes.list(type="lead", element_id=lead_id) if n.id == note.id)

    stored: Tokens | None = storage.load(f"{subdomain}.amocrm.ru")
    payload: WebhookPayload = parse_webhook(
        f"leads[status][0][id]={lead_id}&leads[status][0][status_id]=142&leads[status][0][old_status_id]=30011"
        "&account[subdomain]=sandbox",
        content_type="application/x-www-form-urlencoded",
    )
    event = payload.events[0]
    try:
        parse_webhook(b"leads[status][0][id]=1&leads[", content_type="application/x-www-form-urlencoded")
        bad = "accepted"
    except WebhookError as exc:
        bad = type(exc).__name__
    return Summary(account_id, lead_id, contact.id, budget, tags, phone, options, filtered, pages, missing,
                   v2_sale, v2_notes, (event.status_id, event.old_status_id), bad, stored is not None)
