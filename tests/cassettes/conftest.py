"""Cassette tests: recorded once against the sandbox, replayed with the network blocked.

Record (or re-record) with ``pytest tests/cassettes --record-mode=rewrite``; CI replays them
(pytest-recording's default mode is ``none``: a request not in a cassette fails the test).
Secrets are scrubbed before anything is written: Authorization/Cookie headers, token-endpoint
bodies both ways, the client secret and authorization code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from amocrm import AmoClient
from amocrm.auth import OAuth2
from amocrm.tokens import MemoryTokenStorage

REPLAY_BASE_URL = "http://127.0.0.1:9"  # nothing listens there: only VCR can answer
_TOKEN_KEYS = ("access_token", "refresh_token", "client_secret", "code", "USER_HASH")
_FORM_SECRET = re.compile(r"(USER_HASH=)[^&]*")


def _scrub_json_body(body: Any) -> Any:
    if not body:
        return body
    raw = body.decode() if isinstance(body, bytes) else str(body)
    try:
        data = json.loads(raw)
    except ValueError:
        return body
    if isinstance(data, dict):
        for key in _TOKEN_KEYS:
            if key in data:
                data[key] = f"<{key.upper()}>"
    out = json.dumps(data)
    return out.encode() if isinstance(body, bytes) else out


def _scrub_request(request: Any) -> Any:
    if request.path.startswith(("/oauth2/access_token", "/private/api/auth.php")):
        request.body = _scrub_json_body(request.body)
        if isinstance(request.body, bytes):
            request.body = _FORM_SECRET.sub(lambda m: m.group(1) + "<USER_HASH>", request.body.decode()).encode()
    request.uri = _FORM_SECRET.sub(lambda m: m.group(1) + "<USER_HASH>", request.uri)
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body", {}).get("string")
    if body and re.search(rb'"(access|refresh)_token"', body if isinstance(body, bytes) else body.encode()):
        response["body"]["string"] = _scrub_json_body(body)
        response["headers"].pop("Content-Length", None)
    response["headers"].pop("Set-Cookie", None)
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [("authorization", "Bearer <REDACTED>"), "cookie", "x-sandbox-admin"],
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "match_on": ["method", "path", "query"],
        "decode_compressed_response": True,
    }


@pytest.fixture
def recorded_client(request: pytest.FixtureRequest) -> Iterator[AmoClient]:
    """A client aimed at a live sandbox while recording, at a dead port while replaying."""
    mode = request.config.getoption("--record-mode")
    if mode in (None, "none"):
        auth = OAuth2("client-id", "<CLIENT_SECRET>", "https://example.com/oauth", storage=MemoryTokenStorage(), code="<CODE>")
        client = AmoClient("sandbox", base_url=REPLAY_BASE_URL, auth=auth, throttle=None)
        yield client
        client.close()
        return
    from amocrm.sandbox import Sandbox
    from amocrm.testing import client_for

    with Sandbox(rate_limit=None) as sb:
        client = client_for(sb)
        yield client
        client.close()
