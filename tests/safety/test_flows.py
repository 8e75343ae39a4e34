"""The auth flows are I/O-free step machines: a test (or an async transport) drives them by hand.

Nothing here opens a socket: each test plays the server, feeding :class:`Reply` objects to the
generator and checking the :class:`Request` / :class:`Sleep` steps it yields.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from amocrm.auth._flow import (
    LOGIN_PATH,
    TOKEN_PATH,
    Reply,
    Request,
    Sleep,
    TokenGrant,
    TokenRetry,
    login_flow,
    token_flow,
)
from amocrm.errors import AuthError, ReauthorizationRequired, ServerError, TransportError
from amocrm.tokens import Tokens

GRANT = TokenGrant(domain="acme.amocrm.ru", client_id="cid", client_secret="csecret-xyz",
                   redirect_uri="https://example.test/cb", grant="refresh_token", credential="refresh-old-xyz")
OK = {"token_type": "Bearer", "expires_in": 86400, "access_token": "access-new-xyz", "refresh_token": "refresh-new-xyz"}


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
    data = json.dumps(body).encode() if body is not None else b"<html>502 Bad Gateway</html>"
    return Reply(status, headers or {}, data)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refresh_flow_yields_the_request_then_retries_a_503_after_a_pause() -> None:
    clock = Clock()
    flow = token_flow(GRANT, TokenRetry(attempts=3, backoff=0.5), clock=clock)
    first = next(flow)
    assert isinstance(first, Request) and (first.method, first.path) == ("POST", TOKEN_PATH)
    assert list(first.json) == ["client_id", "client_secret", "grant_type", "refresh_token", "redirect_uri"]
    assert first.json["refresh_token"] == "refresh-old-xyz" and first.headers is None
    pause = flow.send(reply(503))
    assert pause == Sleep(0.5)
    clock.now += 0.5
    again = flow.send(None)
    assert again == first  # the same grant: the refresh token was not used
    pause = flow.send(reply(429, {"title": "Too Many Requests"}, {"retry-after": "2"}))
    assert pause == Sleep(2.0)  # the server's Retry-After wins over the back-off
    clock.now += 2
    assert flow.send(None) == first
    with pytest.raises(StopIteration) as done:
        flow.send(reply(200, OK))
    tokens = done.value.value
    assert isinstance(tokens, Tokens) and tokens.access_token == "access-new-xyz"
    assert tokens.refresh_token == "refresh-new-xyz" and tokens.client_id == "cid"


def test_refresh_flow_stops_after_its_attempts() -> None:
    flow = token_flow(GRANT, TokenRetry(attempts=2, backoff=0.1), clock=Clock())
    next(flow)
    assert isinstance(flow.send(reply(500)), Sleep)
    next(flow)
    with pytest.raises(ServerError, match="HTTP 500"):
        flow.send(reply(500))


def test_a_refused_grant_is_final() -> None:
    flow = token_flow(GRANT, TokenRetry(), clock=Clock())
    next(flow)
    with pytest.raises(ReauthorizationRequired, match="Invalid refresh token"):
        flow.send(reply(400, {"hint": "Invalid refresh token", "status": 400}))
    flow = token_flow(GRANT, TokenRetry(), clock=Clock())
    next(flow)
    with pytest.raises(AuthError, match="client_secret"):
        flow.send(reply(400, {"hint": "Check the `client_secret` parameter"}))


def test_transport_errors_are_retried_only_when_nothing_was_sent() -> None:
    flow = token_flow(GRANT, TokenRetry(attempts=3, backoff=0.2), clock=Clock())
    next(flow)
    assert flow.throw(TransportError("connection refused", sent=False)) == Sleep(0.2)
    assert isinstance(flow.send(None), Request)
    with pytest.raises(TransportError, match="reset"):  # may have reached the server: never re-sent
        flow.throw(TransportError("connection reset", sent=True))


def test_the_budget_ends_retries_early() -> None:
    clock = Clock()
    flow = token_flow(GRANT, TokenRetry(attempts=10, backoff=1.0, backoff_max=1.0), budget=2.5, clock=clock)
    next(flow)
    for _ in range(2):
        assert flow.send(reply(503)) == Sleep(1.0)
        clock.now += 1.0
        next(flow)
    with pytest.raises(ServerError):  # a third pause would end past the 2.5 s budget
        flow.send(reply(503))


def test_code_exchange_flow_sends_the_code_field() -> None:
    grant = TokenGrant(domain="acme.amocrm.ru", client_id="cid", client_secret="csecret-xyz",
                       redirect_uri="https://example.test/cb", grant="authorization_code", credential="code-xyz")
    flow = token_flow(grant, TokenRetry(), clock=Clock())
    request = next(flow)
    assert isinstance(request, Request)
    assert list(request.json) == ["client_id", "client_secret", "grant_type", "code", "redirect_uri"]
    with pytest.raises(ReauthorizationRequired, match="new authorization code"):
        flow.send(reply(400, {"hint": "Authorization code has been revoked"}))


def test_login_flow_returns_the_session_cookies() -> None:
    flow = login_flow("user@example.test", "api-key-xyz", "acme.amocrm.ru")
    request = next(flow)
    assert isinstance(request, Request) and request.path == LOGIN_PATH
    assert request.json == {"USER_LOGIN": "user@example.test", "USER_HASH": "api-key-xyz"}
    headers = {"Set-Cookie": "session_id=sess-xyz; path=/; HttpOnly, user_lang=ru; expires=Wed, 21 Oct 2099 07:28:00 GMT"}
    with pytest.raises(StopIteration) as done:
        flow.send(reply(200, {"response": {"auth": True}}, headers))
    assert done.value.value == {"session_id": "sess-xyz", "user_lang": "ru"}


def test_login_flow_refused_key() -> None:
    flow = login_flow("user@example.test", "api-key-xyz", "acme.amocrm.ru")
    next(flow)
    with pytest.raises(ReauthorizationRequired, match="error_code 110"):
        flow.send(reply(401, {"response": {"auth": False, "error": "wrong", "error_code": "110"}}))
