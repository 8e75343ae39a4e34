"""Issue 4: 4 processes update the same lead 25 times each (get, change the name, save).

Without locking the stale-``updated_at`` refusal must reach the caller as a typed ConflictError.
With a shared FileLocker no ConflictError may reach the caller: updates send an ``updated_at``
newer than the version they hold, and under the lock a same-second refusal is resolved by re-reading
the stored ``updated_at`` once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amocrm.errors import ConflictError
from amocrm.locking import FileLocker
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for

from ._harness import collect, release, spawn
from .conftest import Guard

WORKERS = 4
UPDATES = 25


def run(sb: Sandbox, tmp_path: Path, guard: Guard, lock_dir: Path | None) -> list[dict[str, Any]]:
    sync = tmp_path / "sync"
    sync.mkdir()
    token_file = tmp_path / "token.secret"
    token_file.write_text(sb.issue_tokens(lifetime=3600)["access_token"])
    args = {"base_url": sb.base_url, "subdomain": sb.subdomain, "token_file": str(token_file), "n": UPDATES,
            "sync": str(sync), "lead_id": SEED.LEAD_FIRST, "lock_dir": str(lock_dir) if lock_dir else None}
    procs = [spawn("updater", {**args, "log": str(tmp_path / f"updater-{i}.log")}) for i in range(WORKERS)]
    release(sync, procs)
    results = collect(procs, timeout=90)
    for r in results:
        guard.note("worker result", r)
    assert [r["other"] for r in results] == [[]] * WORKERS  # nothing but conflicts may go wrong
    return results


@pytest.mark.slow
def test_without_locking_the_conflict_surfaces_as_conflict_error(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path, guard: Guard
) -> None:
    sb = make_sandbox(rate_limit=None)
    results = run(sb, tmp_path, guard, None)
    conflicts = [c for r in results for c in r["conflicts"]]
    assert conflicts, "four unlocked writers of one lead never conflicted"
    assert {c["type"] for c in conflicts} == {"ConflictError"}
    assert all(str(SEED.LEAD_FIRST) in c["message"] and "older than in database" in c["message"] for c in conflicts)
    assert sum(r["ok"] for r in results) + len(conflicts) == WORKERS * UPDATES
    print(f"\n[no lock] {len(conflicts)} of {WORKERS * UPDATES} updates refused as ConflictError")


@pytest.mark.slow
def test_with_file_locker_no_conflict_reaches_the_caller(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path, guard: Guard
) -> None:
    sb = make_sandbox(rate_limit=None)
    results = run(sb, tmp_path, guard, tmp_path / "locks")
    conflicts = sum(len(r["conflicts"]) for r in results)
    print(f"\n[file lock] {conflicts} of {WORKERS * UPDATES} updates refused as ConflictError")
    assert conflicts == 0
    assert sum(r["ok"] for r in results) == WORKERS * UPDATES
    assert list((tmp_path / "locks").iterdir()) == []  # every lock released and removed


def test_one_process_two_quick_locked_updates_succeed(make_sandbox: Callable[..., Sandbox], tmp_path: Path,
                                                      guard: Guard) -> None:
    """get-save, get-save of one lead in one process with locking on: both must succeed."""
    sb = make_sandbox(rate_limit=None)
    client = client_for(sb, locker=FileLocker(tmp_path / "locks"))
    outcomes = []
    for name in ("first", "second"):
        lead = client.v2.leads.get(SEED.LEAD_FIRST)
        lead.name = name
        try:
            client.v2.leads.save(lead)
            outcomes.append("ok")
        except ConflictError as exc:
            guard.exc(exc)
            outcomes.append("conflict")
    client.close()
    assert outcomes == ["ok", "ok"]
