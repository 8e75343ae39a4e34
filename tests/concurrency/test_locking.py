"""Entity lockers: exact counter under 4 processes, release on exceptions, LockError and proceed mode."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest
from _support import finish, spawn, wait_ready

from amocrm.errors import ConfigError, LockError
from amocrm.locking import FileLocker, NoLocker, RedisLocker, lock_file_name

KEY = "acme.amocrm.ru/lead/123"


def run_counter(tmp_path: Path, kind: str, procs: int, n: int, extra: dict[str, str]) -> int:
    sync = tmp_path / "sync"
    sync.mkdir()
    counter = tmp_path / "counter"
    counter.write_text("0")
    args = {"sync": str(sync), "counter": str(counter), "n": n, "key": KEY, "kind": kind, **extra}
    workers = [spawn(["lock-counter", json.dumps(args)]) for _ in range(procs)]
    wait_ready(sync, procs, workers)
    finish(workers, timeout=60)
    return int(counter.read_text())


def test_file_locker_four_processes_exact_total(tmp_path: Path) -> None:
    assert run_counter(tmp_path, "file", 4, 25, {"dir": str(tmp_path / "locks")}) == 100
    assert list((tmp_path / "locks").iterdir()) == []  # lock files removed safely after use


@pytest.mark.redis
def test_redis_locker_two_processes_exact_total(tmp_path: Path, redis_server: str) -> None:
    assert run_counter(tmp_path, "redis", 2, 25, {"url": redis_server}) == 50


def test_released_on_exception(tmp_path: Path) -> None:
    locker = FileLocker(tmp_path, attempts=1, wait=0)
    with pytest.raises(RuntimeError):
        with locker.lock(KEY):
            raise RuntimeError("the update failed")
    with FileLocker(tmp_path, attempts=1, wait=0).lock(KEY):  # would raise LockError if leaked
        pass


def test_two_lockers_in_one_process_exclude_each_other(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="amocrm")
    holder = FileLocker(tmp_path)
    other = FileLocker(tmp_path, attempts=3, wait=0.02)
    with holder.lock(KEY):
        started = time.monotonic()
        with pytest.raises(LockError) as info:
            with other.lock(KEY):
                pass
        assert time.monotonic() - started >= 2 * 0.02  # waited between attempts
    assert KEY in str(info.value) and "3 attempts" in str(info.value)
    messages = [r.getMessage() for r in caplog.records]
    assert sum(" #" in m and "LOCK " in m for m in messages) == 3
    assert any("attempts exceeded (3)" in m for m in messages)
    with other.lock(KEY):  # free again
        pass


def test_waiter_gets_the_lock_when_released(tmp_path: Path) -> None:
    locker = FileLocker(tmp_path, attempts=50, wait=0.02)
    order: list[str] = []
    held = threading.Event()

    def holder() -> None:
        with locker.lock(KEY):
            held.set()
            time.sleep(0.1)
            order.append("holder done")

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)
    with locker.lock(KEY):
        order.append("waiter in")
    t.join()
    assert order == ["holder done", "waiter in"]


def test_proceed_mode_runs_unlocked_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="amocrm")
    ran = []
    with FileLocker(tmp_path).lock(KEY):
        with FileLocker(tmp_path, attempts=2, wait=0.01, on_fail="proceed").lock(KEY):
            ran.append(True)
    assert ran == [True]
    assert any(r.levelno == logging.WARNING and "WITHOUT the lock" in r.getMessage() for r in caplog.records)


def test_keys_are_per_account_and_file_names_safe(tmp_path: Path) -> None:
    locker = FileLocker(tmp_path / "locks", attempts=1, wait=0)
    with locker.lock("a.amocrm.ru/lead/1"), locker.lock("b.amocrm.ru/lead/1"):
        pass  # the same id in two accounts: two locks (seed quirk 5 fixed)
    name = lock_file_name("../../etc/passwd")
    assert "/" not in name and not name.startswith(".")
    assert lock_file_name("a/b") != lock_file_name("a_b")
    with locker.lock("../../outside"):
        assert [p.parent for p in (tmp_path / "locks").iterdir()] == [tmp_path / "locks"]


@pytest.mark.parametrize(
    "kwargs",
    [{"attempts": 0}, {"attempts": 1.5}, {"wait": -1}, {"wait": float("nan")}, {"on_fail": "ignore"}],
)
def test_config_validated(tmp_path: Path, kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FileLocker(tmp_path, **kwargs)  # type: ignore[arg-type]


def test_empty_key_rejected(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="key"):
        with FileLocker(tmp_path).lock(""):
            pass
    with NoLocker().lock(KEY):
        pass


@pytest.mark.redis
def test_redis_locker_lock_error_and_release(redis_server: str) -> None:
    a = RedisLocker(redis_server, attempts=1, wait=0, prefix="lk:")
    b = RedisLocker(redis_server, attempts=2, wait=0.01, prefix="lk:")
    with a.lock(KEY):
        with pytest.raises(LockError, match="2 attempts"):
            with b.lock(KEY):
                pass
    with pytest.raises(ValueError):
        with b.lock(KEY):
            raise ValueError("boom")
    with a.lock(KEY):  # released after the exception
        pass
