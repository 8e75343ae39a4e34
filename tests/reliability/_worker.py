"""Worker process of the many-workers test: ``python _worker.py <json-args>``; one JSON line on stdout.

It does what a user's script does with the seed-style facade and nothing more: point
``AmoAPI.token_storage`` at a shared ``FileStorage`` folder, authorise from the stored tokens, and
read -- with every other setting left at its default.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main(a: dict[str, Any]) -> None:
    from amocrm.errors import AmoError
    from amocrm.facade import AmoAPI, FileStorage

    AmoAPI.token_storage = FileStorage(a["tokens"])
    AmoAPI.oauth2(a["subdomain"], base_url=a["base_url"])
    folder = Path(a["sync"])
    (folder / f"ready-{os.getpid()}").touch()
    while not (folder / "go").exists():
        time.sleep(0.002)
    ok, errors = 0, []
    for i in range(a["n"]):
        try:
            AmoAPI.get_leads({"id": a["lead_id"]}) if i % 2 else AmoAPI.get_account()
            ok += 1
        except AmoError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"ok": ok, "errors": errors}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
