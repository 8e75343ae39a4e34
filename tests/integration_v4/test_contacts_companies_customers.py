"""client.v4.contacts, companies, customers (with mode and bonus points), customer_statuses, segments
and transactions against the sandbox."""

from __future__ import annotations

import pytest

from amocrm.errors import ConfigError, NotFoundError
from amocrm.sandbox import SEED, Sandbox
from amocrm.v4.client import V4
from amocrm.v4.models import (
    Company,
    CompanyEmbedded,
    Contact,
    ContactChat,
    ContactEmbedded,
    Customer,
    CustomerEmbedded,
    CustomerStatus,
    EmbeddedCatalogElement,
    EmbeddedEntity,
    EntityLink,
    FieldValue,
    FieldValues,
    LinkMetadata,
    Segment,
    Tag,
    Transaction,
    TransactionEmbedded,
    TransactionMetadata,
)

from .conftest import by_name, last, sent


def test_contacts(v4: V4, sb: Sandbox) -> None:
    ivan = v4.contacts.get(SEED.CONTACT_IVAN, with_=["leads"])
    assert ivan.name == "Иван Петров" and ivan.embedded is not None
    assert SEED.LEAD_FIRST in [lead.id for lead in ivan.embedded.leads]  # type: ignore[union-attr]
    assert ivan.custom_fields_values and ivan.custom_fields_values[0].field_code == "PHONE"
    new = Contact(first_name="Olga", last_name="Ivanova",
                  custom_fields_values=[FieldValues(field_code="EMAIL",
                                                    values=[FieldValue(value="olga@example.com", enum_code="WORK")])],
                  embedded=ContactEmbedded(companies=[EmbeddedEntity(id=SEED.COMPANY_ACME)],
                                           tags=[Tag(name="new")]))
    assert v4.contacts.save(new).ok and isinstance(new.id, int)
    stored = by_name(sb, "contacts", "Olga Ivanova")
    assert stored and stored[0]["id"] == new.id
    got = v4.contacts.get(new.id)
    assert got.embedded is not None and [c.id for c in got.embedded.companies] == [SEED.COMPANY_ACME]  # type: ignore[union-attr]
    got.last_name = "Petrova"
    v4.contacts.save(got)
    assert v4.contacts.update(new.id, Contact(name="Olga P.")).id == new.id
    assert [c.name for c in v4.contacts.list(filter={"id": [new.id]})] == ["Olga P."]
    assert {c.id for c in v4.contacts.list(order={"id": "asc"}, query="Olga")} == {new.id}
    assert [c.id for c in v4.contacts.list(filter={"custom_fields_values": {SEED.CF_CONTACT_EMAIL: ["olga@example.com"]}})] == [new.id]
    with pytest.raises(NotFoundError):
        v4.contacts.get(1)


def test_contact_links_tags_chats(v4: V4, sb: Sandbox) -> None:
    assert {link.to_entity_type for link in v4.contacts.links(SEED.CONTACT_IVAN)} >= {"leads", "companies"}
    v4.contacts.link(SEED.CONTACT_MARIA, [EntityLink(to_entity_id=SEED.CUSTOMER_FIRST, to_entity_type="customers")])
    assert SEED.CUSTOMER_FIRST in {link.to_entity_id for link in v4.contacts.links(
        SEED.CONTACT_MARIA, filter={"to_entity_type": "customers"})}
    v4.contacts.unlink(SEED.CONTACT_MARIA, [EntityLink(to_entity_id=SEED.CUSTOMER_FIRST, to_entity_type="customers")])
    v4.contacts.link_many([EntityLink(entity_id=SEED.CONTACT_MARIA, to_entity_id=SEED.COMPANY_ACME,
                                      to_entity_type="companies")])
    pairs = {(link.entity_id, link.to_entity_id) for link in v4.contacts.links_many([SEED.CONTACT_MARIA])}
    assert (SEED.CONTACT_MARIA, SEED.COMPANY_ACME) in pairs
    v4.contacts.unlink_many([EntityLink(entity_id=SEED.CONTACT_MARIA, to_entity_id=SEED.COMPANY_ACME,
                                        to_entity_type="companies")])
    assert (SEED.CONTACT_MARIA, SEED.COMPANY_ACME) not in {
        (link.entity_id, link.to_entity_id) for link in v4.contacts.links_many([SEED.CONTACT_MARIA])}

    [tag] = v4.contacts.create_tags([Tag(name="partner")])
    assert [t.id for t in v4.contacts.tags(filter={"id": tag.id})] == [tag.id]

    chats = v4.contacts.chats(contact_id=SEED.CONTACT_IVAN)
    assert [c.contact_id for c in chats] == [SEED.CONTACT_IVAN]
    [linked] = v4.contacts.link_chats([ContactChat(contact_id=SEED.CONTACT_MARIA, chat_id="chat-maria")])
    assert linked.request_id == "0"
    assert [c.contact_id for c in v4.contacts.chats(chat_id="chat-maria")] == [SEED.CONTACT_MARIA]
    assert v4.contacts.chats(chat_id="no such chat") == []


