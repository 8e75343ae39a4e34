"""``python -m codegen account --version v4``: read the v4 field definitions (every page) of a sandbox
with fields of every type added, generate the module, type-check it (mypy --strict and pyright
strict), import it and round-trip values through the sandbox.

The module is generated for the test-only v4 models of tests/models_v4/fx_v4_package.py
(``--models myproject.v4models``, a module re-exporting them as Lead, Contact, Company, Customer):
the v4 entities of spec/v4 are written elsewhere. Once ``amocrm.v4.models`` has them, the last test
also generates for the default ``--models``.
"""

from __future__ import annotations

import datetime
import importlib
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

from amocrm.client import AmoClient
from amocrm.lib.v4.fields import ChainedListValue, Choice, LegalEntity
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from codegen.account import fetch_v4_definitions, field_specs_v4, load_v4_definitions, main, render_module_v4

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "tests" / "models_v4"))
import fx_v4_package as fx  # noqa: E402

UTC = datetime.timezone.utc
EXTRA = [
    {"name": "Согласие", "type": "checkbox"},
    {"name": "Встреча", "type": "date_time"},
    {"name": "Юбилей", "type": "birthday"},
    {"name": "Сайт", "type": "url", "code": "SITE"},
    {"name": "Заметки", "type": "textarea"},
    {"name": "Канал", "type": "radiobutton", "enums": [{"value": "B2B"}, {"value": "B2C"}]},
    {"name": "Реквизиты", "type": "legal_entity"},
    {"name": "Выручка", "type": "monetary", "currency": "USD"},
    {"name": "Линейка", "type": "chained_list", "chained_lists": [{"catalog_id": SEED.CATALOG_PRODUCTS}]},
    {"name": "Договор", "type": "file"},
    {"name": "Улица", "type": "streetaddress"},
    {"name": "Текст", "type": "text"},  # the same name as a seeded field: both get their id appended
]
MODELS = """\
from amocrm_fx_v4_fields_pkg.v4.models import FxCompany as Company
from amocrm_fx_v4_fields_pkg.v4.models import FxContact as Contact
from amocrm_fx_v4_fields_pkg.v4.models import FxCustomer as Customer
from amocrm_fx_v4_fields_pkg.v4.models import FxLead as Lead

__all__ = ["Company", "Contact", "Customer", "Lead"]
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    fx.build()
    with Sandbox(rate_limit=None) as sb:
        client = client_for(sb)
        client.request("POST", "/api/v4/leads/custom_fields", json=EXTRA)
        client.close()
        yield sb


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[AmoClient]:
    c = client_for(sandbox)
    yield c
    c.close()


@pytest.fixture(scope="module")
def generated(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module generated through AmoClient (--base-url + --token) for the test models."""
    proj = tmp_path_factory.mktemp("proj4")
    out = proj / "myproject" / "amo_fields.py"
    out.parent.mkdir()
    (out.parent / "__init__.py").write_text("", encoding="utf-8")
    (out.parent / "v4models.py").write_text(MODELS, encoding="utf-8")
    token = sandbox.issue_tokens(lifetime=3600)["access_token"]
    assert main(["--version", "v4", "--base-url", sandbox.base_url, "--subdomain", sandbox.subdomain,
                 "--token", token, "--models", "myproject.v4models", "-o", str(out)]) == 0
    return out


