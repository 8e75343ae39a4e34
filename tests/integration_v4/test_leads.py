"""client.v4.leads against the sandbox: list/iterate/get/save/update, filters, paging, complex add,
links and tags; validation errors mapped to the input objects; partial updates."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from amocrm._sync.pages import LinksPage
from amocrm.client import ClientConfig
from amocrm.errors import ConfigError, NotFoundError, ValidationError
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v4.client import V4
from amocrm.v4.models import (
    Company,
    ComplexLead,
    ComplexLeadEmbedded,
    ComplexLeadMetadata,
    Contact,
    EmbeddedEntity,
    EntityLink,
    FieldValue,
    FieldValues,
    Lead,
    LeadEmbedded,
    LinkMetadata,
    Tag,
)

from .conftest import by_name, last, sent


def test_list_iterate_get(v4: V4, sb: Sandbox) -> None:
    page = v4.leads.list(with_=["contacts"])
    assert isinstance(page, LinksPage) and page.page == 1
    ids = {lead.id for lead in page}
    assert {SEED.LEAD_FIRST, SEED.LEAD_SECOND} <= ids
    first = next(lead for lead in page.items if lead.id == SEED.LEAD_FIRST)
    assert first.embedded is not None and first.embedded.contacts
    assert first.embedded.contacts[0].id == SEED.CONTACT_IVAN and first.embedded.contacts[0].is_main is True
    assert first.custom_fields_values is None and first.closed_at is None and first.loss_reason_id is None
    assert last(sb)[0]["query"].startswith("with=contacts")

    lead = v4.leads.get(SEED.LEAD_FIRST, with_=["contacts", "catalog_elements"])
    assert lead.name == "Первая сделка" and lead.pipeline_id == SEED.PIPELINE_MAIN
    assert lead.embedded is not None and lead.embedded.tags == []
    with pytest.raises(NotFoundError):
        v4.leads.get(999999)


def test_create_writes_ids_back_by_request_id(v4: V4, sb: Sandbox) -> None:
    leads = [
        Lead(name="a", price=10, request_id="mine"),
        Lead(name="b", price=20,
             embedded=LeadEmbedded(tags=[Tag(name="vip")], contacts=[EmbeddedEntity(id=SEED.CONTACT_MARIA)])),
        Lead(name="c", custom_fields_values=[FieldValues(field_id=SEED.CF_LEAD_TEXT, values=[FieldValue(value="x")])]),
    ]
    result = v4.leads.save(leads)
    assert result.ok and [o.request_id for o in result] == ["mine", "0", "1"]
    for lead in leads:
        assert isinstance(lead.id, int)
        assert by_name(sb, "leads", lead.name)[0]["id"] == lead.id  # type: ignore[index]
    b = v4.leads.get(leads[1].id, with_=["contacts"])  # type: ignore[arg-type]
    assert b.price == 20 and b.embedded is not None
    assert [t.name for t in b.embedded.tags or []] == ["vip"]
    assert [c.id for c in b.embedded.contacts] == [SEED.CONTACT_MARIA]  # type: ignore[union-attr]
    c = v4.leads.get(leads[2].id)  # type: ignore[arg-type]
    assert c.custom_fields_values and c.custom_fields_values[0].values[0].value == "x"  # type: ignore[index]


def test_update_sends_only_changed_fields(v4: V4, sb: Sandbox) -> None:
    lead = v4.leads.get(SEED.LEAD_FIRST)
    before = sent(sb)
    assert v4.leads.save(lead).ok
    assert sent(sb) == before  # nothing changed: nothing sent
    lead.price = 777
    assert v4.leads.save(lead).ok
    [patch] = last(sb)
    assert patch["method"] == "PATCH" and patch["path"] == "/api/v4/leads"
    assert v4.leads.get(SEED.LEAD_FIRST).price == 777


def test_two_clients_keep_both_changes(v4: V4, sb: Sandbox) -> None:
    other = client_for(sb, config=ClientConfig(prefetch=0)).v4
    mine = v4.leads.get(SEED.LEAD_FIRST)
    theirs = other.leads.get(SEED.LEAD_FIRST)
    mine.name = "renamed by one"
    theirs.price = 4242
    assert v4.leads.save(mine).ok
    assert other.leads.save(theirs).ok
    final = v4.leads.get(SEED.LEAD_FIRST)
    assert final.name == "renamed by one" and final.price == 4242


def test_single_update(v4: V4, sb: Sandbox) -> None:
    saved = v4.leads.update(SEED.LEAD_SECOND, Lead(name="patched", price=5))
    assert saved.id == SEED.LEAD_SECOND and isinstance(saved.updated_at, int)
    stored = [e for e in sb.entities("leads") if e["id"] == SEED.LEAD_SECOND][0]
    assert stored["name"] == "patched" and stored["sale"] == 5


def test_validation_error_maps_to_input_objects(v4: V4, sb: Sandbox) -> None:
    good = Lead(name="good")
    bad = Lead(name="bad", status_id=999999)
    with pytest.raises(ValidationError) as info:
        v4.leads.save([good, bad])
    outcome = info.value.outcome
    assert outcome is not None and [o.status for o in outcome] == ["failed", "failed"]
    assert "status_id" in (outcome[1].message or "") and outcome[1].code == "NotSupportedChoice"
    assert "not applied" in (outcome[0].message or "")
    assert good.id is msgspec.UNSET  # nothing written back
    assert not by_name(sb, "leads", "good") and not by_name(sb, "leads", "bad")


def test_filters(v4: V4, sb: Sandbox) -> None:
    v4.leads.save([Lead(name="cheap", price=10), Lead(name="mid", price=500),
                   Lead(name="second", price=900, pipeline_id=SEED.PIPELINE_SECOND,
                        status_id=SEED.STATUS_SECOND_NEGOTIATION)])
    names = {lead.name for lead in v4.leads.list(filter={"price": {"from": 100, "to": 900}})}
    assert {"mid", "second"} <= names and "cheap" not in names
    in_stage = v4.leads.list(filter={"statuses": [(SEED.PIPELINE_SECOND, SEED.STATUS_SECOND_NEGOTIATION)]})
    assert [lead.name for lead in in_stage] == ["second"]
    assert "filter%5Bstatuses%5D%5B0%5D%5Bpipeline_id%5D=" in last(sb)[0]["query"]
    by_dict = v4.leads.list(filter={"statuses": [{"pipeline_id": SEED.PIPELINE_SECOND,
                                                   "status_id": SEED.STATUS_SECOND_NEGOTIATION}]})
    assert [lead.name for lead in by_dict] == ["second"]
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    recent = v4.leads.list(filter={"created_at": {"from": since}, "name": ["cheap", "mid"]})
    assert {lead.name for lead in recent} == {"cheap", "mid"}
    assert v4.leads.list(filter={"created_at": {"to": 1000}}).items == []  # 204
    assert [lead.id for lead in v4.leads.list(filter={"id": SEED.LEAD_SECOND})] == [SEED.LEAD_SECOND]
    ordered = [lead.id for lead in v4.leads.list(order={"id": "desc"})]
    assert ordered == sorted(ordered, reverse=True)
    assert [lead.name for lead in v4.leads.list(query="cheap")] == ["cheap"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"filter": {"bogus": 1}}, "unknown key 'bogus'"),
    ({"with_": ["contacts", "bogus"]}, "'bogus' is not one of"),
    ({"filter": {"price": {"from": "cheap"}}}, "expected an int"),
    ({"filter": {"statuses": [(SEED.PIPELINE_MAIN,)]}}, "pair"),
    ({"filter": {"created_at": {"from": dt.datetime(2024, 1, 1)}}}, "naive datetime"),
    ({"filter": {"id": "1"}}, "positive int id"),
    ({"order": {"id": "up"}}, "'up' is not one of"),
])
def test_config_errors_before_anything_is_sent(v4: V4, sb: Sandbox, kwargs: dict[str, object], message: str) -> None:
    before = sent(sb)
    with pytest.raises(ConfigError, match="leads.list") as info:
        v4.leads.list(**kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert sent(sb) == before


def test_paging_follows_links_and_ends(v4: V4, sb: Sandbox) -> None:
    v4.leads.save([Lead(name=f"page-{i}") for i in range(6)])  # 8 leads in all
    first = v4.leads.list(page_size=3)
    pages = list(first.pages())
    assert [p.page for p in pages] == [1, 2, 3] and [len(p.items) for p in pages] == [3, 3, 2]
    assert all(isinstance(p, LinksPage) for p in pages)
    assert "next" in pages[0].links and "next" not in pages[-1].links
    assert len({lead.id for lead in first}) == 8
    past = v4.leads.list(page=9, page_size=3)  # past the end: 204
    assert past.items == [] and not past.has_next_page() and last(sb)[0]["status"] == 204


def test_paging_ends_on_204(v4: V4, sb: Sandbox) -> None:
    walkers = [Lead(name="walk") for _ in range(4)]
    v4.leads.save(walkers)
    first = v4.leads.list(filter={"name": "walk"}, order={"id": "asc"}, page_size=2)
    assert first.has_next_page() and "next" in first.links
    for lead in walkers[2:]:  # page 2 empties before it is read: the service answers it with 204
        lead.name = "walked away"
    v4.leads.save(walkers[2:])
    assert [lead.id for lead in first] == [w.id for w in walkers[:2]]
    assert last(sb)[0]["status"] == 204 and "page=2" in last(sb)[0]["query"]
    assert first.next_page() is None


def test_prefetch_ends_on_204(sb: Sandbox) -> None:
    client = client_for(sb, config=ClientConfig(prefetch=2))
    v4 = client.v4
    v4.leads.save([Lead(name=f"prefetch-{i}") for i in range(6)])  # 8 leads: 4 full pages of 2
    assert len(list(v4.leads.list(page_size=2))) == 8
    statuses = [(e["query"], e["status"]) for e in sb.request_log() if e["path"] == "/api/v4/leads"
                and e["method"] == "GET"]
    # the pages fetched ahead past the end are answered 204 (or stopped before they were sent)
    assert ("page=5&limit=2", 204) in statuses or v4.leads.stats.cancelled >= 1
    assert all(status == 200 for query, status in statuses if "page=5" not in query and "page=6" not in query)
    client.close()


def test_complex_answers_per_lead(v4: V4, sb: Sandbox) -> None:
    leads = [
        ComplexLead(name="complex one", price=100, embedded=ComplexLeadEmbedded(
            contacts=[Contact(first_name="Ann", last_name="Lee")], companies=[Company(name="Lee Ltd")],
            tags=[Tag(name="web")])),
        ComplexLead(name="complex two", request_id="two", embedded=ComplexLeadEmbedded(
            contacts=[Contact(name="Bob")], metadata=ComplexLeadMetadata(
                category="forms", form_id="f1", form_name="Site", form_page="https://example.com",
                form_sent_at=1700000000, ip="127.0.0.1"))),
    ]
    one, two = v4.leads.complex(leads)
    assert one.request_id == ["0"] and two.request_id == ["two"] and not one.merged and not two.merged
    assert isinstance(one.contact_id, int) and isinstance(one.company_id, int) and two.company_id is None
    stored = v4.leads.get(one.id, with_=["contacts"])
    assert stored.name == "complex one" and stored.embedded is not None
    assert [c.id for c in stored.embedded.contacts] == [one.contact_id]  # type: ignore[union-attr]
    assert [t.name for t in stored.embedded.tags or []] == ["web"]
    assert v4.contacts.get(one.contact_id).name == "Ann Lee"  # type: ignore[arg-type]
    assert [u.category for u in v4.unsorted.list()] == ["forms"]  # the second one came in as unsorted


def test_complex_merges_duplicates() -> None:
    phone = [FieldValues(field_code="PHONE", values=[FieldValue(value="+7 999 000-00-01", enum_code="WORK")])]
    with Sandbox(rate_limit=None, duplicate_control=True) as sb:
        v4 = client_for(sb).v4
        [merged] = v4.leads.complex([ComplexLead(name="dup", embedded=ComplexLeadEmbedded(
            contacts=[Contact(name="Ivan again", custom_fields_values=phone)]))])
    assert merged.merged is True and merged.id == SEED.LEAD_FIRST and merged.contact_id == SEED.CONTACT_IVAN


def test_complex_is_chunked_by_50(v4: V4, sb: Sandbox) -> None:
    answers = v4.leads.complex([ComplexLead(name=f"bulk-{i}") for i in range(51)])
    assert len(answers) == 51 and len({a.id for a in answers}) == 51
    posts = [e for e in sb.request_log() if e["path"] == "/api/v4/leads/complex"]
    assert len(posts) == 2


def test_links_one_and_many(v4: V4, sb: Sandbox) -> None:
    links = v4.leads.links(SEED.LEAD_FIRST).items
    assert {(link.to_entity_type, link.to_entity_id) for link in links} == {
        ("contacts", SEED.CONTACT_IVAN), ("companies", SEED.COMPANY_ACME)}
    only = v4.leads.links(SEED.LEAD_FIRST, filter={"to_entity_type": "contacts", "to_entity_id": [SEED.CONTACT_IVAN]})
    assert [link.to_entity_id for link in only] == [SEED.CONTACT_IVAN]

    made = v4.leads.link(SEED.LEAD_SECOND, [
        EntityLink(to_entity_id=SEED.CONTACT_MARIA, to_entity_type="contacts", metadata=LinkMetadata(is_main=True)),
        EntityLink(to_entity_id=SEED.ELEMENT_PEN, to_entity_type="catalog_elements",
                   metadata=LinkMetadata(catalog_id=SEED.CATALOG_PRODUCTS, quantity=3))])
    assert [m.to_entity_id for m in made] == [SEED.CONTACT_MARIA, SEED.ELEMENT_PEN]
    lead = v4.leads.get(SEED.LEAD_SECOND, with_=["contacts", "catalog_elements"])
    assert lead.embedded is not None and lead.embedded.catalog_elements
    assert lead.embedded.catalog_elements[0].metadata.quantity == 3  # type: ignore[union-attr]
    assert v4.leads.unlink(SEED.LEAD_SECOND, [EntityLink(to_entity_id=SEED.CONTACT_MARIA,
                                                         to_entity_type="contacts")]) is None
    many = v4.leads.links_many([SEED.LEAD_FIRST, SEED.LEAD_SECOND], filter={"to_entity_type": "catalog_elements"})
    assert [(link.entity_id, link.to_entity_id) for link in many] == [(SEED.LEAD_SECOND, SEED.ELEMENT_PEN)]

    v4.leads.link_many([EntityLink(entity_id=SEED.LEAD_SECOND, to_entity_id=SEED.COMPANY_ACME,
                                   to_entity_type="companies")])
    assert SEED.COMPANY_ACME in {link.to_entity_id for link in v4.leads.links(SEED.LEAD_SECOND)}
    v4.leads.unlink_many([EntityLink(entity_id=SEED.LEAD_SECOND, to_entity_id=SEED.COMPANY_ACME,
                                     to_entity_type="companies")])
    assert SEED.COMPANY_ACME not in {link.to_entity_id for link in v4.leads.links(SEED.LEAD_SECOND)}


def test_tags(v4: V4, sb: Sandbox) -> None:
    [made] = v4.leads.create_tags([Tag(name="hot", color="FF8F92")])
    assert isinstance(made.id, int) and made.color == "FF8F92" and made.request_id == "0"
    [renamed] = v4.leads.update_tags([Tag(id=made.id, name="very hot")])
    assert renamed.name == "very hot"
    assert [t.name for t in v4.leads.tags(query="very")] == ["very hot"]
    assert [t.id for t in v4.leads.tags(filter={"name": "very hot"})] == [made.id]
    lead = v4.leads.get(SEED.LEAD_FIRST)
    lead.tags_to_add = [Tag(name="very hot")]
    v4.leads.save(lead)
    again = v4.leads.get(SEED.LEAD_FIRST)
    assert again.embedded is not None and [t.id for t in again.embedded.tags or []] == [made.id]
