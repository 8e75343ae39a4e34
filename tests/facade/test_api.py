"""AmoAPI reads, generators, batch writes, webhooks, incoming leads, raw requests and errors (parity rows 33-39, 61-67)."""

from __future__ import annotations

import pytest

from amocrm.errors import ConfigError, EntityErrors, NotFoundError
from amocrm.facade import (
    AmoAPI,
    AmoAPIException,
    AmoCatalog,
    AmoCatalogElement,
    AmoContact,
    AmoIncomingLeadForm,
    AmoIncomingLeadSip,
    AmoLead,
)
from amocrm.facade._api import _unescape
from amocrm.sandbox import SEED, Sandbox

from .conftest import posts


def test_get_account_and_domain(api: Sandbox) -> None:
    account = AmoAPI.get_account("users,groups")
    assert account["id"] == SEED.ACCOUNT_ID and "users" in account["_embedded"]
    assert api.request_log()[-1]["query"] == "with=users%2Cgroups"
    assert AmoAPI.get_account(["pipelines"])["_embedded"]["pipelines"]
    assert AmoAPI.get_account_domain()["subdomain"] == api.subdomain


@pytest.mark.parametrize(
    ("method", "params", "path"),
    [
        ("get_contacts", {}, "/api/v2/contacts"),
        ("get_companies", {}, "/api/v2/companies"),
        ("get_leads", {}, "/api/v2/leads"),
        ("get_tasks", {}, "/api/v2/tasks"),
        ("get_notes", {"type": "lead"}, "/api/v2/notes"),
        ("get_pipelines", {}, "/api/v2/pipelines"),
        ("get_catalogs", {}, "/api/v2/catalogs"),
        ("get_catalog_elements", {"catalog_id": SEED.CATALOG_PRODUCTS}, "/api/v2/catalog_elements"),
        ("get_widgets", {}, "/api/v2/widgets/list"),
    ],
)
def test_get_entities(api: Sandbox, method: str, params: dict[str, object], path: str) -> None:
    items = getattr(AmoAPI, method)(params)
    assert items, method
    assert api.request_log()[-1]["path"] == path
    response = getattr(AmoAPI, method)(params, True)
    assert AmoAPI.get_items(response) == items


def test_get_returns_none_when_nothing_matches(api: Sandbox) -> None:
    assert AmoAPI.get_contacts({"query": "nobody-like-this"}) is None
    assert AmoAPI.get_webhooks() is None
    assert AmoAPI.get_incoming_leads() is None
    assert AmoAPI.get_items({"no": "items"}) is None


def test_incoming_leads_summary_is_the_whole_answer(api: Sandbox) -> None:
    summary = AmoAPI.get_incoming_leads_summary({}, False)
    assert isinstance(summary, dict) and "total" in summary


def test_get_all_pages_by_offset(api: Sandbox) -> None:
    AmoAPI.save_objects([AmoContact({"name": f"Page {i}"}) for i in range(5)])
    generator = AmoAPI.get_all_contacts({"limit_rows": 3})
    count = len(api.request_log())
    assert len(api.request_log()) == count  # lazy: nothing fetched yet
    pages = list(generator)
    assert [len(p) for p in pages] == [3, 3, 1]
    queries = [r["query"] for r in api.request_log()[count:]]
    assert queries == ["limit_rows=3&limit_offset=0", "limit_rows=3&limit_offset=3", "limit_rows=3&limit_offset=6"]
    AmoAPI.limit_rows = 4
    assert [len(p) for p in AmoAPI.get_all_contacts()] == [4, 3]
    responses = list(AmoAPI.get_all_contacts({"query": "Page"}, True))
    assert AmoAPI.get_items(responses[0])[0]["name"].startswith("Page")
    assert [len(p) for p in AmoAPI.get_all_leads()] == [2]
    assert [len(p) for p in AmoAPI.get_all_companies()] == [1]
    assert [len(p) for p in AmoAPI.get_all_tasks({"type": "lead"})] == [1]
    assert [len(p) for p in AmoAPI.get_all_notes({"type": "lead"})] == [1]


def test_get_all_catalog_elements_by_page(api: Sandbox) -> None:
    elements = [AmoCatalogElement({"catalog_id": SEED.CATALOG_PRODUCTS, "name": f"E{i}"}) for i in range(53)]
    AmoAPI.save_objects_with_limit(elements, limit=30)
    pages = list(AmoAPI.get_all_catalog_elements({"catalog_id": SEED.CATALOG_PRODUCTS}))
    assert [len(p) for p in pages] == [50, 5]
    assert all(e.id for e in elements)


