"""client.v4.catalogs, catalog_elements and the custom field definitions and groups (of entities, of
segments, of catalogs) against the sandbox."""

from __future__ import annotations

import pytest

from amocrm.errors import ConfigError, NotFoundError
from amocrm.sandbox import SEED, Sandbox
from amocrm.v4.client import V4
from amocrm.v4.models import (
    Catalog,
    CatalogElement,
    CustomField,
    CustomFieldEnum,
    CustomFieldGroup,
    FieldValue,
    FieldValues,
    Lead,
    RequiredStatus,
)

from .conftest import last, sent


def test_catalogs(v4: V4, sb: Sandbox) -> None:
    assert [c.id for c in v4.catalogs.list(type="regular")] == [SEED.CATALOG_PRODUCTS]
    catalog = Catalog(name="Services", type="regular", can_add_elements=True)
    assert v4.catalogs.save(catalog).ok and isinstance(catalog.id, int)
    got = v4.catalogs.get(catalog.id)
    got.sort = 77
    assert v4.catalogs.save(got).ok and v4.catalogs.get(catalog.id).sort == 77
    assert v4.catalogs.update(catalog.id, Catalog(name="Services 2")).name == "Services 2"
    assert v4.catalogs.products_settings().is_enabled is True
    assert v4.catalogs.update_products_settings(False).is_enabled is False
    assert v4.catalogs.delete(catalog.id) is None
    with pytest.raises(NotFoundError):
        v4.catalogs.get(catalog.id)
    before = sent(sb)
    with pytest.raises(ConfigError):
        v4.catalogs.list(type="other")  # type: ignore[arg-type]
    assert sent(sb) == before


def test_catalog_elements(v4: V4, sb: Sandbox) -> None:
    elements = v4.catalog_elements.list(SEED.CATALOG_PRODUCTS)
    assert {e.id for e in elements} == {SEED.ELEMENT_PEN, SEED.ELEMENT_PENCIL}
    assert [e.id for e in v4.catalog_elements.list(SEED.CATALOG_PRODUCTS, id=SEED.ELEMENT_PEN)] == [SEED.ELEMENT_PEN]
    marker = CatalogElement(name="Marker", custom_fields_values=[
        FieldValues(field_id=SEED.CF_CATALOG_SKU, values=[FieldValue(value="M-1")])])
    assert v4.catalog_elements.save(marker, SEED.CATALOG_PRODUCTS).ok and isinstance(marker.id, int)
    assert [e.id for e in v4.catalog_elements.list(SEED.CATALOG_PRODUCTS, query="M-1")] == [marker.id]
    got = v4.catalog_elements.get(SEED.CATALOG_PRODUCTS, marker.id, with_=["invoice_link"])
    assert got.catalog_id == SEED.CATALOG_PRODUCTS and got.invoice_link
    got.name = "Marker red"
    assert v4.catalog_elements.save(got, SEED.CATALOG_PRODUCTS).ok
    updated = v4.catalog_elements.update(SEED.CATALOG_PRODUCTS, marker.id, CatalogElement(name="Marker blue"))
    assert updated.name == "Marker blue"
    with pytest.raises(NotFoundError):
        v4.catalog_elements.get(SEED.CATALOG_PRODUCTS, SEED.LEAD_FIRST)


def test_custom_fields_of_entities(v4: V4, sb: Sandbox) -> None:
    page = v4.custom_fields.list("leads", filter={"type": ["select"]})
    assert [f.id for f in page] == [SEED.CF_LEAD_SELECT] and page.items[0].enums
    assert "filter%5Btype%5D%5B0%5D=select" in last(sb)[0]["query"]
    field = CustomField(name="Size", type="select", enums=[CustomFieldEnum(value="S"), CustomFieldEnum(value="L")],
                        required_statuses=[RequiredStatus(pipeline_id=SEED.PIPELINE_MAIN,
                                                          status_id=SEED.STATUS_MAIN_PROGRESS)])
    assert v4.custom_fields.save(field, "leads").ok and isinstance(field.id, int)
    got = v4.custom_fields.get("leads", field.id)
    assert [e.value for e in got.enums or []] == ["S", "L"] and got.entity_type == "leads"
    got.name = "Size (EU)"
    assert v4.custom_fields.save(got, "leads").ok
    assert v4.custom_fields.update("leads", field.id, CustomField(sort=3)).name == "Size (EU)"
    lead = Lead(name="sized", custom_fields_values=[FieldValues(field_id=field.id, values=[FieldValue(value="L")])])
    v4.leads.save(lead)
    values = v4.leads.get(lead.id).custom_fields_values  # type: ignore[arg-type]
    assert values and values[0].values and values[0].values[0].enum_id == got.enums[1].id  # type: ignore[index]
    assert v4.custom_fields.delete("leads", field.id) is None
    with pytest.raises(NotFoundError):
        v4.custom_fields.get("leads", field.id)
    ordered = [f.id for f in v4.custom_fields.list("contacts", order={"id": "desc"})]
    assert ordered == sorted(ordered, reverse=True)


