"""API v4 calls replayed from cassettes (recorded once against the sandbox; see conftest.py).

Record (or re-record) with ``pytest tests/cassettes/test_recorded_v4.py --record-mode=rewrite``; the
default mode (``none``) replays with the network blocked, so a request that is not in the cassette
fails the test. The last test checks the committed v4 cassettes hold no token or secret.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amocrm import AmoClient
from amocrm.errors import NotFoundError
from amocrm.sandbox import SEED
from amocrm.v4.fields import Email, Phone, Select, Text
from amocrm.v4.models import Contact, Lead

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

CASSETTES = Path(__file__).parent / "cassettes" / "test_recorded_v4"


def test_v4_session_leads_with_contacts_then_contacts_by_id(recorded_client: AmoClient) -> None:
    """The export pattern: leads with their contacts' ids, then those contacts by filter[id]."""
    recorded_client.config.prefetch = 0  # no pages asked ahead: the same requests every run
    leads = list(recorded_client.v4.leads.list(with_=["contacts"], page_size=250))
    assert {lead.id for lead in leads} == {SEED.LEAD_FIRST, SEED.LEAD_SECOND}
    ids = sorted({c.id for lead in leads if lead.embedded for c in (lead.embedded.contacts or [])
                  if isinstance(c.id, int)})
    assert ids == [SEED.CONTACT_IVAN]
    [ivan] = recorded_client.v4.contacts.list(filter={"id": ids}, page_size=250)
    assert ivan.name == "Иван Петров"
    assert [p.value for p in ivan.get_value("PHONE", Phone) or []] == ["+79990000001"]


def test_v4_write_typed_values_and_read_back(recorded_client: AmoClient) -> None:
    contact = Contact(name="Cassette v4").set_value("PHONE", Phone(("+79990000077", "MOB")))
    contact.set_value("EMAIL", Email("cassette@example.com"))
    assert recorded_client.v4.contacts.save(contact).ok and isinstance(contact.id, int)
    lead = Lead(name="Cassette lead", price=4200)
    lead.set_values({SEED.CF_LEAD_TEXT: Text("recorded"), SEED.CF_LEAD_SELECT: Select("Option 2")})
    recorded_client.v4.leads.save(lead)
    assert isinstance(lead.id, int)
    back = recorded_client.v4.leads.get(lead.id)
    assert back.price == 4200 and back.get_value(SEED.CF_LEAD_TEXT, Text) == "recorded"
    assert back.get_value(SEED.CF_LEAD_SELECT, Select) == ("Option 2", SEED.enum_id(SEED.CF_LEAD_SELECT, 2))
    got = recorded_client.v4.contacts.get(contact.id)
    assert got.get_value("PHONE", Phone) == [("+79990000077", "MOB")]


def test_v4_events_feed_from_a_cursor(recorded_client: AmoClient) -> None:
    lead = Lead(name="Evented in a cassette")
    recorded_client.v4.leads.save(lead)
    lead.status_id = SEED.STATUS_MAIN_PROGRESS
    recorded_client.v4.leads.save(lead)
    recorded_client.config.prefetch = 0
    feed = list(recorded_client.v4.events.list(
        filter={"created_at": {"from": 0}, "entity": ["lead"], "type": ["lead_added", "lead_status_changed"]},
        order={"created_at": "asc"}, page_size=100))
    mine = [e.type for e in feed if e.entity_id == lead.id]
    assert mine == ["lead_added", "lead_status_changed"]


def test_v4_not_found_is_replayed_typed(recorded_client: AmoClient) -> None:
    with pytest.raises(NotFoundError):
        recorded_client.v4.leads.get(999999)
    assert recorded_client.v4.leads.list(filter={"name": "nobody has this name"}).items == []  # 204


def test_v4_cassettes_hold_no_secrets() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) == 4, files  # one per test above: re-record them together
    for path in files:
        text = path.read_text()
        assert "Bearer <REDACTED>" in text, path  # every API call was made, with its token filtered
        assert not re.search(r"Bearer (?!<REDACTED>)", text), path
        assert "def50200" not in text, path  # an authorization code or refresh token
        assert not re.search(r"\beyJ[\w-]{10,}", text), path  # a JWT
        for key in ("access_token", "refresh_token", "client_secret", "code"):
            assert not re.search(rf'"{key}":\s*"(?!<)', text), (path, key)
        assert not re.search(r"(?i)x-sandbox-admin|set-cookie|^\s+cookie:", text, re.M), path