def _import(path: Path) -> ModuleType:
    sys.path.insert(0, str(path.parent.parent))
    try:
        importlib.import_module("myproject.v4models")
        spec = importlib.util.spec_from_file_location(f"amo_fields_v4_{abs(hash(path))}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(path.parent.parent))


def test_definitions_are_read_page_by_page(client: AmoClient) -> None:
    calls: list[tuple[str, Any]] = []

    def get(path: str, query: Any) -> Any:
        calls.append((path, dict(query)))
        return client.request("GET", path, query)

    defs = fetch_v4_definitions(get, ("leads", "contacts"), page_size=4)
    assert len(defs["leads"]) == 6 + len(EXTRA) and len(defs["contacts"]) == 7
    assert [q["page"] for p, q in calls if p == "/api/v4/leads/custom_fields"] == [1, 2, 3, 4, 5]
    assert {f["entity_type"] for f in defs["leads"]} == {"leads"}
    assert len({f["id"] for f in defs["leads"]}) == len(defs["leads"])


def test_saved_json_in_every_form_gives_the_same_module(client: AmoClient, generated: Path, tmp_path: Path) -> None:
    pages = {kind: client.request("GET", f"/api/v4/{kind}/custom_fields", {"limit": 50})
             for kind in ("leads", "contacts", "companies", "customers")}
    flat = [f for page in pages.values() for f in page["_embedded"]["custom_fields"]]
    body = generated.read_text(encoding="utf-8").split("\n", 1)[1]
    for i, form in enumerate([pages, list(pages.values()), flat, {k: [v] for k, v in pages.items()}]):
        saved = tmp_path / f"fields{i}.json"
        saved.write_text(json.dumps(form), encoding="utf-8")
        again = tmp_path / f"again{i}.py"
        assert main(["--version", "v4", "--fields-json", str(saved), "--models", "myproject.v4models",
                     "-o", str(again)]) == 0
        assert again.read_text(encoding="utf-8").split("\n", 1)[1] == body, i
    specs = field_specs_v4(load_v4_definitions(json.dumps(flat).encode(), "x"))
    assert render_module_v4(specs, "x") == render_module_v4(specs, "x")
    leads = {s.attr: s for s in specs["leads"]}
    assert {"tekst_200100", "soglasie", "site", "vstrecha"} <= set(leads)  # codes first, then names
    assert sum(attr.startswith("tekst_") for attr in leads) == 2  # a shared name: each gets its field id
    assert leads["site"].type_code == "url" and leads["kanal"].enums[0][1] == "B2B"


def test_generated_module_passes_mypy_and_pyright_strict_and_catches_misuse(generated: Path) -> None:
    usage = generated.parent / "use_fields.py"
    usage.write_text(
        "import datetime\n"
        "from myproject.v4models import Contact, Lead\n"
        "from myproject.amo_fields import fields\n"
        "f = fields(Lead(name='x'))\n"
        "f.spisok = 'Option 2'\n"
        "n: int | float | None = f.chislo\n"
        "when: datetime.datetime | None = f.vstrecha\n"
        "f.soglasie = True\n"
        "c = fields(Contact())\n"
        "c.phone = [('+7999', 'MOB')]\n"
        "f.spisok = 'Nope'  # E: not one of the enum labels\n"
        "f.chislo = 'ten'  # E: not a number\n"
        "f.no_such_field  # E: unknown attribute\n"
        "c.phone = [('+7999', 'CELL')]  # E: not a phone code\n"
        "f.rekvizity = {'name': 'x'}  # E: needs the LegalEntity builder\n",
        encoding="utf-8",
    )
    root = fx.build()[1]
    env = {**os.environ, "MYPYPATH": os.pathsep.join([str(REPO / "src"), str(root)])}
    proc = subprocess.run([str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           "--follow-imports", "silent", str(generated), str(usage)],
                          cwd=generated.parent.parent, env=env, capture_output=True, text=True, timeout=120)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert all("use_fields.py" in line for line in errors), proc.stdout
    assert sorted({int(line.split(":")[1]) for line in errors}) == [11, 12, 13, 14, 15], proc.stdout
    config = generated.parent.parent / "pyrightconfig.json"
    config.write_text(json.dumps({"typeCheckingMode": "strict", "extraPaths": [str(REPO / "src"), str(root)],
                                  "pythonVersion": "3.10"}), encoding="utf-8")
    proc = subprocess.run([str(BIN / "pyright"), "--outputjson", str(generated)], cwd=generated.parent.parent,
                          env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    assert report["summary"]["errorCount"] == 0, [d["message"] for d in report["generalDiagnostics"]]
    ruff = subprocess.run([str(BIN / "ruff"), "check", "--select", "F,E,W,I", "--line-length", "200", str(generated)],
                          capture_output=True, text=True, timeout=60)
    assert ruff.returncode == 0, ruff.stdout


def test_round_trip_through_the_sandbox(generated: Path, client: AmoClient) -> None:
    mod = _import(generated)
    models = fx.models()
    leads = fx.v4(client).fx_leads
    lead = models.FxLead(name="typed v4 fields")
    f: Any = mod.fields(lead)
    when = datetime.datetime(2024, 2, 29, 10, 30, tzinfo=UTC)
    f.tekst_200100 = "hello"
    f.chislo = 12.5
    f.spisok = "Option 2"
    f.multispisok = ["Option 1", "Option 3"]
    f.data = datetime.date(2024, 2, 29)
    f.adres = {"city": "Москва", "zip": "101000"}
    f.soglasie = True
    f.vstrecha = when
    f.site = "https://example.com"
    f.kanal = "B2C"
    f.rekvizity = LegalEntity("ООО Ромашка", entity_type=2)
    f.vyruchka = 99
    f.lineyka = (SEED.CATALOG_PRODUCTS, SEED.ELEMENT_PEN)
    leads.save(lead)
    back = leads.get(lead.id)
    g: Any = mod.fields(back)
    assert (g.tekst_200100, g.chislo, g.spisok, g.multispisok) == ("hello", 12.5, "Option 2", ["Option 1", "Option 3"])
    assert g.data == datetime.datetime(2024, 2, 29, tzinfo=UTC) and g.vstrecha == when
    assert g.adres == {"city": "Москва", "zip": "101000"} and g.soglasie is True
    assert (g.site, g.kanal, g.vyruchka) == ("https://example.com", "B2C", 99)
    assert g.rekvizity == {"name": "ООО Ромашка", "entity_type": 2}
    assert g.lineyka == ChainedListValue(SEED.CATALOG_PRODUCTS, SEED.ELEMENT_PEN)
    assert back.get_value(SEED.CF_LEAD_SELECT) == Choice("Option 2", SEED.enum_id(SEED.CF_LEAD_SELECT, 2))
    assert (g.tekst_200100 is not None, g.zametki, g.multispisok) == (True, None, ["Option 1", "Option 3"])

    g.tekst_200100 = None  # clearing fields; the next save sends only these two entries
    g.spisok = None
    g.multispisok = []
    leads.save(back)
    again: Any = mod.fields(leads.get(lead.id))
    assert (again.tekst_200100, again.spisok, again.multispisok, again.chislo) == (None, None, [], 12.5)
    assert again.adres == {"city": "Москва", "zip": "101000"}

    contacts = fx.v4(client).fx_contacts
    contact = models.FxContact(name="Пётр")
    c: Any = mod.fields(contact)
    c.phone = [("+79990000001", "MOB"), ("+74950000002", "WORK")]
    c.email = [("p@example.com", "PRIV")]
    c.den_rozhdeniya = datetime.date(1990, 5, 17)
    c.istochnik = "Option 3"
    contacts.save(contact)
    cb: Any = mod.fields(contacts.get(contact.id))
    assert cb.phone == [("+79990000001", "MOB"), ("+74950000002", "WORK")]
    assert cb.email == [("p@example.com", "PRIV")]
    assert (cb.den_rozhdeniya, cb.istochnik) == (datetime.datetime(1990, 5, 17, tzinfo=UTC), "Option 3")


def test_bad_input_and_stale_modules_are_clear_errors(generated: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    mod = _import(generated)
    models = fx.models()
    f: Any = mod.fields(models.FxLead())
    with pytest.raises(ValueError, match=r"200103: 'Nope' is not one of \['Option 1', 'Option 2', 'Option 3'\]"):
        f.spisok = "Nope"
    stale = models.FxLead(custom_fields_values=[models.FieldValues(
        field_id=SEED.CF_LEAD_SELECT, field_type="select", values=[models.FieldValue(value="Option 9", enum_id=9)])])
    with pytest.raises(mod.StaleFieldsError, match="regenerate"):
        _ = mod.fields(stale).spisok
    with pytest.raises(TypeError, match="no custom fields generated for int"):
        mod.fields(5)

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().err

    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")
    code, err = run("--version", "v4", "--fields-json", str(bad), "-o", str(tmp_path / "x.py"))
    assert code == 2 and err.startswith("error: ") and "not JSON" in err
    empty = tmp_path / "empty.json"
    empty.write_text('{"leads": []}', encoding="utf-8")
    code, err = run("--version", "v4", "--fields-json", str(empty), "-o", str(tmp_path / "x.py"))
    assert code == 2 and "no custom field definitions" in err
    page = tmp_path / "page.json"
    page.write_text('{"_embedded": {}}', encoding="utf-8")
    code, err = run("--version", "v4", "--fields-json", str(page), "-o", str(tmp_path / "x.py"))
    assert code == 2 and "without _embedded.custom_fields" in err
    with pytest.raises(SystemExit):
        main(["--version", "v2", "--models", "x", "--sandbox", "-o", str(tmp_path / "x.py")])
    assert "--models is for --version v4" in capsys.readouterr().err


def test_sandbox_source_and_the_default_models(tmp_path: Path) -> None:
    out = tmp_path / "seeded.py"
    assert main(["--version", "v4", "--sandbox", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "from amocrm.v4.models import Company, Contact, Customer, Lead" in text
    assert "def phone(self) -> list[tuple[str, _CONTACT_PHONE_LABELS]]:" in text
    v4_models = importlib.import_module("amocrm.v4.models")
    if not all(hasattr(v4_models, name) for name in ("Lead", "Contact", "Company", "Customer")):
        pytest.skip("amocrm.v4.models has no Lead/Contact/Company/Customer yet (spec/v4 entities pending)")
    env = {**os.environ, "MYPYPATH": str(REPO / "src")}
    proc = subprocess.run([str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", os.devnull,
                           "--follow-imports", "silent", str(out)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout
