"""AmoClient, API v2 (``client.v2``): incoming (unsorted) leads from a web form."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED
from amocrm.v2.models import Company, Contact, IncomingEntities, IncomingLead, IncomingLeadInfo, Lead


def new_request(form_id: int, title: str) -> IncomingLead:
    lead = Lead(name=title).set_custom_fields({SEED.CF_LEAD_TEXT: "#1543252"})
    contact = Contact(name="Ганс-Дитрих Геншер").set_custom_fields({
        SEED.CF_CONTACT_PHONE: [{"value": "+10349654820", "enum": "WORK"}],
        SEED.CF_CONTACT_EMAIL: [{"value": "hans@example.com", "enum": "WORK"}],
    })
    return IncomingLead(
        source_name="Сайт",
        incoming_lead_info=IncomingLeadInfo(form_id=form_id, form_page="https://www.example.com",
                                            form_name="Home page form"),
        incoming_entities=IncomingEntities(leads=[lead], contacts=[contact],
                                           companies=[Company(name="Freie Demokratische Partei")]),
    )


with sandbox_info() as sb, connect(sb) as client:
    first, second = new_request(1, "Новая заявка с сайта"), new_request(2, "Вторая заявка")
    client.v2.incoming_leads.add_form([first, second])
    assert first.uid and second.uid
    print(client.v2.incoming_leads.get_by_uid(first.uid))
    for incoming in client.v2.incoming_leads.list(categories=["forms"]):
        print(incoming.uid, incoming.source_name)
    client.v2.incoming_leads.accept(first.uid, user_id=SEED.USER_ADMIN, status_id=SEED.STATUS_MAIN_NEW)
    client.v2.incoming_leads.decline(second.uid, user_id=SEED.USER_ADMIN)
