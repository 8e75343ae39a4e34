"""AmoClient, API v2 (``client.v2``): working with contacts."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED
from amocrm.v2.models import Contact

with sandbox_info() as sb, connect(sb) as client:
    for contact in client.v2.contacts.list(query="Иван"):
        print(contact.id, contact.name)
    for contact in client.v2.contacts.list(page_size=100, offset=0).items:
        print(contact.id, contact.name)

    contact1 = Contact(name="Ганс-Дитрих Геншер", responsible_user_id=SEED.USER_ADMIN)
    contact1.set_custom_fields({
        SEED.CF_CONTACT_POSITION: "Министр",
        SEED.CF_CONTACT_PHONE: [{"value": "+79451112233", "enum": "WORK"}],
        SEED.CF_CONTACT_EMAIL: [{"value": "hans@example.com", "enum": "WORK"}],
    })
    contact2 = Contact(id=SEED.CONTACT_MARIA, name="Улоф Йоаким Пальме", first_name="Улоф", last_name="Пальме")
    print(client.v2.contacts.save([contact1, contact2]), contact1.id)  # one POST, the new id written back

    contact3 = client.v2.contacts.get(SEED.CONTACT_IVAN)
    print(contact3.custom_fields, contact3.phone, contact3.email)
    print(contact3.get_custom_field_value(SEED.CF_CONTACT_PHONE, first=False, key="enum"))
    contact3.add_leads([SEED.LEAD_SECOND]).add_customers([SEED.CUSTOMER_FIRST])
    contact3.add_tags("сотрудник", "стажер").remove_tags("курьер")
    client.v2.contacts.save(contact3)

    # Each entity is updated once per second at most: amoCRM needs a newer updated_at each time.
    others = [c.add_leads(SEED.LEAD_SECOND) for c in client.v2.contacts.list(responsible_user_id=SEED.USER_ADMIN)
              if c.id not in (SEED.CONTACT_IVAN, SEED.CONTACT_MARIA)]
    client.v2.contacts.save(others)
