"""Run each examples/v4 script as a subprocess against a sandbox this test starts (loopback sockets), then
check what it left there and in the files it wrote. Every run gets the sandbox's JSON info line with a
freshly minted authorization code, the way a person would give a script a new code."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from amocrm import AmoClient
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v4.fields import Phone, Select, Text
from amocrm.v4.models import Contact, EmbeddedEntity, Lead, LeadEmbedded, NoteParams, TaskResult

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "v4"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox


@pytest.fixture
def client(sb: Sandbox) -> Iterator[AmoClient]:
    c = client_for(sb)
    yield c
    c.close()


def run(sb: Sandbox, script: str, *args: str | Path, cwd: Path, ok: bool = True,
        via_env: bool = False) -> subprocess.CompletedProcess[str]:
    """Run examples/v4/<script>.py with the sandbox given by --sandbox (or $AMOCRM_SANDBOX_INFO)."""
    info = dict(sb.info(), code=sb.mint_code())
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    env.pop("AMOCRM_SANDBOX_INFO", None)
    given = ["--sandbox", json.dumps(info)]
    if via_env:
        env["AMOCRM_SANDBOX_INFO"], given = json.dumps(info), []
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{script}.py"), *given, *(str(a) for a in args)],
                            env=env, capture_output=True, text=True, timeout=120, cwd=str(cwd))
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    if ok:
        assert result.returncode == 0, result.stderr[-3000:]
    for secret in (sb.client_secret, info["code"]):
        assert secret not in result.stdout and secret not in result.stderr
    return result


def requests(sb: Sandbox, method: str, path: str) -> list[dict[str, Any]]:
    return [r for r in sb.request_log() if r["method"] == method and r["path"] == path]


def entity(sb: Sandbox, kind: str, **match: Any) -> dict[str, Any]:
    found = [e for e in sb.entities(kind) if all(e.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (kind, match, len(found))
    return found[0]


def values(rec: dict[str, Any], field_id: int) -> list[Any]:
    return [v.get("value") for v in rec["custom_fields"].get(str(field_id), [])]


# -- oauth ----------------------------------------------------------------------------------------


def test_oauth(sb: Sandbox, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    result = run(sb, "oauth", "--tokens", tokens, cwd=tmp_path, via_env=True)
    assert "authorized for sandbox.amocrm.ru" in result.stdout
    assert "refused a redirect with another state: the redirect's state does not match" in result.stdout
    assert f"account {SEED.ACCOUNT_ID} " in result.stdout
    stored = tokens / "sandbox.amocrm.ru.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    data = json.loads(stored.read_text())
    assert data["access_token"] and data["refresh_token"] and data["access_token"] not in result.stdout
    assert sb.counters()["code_exchanges"] == 1
    assert [r["status"] for r in requests(sb, "GET", "/oauth")] == [302]  # the consent step, not followed further
    [account] = requests(sb, "GET", "/api/v4/account")
    assert account["status"] == 200 and account["auth"] == "oauth"


def test_a_script_without_a_sandbox_starts_its_own(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AMOCRM_SANDBOX_INFO"}
    env["PYTHONPATH"] = str(ROOT / "src")
    result = subprocess.run([sys.executable, str(EXAMPLES / "oauth.py")], env=env, capture_output=True, text=True,
                            timeout=120, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"account {SEED.ACCOUNT_ID} Sandbox sandbox" in result.stdout


# -- export ---------------------------------------------------------------------------------------


def test_export_leads(sb: Sandbox, client: AmoClient, tmp_path: Path) -> None:
    contacts = [Contact(name=f"Buyer {n}").set_value("PHONE", Phone(f"+7999555{n:04d}")) for n in range(300)]
    client.v4.contacts.save(contacts)  # 300 leads, each with a contact of its own: more than a page of either
    leads = []
    for n, contact in enumerate(contacts):
        lead = Lead(name=f"Export {n}", price=n, embedded=LeadEmbedded(contacts=[EmbeddedEntity(id=contact.id)]))
        lead.set_value(SEED.CF_LEAD_TEXT, Text(f"note {n}"))
        if n % 2:
            lead.set_value(SEED.CF_LEAD_SELECT, Select("Option 2"))
        leads.append(lead)
    client.v4.leads.save(leads)
    before = len(sb.request_log())

    out = tmp_path / "leads.csv"
    result = run(sb, "export_leads", "--out", out, cwd=tmp_path)
    assert "exported 302 leads with 301 contacts" in result.stdout
    log = sb.request_log()[before:]
    lead_lists = [r for r in log if r["method"] == "GET" and r["path"] == "/api/v4/leads"]
    contact_lists = [r for r in log if r["method"] == "GET" and r["path"] == "/api/v4/contacts"]
    # the pages with leads, plus at most the client's prefetch (3) pages asked ahead past the end (204, empty)
    assert [r["status"] for r in lead_lists][:2] == [200, 200] and all("with=contacts" in r["query"] for r in lead_lists)
    assert len([r for r in lead_lists if r["status"] == 200]) == math.ceil(302 / 250)
    assert len(lead_lists) <= math.ceil(302 / 250) + client.config.prefetch
    assert all(r["status"] == 204 for r in lead_lists[2:])
    assert len(contact_lists) == math.ceil(301 / 250)  # each filter fits a page: no page 2 asked for
    assert all("filter%5Bid%5D%5B0%5D=" in r["query"] for r in contact_lists)
    assert not [r for r in log if r["path"].startswith(("/api/v4/leads/", "/api/v4/contacts/"))]  # none one by one

    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 302
    by_name = {r["name"]: r for r in rows}
    seven = by_name["Export 7"]
    assert seven["id"] == str(leads[7].id) and seven["price"] == "7"
    assert seven["contacts"] == "Buyer 7 <+79995550007>"
    assert seven["cf:Текст"] == "note 7" and seven["cf:Список"] == "Option 2"
    assert by_name["Export 8"]["cf:Список"] == ""
    first = by_name["Первая сделка"]
    assert first["contact_ids"] == str(SEED.CONTACT_IVAN) and first["contacts"] == "Иван Петров <+79990000001>"

    jsonl = tmp_path / "leads.jsonl"
    run(sb, "export_leads", "--out", jsonl, cwd=tmp_path)
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 302
    rec = next(r for r in records if r["name"] == "Export 7")
    assert rec["custom_fields"] == {"Текст": ["note 7"], "Список": ["Option 2"]}
    [buyer] = rec["contacts"]
    assert buyer["name"] == "Buyer 7" and buyer["phones"] == ["+79995550007"]
    assert buyer["custom_fields"]["Телефон"] == ["+79995550007"]


# -- import ---------------------------------------------------------------------------------------

CSV_ROWS = """name,phone,email,position,tags
Иван Петров,8 (999) 000-00-01,ivan.new@example.com,Директор,vip
Анна Смирнова,+7 999 111-22-33,anna@example.com,,import;new
Без телефона,,nobody@example.com,,
Анна ещё раз,79991112233,,,
"""


def test_import_contacts(sb: Sandbox, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(CSV_ROWS, encoding="utf-8")
    seeded = len(sb.entities("contacts"))
    result = run(sb, "import_contacts", "--csv", source, cwd=tmp_path, ok=False)
    assert result.returncode == 1  # a row failed
    lines = result.stdout.splitlines()
    assert lines[0] == f"record 0 (line 2): updated id {SEED.CONTACT_IVAN} +79990000001"
    assert lines[1].startswith("record 1 (line 3): added id ") and lines[1].endswith(" +79991112233")
    assert lines[2] == "record 2 (line 4): failed (no phone to match by)"
    assert lines[3].startswith("record 3 (line 5): failed +79991112233 (same phone as record 1;")
    assert lines[4].startswith("4 rows: 1 added, 1 updated, 0 unchanged, 2 failed")

    assert len(sb.entities("contacts")) == seeded + 1
    ivan = entity(sb, "contacts", id=SEED.CONTACT_IVAN)
    assert values(ivan, SEED.CF_CONTACT_PHONE) == ["+79990000001"]  # the same number: not added twice
    assert values(ivan, SEED.CF_CONTACT_EMAIL) == ["ivan@example.com", "ivan.new@example.com"]
    assert values(ivan, SEED.CF_CONTACT_POSITION) == ["Директор"]
    anna = entity(sb, "contacts", name="Анна Смирнова")
    assert values(anna, SEED.CF_CONTACT_PHONE) == ["+79991112233"]  # written normalised
    assert values(anna, SEED.CF_CONTACT_EMAIL) == ["anna@example.com"]
    assert set(anna["tags"]) == {"import", "new"}
    assert not [c for c in sb.entities("contacts") if c["name"] in ("Без телефона", "Анна ещё раз")]
    assert len(requests(sb, "GET", "/api/v4/contacts")) == 1  # read once, not per row

    again = run(sb, "import_contacts", "--csv", source, cwd=tmp_path, ok=False)
    assert again.stdout.splitlines()[:2] == [f"record 0 (line 2): unchanged id {SEED.CONTACT_IVAN} +79990000001",
                                             f"record 1 (line 3): unchanged id {anna['id']} +79991112233"]
    assert len(sb.entities("contacts")) == seeded + 1


# -- moving leads ---------------------------------------------------------------------------------


def test_move_leads(sb: Sandbox, client: AmoClient, tmp_path: Path) -> None:
    result = run(sb, "move_leads", "--prefix", "Pipeline walk", cwd=tmp_path)
    assert f"moved 3 leads to 'Переговоры' ({SEED.STATUS_MAIN_PROGRESS})" in result.stdout
    won = entity(sb, "leads", name="Pipeline walk 1")
    lost = entity(sb, "leads", name="Pipeline walk 2")
    still = entity(sb, "leads", name="Pipeline walk 3")
    reason = next(iter(client.v4.loss_reasons.list()))
    assert (won["status_id"], won["pipeline_id"], won["loss_reason_id"]) == (142, SEED.PIPELINE_MAIN, 0)
    assert (lost["status_id"], lost["pipeline_id"], lost["loss_reason_id"]) == (143, SEED.PIPELINE_MAIN, reason.id)
    assert won["closed_at"] > 0 and lost["closed_at"] > 0 and still["closed_at"] == 0
    assert still["status_id"] == SEED.STATUS_MAIN_PROGRESS and still["sale"] == 3000
    moves = client.v4.events.list(filter={"type": ["lead_status_changed"], "entity": ["lead"],
                                          "entity_id": [won["id"]]})
    stages = sorted(msgspec.to_builtins(e.value_after)[0]["lead_status"]["id"] for e in moves)
    assert stages == [142, SEED.STATUS_MAIN_PROGRESS]  # one move per step: to the next stage, then won


# -- notes and tasks ------------------------------------------------------------------------------


def test_notes_and_tasks(sb: Sandbox, client: AmoClient, tmp_path: Path) -> None:
    result = run(sb, "notes_and_tasks", "--lead", str(SEED.LEAD_SECOND), cwd=tmp_path)
    notes = sorted((n for n in sb.entities("notes") if n["element_id"] == SEED.LEAD_SECOND), key=lambda n: n["id"])
    assert len(notes) == 3
    common, call, service = (client.v4.notes.get("leads", n["id"], with_=["is_pinned"]) for n in notes)
    assert isinstance(common.params, NoteParams) and isinstance(call.params, NoteParams)
    assert isinstance(service.params, NoteParams)
    assert (common.note_type, common.params.text) == ("common", "Asked for a quote by e-mail")
    assert common.is_pinned is True and call.is_pinned is False and service.is_pinned is False
    assert call.note_type == "call_in"
    assert (call.params.duration, call.params.phone, call.params.call_status) == (95, "+79990000001", 4)
    assert call.params.link == "https://pbx.example.com/records/0001.mp3"
    assert service.note_type == "service_message"
    assert (service.params.service, service.params.text) == ("Quote robot", "Quote #17 sent")
    [task] = [t for t in sb.entities("tasks") if t["element_id"] == SEED.LEAD_SECOND]
    assert task["is_completed"] is True and task["task_type"] == 1 and task["text"] == "Call back about the quote"
    got = client.v4.tasks.get(task["id"])
    assert isinstance(got.result, TaskResult) and got.result.text == "Agreed on the price, sending the contract"
    assert f"pinned {common.id} True" in result.stdout


# -- custom fields --------------------------------------------------------------------------------


def test_custom_fields(sb: Sandbox, client: AmoClient, tmp_path: Path) -> None:
    first = run(sb, "custom_fields", cwd=tmp_path)
    defs = {f.code: f for f in client.v4.custom_fields.list("leads") if f.code}
    assert {"DELIVERY_NOTE", "DELIVERY_METHOD", "EXTRAS", "DELIVERY_DATE"} <= set(defs)
    assert [(defs[c].type) for c in ("DELIVERY_NOTE", "DELIVERY_METHOD", "EXTRAS", "DELIVERY_DATE")] == [
        "text", "select", "multiselect", "date"]
    method, extras = defs["DELIVERY_METHOD"], defs["EXTRAS"]
    assert [e.value for e in method.enums or []] == ["Courier", "Pickup", "Post"]
    assert [e.value for e in extras.enums or []] == ["Gift wrap", "Insurance", "Express"]
    lead_id = int(first.stdout.strip().splitlines()[-1].split()[-1])
    lead = client.v4.leads.get(lead_id)
    assert lead.get_value("DELIVERY_NOTE") is None  # cleared by the script
    assert lead.get_value("DELIVERY_METHOD", Select) == ("Courier", method.enums[0].id)  # type: ignore[index]
    assert [c.enum_id for c in lead.get_value("EXTRAS", first=False)] == [  # type: ignore[union-attr]
        e.id for e in (extras.enums or [])[:2]]
    stored = entity(sb, "leads", id=lead_id)
    assert str(defs["DELIVERY_NOTE"].id) not in stored["custom_fields"]
    assert str(defs["DELIVERY_DATE"].id) in stored["custom_fields"]
    assert "text by id: Leave at the reception" in first.stdout and "text after clearing: None" in first.stdout
    assert "date by name: 2024-03-01 00:00:00+00:00" in first.stdout

    run(sb, "custom_fields", cwd=tmp_path)  # again: the fields are reused, not created twice
    codes = [f.code for f in client.v4.custom_fields.list("leads")]
    assert codes.count("DELIVERY_METHOD") == 1 and codes.count("EXTRAS") == 1


# -- incremental sync -----------------------------------------------------------------------------


def sandbox_leads(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """The sandbox's live leads as the sync copy should hold them (the fields compared)."""
    return {str(r["id"]): {"name": r["name"], "price": r["sale"], "status_id": r["status_id"],
                           "pipeline_id": r["pipeline_id"], "tags": sorted(r["tags"]),
                           "contacts": sorted(r["linked_contacts"]),
                           "custom_fields": {k: [v.get("value") for v in vs] for k, vs in r["custom_fields"].items()}}
            for r in sb.entities("leads") if not r["is_deleted"] and not r.get("unsorted_uid")}


