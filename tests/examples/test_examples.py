"""Run every example script (examples/seed and examples/client) as a subprocess against its own live
sandbox, then check the state it left there. All scripts run in parallel once per session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from amocrm.sandbox import SEED, Sandbox

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("auth", "contacts", "companies", "leads", "notes", "tasks", "catalogs", "catalog_elements", "webhooks",
         "incoming_leads", "ajax", "several_subdomains", "debug_logging")
SCRIPTS = [f"{kind}/{name}" for kind in ("seed", "client") for name in NAMES]


@dataclass
class Run:
    sandbox: Sandbox
    result: subprocess.CompletedProcess[str]
    log_file: Path


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    with ExitStack() as stack:
        sandboxes = {s: stack.enter_context(Sandbox(rate_limit=None)) for s in SCRIPTS}
        logs = {s: tmp_path_factory.mktemp("log") / "debug.log" for s in SCRIPTS}

        def run(script: str) -> subprocess.CompletedProcess[str]:
            env = dict(os.environ, AMOCRM_SANDBOX_INFO=json.dumps(sandboxes[script].info()),
                       AMOCRM_EXAMPLE_LOG=str(logs[script]), PYTHONPATH=str(ROOT / "src"))
            return subprocess.run([sys.executable, str(ROOT / "examples" / f"{script}.py")], env=env,
                                  capture_output=True, text=True, timeout=60, cwd=str(logs[script].parent))

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = dict(zip(SCRIPTS, pool.map(run, SCRIPTS), strict=True))
        yield {s: Run(sandboxes[s], results[s], logs[s]) for s in SCRIPTS}


def _one(sb: Sandbox, kind: str, **match: Any) -> dict[str, Any]:
    found = [e for e in sb.entities(kind) if all(e.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (kind, match, [e.get("name") for e in sb.entities(kind)])
    return found[0]


def check_auth(sb: Sandbox, run: Run) -> None:
    assert sb.counters()["code_exchanges"] == 1 and sb.counters()["logins"] == 1


def check_contacts(sb: Sandbox, run: Run) -> None:
    hans = _one(sb, "contacts", name="Ганс-Дитрих Геншер")
    assert hans["responsible_user_id"] == SEED.USER_ADMIN
    maria = _one(sb, "contacts", id=SEED.CONTACT_MARIA)
    assert (maria["name"], maria["first_name"], maria["last_name"]) == ("Улоф Йоаким Пальме", "Улоф", "Пальме")
    ivan = _one(sb, "contacts", id=SEED.CONTACT_IVAN)
    assert {"сотрудник", "стажер"} <= set(ivan["tags"]) and SEED.LEAD_SECOND in ivan["linked_leads"]


def check_companies(sb: Sandbox, run: Run) -> None:
    mmm = _one(sb, "companies", name="ООО МММ")
    assert mmm["linked_contacts"] == [SEED.CONTACT_MARIA] and mmm["tags"] == ["Акционер"]
    assert SEED.LEAD_SECOND in mmm["linked_leads"]
    assert _one(sb, "companies", id=SEED.COMPANY_ACME)["name"] == "ООО Рога и Копыта"


def check_leads(sb: Sandbox, run: Run) -> None:
    order = _one(sb, "leads", name="Заказ № 964023")
    assert order["sale"] == 15000 and order["linked_contacts"] == [SEED.CONTACT_MARIA]
    assert order["catalog_elements"] == {SEED.CATALOG_PRODUCTS: {SEED.ELEMENT_PEN: 10, SEED.ELEMENT_PENCIL: 5}}
    assert _one(sb, "leads", id=SEED.LEAD_SECOND)["sale"] == 175000
    assert SEED.CONTACT_IVAN not in _one(sb, "leads", id=SEED.LEAD_FIRST)["linked_contacts"]


def check_notes(sb: Sandbox, run: Run) -> None:
    assert len(sb.entities("notes")) == 2
    assert _one(sb, "notes", id=SEED.NOTE_FIRST)["text"] == "Новый текст события"
    other = next(n for n in sb.entities("notes") if n["id"] != SEED.NOTE_FIRST)
    assert other["element_id"] == SEED.LEAD_FIRST and other["note_type"] == 4


def check_tasks(sb: Sandbox, run: Run) -> None:
    assert len(sb.entities("tasks")) == 2
    assert _one(sb, "tasks", id=SEED.TASK_FIRST)["text"] == "Новый текст задачи"
    assert any(t["task_type"] == 3 and t["complete_till_at"] == 1508706000 for t in sb.entities("tasks"))


def check_catalogs(sb: Sandbox, run: Run) -> None:
    names = {c["name"] for c in sb.entities("catalogs")}
    assert "Актуальные товары" in names and not names & {"Не товары", "Временный"}


def check_catalog_elements(sb: Sandbox, run: Run) -> None:
    ids = {e["id"] for e in sb.entities("catalog_elements")}
    assert SEED.ELEMENT_PENCIL not in ids and SEED.ELEMENT_PEN in ids and len(ids) == 2


def check_webhooks(sb: Sandbox, run: Run) -> None:
    assert [w["url"] for w in sb.entities("webhooks")] == ["https://example3.com/webhook/"]


def check_incoming_leads(sb: Sandbox, run: Run) -> None:
    assert sb.entities("incoming_leads") == []  # one accepted, one declined: none left unsorted
    assert len([r for r in sb.request_log() if r["path"] == "/api/v2/incoming_leads/form"]) == 1
    assert _one(sb, "leads", name="Новая заявка с сайта")
    assert "Вторая заявка" not in {x["name"] for x in sb.entities("leads")}


def check_ajax(sb: Sandbox, run: Run) -> None:
    ajax = [r for r in sb.request_log() if str(r["path"]).startswith("/ajax/")]
    assert len(ajax) == 2 and all(r["status"] == 200 for r in ajax)


def check_several_subdomains(sb: Sandbox, run: Run) -> None:
    assert _one(sb, "companies", name="ООО Абракадабра")
    assert _one(sb, "companies", id=SEED.COMPANY_ACME)["name"] == "ООО Розенталь"
    assert "ООО Во втором" not in {c["name"] for c in sb.entities("companies")}


def check_debug_logging(sb: Sandbox, run: Run) -> None:
    text = run.log_file.read_text()
    assert "/api/v2/account" in text and "RESPONSE" in text
    assert "/api/v2/account" in run.result.stdout
    for secret in (sb.client_secret, sb.code):
        assert secret not in text and secret not in run.result.stdout


CHECKS: dict[str, Callable[[Sandbox, Run], None]] = {n: globals()[f"check_{n}"] for n in NAMES}


@pytest.mark.parametrize("script", SCRIPTS)
def test_example(runs: dict[str, Run], script: str) -> None:
    run = runs[script]
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert "Traceback" not in run.result.stderr
    CHECKS[script.split("/", 1)[1]](run.sandbox, run)
