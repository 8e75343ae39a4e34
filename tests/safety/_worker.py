"""Subprocess worker of the safety tests: ``python _worker.py <command> <json-args>``; JSON on stdout."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def barrier(sync: str) -> None:
    folder = Path(sync)
    (folder / f"ready-{os.getpid()}").touch()
    while not (folder / "go").exists():
        time.sleep(0.001)


def default_throttle(a: dict[str, Any]) -> None:
    """``n`` acquires through :func:`amocrm.throttle.default_throttle` (its default, per-user path)."""
    from amocrm.throttle import default_throttle

    throttle = default_throttle(a["rate"])
    barrier(a["sync"])
    starts = []
    for _ in range(a["n"]):
        throttle.acquire(a["key"])
        starts.append(time.time())
    print(json.dumps({"starts": starts, "path": str(throttle.path)}))


COMMANDS = {"default-throttle": default_throttle}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))
