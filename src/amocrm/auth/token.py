"""Long-lived tokens: a bearer token made in the amoCRM interface, valid for up to five years.

There is nothing to refresh: a 401 means the token was revoked or expired, and a person must issue
a new one, so :meth:`LongLivedToken.refresh` answers False and the client raises ``AuthError``.
"""

from __future__ import annotations

from collections.abc import Mapping

from amocrm._redact import REDACTED, register_secret
from amocrm.auth._base import AuthContext
from amocrm.errors import ConfigError
from amocrm.tokens import jwt_claim_str, token_problem

__all__ = ["LongLivedToken"]


class LongLivedToken:
    """``Authorization: Bearer <token>`` on every request; never refreshed."""

    kind = "token"

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token.strip():
            raise ConfigError("LongLivedToken needs a non-empty token string")
        register_secret(token)
        token = token.strip()
        register_secret(token)
        problem = token_problem(token)
        if problem is not None:  # the message names the defect, never the token
            raise ConfigError(f"LongLivedToken: the token {problem}; it cannot be sent in an HTTP header")
        self._header = {"Authorization": f"Bearer {token}"}
        self._api_domain = jwt_claim_str(token, "api_domain")

    def headers(self, ctx: AuthContext) -> Mapping[str, str]:
        return dict(self._header)

    def refresh(self, ctx: AuthContext, stale: Mapping[str, str]) -> bool:
        return False

    def api_domain(self, domain: str) -> str | None:
        """The API host the token names (its JWT ``api_domain`` claim), or None."""
        return self._api_domain

    def __repr__(self) -> str:
        return f"LongLivedToken(token={REDACTED!r})"
