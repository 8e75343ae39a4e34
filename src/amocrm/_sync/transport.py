"""The wire: one pooled urllib3 ``PoolManager`` per client, bounded in time and size.

Nothing here knows about auth, throttling or retries (the pipeline does). This module turns one
:class:`~amocrm._core.wire.Request` into bytes on a socket and back, maps urllib3's exceptions to
:class:`~amocrm.errors.TransportError` (recording whether the request may have reached the
server), and guarantees:

- **time**: every request ends by its deadline (``timeout`` seconds after it starts), however
  slowly the server drips its headers or body: a watchdog thread shuts the socket down at the
  deadline, which wakes any blocked read or write;
- **size**: a body longer than ``max_body_bytes`` is cut off with :class:`~amocrm.errors.DecodeError`;
- **compression**: none is asked for (``Accept-Encoding: identity``); a gzip/deflate body the server
  sends anyway is inflated only up to ``max_body_bytes``.
"""

from __future__ import annotations

import heapq
import socket
import threading
import time
import zlib
from typing import Any

import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import TimeoutError as _U3Timeout

from amocrm._core.wire import Request, Response, safe_url
from amocrm.errors import DecodeError, TimeoutError, TransportError

__all__ = ["DEFAULT_MAX_BODY", "Transport"]

#: Default cap on a response body: 64 MiB (a 250-lead v4 page is well under 1 MiB).
DEFAULT_MAX_BODY = 64 * 1024 * 1024
_CHUNK = 64 * 1024

# ------------------------------------------------------------------------------------------ deadlines

_current = threading.local()


class _Watch:
    """The deadline of the request this thread is sending, and the connection it uses."""

    __slots__ = ("deadline", "conn", "response", "fired", "done")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.conn: Any = None
        #: The urllib3 response once its headers are in (the body is read from its socket).
        self.response: Any = None
        self.fired = False
        self.done = False

    def __lt__(self, other: _Watch) -> bool:
        return self.deadline < other.deadline

    def fire(self) -> bool:
        """Shut the request's socket down; ``False`` when there is none to shut (yet)."""
        if self.done:
            return True
        sock = _socket_of(self.conn, self.response)
        if sock is None:
            return False
        self.fired = True
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return True