def copy_of(state: Path) -> dict[str, dict[str, Any]]:
    leads: dict[str, dict[str, Any]] = json.loads(state.read_text(encoding="utf-8"))["leads"]
    keys = ("name", "price", "status_id", "pipeline_id", "tags", "contacts")
    return {i: {**{k: r[k] for k in keys}, "custom_fields": r["custom_fields"]} for i, r in leads.items()}


def change_things(client: AmoClient) -> int:
    """A new lead, a renamed one, a moved one, a tag, a custom field; one lead deleted. The new lead's id."""
    new = Lead(name="Arrived later", price=77)
    new.set_value(SEED.CF_LEAD_TEXT, Text("fresh"))
    client.v4.leads.save(new)
    first = client.v4.leads.get(SEED.LEAD_FIRST)
    first.name, first.price = "Первая сделка (renamed)", 1234
    first.add_tags("synced")
    first.set_value(SEED.CF_LEAD_SELECT, Select("Option 3"))
    client.v4.leads.save(first)
    client.ajax("/ajax/leads/multiple/delete", {"ID": [SEED.LEAD_SECOND]})
    assert isinstance(new.id, int)
    return new.id


def test_sync_events(sb: Sandbox, client: AmoClient, tmp_path: Path) -> None:
    state = tmp_path / "leads.json"
    first = run(sb, "sync_events", "--state", state, cwd=tmp_path)
    assert "full load: 2 leads" in first.stdout
    assert copy_of(state) == sandbox_leads(sb)

    new_id = change_things(client)
    before = len(sb.request_log())
    second = run(sb, "sync_events", "--state", state, cwd=tmp_path)
    assert f"removed [{SEED.LEAD_SECOND}]" in second.stdout and "2 leads updated" in second.stdout
    copy = copy_of(state)
    assert copy == sandbox_leads(sb) and set(copy) == {str(SEED.LEAD_FIRST), str(new_id)}
    assert copy[str(SEED.LEAD_FIRST)]["name"] == "Первая сделка (renamed)" and copy[str(SEED.LEAD_FIRST)]["tags"] == [
        "synced"]
    log = sb.request_log()[before:]
    assert [r for r in log if r["path"] == "/api/v4/events"]
    assert all("filter%5Bcreated_at%5D%5Bfrom%5D=" in r["query"] for r in log if r["path"] == "/api/v4/events")
    lead_reads = [r for r in log if r["path"] == "/api/v4/leads"]
    assert len(lead_reads) == 1 and "filter%5Bid%5D%5B0%5D=" in lead_reads[0]["query"]  # only the changed ones

    third_before = len(sb.request_log())
    moved = client.v4.leads.get(new_id)
    moved.status_id = SEED.STATUS_MAIN_PROGRESS
    client.v4.leads.save(moved)
    third = run(sb, "sync_events", "--state", state, cwd=tmp_path)
    assert "1 leads updated" in third.stdout and "0 removed" in third.stdout
    assert copy_of(state) == sandbox_leads(sb)
    assert copy_of(state)[str(new_id)]["status_id"] == SEED.STATUS_MAIN_PROGRESS
    assert not [r for r in sb.request_log()[third_before:] if r["path"] == "/api/v4/leads" and "page=2" in r["query"]]

    fourth = run(sb, "sync_events", "--state", state, cwd=tmp_path)  # nothing new: the overlap changes nothing
    assert "0 leads updated, 0 removed" in fourth.stdout
    assert copy_of(state) == sandbox_leads(sb)


def test_sync_by_updated_at(sb: Sandbox, client: AmoClient, tmp_path: Path) -> None:
    state = tmp_path / "leads.json"
    run(sb, "sync_events", "--state", state, "--via", "updated-at", cwd=tmp_path)
    assert copy_of(state) == sandbox_leads(sb)
    new_id = change_things(client)
    before = len(sb.request_log())
    second = run(sb, "sync_events", "--state", state, "--via", "updated-at", cwd=tmp_path)
    assert f"removed [{SEED.LEAD_SECOND}]" in second.stdout  # seen in the trash (with=only_deleted)
    copy = copy_of(state)
    assert copy == sandbox_leads(sb) and set(copy) == {str(SEED.LEAD_FIRST), str(new_id)}
    reads = [r for r in sb.request_log()[before:] if r["path"] == "/api/v4/leads"]
    assert len(reads) == 2 and all("filter%5Bupdated_at%5D%5Bfrom%5D=" in r["query"] for r in reads)
    assert not [r for r in sb.request_log()[before:] if r["path"] == "/api/v4/events"]
    mixed = run(sb, "sync_events", "--state", state, cwd=tmp_path, ok=False)
    assert mixed.returncode != 0 and "--via updated-at" in mixed.stderr
