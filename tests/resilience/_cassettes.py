"""A vcrpy configuration that keeps every amoCRM secret out of recorded cassettes (documented in
docs/concurrency.md): Authorization/Cookie headers, Set-Cookie answers, the request bodies of the
token and login endpoints (client secret, codes, refresh tokens, USER_HASH) and token answers."""

from __future__ import annotations

from typing import Any

SECRET_PATHS = ("/oauth2/access_token", "/private/api/auth.php")


def _is_secret(path: str) -> bool:
    return path.startswith(SECRET_PATHS)


def scrub_request(request: Any) -> Any:
    if _is_secret(request.path):
        request.body = b"<SCRUBBED>"
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """No Set-Cookie, and a token answer (the only body that carries tokens) loses its body."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "content-length"):
            del headers[name]
    body = response.get("body", {}).get("string")
    raw = body if isinstance(body, bytes) else str(body or "").encode()
    if b'"access_token"' in raw or b'"refresh_token"' in raw:
        response["body"]["string"] = b"<SCRUBBED>"
    return response


def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": [("authorization", "Bearer <REDACTED>"), "cookie", "x-sandbox-admin"],
        "filter_query_parameters": ["USER_HASH", "api_key", "access_token", "refresh_token", "code", "client_secret"],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "match_on": ["method", "path", "query"],
        "decode_compressed_response": True,
    }
