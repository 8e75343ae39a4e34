"""Exceptions raised by the SDK, one class per failure kind.

Catch :class:`AmoError` for everything, or a subclass for one kind:

- :class:`TransportError` (connection refused, reset, TLS, timeout: nothing usable came back)
- :class:`APIError` and its subclasses for HTTP answers outside 200/202/204
- :class:`EntityErrors` for a 200 answer whose ``_embedded.errors`` lists failed items
  (:class:`ConflictError` when the failure is amoCRM's stale ``updated_at``)
- :class:`DecodeError` for a body that is not the JSON the endpoint promises
- :class:`LockError`, :class:`TokenStorageError`, :class:`ReauthorizationRequired`, :class:`ConfigError`

Messages never carry secrets: bodies and URLs are passed through :func:`amocrm._redact.redact`
before they are stored on an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amocrm._redact import redact

__all__ = [
    "ERROR_CODES",
    "APIError",
    "AmoError",
    "AuthError",
    "BadRequestError",
    "ConfigError",
    "ConflictError",
    "DecodeError",
    "EntityErrors",
    "FieldError",
    "ForbiddenError",
    "ItemFailure",
    "LockError",
    "NotFoundError",
    "PaymentRequiredError",
    "RateLimitError",
    "ReauthorizationRequired",
    "ServerError",
    "TimeoutError",
    "TokenStorageError",
    "TransportError",
    "ValidationError",
    "error_message",
]

#: amoCRM's error-code table (the seed's 52 entries plus the codes the API documents since),
#: generated from spec/constants.yaml.
_codes: dict[int, str] | None = None


def _error_codes() -> dict[int, str]:
    global _codes
    if _codes is None:
        # the table is data of API v2 (spec/v2/constants.yaml); read on first use so this base
        # module imports nothing generated
        from amocrm.v2.constants import ERROR_CODES as table

        _codes = table
    return _codes


def __getattr__(name: str) -> Any:
    if name == "ERROR_CODES":
        return _error_codes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    ERROR_CODES: dict[int, str]

_UNKNOWN = "Неизвестная ошибка"

#: The text amoCRM puts under ``_embedded.errors.update`` for a stale ``updated_at``.
CONFLICT_MESSAGE = "Last modified date is older than in database"


def error_message(code: int) -> str:
    """The table's text for ``code``, or "Неизвестная ошибка" (unknown error)."""
    return _error_codes().get(code, _UNKNOWN)


class AmoError(Exception):
    """Base of every exception the SDK raises on purpose.

    ``outcome`` is set on the error of a failed ``save()``: the
    :class:`~amocrm._core.save.SaveResult` telling, for every input object, whether it was applied,
    failed or not sent.
    """

    code: int = 0
    outcome: Any = None

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(redact(message))
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def get_errors(self) -> Any:
        """The raw ``_embedded.errors`` of the answer (the seed's ``getErrors``); ``[]`` if none."""
        return []

    def get_items(self) -> list[Any]:
        """The items the answer did save (the seed's ``getItems``); ``[]`` if none."""
        return []


class ConfigError(AmoError, ValueError):
    """An argument or setting is invalid; the message says which one and why."""


class TransportError(AmoError):
    """The request did not produce a usable HTTP answer (connect error, reset, TLS, protocol)."""

    def __init__(self, message: str, *, method: str = "", url: str = "", sent: bool | None = None) -> None:
        super().__init__(message)
        self.method: str = method
        self.url: str = redact(url)
        #: ``False`` when the request provably never reached the server (connect failed), so a
        #: write may be re-sent safely; ``True``/``None`` when it may have been applied.
        self.sent = sent


class TimeoutError(TransportError):  # noqa: A001 - deliberately shadows the builtin inside this module
    """No answer within the configured connect/read timeout or the call's time budget."""


class DecodeError(AmoError):
    """The body is not valid JSON, or does not match the type the endpoint promises."""

    def __init__(self, message: str, *, body: bytes | str = b"", status: int = 0) -> None:
        super().__init__(message)
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        self.body: str = redact(text[:2000])
        self.status = status


class APIError(AmoError):
    """amoCRM answered with an HTTP status outside 200/202/204.

    ``code`` is the HTTP status unless the body carries an amoCRM ``error_code``, which
    ``api_code`` holds in both cases.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str = "",
        url: str = "",
        body: str = "",
        api_code: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=status)
        self.status = status
        self.method = method
        self.url: str = redact(url)
        self.body: str = redact(body[:2000])
        self.api_code = api_code
        self.headers: dict[str, str] = dict(headers or {})


class BadRequestError(APIError):
    """HTTP 400: the request was malformed (legacy ``error_code`` or problem+json detail in the message)."""


@dataclass(frozen=True)
class FieldError:
    """One refused field of a v4 request: the server's dotted ``path`` and the same place as
    attribute access on the model (``field``), with the server's ``code`` and ``detail``."""

    path: str
    field: str
    code: Any
    detail: str

    def __str__(self) -> str:
        return f"{self.field or self.path}: {self.code} {self.detail}".rstrip()


@dataclass(frozen=True)
class ItemFailure:
    """One failed item of a v4 request: its ``request_id`` and, in a ``save()``, the input object and
    its position (``index``) in the input; ``errors`` lists its refused fields."""

    request_id: str | None
    index: int | None
    object: Any
    errors: list[FieldError]

    def __str__(self) -> str:
        where = f"#{self.index}" if self.index is not None else f"request_id {self.request_id}"
        return f"{where}: " + "; ".join(str(e) for e in self.errors)


