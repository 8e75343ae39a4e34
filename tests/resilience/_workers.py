"""Worker processes of the resilience tests: ``python _workers.py <command> <json-args>``.

Each worker logs everything under ``amocrm`` at DEBUG to ``args["log"]`` (the parent scans those
files for secrets), waits at the barrier (``<sync>/ready-<pid>`` then ``<sync>/go``, which holds the
common start time), does its part against a sandbox and prints one JSON line with its results.
Results never contain a secret: tokens are reported as short SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any


def digest(secret: str) -> str:
    """A short, stable, non-reversible name for a token (safe to print)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def setup_logging(path: str) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(created).3f %(levelname)s %(message)s"))
    logger = logging.getLogger("amocrm")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def barrier(sync: str) -> float:
    """Announce readiness, wait for ``go`` and return the common start time it holds."""
    folder = Path(sync)
    (folder / f"ready-{os.getpid()}").touch()
    go = folder / "go"
    while True:
        try:
            text = go.read_text()
        except FileNotFoundError:
            time.sleep(0.002)
            continue
        if text:
            return float(text)
        time.sleep(0.001)


def sleep_until(moment: float) -> None:
    while (left := moment - time.time()) > 0:
        time.sleep(left)


def describe(exc: BaseException) -> dict[str, str]:
    return {"type": type(exc).__name__, "message": str(exc), "repr": repr(exc)}


def oauth_storm(a: dict[str, Any]) -> None:
    """``n`` paced requests over ``duration`` seconds with OAuth2 tokens shared through one folder."""
    from amocrm.auth import OAuth2
    from amocrm.client import AmoClient
    from amocrm.errors import AmoError
    from amocrm.tokens import FileTokenStorage

    auth = OAuth2(a["client_id"], a["client_secret"], a["redirect_uri"], storage=FileTokenStorage(a["folder"]),
                  refresh_margin=a["margin"])
    client = AmoClient(a["subdomain"], base_url=a["base_url"], auth=auth, throttle=None, timeout=5)
    start = barrier(a["sync"])
    ok, errors = 0, []
    for i in range(a["n"]):
        sleep_until(start + i * a["duration"] / a["n"])
        try:
            body = client.request("GET", "/api/v2/leads", {"id": a["lead_id"]})
            assert body["_embedded"]["items"][0]["id"] == a["lead_id"]
            ok += 1
        except AmoError as exc:
            errors.append(describe(exc))
    print(json.dumps({"ok": ok, "errors": errors, "end": time.time()}))


def token_reader(a: dict[str, Any]) -> None:
    """Poll the token file until ``<sync>/stop`` exists; report every distinct state and every bad read."""
    path = Path(a["path"])
    stop = Path(a["sync"]) / "stop"
    Path(a["sync"], "reader-ready").touch()
    states: list[dict[str, Any]] = []
    reads = bad = missing = 0
    last: bytes | None = None
    while not stop.exists():
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            missing += 1
            continue
        reads += 1
        if raw != last:
            last = raw
            try:
                data = json.loads(raw)
                states.append({"access": digest(data["access_token"]), "refresh": digest(data["refresh_token"]),
                               "expires_at": data["expires_at"], "seen": time.time()})
            except (ValueError, KeyError, TypeError):
                bad += 1
        time.sleep(0.002)
    print(json.dumps({"reads": reads, "bad": bad, "missing": missing, "states": states}))


def throttled(a: dict[str, Any]) -> None:
    """``n`` back-to-back requests through a shared FileThrottle or RedisThrottle."""
    from amocrm.auth import LongLivedToken
    from amocrm.client import AmoClient
    from amocrm.errors import AmoError
    from amocrm.retry import NO_RETRY
    from amocrm.throttle import FileThrottle, RedisThrottle, Throttle

    throttle: Throttle = (
        FileThrottle(a["rate"], a["path"]) if a["kind"] == "file" else RedisThrottle(a["url"], a["rate"])
    )
    token = Path(a["token_file"]).read_text().strip()
    client = AmoClient(a["subdomain"], base_url=a["base_url"], auth=LongLivedToken(token), throttle=throttle,
                       retry=NO_RETRY, timeout=5)
    barrier(a["sync"])
    ok, errors, starts = 0, [], []
    for _ in range(a["n"]):
        try:
            starts.append(time.time())
            client.request("GET", "/api/v2/leads", {"id": a["lead_id"]})
            ok += 1
        except AmoError as exc:
            errors.append(describe(exc))
    print(json.dumps({"ok": ok, "errors": errors, "starts": starts}))


def updater(a: dict[str, Any]) -> None:
    """Get a lead and save it with a new name, ``n`` times; count ConflictErrors and anything else."""
    from amocrm.auth import LongLivedToken
    from amocrm.client import AmoClient, ClientConfig
    from amocrm.errors import AmoError, ConflictError
    from amocrm.locking import EntityLocker, FileLocker, NoLocker

    token = Path(a["token_file"]).read_text().strip()
    locker: EntityLocker = FileLocker(a["lock_dir"], attempts=400, wait=0.05) if a["lock_dir"] else NoLocker()
    client = AmoClient(a["subdomain"], base_url=a["base_url"], auth=LongLivedToken(token), throttle=None,
                       locker=locker, config=ClientConfig(lock_updates=bool(a["lock_dir"])), timeout=5)
    barrier(a["sync"])
    ok, conflicts, other = 0, [], []
    for i in range(a["n"]):
        try:
            lead = client.v2.leads.get(a["lead_id"])
            lead.name = f"worker {os.getpid()} update {i}"
            client.v2.leads.save(lead)
            ok += 1
        except ConflictError as exc:
            conflicts.append(describe(exc))
        except AmoError as exc:
            other.append(describe(exc))
    print(json.dumps({"ok": ok, "conflicts": conflicts, "other": other}))


COMMANDS = {"oauth-storm": oauth_storm, "token-reader": token_reader, "throttled": throttled, "updater": updater}

if __name__ == "__main__":
    args = json.loads(sys.argv[2])
    if args.get("log"):
        setup_logging(args["log"])
    COMMANDS[sys.argv[1]](args)
