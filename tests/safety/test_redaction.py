"""Key-based redaction matches key/value syntax only: secrets stay masked in every form, prose does not."""

from __future__ import annotations

import pytest

from amocrm._redact import redact, redact_headers

# Values never registered as secrets: only the key/Bearer patterns can mask them.
MASKED = [
    ("access_token=plainvalue1", "access_token=***"),
    ("GET /api/v2/leads?access_token=zz-plain-value&page=2", "GET /api/v2/leads?access_token=***&page=2"),
    ("POST body client_secret=abcd1234&grant_type=x", "POST body client_secret=***&grant_type=x"),
    ('{"access_token": "abcd1234", "refresh_token":"r-plain-9"}', '{"access_token": "***", "refresh_token":"***"}'),
    ("{'client_secret': 'abcd1234', 'x': 1}", "{'client_secret': '***', 'x': 1}"),
    ('{"USER_HASH":"abcdef12","USER_LOGIN":"a@b.c"}', '{"USER_HASH":"***","USER_LOGIN":"a@b.c"}'),
    ("USER_HASH=abcdef12", "USER_HASH=***"),
    ('{"api_key": 12345678}', '{"api_key": ***}'),
    ("Authorization: Bearer xyz12345", "Authorization: Bearer ***"),
    ("note: Bearer abcdefgh-plain", "note: Bearer ***"),
    ("Cookie: session_id=abcd1234; user_lang=ru", "Cookie: session_id=***; user_lang=ru"),
    ("password=hunter22", "password=***"),
    ("(api_key=abcd1234)", "(api_key=***)"),
    ("my_api_key=abcd1234", "my_api_key=***"),
    ("access_token: 'abcd1234'", "access_token: '***'"),
    ('refresh_token: "abcd1234"', 'refresh_token: "***"'),
    ("access_token: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "access_token: ***"),
    ("yaml:\n  refresh_token: def50200a1b2c3d4e5f6a7b8\n", "yaml:\n  refresh_token: ***\n"),
]

UNTOUCHED = [
    "POST https://acme.amocrm.ru/oauth2/access_token: connection dropped",
    "/oauth2/access_token: timeout after 3s",
    "TransportError: POST http://127.0.0.1:1/oauth2/access_token: connection refused",
    "refresh_token rejected: re-authorisation required",
    "no stored access_token: exchange a code first",
    "access_token: missing",
    "the password: too short",
    "token endpoint answered 200 without a valid access_token, refresh_token (grant refresh_token)",
    "api_key: wrong",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_secrets_are_masked_in_every_key_value_form(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", UNTOUCHED)
def test_a_key_name_in_prose_or_a_path_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_headers_are_masked_by_name() -> None:
    masked = redact_headers({"Authorization": "Bearer abc", "Cookie": "session_id=x", "X-Other": "fine"})
    assert masked == {"Authorization": "***", "Cookie": "***", "X-Other": "fine"}