def test_custom_field_pages_of_50(v4: V4, sb: Sandbox) -> None:
    seeded = len(list(v4.custom_fields.list("companies")))
    assert v4.custom_fields.save([CustomField(name=f"f{i}", type="text") for i in range(55)], "companies").ok
    page = v4.custom_fields.list("companies", page_size=250)  # the list gives at most 50 a page
    assert len(page.items) == 50 and page.has_next_page()
    assert "limit=50" in last(sb)[0]["query"]
    assert len({f.id for f in page}) == seeded + 55


def test_custom_fields_of_segments_and_catalogs(v4: V4, sb: Sandbox) -> None:
    seg = CustomField(name="Region", type="text")
    assert v4.segment_custom_fields.save(seg).ok and isinstance(seg.id, int)
    assert [f.id for f in v4.segment_custom_fields.list()] == [seg.id]
    assert v4.segment_custom_fields.get(seg.id).name == "Region"
    assert v4.segment_custom_fields.update(seg.id, CustomField(name="Area")).name == "Area"
    assert v4.segment_custom_fields.delete(seg.id) is None

    price = CustomField(name="Cost", type="price")
    assert v4.catalog_custom_fields.save(price, SEED.CATALOG_PRODUCTS).ok and isinstance(price.id, int)
    assert price.id in {f.id for f in v4.catalog_custom_fields.list(SEED.CATALOG_PRODUCTS)}
    got = v4.catalog_custom_fields.get(SEED.CATALOG_PRODUCTS, price.id)
    assert got.catalog_id == SEED.CATALOG_PRODUCTS and got.type == "price"
    assert v4.catalog_custom_fields.update(SEED.CATALOG_PRODUCTS, price.id, CustomField(is_required=True)).is_required
    assert v4.catalog_custom_fields.delete(SEED.CATALOG_PRODUCTS, price.id) is None


def test_custom_field_groups(v4: V4, sb: Sandbox) -> None:
    [group] = v4.custom_field_groups.create("leads", [CustomFieldGroup(name="Delivery", sort=5,
                                                                        fields=[SEED.CF_LEAD_TEXT])])
    assert isinstance(group.id, str) and group.fields == [SEED.CF_LEAD_TEXT] and group.request_id == "0"
    assert [g.id for g in v4.custom_field_groups.list("leads")] == [group.id]
    assert v4.custom_field_groups.get("leads", group.id).name == "Delivery"
    assert v4.custom_fields.get("leads", SEED.CF_LEAD_TEXT).group_id == group.id
    updated = v4.custom_field_groups.update("leads", group.id, CustomFieldGroup(name="Shipping", fields=[]))
    assert updated.name == "Shipping" and updated.fields == []
    assert v4.custom_field_groups.delete("leads", group.id) is None
    with pytest.raises(NotFoundError):
        v4.custom_field_groups.get("leads", group.id)

    [seg] = v4.segment_custom_field_groups.create([CustomFieldGroup(name="Segment tab")])
    assert [g.id for g in v4.segment_custom_field_groups.list()] == [seg.id]
    assert v4.segment_custom_field_groups.get(seg.id).name == "Segment tab"  # type: ignore[arg-type]
    assert v4.segment_custom_field_groups.update(seg.id, CustomFieldGroup(sort=9)).sort == 9  # type: ignore[arg-type]
    assert v4.segment_custom_field_groups.delete(seg.id) is None  # type: ignore[arg-type]

    [cat] = v4.catalog_custom_field_groups.create(SEED.CATALOG_PRODUCTS, [CustomFieldGroup(
        name="Specs", fields=[SEED.CF_CATALOG_SKU])])
    assert [g.id for g in v4.catalog_custom_field_groups.list(SEED.CATALOG_PRODUCTS)] == [cat.id]
    assert v4.catalog_custom_field_groups.get(SEED.CATALOG_PRODUCTS, cat.id).fields == [SEED.CF_CATALOG_SKU]  # type: ignore[arg-type]
    v4.catalog_custom_field_groups.update(SEED.CATALOG_PRODUCTS, cat.id, CustomFieldGroup(name="Specs 2"))  # type: ignore[arg-type]
    assert v4.catalog_custom_field_groups.delete(SEED.CATALOG_PRODUCTS, cat.id) is None  # type: ignore[arg-type]
