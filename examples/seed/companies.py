"""Seed README: working with companies."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoCompany, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        for items in AmoAPI.get_all_companies({"query": "ООО", "limit_offset": 0}):
            for item in items:
                print(item["id"], item["name"])
        for item in AmoAPI.get_companies({"responsible_user_id": SEED.USER_ADMIN, "limit_rows": 250}) or []:
            print(item["id"], item["name"])

        company1 = AmoCompany({"name": "ООО МММ", "responsible_user_id": SEED.USER_MANAGER})
        company1.set_custom_fields({
            SEED.CF_COMPANY_WEB: "https://mmm.example.com",
            SEED.CF_COMPANY_PHONE: [{"value": "+79457778899", "enum": "WORK"}],
            SEED.CF_COMPANY_EMAIL: [{"value": "mmm@example.com", "enum": "WORK"}],
        })
        company1.add_contacts(SEED.CONTACT_MARIA)
        company1.add_leads(SEED.LEAD_SECOND)
        company1.add_customers(SEED.CUSTOMER_FIRST)
        company1.add_tags("Акционер")
        company_id = company1.save()

        company2 = AmoCompany({"id": SEED.COMPANY_ACME, "created_by": SEED.USER_ADMIN, "name": "ООО Рога и Копыта"})
        response = company2.save(return_response=True)

        for item in AmoAPI.save_objects([company1, company2]):
            print(item)

        company3 = AmoCompany()
        company3.fill_by_id(SEED.COMPANY_ACME)
        print(company3.get_params())
        print(company3.get_custom_fields([SEED.CF_COMPANY_PHONE, SEED.CF_COMPANY_EMAIL, SEED.CF_COMPANY_ADDRESS]))
        print(company3.get_custom_field_value_by_id(SEED.CF_COMPANY_ADDRESS))
        print(company3.get_custom_field_value_by_id(SEED.CF_COMPANY_ADDRESS, return_first=False))
        print(company3.get_custom_field_value_by_id(SEED.CF_COMPANY_ADDRESS, return_first=True, return_value="subtype"))
        print(company3.get_custom_field_value_by_id(SEED.CF_COMPANY_PHONE, return_first=True, return_value="enum"))

        items = AmoAPI.get_companies({"responsible_user_id": SEED.USER_MANAGER}) or []
        companies = [AmoCompany(item).add_leads([SEED.LEAD_FIRST]) for item in items]
        AmoAPI.save_objects(companies)
        print("saved", company_id)
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
