"""AmoClient, API v2 (``client.v2``): working with leads."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED
from amocrm.v2.models import Lead

with sandbox_info() as sb, connect(sb) as client:
    for lead in client.v2.leads.list(responsible_user_id=SEED.USER_ADMIN):
        print(lead.id, lead.name)

    lead1 = Lead(name="Заказ № 964023", responsible_user_id=SEED.USER_MANAGER, pipeline_id=SEED.PIPELINE_MAIN,
                 status_id=SEED.STATUS_MAIN_PROGRESS, sale=15000)
    lead1.set_custom_fields({
        SEED.CF_LEAD_TEXT: "Акционерное общество",
        SEED.CF_LEAD_MULTISELECT: [SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 1), SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 2)],
    })
    lead1.add_contacts(SEED.CONTACT_MARIA).add_company(SEED.COMPANY_ACME).add_tags("Акционер")
    lead1.set_catalog_elements({SEED.CATALOG_PRODUCTS: {SEED.ELEMENT_PEN: 10, SEED.ELEMENT_PENCIL: 5}})
    lead2 = Lead(id=SEED.LEAD_SECOND, sale=175000)
    lead3 = client.v2.leads.get(SEED.LEAD_FIRST)
    lead3.remove_contacts(SEED.CONTACT_IVAN).remove_company(SEED.COMPANY_ACME)
    client.v2.leads.save([lead1, lead2, lead3])
    print(lead1.id)
