"""upsert() with API v4 records whose PHONE/EMAIL are written by field code (``set_value("PHONE", Phone(...))``,
the v4 builders' usual way): they are matched by their phone like records written by field id."""

from __future__ import annotations

from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.upsert import upsert
from amocrm.v4.fields import Email, Phone
from amocrm.v4.models import Contact


def test_records_with_fields_by_code_are_matched_and_merged() -> None:
    with Sandbox(rate_limit=None) as sb, client_for(sb) as client:
        known = Contact(name="Иван Петров").set_value("PHONE", Phone("8 (999) 000-00-01"))
        known.set_value("EMAIL", Email("ivan.second@example.com"))
        new = Contact(name="Анна").set_value("PHONE", Phone("+7 999 111-22-33"))
        again = Contact(name="Анна снова").set_value("PHONE", Phone("79991112233"))
        result = upsert(client.v4.contacts, [known, new, again], key="phone")
        assert [r.status for r in result] == ["updated", "added", "failed"], list(result)
        assert result[0].id == SEED.CONTACT_IVAN and result[0].key == "+79990000001"
        assert result[1].key == "+79991112233" and "same phone" in (result[2].message or "")
        ivan = next(c for c in sb.entities("contacts") if c["id"] == SEED.CONTACT_IVAN)
        emails = [v["value"] for v in ivan["custom_fields"][str(SEED.CF_CONTACT_EMAIL)]]
        assert emails == ["ivan@example.com", "ivan.second@example.com"]  # added to, not replaced
        assert len([c for c in sb.entities("contacts") if c["name"] == "Анна"]) == 1
