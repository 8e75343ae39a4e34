"""OAuth2 tokens and where they are kept: memory, JSON files, or Redis.

amoCRM refresh tokens are single-use, so every storage also provides :meth:`TokenStorage.lock`,
an exclusive lock the OAuth2 scheme holds while it re-reads, refreshes and saves (single-flight):
across threads for :class:`MemoryTokenStorage`, across processes for :class:`FileTokenStorage`,
across machines for :class:`RedisTokenStorage`. Storages never delete tokens on their own.
"""

from __future__ import annotations

import contextlib
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

from amocrm import _fs
from amocrm._domains import validate_host
from amocrm._poll import poll_until, seconds_arg
from amocrm._redact import REDACTED, register_secret
from amocrm._redisutil import redis_client, redis_errors, release_lock, try_lock
from amocrm.errors import ConfigError, TokenStorageError

__all__ = [
    "FileTokenStorage",
    "MemoryTokenStorage",
    "RedisTokenStorage",
    "TokenStorage",
    "Tokens",
    "validate_domain",
]

def validate_domain(domain: str) -> str:
    """``domain`` lower-cased, or :class:`ConfigError` if it is not a plain host name (``acme.amocrm.ru``).

    The domain names token files and lock keys, so anything with ``/``, ``..`` or other path
    characters is refused, and so are non-ASCII look-alikes (checked before lower-casing) and empty
    labels; see :func:`amocrm._domains.validate_host`. A ``:port`` suffix is allowed.
    """
    return validate_host(domain, what="account domain")


#: What an access or refresh token may consist of: visible ASCII, no spaces, no control characters,
#: so that it can be sent in an ``Authorization`` header (RFC 9110 field values) and saved as text.
_HEADER_SAFE = re.compile(r"[!-~]+")


def token_problem(value: object) -> str | None:
    """What makes ``value`` unusable as a token in an HTTP header, or None if it is fine.

    The answer describes the defect (``"contains a line break (CR or LF)"``); it never repeats
    the value, so it may go into exception messages.
    """
    if not isinstance(value, str):
        return f"is not a string ({type(value).__name__})"
    if not value:
        return "is empty"
    if _HEADER_SAFE.fullmatch(value):
        return None
    if "\r" in value or "\n" in value:
        return "contains a line break (CR or LF)"
    if any(ord(c) > 255 for c in value):
        return "contains characters outside Latin-1"
    if not value.isascii():
        return "contains non-ASCII characters"
    return "contains spaces or control characters"


def check_tokens(tokens: Tokens, error: type[Exception] = ConfigError, where: str = "Tokens") -> None:
    """``error`` naming the field and its defect unless the access and refresh tokens are header-safe."""
    for name in ("access_token", "refresh_token"):
        value = getattr(tokens, name)
        if value is None and name == "refresh_token":
            continue
        problem = token_problem(value)
        if problem is not None:
            raise error(f"{where}: {name} {problem}; it cannot be sent in an HTTP header")


def jwt_claim_str(token: str, name: str) -> str | None:
    """A string claim of a JWT access token (amoCRM's are JWTs; the signature is not checked:
    the claim only steers where requests go, among amoCRM's own hosts), or None."""
    import base64
    import json

    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    value = payload.get(name) if isinstance(payload, dict) else None
    return value if isinstance(value, str) and value else None


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
            raise ConfigError("access_token must not be empty")
        register_secret(self.access_token)
        register_secret(self.refresh_token)
        register_secret(self.client_secret)
        # A token that cannot go into a header is refused here, by name and defect, never by value:
        # from a file or Redis this surfaces as TokenStorageError (via decode_tokens).
        check_tokens(self)

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
        check_tokens(tokens, where="MemoryTokenStorage.save")
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


