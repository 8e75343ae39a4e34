"""Throttles: spacing between request starts across threads, processes and Redis; no burst after idling."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from pathlib import Path

import pytest
from _support import finish, spawn, wait_ready

from amocrm.errors import ConfigError
from amocrm.throttle import FileThrottle, LocalThrottle, NoThrottle, RedisThrottle

TOL = 0.002  # clock resolution and scheduling slack allowed below 1/rate


def gaps(starts: list[float]) -> list[float]:
    s = sorted(starts)
    return [b - a for a, b in zip(s, s[1:], strict=False)]


#: Starts are recorded after acquire() returns, so a worker descheduled in between records late and
#: the next gap looks short. Pairwise gaps therefore get a scheduling allowance; the strict check is
#: assert_schedule(), which late recording cannot fool.
SLACK = 0.35


def assert_schedule(starts: list[float], t0: float, rate: float) -> None:
    """The j-th start (in time order) is never before t0 + j/rate: no burst, whatever the noise.

    Every recorded start is at or after its reserved slot, and slots are 1/rate apart from the
    first, which is at or after t0; order statistics keep that relation.
    """
    for j, start in enumerate(sorted(starts)):
        assert start >= t0 + j / rate - TOL, (j, start - t0)


@pytest.mark.parametrize("rate", [0, -1, math.nan, math.inf, "7", True, None])
def test_rate_validated(rate: object) -> None:
    for cls in (LocalThrottle, FileThrottle):
        with pytest.raises(ConfigError, match="rate"):
            cls(rate)  # type: ignore[arg-type]


def test_local_threads_never_start_within_interval(caplog: pytest.LogCaptureFixture) -> None:
    rate = 50.0
    throttle = LocalThrottle(rate)
    starts: list[float] = []
    waits: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(8):
            waited = throttle.acquire("acme.amocrm.ru")
            now = time.monotonic()
            with lock:
                starts.append(now)
                waits.append(waited)

    caplog.set_level(logging.DEBUG, logger="amocrm")
    threads = [threading.Thread(target=work) for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 32
    assert_schedule(starts, t0, rate)
    assert min(gaps(starts)) >= (1 - SLACK) / rate
    assert time.monotonic() - t0 >= 31 / rate - TOL
    assert max(waits) >= 3 / rate - TOL  # four threads really queued behind each other
    assert any("THROTTLE (50) " in r.getMessage() for r in caplog.records)


def test_no_burst_after_a_pause() -> None:
    rate = 20.0
    throttle = LocalThrottle(rate)
    throttle.acquire("k")
    time.sleep(0.3)  # idle for 6 slots: none of them may be "saved up"
    starts = []
    t0 = time.monotonic()
    for _ in range(4):
        throttle.acquire("k")
        starts.append(time.monotonic())
    assert_schedule(starts, t0, rate)


def test_keys_are_independent_and_first_request_does_not_wait() -> None:
    throttle = LocalThrottle(2.0)
    assert throttle.acquire("a.amocrm.ru") < 0.01
    assert throttle.acquire("b.amocrm.ru") < 0.01  # another account: its own budget
    assert throttle.acquire("a.amocrm.ru") >= 0.5 - TOL
    assert NoThrottle().acquire("a.amocrm.ru") == 0.0


def run_processes(tmp_path: Path, count: int, n: int, extra: dict[str, object]) -> list[float]:
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [
        spawn(["throttle", json.dumps({"sync": str(sync), "n": n, "key": "acme.amocrm.ru", **extra})])
        for _ in range(count)
    ]
    wait_ready(sync, count, procs)
    return [t for out in finish(procs) for t in json.loads(out)]


def test_file_throttle_spacing_holds_across_four_processes(tmp_path: Path) -> None:
    rate = 25.0
    starts = run_processes(tmp_path, 4, 6, {"kind": "file", "rate": rate, "path": str(tmp_path / "t.json")})
    assert len(starts) == 24
    # Starts are recorded after acquire() returns, so a late wake-up can only shrink one gap a little.
    assert min(gaps(starts)) >= (1 - SLACK) / rate
    assert max(starts) - min(starts) >= 23 / rate - 0.01


def test_file_throttle_survives_a_corrupt_state_file(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(b"{garbage")
    throttle = FileThrottle(10.0, path)
    throttle.acquire("k")
    assert throttle.acquire("k") >= 0.1 - TOL
    assert "k" in json.loads(path.read_bytes())


@pytest.mark.redis
def test_redis_throttle_spacing_holds_across_two_processes(tmp_path: Path, redis_server: str) -> None:
    rate = 25.0
    starts = run_processes(tmp_path, 2, 10, {"kind": "redis", "rate": rate, "url": redis_server})
    assert len(starts) == 20
    assert min(gaps(starts)) >= (1 - SLACK) / rate
    assert max(starts) - min(starts) >= 19 / rate - 0.01


@pytest.mark.redis
def test_redis_throttle_threads(redis_server: str) -> None:
    throttle = RedisThrottle(redis_server, 40.0, prefix="thr-threads:")
    starts: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            throttle.acquire("k")
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(3)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 15
    assert_schedule(starts, t0, 40.0)
    assert min(gaps(starts)) >= (1 - SLACK) / 40.0