def test_companies(v4: V4, sb: Sandbox) -> None:
    acme = v4.companies.get(SEED.COMPANY_ACME, with_=["contacts", "leads"])
    assert acme.embedded is not None and SEED.CONTACT_IVAN in [c.id for c in acme.embedded.contacts]  # type: ignore[union-attr]
    new = Company(name="Globex", embedded=CompanyEmbedded(contacts=[EmbeddedEntity(id=SEED.CONTACT_MARIA)]))
    v4.companies.save(new)
    assert isinstance(new.id, int) and by_name(sb, "companies", "Globex")
    assert v4.companies.update(new.id, Company(name="Globex Inc")).id == new.id
    assert [c.name for c in v4.companies.list(filter={"name": "Globex Inc"})] == ["Globex Inc"]
    assert {link.to_entity_id for link in v4.companies.links(new.id)} == {SEED.CONTACT_MARIA}
    v4.companies.link(new.id, [EntityLink(to_entity_id=SEED.LEAD_SECOND, to_entity_type="leads")])
    v4.companies.unlink(new.id, [EntityLink(to_entity_id=SEED.CONTACT_MARIA, to_entity_type="contacts")])
    assert {link.to_entity_id for link in v4.companies.links_many([new.id])} == {SEED.LEAD_SECOND}
    v4.companies.link_many([EntityLink(entity_id=new.id, to_entity_id=SEED.CONTACT_IVAN, to_entity_type="contacts")])
    v4.companies.unlink_many([EntityLink(entity_id=new.id, to_entity_id=SEED.LEAD_SECOND, to_entity_type="leads")])
    assert {link.to_entity_id for link in v4.companies.links(new.id)} == {SEED.CONTACT_IVAN}
    [tag] = v4.companies.create_tags([Tag(name="supplier", color=None)])
    assert "supplier" in {t.name for t in v4.companies.tags()}
    assert tag.color is None


def test_customers(v4: V4, sb: Sandbox) -> None:
    first = v4.customers.get(SEED.CUSTOMER_FIRST, with_=["contacts"])
    assert first.name == "Постоянный покупатель"
    segment = Segment(name="VIP", color="ff8f92")
    assert v4.segments.create(segment).ok and isinstance(segment.id, int)
    new = Customer(name="Shop", next_price=500, next_date=1900000000,
                   embedded=CustomerEmbedded(segments=[EmbeddedEntity(id=segment.id)],
                                             contacts=[EmbeddedEntity(id=SEED.CONTACT_IVAN)]))
    assert v4.customers.save(new).ok and isinstance(new.id, int)
    got = v4.customers.get(new.id, with_=["contacts"])
    assert got.next_price == 500 and got.embedded is not None
    assert [s.id for s in got.embedded.segments] == [segment.id]  # type: ignore[union-attr]
    assert v4.customers.update(new.id, Customer(name="Shop 2")).id == new.id
    got.next_price = 700
    v4.customers.save(got)
    assert [c.next_price for c in v4.customers.list(filter={"id": new.id})] == [700]
    assert v4.segments.get(segment.id).customers_count == 1

    assert {link.to_entity_id for link in v4.customers.links(new.id)} == {SEED.CONTACT_IVAN}
    v4.customers.link(new.id, [EntityLink(to_entity_id=SEED.COMPANY_ACME, to_entity_type="companies")])
    v4.customers.unlink(new.id, [EntityLink(to_entity_id=SEED.CONTACT_IVAN, to_entity_type="contacts")])
    v4.customers.link_many([EntityLink(entity_id=new.id, to_entity_id=SEED.ELEMENT_PEN,
                                       to_entity_type="catalog_elements",
                                       metadata=LinkMetadata(catalog_id=SEED.CATALOG_PRODUCTS, quantity=2))])
    types = {link.to_entity_type for link in v4.customers.links_many([new.id])}
    assert types == {"companies", "catalog_elements"}
    v4.customers.unlink_many([EntityLink(entity_id=new.id, to_entity_id=SEED.COMPANY_ACME,
                                         to_entity_type="companies")])
    assert {link.to_entity_type for link in v4.customers.links(new.id)} == {"catalog_elements"}
    v4.customers.create_tags([Tag(name="loyal")])
    assert "loyal" in {t.name for t in v4.customers.tags()}