def _folder_arg(name: str, value: object) -> Path:
    if isinstance(value, str):
        if not value.strip():
            raise ConfigError(f"{name} must be a non-empty path")
        return Path(value)
    if isinstance(value, os.PathLike):
        try:
            return Path(value)  # pyright: ignore[reportUnknownArgumentType]
        except TypeError:  # a bytes path
            pass
    raise ConfigError(f"{name} must be a path (str or os.PathLike[str]), got {type(value).__name__}")


class FileTokenStorage:
    """One pretty JSON file per account: ``<folder>/<domain>.json``, mode 0600, in a 0700 folder.

    Saves write a temp file in the same folder, fsync it, then ``os.replace`` it over the old file
    (and fsync the folder), so a reader or a crash never sees a half-written file. The lock is
    ``fcntl.flock`` on the sibling ``<domain>.json.lock``, which is never deleted and is opened
    without following symbolic links (a planted link raises :class:`TokenStorageError`). A folder
    that exists but is open to group or others is tightened to 0700, with a warning, on first
    use. A corrupt file raises :class:`TokenStorageError` naming it; it is never removed or
    overwritten by a load.
    """

    def __init__(self, folder: str | os.PathLike[str] = "tokens", *, lock_timeout: float = 60.0) -> None:
        self.folder: Path = _folder_arg("FileTokenStorage folder", folder)
        self.lock_timeout: float = seconds_arg("FileTokenStorage lock_timeout", lock_timeout)
        self._checked = False

    def path(self, domain: str) -> Path:
        """The token file of ``domain``."""
        return self.folder / f"{validate_domain(domain)}.json"

    def _ensure_folder(self) -> None:
        _fs.ensure_folder(self.folder, TokenStorageError, "token folder")
        self._check_folder()

    def _check_folder(self) -> None:
        if not self._checked:
            _fs.tighten_folder(self.folder, TokenStorageError, "token folder")
            self._checked = True

    def load(self, domain: str) -> Tokens | None:
        path = self.path(domain)
        if not self._checked and self.folder.is_dir():
            self._check_folder()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStorageError(f"cannot read the token file {path}: {exc.strerror}") from None
        return decode_tokens(data, f"file {path}")

    def save(self, domain: str, tokens: Tokens) -> None:
        path = self.path(domain)
        check_tokens(tokens, where=f"FileTokenStorage.save for {path.name}")
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
        fd = _fs.open_shared_file(lock_path, TokenStorageError, "token lock file")
        try:
            try:
                locked = _fs.lock_within(fd, self.lock_timeout)
            except OSError as exc:
                raise TokenStorageError(f"cannot lock {lock_path}: {exc.strerror}") from None
            if not locked:
                raise TokenStorageError(
                    f"token lock {lock_path} still held by another process after {self.lock_timeout:g}s"
                )
            try:
                yield
            finally:
                _fs.unlock(fd)
        finally:
            os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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
        if not isinstance(prefix, str):
            raise ConfigError(f"RedisTokenStorage prefix must be a string, got {type(prefix).__name__}")
        self.lock_ttl: float = seconds_arg("RedisTokenStorage lock_ttl", lock_ttl)
        self.lock_timeout: float = seconds_arg("RedisTokenStorage lock_timeout", lock_timeout)
        self.redis: Any = redis_client(redis_client_or_url, what="RedisTokenStorage redis_client_or_url")
        self.prefix = prefix
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
        check_tokens(tokens, where=f"RedisTokenStorage.save for {key}")
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
        try:
            locked = poll_until(lambda: try_lock(self.redis, key, token, self.lock_ttl), self.lock_timeout,
                                first=0.005, cap=0.1)
        except self._errors as exc:
            raise TokenStorageError(f"Redis lock {key} failed: {type(exc).__name__}: {exc}") from None
        if not locked:
            raise TokenStorageError(f"token lock {key} still held after {self.lock_timeout:g}s")
        try:
            yield
        finally:
            with contextlib.suppress(*self._errors):
                release_lock(self.redis, key, token)
