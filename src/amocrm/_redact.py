"""Keep secrets out of logs, exception messages and reprs.

Two layers: every secret the SDK learns (tokens, client secrets, API keys, session cookies,
authorization codes) is registered with :func:`register_secret` and replaced wherever it appears;
and key-based patterns catch secret-looking values the SDK never saw (a token in a server body).
"""

from __future__ import annotations

import re
import threading

__all__ = ["REDACTED", "redact", "register_secret", "redact_headers"]

REDACTED = "***"

_lock = threading.Lock()
_secrets: set[str] = set()
_secret_re: re.Pattern[str] | None = None

_SECRET_KEYS = (
    "access_token|refresh_token|client_secret|USER_HASH|api_key|password|session_id"
)
# "key": "value"  /  key=value  /  'key': 'value'
_KEY_VALUE = re.compile(
    r"""(?P<k>["']?(?:%s)["']?\s*[:=]\s*["']?)(?P<v>[^"'&\s,}]{4,})""" % _SECRET_KEYS,
    re.IGNORECASE,
)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{4,}", re.IGNORECASE)
_SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-refresh-token"})


def register_secret(value: str | None) -> None:
    """Remember ``value`` so that :func:`redact` masks it everywhere from now on."""
    global _secret_re
    if not value or len(value) < 4:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secret_re = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """``text`` with registered secrets and secret-looking key/value pairs masked."""
    if not text:
        return text
    pattern = _secret_re
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _KEY_VALUE.sub(lambda m: m.group("k") + REDACTED, text)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with Authorization, Cookie and Set-Cookie values masked."""
    return {k: (REDACTED if k.lower() in _SENSITIVE_HEADERS else redact(v)) for k, v in headers.items()}
