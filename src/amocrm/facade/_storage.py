"""The seed's token-storage interface (``save(tokens, domain)`` with plain dicts) and its adapters.

``TokenStorageInterface`` is the seed's protocol; ``FileStorage`` is a seed-compatible storage over
:class:`amocrm.tokens.FileTokenStorage` (same files, atomic writes, cross-process lock). The facade
hands OAuth2 an SDK :class:`~amocrm.tokens.TokenStorage`; :func:`sdk_storage` turns any seed-style
storage (for example a user's ``DatabaseStorage``) into one.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Generator, Mapping
from typing import Any, Protocol, runtime_checkable

import msgspec

from amocrm.errors import TokenStorageError
from amocrm.tokens import FileTokenStorage, Tokens, TokenStorage

__all__ = ["FileStorage", "TokenStorageInterface", "sdk_storage", "tokens_from_dict", "tokens_to_dict"]

_TOKEN_KEYS = tuple(Tokens.__struct_fields__)


@runtime_checkable
class TokenStorageInterface(Protocol):
    """The seed's storage: dicts with ``access_token, refresh_token, client_id, client_secret,
    redirect_uri`` (more keys are allowed), keyed by the full domain (``acme.amocrm.ru``)."""

    def save(self, tokens: dict[str, Any], domain: str) -> None: ...

    def load(self, domain: str) -> dict[str, Any] | None: ...

    def has_tokens(self, domain: str) -> bool: ...


def tokens_to_dict(tokens: Tokens) -> dict[str, Any]:
    """The seed's five keys first, then ``expires_at``, ``token_type`` and ``api_domain``."""
    return {name: getattr(tokens, name) for name in _TOKEN_KEYS}


def tokens_from_dict(data: Mapping[str, Any], where: str) -> Tokens:
    """:class:`Tokens` from a stored dict; :class:`TokenStorageError` naming ``where`` when it is unusable."""
    if not isinstance(data, Mapping):
        raise TokenStorageError(f"{where}: tokens must be a dict, got {type(data).__name__}")
    known = {k: v for k, v in data.items() if k in _TOKEN_KEYS}
    if not known.get("access_token"):
        raise TokenStorageError(f"{where}: no access_token in the stored tokens")
    try:
        return msgspec.convert(known, Tokens, strict=False)
    except (msgspec.ValidationError, ValueError) as exc:
        raise TokenStorageError(f"{where}: stored tokens are invalid: {exc}") from None


class FileStorage:
    """The seed's ``FileStorage``: one JSON file per domain in ``storage_folder`` (default ``tokens``,
    relative to the working directory). Writes are atomic and the refresh lock works across processes."""

    def __init__(self, storage_folder: str | os.PathLike[str] = "") -> None:
        folder = os.fspath(storage_folder) or "tokens"
        #: The SDK storage doing the work (also usable directly with :class:`amocrm.auth.OAuth2`).
        self.backend: FileTokenStorage = FileTokenStorage(folder)

    def __repr__(self) -> str:
        return f"FileStorage({str(self.backend.folder)!r})"

    def save(self, tokens: dict[str, Any], domain: str) -> None:
        self.backend.save(domain, tokens_from_dict(tokens, f"FileStorage.save({domain!r})"))

    def load(self, domain: str) -> dict[str, Any] | None:
        found = self.backend.load(domain)
        return None if found is None else tokens_to_dict(found)

    def has_tokens(self, domain: str) -> bool:
        return self.backend.has_tokens(domain)


class _SeedStorageAdapter:
    """An SDK :class:`TokenStorage` over a seed-style storage; the refresh lock is per process."""

    def __init__(self, storage: TokenStorageInterface) -> None:
        self.storage = storage
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def load(self, domain: str) -> Tokens | None:
        data = self.storage.load(domain)
        if data is None:
            return None
        return tokens_from_dict(data, f"{type(self.storage).__name__}.load({domain!r})")

    def save(self, domain: str, tokens: Tokens) -> None:
        self.storage.save(tokens_to_dict(tokens), domain)

    def has_tokens(self, domain: str) -> bool:
        return bool(self.storage.has_tokens(domain))

    @contextlib.contextmanager
    def lock(self, domain: str) -> Generator[None, None, None]:
        with self._guard:
            lock = self._locks.setdefault(domain, threading.Lock())
        with lock:
            yield


def sdk_storage(storage: object) -> TokenStorage:
    """The SDK storage to give :class:`amocrm.auth.OAuth2` for the facade's ``token_storage`` setting."""
    if isinstance(storage, FileStorage):
        return storage.backend
    if isinstance(storage, TokenStorage):
        return storage
    if isinstance(storage, TokenStorageInterface):
        return _SeedStorageAdapter(storage)
    raise TokenStorageError(
        f"token_storage must implement save(tokens, domain), load(domain) and has_tokens(domain), "
        f"got {type(storage).__name__}"
    )
