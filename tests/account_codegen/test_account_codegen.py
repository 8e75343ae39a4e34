"""``python -m codegen account --version v2``: generate the seeded sandbox account's fields module, type-check it,
import it and round-trip values through leads and contacts saved to the sandbox and read back."""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from amocrm.auth import LongLivedToken
from amocrm.client import AmoClient
from amocrm.sandbox import SEED, Sandbox
from amocrm.v2.models import Contact, CustomField, CustomFieldValue, Lead, Note
from codegen.account import field_specs, load_account, render_module, safe_name

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _codegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{REPO / 'src'}"}
    return subprocess.run([sys.executable, "-m", "codegen", "account", "--version", "v2", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Sandbox]]:
    """The module generated from a live sandbox through AmoClient (--base-url + --token)."""
    out = tmp_path_factory.mktemp("proj") / "myproject" / "amo_fields.py"
    with Sandbox(rate_limit=None) as sb:
        token = sb.issue_tokens(lifetime=3600)["access_token"]
        proc = _codegen("--base-url", sb.base_url, "--subdomain", sb.subdomain, "--token", token,
                        "-o", str(out), cwd=out.parent.parent)
        assert proc.returncode == 0, proc.stderr
        assert token not in proc.stderr + proc.stdout
        assert "25 custom fields" in proc.stderr
        yield out, sb


