"""OAuth 2.0 for amoCRM: code exchange, proactive and reactive refresh, single-flight across workers.

amoCRM refresh tokens are single-use: two workers refreshing with the same one leave one of them
with "Invalid refresh token". So every refresh runs under ``storage.lock(domain)`` and first
RE-READS the storage; if the stored access token is no longer the stale one, another worker already
refreshed and its tokens are used without any network call. New tokens are saved before use.
A dead refresh token raises :class:`ReauthorizationRequired` and the stored tokens stay untouched.

The token requests themselves are the step machine :func:`amocrm.auth._flow.token_flow`, driven
here over ``AuthContext.send``. A 429 or 5xx answer, or a connection that never opened, proves
the refresh token (or code) was not used, so it is sent again within :class:`TokenRetry`'s bounds.
New tokens that cannot be saved (the storage failed after the server rotated them) are kept in
memory and used, and the save is tried again on the next request: a spent refresh token is never
traded for tokens that only existed in a failed write.
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
from amocrm.auth._base import AuthContext
from amocrm.auth._flow import TOKEN_PATH, TokenGrant, TokenRetry, run, token_flow
from amocrm.errors import (
    ConfigError,
    RateLimitError,
    ReauthorizationRequired,
    ServerError,
    TokenStorageError,
    TransportError,
)
from amocrm.tokens import (
    MemoryTokenStorage,
    Tokens,
    TokenStorage,
    jwt_claim_str,
    token_problem,
    validate_domain,
)

__all__ = ["OAuth2", "TOKEN_PATH", "TokenRetry"]

#: A token obtained less than this many seconds ago that is answered 401 again is not refreshed
#: again: the problem is elsewhere (blocked account, wrong host) and refreshing would only burn tokens.
_RECENT = 5.0


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


def _jwt_claim(token: str, name: str) -> float | None:
    """A numeric claim (``exp``, ``iat``) of a JWT access token (amoCRM's are JWTs), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        value = payload.get(name) if isinstance(payload, dict) else None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    except (ValueError, TypeError):
        return None


def _jwt_exp(token: str) -> float | None:
    return _jwt_claim(token, "exp")


def _lifetime(token: str) -> float | None:
    """How long the token was issued for (``exp - iat`` of a JWT), or None when unknown."""
    exp, iat = _jwt_claim(token, "exp"), _jwt_claim(token, "iat")
    return exp - iat if exp is not None and iat is not None and exp > iat else None


class _Unsaved:
    """Tokens the server issued that the storage has not accepted yet, and what they replaced."""

    __slots__ = ("tokens", "replaced")

    def __init__(self, tokens: Tokens, replaced: str | None) -> None:
        self.tokens = tokens
        self.replaced = replaced  # access token of the stored tokens they were refreshed from


class OAuth2:
    """amoCRM OAuth2 for one account (several accounts: several objects, one storage is fine).

    ``code`` is exchanged only when the storage holds no tokens for the account, or when the stored
    refresh token turns out dead; it is cleared before its exchange starts, so no later request ever
    sends it again. Within one exchange it is re-sent only after an answer that proves the server did
    not take it (429, 5xx, a connection that never opened; see :class:`TokenRetry`). Tokens that
    expire within ``refresh_margin`` seconds (at most a quarter of their lifetime, when the JWT tells it)
    are refreshed before the request (0 disables that).
    ``token_retry`` bounds the retries of token requests (default ``TokenRetry()``).
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
        token_retry: TokenRetry | None = None,
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
        if token_retry is not None and not isinstance(token_retry, TokenRetry):
            raise ConfigError(f"OAuth2 token_retry must be a TokenRetry, got {type(token_retry).__name__}")
        self.token_retry: TokenRetry = token_retry if token_retry is not None else TokenRetry()
        if storage is not None and not isinstance(storage, TokenStorage):
            raise ConfigError(
                f"OAuth2 storage must be a token storage (load, save, has_tokens, lock), got {type(storage).__name__}"
            )
        self.storage: TokenStorage = storage if storage is not None else MemoryTokenStorage()
        self._guard = threading.Lock()
        self._mutexes: dict[str, threading.Lock] = {}
        self._cache: dict[str, Tokens] = {}
        #: ``api_domain`` per account, worked out once per tokens object (the JWT is not decoded per request).
        self._hosts: dict[str, tuple[Tokens, str | None]] = {}
        self._recent: dict[str, tuple[str, float]] = {}
        self._unsaved: dict[str, _Unsaved] = {}

    @classmethod
    def from_storage(
        cls,
        storage: TokenStorage,
        domain: str,
        *,
        refresh_margin: float = 60.0,
        token_retry: TokenRetry | None = None,
    ) -> OAuth2:
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
            tokens.client_id,
            tokens.client_secret,
            tokens.redirect_uri,
            storage=storage,
            refresh_margin=refresh_margin,
            token_retry=token_retry,
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
        if self._has_unsaved(domain):
            self._retry_save(domain)
        with self._guard:
            tokens = self._cache.get(domain)
        if tokens is None:
            tokens = self.storage.load(domain)
            if tokens is None:
                tokens = self._first_tokens(ctx, domain)
            self._remember(domain, tokens)
        if self.refresh_margin > 0 and tokens.refresh_token and self._expiring(tokens, self.refresh_margin):
            tokens = self._renew_before_expiry(ctx, domain, tokens)
        problem = token_problem(tokens.access_token)
        if problem is not None:  # pragma: no cover - every path into the cache validates the token
            raise TokenStorageError(f"the access token of {domain} {problem}; it cannot be sent in a header")
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

    def api_domain(self, domain: str) -> str | None:
        """The API host of ``domain``'s tokens: ``api_domain`` of the token answer or of the access
        token's JWT claims (accounts moved to another host), or None when not known yet."""
        with self._guard:
            tokens = self._cache.get(domain)
            known = self._hosts.get(domain)
        if tokens is None:
            return None
        if known is not None and known[0] is tokens:
            return known[1]
        host = tokens.api_domain or jwt_claim_str(tokens.access_token, "api_domain")
        with self._guard:
            self._hosts[domain] = (tokens, host)
        return host

    def note_success(self) -> None:
        """Nothing to reset for OAuth2 (kept for symmetry with :class:`ApiKey`)."""

    # -- internals -------------------------------------------------------------------------------

    def _expiring(self, tokens: Tokens, margin: float) -> bool:
        """Whether ``tokens`` expire within ``margin`` seconds -- a margin capped at a quarter of the
        token's lifetime when that is known, so short-lived tokens are not refreshed on every call."""
        if margin > 0:
            life = _lifetime(tokens.access_token)
            if life is not None:
                margin = min(margin, life / 4)
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

    def _load_locked(self, domain: str) -> Tokens | None:
        """The stored tokens, read under the storage lock; tokens not saved yet are saved (or win) first."""
        stored = self.storage.load(domain)
        with self._guard:
            pending = self._unsaved.get(domain)
        if pending is None:
            return stored
        if stored is not None and stored.access_token == pending.tokens.access_token:
            self._forget_unsaved(domain, pending)  # an earlier save did land after all
            return stored
        if stored is not None and stored.access_token != pending.replaced:
            # Another worker stored other tokens since (a new authorisation): every worker uses those.
            self._forget_unsaved(domain, pending)
            _logging.warning(
                "RE OAUTH2 %s: tokens that could not be saved were superseded by newer stored tokens", domain
            )
            return stored
        try:
            self.storage.save(domain, pending.tokens)
        except Exception as exc:  # any storage failure: keep the tokens, try again later
            _logging.warning(
                "RE OAUTH2 %s: saving the refreshed tokens failed again (%s); still using them from memory",
                domain, _describe(exc),
            )
            return pending.tokens
        self._forget_unsaved(domain, pending)
        _logging.log_refresh(domain, "the refreshed tokens that could not be saved before are saved now")
        return pending.tokens

    def _has_unsaved(self, domain: str) -> bool:
        with self._guard:
            return domain in self._unsaved

    def _forget_unsaved(self, domain: str, pending: _Unsaved) -> None:
        with self._guard:
            if self._unsaved.get(domain) is pending:
                del self._unsaved[domain]

    def _retry_save(self, domain: str) -> None:
        """Save tokens a failed save left in memory (before the next request uses them)."""
        with self._mutex(domain):
            if not self._has_unsaved(domain):
                return
            try:
                with self.storage.lock(domain):
                    current = self._load_locked(domain)
            except Exception as exc:  # the lock or the read failed: the tokens stay in memory
                _logging.warning(
                    "RE OAUTH2 %s: cannot save the refreshed tokens yet (%s); still using them from memory",
                    domain, _describe(exc),
                )
                return
            if current is not None:
                self._remember(domain, current)

    def _first_tokens(self, ctx: AuthContext, domain: str) -> Tokens:
        # The code is checked under the locks, after re-reading the storage: a thread that finds
        # the code already spent by another thread's exchange must use that exchange's tokens.
        with self._mutex(domain), self.storage.lock(domain):
            stored = self._load_locked(domain)
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
                stored = self._load_locked(domain)
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
                    new = self._grant(ctx, domain, "refresh_token", stored.refresh_token, previous=stored)
                except ReauthorizationRequired:
                    if not self._code_available():
                        _logging.log_refresh(domain, "refresh token rejected: re-authorisation required")
                        raise
                    _logging.log_refresh(domain, "refresh token rejected: exchanging the authorization code")
                    return self._exchange_code(ctx, domain, stored)
                self._commit(domain, new, stored)
                _logging.log_refresh(domain, f"refreshed, access token valid {self._valid_for(new)}")
                return new

    def _exchange_code(self, ctx: AuthContext, domain: str, previous: Tokens | None) -> Tokens:
        code = self._code
        if code is None:  # pragma: no cover - callers check _code_available
            raise ReauthorizationRequired(f"no authorization code for {domain}", status=401)
        self._code = None  # single-use: no later request sends it, whatever this exchange's outcome
        new = self._grant(ctx, domain, "authorization_code", code, previous=previous)
        self._commit(domain, new, previous)
        _logging.log_refresh(domain, f"authorization code exchanged, access token valid {self._valid_for(new)}")
        return new

    def _commit(self, domain: str, tokens: Tokens, replaced: Tokens | None) -> None:
        """Save ``tokens`` before anyone uses them; if the save fails, keep them in memory and retry later.

        The server has already rotated the refresh token, so dropping the new tokens would leave
        only a spent one: a failed save is logged, the tokens are used from memory, and the save is
        tried again (under the lock, after re-reading the storage) on the next request.
        """
        with self._guard:
            prior = self._unsaved.get(domain)
        try:
            self.storage.save(domain, tokens)
        except Exception as exc:  # whatever the storage raised, the tokens must survive
            # Refreshed from tokens that were never saved themselves: the storage still holds what those replaced.
            if prior is not None and replaced is not None and replaced.access_token == prior.tokens.access_token:
                replaced_access = prior.replaced
            else:
                replaced_access = replaced.access_token if replaced is not None else None
            with self._guard:
                self._unsaved[domain] = _Unsaved(tokens, replaced_access)
            _logging.warning(
                "RE OAUTH2 %s: the new tokens could not be saved (%s); using them from memory and saving "
                "them again on the next request",
                domain, _describe(exc),
            )
        else:
            if prior is not None:
                self._forget_unsaved(domain, prior)  # superseded by tokens that did reach the storage
        with self._guard:
            self._cache[domain] = tokens
            self._recent[domain] = (tokens.access_token, time.monotonic())

    @staticmethod
    def _valid_for(tokens: Tokens) -> str:
        if tokens.expires_at is None:
            return "for an unknown time"
        return f"{max(0.0, tokens.expires_at - time.time()):.0f}s"

    def _budget(self, ctx: AuthContext) -> float | None:
        """How long token requests and their retries may take, beyond ``TokenRetry.budget``.

        At most half the storage lock's TTL (the lock must outlive the refresh it guards) and half
        the client's ``RetryPolicy.total_timeout`` (the request that needed the token must still fit).
        """
        limits: list[float] = []
        for owner, name in ((self.storage, "lock_ttl"), (getattr(ctx, "retry", None), "total_timeout")):
            value: Any = getattr(owner, name, None)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                limits.append(float(value) / 2)
        return min(limits) if limits else None

    def _grant(self, ctx: AuthContext, domain: str, grant: str, credential: str, *, previous: Tokens | None) -> Tokens:
        request = TokenGrant(
            domain=domain,
            client_id=self.client_id,
            client_secret=self._client_secret,
            redirect_uri=self.redirect_uri,
            grant=grant,
            credential=credential,
            api_domain=previous.api_domain if previous is not None else None,
        )
        return run(token_flow(request, self.token_retry, budget=self._budget(ctx)), ctx)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