def test_customers_mode_and_statuses(v4: V4, sb: Sandbox) -> None:
    mode = v4.customers.set_mode("periodicity", True)
    assert mode.mode == "periodicity" and mode.is_enabled is True
    defaults = v4.customer_statuses.list().items
    assert {s.type for s in defaults} == {1, 2, 3, 4}
    status = CustomerStatus(name="Loyal", color="#fffeb2")
    assert v4.customer_statuses.create(status).ok and isinstance(status.id, int)
    assert v4.customer_statuses.get(status.id).name == "Loyal"
    assert v4.customer_statuses.update(status.id, CustomerStatus(name="Very loyal")).name == "Very loyal"
    assert v4.customer_statuses.delete(status.id) is None
    with pytest.raises(NotFoundError):
        v4.customer_statuses.get(status.id)
    with pytest.raises(ConfigError):
        v4.customers.set_mode("weekly", True)  # type: ignore[arg-type]


def test_segments(v4: V4, sb: Sandbox) -> None:
    segment = Segment(name="Wholesale", color="0C7C59", available_products_price_types=[1])
    assert v4.segments.create(segment).ok and isinstance(segment.id, int)
    assert [s.id for s in v4.segments.list()] == [segment.id]
    updated = v4.segments.update(segment.id, Segment(name="Wholesale 2"))
    assert updated.name == "Wholesale 2" and updated.color == "0c7c59"
    assert v4.segments.delete(segment.id) is None
    assert v4.segments.list().items == []


def test_transactions_and_bonus_points(v4: V4, sb: Sandbox) -> None:
    [tx] = v4.transactions.create(SEED.CUSTOMER_FIRST, [Transaction(
        price=1500, comment="first", metadata=TransactionMetadata(external_id="order-1"), next_price=200,
        embedded=TransactionEmbedded(catalog_elements=[EmbeddedCatalogElement(id=SEED.ELEMENT_PEN)]))],
        accrue_bonus=True)
    assert isinstance(tx.id, int) and tx.customer_id == SEED.CUSTOMER_FIRST and tx.price == 1500
    assert last(sb)[0]["query"] == "accrue_bonus=1"
    assert [t.id for t in v4.transactions.list(filter={"customer_id": SEED.CUSTOMER_FIRST})] == [tx.id]
    assert [t.id for t in v4.transactions.list_for(SEED.CUSTOMER_FIRST)] == [tx.id]
    got = v4.transactions.get(tx.id)
    assert got.metadata is not None and got.metadata.external_id == "order-1"
    customer = v4.customers.get(SEED.CUSTOMER_FIRST)
    assert customer.ltv == 1500 and customer.purchases_count == 1 and customer.next_price == 200
    assert v4.customers.earn_bonus_points(SEED.CUSTOMER_FIRST, 10).bonus_points == 25  # 15 accrued + 10
    assert v4.customers.redeem_bonus_points(SEED.CUSTOMER_FIRST, 5).bonus_points == 20
    assert v4.transactions.delete(SEED.CUSTOMER_FIRST, tx.id) is None
    assert v4.transactions.list().items == []
    before = sent(sb)
    with pytest.raises(ConfigError, match="points"):
        v4.customers.earn_bonus_points(SEED.CUSTOMER_FIRST, "10")  # type: ignore[arg-type]
    assert sent(sb) == before
