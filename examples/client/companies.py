"""AmoClient, API v2 (``client.v2``): working with companies."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED
from amocrm.v2.models import Company

with sandbox_info() as sb, connect(sb) as client:
    for company in client.v2.companies.list(query="ООО"):
        print(company.id, company.name)

    company1 = Company(name="ООО МММ", responsible_user_id=SEED.USER_MANAGER)
    company1.set_custom_fields({
        SEED.CF_COMPANY_WEB: "https://mmm.example.com",
        SEED.CF_COMPANY_PHONE: [{"value": "+79457778899", "enum": "WORK"}],
        SEED.CF_COMPANY_EMAIL: [{"value": "mmm@example.com", "enum": "WORK"}],
    })
    company1.add_contacts(SEED.CONTACT_MARIA).add_leads(SEED.LEAD_SECOND).add_customers(SEED.CUSTOMER_FIRST)
    company1.add_tags("Акционер")
    company2 = Company(id=SEED.COMPANY_ACME, name="ООО Рога и Копыта")
    client.v2.companies.save([company1, company2])

    company3 = client.v2.companies.get(SEED.COMPANY_ACME)
    print(company3.phone, company3.get_custom_field_value(SEED.CF_COMPANY_PHONE, key="enum"))
    for company in client.v2.companies.list(responsible_user_id=SEED.USER_MANAGER):
        print(company.id, company.name)
