"""Nothing logged or raised carries a secret; the seed's debug framing on stdout and in a file."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from pathlib import Path

import pytest
from _support import API_KEY, CLIENT_ID, CLIENT_SECRET, LOGIN, REDIRECT_URI, TokenServer, UrllibContext

from amocrm import _logging
from amocrm.auth import ApiKey, OAuth2
from amocrm.errors import AmoError
from amocrm.locking import FileLocker
from amocrm.throttle import LocalThrottle
from amocrm.tokens import FileTokenStorage

DOMAIN = "acme.amocrm.ru"
LEAKS = re.compile("SECRET|LEAK")  # every secret of the test server contains one of these


def test_full_auth_flows_log_and_raise_no_secret(
    tmp_path: Path, token_server: TokenServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="amocrm")
    ctx = UrllibContext(DOMAIN, token_server.base_url)
    texts: list[str] = []
    auth = OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, storage=FileTokenStorage(tmp_path), code="code-1-SECRET")
    auth.headers(ctx)  # code exchange
    other = OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, storage=FileTokenStorage(tmp_path))
    assert other.refresh(ctx, other.headers(ctx))  # refresh
    auth = OAuth2(CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, storage=FileTokenStorage(tmp_path))
    token_server.refresh = "rotated-SECRET-elsewhere"
    try:
        auth.refresh(ctx, auth.headers(ctx))
    except AmoError as exc:  # dead refresh token
        texts += [str(exc), repr(exc), getattr(exc, "body", "")]
    key = ApiKey(LOGIN, API_KEY)
    key.refresh(ctx, key.headers(ctx))
    try:
        ApiKey(LOGIN, "wrong-LEAK-key").headers(ctx)
    except AmoError as exc:  # the server echoes the key in its error text
        texts += [str(exc), repr(exc), getattr(exc, "body", "")]
    # the pipeline's own lines for these endpoints: bodies by size only
    body = json.dumps({"client_secret": CLIENT_SECRET, "refresh_token": "r-SECRET-9"}).encode()
    _logging.log_request(1, "POST", token_server.base_url + "/oauth2/access_token", body, "application/json")
    _logging.log_response(1, 200, 0.01, body, url="/oauth2/access_token")
    _logging.log_request(2, "GET", f"{token_server.base_url}/api/v2/leads?access_token=zz-plain-value", None)
    _logging.log_response(2, 200, 0.01, b'{"note": "Bearer abcdefgh-plain"}')
    texts += [r.getMessage() for r in caplog.records]
    assert len(caplog.records) >= 8
    leaked = [t for t in texts if LEAKS.search(t) or "zz-plain-value" in t or "abcdefgh-plain" in t]
    assert leaked == []
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "[1] POST: " in messages and "bytes, not logged>" in messages
    assert "RE OAUTH2 acme.amocrm.ru: refreshed" in messages
    assert "RE OAUTH2 acme.amocrm.ru: refresh token rejected" in messages
    assert "RE AUTH acme.amocrm.ru: re-login #1" in messages
    assert "[2] RESPONSE 0.0100s (200):" in messages


def test_enable_debug_uses_the_seed_framing() -> None:
    stream = io.StringIO()
    handler = _logging.enable_debug(stream)
    try:
        _logging.log_request(7, "GET", "https://acme.amocrm.ru/api/v2/account")
        _logging.log_throttle(7, 0.1234, 7.0)
    finally:
        _logging.disable_debug(handler)
    out = stream.getvalue()
    frame = r"\*\*\* [0-9a-z]{7} \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} [+-]\d\d:\d\d\]\n"
    assert re.fullmatch(
        frame + r"\[7\] GET: https://acme\.amocrm\.ru/api/v2/account\n\n" + frame + r"\[7\] THROTTLE \(7\) 0\.1234s\n\n",
        out,
    ), out


def test_debug_file_logger_appends_from_threads_redacted(tmp_path: Path) -> None:
    from amocrm._redact import register_secret

    register_secret("file-logger-SECRET")
    log = _logging.DebugFileLogger(tmp_path / "logs" / "debug.log")
    _logging.logger.addHandler(log)
    old = _logging.logger.level
    _logging.logger.setLevel(logging.DEBUG)
    try:
        def work(i: int) -> None:
            for _ in range(20):
                _logging.debug("line %d file-logger-SECRET", i)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log.debug("direct call")
    finally:
        _logging.logger.removeHandler(log)
        _logging.logger.setLevel(old)
    text = (tmp_path / "logs" / "debug.log").read_text()
    assert text.count("*** ") == 81 and "SECRET" not in text and text.endswith("direct call\n\n")


def test_lock_and_throttle_events_are_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="amocrm")
    throttle = LocalThrottle(100.0)
    throttle.acquire("k")
    throttle.acquire("k")
    with FileLocker(tmp_path).lock("a/lead/1"):
        with FileLocker(tmp_path, attempts=1, wait=0, on_fail="proceed").lock("a/lead/1"):
            pass
    events = {getattr(r, "amocrm_event", None) for r in caplog.records}
    assert {"throttle", "lock"} <= events
