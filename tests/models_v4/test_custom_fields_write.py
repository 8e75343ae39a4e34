"""Writing v4 custom fields and tags: builders per type, plain values, clearing, change tracking.

Unit tests on the test-only ``Entity`` of test_custom_fields_read.py; the write forms (what a save
sends) come from a test-only generated package (fx_v4_package.py) whose models have the v4 mixins.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from fx_v4_package import models as fx_models
from fx_v4_package import writes as fx_writes
from msgspec import UNSET
from test_custom_fields_read import Entity, entity

from amocrm.errors import ConfigError
from amocrm.lib.base import changed_fields, mark_clean
from amocrm.lib.v4 import fields as F
from amocrm.lib.v4.fields import (
    Address,
    Birthday,
    ChainedList,
    Checkbox,
    Choice,
    Date,
    DateTime,
    Email,
    File,
    Items,
    LegalEntity,
    LinkedEntity,
    Monetary,
    MultiSelect,
    MultiText,
    Numeric,
    Payer,
    Phone,
    Price,
    Radiobutton,
    Raw,
    Select,
    SmartAddress,
    Supplier,
    Text,
    TextArea,
    Url,
)

UTC = datetime.timezone.utc
#: The builders, untyped: the bad-input cases below are also type errors, which is the point of the types.
B: Any = F


# ------------------------------------------------------------------------------------------ builders


def test_builders_produce_the_api_value_objects() -> None:
    cases: list[tuple[F.FieldBuilder[Any, Any], list[dict[str, Any]]]] = [
        (Text("hello"), [{"value": "hello"}]),
        (TextArea("a\nb"), [{"value": "a\nb"}]),
        (Url("https://x"), [{"value": "https://x"}]),
        (Numeric(12), [{"value": 12}]),
        (Numeric(12.5), [{"value": 12.5}]),
        (Numeric(Decimal("1234.50")), [{"value": "1234.50"}]),
        (Numeric(" 12,5 "), [{"value": "12.5"}]),
        (Price(99), [{"value": 99}]),
        (Monetary("10"), [{"value": "10"}]),
        (Checkbox(False), [{"value": False}]),
        (Select("Ads"), [{"value": "Ads"}]),
        (Select(enum_id=51), [{"enum_id": 51}]),
        (Select(enum_code="ADS"), [{"enum_code": "ADS"}]),
        (Select(Choice("Ads", 51)), [{"enum_id": 51}]),
        (Radiobutton("B2B"), [{"value": "B2B"}]),
        (MultiSelect(["Pens", 62, Choice("Ink", 63), "Pens"]), [{"value": "Pens"}, {"enum_id": 62}, {"enum_id": 63}]),
        (MultiSelect([]), []),
        (MultiText([("+7999", "MOB"), "+7495"], enum_code="HOME"),
         [{"value": "+7999", "enum_code": "MOB"}, {"value": "+7495", "enum_code": "HOME"}]),
        (MultiText("skype:me"), [{"value": "skype:me"}]),
        (Phone("+7999"), [{"value": "+7999", "enum_code": "WORK"}]),
        (Phone(("+7999", "mob")), [{"value": "+7999", "enum_code": "MOB"}]),
        (Email(["a@b.c", ("p@b.c", "PRIV")]), [{"value": "a@b.c", "enum_code": "WORK"},
                                              {"value": "p@b.c", "enum_code": "PRIV"}]),
        (Date(datetime.date(2024, 2, 29)), [{"value": "2024-02-29T00:00:00+00:00"}]),
        (Date(datetime.date(2024, 2, 29), tz=ZoneInfo("Europe/Moscow")), [{"value": "2024-02-29T00:00:00+03:00"}]),
        (DateTime(datetime.datetime(2024, 2, 29, 10, 30, tzinfo=UTC)), [{"value": "2024-02-29T10:30:00+00:00"}]),
        (DateTime(datetime.datetime(2024, 2, 29, 10, 30), tz=UTC), [{"value": "2024-02-29T10:30:00+00:00"}]),
        (Birthday(1709164800), [{"value": "2024-02-29T00:00:00+00:00"}]),
        (SmartAddress(city="Moscow", address_line_1="Lenina 1"),
         [{"value": "Lenina 1", "enum_code": "address_line_1"}, {"value": "Moscow", "enum_code": "city"}]),
        (LegalEntity("OOO", entity_type=2, vat_id="7701", kpp="7701001"),
         [{"value": {"name": "OOO", "entity_type": 2, "vat_id": "7701", "kpp": "7701001"}}]),
        (LinkedEntity(6000001, "contacts", name="Ivan"),
         [{"value": {"entity_id": 6000001, "entity_type": "contacts", "name": "Ivan"}}]),
        (File("f-1", "v-1", file_name="a.pdf", file_size=10),
         [{"value": {"file_uuid": "f-1", "version_uuid": "v-1", "file_name": "a.pdf", "file_size": 10}}]),
        (ChainedList(5001, 5500001), [{"catalog_id": 5001, "catalog_element_id": 5500001}]),
        (ChainedList(1, 2, (3, 4)), [{"catalog_id": 1, "catalog_element_id": 2},
                                     {"catalog_id": 3, "catalog_element_id": 4}]),
        (Items({"sku": "P-1"}, {"sku": "P-2"}), [{"value": {"sku": "P-1"}}, {"value": {"sku": "P-2"}}]),
        (Payer({"name": "Ivan"}), [{"value": {"name": "Ivan"}}]),
        (Supplier(7), [{"value": {"entity_id": 7}}]),
        (Raw([{"value": "x", "enum_id": 1}]), [{"value": "x", "enum_id": 1}]),
    ]
    for builder, wire in cases:
        assert builder.values() == wire, builder
    assert Text("a") == Text("a") and Text("a") != Url("a") and hash(Text("a")) == hash(Text("a"))
    assert repr(Numeric(5)) == "Numeric([{'value': 5}])"
    assert F.builder_for("multitext", "PHONE") is Phone and F.builder_for("multitext", "EMAIL") is Email
    assert F.builder_for("multitext") is MultiText and F.builder_for("hologram") is None
    assert set(F.BUILDERS) == F.ALL_FIELD_TYPES


@pytest.mark.parametrize(("make", "message"), [
    (lambda: B.Text(5), r"Text\(value\): expected str, got int 5"),
    (lambda: B.Numeric("ten"), r"Numeric\(value\): expected a number or a numeric string, got str 'ten'"),
    (lambda: B.Numeric(True), r"Numeric\(value\): expected a number"),
    (lambda: B.Numeric(float("nan")), "a finite number"),
    (lambda: B.Checkbox(1), r"Checkbox\(value\): expected bool, got int 1"),
    (lambda: B.Select(), "give exactly one of value, enum_id, enum_code"),
    (lambda: B.Select("a", enum_id=1), r"got \['value', 'enum_id'\]"),
    (lambda: B.Select(enum_id="1"), r"Select\(enum_id\): expected int"),
    (lambda: B.Select(""), "must not be blank"),
    (lambda: B.MultiSelect("Pens"), r"MultiSelect\(options\): expected a list of option texts or ids"),
    (lambda: B.MultiSelect([True]), "an option text"),
    (lambda: B.Phone([("+7", "CELL")]), r"Phone\(enum_code\): 'CELL' is not one of WORK, WORKDD, MOB, FAX, HOME, OTHER"),
    (lambda: B.Email("a@b.c", enum_code="MOB"), "'MOB' is not one of WORK, PRIV, OTHER"),
    (lambda: B.Phone([""]), "must not be blank"),
    (lambda: B.MultiText([["a", "b"]]), r"a \(text, enum_code\) pair"),
    (lambda: B.Date(datetime.datetime(2024, 1, 1)), "naive datetime"),
    (lambda: B.Date("2024-01-01"), "expected a datetime, a date or Unix seconds"),
    (lambda: B.Date(10**20), "out of range"),
    (lambda: B.SmartAddress(), "give at least one of address_line_1"),
    (lambda: B.SmartAddress(city=5), r"SmartAddress\(city\): expected str"),
    (lambda: B.LegalEntity(""), "must not be blank"),
    (lambda: B.LegalEntity("OOO", entity_type=3), "expected 1 .* or 2"),
    (lambda: B.LinkedEntity("1", "contacts"), r"LinkedEntity\(entity_id\): expected int"),
    (lambda: B.File("f", ""), "must not be blank"),
    (lambda: B.ChainedList(1, "2"), r"ChainedList\(element_id\): expected int"),
    (lambda: B.ChainedList(1, 2, [3, 4]), "pairs"),
    (lambda: B.Items(["sku"]), "a mapping with str keys"),
    (lambda: B.Supplier(None), "expected int"),
    (lambda: B.Raw([{"value": 1, "subtype": "1"}]), r"unknown keys \['subtype'\]"),
])
def test_builders_refuse_bad_input(make: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make()


# ------------------------------------------------------------------------------------------ set_value


def wire(e: Entity, ref: int | str) -> Any:
    field = e.get_field(ref)
    assert field is not None
    return msgspec.to_builtins(field.values)


def test_set_value_with_builders_and_plain_values_per_type() -> None:
    e = entity()
    e.set_value(1, Text("new"))
    assert e.get_value(1) == "new" and wire(e, 1) == [{"value": "new"}]
    plain: list[tuple[int | str, Any, Any]] = [
        (1, "text", [{"value": "text"}]),
        (1, 101000, [{"value": "101000"}]),
        ("BUDGET", 2000, [{"value": 2000}]),
        (3, Decimal("1.25"), [{"value": "1.25"}]),
        (4, False, [{"value": False}]),
        (5, "Search", [{"value": "Search"}]),
        (5, 52, [{"enum_id": 52}]),
        (5, Choice("Ads", 51), [{"enum_id": 51}]),
        (6, ["Pens", 63], [{"value": "Pens"}, {"enum_id": 63}]),
        (6, "Pens", [{"value": "Pens"}]),
        ("PHONE", [("+7999", "MOB"), "+7495"], [{"value": "+7999", "enum_code": "MOB"},
                                                {"value": "+7495", "enum_code": "WORK"}]),
        ("PHONE", "+7111", [{"value": "+7111", "enum_code": "WORK"}]),
        ("EMAIL", ("p@b.c", "PRIV"), [{"value": "p@b.c", "enum_code": "PRIV"}]),
        (8, datetime.date(2024, 3, 1), [{"value": "2024-03-01T00:00:00+00:00"}]),
        (9, datetime.datetime(2024, 3, 1, 9, tzinfo=UTC), [{"value": "2024-03-01T09:00:00+00:00"}]),
        (10, 0, [{"value": "1970-01-01T00:00:00+00:00"}]),
        (12, {"city": "Kazan"}, [{"value": "Kazan", "enum_code": "city"}]),
        (13, {"name": "IP Ivanov", "entity_type": 1}, [{"value": {"name": "IP Ivanov", "entity_type": 1}}]),
        (16, (5001, 5500002), [{"catalog_id": 5001, "catalog_element_id": 5500002}]),
        (17, {"entity_id": 1, "entity_type": "companies"}, [{"value": {"entity_id": 1, "entity_type": "companies"}}]),
        (18, {"file_uuid": "f", "version_uuid": "v"}, [{"value": {"file_uuid": "f", "version_uuid": "v"}}]),
        (24, {"sku": "P-3"}, [{"value": {"sku": "P-3"}}]),
        (26, 9, [{"value": {"entity_id": 9}}]),
        (29, [{"value": {"y": 2}}], [{"value": {"y": 2}}]),
    ]
    for ref, value, expected in plain:
        e.set_value(ref, value)
        assert wire(e, ref) == expected, (ref, value)
    assert e.get_value(12) == {"city": "Kazan"}
    assert e.get_value("PHONE") == [("+7111", "WORK")]
    assert [f.field_id for f in e.custom_fields_values or []] == [f["field_id"] for f in _every()]  # order kept
    kept = e.get_field(5)
    assert kept is not None and (kept.field_name, kept.field_type, kept.field_code) == ("Source", "select", None)


def _every() -> list[dict[str, Any]]:
    from test_custom_fields_read import EVERY_TYPE

    return EVERY_TYPE


def test_new_fields_by_id_or_code_and_unknown_types() -> None:
    e = Entity()
    e.set_value(200100, "hello").set_value("POSITION", Text("CEO")).set_value(7, 5).set_value(8, True)
    e.set_values({9: datetime.datetime(2024, 1, 1, tzinfo=UTC), 10: ["a", 2], 11: [("x", "WORK")], 12: None})
    got = msgspec.to_builtins(e.custom_fields_values)
    assert got == [
        {"field_id": 200100, "values": [{"value": "hello"}]},
        {"field_code": "POSITION", "values": [{"value": "CEO"}]},
        {"field_id": 7, "values": [{"value": 5}]},
        {"field_id": 8, "values": [{"value": True}]},
        {"field_id": 9, "values": [{"value": "2024-01-01T00:00:00+00:00"}]},
        {"field_id": 10, "values": [{"value": "a"}, {"enum_id": 2}]},
        {"field_id": 11, "values": [{"value": "x", "enum_code": "WORK"}]},
        {"field_id": 12, "values": None},
    ]
    assert e.get_value(200100) == "hello" and e.get_value("position") == "CEO"  # codes match case-insensitively
    with pytest.raises(ConfigError, match=r"custom field 13: expected a builder .* got dict"):
        e.set_value(13, {"city": "x"})
    with pytest.raises(ConfigError, match="got the class Numeric: call it"):
        e.set_value(13, Numeric)  # type: ignore[arg-type]


def test_none_empty_and_clear_write_null_values() -> None:
    e = entity()
    e.set_value(1, None).clear("BUDGET").set_value(6, []).set_value(24, Items()).set_value("PHONE", Phone([]))
    for ref in (1, 2, 6, 24, 7):
        field = e.get_field(ref)
        assert field is not None and field.values is None, ref
        assert e.get_value(ref) is None and e.get_value(ref, first=False) == []
    item = fx_writes().write_field_values(fx_models().FieldValues(field_id=1, values=None))
    assert msgspec.to_builtins(item) == {"field_id": 1, "values": None}  # sent as null


def test_values_that_do_not_fit_the_field_name_it() -> None:
    e = entity()
    with pytest.raises(ConfigError, match=r"custom field 2 'Budget' \(numeric\): Numeric\(value\): expected a number"):
        e.set_value("BUDGET", "lots")
    with pytest.raises(ConfigError, match=r"custom field 4 'Agreed' \(checkbox\): Checkbox\(value\): expected bool"):
        e.set_value(4, "yes")
    with pytest.raises(ConfigError, match=r"custom field 1 'Comment' \(text\): Numeric does not fit this field"):
        e.set_value(1, Numeric(5))
    with pytest.raises(ConfigError, match=r"custom field 7 'Phone' \(multitext\): Phone\(enum_code\)"):
        e.set_value("PHONE", [("+7", "CELL")])
    with pytest.raises(ConfigError, match=r"'Address' \(smart_address\): SmartAddress: unknown parts \['street'\]"):
        e.set_value(12, {"street": "x"})
    with pytest.raises(ConfigError, match=r"'Requisites' \(legal_entity\): LegalEntity: .*unexpected keyword"):
        e.set_value(13, {"name": "x", "inn": "1"})
    with pytest.raises(ConfigError, match=r"'Deadline' \(date\): Date\(value\): naive datetime"):
        e.set_value(8, datetime.datetime(2024, 1, 1))
    assert e.get_value("BUDGET") == 1500  # nothing changed
    e.set_value(29, Raw([{"value": 1}]))  # Raw fits any type; an unknown type takes any builder
    e.set_value(29, Text("x"))


# ------------------------------------------------------------------------------------------ tracking


def read_lead(body: dict[str, Any]) -> Any:
    """A FxLead as a resource returns it: decoded and tracked."""
    lead = msgspec.convert(body, fx_models().FxLead)
    mark_clean([lead])
    return lead


LEAD = {"id": 5, "name": "L", "custom_fields_values": [
    {"field_id": 1, "field_name": "Text", "field_type": "text", "values": [{"value": "a"}]},
    {"field_id": 2, "field_name": "Number", "field_type": "numeric", "values": [{"value": "1"}]},
    {"field_id": 3, "field_name": "Select", "field_type": "select", "values": [{"value": "A", "enum_id": 31}]},
], "_embedded": {"tags": [{"id": 11, "name": "hot"}, {"id": 12, "name": "warm"}], "companies": [{"id": 9}]}}


def written(obj: Any) -> dict[str, Any]:
    """What a save sends for ``obj``: its write form, limited to the changed fields as the planner does."""
    item = fx_writes().WRITERS[type(obj)](obj)
    changed = changed_fields(obj)
    out: dict[str, Any] = msgspec.to_builtins(item)
    if changed is None:
        return out
    keep = {"id"}.union(*(fx_writes().FIELD_MAP[type(obj)].get(a, ()) for a in changed))
    wire_names = {f.name: f.encode_name for f in msgspec.structs.fields(type(item))}
    return {k: v for k, v in out.items() if k in {wire_names[n] for n in keep if n in wire_names}}


def test_a_helper_change_marks_the_field_and_only_written_fields_are_sent() -> None:
    lead = read_lead(LEAD)
    assert changed_fields(lead) == set() and written(lead) == {"id": 5}
    lead.set_value(2, Numeric(42))
    assert changed_fields(lead) == {"custom_fields_values"}
    assert written(lead) == {"id": 5, "custom_fields_values": [{"field_id": 2, "values": [{"value": 42}]}]}
    lead.set_value("select", Select(enum_id=32)).clear(1).set_value(2, 43)
    assert written(lead)["custom_fields_values"] == [
        {"field_id": 1, "values": None}, {"field_id": 2, "values": [{"value": 43}]},
        {"field_id": 3, "values": [{"enum_id": 32}]}]
    assert lead.get_value(1) is None and lead.get_value(2) == 43 and lead.get_value(3) == ("", 32)

    mark_clean([lead])  # saved: the next change starts afresh
    lead.set_value(4, "new field")
    assert written(lead)["custom_fields_values"] == [{"field_id": 4, "values": [{"value": "new field"}]}]


def test_assigning_the_list_yourself_sends_all_of_it() -> None:
    lead = read_lead(LEAD)
    lead.set_value(2, 7)
    lead.custom_fields_values = list(lead.custom_fields_values)
    assert [f["field_id"] for f in written(lead)["custom_fields_values"]] == [1, 2, 3]
    again = read_lead(LEAD)
    again.set_value(2, 7)
    field = again.get_field(1)
    field.values = [fx_models().FieldValue(value="edited")]
    assert [f["field_id"] for f in written(again)["custom_fields_values"]] == [1, 2, 3]  # an entry was replaced


def test_objects_you_build_are_sent_whole() -> None:
    new = fx_models().FxLead(name="N")
    new.set_value(1, "a").set_value(2, 5)
    assert written(new) == {"name": "N", "custom_fields_values": [
        {"field_id": 1, "values": [{"value": "a"}]}, {"field_id": 2, "values": [{"value": 5}]}]}
    by_id = fx_models().FxLead(id=5)
    by_id.set_value(2, 5)
    assert written(by_id) == {"id": 5, "custom_fields_values": [{"field_id": 2, "values": [{"value": 5}]}]}


# ------------------------------------------------------------------------------------------ tags


def test_tags_on_a_new_object_replace_embedded_tags() -> None:
    lead = fx_models().FxLead(name="N")
    assert lead.tag_names == []
    lead.add_tags("a", ["b", "a"]).add_tags("c").remove_tags("b", "zzz")
    assert lead.tag_names == ["a", "c"]
    assert written(lead) == {"name": "N", "_embedded": {"tags": [{"name": "a"}, {"name": "c"}]}}
    lead.clear_tags()
    assert written(lead) == {"name": "N", "_embedded": {"tags": None}} and lead.tag_names == []
    with pytest.raises(ConfigError, match="tag names must be non-blank str"):
        lead.add_tags("ok", 5)


def test_tags_on_a_read_object_are_sent_as_tags_to_add_and_delete() -> None:
    lead = read_lead(LEAD)
    assert lead.tag_names == ["hot", "warm"]
    lead.add_tags("hot", "new")
    assert lead.tag_names == ["hot", "warm", "new"]
    assert changed_fields(lead) == {"tags_to_add"}
    assert written(lead) == {"id": 5, "tags_to_add": [{"name": "new"}]}
    lead.remove_tags("warm", "new", "absent")
    assert lead.tag_names == ["hot"]
    assert written(lead) == {"id": 5, "tags_to_delete": [{"id": 12, "name": "warm"}]}
    lead.add_tags("warm")
    assert written(lead) == {"id": 5, "tags_to_add": [{"name": "warm"}]}
    mark_clean([lead])  # saved: what was sent is not sent again
    lead.remove_tags("hot")
    assert written(lead) == {"id": 5, "tags_to_delete": [{"id": 11, "name": "hot"}]}
    lead.clear_tags()
    assert lead.tag_names == []
    # "warm" was added back by name before the save: it has no id here, so it is removed by name
    assert written(lead) == {"id": 5, "tags_to_delete": [{"id": 11, "name": "hot"}, {"name": "warm"}]}

    blind = fx_models().FxLead(id=5)  # an update you built: no tag list known, names go as they are
    blind.add_tags("x").remove_tags("y")
    assert written(blind) == {"id": 5, "tags_to_add": [{"name": "x"}], "tags_to_delete": [{"name": "y"}]}
    assert blind.embedded is UNSET and blind.tag_names == []


def test_tags_without_tags_to_add_fields_replace_and_touch_embedded() -> None:
    e = entity()
    mark_clean([e])
    e.add_tags("cold")
    assert changed_fields(e) == {"embedded"}
    assert [t.name for t in e.embedded.tags] == ["hot", "cold"]  # type: ignore[union-attr]
    e.remove_tags("hot")
    assert e.tag_names == ["cold"]
    e.clear_tags()
    assert e.embedded.tags is None  # type: ignore[union-attr]
    fresh = Entity()
    fresh.add_tags("a")
    assert fresh.tag_names == ["a"] and fresh.embedded is not UNSET


def test_static_types_of_builders_and_helpers() -> None:
    e = entity()
    same: Entity = e.set_value(1, Text("x")).set_values({2: 5}).clear(3).add_tags("t").remove_tags("t")
    address: Address = {"city": "Moscow"}
    same.set_value(12, address)
    names: list[str] = same.tag_names
    assert names == ["hot"]
