"""Authentication schemes: OAuth 2.0 (:class:`OAuth2`), long-lived tokens, and legacy API keys.

Every scheme implements :class:`Auth`; the client calls ``headers()`` before each request and
``refresh()`` after a 401. Token storages live in :mod:`amocrm.tokens`. Getting the first tokens
(the consent URL, the redirect, the code exchange) is :mod:`amocrm.auth.onboarding`.
"""

from __future__ import annotations

from amocrm.auth._base import Auth, AuthContext, RawResponse
from amocrm.auth.apikey import ApiKey
from amocrm.auth.oauth2 import OAuth2, TokenRetry
from amocrm.auth.onboarding import (
    AuthorizationGrant,
    AuthorizationRequest,
    LoopbackReceiver,
    RedirectError,
    authorization_url,
    exchange_code,
    parse_redirect,
)
from amocrm.auth.token import LongLivedToken

__all__ = [
    "ApiKey",
    "Auth",
    "AuthContext",
    "AuthorizationGrant",
    "AuthorizationRequest",
    "LongLivedToken",
    "LoopbackReceiver",
    "OAuth2",
    "RawResponse",
    "RedirectError",
    "TokenRetry",
    "authorization_url",
    "exchange_code",
    "parse_redirect",
]
