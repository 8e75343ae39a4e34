"""Request-rate limits per account: in one process, across processes on one host, or via Redis.

All throttles space request *starts* at least ``1/rate`` seconds apart per key (the account
domain). Each caller atomically reserves the next free slot ``max(now, last + 1/rate)`` and then
sleeps, outside any lock, until that slot: waiters queue fairly, and an idle period never turns
into a burst (there is no bucket to refill).

:func:`default_throttle` is the limit for programs that run several processes on one machine: a
:class:`FileThrottle` in this user's private folder, shared by all of them.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from amocrm import _fs, _logging
from amocrm._poll import seconds_arg
from amocrm._redisutil import redis_client
from amocrm.errors import ConfigError

__all__ = [
    "FileThrottle",
    "LocalThrottle",
    "NoThrottle",
    "RedisThrottle",
    "Throttle",
    "default_throttle",
    "default_throttle_path",
    "validate_rate",
]

#: The state file of :func:`default_throttle`, inside ``<tmp>/amocrm-<uid>/throttle``.
_DEFAULT_NAME = "throttle.json"


@runtime_checkable
class Throttle(Protocol):
    def acquire(self, key: str) -> float:
        """Block until a request for account ``key`` may start; return the seconds waited."""
        ...


def validate_rate(rate: float) -> float:
    """``rate`` as a float, or :class:`ConfigError` unless it is a finite number > 0."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
        raise ConfigError(f"throttle rate must be a finite number of requests per second > 0, got {rate!r}")
    return float(rate)


def _sleep_until(slot: float, clock: Callable[[], float]) -> None:
    """Sleep until ``clock() >= slot``; re-checks because ``time.sleep`` may return early."""
    while True:
        left = slot - clock()
        if left <= 0:
            return
        time.sleep(left)


class NoThrottle:
    """No limit at all (tests, or when something else limits the rate)."""

    def acquire(self, key: str) -> float:
        return 0.0


class LocalThrottle:
    """Thread-safe spacing within one process (the seed's ``AmoAPI::$throttle``, per account)."""

    def __init__(self, rate: float = 7.0) -> None:
        self.rate: float = validate_rate(rate)
        self.interval: float = 1.0 / self.rate
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def acquire(self, key: str) -> float:
        start = time.monotonic()
        with self._lock:
            now = time.monotonic()
            last = self._last.get(key)
            slot = now if last is None else max(now, last + self.interval)
            self._last[key] = slot
        _sleep_until(slot, time.monotonic)
        waited = time.monotonic() - start
        if slot > now:
            _logging.log_throttle(None, waited, self.rate, key)
        return waited


def default_throttle_path() -> Path:
    """``<tmp>/amocrm-<uid>/throttle/throttle.json``: the state file every process of this user shares.

    The folders are private (0700) and checked: one that exists but belongs to another user, or is
    a symbolic link, raises :class:`ConfigError`; one of this user open to others is tightened.
    """
    return _fs.private_folder("throttle", ConfigError) / _DEFAULT_NAME


def default_throttle(rate: float = 7.0) -> FileThrottle:
    """The throttle for programs with many processes on one machine: at most ``rate`` requests/s per account.

    A :class:`FileThrottle` on :func:`default_throttle_path`, so every process of this user on this
    machine (web workers, cron jobs, consumers) shares one budget per account domain without any
    configuration. Workers on several machines need :class:`RedisThrottle` instead; workers running
    as different users need one explicit ``FileThrottle(rate, path)`` in a folder they can all use,
    or Redis.
    """
    return FileThrottle(rate)