def test_save_objects_groups_by_type_and_writes_ids_back(api: Sandbox) -> None:
    new_contact = AmoContact({"name": "New one"})
    lead = AmoLead({"name": "New lead", "pipeline_id": SEED.PIPELINE_SECOND})
    old = AmoContact({"id": SEED.CONTACT_MARIA, "name": "Maria renamed"})
    before = len(api.request_log())
    items = AmoAPI.save_objects([new_contact, lead, old])
    log = api.request_log()[before:]
    assert [r["path"] for r in log] == ["/api/v2/contacts", "/api/v2/leads"]
    assert {i["id"] for i in items} == {new_contact.id, lead.id, SEED.CONTACT_MARIA}
    assert next(x for x in api.entities("leads") if x["id"] == lead.id)["pipeline_id"] == SEED.PIPELINE_SECOND
    assert next(x for x in api.entities("contacts") if x["id"] == SEED.CONTACT_MARIA)["name"] == "Maria renamed"
    # Saving the same objects again within the second still succeeds (updated_at is made newer).
    responses = AmoAPI.save_objects([new_contact, old], return_responses=True)
    assert len(responses) == 1 and len(AmoAPI.get_items(responses[0])) == 2
    assert AmoAPI.save_objects([]) == []
    with pytest.raises(ConfigError, match="item 0 is dict"):
        AmoAPI.save_objects([{"name": "x"}])
    with pytest.raises(ConfigError, match="save_incoming_objects"):
        AmoAPI.save_objects(AmoIncomingLeadForm())


def test_save_objects_with_limit(api: Sandbox) -> None:
    contacts = [AmoContact({"name": f"C{i}"}) for i in range(5)]
    before = len(posts(api, "/api/v2/contacts"))
    items = AmoAPI.save_objects_with_limit(contacts, limit=2)
    assert len(items) == 5 and len(posts(api, "/api/v2/contacts")) - before == 3
    with pytest.raises(ConfigError, match="limit"):
        AmoAPI.save_objects_with_limit(contacts, limit=501)


def test_delete_objects(api: Sandbox) -> None:
    catalog = AmoCatalog({"name": "To delete"})
    element = AmoCatalogElement({"catalog_id": SEED.CATALOG_PRODUCTS, "name": "Gone"})
    AmoAPI.save_objects([catalog, element])
    responses = AmoAPI.delete_objects([catalog, element], True)
    assert len(responses) == 2
    assert catalog.id not in {c["id"] for c in api.entities("catalogs")}
    assert element.id not in {e["id"] for e in api.entities("catalog_elements")}
    with pytest.raises(ConfigError, match="has no id"):
        AmoAPI.delete_objects(AmoCatalog({"name": "new"}))
    with pytest.raises(ConfigError, match="only catalogs and catalog elements"):
        AmoAPI.delete_objects(AmoContact({"id": 1}))


def test_webhooks(api: Sandbox) -> None:
    AmoAPI.add_webhooks({"url": "https://example.com/hook", "events": ["add_lead"]})
    AmoAPI.add_webhooks([{"url": "https://example1.com/hook", "events": ["add_lead"]},
                         {"url": "https://example2.com/hook", "events": ["update_lead"]}])
    assert {w["url"] for w in AmoAPI.get_webhooks()} == {
        "https://example.com/hook", "https://example1.com/hook", "https://example2.com/hook"}
    assert AmoAPI.delete_webhooks({"url": "https://example.com/hook", "events": ["add_lead"]}, True)
    assert {w["url"] for w in api.entities("webhooks")} == {"https://example1.com/hook", "https://example2.com/hook"}
    body = posts(api, "/api/v2/webhooks/subscribe")
    assert len(body) == 2
    with pytest.raises(ConfigError, match="'url' and 'events'"):
        AmoAPI.add_webhooks({"url": "https://x"})


def _incoming(name: str) -> AmoIncomingLeadForm:
    lead = AmoIncomingLeadForm({"source_name": "site"})
    # The form id differs per lead: amoCRM (and the sandbox) merge same-form same-second duplicates.
    lead.set_incoming_lead_info({"form_id": name, "form_page": "https://example.com", "form_name": "Home"})
    lead.add_incoming_lead(AmoLead({"name": name}))
    lead.add_incoming_contact({"name": "Visitor"})
    return lead


