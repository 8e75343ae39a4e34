"""Entity locks: serialise updates of one entity (``"acme.amocrm.ru/lead/123"``) across processes.

amoCRM refuses an update whose ``updated_at`` is older than the stored one, so two workers updating
the same lead collide. A locker makes them take turns. Unlike the seed, a lock is released on every
path (exceptions included), its key includes the account, and running out of attempts raises
:class:`LockError` unless ``on_fail="proceed"`` asks for the seed's unlocked fallback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import math
import os
import re
import secrets
import tempfile
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from amocrm import _logging
from amocrm.errors import ConfigError, LockError
from amocrm.tokens import redis_client, redis_errors

__all__ = ["EntityLocker", "FileLocker", "NoLocker", "RedisLocker", "lock_file_name"]

OnFail = Literal["raise", "proceed"]

#: Where :class:`FileLocker` keeps its lock files unless told otherwise.
DEFAULT_LOCK_DIR = Path(tempfile.gettempdir()) / "amocrm-locks"

_POLL = 0.02  # how often a waiting locker re-tries within one attempt's wait
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@runtime_checkable
class EntityLocker(Protocol):
    def lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Hold the lock of ``key`` (``"<domain>/<entity>/<id>"``) for the ``with`` block."""
        ...


def _check(attempts: int, wait: float, on_fail: str) -> None:
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ConfigError(f"lock attempts must be an integer >= 1, got {attempts!r}")
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not math.isfinite(wait) or wait < 0:
        raise ConfigError(f"lock wait must be a finite number of seconds >= 0, got {wait!r}")
    if on_fail not in ("raise", "proceed"):
        raise ConfigError(f"on_fail must be 'raise' or 'proceed', got {on_fail!r}")


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key:
        raise ConfigError(f"lock key must be a non-empty string, got {key!r}")


def lock_file_name(key: str) -> str:
    """A safe, unique file name for ``key``: readable part + hash (``acme.amocrm.ru_lead_1.3f2a….lock``)."""
    readable = _UNSAFE.sub("_", key).strip("._")[:80] or "key"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{readable}.{digest}.lock"


class NoLocker:
    """No locking (the default: most programs never update one entity from two workers)."""

    @contextlib.contextmanager
    def lock(self, key: str) -> Generator[None, None, None]:
        yield


class _Attempts:
    """The shared retry loop: ``attempts`` windows of ``wait`` seconds, polled every 20 ms."""

    def __init__(self, attempts: int, wait: float, on_fail: OnFail) -> None:
        _check(attempts, wait, on_fail)
        self.attempts = attempts
        self.wait = float(wait)
        self.on_fail: OnFail = on_fail

    def acquire(self, key: str, name: str, try_once: Any) -> bool:
        """Call ``try_once()`` until True; False (after logging) when ``on_fail="proceed"`` gives up."""
        start = time.monotonic()
        for attempt in range(1, self.attempts + 1):
            window_end = start + attempt * self.wait
            if try_once():
                return True
            _logging.log_lock(name, attempt, self.wait)
            if attempt == self.attempts:
                break
            while (left := window_end - time.monotonic()) > 0:
                time.sleep(min(_POLL, left))
                if try_once():
                    return True
        proceeding = self.on_fail == "proceed"
        _logging.log_lock_exceeded(name, self.attempts, proceeding=proceeding)
        if proceeding:
            return False
        raise LockError(
            f"could not lock {key!r}: still held by another worker after {self.attempts} attempts "
            f"{self.wait:g}s apart"
        )


class FileLocker:
    """``fcntl.flock`` on one file per key in ``directory``; works across processes on one host.

    flock belongs to an open file description, so two lockers (or threads) in one process exclude
    each other too. The file is removed while still locked, and a locker that wins a file that was
    removed meanwhile (checked by inode) starts over, so unlinking never lets two holders in.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] = DEFAULT_LOCK_DIR,
        attempts: int = 10,
        wait: float = 1.0,
        on_fail: OnFail = "raise",
    ) -> None:
        self._loop = _Attempts(attempts, wait, on_fail)
        self.directory: Path = Path(directory)
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the lock directory {self.directory}: {exc.strerror}") from None

    @property
    def attempts(self) -> int:
        return self._loop.attempts

    @property
    def wait(self) -> float:
        return self._loop.wait

    def path(self, key: str) -> Path:
        return self.directory / lock_file_name(key)

    @contextlib.contextmanager
    def lock(self, key: str) -> Generator[None, None, None]:
        _check_key(key)
        path = self.path(key)
        held: list[int] = []

        def try_once() -> bool:
            while True:
                try:
                    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                except OSError as exc:
                    raise LockError(f"cannot open the lock file of {key!r} ({path}): {exc.strerror}") from None
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    os.close(fd)
                    if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        return False
                    raise LockError(f"cannot lock {key!r} ({path}): {exc.strerror}") from None
                try:
                    same = os.stat(path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if same:
                    held.append(fd)
                    return True
                os.close(fd)  # the holder we waited for removed this file: lock the new one

        locked = self._loop.acquire(key, path.name, try_once)
        try:
            yield
        finally:
            if locked:
                fd = held.pop()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)  # still holding the lock: nobody can be inside on this inode
                os.close(fd)  # closing releases the flock


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisLocker:
    """``SET key token NX PX ttl`` per entity, released only by its owner; works across hosts.

    ``ttl`` bounds how long a crashed holder blocks others; keep it above the longest update.
    """

    def __init__(
        self,
        client_or_url: Any,
        attempts: int = 10,
        wait: float = 1.0,
        ttl: float = 30.0,
        on_fail: OnFail = "raise",
        prefix: str = "amocrm:lock:",
    ) -> None:
        self._loop = _Attempts(attempts, wait, on_fail)
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not math.isfinite(ttl) or ttl <= 0:
            raise ConfigError(f"lock ttl must be a finite number of seconds > 0, got {ttl!r}")
        self.ttl: float = float(ttl)
        self.redis: Any = redis_client(client_or_url)
        self.prefix = prefix
        self._errors = redis_errors()

    @contextlib.contextmanager
    def lock(self, key: str) -> Generator[None, None, None]:
        _check_key(key)
        name = self.prefix + key
        token = secrets.token_hex(16)

        def try_once() -> bool:
            try:
                return bool(self.redis.set(name, token, nx=True, px=int(self.ttl * 1000)))
            except self._errors as exc:
                raise LockError(f"cannot lock {key!r}: Redis failed: {type(exc).__name__}: {exc}") from None

        locked = self._loop.acquire(key, name, try_once)
        try:
            yield
        finally:
            if locked:
                try:
                    released = self.redis.eval(_RELEASE, 1, name, token)
                except self._errors as exc:
                    _logging.warning("LOCK %s: release failed (%s); it expires in %gs", name, exc, self.ttl)
                else:
                    if not released:
                        _logging.warning("LOCK %s expired before release (ttl %gs too short?)", name, self.ttl)
