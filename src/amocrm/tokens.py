"""OAuth2 tokens and where they are kept: memory, JSON files, or Redis.

amoCRM refresh tokens are single-use, so every storage also provides :meth:`TokenStorage.lock`,
an exclusive lock the OAuth2 scheme holds while it re-reads, refreshes and saves (single-flight):
across threads for :class:`MemoryTokenStorage`, across processes for :class:`FileTokenStorage`,
across machines for :class:`RedisTokenStorage`. Storages never delete tokens on their own.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import msgspec

from amocrm._redact import REDACTED, register_secret
from amocrm.errors import ConfigError, TokenStorageError

__all__ = [
    "FileTokenStorage",
    "MemoryTokenStorage",
    "RedisTokenStorage",
    "TokenStorage",
    "Tokens",
    "validate_domain",
]

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]{1,5})?$")


def validate_domain(domain: str) -> str:
    """``domain`` lower-cased, or :class:`ConfigError` if it is not a plain host name (``acme.amocrm.ru``).

    The domain names token files and lock keys, so anything with ``/``, ``..`` or other path
    characters is refused.
    """
    if not isinstance(domain, str) or not domain:
        raise ConfigError(f"account domain must be a non-empty string, got {domain!r}")
    low = domain.strip().lower()
    if len(low) > 253 or not _DOMAIN.match(low):
        raise ConfigError(f"invalid account domain {domain!r}: expected a host name like 'acme.amocrm.ru'")
    return low


class Tokens(msgspec.Struct, kw_only=True):
    """One account's OAuth2 credentials, in the seed's file key order (client data, then tokens).

    ``expires_at`` is a unix time (None: unknown, refresh only after a 401). The repr masks the
    access token, refresh token and client secret; every one of them is registered for redaction.
    """

    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None
    token_type: str = "Bearer"
    #: The API host the token belongs to when it differs from the account domain (moved accounts).
    api_domain: str | None = None

    def __post_init__(self) -> None:
        if not self.access_token:
            raise ValueError("access_token must not be empty")
        register_secret(self.access_token)
        register_secret(self.refresh_token)
        register_secret(self.client_secret)

    def __repr__(self) -> str:
        def mask(v: str | None) -> str:
            return "None" if v is None else repr(REDACTED)

        return (
            f"Tokens(client_id={self.client_id!r}, client_secret={mask(self.client_secret)}, "
            f"redirect_uri={self.redirect_uri!r}, access_token={mask(self.access_token)}, "
            f"refresh_token={mask(self.refresh_token)}, expires_at={self.expires_at!r}, "
            f"token_type={self.token_type!r}, api_domain={self.api_domain!r})"
        )

    __str__ = __repr__

    def expires_within(self, seconds: float) -> bool:
        """Whether the access token expires less than ``seconds`` from now (False if unknown)."""
        return self.expires_at is not None and time.time() + seconds >= self.expires_at

    def copy(self) -> Tokens:
        return msgspec.structs.replace(self)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Tokens)


def encode_tokens(tokens: Tokens) -> bytes:
    """Pretty JSON (4-space indent, UTF-8 unescaped), as the seed's token files."""
    return msgspec.json.format(_encoder.encode(tokens), indent=4) + b"\n"


def decode_tokens(data: bytes, where: str) -> Tokens:
    """Parse stored tokens; :class:`TokenStorageError` naming ``where`` and the defect otherwise."""
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise TokenStorageError(f"tokens in {where} are invalid: {exc}") from None
    except msgspec.DecodeError as exc:
        raise TokenStorageError(f"tokens in {where} are not valid JSON ({len(data)} bytes): {exc}") from None


@runtime_checkable
class TokenStorage(Protocol):
    """Where OAuth2 tokens live, keyed by the full account domain."""

    def load(self, domain: str) -> Tokens | None: ...
    def save(self, domain: str, tokens: Tokens) -> None: ...
    def has_tokens(self, domain: str) -> bool: ...
    def lock(self, domain: str) -> contextlib.AbstractContextManager[None]:
        """Exclusive lock held around re-read + refresh + save (single-flight refresh)."""
        ...


class MemoryTokenStorage:
    """Tokens in this process only (the default); the lock excludes threads."""

    def __init__(self) -> None:
        self._tokens: dict[str, Tokens] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def load(self, domain: str) -> Tokens | None:
        with self._guard:
            found = self._tokens.get(validate_domain(domain))
        return found.copy() if found is not None else None

    def save(self, domain: str, tokens: Tokens) -> None:
        key = validate_domain(domain)
        with self._guard:
            self._tokens[key] = tokens.copy()

    def has_tokens(self, domain: str) -> bool:
        with self._guard:
            return validate_domain(domain) in self._tokens

    @contextlib.contextmanager
    def lock(self, domain: str) -> Generator[None, None, None]:
        key = validate_domain(domain)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield


class FileTokenStorage:
    """One pretty JSON file per account: ``<folder>/<domain>.json``, mode 0600.

    Saves write a temp file in the same folder, fsync it, then ``os.replace`` it over the old file
    (and fsync the folder), so a reader or a crash never sees a half-written file. The lock is
    ``fcntl.flock`` on the sibling ``<domain>.json.lock``, which is never deleted. A corrupt file
    raises :class:`TokenStorageError` naming it; it is never removed or overwritten by a load.
    """

    def __init__(self, folder: str | os.PathLike[str] = "tokens", *, lock_timeout: float = 60.0) -> None:
        self.folder: Path = Path(folder)
        if not (lock_timeout > 0):
            raise ConfigError(f"lock_timeout must be > 0 seconds, got {lock_timeout!r}")
        self.lock_timeout = lock_timeout

    def path(self, domain: str) -> Path:
        """The token file of ``domain``."""
        return self.folder / f"{validate_domain(domain)}.json"

    def _ensure_folder(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise TokenStorageError(f"cannot create the token folder {self.folder}: {exc.strerror}") from None

    def load(self, domain: str) -> Tokens | None:
        path = self.path(domain)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStorageError(f"cannot read the token file {path}: {exc.strerror}") from None
        return decode_tokens(data, f"file {path}")

    def save(self, domain: str, tokens: Tokens) -> None:
        path = self.path(domain)
        self._ensure_folder()
        data = encode_tokens(tokens)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise TokenStorageError(f"cannot create a temp file next to {path}: {exc.strerror}") from None
        try:
            try:
                os.fchmod(fd, 0o600)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise TokenStorageError(f"cannot write the token file {path}: {exc.strerror}") from None
        _fsync_dir(self.folder)

    def has_tokens(self, domain: str) -> bool:
        return self.path(domain).is_file()

    @contextlib.contextmanager
    def lock(self, domain: str) -> Generator[None, None, None]:
        lock_path = self.folder / f"{validate_domain(domain)}.json.lock"
        self._ensure_folder()
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise TokenStorageError(f"cannot open the lock file {lock_path}: {exc.strerror}") from None
        try:
            _flock_with_timeout(fd, self.lock_timeout, str(lock_path))
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _flock_with_timeout(fd: int, timeout: float, name: str) -> None:
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise TokenStorageError(f"cannot lock {name}: {exc.strerror}") from None
        if time.monotonic() >= deadline:
            raise TokenStorageError(f"token lock {name} still held by another process after {timeout:g}s")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def redis_client(client_or_url: Any) -> Any:
    """A ``redis.Redis`` from a URL string, or the client itself."""
    if isinstance(client_or_url, str):
        try:
            import redis
        except ImportError:  # pragma: no cover - depends on the environment
            raise ConfigError("a Redis URL needs the 'redis' package: pip install 'amocrm[redis]'") from None
        return redis.Redis.from_url(client_or_url)
    if client_or_url is None:
        raise ConfigError("a Redis client or URL is required")
    return client_or_url


def redis_errors() -> tuple[type[BaseException], ...]:
    """The exception classes a Redis failure raises (empty if redis is not installed)."""
    try:
        import redis
    except ImportError:  # pragma: no cover
        return ()
    return (redis.RedisError,)


class RedisTokenStorage:
    """Tokens as JSON under ``<prefix><domain>``; the lock is ``SET NX PX`` with a random token.

    The lock is released only by its owner (compare-and-delete script) and expires after
    ``lock_ttl`` seconds if its holder dies; waiting for it is bounded by ``lock_timeout``.
    """

    def __init__(
        self,
        redis_client_or_url: Any,
        prefix: str = "amocrm:tokens:",
        *,
        lock_ttl: float = 30.0,
        lock_timeout: float = 60.0,
    ) -> None:
        self.redis: Any = redis_client(redis_client_or_url)
        self.prefix = prefix
        if not (lock_ttl > 0) or not (lock_timeout > 0):
            raise ConfigError(f"lock_ttl and lock_timeout must be > 0, got {lock_ttl!r}, {lock_timeout!r}")
        self.lock_ttl = lock_ttl
        self.lock_timeout = lock_timeout
        self._errors = redis_errors()

    def _key(self, domain: str) -> str:
        return self.prefix + validate_domain(domain)

    def load(self, domain: str) -> Tokens | None:
        key = self._key(domain)
        try:
            data = self.redis.get(key)
        except self._errors as exc:
            raise TokenStorageError(f"Redis read of {key} failed: {type(exc).__name__}: {exc}") from None
        if data is None:
            return None
        return decode_tokens(data if isinstance(data, bytes) else str(data).encode(), f"Redis key {key}")

    def save(self, domain: str, tokens: Tokens) -> None:
        key = self._key(domain)
        try:
            self.redis.set(key, _encoder.encode(tokens))
        except self._errors as exc:
            raise TokenStorageError(f"Redis write of {key} failed: {type(exc).__name__}: {exc}") from None

    def has_tokens(self, domain: str) -> bool:
        key = self._key(domain)
        try:
            return bool(self.redis.exists(key))
        except self._errors as exc:
            raise TokenStorageError(f"Redis check of {key} failed: {type(exc).__name__}: {exc}") from None

    @contextlib.contextmanager
    def lock(self, domain: str) -> Generator[None, None, None]:
        key = self._key(domain) + ":lock"
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.005
        try:
            while not self.redis.set(key, token, nx=True, px=int(self.lock_ttl * 1000)):
                if time.monotonic() >= deadline:
                    raise TokenStorageError(f"token lock {key} still held after {self.lock_timeout:g}s")
                time.sleep(pause)
                pause = min(pause * 2, 0.1)
        except self._errors as exc:
            raise TokenStorageError(f"Redis lock {key} failed: {type(exc).__name__}: {exc}") from None
        try:
            yield
        finally:
            with contextlib.suppress(*self._errors):
                self.redis.eval(_RELEASE, 1, key, token)
