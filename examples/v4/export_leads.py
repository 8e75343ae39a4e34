"""Export leads with their linked contacts and custom field values to CSV or JSON Lines, in few requests.

The leads are read with ``with=contacts`` (each lead lists its contacts' ids, ``is_main`` marking the
main one), 250 a page; then the contacts those leads name are read by id, 250 ids a request
(``filter[id][0]=…&filter[id][1]=…``, the indexed form of ``filter[id][]``). So the export takes
``⌈leads / 250⌉ + ⌈contacts / 250⌉`` list requests (plus one when a page is exactly full and the
next one turns out empty), never one request per lead.

Run it: ``python examples/v4/export_leads.py --out leads.csv`` (or ``--out leads.jsonl``; ``--format``
overrides the extension) ``[--sandbox JSON] [--tokens DIR]``. CSV has one row per lead: its fields,
the contacts as ``name <phone>`` joined by ``; `` (main contact first) and one column per lead custom
field (``cf:<name>``, values joined by ``; ``). JSON Lines has one object per lead with everything,
contacts' custom fields included. Progress goes to stderr (a line every 2 s, and a summary).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from _env import connect, parser, sandbox_info
from msgspec import UnsetType

from amocrm import AmoClient
from amocrm.progress import StreamProgress, track
from amocrm.v4.models import Contact, FieldValues, Lead

T = TypeVar("T")
PAGE = 250  # the most API v4 gives in one page, and how many ids one filter request carries here


def known(value: T | UnsetType | None, default: T) -> T:
    """``value``, or ``default`` when the answer left it out (``msgspec.UNSET``) or it is ``None``."""
    return default if isinstance(value, UnsetType) or value is None else value


def chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def field_values(entries: Iterable[FieldValues] | None) -> dict[str, list[Any]]:
    """``{field name (or code, or id): [values]}``: the plain values (text, number, unix seconds, option text)."""
    out: dict[str, list[Any]] = {}
    for entry in entries or []:
        label = known(entry.field_name, "") or known(entry.field_code, "") or str(known(entry.field_id, 0))
        out[label] = [known(v.value, None) for v in known(entry.values, [])]
    return out


def contact_ids(lead: Lead) -> list[int]:
    """The ids of the lead's contacts (``with=contacts``), the main contact first."""
    embedded = known(lead.embedded, None)
    linked = known(embedded.contacts, []) if embedded is not None else []
    ordered = sorted(linked, key=lambda c: not known(c.is_main, False))
    return [c.id for c in ordered if isinstance(c.id, int)]


def read(client: AmoClient) -> tuple[list[Lead], dict[int, Contact]]:
    """Every lead (with its contacts' ids) and every contact they name, by id."""
    leads = list(track(client.v4.leads.list(with_=["contacts"], page_size=PAGE), StreamProgress("leads", "read")))
    wanted = sorted({cid for lead in leads for cid in contact_ids(lead)})
    contacts: dict[int, Contact] = {}
    found = (contact for ids in chunks(wanted, PAGE) for contact in
             client.v4.contacts.list(filter={"id": ids}, page_size=PAGE))
    for contact in track(found, StreamProgress("contacts", "read"), total=len(wanted)):
        if isinstance(contact.id, int):
            contacts[contact.id] = contact
    return leads, contacts


def phones(contact: Contact) -> list[str]:
    """The contact's phone numbers (the multitext field with code ``PHONE``)."""
    entry = contact.get_field("PHONE")
    return [str(v.value) for v in known(entry.values, []) if known(v.value, None)] if entry is not None else []


def record(lead: Lead, contacts: dict[int, Contact]) -> dict[str, Any]:
    """One lead as plain data: its fields, custom fields and contacts (with theirs)."""
    linked = [contacts[cid] for cid in contact_ids(lead) if cid in contacts]
    return {
        "id": lead.id, "name": known(lead.name, ""), "price": known(lead.price, 0),
        "pipeline_id": known(lead.pipeline_id, None), "status_id": known(lead.status_id, None),
        "responsible_user_id": known(lead.responsible_user_id, None),
        "created_at": known(lead.created_at, None), "updated_at": known(lead.updated_at, None),
        "custom_fields": field_values(known(lead.custom_fields_values, None)),
        "contacts": [{"id": c.id, "name": known(c.name, ""), "phones": phones(c),
                      "custom_fields": field_values(known(c.custom_fields_values, None))} for c in linked],
    }


def _text(values: Iterable[Any]) -> str:
    """Values for one CSV cell: texts as they are, objects (a legal entity, a file) as JSON."""
    parts: list[str] = []
    for v in values:
        parts.append(json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else "" if v is None else str(v))
    return "; ".join(parts)


def _contact_text(contact: dict[str, Any]) -> str:
    name: str = contact["name"]
    return name + (f" <{contact['phones'][0]}>" if contact["phones"] else "")


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = sorted({name for row in rows for name in row["custom_fields"]})
    header = ["id", "name", "price", "pipeline_id", "status_id", "responsible_user_id", "created_at",
              "updated_at", "contact_ids", "contacts", *(f"cf:{c}" for c in columns)]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        for row in rows:
            out.writerow([
                row["id"], row["name"], row["price"], row["pipeline_id"], row["status_id"],
                row["responsible_user_id"], row["created_at"], row["updated_at"],
                " ".join(str(c["id"]) for c in row["contacts"]),
                "; ".join(_contact_text(c) for c in row["contacts"]),
                *(_text(row["custom_fields"].get(c, [])) for c in columns),
            ])


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--out", required=True, type=Path, help="the file to write (.csv or .jsonl)")
    p.add_argument("--format", choices=("csv", "jsonl"), help="default: from the --out extension")
    args = p.parse_args()
    fmt = args.format or ("jsonl" if args.out.suffix in (".jsonl", ".json") else "csv")
    with sandbox_info(args.sandbox) as sb, connect(sb, args.tokens) as client:
        leads, contacts = read(client)
        rows = [record(lead, contacts) for lead in leads]
        (write_jsonl if fmt == "jsonl" else write_csv)(args.out, rows)
        print(f"exported {len(rows)} leads with {len(contacts)} contacts to {args.out} ({fmt})")


if __name__ == "__main__":
    main()
