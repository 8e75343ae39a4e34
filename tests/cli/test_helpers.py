"""In-process checks of what the commands are built on: filter parsing, progress, phone/e-mail normalising,
the upsert helper (API v2 against the sandbox) and the custom-field shapes of API v2 and v4 models."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import click
import msgspec
import pytest
from click.testing import CliRunner
from msgspec import UNSET, UnsetType

from amocrm._fieldvalues import (
    FieldDef,
    Value,
    api_of,
    canonical,
    entity_fields,
    parse_cell,
    render_cell,
    write_values,
)
from amocrm.cli._params import build_kwargs, parse_since, split_key
from amocrm.progress import Progress, StreamProgress, describe, save_in_steps, track
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.upsert import normalize_email, normalize_phone, upsert
from amocrm.v2.models import Contact, Lead
from amocrm.v2.resources.leads import LeadsResource
from amocrm.v2.resources.notes import NotesResource
from amocrm.v4.models.common import EmbeddedEntity, FieldValue, FieldValues, Tag

LEADS_LIST = LeadsResource._operations["list"]  # pyright: ignore[reportPrivateUsage]
NOTES_LIST = NotesResource._operations["list"]  # pyright: ignore[reportPrivateUsage]


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox


# -- filters ------------------------------------------------------------------------------------------


def test_bracket_and_json_filters_become_typed_keywords() -> None:
    assert split_key("filter[date_create][from]") == ["filter", "date_create", "from"]
    assert split_key("status[]") == ["status", ""]
    with pytest.raises(click.BadParameter):
        split_key("filter[date")
    bracket = build_kwargs(LEADS_LIST, "leads", ["filter[date_create][from]=2024-01-01T00:00:00+00:00",
                                                 "filter[tasks]=1", "status[]=142", "status[]=143", "with=only_deleted",
                                                 "query=acme", "id=5", "responsible_user_id=1,2"])
    as_json = build_kwargs(LEADS_LIST, "leads", ['filter={"date_create": {"from": 1704067200}, "tasks": 1}',
                                                 "status=142,143", "with_=only_deleted", "query=acme", "id=5",
                                                 "responsible_user_id=[1, 2]"])
    assert bracket["filter"]["date_create"]["from"] == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    assert as_json["filter"]["date_create"]["from"] == 1704067200
    for kwargs in (bracket, as_json):
        assert kwargs["status"] == [142, 143] and kwargs["with_"] == ["only_deleted"] and kwargs["query"] == "acme"
        assert kwargs["id"] == 5 and kwargs["responsible_user_id"] == [1, 2] and kwargs["filter"]["tasks"] == 1
    since = parse_since("2024-01-31")
    assert since.tzinfo is not None and since.replace(tzinfo=None) == dt.datetime(2024, 1, 31)  # local midnight
    assert parse_since("2024-01-31T10:00:00Z") == dt.datetime(2024, 1, 31, 10, tzinfo=dt.timezone.utc)
    assert build_kwargs(LEADS_LIST, "leads", [], since=since)["modified_since"] == since
    for bad, fragment in (
        (["filter[tasks]=3"], "is not one of 1, 2"),
        (["filter[date_create]=5"], "expected filter[date_create][from]"),
        (["status=a,b"], "not an integer"),
        (["nothing"], "not key=value"),
        (["with=everything"], "not one of"),
        (["filter[tasks]=1", "filter[tasks][x]=1"], "tasks"),
    ):
        with pytest.raises(click.BadParameter, match=re.escape(fragment)):
            build_kwargs(LEADS_LIST, "leads", bad)


def test_required_parameters_are_asked_for_by_name() -> None:
    with pytest.raises(click.UsageError, match=re.escape("notes needs -p type=contact|lead")):
        build_kwargs(NOTES_LIST, "notes", [], interactive=False)
    assert build_kwargs(NOTES_LIST, "notes", ["type=lead"], interactive=False)["type"] == "lead"

    @click.command()
    def ask() -> None:
        click.echo(repr(build_kwargs(NOTES_LIST, "notes", [], interactive=True)))

    result = CliRunner().invoke(ask, input="deal\nlead\n")
    assert result.exit_code == 0 and "{'type': 'lead'}" in result.output
    assert "type (required for notes)" in result.output and "is not one of" in result.output


# -- progress -----------------------------------------------------------------------------------------


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_lines_on_a_pipe_and_in_place_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("amocrm.progress.time.monotonic", lambda: clock[0])
    pipe = _Pipe()
    seen: list[Progress] = []
    printer = StreamProgress("leads", "exported", stream=pipe, interval=2.0)

    def both(p: Progress) -> None:
        seen.append(p)
        printer(p)

    for _ in track(range(10), both):
        clock[0] += 0.5  # 0.5 s per item: a line every 4 items
    lines = pipe.getvalue().splitlines()
    assert lines == ["exported 4 of 10 leads (40%, 2/s, 3.0 s left)", "exported 8 of 10 leads (80%, 2/s, 1.0 s left)",
                     "exported 10 of 10 leads (2/s, in 5.0 s)"]  # a list: track() knows its length
    assert seen[-1].final and seen[-1].total == 10 and len(seen) == 11
    assert describe(Progress(50, 200, 10.0), "rows", "saved") == "saved 50 of 200 rows (25%, 5/s, 30 s left)"
    terminal = _Terminal()
    live = StreamProgress("leads", "exported", stream=terminal)
    for _ in track(iter(range(3)), live):  # an iterator: no total
        clock[0] += 1
    assert terminal.getvalue().count("\r") == 4 and terminal.getvalue().endswith("in 3.0 s)\n")


def test_track_reports_the_end_of_a_loop_stopped_early() -> None:
    seen: list[Progress] = []
    for i in track([1, 2, 3], seen.append, every=1000):
        if i == 2:
            break
    assert [(p.done, p.final) for p in seen] == [(1, True)]


def test_save_in_steps_keeps_the_request_count_and_wraps_in_tqdm_style(sb: Sandbox) -> None:
    class Bar:  # what tqdm's bar does with update()
        def __init__(self) -> None:
            self.n = 0

        def update(self, k: int) -> None:
            self.n += k

    with client_for(sb) as client:
        client.config.save_workers = 2
        leads = [Lead(name=f"step {i}") for i in range(1100)]
        before = len(sb.request_log())
        bar = Bar()
        seen: list[Progress] = []
        for result in save_in_steps(client.v2.leads, leads, batch_size=250, progress=seen.append):
            bar.update(len(result))
        assert bar.n == 1100 and all(isinstance(lead.id, int) for lead in leads)
        writes = [e for e in sb.request_log()[before:] if e["path"] == "/api/v2/leads"]
        assert len(writes) == 5  # ⌈1100/250⌉, as one save() would send
        assert [p.done for p in seen] == [500, 1000, 1100, 1100] and seen[-1].final and seen[-1].total == 1100


# -- normalising and upserts --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "normal"), [
    ("+7 (999) 000-00-01", "+79990000001"), ("8 999 000 00 01", "+79990000001"), ("79990000001", "+79990000001"),
    ("9990000001", "+79990000001"), ("8-999-000-00-01 доб. 12", "+79990000001"), ("+44 20 7946 0958", "+442079460958"),
    ("0044 20 7946 0958", "+442079460958"), ("495 123 45 67", "4951234567"), ("", ""), ("n/a", ""),
])
def test_normalize_phone(text: str, normal: str) -> None:
    assert normalize_phone(text) == normal


def test_normalize_email() -> None:
    assert normalize_email("  Ivan@Example.COM ") == "ivan@example.com" == normalize_email("mailto:ivan@example.com")


def test_upsert_in_python(sb: Sandbox) -> None:
    with client_for(sb) as client:
        ivan = Contact(name="Ivan again").set_custom_field(SEED.CF_CONTACT_PHONE, [{"value": "8 999 000-00-01"}])
        anna = Contact(name="Anna").set_custom_field(SEED.CF_CONTACT_EMAIL, [{"value": "anna@example.com"}])
        by_phone = upsert(client.v2.contacts, [ivan], key="phone")
        assert [(r.status, r.id) for r in by_phone] == [("updated", SEED.CONTACT_IVAN)]
        assert by_phone.read_requests == 2 and by_phone.write_requests == 1
        assert client.v2.contacts.get(SEED.CONTACT_IVAN).name == "Ivan again"
        by_email = upsert(client.v2.contacts, [anna, Contact(name="Anna")], key="email")
        assert [r.status for r in by_email] == ["added", "failed"] and anna.id == by_email[0].id
        assert upsert(client.v2.contacts, [anna], key="email")[0].status == "unchanged"
        lead = Lead(id=SEED.LEAD_FIRST, sale=1000)
        assert upsert(client.v2.leads, [lead], key="id")[0].status == "unchanged"  # sale is 1000 already
        assert upsert(client.v2.leads, [Lead(id=SEED.LEAD_FIRST, sale=7)], key="id")[0].status == "updated"
        assert upsert(client.v2.leads, [Lead(id=1, sale=7)], key="id")[0].message == "no entity with id 1"
        assert "1 rows: 0 added" in upsert(client.v2.leads, [Lead(id=1)], key="id", dry_run=True).summary()


# -- the custom-field shapes of v2 and v4 -------------------------------------------------------------


class V4Lead(msgspec.Struct, kw_only=True):
    """A model of the API v4 shape (the generated v4 models carry the same field)."""

    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    custom_fields_values: list[FieldValues] | None | UnsetType = UNSET


class Embedded(msgspec.Struct, kw_only=True):
    tags: list[Tag] | UnsetType = UNSET
    contacts: list[EmbeddedEntity] | UnsetType = UNSET
    companies: list[EmbeddedEntity] | UnsetType = UNSET


class V4Deal(msgspec.Struct, kw_only=True):
    """A v4 lead's shape: links and tags under ``_embedded``."""

    id: int | UnsetType = UNSET
    name: str | UnsetType = UNSET
    price: int | None | UnsetType = UNSET
    custom_fields_values: list[FieldValues] | None | UnsetType = UNSET
    embedded: Embedded | UnsetType = msgspec.field(name="_embedded", default=UNSET)


