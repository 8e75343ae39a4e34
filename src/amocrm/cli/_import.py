"""``amocrm import ENTITY FILE.csv --key phone|email|id``: add the new rows, update the matches, report each row."""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from typing import IO, Any, cast

import click

from amocrm.cli._common import api_option, connection_options, fail, make_client, resource_of, throttle_value

__all__ = ["import_"]

#: Entities an import may write, and the keys each may be matched by.
KEYS: dict[str, tuple[str, ...]] = {
    "contacts": ("phone", "email", "id"),
    "companies": ("phone", "email", "id"),
    "leads": ("id",),
    "customers": ("id",),
}


def _read_csv(path: str, delimiter: str | None) -> tuple[list[str], list[dict[str, str | None]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            text = f.read()
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text: save it as CSV UTF-8")
    first = text.split("\n", 1)[0]
    if delimiter is None:
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.DictReader(text.splitlines(keepends=True), delimiter=delimiter)
    header = list(reader.fieldnames or [])
    if not header:
        fail(f"{path} has no header row")
    rows = [row for row in reader if any((v or "").strip() for k, v in row.items() if k is not None)]
    return header, rows


@click.command("import")
@click.argument("entity", type=click.Choice(sorted(KEYS)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--key", type=click.Choice(["phone", "email", "id"]), required=True,
              help="Match rows to existing entities by phone (normalised), e-mail (case-insensitive) or id.")
@click.option("--batch-size", type=click.IntRange(1, 500), default=None,
              help="Entities per write request (default: the client's batch size, 250).")
@click.option("--dry-run", is_flag=True, help="Read and compare, send nothing; the report says what would happen.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Write the per-row report (CSV) to this file instead of stdout.")
@click.option("--delimiter", type=click.Choice([",", ";", "tab"]), default=None,
              help="Column separator (default: guessed from the header line).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.option("--progress-interval", type=click.FloatRange(min=0), default=2.0, show_default=True,
              metavar="SECONDS", help="Seconds between progress lines when stderr is not a terminal.")
@api_option
@connection_options
def import_(entity: str, file: str, key: str, batch_size: int | None, dry_run: bool, report_path: str | None,
            delimiter: str | None, quiet: bool, progress_interval: float, api: str, subdomain: str | None,
            base_url: str | None, token: str | None, storage_dir: str, ca_file: str | None,
            throttle: str | None) -> None:
    """Upsert the rows of FILE (CSV with a header row) into ENTITY: add new ones, update matches.

    \b
    Columns: the entity's fields by name (name, first_name, responsible_user_id...), custom fields
    by name, code or cf_<id> (phone and email for the PHONE and EMAIL fields), and id. A cell may
    hold several values separated by ';'. An `amocrm export --format csv` file imports as it is.
    The existing entities are read once (all pages), then rows are saved in batches.
    The report (stdout) has one line per row: row,status,id,key,message with status
    added, updated, unchanged or failed (with the server's message). Exit code 1 if a row failed.
    """
    from amocrm._fieldvalues import load_definitions
    from amocrm.cli._table import ImportTable
    from amocrm.progress import Progress, StreamProgress
    from amocrm.upsert import Key, UpsertRow, run_upsert

    if key not in KEYS[entity]:
        raise click.BadParameter(f"{entity} can be matched by {', '.join(KEYS[entity])} only", param_hint="--key")
    header, rows = _read_csv(file, "\t" if delimiter == "tab" else delimiter)
    with make_client(subdomain, base_url, token, storage_dir, ca_file, throttle_value(throttle)) as client:
        resource = resource_of(client, api, entity, needs=("list", "save"))
        model: type = type(resource)._operations["save"].model  # pyright: ignore[reportPrivateUsage]
        from amocrm._fieldvalues import api_of

        definitions = load_definitions(client, entity, api_of(model))
        try:
            table = ImportTable(model, definitions, header)
        except ValueError as exc:
            fail(f"{file}: {exc}")
        if key == "id" and not any(kind == "id" for _, kind, _ in table.columns):
            fail(f"{file} has no id column to match by")
        if key != "id" and table.field_for("PHONE" if key == "phone" else "EMAIL") is None:
            fail(f"{file} has no {key} column (a column named {key}, or the field's name or cf_<id>)")
        if table.skipped and not quiet:
            click.echo(f"import: not imported (read-only or links): {', '.join(table.skipped)}", err=True)
        records: list[Any] = []
        preset: list[UpsertRow | None] = []
        for i, row in enumerate(rows):
            try:
                records.append(table.record(row))
                preset.append(None)
            except ValueError as exc:
                records.append(None)
                preset.append(UpsertRow(i, "failed", message=str(exc)))
        callback: Callable[[Progress], None] | None = None
        if not quiet:
            readers = StreamProgress(f"existing {entity}", "read", interval=progress_interval)
            savers = StreamProgress(entity, "saved", interval=progress_interval)

            def report(p: Progress) -> None:
                (readers if p.stage == "read" else savers)(p)

            callback = report

        result = run_upsert(resource, records, key=cast(Key, key), definitions=definitions,
                            batch_size=batch_size, progress=callback, dry_run=dry_run, preset=preset,
                            name_of=lambda i: f"row {i + 2}")
    out: IO[str]
    if report_path is None:
        out = sys.stdout
        _report(out, result)
    else:
        with open(report_path, "w", newline="", encoding="utf-8") as out:
            _report(out, result)
    verb = "would be" if dry_run else "done"
    click.echo(f"import {entity} {verb}: {result.summary()}; {result.existing} existing read "
               f"in {result.read_requests} requests, {result.write_requests} write requests", err=True)
    failed = len(result.with_status("failed"))
    if failed:
        fail(f"{failed} of {len(result)} rows failed (see the report)")


def _report(out: IO[str], result: Any) -> None:
    writer = csv.writer(out)
    writer.writerow(["row", "status", "id", "key", "message"])
    for row in result:
        writer.writerow([row.index + 2, row.status, "" if row.id is None else row.id, row.key or "",
                         row.message or ""])
    out.flush()
