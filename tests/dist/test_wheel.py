"""`make dist` output works on its own: build the sdist and the wheel, install the wheel into a fresh venv
and import the package from there (never from src/); the console script runs there, and `amocrm fields`
generates a typed custom-field module from the installed package alone (no checkout, no codegen/)."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

CHECK = """
import json, pathlib, amocrm, amocrm.models, amocrm.client
from amocrm.models import Lead
from amocrm.v2.models import Lead as V2Lead, lead as generated_lead
lead = Lead(name="x", price=1)
print(json.dumps({
    "amocrm": amocrm.__file__,
    "generated": generated_lead.__file__,
    "generated_is_link": pathlib.Path(generated_lead.__file__).parent.parent.is_symlink(),
    "py_typed": (pathlib.Path(amocrm.__file__).parent / "py.typed").is_file(),
    "lead": amocrm.models.to_write_item(lead),
    "v2_lead": amocrm.models.to_write_item(V2Lead(name="x", sale=1)),
    "client": amocrm.AmoClient.__module__,
}))
"""


def test_wheel_installs_and_imports_in_a_fresh_venv(tmp_path: Path) -> None:
    pytest.importorskip("build")
    started = time.monotonic()
    out = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
                           capture_output=True, text=True, timeout=120)
    if built.returncode != 0 and "Missing dependencies" in built.stdout + built.stderr:
        pytest.skip("setuptools>=69 and wheel are needed in this environment to build without isolation")
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [wheel] = out.glob("amocrm-*.whl")
    [sdist] = out.glob("amocrm-*.tar.gz")

    names = zipfile.ZipFile(wheel).namelist()
    assert "amocrm/py.typed" in names
    assert "amocrm/v2/models/lead.py" in names and "amocrm/v2/resources/leads.py" in names
    assert "amocrm/cli/__init__.py" in names and "amocrm/testing/pytest_plugin.py" in names
    assert "amocrm/fields/_generator.py" in names and "amocrm/auth/onboarding.py" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "amocrm = amocrm.cli:main" in entry_points and "amocrm = amocrm.testing.pytest_plugin" in entry_points
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
    assert "generated/v2/models/lead.py" in members or "src/amocrm/v2/models/lead.py" in members

    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=60)
    py = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, timeout=120, capture_output=True)
    # urllib3 and msgspec from this environment's site-packages, which holds no copy of amocrm itself
    deps = [p for p in site.getsitepackages() if (Path(p) / "msgspec").is_dir()]
    assert deps and not (Path(deps[0]) / "amocrm").exists()
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    (Path(purelib) / "zz_deps.pth").write_text(deps[0] + "\n", encoding="utf-8")

    run = subprocess.run([str(py), "-I", "-c", CHECK], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert run.returncode == 0, run.stderr
    info = json.loads(run.stdout)
    assert info["amocrm"].startswith(str(env_dir)) and info["generated"].startswith(str(env_dir))
    assert not info["generated_is_link"]  # real files in the wheel, not a link back to the repo
    assert info["py_typed"] and info["lead"] == {"name": "x", "price": 1} and info["client"] == "amocrm.client"
    assert info["v2_lead"] == {"name": "x", "sale": 1}
    assert str(REPO) not in run.stdout
    help_run = subprocess.run([str(env_dir / "bin" / "amocrm"), "--help"], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60)
    assert help_run.returncode == 0 and "export" in help_run.stdout and "fields" in help_run.stdout, help_run.stderr

    # `amocrm fields` from the wheel: the generator ships in the package (no codegen/ on the path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",) and not k.startswith("AMOCRM_")}
    fields_run = subprocess.run([str(env_dir / "bin" / "amocrm"), "fields", "--sandbox", "-o", "proj/amo_fields.py"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)
    assert fields_run.returncode == 0, fields_run.stderr
    assert fields_run.stderr.strip() == "wrote proj/amo_fields.py: 25 custom fields of leads, contacts, companies, customers"
    use = subprocess.run([str(py), "-I", "-c", USE_FIELDS], cwd=tmp_path / "proj", capture_output=True, text=True,
                         timeout=60, env=env)
    assert use.returncode == 0, use.stderr
    assert json.loads(use.stdout) == {"wire": [{"field_id": 200103, "values": [{"enum_id": 2001032}]}],
                                      "from": str(env_dir)}
    missing = subprocess.run([str(py), "-I", "-c", "import codegen"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60, env=env)
    assert missing.returncode != 0  # it really ran without the checkout's codegen package
    assert time.monotonic() - started < 60


USE_FIELDS = """
import json, sys
sys.path.insert(0, ".")
import amocrm
from amocrm.models import Lead, to_write_item
from amo_fields import fields
lead = Lead(name="x")
fields(lead).spisok = "Option 2"
print(json.dumps({"wire": to_write_item(lead)["custom_fields_values"], "from": amocrm.__file__.split("/lib/")[0]}))
"""