def _import(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"amo_fields_{abs(hash(path))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_safe_names() -> None:
    assert safe_name("День рождения") == "den_rozhdeniya"
    assert safe_name("Источник лида (UTM)") == "istochnik_lida_utm"
    assert safe_name("1 поле") == "f_1_pole"
    assert safe_name("class") == "class_"
    assert safe_name("model") == "model_"
    assert safe_name("!!!") == ""


def test_names_dedupe_and_deterministic_order() -> None:
    body = (b'{"id": 1, "_embedded": {"custom_fields": {"leads": {'
            b'"7": {"id": 7, "name": "\xd0\x98\xd1\x81\xd1\x82\xd0\xbe\xd1\x87\xd0\xbd\xd0\xb8\xd0\xba", "field_type": 1},'
            b'"5": {"id": 5, "name": "istochnik", "field_type": 1},'
            b'"9": {"id": 9, "name": "???", "field_type": 2},'
            b'"3": {"id": 3, "name": "Budget source", "field_type": 4, "enums": {"31": "Ads", "30": "Search"}}}}}}')
    specs = field_specs(load_account(body, "inline"))
    assert [(s.attr, s.id) for s in specs["leads"]] == [
        ("budget_source", 3), ("field_9", 9), ("istochnik_5", 5), ("istochnik_7", 7)]
    assert specs["leads"][0].enums == ((30, "Search"), (31, "Ads"))
    assert render_module(specs, "x") == render_module(field_specs(load_account(body, "inline")), "x")


def test_module_is_deterministic_and_source_independent(generated: tuple[Path, Sandbox], tmp_path: Path) -> None:
    out, sb = generated
    token = sb.issue_tokens(lifetime=3600)["access_token"]
    client = AmoClient(sb.subdomain, base_url=sb.base_url, throttle=None, auth=LongLivedToken(token))
    saved = tmp_path / "account.json"
    saved.write_text(json.dumps(client.request("GET", "/api/v2/account", {"with": "custom_fields"})))
    client.close()
    again = tmp_path / "again.py"
    proc = _codegen("--account-json", str(saved), "-o", str(again), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    body = out.read_text(encoding="utf-8").split("\n", 1)[1]
    assert again.read_text(encoding="utf-8").split("\n", 1)[1] == body
    assert "class LeadFields:" in body and "def den_rozhdeniya(self) -> datetime.date | None:" in body


def test_generated_module_passes_mypy_strict_and_catches_misuse(generated: tuple[Path, Sandbox]) -> None:
    out, _ = generated
    usage = out.parent / "use_fields.py"
    usage.write_text(
        "from amocrm.v2.models import Lead\n"
        "from myproject.amo_fields import fields\n"
        "f = fields(Lead(name='x'))\n"
        "f.spisok = 'Option 2'\n"
        "n: float | None = f.chislo\n"
        "f.spisok = 'Nope'  # E: not one of the enum labels\n"
        "f.chislo = 'ten'  # E: not a number\n"
        "f.no_such_field  # E: unknown attribute\n",
        encoding="utf-8",
    )
    (out.parent / "__init__.py").write_text("", encoding="utf-8")
    env = {**os.environ, "MYPYPATH": str(REPO / "src")}
    proc = subprocess.run([str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           str(out), str(usage)], cwd=out.parent.parent, env=env,
                          capture_output=True, text=True, timeout=120)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert all("use_fields.py" in line for line in errors), proc.stdout
    assert sorted(int(line.split(":")[1]) for line in errors) == [6, 7, 8], proc.stdout


def test_round_trip_through_the_sandbox(generated: tuple[Path, Sandbox]) -> None:
    out, sb = generated
    mod = _import(out)
    from amocrm.testing import client_for

    client = client_for(sb)
    try:
        lead = Lead(name="typed fields", pipeline_id=SEED.PIPELINE_MAIN, status_id=SEED.STATUS_MAIN_NEW)
        f: Any = mod.fields(lead)
        f.tekst = "hello"
        f.chislo = 12.5
        f.spisok = "Option 2"
        f.multispisok = ["Option 1", "Option 3"]
        f.data = datetime.date(2024, 2, 29)
        f.adres = {"city": "Москва", "zip": "101000"}
        assert (f.spisok, f.multispisok) == ("Option 2", ["Option 1", "Option 3"])  # read back before saving
        client.v2.leads.save(lead)
        back = client.v2.leads.get(lead.id)  # type: ignore[arg-type]
        g: Any = mod.fields(back)
        assert (g.tekst, g.chislo, g.spisok, g.multispisok) == ("hello", 12.5, "Option 2", ["Option 1", "Option 3"])
        assert g.data == datetime.date(2024, 2, 29)
        assert g.adres == {"city": "Москва", "zip": "101000"}
        assert back.get_custom_field_value(SEED.CF_LEAD_SELECT, key="enum") == str(SEED.enum_id(SEED.CF_LEAD_SELECT, 2))

        g.tekst = None  # clearing a field
        g.spisok = None
        client.v2.leads.save(back)
        again: Any = mod.fields(client.v2.leads.get(lead.id))  # type: ignore[arg-type]
        assert (again.tekst, again.spisok, again.chislo) == (None, None, 12.5)

        contact = Contact(name="Pyotr")
        c: Any = mod.fields(contact)
        c.phone = [("+79990000001", "MOB"), ("+74950000002", "WORK")]
        c.email = [("p@example.com", "PRIV")]
        c.den_rozhdeniya = datetime.date(1990, 5, 17)
        c.istochnik = "Option 3"
        client.v2.contacts.save(contact)
        cb: Any = mod.fields(client.v2.contacts.get(contact.id))  # type: ignore[arg-type]
        assert cb.phone == [("+79990000001", "MOB"), ("+74950000002", "WORK")]
        assert cb.email == [("p@example.com", "PRIV")]
        assert (cb.den_rozhdeniya, cb.istochnik) == (datetime.date(1990, 5, 17), "Option 3")
    finally:
        client.close()


def test_bad_input_is_a_clear_error(generated: tuple[Path, Sandbox], tmp_path: Path) -> None:
    mod = _import(generated[0])
    f: Any = mod.fields(Lead())
    with pytest.raises(ValueError, match=r"200103: 'Nope' is not one of \['Option 1', 'Option 2', 'Option 3'\]"):
        f.spisok = "Nope"
    stale = Lead(custom_fields=[CustomField(
        id=SEED.CF_LEAD_SELECT, values=[CustomFieldValue(value="Option 9", enum="2001039")])])
    with pytest.raises(mod.StaleFieldsError, match="regenerate"):
        _ = mod.fields(stale).spisok
    with pytest.raises(TypeError, match="no custom fields generated for Note"):
        mod.fields(Note())

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")
    proc = _codegen("--account-json", str(bad), "-o", str(tmp_path / "x.py"), cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    proc = _codegen("--account-json", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.py"), cwd=tmp_path)
    assert proc.returncode == 2 and "cannot read" in proc.stderr
    no_cf = tmp_path / "nocf.json"
    no_cf.write_text('{"id": 1}', encoding="utf-8")
    proc = _codegen("--account-json", str(no_cf), "-o", str(tmp_path / "x.py"), cwd=tmp_path)
    assert proc.returncode == 2 and "with=custom_fields" in proc.stderr
    proc = _codegen("-o", str(tmp_path / "x.py"), cwd=tmp_path)
    assert proc.returncode == 2 and "--account-json" in proc.stderr
