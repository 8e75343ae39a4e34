"""Entity locks: serialise updates of one entity (``"acme.amocrm.ru/lead/123"``) across processes.

amoCRM refuses an update whose ``updated_at`` is older than the stored one, so two workers updating
the same lead collide. A locker makes them take turns. Unlike the seed, a lock is released on every
path (exceptions included), its key includes the account, and running out of attempts raises
:class:`LockError` unless ``on_fail="proceed"`` asks for the seed's unlocked fallback.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import secrets
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from amocrm import _fs, _logging
from amocrm._poll import poll_until
from amocrm._redisutil import redis_client, redis_errors, release_lock, try_lock
from amocrm.errors import ConfigError, LockError

__all__ = ["EntityLocker", "FileLocker", "NoLocker", "RedisLocker", "default_lock_dir", "lock_file_name"]

OnFail = Literal["raise", "proceed"]


def default_lock_dir() -> Path:
    """Where :class:`FileLocker` keeps its lock files unless told otherwise: ``<tmp>/amocrm-<uid>/locks``.

    A per-user private folder (0700), created on first use and shared by every process of this
    user on this machine. One that exists but belongs to another user, or is a symbolic link, is
    refused with :class:`LockError`; one of this user that others may enter is tightened to 0700.
    """
    return _fs.private_folder("locks", LockError)

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

    def acquire(self, key: str, name: str, try_once: Callable[[], bool]) -> bool:
        """Call ``try_once()`` until True; False (after logging) when ``on_fail="proceed"`` gives up."""
        start = time.monotonic()
        for attempt in range(1, self.attempts + 1):
            window_end = start + attempt * self.wait
            if try_once():
                return True
            _logging.log_lock(name, attempt, self.wait)
            if attempt == self.attempts:
                break
            if poll_until(try_once, window_end - time.monotonic(), first=_POLL, cap=_POLL, try_first=False):
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
    Lock files are opened without following symbolic links and must be regular files of this user
    (anything else raises :class:`LockError` naming the file). ``directory`` defaults to this user's
    private ``<tmp>/amocrm-<uid>/locks`` (see :func:`default_lock_dir`), resolved and checked on
    first use, so a bad default folder fails the first lock, not the construction of a client that
    may never lock. All processes sharing a lock directory must run as the same user.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        attempts: int = 10,
        wait: float = 1.0,
        on_fail: OnFail = "raise",
    ) -> None:
        self._loop = _Attempts(attempts, wait, on_fail)
        self._directory: Path | None = None
        if directory is None:
            return
        if isinstance(directory, str) and not directory.strip():
            raise ConfigError("FileLocker directory must be a non-empty path")
        if not isinstance(directory, (str, os.PathLike)):
            raise ConfigError(f"FileLocker directory must be a path (str or os.PathLike), got {type(directory).__name__}")
        try:
            self._directory = Path(directory)
        except TypeError:  # an os.PathLike[bytes]
            raise ConfigError("FileLocker directory must be a str path or an os.PathLike[str]") from None
        _fs.ensure_folder(self._directory, ConfigError, "lock directory")

    @property
    def directory(self) -> Path:
        """The folder of the lock files (the default one is created and checked on first access)."""
        if self._directory is None:
            self._directory = default_lock_dir()
        return self._directory

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
        _fs.require_flock()
        path = self.path(key)
        what = f"lock file of {key!r}"
        held: list[int] = []

        def try_once() -> bool:
            while True:
                fd = _fs.open_shared_file(path, LockError, what)
                try:
                    got = _fs.try_lock(fd)
                except OSError as exc:
                    os.close(fd)
                    raise LockError(f"cannot lock {key!r} ({path}): {exc.strerror}") from None
                if not got:
                    os.close(fd)
                    return False
                try:
                    same = os.lstat(path).st_ino == os.fstat(fd).st_ino
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
            raise ConfigError(f"RedisLocker ttl must be a finite number of seconds > 0, got {ttl!r}")
        if not isinstance(prefix, str):
            raise ConfigError(f"RedisLocker prefix must be a string, got {type(prefix).__name__}")
        self.ttl: float = float(ttl)
        self.redis: Any = redis_client(client_or_url, what="RedisLocker client_or_url")
        self.prefix = prefix
        self._errors = redis_errors()

    @contextlib.contextmanager
    def lock(self, key: str) -> Generator[None, None, None]:
        _check_key(key)
        name = self.prefix + key
        token = secrets.token_hex(16)

        def try_once() -> bool:
            try:
                return try_lock(self.redis, name, token, self.ttl)
            except self._errors as exc:
                raise LockError(f"cannot lock {key!r}: Redis failed: {type(exc).__name__}: {exc}") from None

        locked = self._loop.acquire(key, name, try_once)
        try:
            yield
        finally:
            if locked:
                try:
                    released = release_lock(self.redis, name, token)
                except self._errors as exc:
                    _logging.warning("LOCK %s: release failed (%s); it expires in %gs", name, exc, self.ttl)
                else:
                    if not released:
                        _logging.warning("LOCK %s expired before release (ttl %gs too short?)", name, self.ttl)
