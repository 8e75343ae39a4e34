"""API v4 is the default version (spec/versions.yaml ``default: v4``): the unprefixed ``client.leads``...
and ``amocrm.models`` are API v4's; API v2 stays reachable as ``client.v2`` and ``amocrm.v2.models``."""

from __future__ import annotations

import amocrm.models
import amocrm.v2.models
import amocrm.v4.models
from amocrm._default import DEFAULT_VERSION
from amocrm.client import AmoClient
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v2.client import RESOURCE_NAMES as V2_NAMES
from amocrm.v2.resources.leads import LeadsResource as V2Leads
from amocrm.v4.client import RESOURCE_NAMES as V4_NAMES
from amocrm.v4.resources.leads import LeadsResource as V4Leads


def test_the_unprefixed_resources_are_v4s() -> None:
    assert DEFAULT_VERSION == "v4"
    with AmoClient("acme") as client:
        assert isinstance(client.leads, V4Leads) and client.leads is client.v4.leads
        assert isinstance(client.v2.leads, V2Leads) and client.v2.leads is not client.leads
        for name in V4_NAMES:
            assert getattr(client, name) is getattr(client.v4, name), name
        for name in set(V2_NAMES) - set(V4_NAMES):  # v2-only resources are not on the client itself
            assert not hasattr(client, name) and hasattr(client.v2, name), name


def test_amocrm_models_are_v4s() -> None:
    assert amocrm.models.Lead is amocrm.v4.models.Lead and amocrm.models.Lead is not amocrm.v2.models.Lead
    for name in amocrm.v4.models.__all__:
        assert getattr(amocrm.models, name) is getattr(amocrm.v4.models, name), name
    assert "IncomingLead" not in amocrm.models.__all__ and "IncomingLead" in amocrm.v2.models.__all__


def test_default_calls_go_to_api_v4_and_v2_stays_reachable() -> None:
    with Sandbox(rate_limit=None) as sb, client_for(sb) as client:
        lead = client.leads.get(SEED.LEAD_FIRST)
        assert isinstance(lead, amocrm.models.Lead) and lead.price == 1000
        old = client.v2.leads.get(SEED.LEAD_FIRST)
        assert isinstance(old, amocrm.v2.models.Lead) and old.sale == 1000
        assert [e["path"] for e in sb.request_log()[-2:]] == [f"/api/v4/leads/{SEED.LEAD_FIRST}", "/api/v2/leads"]


def test_the_command_line_and_the_fields_generator_default_to_v4() -> None:
    import click

    from amocrm.cli._export import export
    from amocrm.cli._fields import fields
    from amocrm.cli._import import import_
    from amocrm.fields import DEFAULT_VERSION as FIELDS_DEFAULT

    for command in (export, import_, fields):
        [api] = [p for p in command.params if p.name == "api"]
        assert isinstance(api, click.Option) and api.default == "v4", command.name
    assert FIELDS_DEFAULT == "v4"
