"""Reading v4 ``custom_fields_values``: lookups by id, code and name; values typed per field type.

The helpers are tested on a small Struct built here from the shared shapes of
``spec/v4/entities/common.yaml`` (``FieldValues``, ``Tag``), decoded from v4 bodies: the vendored
contact fixture and a body with one field of every type in the API's read form.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from msgspec import UNSET, UnsetType
from typing_extensions import assert_type

from amocrm.errors import ConfigError, DecodeError
from amocrm.lib.base import AmoStruct
from amocrm.lib.v4.fields import (
    Address,
    AddressPart,
    AnyItem,
    AnyValue,
    Birthday,
    ChainedList,
    ChainedListValue,
    Checkbox,
    Choice,
    Date,
    DateTime,
    File,
    Items,
    LegalEntity,
    LegalEntityValue,
    LinkedEntity,
    Monetary,
    MultiSelect,
    MultiText,
    MultiTextValue,
    Numeric,
    Payer,
    Phone,
    Raw,
    Select,
    SmartAddress,
    Supplier,
    Text,
    Url,
)
from amocrm.lib.v4.mixins import CustomFieldsMixin, TagsMixin
from amocrm.v4.models.common import FieldValues, Tag

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "v4"
UTC = datetime.timezone.utc


class Embedded(AmoStruct, kw_only=True):
    tags: list[Tag] | None | UnsetType = UNSET


class Entity(CustomFieldsMixin, TagsMixin, AmoStruct, kw_only=True):
    """A test-only entity with the v4 shapes: custom_fields_values and _embedded.tags."""

    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    custom_fields_values: list[FieldValues] | None | UnsetType = UNSET
    embedded: Embedded | UnsetType = msgspec.field(name="_embedded", default=UNSET)


def cf(fid: int, name: str, ftype: str, values: list[dict[str, Any]], code: str | None = None) -> dict[str, Any]:
    return {"field_id": fid, "field_name": name, "field_code": code, "field_type": ftype, "values": values}


#: One field of every type, in the read form of the API (values as the service sends them).
EVERY_TYPE: list[dict[str, Any]] = [
    cf(1, "Comment", "text", [{"value": "hello"}]),
    cf(2, "Budget", "numeric", [{"value": "1500"}], code="BUDGET"),
    cf(3, "Ratio", "numeric", [{"value": 12.5}]),
    cf(4, "Agreed", "checkbox", [{"value": True}]),
    cf(5, "Source", "select", [{"value": "Ads", "enum_id": 51, "enum_code": None}]),
    cf(6, "Interests", "multiselect", [{"value": "Pens", "enum_id": 61}, {"value": "Ink", "enum_id": 62}]),
    cf(7, "Phone", "multitext", [{"value": "+79990000001", "enum_id": 71, "enum_code": "MOB"},
                                 {"value": "+74950000002", "enum_id": 72, "enum_code": "WORK"}], code="PHONE"),
    cf(8, "Deadline", "date", [{"value": 1709164800}]),
    cf(9, "Meeting", "date_time", [{"value": 1709200800}]),
    cf(10, "Birthday", "birthday", [{"value": "2020-05-08"}]),
    cf(11, "Site", "url", [{"value": "https://example.com"}]),
    cf(12, "Address", "smart_address", [{"value": "Lenina 1", "enum_id": 1, "enum_code": "address_line_1"},
                                        {"value": "Moscow", "enum_id": 3, "enum_code": "city"},
                                        {"value": "101000", "enum_id": 5}]),
    cf(13, "Requisites", "legal_entity", [{"value": {"name": "OOO Romashka", "entity_type": 2, "vat_id": "7701"}}]),
    cf(14, "Cost", "price", [{"value": 99}]),
    cf(15, "Revenue", "monetary", [{"value": "1234.50"}]),
    cf(16, "Product line", "chained_list", [{"catalog_id": 5001, "catalog_element_id": 5500001}]),
    cf(17, "Owner", "linked_entity", [{"value": {"entity_id": 6000001, "entity_type": "contacts", "name": "Ivan"}}]),
    cf(18, "Contract", "file", [{"value": {"file_uuid": "f-1", "version_uuid": "v-1", "file_name": "a.pdf",
                                           "file_size": 1024}}]),
    cf(19, "Notes", "textarea", [{"value": "line 1\nline 2"}]),
    cf(20, "Kind", "radiobutton", [{"value": "B2B", "enum_id": 201}]),
    cf(21, "Street", "streetaddress", [{"value": "Tverskaya 1"}]),
    cf(22, "UTM", "tracking_data", [{"value": "google"}]),
    cf(23, "Legal name", "org_legal_name", [{"value": "Romashka LLC"}]),
    cf(24, "Lines", "items", [{"value": {"sku": "P-1", "quantity": 2}}, {"value": {"sku": "P-2", "quantity": 1}}]),
    cf(25, "Payer", "payer", [{"value": {"name": "Ivan", "entity_type": "contact"}}]),
    cf(26, "Supplier", "supplier", [{"value": {"entity_id": 7, "name": "Acme"}}]),
    cf(27, "Category", "category", [{"value": "Office", "enum_id": 271}]),
    cf(28, "Email", "multitext", [{"value": "a@example.com", "enum_id": 81, "enum_code": "PRIV"}], code="EMAIL"),
    cf(29, "Future", "hologram", [{"value": {"x": 1}}]),
    cf(30, "Off", "checkbox", [{"value": False}]),
]


def entity(values: list[dict[str, Any]] | None = None) -> Entity:
    body = {"id": 1, "name": "x", "custom_fields_values": EVERY_TYPE if values is None else values,
            "_embedded": {"tags": [{"id": 1, "name": "hot", "color": None}]}}
    return msgspec.json.decode(json.dumps(body), type=Entity)


def test_the_vendored_contact_fixture_reads_typed() -> None:
    body = (FIXTURES / "contact_get_response_peer.json").read_bytes()
    contact = msgspec.json.decode(body, type=Entity)
    assert contact.get_field("PHONE") is contact.get_field(3) is contact.get_field("телефон")
    # that fixture writes the enum code under the older key "enum" (the service sends enum_code):
    # FieldValue keeps both, and the code is read from either
    assert contact.get_value("PHONE") == [MultiTextValue("+79123", "WORK")]
    assert contact.get_value("PHONE", Phone, first=False) == [("+79123", "WORK")]
    assert contact.tag_names == []
    empty = msgspec.json.decode((FIXTURES / "contacts_list_page1_with_next_peer.json").read_bytes(),
                                type=dict[str, Any])["_embedded"]["contacts"][0]
    none = msgspec.convert(empty, Entity)
    assert none.custom_fields_values is None and none.get_value("PHONE") is None
    assert none.get_value("PHONE", first=False) == []


def test_lookup_by_id_code_and_name() -> None:
    e = entity()
    assert e.get_field(2) is e.get_field("BUDGET") is e.get_field("budget") is e.get_field("Budget")
    assert e.get_field("BUDGET").field_id == 2  # type: ignore[union-attr]
    assert e.get_field(999) is None and e.get_field("nope") is None
    assert Entity().get_field(1) is None
    with pytest.raises(ConfigError, match="expected an id"):
        e.get_field(True)
    with pytest.raises(ConfigError, match="expected an id"):
        e.get_field(1.0)  # type: ignore[arg-type]
    twins = entity([cf(1, "Source", "text", [{"value": "a"}]), cf(2, "source", "text", [{"value": "b"}])])
    with pytest.raises(ConfigError, match=r"custom field name 'SOURCE' is ambiguous \(fields 1, 2\)"):
        twins.get_field("SOURCE")
    assert twins.get_value(2) == "b"
    # a code wins over a name
    coded = entity([cf(1, "PHONE", "text", [{"value": "name"}]), cf(2, "Tel", "text", [{"value": "code"}], "PHONE")])
    assert coded.get_value("phone") == "code"


def test_typed_reads_per_field_type() -> None:
    e = entity()
    assert e.get_value(1, Text) == "hello"
    assert e.get_value("BUDGET", Numeric) == 1500 and isinstance(e.get_value(2, Numeric), int)
    assert e.get_value(3, Numeric) == 12.5
    assert e.get_value(4, Checkbox) is True and e.get_value(30, Checkbox) is False
    assert e.get_value(5, Select) == Choice("Ads", 51)
    assert e.get_value(6, MultiSelect) == [Choice("Pens", 61), Choice("Ink", 62)]
    assert e.get_value("PHONE", MultiText) == [("+79990000001", "MOB"), ("+74950000002", "WORK")]
    assert e.get_value(8, Date) == datetime.datetime(2024, 2, 29, tzinfo=UTC)
    assert e.get_value(9, DateTime) == datetime.datetime(2024, 2, 29, 10, 0, tzinfo=UTC)
    assert e.get_value(10, Birthday) == datetime.datetime(2020, 5, 8, tzinfo=UTC)  # an old-style date string
    assert e.get_value(11, Url) == "https://example.com"
    address: Address | None = e.get_value(12, SmartAddress)
    assert address == {"address_line_1": "Lenina 1", "city": "Moscow", "zip": "101000"}
    assert e.get_value(12, SmartAddress, first=False)[2] == AddressPart("zip", "101000")
    assert e.get_value(13, LegalEntity) == {"name": "OOO Romashka", "entity_type": 2, "vat_id": "7701"}
    assert e.get_value(14, Numeric) == 99 and e.get_value(15, Monetary) == 1234.5
    assert e.get_value(16, ChainedList) == ChainedListValue(5001, 5500001)
    assert e.get_value(17, LinkedEntity) == {"entity_id": 6000001, "entity_type": "contacts", "name": "Ivan"}
    assert e.get_value(18, File) == {"file_uuid": "f-1", "version_uuid": "v-1", "file_name": "a.pdf",
                                     "file_size": 1024}
    assert e.get_value(19, Text) == "line 1\nline 2"
    assert e.get_value(20, Select) == Choice("B2B", 201)
    assert e.get_value(21, Text) == "Tverskaya 1" and e.get_value(22, Text) == "google"
    assert e.get_value(23, Text) == "Romashka LLC"
    assert e.get_value(24, Items) == [{"sku": "P-1", "quantity": 2}, {"sku": "P-2", "quantity": 1}]
    assert e.get_value(25, Payer) == {"name": "Ivan", "entity_type": "contact"}
    assert e.get_value(26, Supplier) == {"entity_id": 7, "name": "Acme"}
    assert e.get_value(27, Select) == Choice("Office", 271) and e.get_value(27, MultiSelect) == [Choice("Office", 271)]
    assert e.get_value("EMAIL", MultiText) == [("a@example.com", "PRIV")]
    assert e.get_value(29, Raw) == [{"value": {"x": 1}}]


def test_untyped_reads_follow_field_type() -> None:
    e = entity()
    expected: dict[int | str, Any] = {
        1: "hello", 2: 1500, 4: True, 5: Choice("Ads", 51), 6: [Choice("Pens", 61), Choice("Ink", 62)],
        "PHONE": [("+79990000001", "MOB"), ("+74950000002", "WORK")],
        8: datetime.datetime(2024, 2, 29, tzinfo=UTC), 12: {"address_line_1": "Lenina 1", "city": "Moscow",
                                                             "zip": "101000"},
        16: (5001, 5500001), 24: [{"sku": "P-1", "quantity": 2}, {"sku": "P-2", "quantity": 1}],
        29: {"x": 1},  # an unknown type: the raw value
    }
    for ref, value in expected.items():
        assert e.get_value(ref) == value, ref
    assert e.get_value(1, first=False) == ["hello"]
    assert e.get_value(6, first=False) == [("Pens", 61), ("Ink", 62)]
    assert e.get_value(999) is None and e.get_value(999, Numeric) is None
    assert e.get_value(999, Numeric, first=False) == []


def test_wrong_kind_and_malformed_values_are_clear_errors() -> None:
    e = entity()
    with pytest.raises(ConfigError, match=r"custom field 1 'Comment' \(text\): cannot be read as Numeric"):
        e.get_value(1, Numeric)
    with pytest.raises(ConfigError, match="cannot be read as Date"):
        e.get_value("BUDGET", Date)
    bad = entity([cf(1, "N", "numeric", [{"value": "ten"}]), cf(2, "D", "date", [{"value": "soon"}]),
                  cf(3, "C", "checkbox", [{"value": "maybe"}]), cf(4, "L", "chained_list", [{"value": "x"}]),
                  cf(5, "E", "legal_entity", [{"value": "OOO"}]), cf(6, "A", "smart_address", [{"value": "x"}])])
    for fid, what in ((1, "a number"), (2, "a date"), (3, "a checkbox value"), (4, "a chained-list value"),
                      (5, "a legal entity object"), (6, "an address part")):
        with pytest.raises(DecodeError, match=f"custom field {fid} .*is not {what}"):
            bad.get_value(fid)


def test_static_types_of_typed_reads() -> None:
    """What type checkers see (test_typing.py runs mypy --strict over this file)."""
    e = entity()
    assert_type(e.get_value(2, Numeric), int | float | None)
    assert_type(e.get_value(8, Date), datetime.datetime | None)
    assert_type(e.get_value(5, Select), Choice | None)
    assert_type(e.get_value(6, MultiSelect), list[Choice] | None)
    assert_type(e.get_value("PHONE", Phone), list[MultiTextValue] | None)
    assert_type(e.get_value(12, SmartAddress), Address | None)
    assert_type(e.get_value(13, LegalEntity), LegalEntityValue | None)
    assert_type(e.get_value(16, ChainedList, first=False), list[ChainedListValue])
    assert_type(e.get_value(4, Checkbox), bool | None)
    assert_type(e.get_value(24, Items), list[dict[str, Any]] | None)
    assert_type(e.get_value(1), AnyValue | None)
    assert_type(e.get_value(1, first=False), list[AnyItem])
    assert_type(e.get_field(1), FieldValues | None)
    assert isinstance(e.get_value(2, Numeric), int)  # no type context trouble (covariant kinds)
