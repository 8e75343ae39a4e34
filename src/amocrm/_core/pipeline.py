"""One logical request as a step machine: the pipeline every transport drives.

:func:`request_flow` is a generator. It yields *effects* and receives their results; it never
touches a socket, a clock or a thread itself, so a synchronous driver (urllib3, threads) and an
asynchronous one run the same logic::

    AuthHeaders()        -> the auth scheme's headers (may refresh tokens first)
    AcquireSlot()           -> waits for a rate-limit slot
    Transmit(req, t)     -> a Response, or TransportError thrown into the generator
    Renew(used_headers)  -> after a 401: whether the auth scheme renewed its credentials
    Sleep(seconds)       -> before a retry

The generator returns the successful :class:`~amocrm._core.wire.Response` or raises the typed
error. The order is fixed: auth headers, throttle, send; a 401 renews once or twice and sends
again; 429, 5xx and transport failures go through :meth:`amocrm.retry.RetryPolicy.decide`.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from amocrm._core.response import error_for
from amocrm._core.wire import Request, Response, safe_url
from amocrm.errors import TimeoutError, TransportError
from amocrm.retry import RetryPolicy

__all__ = ["AuthHeaders", "Effect", "Renew", "Sleep", "AcquireSlot", "Transmit", "SUCCESS", "request_flow"]

#: Statuses that are not errors (201 for a few v4 creates).
SUCCESS = frozenset({200, 201, 202, 204})
_RETRYABLE = frozenset({429, 502, 503, 504})


class Effect:
    """Something the driver does for the flow."""


@dataclass(frozen=True)
class AuthHeaders(Effect):
    """Ask the auth scheme for its headers."""


@dataclass(frozen=True)
class AcquireSlot(Effect):
    """Wait for a rate-limit slot of the account."""


@dataclass(frozen=True)
class Transmit(Effect):
    """Send ``request`` and read the whole answer within ``timeout`` seconds."""

    request: Request
    timeout: float
    attempt: int


@dataclass(frozen=True)
class Renew(Effect):
    """A 401 came back for ``used`` headers: renew credentials (refresh, re-login)."""

    used: Mapping[str, str]


@dataclass(frozen=True)
class Sleep(Effect):
    """Wait ``seconds`` before try number ``attempt + 1``."""

    seconds: float
    attempt: int
    reason: str


def request_flow(
    request: Request,
    *,
    policy: RetryPolicy,
    timeout: float,
    authorised: bool,
    now: Any,
) -> Generator[Effect, Any, Response]:
    """The pipeline for one request (see the module docstring).

    ``now`` is a monotonic clock (``time.monotonic``): the flow reads it, it never sleeps.
    """
    started = now()
    attempt = 0
    renewals = 0
    while True:
        attempt += 1
        headers: Mapping[str, str] = {}
        if authorised:
            headers = yield AuthHeaders()
        yield AcquireSlot()
        elapsed = now() - started
        call_timeout = timeout
        if policy.total_timeout is not None:
            left = policy.total_timeout - elapsed
            if left <= 0:
                raise TimeoutError(
                    f"{request.method} {safe_url(request.url)}: time budget of {policy.total_timeout:g}s spent",
                    method=request.method, url=request.url, sent=None if attempt > 1 else False,
                )
            call_timeout = min(timeout, left)
        sent = replace(request, headers={**request.headers, **headers}) if headers else request
        try:
            response: Response = yield Transmit(sent, call_timeout, attempt)
        except TransportError as exc:
            decision = policy.decide(attempt=attempt, elapsed=now() - started, status=None, sent=exc.sent,
                                     idempotent=request.idempotent)
            if decision.retry:
                yield Sleep(decision.delay, attempt, type(exc).__name__)
                continue
            raise
        status = response.status
        if status == 401 and authorised and renewals < 2:
            renewals += 1
            renewed = yield Renew(headers)
            if renewed:
                continue
        if status in SUCCESS:
            return response
        if status in _RETRYABLE:
            decision = policy.decide(attempt=attempt, elapsed=now() - started, status=status, sent=True,
                                     idempotent=request.idempotent, retry_after=response.headers.get("Retry-After"))
            if decision.retry:
                yield Sleep(decision.delay, attempt, str(status))
                continue
            raise error_for(response, note=decision.reason)
        raise error_for(response)
