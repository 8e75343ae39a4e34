"""Resource calls replayed from cassettes (see conftest.py for how they are recorded)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amocrm import AmoClient, ConflictError
from amocrm.sandbox import SEED
from amocrm.v2.models import Contact, Lead

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

CASSETTES = Path(__file__).parent / "cassettes"


def test_oauth_exchange_then_list_leads(recorded_client: AmoClient) -> None:
    leads = recorded_client.v2.leads.list()
    assert {lead.id for lead in leads} >= {SEED.LEAD_FIRST, SEED.LEAD_SECOND}
    assert all(isinstance(lead.name, str) for lead in leads)


def test_add_contact_and_read_back(recorded_client: AmoClient) -> None:
    contact = Contact(name="Cassette Contact")
    contact.set_custom_field(SEED.CF_CONTACT_PHONE, [{"value": "+70000000001", "enum": "WORK"}])
    recorded_client.v2.contacts.save(contact)
    assert isinstance(contact.id, int)
    got = recorded_client.v2.contacts.get(contact.id)
    assert got.phone == "+70000000001"


def test_nothing_found_is_empty(recorded_client: AmoClient) -> None:
    assert list(recorded_client.v2.leads.list(query="definitely not there")) == []


def test_conflict_is_replayed_as_typed_error(recorded_client: AmoClient) -> None:
    recorded_client.config.lock_updates = False  # no re-read under a lock: the refusal surfaces
    recorded_client.config.updated_at_delta = -3600
    with pytest.raises(ConflictError):
        recorded_client.v2.leads.save(Lead(id=SEED.LEAD_FIRST, name="stale"))


def test_cassettes_hold_no_secrets() -> None:
    files = list(CASSETTES.rglob("*.yaml"))
    assert files, "no cassettes recorded"
    for path in files:
        text = path.read_text()
        assert "Bearer ey" not in text, path
        assert "def50200" not in text, path  # refresh-token prefix
        assert "USER_HASH" not in text, path
        # every token-bearing JSON key holds a placeholder, never a value
        for key in ("access_token", "refresh_token", "client_secret", "code"):
            assert not re.search(rf'"{key}":\s*"(?!<)', text), (path, key)
