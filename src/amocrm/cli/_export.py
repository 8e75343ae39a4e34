"""``amocrm export ENTITY``: every entity as JSON lines or CSV, with progress on stderr."""

from __future__ import annotations

import csv
import sys
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

import click

from amocrm.cli._common import (
    api_option,
    connection_options,
    fail,
    list_operation,
    make_client,
    resource_of,
    throttle_value,
)
from amocrm.cli._params import build_kwargs, parse_since

__all__ = ["export"]

#: How many ids one linked-entity lookup asks for.
LOOKUP_CHUNK = 250


def item_model(op: Any) -> type:
    """The model class a list operation decodes its items as."""
    args = typing.get_args(op.result.type)
    model = args[0] if args else op.result.type
    if not isinstance(model, type):
        fail(f"{op.name}: cannot tell the model of its items")
    return model


def _with_linked(op: Any, kwargs: dict[str, Any], linked: Sequence[str]) -> None:
    """Ask the list call to include links where the API only sends them on request (v4 ``with=contacts``)."""
    param = next((p for p in op.params if p.name == "with_"), None)
    if param is None:
        return
    wanted = [k for k in linked if k in param.values]
    if wanted:
        current = list(kwargs.get("with_") or [])
        kwargs["with_"] = current + [w for w in wanted if w not in current]


def _fetch_linked(resource: Any, ids: Sequence[int]) -> list[Any]:
    """The entities with these ids: one list call (all its pages) per ``LOOKUP_CHUNK`` ids."""
    op = list_operation(resource)
    names = {p.name: p for p in op.params}
    out: list[Any] = []
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = list(ids[start:start + LOOKUP_CHUNK])
        if "id" in names:
            page = resource.list(id=chunk)
        elif "filter" in names and names["filter"].fields and "id" in names["filter"].fields:
            page = resource.list(filter={"id": chunk})
        else:
            fail(f"{op.name} cannot look entities up by id: --with is not available for it")
        out.extend(page)
    return out


class _Linked:
    """Linked contacts and companies, each read once (cached by id), page by page of the export."""

    def __init__(self, client: Any, api: str, kinds: Sequence[str]) -> None:
        self.kinds = list(kinds)
        self.resources = {k: resource_of(client, api, k) for k in kinds}
        self.cache: dict[str, dict[int, Any]] = {k: {} for k in kinds}

    def load(self, items: Sequence[Any]) -> None:
        from amocrm.cli._table import linked_ids

        for kind in self.kinds:
            cache = self.cache[kind]
            wanted: list[int] = []
            for item in items:
                for ident in linked_ids(item, kind):
                    if ident not in cache and ident not in wanted:
                        wanted.append(ident)
            if wanted:
                for entity in _fetch_linked(self.resources[kind], wanted):
                    if isinstance(getattr(entity, "id", None), int):
                        cache[entity.id] = entity

    def of(self, item: Any) -> dict[str, list[Any]]:
        from amocrm.cli._table import linked_ids

        return {k: [self.cache[k][i] for i in linked_ids(item, k) if i in self.cache[k]] for k in self.kinds}


def _items(first: Any, linked: _Linked | None) -> Iterator[tuple[Any, Any]]:
    """(item, page) pairs of every page; linked entities are loaded before a page's items are handed out."""
    for page in first.pages():
        if linked is not None:
            linked.load(page.items)
        for item in page.items:
            yield item, page


@click.command()
@click.argument("entity", metavar="ENTITY")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
              help="JSON lines (one entity per line, as the API sends it) or CSV (one column per field).")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A filter of the resource's list(): -p query=acme, -p 'filter[pipeline_id]=3001', "
                   "-p 'filter[price][from]=1000', -p 'filter={\"statuses\": [[3001, 142]]}'; "
                   "API v2: -p status=142,143, -p 'filter[date_create][from]=2024-01-01'.")
