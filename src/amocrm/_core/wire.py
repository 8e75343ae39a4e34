"""What travels: :class:`Request` (ready to send) and :class:`Response` (the whole answer), and decoders.

No I/O here: transports turn a :class:`Request` into bytes on a socket and build the
:class:`Response`; everything above them works on these two.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import msgspec

from amocrm._redact import redact
from amocrm.errors import DecodeError

__all__ = ["Request", "Response", "decoder_for", "safe_url"]

T = TypeVar("T")

_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_decoders_lock = threading.Lock()
_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()
#: Query keys whose values are credentials (the legacy API key login puts them in the URL).
_SECRET_QUERY_KEYS = frozenset({"user_hash", "api_key", "access_token", "refresh_token", "client_secret", "code"})


def decoder_for(type_: Any) -> msgspec.json.Decoder[Any]:
    """A msgspec JSON decoder for ``type_``, built once and shared (decoders are thread-safe)."""
    dec = _decoders.get(type_)
    if dec is None:
        with _decoders_lock:
            dec = _decoders.get(type_)
            if dec is None:
                dec = msgspec.json.Decoder(type_, strict=False)
                _decoders[type_] = dec
    return dec


def safe_url(url: str) -> str:
    """``url`` with credential query values (``USER_HASH``, tokens...) masked and secrets redacted."""
    parts = urlsplit(url)
    if parts.query:
        pairs = []
        for pair in parts.query.split("&"):
            key, sep, _ = pair.partition("=")
            pairs.append(f"{key}=***" if sep and key.lower() in _SECRET_QUERY_KEYS else pair)
        url = urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(pairs), parts.fragment))
    return redact(url)


@dataclass
class Request:
    """One prepared HTTP request; ``idempotent`` decides whether a transport failure may be retried."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    idempotent: bool = False
    #: Token and login endpoints: never authorised, bodies never logged or kept.
    secret: bool = False


class Response:
    """One HTTP answer: status, headers, the raw body and how long it took.

    For token and login endpoints (``secret``) the body is kept only until the auth scheme has read
    it; :meth:`forget_body` drops it so it cannot leak through ``client.last_response``.
    """

    __slots__ = ("status", "headers", "data", "elapsed", "method", "url", "secret")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        data: bytes,
        elapsed: float,
        method: str,
        url: str,
        *,
        secret: bool = False,
    ) -> None:
        self.status: int = status
        self.headers: Mapping[str, str] = headers
        self.data: bytes = data
        self.elapsed: float = elapsed
        self.method: str = method
        self.url: str = url
        self.secret: bool = secret

    @property
    def no_content(self) -> bool:
        """True for 204 or an empty body: amoCRM's "nothing found"."""
        return self.status == 204 or not self.data.strip()

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as Python builtins; :class:`DecodeError` when it is not JSON."""
        try:
            return _any_decoder.decode(self.data)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise DecodeError(
                f"{self.method} {safe_url(self.url)}: response body is not JSON ({_reason(exc)})",
                body=b"" if self.secret else self.data,
                status=self.status,
            ) from None

    def decode(self, type_: type[T]) -> T:
        """The body decoded straight into ``type_``; :class:`DecodeError` names the JSON path on mismatch."""
        try:
            result: T = decoder_for(type_).decode(self.data)
        except msgspec.ValidationError as exc:
            name = getattr(type_, "__name__", str(type_))
            raise DecodeError(
                f"{self.method} {safe_url(self.url)}: response does not match {name}: {exc}",
                body=self.data,
                status=self.status,
            ) from None
        except (msgspec.DecodeError, RecursionError) as exc:
            raise DecodeError(
                f"{self.method} {safe_url(self.url)}: response body is not JSON ({_reason(exc)})",
                body=self.data,
                status=self.status,
            ) from None
        return result

    def forget_body(self) -> None:
        """Drop the body (token answers): nothing secret stays reachable from this object."""
        self.data = b""

    def __repr__(self) -> str:
        return (
            f"<Response {self.status} {self.method} {safe_url(self.url)} {len(self.data)}B "
            f"{self.elapsed * 1000:.1f}ms>"
        )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc)