SELECT = FieldDef(7, "Source", None, "select", ((71, "Ads"), (72, "Friends")))
PHONE = FieldDef(8, "Phone", "PHONE", "multitext")
ADDRESS = FieldDef(9, "Address", None, "smart_address")
DATE = FieldDef(10, "Date", None, "date")


@pytest.mark.parametrize("model", [Lead, Contact, V4Lead])
def test_both_shapes_read_and_write_the_same_values(model: Any) -> None:
    api = api_of(model)
    assert api == ("v4" if model is V4Lead else "v2")
    obj = model()
    for field, cell in ((SELECT, "friends"), (PHONE, "8 999 000-00-01; +7 900 1 (MOB)"), (ADDRESS, "city: Москва; zip: 1"),
                        (DATE, "29.02.2024")):
        write_values(obj, field, parse_cell(cell, field, api))
    values = {fid: vals for fid, _, _, vals in entity_fields(obj)}
    assert render_cell(values[7], SELECT) == "Friends" and canonical(values[7], SELECT) == (72,)
    assert render_cell(values[8], PHONE) == "8 999 000-00-01; +7 900 1"
    assert [v.enum_code for v in values[8]] == ["WORK", "MOB"]
    assert render_cell(values[9], ADDRESS) == "city: Москва; zip: 1" and render_cell(values[10], DATE) == "2024-02-29"
    assert canonical(values[8], PHONE) == canonical([Value("+79001"), Value("+7 (999) 000-00-01")], PHONE)
    write_values(obj, SELECT, [Value(None, 71)])  # replaces that field's values, keeps the others
    assert len(entity_fields(obj)) == 4 and render_cell(entity_fields(obj)[0][3], SELECT) == "Ads"
    wire = msgspec.to_builtins(obj)
    if api == "v4":
        assert wire["custom_fields_values"][1] == {"field_id": 8, "values": [
            {"value": "8 999 000-00-01", "enum_code": "WORK"}, {"value": "+7 900 1", "enum_code": "MOB"}]}
        assert wire["custom_fields_values"][3]["values"] == [{"value": 1709164800}]
    else:
        assert wire["custom_fields"][0] == {"id": 7, "values": [{"value": 71}]}
        assert wire["custom_fields"][2]["values"] == [{"value": "Москва", "subtype": "city"},
                                                      {"value": "1", "subtype": "zip"}]
    with pytest.raises(ValueError, match="'Cats' is not one of its options"):
        parse_cell("Cats", SELECT, api)
    read_back = V4Lead(custom_fields_values=[FieldValues(field_id=7, values=[FieldValue(value="Ads", enum_id=71)])])
    assert canonical(entity_fields(read_back)[0][3], SELECT) == canonical([Value("Ads")], SELECT)