def _socket_of(conn: Any, response: Any) -> Any:
    """The socket a request reads from: the connection's, or -- once an answer marked
    ``Connection: close`` has detached it from the connection -- the one under the response body."""
    sock = getattr(conn, "sock", None) if conn is not None else None
    if sock is None and response is not None:
        fp = getattr(getattr(response, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if callable(getattr(sock, "shutdown", None)) else None


class _Watchdog:
    """One daemon thread for every client: shuts down sockets of requests past their deadline."""

    def __init__(self) -> None:
        self._heap: list[_Watch] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, watch: _Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, watch)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="amocrm-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    if not self._cond.wait(timeout=30.0) and not self._heap:
                        self._thread = None
                        return
                    continue
                first = self._heap[0]
                delay = first.deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(timeout=delay)
                    continue
                heapq.heappop(self._heap)
            if not first.fire():
                # between connect and the first byte there is a moment with no socket to shut:
                # look again very soon (the request is already late)
                first.deadline = time.monotonic() + 0.01
                with self._cond:
                    heapq.heappush(self._heap, first)


_WATCHDOG = _Watchdog()


def _attach(conn: Any) -> None:
    watch: _Watch | None = getattr(_current, "watch", None)
    if watch is not None:
        watch.conn = conn


class _HTTPPool(HTTPConnectionPool):
    """Records the connection of each request for the deadline watchdog (the connection class
    itself is left alone, so tools that patch urllib3's connections, such as vcrpy, still work)."""

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        _attach(conn)
        return super()._make_request(conn, *args, **kwargs)


class _HTTPSPool(HTTPSConnectionPool):
    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        _attach(conn)
        return super()._make_request(conn, *args, **kwargs)


# ------------------------------------------------------------------------------------------ transport


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
        max_body_bytes: int = DEFAULT_MAX_BODY,
    ) -> None:
        kwargs: dict[str, Any] = {}
        if not verify:
            kwargs["cert_reqs"] = "CERT_NONE"
        elif ca_file:
            kwargs["ca_certs"] = ca_file
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_body_bytes = max_body_bytes
        # urllib3 replaces (does not merge) pool-level headers when a request passes its own,
        # so the defaults are merged into every request in send().
        self.default_headers = {
            "User-Agent": user_agent,
            "Accept": "application/hal+json, application/json",
            "Accept-Encoding": "identity",
        }
        self.pool = urllib3.PoolManager(num_pools=4, maxsize=maxsize, block=False, retries=False, **kwargs)
        pools: Any = self.pool
        pools.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def send(self, request: Request, timeout: float | None = None) -> Response:
        """Send one request and read the whole answer within ``timeout`` seconds (the read timeout by
        default); raises :class:`TransportError` (:class:`TimeoutError` past the deadline)."""
        method, url = request.method, request.url
        budget = self.read_timeout if timeout is None else timeout
        start = time.monotonic()
        watch = _Watch(start + budget)
        _current.watch = watch
        _WATCHDOG.add(watch)
        shown = safe_url(url)
        to = urllib3.Timeout(connect=min(self.connect_timeout, budget), read=budget)
        try:
            try:
                r = self.pool.request(
                    method,
                    url,
                    body=request.body,
                    headers={**self.default_headers, **request.headers},
                    timeout=to,
                    retries=False,
                    redirect=False,
                    preload_content=False,
                    decode_content=False,
                )
            # NewConnectionError subclasses ConnectTimeoutError in urllib3 2: catch it first.
            except NewConnectionError as exc:
                raise TransportError(f"{method} {shown}: cannot connect ({_reason(exc)})", method=method, url=url,
                                     sent=False) from None
            except ConnectTimeoutError as exc:
                raise TimeoutError(f"{method} {shown}: connect timeout ({_reason(exc)})", method=method, url=url,
                                   sent=False) from None
            except ReadTimeoutError:
                raise TimeoutError(f"{method} {shown}: no answer within {budget:g}s", method=method, url=url,
                                   sent=True) from None
            except SSLError as exc:
                raise TransportError(f"{method} {shown}: TLS error ({_reason(exc)})", method=method, url=url,
                                     sent=False) from None
            except (_U3Timeout, ProtocolError, HTTPError, OSError) as exc:
                if watch.fired:
                    raise TimeoutError(f"{method} {shown}: no complete answer within {budget:g}s", method=method,
                                       url=url, sent=None) from None
                if isinstance(exc, _U3Timeout):
                    raise TimeoutError(f"{method} {shown}: timeout ({_reason(exc)})", method=method, url=url,
                                       sent=None) from None
                what = "connection dropped" if isinstance(exc, ProtocolError) else type(exc).__name__
                raise TransportError(f"{method} {shown}: {what} ({_reason(exc)})", method=method, url=url,
                                     sent=None) from None
            watch.response = r
            try:
                data = self._read(r, method, shown, budget, watch)
            finally:
                if watch.fired:
                    r.close()
                else:
                    r.release_conn()
        finally:
            watch.done = True
            _current.watch = None
        elapsed = time.monotonic() - start
        return Response(r.status, r.headers, data, elapsed, method, url, secret=request.secret)

    def _read(self, r: Any, method: str, shown: str, budget: float, watch: _Watch) -> bytes:
        limit = self.max_body_bytes
        declared = r.headers.get("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            r.close()
            raise DecodeError(f"{method} {shown}: response body of {declared} bytes exceeds the "
                              f"{limit}-byte limit (max_body_bytes)", status=r.status)
        encoding = (r.headers.get("Content-Encoding") or "").strip().lower()
        inflater: Any = None
        if encoding in ("gzip", "x-gzip"):
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            inflater = zlib.decompressobj()
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                chunk = r.read(_CHUNK)
                if not chunk:
                    break
                if inflater is not None:
                    chunk = inflater.decompress(chunk, limit - size + 1)
                    if inflater.unconsumed_tail:
                        size = limit + 1
                size += len(chunk)
                if size > limit:
                    r.close()
                    raise DecodeError(f"{method} {shown}: response body exceeds the {limit}-byte limit "
                                      "(max_body_bytes)", status=r.status)
                parts.append(chunk)
            if inflater is not None:
                tail = inflater.flush()
                if size + len(tail) > limit:
                    raise DecodeError(f"{method} {shown}: response body exceeds the {limit}-byte limit "
                                      "(max_body_bytes)", status=r.status)
                parts.append(tail)
        except zlib.error as exc:
            raise DecodeError(f"{method} {shown}: broken {encoding} body ({exc})", status=r.status) from None
        except (ReadTimeoutError, _U3Timeout) as exc:
            raise TimeoutError(f"{method} {shown}: body not received within {budget:g}s ({_reason(exc)})",
                               method=method, url=shown, sent=True) from None
        except (ProtocolError, HTTPError, OSError) as exc:
            if watch.fired:
                raise TimeoutError(f"{method} {shown}: body not received within {budget:g}s", method=method,
                                   url=shown, sent=True) from None
            raise TransportError(f"{method} {shown}: connection dropped while reading the body ({_reason(exc)})",
                                 method=method, url=shown, sent=True) from None
        if watch.fired:
            raise TimeoutError(f"{method} {shown}: body not received within {budget:g}s", method=method, url=shown,
                               sent=True)
        return b"".join(parts)

    def close(self) -> None:
        self.pool.clear()


def _reason(exc: BaseException) -> str:
    """urllib3's message without its object reprs (they carry addresses, not information)."""
    text = str(exc)
    if "object at 0x" in text and ":" in text:
        text = text.split(":", 1)[1].strip()
    return text

