"""The auth flows as I/O-free step machines, and the synchronous driver that runs them.

A flow is a generator. It yields a :class:`Request` (method, path, JSON or form body, headers)
and receives the :class:`Reply` (status, headers, body), or yields a :class:`Sleep` (a pause
before a retry) and receives None; its return value is the result. A transport failure is thrown
into the flow at its ``yield`` as :class:`~amocrm.errors.TransportError`, so the flow decides
whether sending again is safe. Flows never touch sockets, clocks for sleeping, files or locks:
the same flow can be driven by :func:`run` over the synchronous ``AuthContext.send`` today and by
an asynchronous driver later, without a second implementation of the protocol rules.

Flows here: :func:`token_flow` (OAuth2 authorization-code exchange and refresh, with bounded
retries of answers that prove the grant was not used: 429, 5xx, a connection that never opened)
and :func:`login_flow` (the legacy API-key login). Storage, locks and single-flight stay with the
schemes in :mod:`amocrm.auth.oauth2` and :mod:`amocrm.auth.apikey`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from amocrm import _logging
from amocrm._redact import register_secret
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
from amocrm.retry import parse_retry_after
from amocrm.tokens import Tokens, jwt_claim_str, token_problem

__all__ = [
    "LOGIN_PATH",
    "TOKEN_PATH",
    "Flow",
    "Reply",
    "Request",
    "Sleep",
    "TokenGrant",
    "TokenRetry",
    "login_flow",
    "parse_set_cookie",
    "run",
    "set_cookie_values",
    "token_error",
    "token_flow",
]

T = TypeVar("T")

TOKEN_PATH = "/oauth2/access_token"
LOGIN_PATH = "/private/api/auth.php?type=json"

_DEAD_REFRESH_HINTS = ("refresh token", "revoked", "expired")
_DEAD_CODE_HINTS = ("authorization code", "revoked", "expired", "decrypt")

_any_decoder = msgspec.json.Decoder()


@dataclass(frozen=True)
class Request:
    """One request a flow wants sent, without authentication and without retries."""

    method: str
    path: str
    json: Any = None
    form: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Sleep:
    """A pause the flow wants before its next step (a retry's back-off)."""

    seconds: float


@dataclass(frozen=True)
class Reply:
    """The answer to a :class:`Request`: status, headers (as the transport gave them) and body."""

    status: int
    headers: Mapping[str, str]
    data: bytes

    @classmethod
    def of(cls, response: RawResponse) -> Reply:
        """A reply from any response with ``status``, ``headers`` and ``data`` (the client's, urllib3's)."""
        return cls(int(response.status), response.headers, bytes(response.data or b""))

    def json(self) -> Any:
        """The body as Python builtins; :class:`DecodeError` when it is not JSON."""
        try:
            return _any_decoder.decode(self.data)
        except msgspec.DecodeError:
            raise DecodeError(f"response body is not JSON ({len(self.data)} bytes)", status=self.status) from None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        low = name.lower()
        for key, value in self.headers.items():
            if key.lower() == low:
                return value
        return None


#: What a flow yields, what it is sent back, and what it returns.
Flow = Generator[Request | Sleep, Reply | None, T]


def run(flow: Flow[T], ctx: AuthContext, *, sleep: Callable[[float], None] = time.sleep) -> T:
    """Drive ``flow`` to its result over ``ctx.send`` (the synchronous driver).

    A :class:`TransportError` from ``ctx.send`` is thrown into the flow; any other exception of
    ``ctx.send`` propagates (and closes the flow).
    """
    reply: Reply | None = None
    failure: TransportError | None = None
    try:
        while True:
            try:
                step = flow.throw(failure) if failure is not None else flow.send(reply)
            except StopIteration as stop:
                result: T = stop.value
                return result
            reply, failure = None, None
            if isinstance(step, Sleep):
                if step.seconds > 0:
                    sleep(step.seconds)
                continue
            try:
                response = ctx.send(step.method, step.path, json=step.json, form=step.form, headers=step.headers)
            except TransportError as exc:
                failure = exc
                continue
            reply = Reply.of(response)
    finally:
        flow.close()


# -- OAuth2 token requests ------------------------------------------------------------------------


def _seconds(name: str, value: object, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise ConfigError(f"TokenRetry.{name} must be a finite number of seconds >= {minimum:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class TokenRetry:
    """How token requests (refresh and code exchange) are retried when the answer proves nothing was used.

    A 429 or any 5xx from the token endpoint, or a connection that never opened, is sent again:
    up to ``attempts`` requests in all (the first included), ``backoff * 2**(n-1)`` seconds apart
    (capped at ``backoff_max``), after the server's ``Retry-After`` when it sends one. A
    ``Retry-After`` above ``retry_after_max`` ends the retries at once, and so does a pause that would
    not fit in ``budget`` (seconds for all attempts and pauses). The refresh runs under the token
    storage's lock and inside a client call, so :class:`~amocrm.auth.OAuth2` also cuts the budget to
    half the storage's ``lock_ttl`` (:class:`~amocrm.tokens.RedisTokenStorage`) and half the client's
    ``RetryPolicy.total_timeout``. ``TokenRetry(attempts=1)`` never retries.
    """

    attempts: int = 4
    backoff: float = 0.5
    backoff_max: float = 4.0
    retry_after_max: float = 10.0
    budget: float = 15.0

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) or self.attempts < 1:
            raise ConfigError(f"TokenRetry.attempts must be an integer >= 1, got {self.attempts!r}")
        _seconds("backoff", self.backoff)
        _seconds("backoff_max", self.backoff_max)
        _seconds("retry_after_max", self.retry_after_max)
        _seconds("budget", self.budget)

    def pause(self, attempt: int, retry_after: str | None) -> float | None:
        """Seconds to wait before request ``attempt + 1``, or None when the server asked for too long."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return hinted if hinted <= self.retry_after_max else None
        return min(self.backoff_max, self.backoff * 2.0 ** max(0, attempt - 1))


@dataclass(frozen=True)
class TokenGrant:
    """What one token request carries: the client's credentials and one grant (``refresh_token`` or code)."""

    domain: str
    client_id: str
    client_secret: str
    redirect_uri: str
    grant: str  # "refresh_token" or "authorization_code"
    credential: str  # the refresh token or the authorization code
    api_domain: str | None = None  # kept from the previous tokens (moved accounts)

    def body(self) -> dict[str, str]:
        # Key order as the seed sends it; no Authorization header (the context adds none).
        name = "refresh_token" if self.grant == "refresh_token" else "code"
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "grant_type": self.grant,
            name: self.credential,
            "redirect_uri": self.redirect_uri,
        }


def token_flow(
    grant: TokenGrant,
    retry: TokenRetry,
    *,
    budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Flow[Tokens]:
    """POST the grant to ``/oauth2/access_token`` and return the new :class:`Tokens`.

    Retried (see :class:`TokenRetry`): 429, 5xx, and transport errors with ``sent is False``. A
    grant the server refused is final: :class:`ReauthorizationRequired` for a dead refresh token or
    code, :class:`AuthError` for wrong client credentials. A 200 whose tokens are missing or cannot
    be sent in a header raises :class:`DecodeError` (nothing is returned, so nothing is saved).
    """
    limit = retry.budget if budget is None else min(retry.budget, budget)
    deadline = clock() + limit
    attempt = 0
    while True:
        attempt += 1
        started = time.time()
        try:
            reply = yield Request("POST", TOKEN_PATH, json=grant.body())
        except TransportError as exc:
            if exc.sent is False:
                pause = _retry_pause(retry, attempt, None, deadline, clock)
                if pause is not None:
                    _log_retry(grant, attempt, retry, pause, "the connection failed before sending")
                    yield Sleep(pause)
                    continue
            raise
        assert reply is not None  # the driver sends a reply after every Request
        if reply.status == 200:
            return _tokens_from(reply, grant, started)
        error = token_error(reply, grant.grant, grant.domain)
        if reply.status == 429 or reply.status >= 500:
            pause = _retry_pause(retry, attempt, reply.header("Retry-After"), deadline, clock)
            if pause is not None:
                _log_retry(grant, attempt, retry, pause, f"HTTP {reply.status}")
                yield Sleep(pause)
                continue
        raise error


def _retry_pause(
    retry: TokenRetry, attempt: int, retry_after: str | None, deadline: float, clock: Callable[[], float]
) -> float | None:
    if attempt >= retry.attempts:
        return None
    pause = retry.pause(attempt, retry_after)
    if pause is None or clock() + pause >= deadline:
        return None
    return pause


def _log_retry(grant: TokenGrant, attempt: int, retry: TokenRetry, pause: float, reason: str) -> None:
    _logging.warning(
        "RE OAUTH2 %s: token request (grant %s) got %s, nothing was used; retry %d of %d in %.2fs",
        grant.domain, grant.grant, reason, attempt, retry.attempts - 1, pause,
    )


def _tokens_from(reply: Reply, grant: TokenGrant, started: float) -> Tokens:
    domain = grant.domain
    try:
        answer = reply.json()
    except DecodeError:
        raise DecodeError(
            f"token endpoint of {domain} answered 200 with a body that is not JSON ({len(reply.data)} bytes)",
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
                isinstance(expires_in, (int, float))
                and not isinstance(expires_in, bool)
                and math.isfinite(expires_in)
                and expires_in > 0,
            ),
        )
        if not ok
    ]
    if missing:
        raise DecodeError(
            f"token endpoint of {domain} answered 200 without a valid {', '.join(missing)} "
            f"(grant {grant.grant}); nothing was saved",
            status=200,
        )
    assert isinstance(access, str) and isinstance(refresh, str) and isinstance(expires_in, (int, float))
    for name, value in (("access_token", access), ("refresh_token", refresh)):
        problem = token_problem(value)
        if problem is not None:
            raise DecodeError(
                f"token endpoint of {domain} answered 200 with an {name} that {problem}, so it cannot be "
                f"sent in an HTTP header (grant {grant.grant}); nothing was saved",
                status=200,
            )
    token_type = answer.get("token_type")
    named = answer.get("api_domain")
    api_domain = named if isinstance(named, str) and named else jwt_claim_str(access, "api_domain") or grant.api_domain
    return Tokens(
        client_id=grant.client_id,
        client_secret=grant.client_secret,
        redirect_uri=grant.redirect_uri,
        access_token=access,
        refresh_token=refresh,
        expires_at=started + float(expires_in),
        token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
        api_domain=api_domain,
    )


