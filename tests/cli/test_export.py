"""`amocrm export`: 3,000 leads with custom fields to CSV (by name and by id), linked contacts and companies,
--since, bracket and JSON filters, required parameters, and progress on a stderr that is not a terminal."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from cli_helpers import AMOCRM, only_error_line, run_amocrm, run_many

from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v2.models import Lead

pytestmark = pytest.mark.skipif(AMOCRM is None, reason="the amocrm console script is not installed (pip install -e .)")

COUNT = 3000
OPTIONS = {1: "Option 1", 2: "Option 2", 3: "Option 3"}


@pytest.fixture(scope="module")
def account() -> Iterator[tuple[Sandbox, list[str]]]:
    """A sandbox holding 3,000 more leads with custom fields (every 100th linked to Ivan and ACME);
    returns it and the connection flags of the command."""
    with Sandbox(rate_limit=None) as sb:
        with client_for(sb) as client:
            leads = []
            for i in range(COUNT):
                lead = Lead(name=f"Lead {i}", sale=i, pipeline_id=SEED.PIPELINE_MAIN, status_id=SEED.STATUS_MAIN_NEW)
                lead.set_custom_field(SEED.CF_LEAD_TEXT, f"text {i}")
                lead.set_custom_field(SEED.CF_LEAD_SELECT, SEED.enum_id(SEED.CF_LEAD_SELECT, i % 3 + 1))
                lead.set_custom_field(SEED.CF_LEAD_MULTISELECT, [SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 1),
                                                                  SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 3)])
                lead.set_custom_field(SEED.CF_LEAD_NUMERIC, i)
                lead.set_custom_field(SEED.CF_LEAD_DATE, "2024-02-29")
                if i % 100 == 0:
                    lead.add_contacts([SEED.CONTACT_IVAN]).add_company(SEED.COMPANY_ACME)
                leads.append(lead)
            client.v2.leads.save(leads)
        token = sb.issue_tokens(lifetime=3600)["access_token"]
        yield sb, ["--subdomain", sb.subdomain, "--base-url", sb.base_url, "--token", token, "--throttle", "off"]


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_of_3000_leads_with_custom_fields(account: tuple[Sandbox, list[str]]) -> None:
    sb, conn = account
    before = len(sb.request_log())
    started = time.monotonic()
    proc = run_amocrm("export", "leads", "--api", "v2", "--format", "csv", "--progress-interval", "0.02", *conn)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    rows = _rows(proc.stdout)
    assert len(rows) == COUNT + 2 and len({r["id"] for r in rows}) == COUNT + 2
    header = proc.stdout.splitlines()[0].split(",")
    assert header[:2] == ["id", "name"] and header.index("Текст") < header.index("Число")
    by_name = {r["name"]: r for r in rows}
    for i in (0, 1, 2, 1234, COUNT - 1):
        row = by_name[f"Lead {i}"]
        assert row["sale"] == str(i) and row["status_id"] == str(SEED.STATUS_MAIN_NEW)
        assert row["Текст"] == f"text {i}" and row["Список"] == OPTIONS[i % 3 + 1]
        assert row["Мультисписок"] == "Option 1; Option 3" and row["Число"] == str(i) and row["Дата"] == "2024-02-29"
        assert row["contacts_id"] == (str(SEED.CONTACT_IVAN) if i % 100 == 0 else "")
    # 1 request for the field definitions, then the pages (500 a page, prefetching at most 3 past the end)
    requests = len(sb.request_log()) - before
    assert 1 + 7 <= requests <= 1 + 7 + 3, requests
    # stderr is a pipe: progress is printed all the same, as whole lines, with a rate (v2 gives no total)
    lines = proc.stderr.splitlines()
    assert len(lines) >= 2, proc.stderr
    assert all(re.fullmatch(r"exported \d+ leads \(\d+/s(, in [0-9.]+ s)?\)", line) for line in lines), lines
    assert lines[-1].startswith(f"exported {COUNT + 2} leads (") and " in " in lines[-1]
    assert elapsed < 30
    print(f"\nexport of {COUNT + 2} leads to CSV: {elapsed:.2f} s, {requests} requests")


def test_columns_by_id_linked_entities_and_a_file(account: tuple[Sandbox, list[str]], tmp_path: object) -> None:
    sb, conn = account
    out = f"{tmp_path}/leads.csv"
    before = len(sb.request_log())
    proc = run_amocrm("export", "leads", "--api", "v2", "--format", "csv", "--columns", "id", "--with",
                      "contacts,companies", "-o", out, "-q", *conn)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    with open(out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert f"cf_{SEED.CF_LEAD_TEXT}" in rows[0] and "Текст" not in rows[0]
    linked = [r for r in rows if r["contacts_id"]]
    assert len(linked) == COUNT // 100 + 1  # and the seeded first lead
    for row in linked:
        assert row["contacts.name"] == "Иван Петров" and row["contacts.phone"] == "+79990000001"
        assert row["contacts.email"] == "ivan@example.com" and row["companies.name"] == "ООО Акме"
    # each linked contact and company is read once, not once per lead
    lookups = [e for e in sb.request_log()[before:] if e["path"] in ("/api/v2/contacts", "/api/v2/companies")]
    assert len(lookups) == 2, lookups


def test_jsonl_since_filters_and_errors(account: tuple[Sandbox, list[str]]) -> None:
    _, conn = account
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    recent, none, bracket, as_json, *failed = run_many(
        ["export", "leads", "--api", "v2", "-q", "--since", "2000-01-01", "-p", "query=Lead 1234", *conn],
        ["export", "leads", "--api", "v2", "--since", tomorrow, *conn],
        ["export", "leads", "--api", "v2", "-q", "-p", "filter[date_create][from]=2000-01-01", "-p",
         f"status[]={SEED.STATUS_MAIN_NEW}", "-p", "status[]=142", "-p", "query=Lead 123", *conn],
        ["export", "leads", "--api", "v2", "-q", "-p", 'filter={"date_create": {"from": 946684800}}', "-p",
         f"status={SEED.STATUS_MAIN_NEW},142", "-p", "query=Lead 123", *conn],
        ["export", "notes", "--api", "v2", *conn],
        ["export", "leads", "--api", "v2", "--since", "yesterday", *conn],
        ["export", "leads", "--api", "v2", "-p", "filter[colour]=red", *conn],
        ["export", "incoming_leads", "--api", "v4", *conn],
    )
    assert recent.returncode == 0, recent.stderr
    assert [json.loads(line)["name"] for line in recent.stdout.splitlines()] == ["Lead 1234"]
    assert none.returncode == 0 and none.stdout == "" and none.stderr.startswith("exported 0 leads"), none.stderr
    assert bracket.returncode == 0 and as_json.returncode == 0, bracket.stderr + as_json.stderr
    names = [json.loads(line)["name"] for line in bracket.stdout.splitlines()]
    assert bracket.stdout == as_json.stdout and len(names) == 11 and all(n.startswith("Lead 123") for n in names)
    only_error_line(failed[0], "notes needs -p type=contact|lead|company|task|customer")
    only_error_line(failed[1], "--since", "'yesterday' is not a date")
    only_error_line(failed[2], "unknown key 'colour' (known: active, date_create, date_modify, tasks)")
    only_error_line(failed[3], "'incoming_leads' is not a resource with list() in API v4")


def test_v4_csv_with_linked_entities(account: tuple[Sandbox, list[str]]) -> None:
    """The same account through API v4: custom fields by name, ``_embedded`` links resolved once each."""
    sb, conn = account
    before = len(sb.request_log())
    proc = run_amocrm("export", "leads", "--api", "v4", "--format", "csv", "--with", "contacts,companies", "-q",
                      *conn)
    assert proc.returncode == 0, proc.stderr
    rows = _rows(proc.stdout)
    assert len(rows) == COUNT + 2
    row = next(r for r in rows if r["name"] == "Lead 1200")
    assert row["price"] == "1200" and row["Текст"] == "text 1200" and row["Число"] == "1200"
    assert row["contacts.name"] == "Иван Петров" and row["companies.name"] == "ООО Акме"
    paths = [e["path"] for e in sb.request_log()[before:]]
    assert paths.count("/api/v4/contacts") == 1 and paths.count("/api/v4/companies") == 1
    assert paths.count("/api/v4/leads/custom_fields") == 1
    assert paths.count("/api/v4/leads") <= (COUNT + 2) // 250 + 1 + 3  # the pages, at most 3 prefetched past the end


def test_without_api_the_default_v4_is_used(account: tuple[Sandbox, list[str]]) -> None:
    """No ``--api``: API v4, the SDK's default version (v4 models, v4 filters, /api/v4 paths)."""
    sb, conn = account
    before = len(sb.request_log())
    recent, failed = run_many(
        ["export", "leads", "-q", "--since", "2000-01-01", "-p", "query=Lead 1234", *conn],
        ["export", "leads", "-p", "status=142", *conn],
    )
    assert recent.returncode == 0, recent.stderr
    lines = [json.loads(line) for line in recent.stdout.splitlines()]
    assert [(d["name"], d["price"]) for d in lines] == [("Lead 1234", 1234)]
    assert "custom_fields_values" in lines[0] and "sale" not in lines[0]
    paths = {e["path"] for e in sb.request_log()[before:]}
    assert "/api/v4/leads" in paths and not any(p.startswith("/api/v2/") for p in paths), paths
    only_error_line(failed, "unknown filter status for leads; known: with_, query, filter, order")
