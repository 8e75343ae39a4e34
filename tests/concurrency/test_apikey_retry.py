"""API-key login and bounded re-login (no seed quirk 6); the retry policy's rules."""

from __future__ import annotations

import email.utils
import threading
import time

import pytest
from _support import API_KEY, LOGIN, TokenServer, UrllibContext

from amocrm.auth import ApiKey
from amocrm.auth.apikey import parse_set_cookie
from amocrm.errors import AuthError, ConfigError, ReauthorizationRequired
from amocrm.retry import NO_RETRY, RetryPolicy, parse_retry_after

DOMAIN = "acme.amocrm.ru"


def test_login_sends_cookie_and_relogs_once_for_many_threads(token_server: TokenServer) -> None:
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = ApiKey(LOGIN, API_KEY)
    headers = auth.headers(ctx)
    assert headers == {"Cookie": "session_id=sess-1-SECRET; user_lang=ru"}
    method, path, _ = ctx.sent[0]
    assert (method, path) == ("POST", "/private/api/auth.php?type=json")
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(auth.refresh(ctx, headers))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 6 and token_server.logins == 2  # one re-login for all six 401s
    assert auth.headers(ctx) == {"Cookie": "session_id=sess-2-SECRET; user_lang=ru"}


def test_relogin_budget_is_bounded_and_never_disabled_forever(token_server: TokenServer) -> None:
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = ApiKey(LOGIN, API_KEY, relogin_attempts=2)
    token_server.delay = 0
    outcomes = []
    for _ in range(3):  # the server keeps answering 401: two re-logins, then give up
        outcomes.append(auth.refresh(ctx, auth.headers(ctx)))
    assert outcomes == [True, True, False]
    assert auth.refresh(ctx, auth.headers(ctx)) is True  # a later 401 gets a fresh budget (quirk 6 fixed)
    auth.note_success()
    assert [auth.refresh(ctx, auth.headers(ctx)) for _ in range(2)] == [True, True]


def test_login_refused_raises_reauthorization_without_the_key(token_server: TokenServer) -> None:
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    with pytest.raises(ReauthorizationRequired) as info:
        ApiKey(LOGIN, API_KEY + "-wrong").headers(ctx)
    text = str(info.value) + info.value.body
    assert "110" in text and "refused with HTTP 401" in text and API_KEY not in text
    token_server.login_status = 403
    with pytest.raises(AuthError) as info403:
        ApiKey(LOGIN, API_KEY).headers(ctx)
    assert info403.value.status == 403 and not isinstance(info403.value, ReauthorizationRequired)
    token_server.login_status = 200
    auth = ApiKey(LOGIN, API_KEY)
    assert "Cookie" in auth.headers(ctx)  # a failed login never leaves the account "logged in"


def test_set_cookie_parsing() -> None:
    jar = parse_set_cookie(
        ["a=1; path=/, b=2; expires=Wed, 21 Oct 2099 07:28:00 GMT; path=/", "c=; Max-Age=0", "d=deleted", "junk"]
    )
    assert jar == {"a": "1", "b": "2", "c": None, "d": None}


def test_apikey_config() -> None:
    with pytest.raises(ConfigError):
        ApiKey("", API_KEY)
    with pytest.raises(ConfigError):
        ApiKey(LOGIN, API_KEY, relogin_attempts=-1)
    assert API_KEY not in repr(ApiKey(LOGIN, API_KEY))


# -- retry ----------------------------------------------------------------------------------------


def test_retry_after_seconds_date_and_cap() -> None:
    policy = RetryPolicy(retry_after_max=10)
    assert policy.delay(1, "2") == 2.0 and policy.delay(1, "0.5") == 0.5
    assert policy.delay(1, "3600") == 10.0
    future = email.utils.formatdate(time.time() + 5, usegmt=True)
    assert 3.0 <= policy.delay(1, future) <= 5.0
    assert parse_retry_after(email.utils.formatdate(time.time() - 60, usegmt=True)) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after("nan") is None


def test_backoff_grows_is_capped_and_jittered() -> None:
    exact = RetryPolicy(backoff=0.5, backoff_max=3.0, jitter=0)
    assert [exact.delay(a, None) for a in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = RetryPolicy(backoff=1.0, jitter=0.25)
    values = {jittered.delay(1, None) for _ in range(50)}
    assert all(0.75 <= v <= 1.25 for v in values) and len(values) > 1


@pytest.mark.parametrize(
    ("idempotent", "status", "sent", "retry_writes", "expected"),
    [
        (False, 429, True, False, True),  # refused before anything happened
        (True, 503, True, False, True),
        (False, 503, True, False, False),  # a write may have been applied
        (False, 504, True, True, True),  # opted in
        (True, None, None, False, True),  # read, connection reset
        (False, None, None, False, False),  # write, may have reached the server
        (False, None, False, False, True),  # write, connect refused: provably not sent
        (True, 400, True, False, False),
        (True, 500, True, False, False),
    ],
)
def test_should_retry_matrix(idempotent: bool, status: int | None, sent: bool | None, retry_writes: bool,
                             expected: bool) -> None:
    policy = RetryPolicy(retry_writes=retry_writes)
    assert policy.should_retry(idempotent=idempotent, status=status, sent=sent) is expected


def test_no_retry_budget_and_validation() -> None:
    assert not NO_RETRY.should_retry(idempotent=True, status=429, sent=True)
    policy = RetryPolicy(attempts=3, total_timeout=10)
    assert policy.allows(1, 0.0) and policy.allows(2, 5.0, 1.0)
    assert not policy.allows(3, 0.0) and not policy.allows(1, 9.5, 1.0)
    assert RetryPolicy(split_on_504=True).should_split(504) and not RetryPolicy().should_split(504)
    for bad in ({"attempts": 0}, {"backoff": -1}, {"jitter": 2}, {"total_timeout": float("inf")}, {"attempts": True}):
        with pytest.raises(ConfigError):
            RetryPolicy(**bad)
