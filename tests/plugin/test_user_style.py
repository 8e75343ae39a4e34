"""Tests as a user of the SDK writes them: only the plugin's fixtures and marker, no conftest.

(test_registration.py runs this very file in a subprocess to prove the plugin comes from the entry point.)
"""

import pytest

from amocrm import AmoClient, NotFoundError
from amocrm.models import Lead
from amocrm.sandbox import SEED, Sandbox


def test_create_and_read_back_a_lead(amocrm_client: AmoClient) -> None:
    lead = Lead(name="Deal from my app", price=990, status_id=SEED.STATUS_MAIN_NEW, pipeline_id=SEED.PIPELINE_MAIN)
    amocrm_client.leads.save(lead)
    assert isinstance(lead.id, int)
    assert amocrm_client.leads.get(lead.id).name == "Deal from my app"


def test_each_test_starts_from_the_seed(amocrm_client: AmoClient) -> None:
    names = [lead.name for lead in amocrm_client.leads.list()]
    assert "Deal from my app" not in names
    assert len(names) == 2  # the two seeded leads


def test_missing_entity_is_a_typed_error(amocrm_client: AmoClient) -> None:
    with pytest.raises(NotFoundError):
        amocrm_client.contacts.get(123456789)


@pytest.mark.amocrm_sandbox(seed=False, subdomain="emptyco")
def test_marker_gives_a_fresh_sandbox_with_options(amocrm_sandbox: Sandbox, amocrm_client: AmoClient) -> None:
    assert amocrm_sandbox.subdomain == "emptyco"
    assert list(amocrm_client.leads.list()) == []
