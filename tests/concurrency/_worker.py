"""Subprocess worker for the concurrency tests: ``python _worker.py <command> <json-args>``.

Workers that race each other write ``<sync>/ready-<pid>`` and spin until ``<sync>/go`` exists,
so they all start together; results go to stdout as JSON.
"""

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


def save_loop(a: dict[str, Any]) -> None:
    from amocrm.tokens import FileTokenStorage, Tokens

    storage = FileTokenStorage(a["folder"])
    i = 0
    while a["count"] < 0 or i < a["count"]:
        i += 1
        storage.save(
            a["domain"],
            # few distinct secrets (each is registered for redaction), but a new size and value each time
            Tokens(access_token=f"access-{i % 7}-" + "x" * (i % 7 * 97), refresh_token=f"refresh-{i % 7}", expires_at=i),
        )
        if i == 1:
            Path(a["folder"], "started").touch()
    print(json.dumps({"saved": i}))


def throttle(a: dict[str, Any]) -> None:
    from amocrm.throttle import FileThrottle, RedisThrottle, Throttle

    t: Throttle = FileThrottle(a["rate"], a["path"]) if a["kind"] == "file" else RedisThrottle(a["url"], a["rate"])
    barrier(a["sync"])
    starts = []
    for _ in range(a["n"]):
        t.acquire(a["key"])
        starts.append(time.time())
    print(json.dumps(starts))


def lock_counter(a: dict[str, Any]) -> None:
    from amocrm.locking import FileLocker, RedisLocker

    locker = (
        FileLocker(a["dir"], attempts=5000, wait=0.01)
        if a["kind"] == "file"
        else RedisLocker(a["url"], attempts=5000, wait=0.01)
    )
    counter = Path(a["counter"])
    barrier(a["sync"])
    for _ in range(a["n"]):
        with locker.lock(a["key"]):
            value = int(counter.read_text() or "0")
            time.sleep(0.001)  # without the lock, increments would be lost here
            counter.write_text(str(value + 1))
    print(json.dumps({"done": a["n"]}))


def oauth_refresh(a: dict[str, Any]) -> None:
    from _support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, UrllibContext

    from amocrm.auth import OAuth2
    from amocrm.tokens import FileTokenStorage

    auth = OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, storage=FileTokenStorage(a["folder"]))
    ctx = UrllibContext(a["domain"], a["base_url"])
    barrier(a["sync"])
    ok = auth.refresh(ctx, {"Authorization": f"Bearer {a['stale']}"})
    print(json.dumps({"ok": ok, "headers": dict(auth.headers(ctx))}))


COMMANDS = {"save-loop": save_loop, "throttle": throttle, "lock-counter": lock_counter, "oauth-refresh": oauth_refresh}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](json.loads(sys.argv[2]))
