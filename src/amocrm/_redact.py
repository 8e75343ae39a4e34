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

#: How many distinct secrets are remembered; the oldest are forgotten first. Rotating tokens
#: keep adding new ones, and the key/Bearer patterns below still catch the forgotten ones.
MAX_SECRETS = 512

_lock = threading.Lock()
_secrets: dict[str, None] = {}  # insertion-ordered set
_sorted: tuple[str, ...] = ()
_dirty = False

_SECRET_KEYS = (
    "access_token|refresh_token|client_secret|USER_HASH|api_key|password|session_id"
)
# Key-based masking matches key/value SYNTAX only, never a key name that merely appears in text
# ("POST /oauth2/access_token: connection dropped" is left alone):
#   "key": "value"  /  'key': 'value'  /  "key"=value      (a quoted key, then : or =)
_QUOTED_KEY = re.compile(
    r"""(?P<k>(?P<q>["'])(?:""" + _SECRET_KEYS + r""")(?P=q)\s*[:=]\s*["']?)(?P<v>[^"'&\s,;})\]]{4,})""",
    re.IGNORECASE,
)
#   key=value, ?key=value&..., key = "value"               (also inside longer names: my_api_key=...)
_BARE_KEY_EQ = re.compile(
    r"""(?P<k>(?:""" + _SECRET_KEYS + r""")\s*=\s*["']?)(?P<v>[^"'&\s,;})\]]{4,})""",
    re.IGNORECASE,
)
#   key: "value"  /  key: 'value'                           (YAML-like, the value quoted)
_BARE_KEY_COLON_QUOTED = re.compile(
    r"""(?P<k>(?<![\w/.-])(?:""" + _SECRET_KEYS + r""")\s*:\s*(?P<q>["']))(?P<v>[^"'\s]{4,})(?=(?P=q))""",
    re.IGNORECASE,
)
#   key: value  -- only when the value looks like a credential: 16+ characters of the token alphabet
_BARE_KEY_COLON_TOKEN = re.compile(
    r"""(?P<k>(?<![\w/.-])(?:""" + _SECRET_KEYS + r""")\s*:[ \t]*)(?P<v>[A-Za-z0-9._~+/=-]{16,})(?![^\s"',;&})\]])""",
    re.IGNORECASE,
)
_KEY_PATTERNS = (_QUOTED_KEY, _BARE_KEY_EQ, _BARE_KEY_COLON_QUOTED, _BARE_KEY_COLON_TOKEN)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]{4,}", re.IGNORECASE)
_SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-refresh-token"})


#: Values shorter than this are not remembered: real tokens, keys and secrets are far longer, and
#: masking a short word ("secret", "token") everywhere would garble unrelated diagnostics.
MIN_SECRET = 8


def register_secret(value: str | None) -> None:
    """Remember ``value`` so that :func:`redact` masks it everywhere from now on."""
    global _dirty
    if not value or len(value) < MIN_SECRET:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets[value] = None
        while len(_secrets) > MAX_SECRETS:
            del _secrets[next(iter(_secrets))]
        _dirty = True


def _ordered() -> tuple[str, ...]:
    """Remembered secrets, longest first (so a secret containing another is masked whole)."""
    global _sorted, _dirty
    if _dirty:
        with _lock:
            if _dirty:
                _sorted = tuple(sorted(_secrets, key=len, reverse=True))
                _dirty = False
    return _sorted


def redact(text: str) -> str:
    """``text`` with registered secrets and secret-looking key/value pairs masked."""
    if not text:
        return text
    for secret in _ordered():
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(lambda m: m.group("k") + REDACTED, text)
    return text


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with Authorization, Cookie and Set-Cookie values masked."""
    return {k: (REDACTED if k.lower() in _SENSITIVE_HEADERS else redact(v)) for k, v in headers.items()}
