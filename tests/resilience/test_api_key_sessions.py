"""Issue 4: API-key auth. A lapsed session cookie means one transparent re-login (for all threads);
a wrong key or a server that keeps refusing ends in a typed error after a bounded number of logins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from amocrm.auth import ApiKey
from amocrm.client import AmoClient
from amocrm.errors import AmoError, AuthError, ReauthorizationRequired, ServerError
from amocrm.retry import RetryPolicy
from amocrm.sandbox import SEED, Sandbox

from .conftest import Guard

LOGIN_PATH = "/private/api/auth.php"
SESSION = 1.0  # sandbox session lifetime (s)


def make_client(sb: Sandbox, key: str | None = None) -> AmoClient:
    return AmoClient(sb.subdomain, base_url=sb.base_url, auth=ApiKey(sb.login, key or sb.api_key), throttle=None,
                     retry=RetryPolicy(attempts=3, total_timeout=3.0, backoff=0.05), timeout=2)


def logins(sb: Sandbox) -> list[dict[str, object]]:
    return [e for e in sb.request_log() if e["path"] == LOGIN_PATH]


def test_lapsed_sessions_relogin_once_for_all_threads(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    sb = make_sandbox(rate_limit=None, session_lifetime=SESSION)
    client = make_client(sb)
    errors: list[AmoError] = []
    start = time.time() + 0.05
    duration, per_thread = 2.6, 40

    def work() -> None:
        for i in range(per_thread):
            while (left := start + i * duration / per_thread - time.time()) > 0:
                time.sleep(left)
            try:
                client.v2.leads.get(SEED.LEAD_FIRST)
            except AmoError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for exc in errors:
        guard.exc(exc)
    assert errors == []
    entries = logins(sb)
    assert all(e["status"] == 200 for e in entries)
    times = [float(e["time"]) for e in entries]  # type: ignore[arg-type]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # A re-login happens only once the session has lapsed, once for every thread that saw the 401.
    assert len(entries) >= 3 and all(g >= SESSION - 0.05 for g in gaps), gaps
    lapsed_401s = sum(1 for e in sb.request_log() if e["status"] == 401)
    assert lapsed_401s >= len(entries) - 1  # each re-login was caused by a real lapse
    print(f"\n[api key] {4 * per_thread} requests in {duration}s, {len(entries)} logins, gaps "
          f"{[round(g, 2) for g in gaps]}, {lapsed_401s} requests met a lapsed session")
    client.close()


def test_wrong_key_fails_fast_with_one_login(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    sb = make_sandbox(rate_limit=None)
    client = make_client(sb, key="0" * 40)
    started = time.monotonic()
    try:
        client.v2.leads.get(SEED.LEAD_FIRST)
        raise AssertionError("a wrong API key was accepted")
    except ReauthorizationRequired as exc:
        guard.exc(exc)
        assert exc.status == 401 and "refused with HTTP 401" in str(exc)
    assert time.monotonic() - started < 1.0
    assert len(logins(sb)) == 1 and sb.counters()["logins"] == 0
    client.close()


def test_endless_401s_end_after_bounded_relogins(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    sb = make_sandbox(rate_limit=None)
    client = make_client(sb)
    client.v2.leads.get(SEED.LEAD_FIRST)  # logged in
    sb.set_faults(force_401=1000, path_prefix="/api/v2")
    started = time.monotonic()
    try:
        client.v2.leads.get(SEED.LEAD_FIRST)
        raise AssertionError("a 401 that never ends was not reported")
    except AuthError as exc:
        guard.exc(exc)
        assert exc.status == 401
    assert time.monotonic() - started < 2.0
    assert len(logins(sb)) == 1 + 2  # the first login, then two re-logins for this request
    client.close()


def test_login_endpoint_down_is_a_server_error(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    sb = make_sandbox(rate_limit=None)
    sb.set_faults(error_rate=1.0, error_statuses=[502], path_prefix=LOGIN_PATH)
    client = make_client(sb)
    try:
        client.v2.leads.get(SEED.LEAD_FIRST)
        raise AssertionError("the login endpoint's 502 page was not reported")
    except ServerError as exc:
        guard.exc(exc)
        assert exc.status == 502
    sb.clear_faults()
    client.v2.leads.get(SEED.LEAD_FIRST)  # and it recovers as soon as the endpoint does
    client.close()
