"""The contract between the client's request pipeline and an authentication scheme.

The client calls :meth:`Auth.headers` before every request and :meth:`Auth.refresh` after a 401.
A scheme talks to the token endpoint or the login endpoint through :class:`AuthContext`, which
sends without authentication and without retries, but through the client's throttle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["Auth", "AuthContext", "RawResponse"]


class RawResponse(Protocol):
    """What :meth:`AuthContext.send` returns (the client's ``Response`` satisfies it)."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def data(self) -> bytes: ...
    def json(self) -> Any: ...


class AuthContext(Protocol):
    """What an auth scheme may use of the client."""

    @property
    def domain(self) -> str:
        """Full account domain (``acme.amocrm.ru``): the key for token storage and locks."""
        ...

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """Send one request without auth headers, throttled, never retried; any status is returned."""
        ...


@runtime_checkable
class Auth(Protocol):
    """An authentication scheme for one account."""

    #: ``"oauth2"``, ``"api_key"`` or ``"token"`` (shown in logs, never a secret).
    kind: str

    def headers(self, ctx: AuthContext) -> Mapping[str, str]:
        """Headers that authenticate the next request (``Authorization`` or ``Cookie``).

        May log in or refresh first (first use, token about to expire).
        """
        ...

    def refresh(self, ctx: AuthContext, stale: Mapping[str, str]) -> bool:
        """Renew credentials after the server answered 401 to a request sent with ``stale``.

        Returns True when the request should be sent again with fresh :meth:`headers`.
        Returns False when nothing more can be done (the client then raises ``AuthError``);
        raises ``ReauthorizationRequired`` when a person must authorise again.
        """
        ...
