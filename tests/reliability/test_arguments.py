"""Bad arguments to the client and its resources fail early: a ``ConfigError`` (``AuthError`` when no
auth is configured) that names what was wrong, raised before anything is sent.

Every call runs against a loopback server that records what reaches it: for each bad argument the
test checks the error type, that the message names the argument, and that the server saw nothing.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amocrm.auth import LongLivedToken, OAuth2
from amocrm.client import AmoClient, ClientConfig
from amocrm.errors import AmoError, AuthError, ConfigError, DecodeError, TokenStorageError
from amocrm.retry import RetryPolicy
from amocrm.tokens import FileTokenStorage, MemoryTokenStorage, Tokens
from amocrm.v2.models import Catalog, Contact, Lead

from ._hostile import Hostile, Seen, answer

TOKEN = "t" * 40


def nothing_expected(seen: Seen, sock: socket.socket) -> None:
    answer(sock, 200, {"_embedded": {"items": []}})


@pytest.fixture(scope="module")
def srv() -> Hostile:
    with Hostile(nothing_expected) as server:
        yield server  # type: ignore[misc]


def make(srv: Hostile, **options: Any) -> AmoClient:
    opts: dict[str, Any] = {"base_url": srv.base_url, "auth": LongLivedToken(TOKEN), "throttle": None,
                            "retry": RetryPolicy(attempts=1)}
    opts.update(options)
    return AmoClient("acme", **opts)


def call_cases(c: AmoClient) -> list[tuple[str, Callable[[], Any], str]]:
    """(label, call, text the message must contain)."""
    cases: list[tuple[str, Callable[[], Any], str]] = []
    for bad in (0, -1, "5", True, 1.5, -(10**20)):
        cases.append((f"page_size={bad!r}", lambda b=bad: c.v2.leads.list(page_size=b), "page_size"))
        cases.append((f"batch_size={bad!r}", lambda b=bad: c.v2.leads.save([Lead(name="x")], batch_size=b),
                      "batch_size"))
    for bad in ("5", None, 0, -3, True, 2.5, 10**20):
        cases.append((f"get({bad!r})", lambda b=bad: c.v2.leads.get(b), "id"))
    for bad in (-1, "5", 0, math.inf, math.nan, True):
        cases.append((f"timeout={bad!r}", lambda b=bad: c.request("GET", "/api/v2/leads", timeout=b), "timeout"))
    naive = datetime.datetime(2024, 1, 1, 12, 0)
    for bad in ("yesterday", naive, 10**20, -5, True, math.nan):
        cases.append((f"modified_since={bad!r}", lambda b=bad: c.v2.leads.list(modified_since=b), "modified_since"))
    cases.append(("save(Contact)", lambda: c.v2.leads.save([Contact(name="x")]), "objects[0]"))
    cases.append(("save(dict)", lambda: c.v2.leads.save({"name": "x"}), "objects"))
    cases.append(("save('x')", lambda: c.v2.leads.save("x"), "objects"))
    cases.append(("save(5)", lambda: c.v2.leads.save(5), "objects"))
    cases.append(("delete(Lead)", lambda: c.v2.catalogs.delete([Lead(id=5)]), "ids"))
    cases.append(("delete('5')", lambda: c.v2.catalogs.delete("5"), "ids"))
    cases.append(("delete(Catalog without id)", lambda: c.v2.catalogs.delete(Catalog(name="c")), "ids"))
    cases.append(("unknown filter key", lambda: c.v2.leads.list(filter={"date_creat": {"from": 1, "to": 2}}),
                  "date_creat"))
    cases.append(("filter value type", lambda: c.v2.leads.list(filter={"tasks": 3}), "tasks"))
    cases.append(("unknown with_", lambda: c.v2.leads.list(with_=["loss_reason"]), "loss_reason"))
    cases.append(("unknown with_ as a string", lambda: c.v2.leads.list(with_="loss_reason"), "loss_reason"))
    cases.append(("sale='lots'", lambda: c.v2.leads.save([Lead(name="x", sale="lots")]), "sale"))
    cases.append(("sale=1.5", lambda: c.v2.leads.save([Lead(name="x", sale=1.5)]), "sale"))
    cases.append(("name=5", lambda: c.v2.leads.save([Lead(name=5)]), "name"))
    cases.append(("raw path escaping the prefix", lambda: c.request("GET", "/api/v2/../../admin"), ".."))
    cases.append(("raw path encoded ..", lambda: c.request("GET", "/api/v2/%2e%2e/%2e%2e/admin"), ".."))
    cases.append(("raw method", lambda: c.request("TRACE", "/api/v2/leads"), "TRACE"))
    cases.append(("raw header CR/LF", lambda: c.request("GET", "/api/v2/leads", headers={"X-A": "1\r\nX-B: 2"}),
                  "X-A"))
    cases.append(("raw header non-Latin-1", lambda: c.request("GET", "/api/v2/leads", headers={"X-A": "\u0436"}),
                  "X-A"))
    return cases


def test_every_bad_call_argument_is_refused_before_sending(srv: Hostile) -> None:
    client = make(srv)
    before = len(srv.seen)
    failures = []
    for label, call, name in call_cases(client):
        try:
            call()
        except ConfigError as exc:
            if name not in str(exc):
                failures.append(f"{label}: message does not name {name!r}: {exc}")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{label}: {type(exc).__name__} instead of ConfigError: {exc}")
        else:
            failures.append(f"{label}: accepted")
    assert failures == []
    assert len(srv.seen) == before, [s.path for s in srv.seen[before:]]
    client.close()


def constructor_cases(srv: Hostile, tmp: Path) -> list[tuple[str, Callable[[], Any], str]]:
    url = srv.base_url
    cases: list[tuple[str, Callable[[], Any], str]] = []
    for name, bad in (("throttle", "7"), ("throttle", True), ("throttle", object()), ("retry", 3),
                      ("retry", "x"), ("locker", "file"), ("locker", 5), ("config", {"batch_size": 5}),
                      ("pool_maxsize", 0), ("pool_maxsize", "8"), ("pool_maxsize", True),
                      ("max_body_bytes", 0), ("max_body_bytes", "1"), ("timeout", -1), ("timeout", "5"),
                      ("timeout", math.inf), ("connect_timeout", 0), ("auth", "token"), ("verify", "yes")):
        cases.append((f"{name}={bad!r}", lambda n=name, b=bad: make(srv, **{n: b}), name))
    cases.append(("top_domain=5", lambda: AmoClient("acme", top_domain=5), "top_domain"))  # type: ignore[arg-type]
    cases.append(("top_domain='a..b'", lambda: AmoClient("acme", top_domain="a..b"), "top_domain"))
    cases.append(("subdomain=5", lambda: AmoClient(5), "subdomain"))  # type: ignore[arg-type]
    cases.append(("look-alike subdomain", lambda: AmoClient("\u017fandbox"), "non-ASCII"))
    cases.append(("KELVIN SIGN subdomain", lambda: AmoClient("\u212aey"), "non-ASCII"))
    cases.append(("empty label", lambda: AmoClient("a..b.amocrm.ru"), "empty label"))
    for bad, why in ((url + "/#frag", "fragment"), (url + "/?a=1", "query"),
                     ("http://user:pass-secret@127.0.0.1:1", "user"), ("http://", "host"),
                     ("ftp://127.0.0.1", "http"), ("127.0.0.1:8080", "http")):
        cases.append((f"base_url={bad!r}", lambda b=bad: AmoClient("acme", base_url=b), why))
    for bad, why in (("agent\r\nX-Injected: 1", "user_agent"), ("agent-\u0436", "user_agent")):
        cases.append((f"user_agent={bad!r}", lambda b=bad: AmoClient("acme", user_agent=b), why))
    cases.append(("long-lived token CR/LF", lambda: LongLivedToken("abc\r\nX: 1"), "line break"))
    cases.append(("ClientConfig(batch_size=0)", lambda: ClientConfig(batch_size=0), "batch_size"))
    cases.append(("lock_timeout='x'", lambda: FileTokenStorage(tmp, lock_timeout="x"), "lock_timeout"))  # type: ignore[arg-type]
    return cases


def test_every_bad_constructor_argument_is_a_config_error_naming_it(srv: Hostile, tmp_path: Path) -> None:
    failures = []
    for label, build, name in constructor_cases(srv, tmp_path):
        try:
            built = build()
        except ConfigError as exc:
            if name not in str(exc):
                failures.append(f"{label}: message does not name {name!r}: {exc}")
            if "pass-secret" in str(exc) + repr(exc):
                failures.append(f"{label}: the password is shown: {exc}")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{label}: {type(exc).__name__} instead of ConfigError: {exc}")
        else:
            failures.append(f"{label}: accepted ({built!r})")
    assert failures == []


def test_no_auth_is_an_auth_error_before_anything_is_sent(srv: Hostile) -> None:
    client = make(srv, auth=None)
    before = len(srv.seen)
    with pytest.raises(AuthError, match="no auth"):
        client.v2.leads.list()
    assert len(srv.seen) == before
    client.close()


BAD_TOKENS = ["abc\r\nX-Injected: 1", "abc-\u0436\u0436", "abc def", ""]


@pytest.mark.parametrize("bad", BAD_TOKENS, ids=["crlf", "non-latin1", "space", "empty"])
def test_an_access_token_from_the_token_endpoint_that_is_not_header_safe_is_refused(bad: str) -> None:
    def token_endpoint(seen: Seen, sock: socket.socket) -> None:
        if seen.path == "/oauth2/access_token":
            answer(sock, 200, {"token_type": "Bearer", "expires_in": 86400, "access_token": bad,
                               "refresh_token": "r" * 40})
        else:
            answer(sock, 200, {"_embedded": {"items": []}})

    with Hostile(token_endpoint) as server:
        storage = MemoryTokenStorage()
        auth = OAuth2("cid", "client-secret-0123456789abcdef", "https://example.test/cb", storage=storage,
                      code="auth-code-0123456789")
        client = AmoClient("acme", base_url=server.base_url, auth=auth, throttle=None, retry=RetryPolicy(attempts=1))
        with pytest.raises(AmoError) as info:
            client.v2.leads.list()
        assert isinstance(info.value, DecodeError) and "nothing was saved" in str(info.value), repr(info.value)
        if bad:
            assert bad not in str(info.value) + repr(info.value)
        assert storage.load(client.domain) is None  # the bad token was not saved
        assert [s.path for s in server.seen] == ["/oauth2/access_token"]  # nothing sent with it
        client.close()


@pytest.mark.parametrize("bad", BAD_TOKENS[:3], ids=["crlf", "non-latin1", "space"])
def test_an_access_token_from_a_token_file_that_is_not_header_safe_is_refused(
    bad: str, tmp_path: Path, srv: Hostile
) -> None:
    folder = tmp_path / "tokens"
    storage = FileTokenStorage(folder)
    storage.save("acme.amocrm.ru", Tokens(client_id="cid", client_secret="client-secret-0123456789abcdef", redirect_uri="https://e.test/cb",
                                          access_token="a" * 40, refresh_token="r" * 40, expires_at=2e9))
    path = next(p for p in folder.iterdir() if p.suffix == ".json")
    data = json.loads(path.read_text())
    data["access_token"] = bad
    path.write_text(json.dumps(data))
    os.chmod(path, 0o600)
    before = len(srv.seen)
    auth = OAuth2("cid", "client-secret-0123456789abcdef", "https://e.test/cb", storage=storage)
    client = make(srv, auth=auth)
    with pytest.raises((TokenStorageError, ConfigError, AuthError)) as info:
        client.v2.leads.list()
    assert bad not in str(info.value) + repr(info.value)
    assert len(srv.seen) == before
    client.close()