class FileThrottle:
    """Spacing shared by every process on this host through one small JSON file.

    The file maps each key (account domain) to its last reserved slot (``time.time``, since
    processes share it) and is read and rewritten under ``fcntl.LOCK_EX``. A slot more than
    ``max_ahead`` seconds in the future is taken for a wall-clock jump back and reset, so a clock
    change cannot stall callers. ``path`` defaults to :func:`default_throttle_path`. The file is
    opened without following symbolic links and must be a regular file of this user with one link
    (else :class:`ConfigError` naming the path); a missing file is created 0600, a missing folder
    0700. The default path is resolved and checked on first use.
    """

    def __init__(self, rate: float = 7.0, path: str | os.PathLike[str] | None = None, *, max_ahead: float = 600.0) -> None:
        self.rate: float = validate_rate(rate)
        self.interval: float = 1.0 / self.rate
        self.max_ahead: float = seconds_arg("FileThrottle max_ahead", max_ahead)
        self._path: Path | None = None
        if path is None:
            return
        if isinstance(path, str) and not path.strip():
            raise ConfigError("FileThrottle path must be a non-empty path")
        if not isinstance(path, (str, os.PathLike)):
            raise ConfigError(f"FileThrottle path must be a path (str or os.PathLike), got {type(path).__name__}")
        try:
            self._path = Path(path)
        except TypeError:  # an os.PathLike[bytes]
            raise ConfigError("FileThrottle path must be a str path or an os.PathLike[str]") from None
        _fs.ensure_folder(self._path.parent, ConfigError, "throttle folder")

    @property
    def path(self) -> Path:
        """The state file (the default one's folders are created and checked on first access)."""
        if self._path is None:
            self._path = default_throttle_path()
        return self._path

    def acquire(self, key: str) -> float:
        start = time.time()
        slot, now = self._reserve(key)
        _sleep_until(slot, time.time)
        waited = max(0.0, time.time() - start)
        if slot > now:
            _logging.log_throttle(None, waited, self.rate, key)
        return waited

    def _reserve(self, key: str) -> tuple[float, float]:
        fd = _fs.open_shared_file(self.path, ConfigError, "throttle state file")
        try:
            _fs.lock(fd)
            state = _read_state(fd, self.path)
            now = time.time()
            last = state.get(key)
            if last is not None and last - now > self.max_ahead:
                _logging.warning("THROTTLE %s: stored slot %.1fs ahead, clock jumped; reset", self.path, last - now)
                last = None
            slot = now if last is None else max(now, last + self.interval)
            state = {k: v for k, v in state.items() if v > now - 60.0}
            state[key] = slot
            data = json.dumps(state).encode()
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            return slot, now
        finally:
            os.close(fd)  # drops the flock


def _read_state(fd: int, path: Path) -> dict[str, float]:
    chunks = []
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        return {}
    try:
        loaded = json.loads(raw)
        return {str(k): float(v) for k, v in loaded.items()}
    except (ValueError, TypeError, AttributeError):
        # Only a crash mid-write can leave this; the next write repairs it.
        _logging.warning("THROTTLE %s: unreadable state (%d bytes) replaced", path, len(raw))
        return {}


# KEYS[1] = key; ARGV[1] = interval (microseconds), ARGV[2] = key TTL (ms).
# Returns the microseconds the caller must wait. Uses the server's clock (TIME).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]))
local slot = now
if last ~= nil and last + interval > now then slot = last + interval end
redis.call('SET', KEYS[1], string.format('%.0f', slot), 'PX', tonumber(ARGV[2]))
return slot - now
"""


class RedisThrottle:
    """Spacing shared by every process and host that uses the same Redis (server ``TIME`` clock)."""

    def __init__(self, client_or_url: Any, rate: float = 7.0, prefix: str = "amocrm:throttle:") -> None:
        self.rate: float = validate_rate(rate)
        self.interval: float = 1.0 / self.rate
        if not isinstance(prefix, str):
            raise ConfigError(f"RedisThrottle prefix must be a string, got {type(prefix).__name__}")
        self.redis: Any = redis_client(client_or_url, what="RedisThrottle client_or_url")
        self.prefix = prefix
        self._script: Any = None
        self._script_lock = threading.Lock()

    def acquire(self, key: str) -> float:
        start = time.monotonic()
        with self._script_lock:
            if self._script is None:
                self._script = self.redis.register_script(_RESERVE)
            script = self._script
        ttl_ms = max(60_000, int(self.interval * 1000 * 10))
        wait_us = int(script(keys=[self.prefix + key], args=[int(self.interval * 1_000_000), ttl_ms]))
        if wait_us > 0:
            # Counted from the reply: the server's "now" was earlier, so this never sleeps too little.
            _sleep_until(time.monotonic() + wait_us / 1_000_000, time.monotonic)
        waited = time.monotonic() - start
        if wait_us > 0:
            _logging.log_throttle(None, waited, self.rate, key)
        return waited
