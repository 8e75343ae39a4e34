"""Secrets stay out of what a user prints, logs or keeps: responses, errors, diagnostics.

Every check runs through the real client against the sandbox (or the scripted server for a
``Set-Cookie`` on an error answer) and looks for the secret's own bytes, not for a mask.
"""

from __future__ import annotations

import logging
import socket

import pytest

from amocrm.auth import ApiKey, LongLivedToken, OAuth2
from amocrm.client import AmoClient
from amocrm.errors import APIError, AuthError, TransportError
from amocrm.retry import RetryPolicy
from amocrm.sandbox import Sandbox
from amocrm.testing import client_for
from amocrm.tokens import MemoryTokenStorage

from ._hostile import Hostile, Seen, answer


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox  # type: ignore[misc]


def test_the_last_response_masks_an_api_key_in_its_url(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.request("GET", "/api/v2/leads", {"USER_LOGIN": sb.login, "USER_HASH": sb.api_key})
    last = client.last_response
    assert last is not None and last.status in (200, 204)
    for shown in (repr(last), str(last)):
        assert sb.api_key not in shown and "USER_HASH=***" in shown
    client.close()


def test_the_last_response_never_holds_a_token_answer(sb: Sandbox) -> None:
    storage = MemoryTokenStorage()
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, code=sb.mint_code())
    client = AmoClient(sb.subdomain, base_url=sb.base_url, auth=auth, throttle=None)
    client.v2.account.get()  # exchanges the code first
    tokens = storage.load(client.domain)
    assert tokens is not None
    # now make the token answer the last one the client saw
    client.send("POST", "/oauth2/access_token", json={
        "client_id": sb.client_id, "client_secret": sb.client_secret, "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token, "redirect_uri": sb.redirect_uri})
    last = client.last_response
    assert last is not None
    kept = repr(last) + str(last.data) + str(last.headers)
    assert tokens.refresh_token not in kept and "access_token\":" not in kept and last.data == b""
    client.close()


def test_error_headers_keep_no_cookies() -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        answer(sock, 403, {"response": {"error": "Account is blocked", "error_code": "403"}},
               {"Set-Cookie": "session_id=cookie-secret-123; path=/", "X-Request-Id": "r-1"})

    with Hostile(handler) as srv:
        client = AmoClient("acme", base_url=srv.base_url, auth=LongLivedToken("t" * 40), throttle=None,
                           retry=RetryPolicy(attempts=1))
        with pytest.raises(APIError) as info:
            _ = client.v2.leads.list().items
        err = info.value
        assert err.status == 403
        names = {k.lower() for k in err.headers}
        assert "set-cookie" not in names and "x-request-id" in names
        assert "cookie-secret-123" not in repr(err) + str(err) + str(err.headers) + str(getattr(err, "body", ""))
        client.close()


def test_diagnostics_about_the_token_endpoint_are_not_garbled(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    """Redaction masks values, not the words around a key name in prose or a path."""
    sb.set_faults(drop_before_rate=1.0, path_prefix="/oauth2/access_token")
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=MemoryTokenStorage(),
                  code=sb.mint_code())
    client = AmoClient(sb.subdomain, base_url=sb.base_url, auth=auth, throttle=None,
                       retry=RetryPolicy(attempts=1, total_timeout=5))
    with caplog.at_level(logging.DEBUG, logger="amocrm"), pytest.raises(TransportError) as info:
        client.v2.account.get()
    text = str(info.value)
    assert "/oauth2/access_token: connection dropped" in text and "***" not in text.split("/oauth2/access_token", 1)[1][:20]
    assert sb.client_secret not in text + caplog.text
    sb.set_faults()
    client.close()


def test_an_api_key_is_in_no_repr_error_or_log(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="amocrm"):
        good = AmoClient(sb.subdomain, base_url=sb.base_url, auth=ApiKey(sb.login, sb.api_key), throttle=None)
        good.v2.account.get()
        bad = AmoClient(sb.subdomain, base_url=sb.base_url, auth=ApiKey(sb.login, sb.api_key + "x"), throttle=None,
                        retry=RetryPolicy(attempts=1))
        with pytest.raises(AuthError) as info:
            bad.v2.account.get()
    shown = repr(good) + repr(good.auth) + repr(good.last_response) + str(info.value) + repr(info.value) + caplog.text
    assert sb.api_key not in shown
    good.close()
    bad.close()
