"""Issue 4: under injected faults every call ends, within its time budget, in success or a typed error,
and no retry ever creates a duplicate entity.

Faults (the sandbox's ``set_faults``): latency above the client timeout, 5xx pages, connections
dropped before and after the write is applied, truncated / non-JSON / HTML bodies, forced 401s, and
a failing token endpoint.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

import pytest

from amocrm.auth import OAuth2
from amocrm.client import AmoClient
from amocrm.errors import AmoError, AuthError, DecodeError, ServerError, TransportError
from amocrm.retry import RetryPolicy
from amocrm.sandbox import SEED, Sandbox
from amocrm.tokens import MemoryTokenStorage, Tokens
from amocrm.v2.models import Lead

from .conftest import Guard

TIMEOUT = 0.4  # the client's read timeout
BUDGET = 2.0  # RetryPolicy.total_timeout: the most any one call may take
SLACK = 0.5  # scheduling slack on a 2-core machine
TYPED = (TransportError, ServerError, DecodeError, AuthError)  # AuthError includes ReauthorizationRequired


def make_client(sb: Sandbox, *, lifetime: float | None = None) -> tuple[AmoClient, MemoryTokenStorage]:
    """A client whose tokens were stored earlier (not just obtained, so a 401 may refresh them)."""
    storage = MemoryTokenStorage()
    issued = sb.issue_tokens(lifetime)
    domain = f"{sb.subdomain}.amocrm.ru"
    storage.save(domain, Tokens(client_id=sb.client_id, client_secret=sb.client_secret, redirect_uri=sb.redirect_uri,
                                access_token=issued["access_token"], refresh_token=issued["refresh_token"],
                                expires_at=time.time() + float(issued["expires_in"])))
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, refresh_margin=0)
    policy = RetryPolicy(attempts=3, total_timeout=BUDGET, backoff=0.05, backoff_max=0.2)
    client = AmoClient(sb.subdomain, base_url=sb.base_url, auth=auth, throttle=None, retry=policy, timeout=TIMEOUT)
    return client, storage


def timed(guard: Guard, call: Callable[[], Any]) -> tuple[str, float]:
    """Run ``call``; return ("ok" or the exception class name, seconds). Untyped exceptions propagate."""
    started = time.monotonic()
    try:
        call()
        outcome = "ok"
    except AmoError as exc:
        guard.exc(exc)
        assert isinstance(exc, TYPED), f"unexpected error type {type(exc).__name__}: {exc}"
        outcome = type(exc).__name__
    return outcome, time.monotonic() - started


def names(sb: Sandbox) -> collections.Counter[str]:
    return collections.Counter(str(e["name"]) for e in sb.entities("leads"))


def test_latency_above_the_timeout(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    sb = make_sandbox(rate_limit=None)
    client, _ = make_client(sb)
    client.v2.leads.get(SEED.LEAD_FIRST)  # connected and authorised before the faults
    sb.set_faults(latency_ms=800, path_prefix="/api/v2")
    outcome, took = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
    assert outcome == "TimeoutError" and took <= BUDGET + SLACK
    log = [e for e in sb.request_log() if e["method"] == "GET"]
    assert len(log) >= 1 + 2  # the warm-up, then the read went out 3 times (idempotent: retried)
    outcome, took = timed(guard, lambda: client.v2.leads.save(Lead(name="slow write")))
    assert outcome == "TimeoutError" and took <= TIMEOUT + SLACK  # a write is not retried after a timeout
    time.sleep(0.8)  # the sandbox applies the write after its delay
    assert names(sb)["slow write"] == 1  # applied once: no duplicate from a retry
    client.close()


@pytest.mark.slow
def test_mixed_faults_end_typed_within_budget_without_duplicates(
    make_sandbox: Callable[..., Sandbox], guard: Guard
) -> None:
    sb = make_sandbox(rate_limit=None)
    client, _ = make_client(sb)
    client.v2.leads.get(SEED.LEAD_FIRST)
    sb.set_faults(error_rate=0.2, drop_before_rate=0.1, drop_after_rate=0.1, truncate_rate=0.1, html_rate=0.1,
                  non_json_rate=0.05, latency_jitter_ms=50, path_prefix="/api/v2", seed=20261129)
    outcomes: collections.Counter[str] = collections.Counter()
    slowest = 0.0
    saved: dict[str, int] = {}
    for i in range(60):
        name = f"fault-{i}"
        lead = Lead(name=name)
        outcome, took = timed(guard, lambda lead=lead: client.v2.leads.save(lead))  # type: ignore[misc]
        outcomes["save " + outcome] += 1
        slowest = max(slowest, took)
        if outcome == "ok":
            assert isinstance(lead.id, int)
            saved[name] = lead.id
        outcome, took = timed(guard, lambda: client.v2.leads.list(id=[SEED.LEAD_FIRST, SEED.LEAD_SECOND]))
        outcomes["list " + outcome] += 1
        slowest = max(slowest, took)
    sb.clear_faults()
    time.sleep(0.3)  # late writes (delayed by jitter after the client gave up) land now
    stored = names(sb)
    duplicates = {n: c for n, c in stored.items() if c > 1}
    assert duplicates == {}
    for name, ident in saved.items():  # every acknowledged write is there, under the id the client got
        assert stored[name] == 1 and any(e["id"] == ident for e in sb.entities("leads") if e["name"] == name)
    assert slowest <= BUDGET + SLACK
    faults = sb.counters()["faults"]
    assert {"error", "drop_before", "drop_after", "truncate", "html"} <= set(faults)  # every kind was exercised
    assert outcomes["save ok"] > 0 and outcomes["list ok"] > 0
    print(f"\n[faults] outcomes {dict(outcomes)}, injected {faults}, slowest call {slowest:.2f}s, "
          f"{sum(1 for n in stored if n.startswith('fault-'))} of 60 writes stored, none twice")


def test_forced_401_refreshes_once_then_gives_up(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    sb = make_sandbox(rate_limit=None)
    client, _ = make_client(sb)
    client.v2.leads.get(SEED.LEAD_FIRST)
    sb.set_faults(force_401=1, path_prefix="/api/v2")
    outcome, took = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
    assert outcome == "ok" and sb.counters()["refreshes"] == 1  # one refresh, then the request went through
    sb.set_faults(force_401=5, path_prefix="/api/v2")  # a 401 right after a refresh is not refreshed again
    outcome, took = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
    assert outcome == "AuthError" and took <= BUDGET + SLACK
    assert sb.counters()["refreshes"] == 1
    client.close()


def test_token_endpoint_down_with_an_expired_token(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    sb = make_sandbox(rate_limit=None)
    client, _ = make_client(sb, lifetime=1)
    time.sleep(1.1)  # the stored access token has expired
    sb.set_faults(error_rate=1.0, error_statuses=[503], path_prefix="/oauth2/access_token")
    outcome, took = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
    assert outcome == "ServerError" and took <= BUDGET + SLACK
    assert sb.counters()["refreshes"] == 0
    sb.clear_faults()  # the refresh token was not consumed by the failed attempt: the next call refreshes
    outcome, _ = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
    assert outcome == "ok" and sb.counters()["refreshes"] == 1
    client.close()


def test_a_short_lived_token_is_refreshed_even_right_after_it_came(
    make_sandbox: Callable[..., Sandbox], guard: Guard
) -> None:
    """A 401 within 5 s of a refresh is normally not refreshed again (the problem is elsewhere), but a
    token that has really expired must be: with a 1 s lifetime and no refresh margin, every call works."""
    sb = make_sandbox(rate_limit=None, token_lifetime=1)
    client, _ = make_client(sb)
    for _ in range(3):
        outcome, _took = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
        assert outcome == "ok"
        time.sleep(1.05)
    assert sb.counters()["refreshes"] == 2  # expired twice between the three calls, refreshed each time
    client.close()


def test_refresh_answer_lost_after_the_server_rotated(make_sandbox: Callable[..., Sandbox], guard: Guard) -> None:
    """The one unrecoverable case of rotating refresh tokens: the server applied the refresh but the
    answer was lost. The client reports it (TransportError), then a typed ReauthorizationRequired
    -- never a hang, a loop of refresh attempts, or a silently overwritten token store."""
    sb = make_sandbox(rate_limit=None)
    client, storage = make_client(sb, lifetime=1)
    before = storage.load(client.domain)
    time.sleep(1.1)
    sb.set_faults(drop_after_rate=1.0, path_prefix="/oauth2/access_token")
    outcome, took = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
    assert outcome == "TransportError" and took <= BUDGET + SLACK
    assert sb.counters()["refreshes"] == 1  # applied on the server ...
    assert storage.load(client.domain) == before  # ... but the client never saw the new tokens
    sb.clear_faults()
    outcome, took = timed(guard, lambda: client.v2.leads.get(SEED.LEAD_FIRST))
    assert outcome == "ReauthorizationRequired" and took <= BUDGET + SLACK
    assert storage.load(client.domain) == before  # the stored tokens are kept for inspection
    client.close()