def test_every_list_filter_is_a_typed_keyword_argument() -> None:
    """What the CLI (and the README) promise: list() takes each of the operation's filters by name, with a
    type, and the required ones without a default; an unknown one is a TypeError."""
    import importlib
    import inspect
    import typing

    from amocrm.v2.client import RESOURCE_NAMES

    checked = 0
    for name in RESOURCE_NAMES:
        module = importlib.import_module(f"amocrm.v2.resources.{name}")
        cls = next(getattr(module, n) for n in module.__all__ if n.endswith("Resource"))
        op = cls._operations.get("list")
        if op is None or op.paging is None:
            continue
        signature = inspect.signature(cls.list)
        hints = typing.get_type_hints(cls.list)
        for param in op.params:
            declared = signature.parameters[param.name]
            assert param.name in hints, (name, param.name)
            assert (declared.default is inspect.Parameter.empty) == param.required, (name, param.name)
        extra = set(signature.parameters) - {p.name for p in op.params} - {"self", "page_size", "offset", "page"}
        assert not extra, (name, extra)
        checked += 1
    assert checked == 8
    with pytest.raises(TypeError):
        LeadsResource.list(None, colour="red")  # type: ignore[arg-type,call-arg]


def test_csv_tables_for_a_v4_shaped_model() -> None:
    """The export and import tables read API v4's shapes (``_embedded`` links and tags,
    ``custom_fields_values``), so they work for the v4 models once their resources exist."""
    from amocrm.cli._table import ExportTable, ImportTable

    deal = V4Deal(id=5, name="Deal", price=100, embedded=Embedded(
        tags=[Tag(name="vip")], contacts=[EmbeddedEntity(id=2), EmbeddedEntity(id=1, is_main=True)],
        companies=[EmbeddedEntity(id=9)]),
        custom_fields_values=[FieldValues(field_id=7, values=[FieldValue(value="Ads", enum_id=71)]),
                              FieldValues(field_id=10, values=[FieldValue(value=1709164800)])])
    table = ExportTable(V4Deal, [SELECT, DATE], by="name")
    assert table.header == ["id", "name", "price", "tags", "contacts_id", "company_id", "Source", "Date"]
    assert table.row(deal) == ["5", "Deal", "100", "vip", "1; 2", "9", "Ads", "2024-02-29"]
    back = ImportTable(V4Deal, [SELECT, DATE], table.header)
    assert back.skipped == ["tags", "contacts_id", "company_id"]
    record = back.record(dict(zip(table.header, table.row(deal), strict=True)))
    assert msgspec.to_builtins(record) == {"id": 5, "name": "Deal", "price": 100, "custom_fields_values": [
        {"field_id": 7, "values": [{"value": "Ads", "enum_id": 71}]}, {"field_id": 10, "values": [{"value": 1709164800}]}]}


def test_v4_filters_in_bracket_form_as_well_as_json() -> None:
    from amocrm.v4.resources.leads import LeadsResource

    op = LeadsResource._operations["list"]
    bracket = build_kwargs(op, "leads", ["filter[statuses][0][pipeline_id]=3001", "filter[statuses][0][status_id]=142",
                                         "filter[statuses][1][pipeline_id]=3002", "filter[statuses][1][status_id]=143",
                                         "filter[price][from]=10", "filter[created_at][from]=2024-01-01T00:00:00Z"])
    as_json = build_kwargs(op, "leads", ['filter={"statuses": [[3001, 142], [3002, 143]], "price": {"from": 10}, '
                                         '"created_at": {"from": 1704067200}}'])
    assert bracket["filter"]["statuses"] == [(3001, 142), (3002, 143)]
    assert [tuple(p) for p in as_json["filter"]["statuses"]] == bracket["filter"]["statuses"]
    assert bracket["filter"]["created_at"]["from"] == dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(click.BadParameter, match=r"filter\[statuses\]\[0\]: expected \[pipeline_id\]"):
        build_kwargs(op, "leads", ["filter[statuses][0][pipeline]=3001"])