class ValidationError(BadRequestError):
    """HTTP 400 with ``validation-errors`` (API v4): the request was refused and nothing applied.

    ``failures`` has one :class:`ItemFailure` per failed item -- the input object (found by its
    ``request_id`` in a ``save()``), and per refused field the server's path, the Python attribute
    path, the code and the detail. ``validation_errors`` is the server's raw list.
    """

    validation_errors: list[Any] = []  # noqa: RUF012 - replaced per instance
    failures: list[ItemFailure] = []  # noqa: RUF012 - replaced per instance


class AuthError(APIError):
    """HTTP 401 (after any refresh or re-login the client was allowed to try)."""


class PaymentRequiredError(APIError):
    """HTTP 402: the account's subscription has lapsed."""


class ForbiddenError(APIError):
    """HTTP 403: no rights, IP not whitelisted, or a temporary block after rate-limit abuse."""


class NotFoundError(APIError):
    """HTTP 404, or an entity asked for by id that does not exist (204 on a by-id read)."""


class RateLimitError(APIError):
    """HTTP 429 after the retry budget ran out; ``retry_after`` is the server's hint in seconds."""

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("Retry-After") or self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


class ServerError(APIError):
    """HTTP 5xx (after the retry budget ran out for reads; at once for writes)."""


class ReauthorizationRequired(AuthError):
    """The stored refresh token (or API key) is dead: a person must authorise the integration again.

    The stored tokens are left untouched so nothing is lost; exchange a new authorization code.
    """


class EntityErrors(AmoError):
    """A write answered 200 but listed failed items under ``_embedded.errors``.

    ``items`` holds the items that did succeed (in a save, those of every chunk), ``errors`` the
    raw error map (``{"update": {id: message}, "add": {...}}`` or lists of ``{"code": ...}``
    objects), ``status`` and ``body`` the answer's HTTP status and (redacted) body, and a save's
    ``outcome`` every object's fate.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: Any,
        items: Sequence[Any] = (),
        code: int = 200,
        codes: Sequence[int] = (),
        status: int = 200,
        body: str = "",
    ) -> None:
        super().__init__(message, code=code)
        self.errors = errors
        self.items: list[Any] = list(items)
        self.codes: list[int] = list(codes)
        self.status = status
        self.body: str = redact(body[:2000])

    def get_errors(self) -> Any:
        return self.errors

    def get_items(self) -> list[Any]:
        return self.items


class ConflictError(EntityErrors):
    """An update was refused because its ``updated_at`` is older than the stored one."""


class LockError(AmoError):
    """The entity lock could not be taken within the configured attempts."""


class TokenStorageError(AmoError):
    """Token storage failed: unreadable or corrupt file, Redis down, nothing stored."""


def embedded_error_codes(errors: Any) -> list[int]:
    """Codes from ``errors.update`` then ``errors.add`` entries shaped ``{"code": N}`` (as the seed)."""
    codes: list[int] = []
    if not isinstance(errors, Mapping):
        return codes
    for key in ("update", "add"):
        group = errors.get(key)
        entries = group.values() if isinstance(group, Mapping) else group if isinstance(group, list) else ()
        for entry in entries:
            if isinstance(entry, Mapping) and "code" in entry:
                try:
                    codes.append(int(entry["code"]))
                except (TypeError, ValueError):
                    continue
    return codes


def embedded_error_messages(errors: Any) -> list[tuple[str, str]]:
    """``(id or index, message)`` pairs from ``errors.update`` then ``errors.add``."""
    out: list[tuple[str, str]] = []
    if not isinstance(errors, Mapping):
        return out
    for key in ("update", "add", "delete"):
        group = errors.get(key)
        if isinstance(group, Mapping):
            out.extend((str(k), _entry_text(v)) for k, v in group.items())
        elif isinstance(group, list):
            out.extend((str(i), _entry_text(v)) for i, v in enumerate(group))
    return out


def _entry_text(entry: Any) -> str:
    if isinstance(entry, Mapping):
        if "code" in entry:
            try:
                code = int(entry["code"])
            except (TypeError, ValueError):
                return str(entry.get("message") or entry)
            return f"{code} {entry.get('message') or error_message(code)}"
        return str(entry.get("message") or entry)
    return str(entry)


def raise_for_embedded_errors(body: Any, *, status: int = 200, context: str = "") -> None:
    """Raise :class:`EntityErrors` (or :class:`ConflictError`) when ``body._embedded.errors`` is non-empty."""
    if not isinstance(body, Mapping):
        return
    embedded = body.get("_embedded")
    if not isinstance(embedded, Mapping):
        return
    errors = embedded.get("errors")
    if not errors:
        return
    items = embedded.get("items") or []
    if not isinstance(items, list):
        items = list(items.values()) if isinstance(items, Mapping) else []
    codes = embedded_error_codes(errors)
    pairs = embedded_error_messages(errors)
    where = f" {context}" if context else ""
    if codes:
        text = ", ".join(f"{c} {error_message(c)}" for c in codes)
        details = "; ".join(f"{k}: {v}" for k, v in pairs[:3])
        raise EntityErrors(f"Errors: {text}{where}" + (f" ({details})" if details else ""), errors=errors,
                           items=items, code=codes[0], codes=codes, status=status)
    if pairs:
        text = ", ".join(f"{k} -> {v}" for k, v in pairs)
        cls = ConflictError if any(CONFLICT_MESSAGE[:30] in v for _, v in pairs) else EntityErrors
        raise cls(f"Errors (entity id -> message): {text}{where}", errors=errors, items=items, code=status,
                  status=status)
    raise EntityErrors(f"Error: {_UNKNOWN}{where}", errors=errors, items=items, code=status, status=status)
