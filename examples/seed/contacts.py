"""Seed README: working with contacts."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoContact, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        # All contacts matching a filter, page by page.
        for items in AmoAPI.get_all_contacts({"query": "Иван"}):
            for item in items:
                print(item["id"], item["name"])

        # One page.
        for item in AmoAPI.get_contacts({"limit_rows": 100, "limit_offset": 0}) or []:
            print(item["id"], item["name"])

        # A new contact with custom fields; save() returns the id and writes it back.
        contact1 = AmoContact({"name": "Ганс-Дитрих Геншер", "responsible_user_id": SEED.USER_ADMIN})
        contact1.set_custom_fields({
            SEED.CF_CONTACT_POSITION: "Министр",
            SEED.CF_CONTACT_PHONE: [{"value": "+79451112233", "enum": "WORK"}],
            SEED.CF_CONTACT_EMAIL: [{"value": "hans@example.com", "enum": "WORK"}],
        })
        contact1_id = contact1.save()

        # Update an existing contact and get the server's answer (first/last names are sent too).
        contact2 = AmoContact({"id": SEED.CONTACT_MARIA, "name": "Улоф Йоаким Пальме"})
        contact2.first_name = "Улоф"
        contact2.last_name = "Пальме"
        print(contact2.save(return_response=True))

        # Batch add and/or update.
        for item in AmoAPI.save_objects([contact1, contact2]):
            print(item)

        # Fill a model by id and read it.
        contact3 = AmoContact()
        contact3.fill_by_id(SEED.CONTACT_IVAN)
        print(contact3.custom_fields)
        print(contact3.get_params())
        print(contact3.get_custom_fields([SEED.CF_CONTACT_PHONE, SEED.CF_CONTACT_EMAIL]))
        print(contact3.get_custom_field_value_by_id(SEED.CF_CONTACT_PHONE))
        print(contact3.get_custom_field_value_by_id(SEED.CF_CONTACT_PHONE, return_first=False))
        print(contact3.get_custom_field_value_by_id(SEED.CF_CONTACT_PHONE, return_first=True, return_value="enum"))
        print(contact3.get_custom_field_value_by_id(SEED.CF_CONTACT_PHONE, return_first=False, return_value="enum"))

        # Links and tags.
        contact3.add_leads([SEED.LEAD_SECOND])
        contact3.add_customers([SEED.CUSTOMER_FIRST])
        contact3.add_tags(["сотрудник", "стажер"])
        contact3.del_tags("курьер")
        contact3.save()

        # Link a lead to every contact of a user, in one batch.
        items = AmoAPI.get_contacts({"responsible_user_id": SEED.USER_ADMIN}) or []
        contacts = [AmoContact(item).add_leads(SEED.LEAD_SECOND) for item in items]
        AmoAPI.save_objects(contacts)
        print("saved", contact1_id)
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
