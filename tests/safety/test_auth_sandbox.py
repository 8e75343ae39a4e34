"""Token refresh against the real sandbox over loopback, through the real client.

A refresh answered 429 waits for ``Retry-After`` and goes again; one answered 5xx is retried a
bounded number of times and leaves the refresh token usable; tokens whose save failed after the
server rotated them are used from memory and saved on the next request, so no worker is left with
a spent refresh token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import urllib3

from amocrm.auth import OAuth2, TokenRetry
from amocrm.client import AmoClient
from amocrm.errors import ServerError, TokenStorageError
from amocrm.locking import NoLocker
from amocrm.sandbox import SEED, Sandbox
from amocrm.tokens import FileTokenStorage, MemoryTokenStorage, Tokens, TokenStorage


def store_tokens(sb: Sandbox, storage: TokenStorage, lifetime: float, left: float | None = None) -> Tokens:
    """Tokens issued for ``lifetime`` seconds, stored as expiring in ``left`` seconds (default: all of it)."""
    issued = sb.issue_tokens(lifetime)
    tokens = Tokens(client_id=sb.client_id, client_secret=sb.client_secret, redirect_uri=sb.redirect_uri,
                    access_token=issued["access_token"], refresh_token=issued["refresh_token"],
                    expires_at=time.time() + float(issued["expires_in"] if left is None else left))
    storage.save(f"{sb.subdomain}.amocrm.ru", tokens)
    return tokens


def client_for(sb: Sandbox, auth: OAuth2) -> AmoClient:
    return AmoClient(sb.subdomain, base_url=sb.base_url, auth=auth, throttle=None, locker=NoLocker())


def token_calls(sb: Sandbox) -> list[dict[str, object]]:
    return [e for e in sb.request_log() if e["path"] == "/oauth2/access_token"]


def test_refresh_answered_429_waits_for_retry_after_then_succeeds(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(rate_limit=1)  # a bucket of one request, refilled once a second
    storage = MemoryTokenStorage()
    store_tokens(sb, storage, lifetime=-1)  # expired: refreshed before the first request, or nothing works
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, refresh_margin=60)
    with client_for(sb, auth) as client:
        urllib3.request("GET", sb.base_url + "/api/v2/account")  # spends the bucket: the refresh meets 429
        lead = client.v2.leads.get(SEED.LEAD_FIRST)
    assert lead is not None and lead.id == SEED.LEAD_FIRST
    calls = token_calls(sb)
    assert [c["status"] for c in calls] == [429, 200]
    assert float(calls[1]["time"]) - float(calls[0]["time"]) >= 0.9  # Retry-After: 1 was honoured  # type: ignore[arg-type]
    assert sb.counters()["refreshes"] == 1


def test_refresh_answered_503_is_retried_within_bounds_and_the_token_survives(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    sb = make_sandbox(rate_limit=None)
    storage = MemoryTokenStorage()
    before = store_tokens(sb, storage, lifetime=30, left=5)  # in the last quarter of its life: refreshed early
    retry = TokenRetry(attempts=3, backoff=0.05, backoff_max=0.1)
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, refresh_margin=60,
                  token_retry=retry)
    sb.set_faults(error_rate=1.0, error_statuses=[503], path_prefix="/oauth2/access_token")
    with client_for(sb, auth) as client:
        lead = client.v2.leads.get(SEED.LEAD_FIRST)  # the token is still valid: the early refresh may fail
        assert lead is not None
        assert [c["status"] for c in token_calls(sb)] == [503, 503, 503]
        assert storage.load(client.domain) == before and sb.counters()["refreshes"] == 0
        sb.clear_faults()
        client.v2.leads.get(SEED.LEAD_FIRST)  # the refresh token was never used: this refresh works
    assert sb.counters()["refreshes"] == 1 and [c["status"] for c in token_calls(sb)][-1] == 200


def test_expired_token_and_a_failing_token_endpoint_is_a_typed_error(make_sandbox: Callable[..., Sandbox]) -> None:
    sb = make_sandbox(rate_limit=None)
    storage = MemoryTokenStorage()
    store_tokens(sb, storage, lifetime=-1)  # already expired
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, refresh_margin=60,
                  token_retry=TokenRetry(attempts=2, backoff=0.05))
    sb.set_faults(error_rate=1.0, error_statuses=[502], path_prefix="/oauth2/access_token")
    with client_for(sb, auth) as client, pytest.raises(ServerError, match="HTTP 502"):
        client.v2.leads.get(SEED.LEAD_FIRST)
    assert len(token_calls(sb)) == 2


class FailingSaves(FileTokenStorage):
    """A real file storage whose next ``fail`` saves raise, as a full disk would."""

    fail = 0

    def save(self, domain: str, tokens: Tokens) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise TokenStorageError(f"cannot write the token file {self.path(domain)}: No space left on device")
        super().save(domain, tokens)


def test_a_failed_save_after_refresh_loses_nothing(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="amocrm")
    sb = make_sandbox(rate_limit=None)
    folder = tmp_path / "tokens"
    storage = FailingSaves(folder)
    old = store_tokens(sb, storage, lifetime=3600)
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, refresh_margin=0)
    with client_for(sb, auth) as client:
        domain = client.domain
        client.v2.leads.get(SEED.LEAD_FIRST)
        # The token is refused: refresh; its save fails, and so does the retry before the request is re-sent.
        storage.fail = 2
        sb.set_faults(force_401=1, path_prefix="/api/v2")
        assert client.v2.leads.get(SEED.LEAD_FIRST) is not None  # ... and the request still succeeds
        assert sb.counters()["refreshes"] == 1
        assert storage.load(domain) == old  # not saved yet
        client.v2.leads.get(SEED.LEAD_FIRST)  # the next request saves them first
        saved = storage.load(domain)
        assert saved is not None and saved.access_token != old.access_token
        last = [e for e in sb.request_log() if e["path"].startswith("/api/v2")][-1]  # type: ignore[union-attr]
        assert last["status"] == 200 and last["auth"] == "oauth"
    # Another worker (a new process would do the same) continues from the file: no dead refresh token.
    other = OAuth2.from_storage(FileTokenStorage(folder), domain, refresh_margin=0)
    with client_for(sb, other) as client:
        sb.set_faults(force_401=1, path_prefix="/api/v2")
        assert client.v2.leads.get(SEED.LEAD_FIRST) is not None
    assert sb.counters()["refreshes"] == 2
    assert all(c["status"] == 200 for c in token_calls(sb))  # no refresh was ever refused
    secrets = {old.access_token, old.refresh_token or "", saved.access_token, saved.refresh_token or "",
               sb.client_secret}
    assert not any(s in r.getMessage() for r in caplog.records for s in secrets)