def test_incoming_leads_save_accept_decline(api: Sandbox) -> None:
    form1, form2 = _incoming("F1"), _incoming("F2")
    sip = AmoIncomingLeadSip({"source_name": "pbx"})
    sip.set_incoming_lead_info({"to": SEED.USER_ADMIN, "from": "+7999", "date_call": 1700000000, "duration": 5,
                                "link": "https://x/rec.mp3", "service_code": "pbx", "uniq": "u-1"})
    before = len(api.request_log())
    uids = AmoAPI.save_incoming_objects([form1, sip, form2])
    assert [r["path"] for r in api.request_log()[before:]] == ["/api/v2/incoming_leads/form",
                                                              "/api/v2/incoming_leads/sip"]
    assert uids == [form1.uid, form2.uid, sip.uid] and all(uids)
    assert len(api.entities("incoming_leads")) == 3
    data = AmoAPI.accept_incoming_leads({"accept": [form1.uid], "user_id": SEED.USER_ADMIN,
                                         "status_id": SEED.STATUS_MAIN_NEW})
    assert form1.uid in data and "F1" in {x["name"] for x in api.entities("leads")}
    assert AmoAPI.decline_incoming_leads({"decline": [form2.uid], "user_id": SEED.USER_ADMIN}, True)["status"] == \
        "success"
    assert [len(p) for p in AmoAPI.get_all_incoming_leads({"page_size": 1})] == [1]
    with pytest.raises(ConfigError, match="missing keys \\['user_id'\\]"):
        AmoAPI.accept_incoming_leads({"accept": [sip.uid]})
    more = AmoAPI.save_incoming_objects_with_limit([_incoming(f"L{i}") for i in range(3)], True, limit=2)
    assert len(more) == 2
    with pytest.raises(ConfigError, match="expected AmoIncomingLeadForm"):
        AmoAPI.save_incoming_objects(AmoLead())


def test_raw_requests(api: Sandbox) -> None:
    got = AmoAPI.request("/api/v2/leads", "GET", {"id": SEED.LEAD_FIRST})
    assert AmoAPI.get_items(got)[0]["id"] == SEED.LEAD_FIRST
    added = AmoAPI.request("/api/v2/leads", "POST", {"add": [{"name": "Raw"}]})
    assert AmoAPI.get_items(added)[0]["id"]
    ajax = AmoAPI.request("/ajax/contacts/list", "AJAX", {"json": 1, "element_type": 1, "page": 1})
    assert ajax["response"]["items"]
    headers = {k.lower(): v for k, v in api.request_log()[-1]["headers"].items()}
    assert headers["x-requested-with"] == "XMLHttpRequest" and api.request_log()[-1]["method"] == "POST"
    with pytest.raises(ConfigError, match="'GET', 'POST' or 'AJAX'") as info:
        AmoAPI.request("/api/v2/leads", "get")  # type: ignore[arg-type]
    assert info.value.code == 0


def test_last_response_and_unescape(api: Sandbox) -> None:
    AmoAPI.get_contacts({"id": SEED.CONTACT_IVAN})
    text = AmoAPI.get_last_response()
    assert text is not None and "Иван" in text
    assert _unescape('"\\u0436 \\ud83d\\ude00 \\\\u0436"') == '"ж 😀 \\\\u0436"'


def test_http_error_code_is_the_status(api: Sandbox) -> None:
    with pytest.raises(AmoAPIException) as info:
        AmoAPI.get_notes()
    assert info.value.code == 400 and info.value.get_errors() == [] and info.value.get_items() == []
    with pytest.raises(NotFoundError) as missing:
        AmoContact().fill_by_id(999999)
    assert missing.value.code == 404 and isinstance(missing.value, AmoAPIException)


def test_embedded_errors_with_codes(api: Sandbox) -> None:
    good = AmoContact({"name": "Fine"})
    bad = AmoContact({"name": "Bad field"}).set_custom_fields({999: "x"})
    with pytest.raises(EntityErrors) as info:
        AmoAPI.save_objects([good, bad])
    exc = info.value
    assert isinstance(exc, AmoAPIException)
    assert exc.code == 204  # the first amoCRM code, as the seed
    assert exc.get_errors()["add"] and [i["id"] for i in exc.get_items()] == [good.id]


def test_embedded_errors_with_messages(api: Sandbox) -> None:
    with pytest.raises(AmoAPIException) as info:
        AmoAPI.request("/api/v2/leads", "POST", {"update": [{"id": SEED.LEAD_FIRST, "updated_at": 1, "name": "x"}]})
    assert info.value.code == 200
    assert info.value.get_errors()["update"] == {str(SEED.LEAD_FIRST): "Last modified date is older than in database"}
