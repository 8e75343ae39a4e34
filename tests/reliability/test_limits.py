"""Time and size limits that hold against a hostile server.

Every request -- auth requests included -- ends within its timeout however slowly the server drips
its answer; bodies are capped; compression is never asked for and its output is bounded; malformed
or absurdly nested bodies are a :class:`DecodeError`, never a ``RecursionError`` or ``MemoryError``;
a ``Retry-After`` beyond the remaining budget is a :class:`RateLimitError` at once.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
import zlib

import pytest

from amocrm.auth import LongLivedToken, OAuth2
from amocrm.client import AmoClient
from amocrm.errors import APIError, AuthError, DecodeError, RateLimitError, TimeoutError, TransportError
from amocrm.retry import RetryPolicy
from amocrm.tokens import MemoryTokenStorage

from ._hostile import Hostile, Seen, answer, drip, head

TIMEOUT = 1.0
SLACK = 1.0  # scheduling slack on a loaded 2-core machine
LEADS = {"_embedded": {"items": [{"id": 1, "name": "x"}]}}


def client(srv: Hostile, **options: object) -> AmoClient:
    opts: dict[str, object] = {"throttle": None, "retry": RetryPolicy(attempts=1), "timeout": TIMEOUT}
    opts.update(options)
    return AmoClient("acme", base_url=srv.base_url, auth=LongLivedToken("t" * 40), **opts)  # type: ignore[arg-type]


def ends_within(seconds: float, call: object) -> BaseException:
    started = time.monotonic()
    try:
        call()  # type: ignore[operator]
    except BaseException as exc:  # noqa: BLE001 - returned to the test
        elapsed = time.monotonic() - started
        assert elapsed < seconds + SLACK, f"took {elapsed:.2f}s, limit {seconds}s"
        return exc
    raise AssertionError("the call succeeded against a server that never finishes")


def drip_body(seen: Seen, sock: socket.socket) -> None:
    body = json.dumps(LEADS).encode()
    sock.sendall(head(200, {"Content-Type": "application/json"}, length=len(body)))
    drip(sock, body, every=0.1)  # 40+ bytes: 4+ s, every byte well inside the read timeout


def drip_headers(seen: Seen, sock: socket.socket) -> None:
    drip(sock, head(200, {"Content-Type": "application/json", "X-Pad": "p" * 60}, length=2), every=0.1)


@pytest.mark.parametrize("handler", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_dripped_answer_ends_at_the_timeout(handler: object) -> None:
    with Hostile(handler) as srv:  # type: ignore[arg-type]
        c = client(srv)
        exc = ends_within(TIMEOUT, lambda: c.v2.leads.list().items)
        assert isinstance(exc, TimeoutError), repr(exc)
        c.close()


def test_a_dripped_answer_ends_within_the_retry_budget() -> None:
    with Hostile(drip_body) as srv:
        c = client(srv, timeout=TIMEOUT, retry=RetryPolicy(attempts=10, total_timeout=2.5, backoff=0.01))
        exc = ends_within(2.5, lambda: c.v2.leads.list().items)
        assert isinstance(exc, TransportError), repr(exc)
        assert len(srv.seen) <= 3  # ~1 s per attempt inside a 2.5 s budget
        c.close()


def test_the_token_endpoint_is_bounded_by_the_timeout_too() -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        assert seen.path == "/oauth2/access_token"
        body = json.dumps({"token_type": "Bearer", "expires_in": 86400, "access_token": "a" * 40,
                           "refresh_token": "r" * 40}).encode()
        sock.sendall(head(200, {"Content-Type": "application/json"}, length=len(body)))
        drip(sock, body, every=0.1)

    with Hostile(handler) as srv:
        auth = OAuth2("cid", "client-secret-0123456789abcdef", "https://example.test/cb", storage=MemoryTokenStorage(),
                      code="auth-code-0123456789")
        c = AmoClient("acme", base_url=srv.base_url, auth=auth, throttle=None, retry=RetryPolicy(attempts=1),
                      timeout=TIMEOUT)
        exc = ends_within(3 * TIMEOUT, lambda: c.v2.leads.list().items)
        assert isinstance(exc, (TransportError, AuthError)), repr(exc)
        assert "client-secret-0123456789abcdef" not in str(exc) and "auth-code-0123456789" not in str(exc)
        assert [s.path for s in srv.seen] == ["/oauth2/access_token"] * len(srv.seen)
        c.close()


def test_an_endless_body_is_cut_off_at_the_cap() -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        sock.sendall(head(200, {"Content-Type": "application/json"}))  # no length: read to close
        block = b" " * 65536
        for _ in range(1000):  # 64 MiB, never closed before the client gives up
            sock.sendall(block)

    with Hostile(handler) as srv:
        c = client(srv, max_body_bytes=1_000_000, timeout=10)
        exc = ends_within(10, lambda: c.v2.leads.list().items)
        assert isinstance(exc, DecodeError) and "1000000" in str(exc), repr(exc)
        c.close()


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        sock.sendall(head(200, {"Content-Type": "application/json"}, length=5_000_000) + b"{")
        time.sleep(2)

    with Hostile(handler) as srv:
        c = client(srv, max_body_bytes=1_000_000, timeout=5)
        exc = ends_within(1, lambda: c.v2.leads.list().items)
        assert isinstance(exc, DecodeError), repr(exc)
        c.close()


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compression_is_not_asked_for_and_a_bomb_is_bounded(encoding: str) -> None:
    plain = b"[" + b" " * 50_000_000 + b"]"  # 50 MB of JSON, a few dozen KB compressed
    packed = gzip.compress(plain, 9) if encoding == "gzip" else zlib.compress(plain, 9)

    def handler(seen: Seen, sock: socket.socket) -> None:
        answer(sock, 200, packed, {"Content-Encoding": encoding})

    with Hostile(handler) as srv:
        c = client(srv, max_body_bytes=1_000_000, timeout=10)
        exc = ends_within(10, lambda: c.v2.leads.list().items)
        assert isinstance(exc, DecodeError) and "1000000" in str(exc), repr(exc)
        assert srv.seen[0].headers.get("accept-encoding") == "identity"
        c.close()


def test_a_small_compressed_answer_is_still_read() -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        answer(sock, 200, gzip.compress(json.dumps(LEADS).encode()), {"Content-Encoding": "gzip"})

    with Hostile(handler) as srv:
        c = client(srv)
        assert [lead.id for lead in c.v2.leads.list().items] == [1]
        c.close()


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("status", [200, 400, 500])
def test_deeply_nested_json_is_a_decode_error(status: int) -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        answer(sock, status, DEEP)

    with Hostile(handler) as srv:
        c = client(srv)
        with pytest.raises((DecodeError, APIError)) as info:
            _ = c.v2.leads.list().items
        assert not isinstance(info.value.__cause__, RecursionError) or isinstance(info.value, DecodeError)
        if status == 200:
            assert isinstance(info.value, DecodeError)
        else:  # the status is still reported; the body is not parsed into a crash
            assert getattr(info.value, "status", None) == status
        with pytest.raises(DecodeError if status == 200 else APIError):
            c.request("GET", "/api/v2/leads")  # the raw request decodes the same way
        c.close()


def test_retry_after_beyond_the_budget_is_a_rate_limit_error_at_once() -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        answer(sock, 429, {"title": "Too Many Requests"}, {"Retry-After": "60"})

    with Hostile(handler) as srv:
        c = client(srv, retry=RetryPolicy(attempts=5, total_timeout=10))
        exc = ends_within(0.5, lambda: c.v2.leads.list().items)
        assert isinstance(exc, RateLimitError) and exc.retry_after == 60.0, repr(exc)
        assert len(srv.seen) == 1  # no pointless retries, no sleeping out the budget
        c.close()


def test_a_429_is_retried_after_retry_after_within_the_budget() -> None:
    calls: list[float] = []

    def handler(seen: Seen, sock: socket.socket) -> None:
        calls.append(time.monotonic())
        if len(calls) <= 2:
            answer(sock, 429, {"title": "Too Many Requests"}, {"Retry-After": "1"})
        else:
            answer(sock, 200, LEADS)

    with Hostile(handler) as srv:
        c = client(srv, retry=RetryPolicy(attempts=2, total_timeout=10))  # 429s do not use up attempts
        assert [lead.id for lead in c.v2.leads.list().items] == [1]
        assert len(calls) == 3 and calls[1] - calls[0] >= 0.95 and calls[2] - calls[1] >= 0.95
        c.close()
