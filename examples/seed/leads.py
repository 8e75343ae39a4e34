"""Seed README: working with leads."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoLead, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        for items in AmoAPI.get_all_leads({"responsible_user_id": SEED.USER_ADMIN}):
            for item in items:
                print(item["id"], item["name"])
        for item in AmoAPI.get_leads({"limit_rows": 250, "limit_offset": 0}) or []:
            print(item["id"], item["name"])

        lead1 = AmoLead({
            "name": "Заказ № 964023",
            "responsible_user_id": SEED.USER_MANAGER,
            "pipeline": {"id": SEED.PIPELINE_MAIN},
            "status_id": SEED.STATUS_MAIN_PROGRESS,
            "sale": 15000,
        })
        lead1.set_custom_fields({
            SEED.CF_LEAD_TEXT: "Акционерное общество",
            SEED.CF_LEAD_MULTISELECT: [SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 1), SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 2)],
        })
        lead1.add_contacts(SEED.CONTACT_MARIA)
        lead1.add_company(SEED.COMPANY_ACME)
        lead1.set_catalog_elements({SEED.CATALOG_PRODUCTS: {SEED.ELEMENT_PEN: 10, SEED.ELEMENT_PENCIL: 5}})
        lead1.add_tags("Акционер")
        lead_id = lead1.save()

        lead2 = AmoLead({"id": SEED.LEAD_SECOND, "sale": 175000})
        response = lead2.save(return_response=True)

        for item in AmoAPI.save_objects([lead1, lead2]):
            print(item)

        lead3 = AmoLead()
        lead3.fill_by_id(SEED.LEAD_FIRST)
        lead3.remove_contacts(SEED.CONTACT_IVAN)
        lead3.remove_company(SEED.COMPANY_ACME)
        print(lead3.get_params())
        print(lead3.get_custom_fields([SEED.CF_LEAD_TEXT, SEED.CF_LEAD_SELECT]))
        print(lead3.get_custom_field_value_by_id(SEED.CF_LEAD_SELECT))
        print(lead3.get_custom_field_value_by_id(SEED.CF_LEAD_SELECT, return_first=False))
        print(lead3.get_custom_field_value_by_id(SEED.CF_LEAD_SELECT, return_first=True, return_value="enum"))
        lead3.save()

        # Link a company to every lead of a user, in one batch (the README reused a stale variable here).
        items = AmoAPI.get_leads({"responsible_user_id": SEED.USER_MANAGER}) or []
        leads = [AmoLead(item).add_company(SEED.COMPANY_ACME) for item in items]
        AmoAPI.save_objects(leads)
        print("saved", lead_id)
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
