"""OAuth2 against a real local token endpoint with rotating single-use refresh tokens."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from _support import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    TokenServer,
    UrllibContext,
    finish,
    spawn,
    wait_ready,
)

from amocrm.auth import Auth, LongLivedToken, OAuth2
from amocrm.errors import AuthError, ConfigError, DecodeError, ReauthorizationRequired
from amocrm.tokens import FileTokenStorage, MemoryTokenStorage, Tokens

DOMAIN = "acme.amocrm.ru"


def seed_tokens(storage: FileTokenStorage | MemoryTokenStorage, server: TokenServer, expires_at: float | None) -> None:
    storage.save(
        DOMAIN,
        Tokens(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_uri=REDIRECT_URI,
            access_token=server.access,
            refresh_token=server.refresh,
            expires_at=expires_at,
        ),
    )


def make(storage: object = None, **kwargs: object) -> OAuth2:
    return OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, storage=storage, **kwargs)  # type: ignore[arg-type]


def test_eight_processes_refresh_exactly_once(tmp_path: Path, token_server: TokenServer) -> None:
    folder = tmp_path / "tokens"
    storage = FileTokenStorage(folder)
    seed_tokens(storage, token_server, time.time() + 3600)
    stale = token_server.access
    sync = tmp_path / "sync"
    sync.mkdir()
    args = {"folder": str(folder), "domain": DOMAIN, "base_url": token_server.base_url, "stale": stale,
            "sync": str(sync)}
    procs = [spawn(["oauth-refresh", json.dumps(args)]) for _ in range(8)]
    wait_ready(sync, 8, procs)
    results = [json.loads(out) for out in finish(procs)]
    assert token_server.refreshes == 1 and token_server.refused == 0
    assert all(r["ok"] for r in results)
    assert {r["headers"]["Authorization"] for r in results} == {f"Bearer {token_server.access}"}
    stored = storage.load(DOMAIN)
    assert stored is not None and stored.access_token == token_server.access
    assert stored.refresh_token == token_server.refresh and stored.access_token != stale


def test_eight_threads_refresh_exactly_once(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed_tokens(storage, token_server, None)
    auth = make(storage)
    stale = {"Authorization": f"Bearer {token_server.access}"}
    results: list[bool] = []

    def work() -> None:
        results.append(auth.refresh(UrllibContext(DOMAIN, token_server.base_url), stale))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8 and token_server.refreshes == 1


def test_refresh_request_shape(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed_tokens(storage, token_server, None)
    old_refresh = token_server.refresh
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    stale = dict(auth.headers(ctx))
    assert auth.refresh(ctx, stale)
    body = json.loads(token_server.bodies[-1])
    assert list(body) == ["client_id", "client_secret", "grant_type", "refresh_token", "redirect_uri"]
    assert body["grant_type"] == "refresh_token" and body["refresh_token"] == old_refresh
    assert token_server.auth_headers == [None]  # no stale Bearer on the token request (seed quirk 10)
    assert auth.headers(ctx) == {"Authorization": f"Bearer {token_server.access}"}
    saved = storage.load(DOMAIN)
    assert saved is not None and saved.expires_at is not None and saved.expires_at > time.time() + 86000


def test_dead_refresh_token_raises_and_keeps_the_file(tmp_path: Path, token_server: TokenServer) -> None:
    storage = FileTokenStorage(tmp_path)
    seed_tokens(storage, token_server, None)
    token_server.refresh = "rotated-elsewhere-SECRET"  # the stored refresh token is now dead
    before = (tmp_path / f"{DOMAIN}.json").read_bytes()
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    with pytest.raises(ReauthorizationRequired, match="Invalid refresh token") as info:
        auth.refresh(ctx, auth.headers(ctx))
    assert info.value.status == 400
    assert (tmp_path / f"{DOMAIN}.json").read_bytes() == before
    with pytest.raises(ReauthorizationRequired):  # not disabled: it tries (and fails) again next time
        auth.refresh(ctx, auth.headers(ctx))
    assert token_server.refused == 2


def test_dead_refresh_token_with_a_new_code_re_authorises(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed_tokens(storage, token_server, None)
    token_server.refresh = "rotated-elsewhere-SECRET"
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, code="code-1-SECRET")
    stale = dict(auth.headers(ctx))  # stored tokens win while they work: the code is not spent yet
    assert token_server.exchanges == 0
    assert auth.refresh(ctx, stale)
    assert token_server.exchanges == 1 and auth.headers(ctx) == {"Authorization": f"Bearer {token_server.access}"}


def test_first_use_exchanges_the_code(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage, code="code-1-SECRET")
    assert auth.headers(ctx) == {"Authorization": f"Bearer {token_server.access}"}
    body = json.loads(token_server.bodies[0])
    assert list(body) == ["client_id", "client_secret", "grant_type", "code", "redirect_uri"]
    assert body["grant_type"] == "authorization_code"
    assert storage.has_tokens(DOMAIN) and token_server.exchanges == 1
    auth.headers(ctx)
    assert len(token_server.bodies) == 1  # cached, no further token calls


def test_no_tokens_and_no_code(token_server: TokenServer) -> None:
    auth = make(MemoryTokenStorage())
    with pytest.raises(ReauthorizationRequired, match=f"no stored tokens for {DOMAIN}: pass code="):
        auth.headers(UrllibContext(DOMAIN, token_server.base_url))
    assert token_server.bodies == []


def test_used_code_is_refused_with_reauthorization(token_server: TokenServer) -> None:
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    with pytest.raises(ReauthorizationRequired, match="Authorization code has been revoked"):
        make(MemoryTokenStorage(), code="code-already-used").headers(ctx)


def test_wrong_client_secret_is_an_auth_error_not_reauthorization(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed_tokens(storage, token_server, None)
    auth = OAuth2(CLIENT_ID, "wrong-secret-value", REDIRECT_URI, storage=storage)
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    with pytest.raises(AuthError, match="client_secret") as info:
        auth.refresh(ctx, auth.headers(ctx))
    assert not isinstance(info.value, ReauthorizationRequired)
    assert "wrong-secret-value" not in str(info.value)


def test_proactive_refresh_before_expiry(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed_tokens(storage, token_server, time.time() + 30)  # inside the 60 s margin
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    assert auth.headers(ctx) == {"Authorization": f"Bearer {token_server.access}"}
    assert token_server.refreshes == 1
    auth.headers(ctx)
    assert token_server.refreshes == 1


@pytest.mark.parametrize("missing", ["access_token", "refresh_token", "expires_in"])
def test_incomplete_token_answer_is_a_typed_error_and_nothing_is_saved(
    token_server: TokenServer, missing: str
) -> None:
    storage = MemoryTokenStorage()
    seed_tokens(storage, token_server, None)
    before = storage.load(DOMAIN)
    token_server.omit = missing
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    with pytest.raises(DecodeError, match=missing):
        auth.refresh(ctx, auth.headers(ctx))
    assert storage.load(DOMAIN) == before


def test_401_right_after_a_refresh_does_not_refresh_again(token_server: TokenServer) -> None:
    storage = MemoryTokenStorage()
    seed_tokens(storage, token_server, None)
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    auth = make(storage)
    assert auth.refresh(ctx, auth.headers(ctx))
    assert not auth.refresh(ctx, auth.headers(ctx))  # the brand-new token was refused too
    assert token_server.refreshes == 1


def test_another_process_refreshed_meanwhile_no_network(tmp_path: Path, token_server: TokenServer) -> None:
    storage = FileTokenStorage(tmp_path)
    seed_tokens(storage, token_server, None)
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    mine, theirs = make(FileTokenStorage(tmp_path)), make(FileTokenStorage(tmp_path))
    stale = dict(mine.headers(ctx))
    assert theirs.refresh(ctx, theirs.headers(ctx))
    assert mine.refresh(ctx, stale)
    assert token_server.refreshes == 1 and mine.headers(ctx) == theirs.headers(ctx)


def test_long_lived_token_and_config_errors() -> None:
    auth = LongLivedToken("long-lived-SECRET-token")
    assert isinstance(auth, Auth) and isinstance(make(), Auth)
    ctx = UrllibContext(DOMAIN, "http://127.0.0.1:1")
    assert auth.headers(ctx) == {"Authorization": "Bearer long-lived-SECRET-token"}
    assert auth.refresh(ctx, auth.headers(ctx)) is False
    assert "SECRET" not in repr(auth) and "SECRET" not in repr(make())
    for bad in ("", "a b", "x\ny"):
        with pytest.raises(ConfigError):
            LongLivedToken(bad)
    with pytest.raises(ConfigError, match="client_secret"):
        OAuth2(CLIENT_ID, "", REDIRECT_URI)
    with pytest.raises(ConfigError, match="refresh_margin"):
        make(refresh_margin=-1)
    with pytest.raises(ConfigError, match="domain"):
        make(MemoryTokenStorage()).headers(UrllibContext("../etc", "http://127.0.0.1:1"))
