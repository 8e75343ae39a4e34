"""`amocrm import contacts FILE.csv --key phone`: 1,000 rows upserted against 602 existing contacts. The request
count stays within ⌈existing/page size⌉ + ⌈rows/batch size⌉ + 2 (the sandbox's request log), and every row of
the report is checked against the sandbox's state."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import AMOCRM, only_error_line, run_amocrm, run_many

from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v2.models import Contact

pytestmark = pytest.mark.skipif(AMOCRM is None, reason="the amocrm console script is not installed (pip install -e .)")

EXISTING = 600  # plus the two seeded contacts
ROWS = 1000
PAGE_SIZE = 500  # client.config.page_size
BATCH_SIZE = 250  # client.config.batch_size


def stored_phone(i: int) -> str:
    return f"+7 (9{i // 10000 % 100:02d}) {i // 100 % 100:03d}-{i % 100:02d}-00"


def csv_phone(i: int) -> str:
    """The same number as stored_phone(i), written the way people type it."""
    return f"8 9{i // 10000 % 100:02d} {i // 100 % 100:03d} {i % 100:02d} 00"


@pytest.fixture
def account() -> Iterator[tuple[Sandbox, list[str]]]:
    with Sandbox(rate_limit=None) as sb:
        with client_for(sb) as client:
            people = [Contact(name=f"Person {i}").set_custom_field(SEED.CF_CONTACT_PHONE,
                                                                   [{"value": stored_phone(i), "enum": "MOB"}])
                      for i in range(EXISTING)]
            client.v2.contacts.save(people)
        token = sb.issue_long_lived_token()
        yield sb, ["--subdomain", sb.subdomain, "--base-url", sb.base_url, "--token", token, "--throttle", "off"]


def build_rows() -> tuple[list[dict[str, str]], dict[int, tuple[str, str]]]:
    """1,000 rows and, per row, (expected status, what the message says)."""
    rows: list[dict[str, str]] = []
    expected: dict[int, tuple[str, str]] = {}

    def add(name: str, phone: str, status: str, message: str = "", email: str = "", source: str = "") -> None:
        expected[len(rows)] = (status, message)
        rows.append({"name": name, "phone": phone, "Email": email, "Источник": source})

    for i in range(250):  # existing contacts, renamed: updated
        add(f"Renamed {i}", csv_phone(i), "updated")
    for i in range(250, 500):  # existing contacts as they are (phone written differently): unchanged
        add(f"Person {i}", csv_phone(i) if i % 2 else stored_phone(i).replace(" ", ""), "unchanged")
    for i in range(490):  # new people: added (some with an e-mail and a select option by label)
        add(f"New {i}", f"+7 800 {i:03d}-00-{i % 100:02d}", "added", email=f"New{i}@Example.com " if i % 3 == 0 else "",
            source="Option 2" if i % 5 == 0 else "")
    add("No phone 1", "", "failed", "no phone to match by")
    add("No phone 2", "  ", "failed", "no phone to match by")
    add("Dup 1", "+7 800 000-00-00", "failed", "same phone as row 502")  # the phone of the first new row
    add("Dup 2", "8 800 001 00 01", "failed", "same phone as row 503")
    add("Bad option", "+7 700 000 00 01", "failed", "'Option 9' is not one of its options", source="Option 9")
    add("Again", csv_phone(3), "failed", "matches the same entity as row 5")
    add("Server says no", "+7 700 000 00 02 (PAGER)", "failed", "unknown enum 'PAGER'")
    add("Also new 1", "+7 700 000 00 03", "added")
    add("Also new 2", "+44 20 7946 0958", "added")
    add("Also new 3", "00 49 30 1234567", "added")
    assert len(rows) == ROWS
    return rows, expected


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:  # with a BOM, as spreadsheets save it
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def _phone_of(record: dict[str, Any]) -> list[str]:
    return [v["value"] for v in record["custom_fields"].get(str(SEED.CF_CONTACT_PHONE), [])]


def test_import_1000_rows_keyed_by_phone(account: tuple[Sandbox, list[str]], tmp_path: Path) -> None:
    sb, conn = account
    rows, expected = build_rows()
    path = tmp_path / "people.csv"
    write_csv(path, rows, delimiter=";")
    before = {r["id"]: r for r in sb.entities("contacts")}
    by_phone = {_phone_of(r)[0]: r for r in before.values() if _phone_of(r)}
    assert len(before) == EXISTING + 2
    logged = len(sb.request_log())
    proc = run_amocrm("import", "contacts", str(path), "--api", "v2", "--key", "phone", "--progress-interval", "0",
                      *conn)
    requests = sb.request_log()[logged:]

    # the request budget: read once (all pages), write in batches
    bound = math.ceil(len(before) / PAGE_SIZE) + math.ceil(ROWS / BATCH_SIZE) + 2
    assert len(requests) <= bound, [(r["method"], r["path"], r["query"]) for r in requests]
    gets = [r for r in requests if r["method"] == "GET"]
    assert [r["path"] for r in gets] == ["/api/v2/account"] + ["/api/v2/contacts"] * math.ceil(len(before) / PAGE_SIZE)
    print(f"\nimport of {ROWS} rows against {len(before)} contacts: {len(requests)} requests (bound {bound})")

    # the report: one line per row, as expected, and the command failed because some rows did
    assert proc.returncode == 1, proc.stderr
    only_error_line(proc, "7 of 1000 rows failed (see the report)")
    report = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(report) == ROWS and [int(r["row"]) for r in report] == list(range(2, ROWS + 2))
    for i, line in enumerate(report):
        status, message = expected[i]
        assert line["status"] == status, (i, line)
        assert message in line["message"], (i, line)
    assert "import contacts done: 1000 rows: 493 added, 250 updated, 250 unchanged, 7 failed" in proc.stderr
    assert re.search(r"read \d+ of \d+ existing contacts", proc.stderr) and re.search(
        r"saved \d+ of \d+ contacts", proc.stderr), proc.stderr  # progress, though stderr is a pipe

    # ... checked against what the sandbox now holds
    after = {r["id"]: r for r in sb.entities("contacts")}
    added = [(i, line) for i, line in enumerate(report) if line["status"] == "added"]
    assert len(after) == len(before) + len(added)
    for i, line in enumerate(report):
        row = rows[i]
        status = line["status"]
        if status == "added":
            record = after[int(line["id"])]
            assert int(line["id"]) not in before and record["name"] == row["name"]
            assert _phone_of(record) == [row["phone"].strip()]
            if row["Email"]:
                assert [v["value"] for v in record["custom_fields"][str(SEED.CF_CONTACT_EMAIL)]] == [row["Email"].strip()]
            if row["Источник"]:
                assert record["custom_fields"][str(SEED.CF_CONTACT_SELECT)][0]["enum"] == str(
                    SEED.enum_id(SEED.CF_CONTACT_SELECT, 2))
        elif status == "updated":
            record = after[int(line["id"])]
            assert record["name"] == row["name"] and before[record["id"]]["name"] != row["name"]
            assert _phone_of(record) == _phone_of(before[record["id"]])  # the same number is not added twice
            assert line["key"] == "+7" + re.sub(r"\D", "", row["phone"])[1:]
        elif status == "unchanged":
            ident = int(line["id"])
            assert after[ident] == before[ident] and before[ident]["name"] == row["name"]
        else:
            assert not line["id"] or int(line["id"]) in before
    for line in report:
        if line["status"] in ("updated", "unchanged"):
            assert by_phone[_phone_of(after[int(line["id"])])[0]]["id"] == int(line["id"])


def test_import_dry_run_and_key_email(account: tuple[Sandbox, list[str]], tmp_path: Path) -> None:
    sb, conn = account
    path = tmp_path / "mail.csv"
    write_csv(path, [{"name": "Ivan", "email": " IVAN@example.com", "phone": "+7 000"},
                     {"name": "Someone", "email": "someone@example.com", "phone": ""}])
    before = sb.entities("contacts")
    dry = run_amocrm("import", "contacts", str(path), "--api", "v2", "--key", "email", "--dry-run", *conn)  # before the real one
    wet, bad_key, no_column, bad_column = run_many(
        ["import", "contacts", str(path), "--api", "v2", "--key", "email", "-q", *conn],
        ["import", "leads", str(path), "--api", "v2", "--key", "phone", *conn],
        ["import", "contacts", str(path), "--api", "v2", "--key", "id", *conn],
        ["import", "companies", str(_bad(tmp_path)), "--api", "v2", "--key", "phone", *conn],
    )
    assert dry.returncode == 0, dry.stderr
    assert [r["status"] for r in csv.DictReader(io.StringIO(dry.stdout))] == ["updated", "added"]
    assert "would be" in dry.stderr
    assert wet.returncode == 0 and wet.stderr.startswith("import contacts done"), wet.stderr
    report = list(csv.DictReader(io.StringIO(wet.stdout)))
    assert [r["status"] for r in report] == ["updated", "added"]
    ivan = next(r for r in sb.entities("contacts") if r["id"] == SEED.CONTACT_IVAN)
    assert ivan["name"] == "Ivan" and report[0]["id"] == str(SEED.CONTACT_IVAN) and report[0]["key"] == "ivan@example.com"
    assert [v["value"] for v in ivan["custom_fields"][str(SEED.CF_CONTACT_PHONE)]] == ["+79990000001", "+7 000"]
    assert len(sb.entities("contacts")) == len(before) + 1
    only_error_line(bad_key, "leads can be matched by id only")
    only_error_line(no_column, "has no id column")
    only_error_line(bad_column, "unknown column(s) 'Colour'", "known: ")


def _bad(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text("name,phone,Colour\nACME,+7 1,red\n", encoding="utf-8")
    return path


def test_import_without_api_goes_through_v4(account: tuple[Sandbox, list[str]], tmp_path: Path) -> None:
    """No ``--api``: API v4, the SDK's default version (its field definitions, its list, POST and PATCH)."""
    sb, conn = account
    path = tmp_path / "people.csv"
    write_csv(path, [{"name": "Renamed 7", "phone": csv_phone(7)}, {"name": "Brand new", "phone": "+7 800 111 22 33"},
                     {"name": "No phone", "phone": ""}])
    logged = len(sb.request_log())
    proc = run_amocrm("import", "contacts", str(path), "--key", "phone", "-q", *conn)
    assert proc.returncode == 1, proc.stderr
    only_error_line(proc, "1 of 3 rows failed (see the report)")
    report = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["status"], r["key"]) for r in report] == [("updated", "+7" + re.sub(r"\D", "", csv_phone(7))[1:]),
                                                        ("added", "+78001112233"), ("failed", "")]
    requests = sb.request_log()[logged:]
    assert {r["path"] for r in requests} == {"/api/v4/contacts/custom_fields", "/api/v4/contacts"}, requests
    assert {r["method"] for r in requests if r["path"] == "/api/v4/contacts"} == {"GET", "POST", "PATCH"}
    after = {r["id"]: r for r in sb.entities("contacts")}
    assert after[int(report[0]["id"])]["name"] == "Renamed 7" and _phone_of(after[int(report[0]["id"])]) == [
        stored_phone(7)]
    assert after[int(report[1]["id"])]["name"] == "Brand new"
    assert _phone_of(after[int(report[1]["id"])]) == ["+7 800 111 22 33"]
