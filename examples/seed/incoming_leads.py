"""Seed README: incoming (unsorted) leads from a web form."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoContact, AmoIncomingLeadForm, AmoLead, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        def new_request(form_id: int, title: str) -> AmoIncomingLeadForm:
            incoming = AmoIncomingLeadForm({"source_name": "Сайт"})
            incoming.set_incoming_lead_info({"form_id": form_id, "form_page": "https://www.example.com",
                                             "form_name": "Home page form"})
            lead = AmoLead({"name": title})
            lead.set_custom_fields({SEED.CF_LEAD_TEXT: "#1543252"})
            incoming.add_incoming_lead(lead)
            contact = AmoContact({"name": "Ганс-Дитрих Геншер"})
            contact.set_custom_fields({
                SEED.CF_CONTACT_PHONE: [{"value": "+10349654820", "enum": "WORK"}],
                SEED.CF_CONTACT_EMAIL: [{"value": "hans@example.com", "enum": "WORK"}],
            })
            incoming.add_incoming_contact(contact)
            incoming.add_incoming_company({"name": "Freie Demokratische Partei"})
            return incoming

        first, second = new_request(1, "Новая заявка с сайта"), new_request(2, "Вторая заявка")
        uids = AmoAPI.save_incoming_objects([first, second])  # uids are also written back

        incoming2 = AmoIncomingLeadForm()
        incoming2.fill_by_uid(uids[0])
        print(incoming2.get_params())

        for items in AmoAPI.get_all_incoming_leads({"categories": ["forms"]}):
            for item in items:
                print(item["uid"], item["source_name"])

        AmoAPI.accept_incoming_leads({"accept": [first.uid], "user_id": SEED.USER_ADMIN,
                                      "status_id": SEED.STATUS_MAIN_NEW})
        AmoAPI.decline_incoming_leads({"decline": [second.uid], "user_id": SEED.USER_ADMIN})
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
