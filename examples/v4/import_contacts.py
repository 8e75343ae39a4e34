"""Import contacts from a CSV file keyed by phone: add the new ones, update the ones already there.

The CSV has a header row with ``name`` and ``phone`` and, optionally, ``email``, ``position`` and
``tags`` (separated by ``;``). Phones are compared normalised (``+7 (999) 000-00-01``,
``8 999 000 00 01`` and ``79990000001`` are one number: :func:`amocrm.upsert.normalize_phone`), so a
contact that already has the number is updated, not duplicated; its other phones and e-mails stay.
New numbers are written in that normalised form. Tags go to new contacts only (the upsert helper
compares and updates fields and custom fields, not the tags of contacts already there). The
account's contacts are read once, page by page, and the changes are saved in batches
(:func:`amocrm.upsert.upsert`), never one request per row.

Run it: ``python examples/v4/import_contacts.py --csv people.csv [--dry-run] [--sandbox JSON]
[--tokens DIR]``. It prints one line per CSV row (``record 0 (line 2): added id 6000003
+79990000005``: records count from 0, file lines from 1 with the header) and a summary; ``--dry-run`` compares without writing. The exit
status is 1 when a row failed.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from _env import connect, parser, sandbox_info

from amocrm.progress import StreamProgress
from amocrm.upsert import normalize_phone, upsert
from amocrm.v4.fields import Email, Phone, Text
from amocrm.v4.models import Contact


def contact_of(row: dict[str, str]) -> Contact:
    """The contact a CSV row describes (the fields it leaves blank are not touched on an update)."""
    contact = Contact(name=row["name"].strip())
    phone = normalize_phone(row.get("phone") or "")  # stored as +79990000001 whatever the CSV's spelling
    if phone:  # a row without one fails in the upsert: it has nothing to be matched by
        contact.set_value("PHONE", Phone(phone))  # a bare number is a WORK phone
    if (row.get("email") or "").strip():
        contact.set_value("EMAIL", Email(row["email"].strip()))
    if (row.get("position") or "").strip():
        contact.set_value("POSITION", Text(row["position"].strip()))
    tags = [t.strip() for t in (row.get("tags") or "").split(";") if t.strip()]
    if tags:
        contact.add_tags(*tags)
    return contact


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--csv", required=True, type=Path, help="the CSV file to import")
    p.add_argument("--dry-run", action="store_true", help="compare and report, send no changes")
    args = p.parse_args()
    with args.csv.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    records = [contact_of(row) for row in rows]
    with sandbox_info(args.sandbox) as sb, connect(sb, args.tokens) as client:
        reading, saving = StreamProgress("contacts", "read"), StreamProgress("contacts", "saved")
        result = upsert(client.v4.contacts, records, key="phone", dry_run=args.dry_run,  # progress on stderr
                        progress=lambda p: (reading if p.stage == "read" else saving)(p))
    for row in result:
        line = f"record {row.index} (line {row.index + 2}): {row.status}"
        if row.id is not None:
            line += f" id {row.id}"
        if row.key:
            line += f" {row.key}"
        if row.message:
            line += f" ({row.message})"
        print(line)
    print(result.summary(), f"({result.read_requests} read requests, {result.write_requests} write requests)")
    sys.exit(0 if result.ok else 1)


if __name__ == "__main__":
    main()