def token_error(resp: RawResponse, grant: str, domain: str) -> APIError:
    """The typed error for a refused token request (messages carry the server's hint, never a secret)."""
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


# -- API-key login --------------------------------------------------------------------------------

_COOKIE_SPLIT = re.compile(r",\s*(?=[^;,\s=]+=)")
_EXPIRED = re.compile(r"(?i)(?:^|;)\s*max-age\s*=\s*(?:0|-\d+)\s*(?:;|$)")


def parse_set_cookie(values: Iterable[str]) -> dict[str, str | None]:
    """``{name: value}`` from Set-Cookie header values; None marks a deleted cookie.

    A value may hold several cookies joined by ``", "`` (how a plain mapping folds repeated headers);
    commas inside ``Expires=Wed, 21 Oct …`` are not split on.
    """
    jar: dict[str, str | None] = {}
    for header in values:
        for cookie in _COOKIE_SPLIT.split(header):
            first, _, attrs = cookie.partition(";")
            name, sep, value = first.partition("=")
            name, value = name.strip(), value.strip().strip('"')
            if not sep or not name:
                continue
            expired = _EXPIRED.search(attrs) is not None
            jar[name] = None if expired or value in ("", "deleted") else value
    return jar


def set_cookie_values(headers: Mapping[str, str]) -> list[str]:
    """Every ``Set-Cookie`` value of ``headers`` (``getlist`` of urllib3's header dict when it has one)."""
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        values: Any = getlist("Set-Cookie")
        return [str(v) for v in values]
    return [v for k, v in headers.items() if k.lower() == "set-cookie"]



