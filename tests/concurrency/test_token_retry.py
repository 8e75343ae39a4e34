"""Token requests answered 429/5xx are retried (the grant was not used); refused grants stay final.

Also: refreshed tokens whose save failed are kept and saved later, and tokens that cannot go into
an HTTP header are refused by name, never echoed, and never saved. All against the real local
token server of ``_support`` (rotating single-use refresh tokens).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from _support import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, TokenServer, UrllibContext

from amocrm.auth import OAuth2, TokenRetry
from amocrm.errors import (
    ConfigError,
    DecodeError,
    RateLimitError,
    ReauthorizationRequired,
    ServerError,
    TokenStorageError,
)
from amocrm.tokens import FileTokenStorage, MemoryTokenStorage, Tokens

DOMAIN = "acme.amocrm.ru"
FAST = TokenRetry(attempts=3, backoff=0.01, backoff_max=0.05)


def seed(storage: FileTokenStorage | MemoryTokenStorage, server: TokenServer) -> Tokens:
    tokens = Tokens(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                    access_token=server.access, refresh_token=server.refresh, expires_at=None)
    storage.save(DOMAIN, tokens)
    return tokens


def make(storage: object, **kwargs: object) -> OAuth2:
    return OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, storage=storage, **kwargs)  # type: ignore[arg-type]


def test_refresh_answered_503_then_429_is_retried_honouring_retry_after(
    token_server: TokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="amocrm")
    storage = MemoryTokenStorage()
    seed(storage, token_server)
    token_server.script = [(503, {}), (429, {"Retry-After": "0.3"})]
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, token_retry=TokenRetry(attempts=4, backoff=0.01))
    stale = dict(auth.headers(ctx))
    started = time.monotonic()
    assert auth.refresh(ctx, stale)
    assert time.monotonic() - started >= 0.3  # the server's Retry-After was waited for
    assert token_server.scripted == 2 and token_server.refreshes == 1 and token_server.refused == 0
    assert auth.headers(ctx) == {"Authorization": f"Bearer {token_server.access}"}
    stored = storage.load(DOMAIN)
    assert stored is not None and stored.access_token == token_server.access
    retries = [r.getMessage() for r in caplog.records if "nothing was used; retry" in r.getMessage()]
    assert len(retries) == 2 and "HTTP 503" in retries[0] and "HTTP 429" in retries[1]
    assert not any("SECRET" in r.getMessage() for r in caplog.records)


def test_refresh_that_keeps_failing_gives_up_after_the_attempts_and_keeps_the_token(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    before = seed(storage, token_server)
    token_server.script = [(502, {})] * 5
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, token_retry=FAST)
    with pytest.raises(ServerError, match="HTTP 502"):
        auth.refresh(ctx, auth.headers(ctx))
    assert token_server.scripted == 3  # TokenRetry.attempts requests in all
    assert storage.load(DOMAIN) == before
    token_server.script = []
    assert auth.refresh(ctx, {"Authorization": f"Bearer {before.access_token}"})  # not consumed: works now
    assert token_server.refreshes == 1 and token_server.refused == 0


def test_retry_after_beyond_the_limit_is_not_waited_for(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed(storage, token_server)
    token_server.script = [(429, {"Retry-After": "3600"})]
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, token_retry=TokenRetry(retry_after_max=5))
    started = time.monotonic()
    with pytest.raises(RateLimitError):
        auth.refresh(ctx, auth.headers(ctx))
    assert time.monotonic() - started < 5 and token_server.scripted == 1


def test_the_budget_bounds_the_retries(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed(storage, token_server)
    token_server.script = [(503, {})] * 10
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, token_retry=TokenRetry(attempts=10, backoff=0.2, backoff_max=0.2, budget=0.5))
    with pytest.raises(ServerError):
        auth.refresh(ctx, auth.headers(ctx))
    assert 2 <= token_server.scripted <= 3  # pauses of 0.2 s fit twice into 0.5 s, not nine times


def test_invalid_grant_is_final_not_retried(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    before = seed(storage, token_server)
    token_server.refresh = "rotated-elsewhere-SECRET"
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, token_retry=FAST)
    with pytest.raises(ReauthorizationRequired, match="Invalid refresh token"):
        auth.refresh(ctx, auth.headers(ctx))
    assert len(token_server.bodies) == 1 and storage.load(DOMAIN) == before


def test_code_exchange_answered_502_is_retried_once_accepted_never_again(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    token_server.script = [(502, {})]
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, code="code-1-SECRET", token_retry=FAST)
    assert auth.headers(ctx) == {"Authorization": f"Bearer {token_server.access}"}
    assert token_server.scripted == 1 and token_server.exchanges == 1
    assert storage.has_tokens(DOMAIN)


class FailingSaves(FileTokenStorage):
    """A real file storage whose next ``fail`` saves raise, as a full disk or a lost mount would."""

    fail = 0

    def save(self, domain: str, tokens: Tokens) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise TokenStorageError(f"cannot write the token file {self.path(domain)}: No space left on device")
        super().save(domain, tokens)


def test_failed_save_after_refresh_keeps_the_new_tokens_and_saves_them_later(
    tmp_path: Path, token_server: TokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="amocrm")
    storage = FailingSaves(tmp_path / "tokens")
    old = seed(storage, token_server)
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    stale = dict(auth.headers(ctx))
    storage.fail = 2  # the save after the refresh fails, and so does the first retry
    assert auth.refresh(ctx, stale)  # the refresh succeeded: the request may go on
    new_access = token_server.access
    assert auth.headers(ctx) == {"Authorization": f"Bearer {new_access}"}  # from memory; retry 1 failed
    assert storage.load(DOMAIN) == old
    assert auth.headers(ctx) == {"Authorization": f"Bearer {new_access}"}  # retry 2 lands
    saved = storage.load(DOMAIN)
    assert saved is not None and saved.access_token == new_access and saved.refresh_token == token_server.refresh
    # every worker now continues the chain: nothing was spent for nothing
    other = make(FileTokenStorage(tmp_path / "tokens"))
    assert other.refresh(ctx, {"Authorization": f"Bearer {new_access}"})
    assert token_server.refreshes == 2 and token_server.refused == 0
    messages = [r.getMessage() for r in caplog.records]
    assert any("could not be saved" in m for m in messages) and any("are saved now" in m for m in messages)
    assert not any("SECRET" in m for m in messages)


def test_unsaved_tokens_are_refreshed_again_without_losing_the_chain(tmp_path: Path, token_server: TokenServer) -> None:
    storage = FailingSaves(tmp_path / "tokens")
    seed(storage, token_server)
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    storage.fail = 10  # the storage stays broken for a while
    assert auth.refresh(ctx, auth.headers(ctx))
    first = token_server.access
    time.sleep(0.01)
    # the new token is refused (revoked, say): refreshing uses the unsaved refresh token, not the stored one
    auth._recent.clear()  # noqa: SLF001 - skip the "401 right after a refresh" guard for this test
    assert auth.refresh(ctx, {"Authorization": f"Bearer {first}"})
    assert token_server.refreshes == 2 and token_server.refused == 0
    storage.fail = 0
    auth.headers(ctx)
    saved = storage.load(DOMAIN)
    assert saved is not None and saved.access_token == token_server.access


def test_unsaved_tokens_lose_to_tokens_another_worker_stored(tmp_path: Path, token_server: TokenServer) -> None:
    storage = FailingSaves(tmp_path / "tokens")
    seed(storage, token_server)
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    storage.fail = 1
    assert auth.refresh(ctx, auth.headers(ctx))
    # meanwhile another worker authorised again (a new code) and stored its tokens
    other_tokens = Tokens(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                          access_token="newer-access-SECRET", refresh_token="newer-refresh-SECRET")
    FileTokenStorage(tmp_path / "tokens").save(DOMAIN, other_tokens)
    assert auth.headers(ctx) == {"Authorization": "Bearer newer-access-SECRET"}
    assert storage.load(DOMAIN) == other_tokens  # never overwritten by the older, unsaved chain


@pytest.mark.parametrize(
    ("field", "value", "defect"),
    [
        ("access_token", "access-bad\r\nX-Injected: 1", "line break"),
        ("access_token", "access-\u0436\u0436\u0436-token", "outside Latin-1"),
        ("access_token", "access-caf\u00e9-token", "non-ASCII"),
        ("refresh_token", "refresh bad token", "spaces or control"),
    ],
)
def test_token_answer_that_is_not_header_safe_is_refused_and_not_saved(
    token_server: TokenServer, field: str, value: str, defect: str
) -> None:
    storage = MemoryTokenStorage()
    before = seed(storage, token_server)
    token_server.replace = {field: value}
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    with pytest.raises(DecodeError, match=defect) as info:
        auth.refresh(ctx, auth.headers(ctx))
    assert field in str(info.value)
    assert value not in str(info.value) and value not in repr(info.value)
    assert storage.load(DOMAIN) == before  # never saved
    assert auth.headers(ctx) == {"Authorization": f"Bearer {before.access_token}"}


def test_token_file_with_a_header_unsafe_access_token_is_a_storage_error(tmp_path: Path) -> None:
    storage = FileTokenStorage(tmp_path)
    bad = "access-\u0436-SECRET-token"
    (tmp_path / f"{DOMAIN}.json").write_text(
        '{"access_token": "access-\\u0436-SECRET-token", "refresh_token": "refresh-ok-1"}', "utf-8"
    )
    with pytest.raises(TokenStorageError, match="outside Latin-1") as info:
        storage.load(DOMAIN)
    assert str(tmp_path / f"{DOMAIN}.json") in str(info.value) and bad not in str(info.value)
    ctx = UrllibContext(DOMAIN, "http://127.0.0.1:1")
    with pytest.raises(TokenStorageError):
        make(storage).headers(ctx)


def test_header_unsafe_tokens_are_never_saved(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="access_token contains a line break") as info:
        Tokens(access_token="abc\nSet-Cookie: x=1")
    assert "Set-Cookie" not in str(info.value)
    storage = FileTokenStorage(tmp_path)
    tokens = Tokens(access_token="access-fine-1", refresh_token="refresh-fine-1")
    tokens.access_token = "mutated-\u0436-later"
    for target in (storage, MemoryTokenStorage()):
        with pytest.raises(ConfigError, match="access_token contains characters outside Latin-1"):
            target.save(DOMAIN, tokens)
    assert not (tmp_path / f"{DOMAIN}.json").exists()
