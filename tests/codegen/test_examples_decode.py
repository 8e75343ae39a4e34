"""Every entity/list response among the v2 doc examples and observed responses decodes into the models.

The bodies are vendored in ``tests/fixtures/v2`` (provenance in its PROVENANCE.md).

Decoding is strict (no str->int coercion), unknown keys are ignored. Each file is mapped to its model
by name below; files that are not entity responses are listed in SKIPPED with the reason, and a file
in neither table fails the test, so a new example cannot be silently ignored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest

from amocrm._core.response import wrapper_type
from amocrm._sync.resource import SavedItem
from amocrm.errors import ConflictError, raise_for_embedded_errors
from amocrm.v2.models import (
    Account,
    Catalog,
    CatalogElement,
    Contact,
    Customer,
    CustomersPeriod,
    IncomingLead,
    IncomingLeadAccepted,
    IncomingLeadsSummary,
    Lead,
    Note,
    Pipeline,
    Task,
    Transaction,
    Webhook,
    WebhookResult,
    Widget,
)

DOCS = Path(__file__).resolve().parents[1] / "fixtures" / "v2"

# file -> (model, envelope): "embedded" = _embedded.items list, "root" = top-level key, "object" = the body,
# "write" = write response (_embedded.items of SavedItem), "status" = incoming-leads {status, data}.
MAPPED: dict[str, tuple[Any, str]] = {
    "examples/account_01_response.json": (Account, "object"),
    "examples/catalog-elements_07_response.json": (SavedItem, "write"),
    "examples/catalog-elements_08_response.json": (CatalogElement, "embedded"),
    "examples/catalogs_11_response.json": (SavedItem, "write"),
    "examples/catalogs_12_response.json": (Catalog, "embedded"),
    "examples/contacts_15_response.json": (SavedItem, "write"),
    "examples/contacts_16_response.json": (Contact, "embedded"),
    "examples/custom_fields_19_response.json": (SavedItem, "write"),
    "examples/customers_21_response.json": (SavedItem, "write"),
    "examples/customers_23_response.json": (SavedItem, "write"),
    "examples/customers_26_response.json": (Customer, "embedded"),
    "examples/customers_28_response.json": (SavedItem, "write"),
    "examples/customers_31_response.json": (SavedItem, "write"),
    "examples/customers_32_response.json": (Transaction, "embedded"),
    "examples/customers_34_response.json": (CustomersPeriod, "embedded"),
    "examples/customers_35_response.json": (CustomersPeriod, "embedded"),
    "examples/leads_38_response.json": (SavedItem, "write"),
    "examples/leads_39_response.json": (Lead, "embedded"),
    "examples/notes_42_response.json": (Note, "embedded"),
    "examples/pipelines_46_response.json": (Pipeline, "embedded"),
    "examples/tasks_50_response.json": (SavedItem, "write"),
    "examples/tasks_51_response.json": (Task, "embedded"),
    "examples/unsorted_54_response.json": (list[str], "status"),
    "examples/unsorted_56_response.json": (dict[str, IncomingLeadAccepted], "status"),
    "examples/unsorted_58_response.json": (dict[str, bool], "status"),
    "examples/unsorted_59_response.json": (IncomingLead, "embedded"),
    "examples/unsorted_60_response.json": (IncomingLeadsSummary, "object"),
    "examples/webhooks_64_response.json": (WebhookResult, "embedded"),
    "examples/webhooks_65_response.json": (Webhook, "embedded"),
    "examples/widgets_66_response.json": (Widget, "root:widgets"),
    "examples/widgets_68_response.json": (Widget, "root:widgets"),
    "observed/update_conflict_contacts.json": (SavedItem, "write"),
    "observed/update_conflict_leads.json": (SavedItem, "write"),
    "observed/update_ok_contacts.json": (SavedItem, "write"),
}

SKIPPED: dict[str, str] = {
    "examples/call-event_03_response.json": "POST /api/v2/events (incoming-call notification): no resource in the spec",
    "examples/calls-add_05_response.json": "POST /api/v2/calls: not in the spec; the doc example's _links.self is a bare string",
    "examples/customers_25_response.json": "customers delete acknowledgement ({deleted: [{id, name}]}), not entities",
    "examples/pipelines_44_response.json": "legacy /private/api/v2/json/pipelines/set response, outside API v2",
    "examples/pipelines_45_response.json": "legacy /private/api/v2/json/pipelines/delete response, outside API v2",
    "examples/products_48_response.json": "products_settings switch ({is_enabled, catalog_id}), not an entity",
    "examples/webhooks_61_response.json": "webhook delivery payload sent to the subscriber (form data), not an API response",
    "examples/widgets_70_response.json": "widgets/sources acknowledgement ({success: true}), not an entity",
    "observed/ajax_catalogs_set_delete_ok.json": "front-end AJAX endpoint answer, not API v2",
    "observed/ajax_leads_multiple_delete_ok.json": "front-end AJAX endpoint answer, not API v2",
    "observed/legacy_error_400_code222.json": "error body (parsed by amocrm.errors), not an entity",
    **{
        f"observed/{name}.json": "OAuth token endpoint answer (auth), not an entity"
        for name in (
            "oauth_token_ok",
            "oauth_token_err_cannot_decrypt",
            "oauth_token_err_client_id",
            "oauth_token_err_client_secret",
            "oauth_token_err_code_expired",
            "oauth_token_err_code_revoked",
            "oauth_token_err_invalid_account",
            "oauth_token_err_invalid_refresh",
            "oauth_token_err_redirect_uri",
        )
    },
}


def _all_files() -> list[str]:
    files = [f"examples/{p.name}" for p in sorted((DOCS / "examples").glob("*_response.json"))]
    return files + [f"observed/{p.name}" for p in sorted((DOCS / "observed").glob("*.json"))]


def test_every_file_is_mapped_or_skipped_with_a_reason() -> None:
    files = set(_all_files())
    assert files, "no example files found"
    assert files - set(MAPPED) - set(SKIPPED) == set()
    assert set(MAPPED) | set(SKIPPED) <= files, "table lists a file that does not exist"
    assert not set(MAPPED) & set(SKIPPED)


def _decode(name: str) -> Any:
    model, envelope = MAPPED[name]
    data = (DOCS / name).read_bytes()
    if envelope == "object":
        return [msgspec.json.decode(data, type=model)]
    if envelope == "status":
        body = json.loads(data)
        assert body["status"] == "success"
        return [msgspec.convert(body["data"], model)]
    if envelope.startswith("root:"):
        page = msgspec.json.decode(data, type=wrapper_type(list[model], (envelope[5:],), paged=True))
        items = page.v
        return list(items.values()) if isinstance(items, dict) else items
    page = msgspec.json.decode(data, type=wrapper_type(list[model], ("_embedded", "items"), paged=True))
    items = page.v.v if not isinstance(page.v, list) else []
    return list(items.values()) if isinstance(items, dict) else items


@pytest.mark.parametrize("name", sorted(MAPPED))
def test_response_decodes_into_the_typed_model(name: str) -> None:
    items = _decode(name)
    raw = json.loads((DOCS / name).read_bytes())
    if MAPPED[name][1] == "embedded" and isinstance(raw["_embedded"]["items"], (list, dict)):
        assert len(items) == len(raw["_embedded"]["items"])
    for item in items:
        if isinstance(item, msgspec.Struct):
            # round trip: what was decoded encodes back to JSON builtins without error
            msgspec.to_builtins(item)


def test_some_decoded_values() -> None:
    (lead,) = _decode("examples/leads_39_response.json")
    assert lead.contacts.id == [1099418, 1099154] and lead.company.id == 1099427 and lead.company.name is None
    assert lead.get_custom_field_value(4399663, first=False, key="subtype") == ["1", "3", "5"]
    (account,) = _decode("examples/account_01_response.json")
    assert [p.id for p in account.embedded.pipelines] == [10104]
    assert account.embedded.pipelines[0].statuses[0].id == 142
    assert account.embedded.custom_fields.leads == [] and account.embedded.groups == []
    assert account.embedded.users[0].login == "example@example.com"
    pipelines = _decode("examples/pipelines_46_response.json")
    assert [s.id for s in pipelines[0].statuses][:2] == [142, 143]
    (saved,) = _decode("observed/update_ok_contacts.json")
    assert saved.id == 59144296 and saved.updated_at == 1619342253000
    incoming = _decode("examples/unsorted_59_response.json")
    assert incoming[0].incoming_lead_info.from_ == "15315" and incoming[1].incoming_lead_info.referer is None
    assert incoming[1].incoming_entities.leads[0].get_custom_field_value(4399916) == "3692245"


def test_conflict_response_raises_conflict_error() -> None:
    body = json.loads((DOCS / "observed/update_conflict_leads.json").read_bytes())
    with pytest.raises(ConflictError, match="21388995"):
        raise_for_embedded_errors(body, context="POST /api/v2/leads")