def login_flow(login: str, api_key: str, domain: str) -> Flow[dict[str, str]]:
    """POST ``USER_LOGIN`` + ``USER_HASH`` to the login endpoint; return the session cookie jar.

    Never retried (a wrong key must not be tried over and over). Raises
    :class:`ReauthorizationRequired` for refused credentials (401, or 200 with ``auth: false``),
    :class:`AuthError` for 403 or a success without a cookie, :class:`DecodeError` for a 200 that is
    not JSON. Every cookie value is registered for redaction before anything can log it.
    """
    reply = yield Request("POST", LOGIN_PATH, json={"USER_LOGIN": login, "USER_HASH": api_key})
    assert reply is not None
    cookies = parse_set_cookie(set_cookie_values(reply.headers))
    for value in cookies.values():
        register_secret(value)
    try:
        body: Any = reply.json()
    except DecodeError:
        if reply.status == 200:
            raise DecodeError(
                f"API-key login to {domain} answered 200 with a body that is not JSON ({len(reply.data)} bytes)",
                status=200,
            ) from None
        body = None
    if reply.status != 200:
        raise _login_error(reply.status, body, login, domain)
    inner = body.get("response") if isinstance(body, dict) else None
    if not isinstance(inner, dict) or not inner.get("auth"):
        error = inner.get("error") if isinstance(inner, dict) else None
        raise ReauthorizationRequired(
            f"API-key login to {domain} as {login} refused (HTTP 200, auth is false)" + (f": {error}" if error else ""),
            status=200,
            method="POST",
            url=LOGIN_PATH,
        )
    jar = {k: v for k, v in cookies.items() if v is not None}
    if not jar:
        raise AuthError(
            f"API-key login to {domain} succeeded but the server set no session cookie",
            status=200,
            method="POST",
            url=LOGIN_PATH,
        )
    return jar


def _login_error(status: int, body: Any, login: str, domain: str) -> APIError:
    inner = body.get("response") if isinstance(body, dict) else None
    error = str(inner.get("error") or "") if isinstance(inner, dict) else ""
    code_text = str(inner.get("error_code") or "") if isinstance(inner, dict) else ""
    api_code = int(code_text) if code_text.isdigit() else None
    text = f"API-key login to {domain} as {login} refused with HTTP {status}"
    if error:
        text += f": {error}"
    if api_code is not None:
        text += f" (error_code {api_code})"
    kwargs: dict[str, Any] = {"status": status, "method": "POST", "url": LOGIN_PATH, "api_code": api_code}
    if status == 401:
        return ReauthorizationRequired(text, **kwargs)
    if status == 403:
        return AuthError(text, **kwargs)
    if status >= 500:
        return ServerError(text, **kwargs)
    return APIError(text, **kwargs)
