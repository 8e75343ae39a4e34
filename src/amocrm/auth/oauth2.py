"""OAuth 2.0 for amoCRM: code exchange, proactive and reactive refresh, single-flight across workers.

amoCRM refresh tokens are single-use: two workers refreshing with the same one leave one of them
with "Invalid refresh token". So every refresh runs under ``storage.lock(domain)`` and first
RE-READS the storage; if the stored access token is no longer the stale one, another worker already
refreshed and its tokens are used without any network call. New tokens are saved before use.
A dead refresh token raises :class:`ReauthorizationRequired` and the stored tokens stay untouched.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from amocrm import _logging
from amocrm._redact import REDACTED, register_secret
from amocrm.auth._base import AuthContext, RawResponse
from amocrm.errors import (
    APIError,
    AuthError,
    ConfigError,
    DecodeError,
    RateLimitError,
    ReauthorizationRequired,
    ServerError,
    TransportError,
)
from amocrm.tokens import MemoryTokenStorage, Tokens, TokenStorage, validate_domain

__all__ = ["OAuth2", "TOKEN_PATH"]

TOKEN_PATH = "/oauth2/access_token"

#: A token obtained less than this many seconds ago that is answered 401 again is not refreshed
#: again: the problem is elsewhere (blocked account, wrong host) and refreshing would only burn tokens.
_RECENT = 5.0

_DEAD_REFRESH_HINTS = ("refresh token", "revoked", "expired")
_DEAD_CODE_HINTS = ("authorization code", "revoked", "expired", "decrypt")


def _required_str(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"OAuth2 {name} must be a non-empty string")
    return value.strip()


def _bearer(headers: Mapping[str, str]) -> str | None:
    for key, value in headers.items():
        if key.lower() == "authorization":
            parts = value.split(None, 1)
            return parts[1].strip() if len(parts) == 2 and parts[0].lower() == "bearer" else None
    return None


def _jwt_exp(token: str) -> float | None:
    """The ``exp`` claim of a JWT access token (amoCRM's are JWTs), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        exp = payload.get("exp") if isinstance(payload, dict) else None
        return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
    except (ValueError, TypeError):
        return None


class OAuth2:
    """amoCRM OAuth2 for one account (several accounts: several objects, one storage is fine).

    ``code`` is exchanged only when the storage holds no tokens for the account, or when the stored
    refresh token turns out dead; a code is single-use, so it is never sent twice. Tokens that
    expire within ``refresh_margin`` seconds are refreshed before the request (0 disables that).
    """

    kind = "oauth2"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        storage: TokenStorage | None = None,
        code: str | None = None,
        refresh_margin: float = 60.0,
    ) -> None:
        self.client_id: str = _required_str("client_id", client_id)
        self._client_secret = _required_str("client_secret", client_secret)
        self.redirect_uri: str = _required_str("redirect_uri", redirect_uri)
        register_secret(self._client_secret)
        if code is not None:
            code = _required_str("code", code)
            register_secret(code)
        self._code = code
        if isinstance(refresh_margin, bool) or not isinstance(refresh_margin, (int, float)) or not (
            0 <= refresh_margin < 86400
        ):
            raise ConfigError(f"OAuth2 refresh_margin must be between 0 and 86400 seconds, got {refresh_margin!r}")
        self.refresh_margin: float = float(refresh_margin)
        self.storage: TokenStorage = storage if storage is not None else MemoryTokenStorage()
        self._guard = threading.Lock()
        self._mutexes: dict[str, threading.Lock] = {}
        self._cache: dict[str, Tokens] = {}
        self._recent: dict[str, tuple[str, float]] = {}

    @classmethod
    def from_storage(cls, storage: TokenStorage, domain: str, *, refresh_margin: float = 60.0) -> OAuth2:
        """The scheme of an integration whose tokens (with its client id, secret and redirect URI) are stored.

        Raises :class:`ReauthorizationRequired` when nothing usable is stored for ``domain``.
        """
        domain = validate_domain(domain)
        tokens = storage.load(domain)
        if tokens is None or not (tokens.client_id and tokens.client_secret and tokens.redirect_uri):
            raise ReauthorizationRequired(
                f"no stored tokens with client credentials for {domain}: exchange an authorization code first",
                status=401,
            )
        return cls(
            tokens.client_id, tokens.client_secret, tokens.redirect_uri, storage=storage, refresh_margin=refresh_margin
        )

    def __repr__(self) -> str:
        return (
            f"OAuth2(client_id={self.client_id!r}, client_secret={REDACTED!r}, "
            f"redirect_uri={self.redirect_uri!r}, storage={type(self.storage).__name__})"
        )

    # -- the Auth protocol -----------------------------------------------------------------------

    def headers(self, ctx: AuthContext) -> Mapping[str, str]:
        """``Authorization: Bearer …``, after a first code exchange or a refresh when needed."""
        domain = validate_domain(ctx.domain)
        with self._guard:
            tokens = self._cache.get(domain)
        if tokens is None:
            tokens = self.storage.load(domain)
            if tokens is None:
                tokens = self._first_tokens(ctx, domain)
            self._remember(domain, tokens)
        if self.refresh_margin > 0 and tokens.refresh_token and self._expiring(tokens, self.refresh_margin):
            tokens = self._renew_before_expiry(ctx, domain, tokens)
        return {"Authorization": f"Bearer {tokens.access_token}"}

    def refresh(self, ctx: AuthContext, stale: Mapping[str, str]) -> bool:
        """Renew after a 401 to a request sent with ``stale``; single-flight across workers."""
        domain = validate_domain(ctx.domain)
        with self._guard:
            cached = self._cache.get(domain)
            recent = self._recent.get(domain)
        stale_access = _bearer(stale) or (cached.access_token if cached else None)
        # A token that has simply run out (short lifetimes) is refreshed however recently it came.
        expired = cached is not None and cached.access_token == stale_access and self._expiring(cached, 0.0)
        if recent and recent[0] == stale_access and time.monotonic() - recent[1] < _RECENT and not expired:
            _logging.log_refresh(domain, "401 right after a refresh: not refreshing again")
            return False
        tokens = self._renew(ctx, domain, stale_access, margin=0.0)
        return tokens is not None

    def note_success(self) -> None:
        """Nothing to reset for OAuth2 (kept for symmetry with :class:`ApiKey`)."""

    # -- internals -------------------------------------------------------------------------------

    def _expiring(self, tokens: Tokens, margin: float) -> bool:
        if tokens.expires_at is not None:
            return tokens.expires_within(margin)
        exp = _jwt_exp(tokens.access_token)
        return exp is not None and time.time() + margin >= exp

    def _mutex(self, domain: str) -> threading.Lock:
        with self._guard:
            return self._mutexes.setdefault(domain, threading.Lock())

    def _remember(self, domain: str, tokens: Tokens) -> None:
        with self._guard:
            self._cache[domain] = tokens

    def _code_available(self) -> bool:
        return self._code is not None

    def _first_tokens(self, ctx: AuthContext, domain: str) -> Tokens:
        # The code is checked under the locks, after re-reading the storage: a thread that finds
        # the code already spent by another thread's exchange must use that exchange's tokens.
        with self._mutex(domain), self.storage.lock(domain):
            stored = self.storage.load(domain)
            if stored is not None:  # another worker exchanged the code meanwhile
                return stored
            if not self._code_available():
                raise ReauthorizationRequired(
                    f"no stored tokens for {domain}: pass code=... (an authorization code) to OAuth2", status=401
                )
            return self._exchange_code(ctx, domain, None)

    def _renew_before_expiry(self, ctx: AuthContext, domain: str, tokens: Tokens) -> Tokens:
        try:
            renewed = self._renew(ctx, domain, tokens.access_token, margin=self.refresh_margin)
        except (TransportError, ServerError, RateLimitError) as exc:
            if self._expiring(tokens, 0.0):
                raise
            _logging.warning("RE OAUTH2 %s: early refresh failed (%s); using the current token", domain, exc)
            return tokens
        return renewed if renewed is not None else tokens

    def _renew(self, ctx: AuthContext, domain: str, stale_access: str | None, *, margin: float) -> Tokens | None:
        """Fresh tokens, from the storage if another worker refreshed, else from the token endpoint."""
        with self._mutex(domain):
            with self._guard:
                cached = self._cache.get(domain)
            if cached is not None and cached.access_token != stale_access and not self._expiring(cached, margin):
                return cached  # another thread of this process already renewed
            with self.storage.lock(domain):
                stored = self.storage.load(domain)
                if stored is None:
                    if not self._code_available():
                        raise ReauthorizationRequired(
                            f"no stored tokens for {domain}: pass code=... to OAuth2", status=401
                        )
                    return self._exchange_code(ctx, domain, None)
                if stored.access_token != stale_access and not self._expiring(stored, margin):
                    self._remember(domain, stored)
                    _logging.log_refresh(domain, "another worker already refreshed; using the stored tokens")
                    return stored
                if not stored.refresh_token:
                    _logging.log_refresh(domain, "stored tokens have no refresh token; cannot refresh")
                    return None
                try:
                    new = self._grant(
                        ctx, domain, "refresh_token", ("refresh_token", stored.refresh_token), previous=stored
                    )
                except ReauthorizationRequired:
                    if not self._code_available():
                        _logging.log_refresh(domain, "refresh token rejected: re-authorisation required")
                        raise
                    _logging.log_refresh(domain, "refresh token rejected: exchanging the authorization code")
                    return self._exchange_code(ctx, domain, stored)
                self._commit(domain, new)
                _logging.log_refresh(domain, f"refreshed, access token valid {self._valid_for(new)}")
                return new

    def _exchange_code(self, ctx: AuthContext, domain: str, previous: Tokens | None) -> Tokens:
        code = self._code
        if code is None:  # pragma: no cover - callers check _code_available
            raise ReauthorizationRequired(f"no authorization code for {domain}", status=401)
        self._code = None  # single-use: never sent twice, whatever the answer
        new = self._grant(ctx, domain, "authorization_code", ("code", code), previous=previous)
        self._commit(domain, new)
        _logging.log_refresh(domain, f"authorization code exchanged, access token valid {self._valid_for(new)}")
        return new

    def _commit(self, domain: str, tokens: Tokens) -> None:
        self.storage.save(domain, tokens)  # saved before anyone uses them
        with self._guard:
            self._cache[domain] = tokens
            self._recent[domain] = (tokens.access_token, time.monotonic())

    @staticmethod
    def _valid_for(tokens: Tokens) -> str:
        if tokens.expires_at is None:
            return "for an unknown time"
        return f"{max(0.0, tokens.expires_at - time.time()):.0f}s"

    def _grant(
        self, ctx: AuthContext, domain: str, grant: str, credential: tuple[str, str], *, previous: Tokens | None
    ) -> Tokens:
        # Key order as the seed sends it; no Authorization header (AuthContext.send adds none).
        body = {
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "grant_type": grant,
            credential[0]: credential[1],
            "redirect_uri": self.redirect_uri,
        }
        started = time.time()
        resp = ctx.send("POST", TOKEN_PATH, json=body)
        if resp.status != 200:
            raise self._token_error(resp, grant, domain)
        try:
            answer = resp.json()
        except (ValueError, DecodeError):  # urllib3 raises ValueError, the client's Response DecodeError
            raise DecodeError(
                f"token endpoint of {domain} answered 200 with a body that is not JSON ({len(resp.data)} bytes)",
                status=200,
            ) from None
        if not isinstance(answer, dict):
            raise DecodeError(f"token endpoint of {domain} answered 200 with a non-object body", status=200)
        access = answer.get("access_token")
        refresh = answer.get("refresh_token")
        expires_in = answer.get("expires_in")
        if isinstance(access, str):
            register_secret(access)
        if isinstance(refresh, str):
            register_secret(refresh)
        missing = [
            name
            for name, ok in (
                ("access_token", isinstance(access, str) and bool(access)),
                ("refresh_token", isinstance(refresh, str) and bool(refresh)),
                (
                    "expires_in",
                    isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0,
                ),
            )
            if not ok
        ]
        if missing:
            raise DecodeError(
                f"token endpoint of {domain} answered 200 without a valid {', '.join(missing)} "
                f"(grant {grant}); nothing was saved",
                status=200,
            )
        assert isinstance(access, str) and isinstance(refresh, str) and isinstance(expires_in, (int, float))
        token_type = answer.get("token_type")
        return Tokens(
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self.redirect_uri,
            access_token=access,
            refresh_token=refresh,
            expires_at=started + float(expires_in),
            token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
            api_domain=previous.api_domain if previous is not None else None,
        )

    @staticmethod
    def _token_error(resp: RawResponse, grant: str, domain: str) -> APIError:
        status = resp.status
        try:
            body: Any = resp.json()
        except (ValueError, DecodeError):  # urllib3 raises ValueError, the client's Response DecodeError
            body = None
        hint = detail = ""
        if isinstance(body, dict):
            hint = str(body.get("hint") or "")
            detail = str(body.get("detail") or body.get("title") or "")
        text = f"token request (grant {grant}) for {domain} refused with HTTP {status}"
        if hint:
            text += f": {hint}"
        if detail:
            text += f" ({detail})"
        low = hint.lower()
        kwargs: dict[str, Any] = {"status": status, "method": "POST", "url": TOKEN_PATH}
        if status in (400, 401, 403):
            if grant == "refresh_token" and (status == 401 or any(h in low for h in _DEAD_REFRESH_HINTS)):
                return ReauthorizationRequired(
                    text + "; the stored tokens were kept, authorise the integration again", **kwargs
                )
            if grant == "authorization_code" and any(h in low for h in _DEAD_CODE_HINTS):
                return ReauthorizationRequired(text + "; get a new authorization code", **kwargs)
            return AuthError(text, **kwargs)
        if status == 429:
            return RateLimitError(text, headers=dict(resp.headers), **kwargs)
        if status >= 500:
            return ServerError(text, **kwargs)
        return APIError(text, **kwargs)
