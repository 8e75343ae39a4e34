"""The wire: one pooled urllib3 ``PoolManager`` per client and the ``Response`` it yields.

Nothing here knows about auth, throttling or retries; the client's pipeline does. This module
turns one prepared request into bytes on a socket and back, mapping urllib3's exceptions to
:class:`amocrm.errors.TransportError` and recording whether the request may have reached the server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as _U3Timeout

from amocrm.errors import DecodeError, TimeoutError, TransportError

__all__ = ["Response", "Transport", "decoder_for"]

T = TypeVar("T")

_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_decoders_lock = threading.Lock()
_any_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()


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


class Response:
    """One HTTP answer: status, headers, the raw body and how long it took."""

    __slots__ = ("status", "headers", "data", "elapsed", "method", "url")

    def __init__(
        self, status: int, headers: Mapping[str, str], data: bytes, elapsed: float, method: str, url: str
    ) -> None:
        self.status: int = status
        self.headers: Mapping[str, str] = headers
        self.data: bytes = data
        self.elapsed: float = elapsed
        self.method: str = method
        self.url: str = url

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
        except msgspec.DecodeError as exc:
            raise DecodeError(
                f"{self.method} {self.url}: response body is not JSON ({exc})", body=self.data, status=self.status
            ) from None

    def decode(self, type_: type[T]) -> T:
        """The body decoded straight into ``type_``; :class:`DecodeError` names the JSON path on mismatch."""
        try:
            result: T = decoder_for(type_).decode(self.data)
        except msgspec.ValidationError as exc:
            name = getattr(type_, "__name__", str(type_))
            raise DecodeError(
                f"{self.method} {self.url}: response does not match {name}: {exc}",
                body=self.data,
                status=self.status,
            ) from None
        except msgspec.DecodeError as exc:
            raise DecodeError(
                f"{self.method} {self.url}: response body is not JSON ({exc})", body=self.data, status=self.status
            ) from None
        return result

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.method} {self.url} {len(self.data)}B {self.elapsed * 1000:.1f}ms>"


class Transport:
    """A thread-safe connection pool with explicit timeouts; urllib3 does no retries of its own."""

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        maxsize: int = 8,
        ca_file: str | None = None,
        verify: bool = True,
        user_agent: str = "amocrm-python/0.1",
    ) -> None:
        kwargs: dict[str, Any] = {}
        if not verify:
            kwargs["cert_reqs"] = "CERT_NONE"
        elif ca_file:
            kwargs["ca_certs"] = ca_file
        self.timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        # urllib3 replaces (does not merge) pool-level headers when a request passes its own,
        # so the defaults are merged into every request in send().
        self.default_headers = {"User-Agent": user_agent, "Accept": "application/hal+json, application/json"}
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=maxsize, block=False, retries=False, **kwargs)

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request and read the whole answer; raises :class:`TransportError` on failure."""
        to = self.timeout if timeout is None else urllib3.Timeout(connect=min(timeout, 10.0), read=timeout)
        start = time.monotonic()
        try:
            r = self.pool.request(
                method,
                url,
                body=body,
                headers={**self.default_headers, **headers},
                timeout=to,
                retries=False,
                redirect=False,
                preload_content=True,
            )
        # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: catch it first.
        except NewConnectionError as exc:
            raise TransportError(f"{method} {url}: cannot connect ({exc})", method=method, url=url, sent=False) from None
        except ConnectTimeoutError as exc:
            raise TimeoutError(f"{method} {url}: connect timeout ({exc})", method=method, url=url, sent=False) from None
        except ReadTimeoutError:
            raise TimeoutError(
                f"{method} {url}: no answer within {to.read_timeout}s", method=method, url=url, sent=True
            ) from None
        except SSLError as exc:
            raise TransportError(f"{method} {url}: TLS error ({exc})", method=method, url=url, sent=False) from None
        except _U3Timeout as exc:
            raise TimeoutError(f"{method} {url}: timeout ({exc})", method=method, url=url, sent=None) from None
        except ProtocolError as exc:
            raise TransportError(
                f"{method} {url}: connection dropped ({exc})", method=method, url=url, sent=None
            ) from None
        except HTTPError as exc:
            raise TransportError(f"{method} {url}: {type(exc).__name__}: {exc}", method=method, url=url) from None
        elapsed = time.monotonic() - start
        return Response(r.status, r.headers, r.data or b"", elapsed, method, url)

    def close(self) -> None:
        self.pool.clear()