@click.option("--since", metavar="DATE", help="Only entities changed since this ISO 8601 date or date-time.")
@click.option("--columns", type=click.Choice(["name", "id"]), default="name", show_default=True,
              help="CSV: head custom-field columns with the field's name, or as cf_<id>.")
@click.option("--with", "with_linked", metavar="KINDS",
              help="Include linked entities: contacts, companies or contacts,companies (names, phones, e-mails).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.option("--progress-interval", type=click.FloatRange(min=0), default=2.0, show_default=True,
              metavar="SECONDS", help="Seconds between progress lines when stderr is not a terminal.")
@api_option
@connection_options
def export(entity: str, fmt: str, params: tuple[str, ...], since: str | None, columns: str,
           with_linked: str | None, output: str | None, quiet: bool, progress_interval: float, api: str,
           subdomain: str | None, base_url: str | None, token: str | None, storage_dir: str,
           ca_file: str | None, throttle: str | None) -> None:
    """Write every ENTITY (leads, contacts, companies, customers, tasks, notes, ...) to stdout.

    \b
    Examples:
      amocrm export leads --format csv -o leads.csv
      amocrm export leads --since 2024-01-01 -p 'filter[pipeline_id]=3001' --with contacts,companies
      amocrm export notes -p entity_type=leads
      amocrm export leads --api v2 -p status=142        # API v2's resources and filters
    Progress goes to stderr (a line every --progress-interval seconds when it is not a terminal).
    """
    from amocrm.progress import StreamProgress, track

    linked_kinds = [k.strip() for k in (with_linked or "").split(",") if k.strip()]
    for kind in linked_kinds:
        if kind not in ("contacts", "companies"):
            raise click.BadParameter(f"{kind!r}: give contacts, companies or both", param_hint="--with")
    moment = parse_since(since) if since else None
    with make_client(subdomain, base_url, token, storage_dir, ca_file, throttle_value(throttle)) as client:
        resource = resource_of(client, api, entity)
        op = list_operation(resource)
        kwargs = build_kwargs(op, entity, params, since=moment)
        _with_linked(op, kwargs, linked_kinds)
        linked = _Linked(client, api, linked_kinds) if linked_kinds else None
        table: Any = None
        if fmt == "csv":
            from amocrm._fieldvalues import api_of, load_definitions
            from amocrm.cli._table import ExportTable

            model = item_model(op)
            definitions = load_definitions(client, entity, api_of(model))
            table = ExportTable(model, definitions, by=columns, linked=linked_kinds)
        printer = None if quiet else StreamProgress(entity, "exported", interval=progress_interval)
        first = resource.list(**kwargs)
        stream: IO[Any]
        if output is None:
            stream = sys.stdout if fmt == "csv" else sys.stdout.buffer
            _write(stream, fmt, table, track(_items(first, linked), printer), linked)
        elif fmt == "csv":
            with open(output, "w", newline="", encoding="utf-8") as text_file:
                _write(text_file, fmt, table, track(_items(first, linked), printer), linked)
        else:
            with open(output, "wb") as binary_file:
                _write(binary_file, fmt, table, track(_items(first, linked), printer), linked)


def _write(stream: IO[Any], fmt: str, table: Any, items: Iterator[tuple[Any, Any]], linked: _Linked | None) -> None:
    import msgspec

    if fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(table.header)
        for item, _ in items:
            found: Mapping[str, Mapping[int, Any]] = linked.cache if linked is not None else {}
            writer.writerow(table.row(item, found))
    else:
        encoder = msgspec.json.Encoder()
        for item, _ in items:
            if linked is None:
                stream.write(encoder.encode(item) + b"\n")
            else:
                data = msgspec.to_builtins(item)
                data["_linked"] = {k: [msgspec.to_builtins(o) for o in v] for k, v in linked.of(item).items()}
                stream.write(encoder.encode(data) + b"\n")
    stream.flush()
