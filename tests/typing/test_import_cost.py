"""``import amocrm`` and ``import amocrm.client`` stay cheap: models, resources and optional extras load lazily."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys, time
t0 = time.perf_counter(); import amocrm; t1 = time.perf_counter()
after_package = sorted(m for m in sys.modules if m.startswith("amocrm"))
import amocrm.client; t2 = time.perf_counter()
client = amocrm.AmoClient("acme")
heavy = ("click", "cryptography", "redis", "jinja2", "amocrm.sandbox", "amocrm.facade", "amocrm.webhooks",
         "amocrm.cli", "amocrm.v2.resources.leads", "amocrm.v2.models.lead", "amocrm.v4.resources.leads",
         "amocrm.v4.models.lead")
loaded = [m for m in heavy if m in sys.modules]
_ = client.leads
print(json.dumps({"package_ms": (t1 - t0) * 1000, "client_ms": (t2 - t1) * 1000, "after_package": after_package,
                  "heavy": loaded, "leads_loaded": "amocrm.v4.resources.leads" in sys.modules,
                  "v2_loaded": [m for m in sys.modules if m.startswith("amocrm.v2.resources")]}))
"""


def test_import_is_lazy() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    info = json.loads(proc.stdout)
    assert info["after_package"] == ["amocrm"]  # nothing but the package's own __init__
    assert info["heavy"] == []  # a client without extras never loads click, cryptography, redis, the sandbox
    assert info["leads_loaded"]  # ... and a resource's module loads on first use (client.leads: API v4, the default)
    assert info["v2_loaded"] == []  # ... without loading API v2's resources
    assert info["package_ms"] < 200 and info["client_ms"] < 2000  # generous bounds: catch regressions only


def test_all_is_a_literal_list_matching_the_lazy_exports() -> None:
    import amocrm

    # pyright reads __all__ only when it is a literal; the lazy loader reads _EXPORTS: they must agree
    assert sorted(amocrm.__all__) == sorted(amocrm._EXPORTS) and len(set(amocrm.__all__)) == len(amocrm.__all__)
