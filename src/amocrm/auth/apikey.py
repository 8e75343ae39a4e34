"""Legacy API-key login: ``POST /private/api/auth.php?type=json`` gives a session cookie (15 min).

Fixes over the seed: the re-login budget counts consecutive re-logins *without a successful request
in between* and is reset by :meth:`ApiKey.note_success`, and running out of it fails only the
current request (the budget starts afresh afterwards), so one bad moment never disables re-login
for the rest of the process (seed quirk 6). Concurrent 401s trigger one re-login (single-flight).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from amocrm import _logging
from amocrm._redact import REDACTED, register_secret
from amocrm.auth._base import AuthContext, RawResponse
from amocrm.errors import APIError, AuthError, ConfigError, DecodeError, ReauthorizationRequired, ServerError
from amocrm.tokens import validate_domain

__all__ = ["ApiKey", "LOGIN_PATH", "parse_set_cookie"]

LOGIN_PATH = "/private/api/auth.php?type=json"

_COOKIE_SPLIT = re.compile(r",\s*(?=[^;,\s=]+=)")


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
            expired = re.search(r"(?i)(?:^|;)\s*max-age\s*=\s*(?:0|-\d+)\s*(?:;|$)", attrs) is not None
            jar[name] = None if expired or value in ("", "deleted") else value
    return jar


def _set_cookie_values(headers: Mapping[str, str]) -> list[str]:
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        values: Any = getlist("Set-Cookie")
        return [str(v) for v in values]
    return [v for k, v in headers.items() if k.lower() == "set-cookie"]


class ApiKey:
    """Log in with ``login`` + ``api_key``, then send the session cookie; re-log in after a 401."""

    kind = "api_key"

    def __init__(self, login: str, api_key: str, *, relogin_attempts: int = 3, relogin_wait: float = 0.0) -> None:
        if not isinstance(login, str) or not login.strip():
            raise ConfigError("ApiKey login must be a non-empty string (the user's e-mail)")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigError("ApiKey api_key must be a non-empty string")
        if isinstance(relogin_attempts, bool) or not isinstance(relogin_attempts, int) or relogin_attempts < 0:
            raise ConfigError(f"ApiKey relogin_attempts must be an integer >= 0, got {relogin_attempts!r}")
        if isinstance(relogin_wait, bool) or not isinstance(relogin_wait, (int, float)) or not (
            0 <= relogin_wait <= 300
        ):
            raise ConfigError(f"ApiKey relogin_wait must be between 0 and 300 seconds, got {relogin_wait!r}")
        self.login: str = login.strip()
        self._api_key = api_key.strip()
        register_secret(self._api_key)
        self.relogin_attempts = relogin_attempts
        self.relogin_wait: float = float(relogin_wait)
        self._guard = threading.Lock()
        self._mutexes: dict[str, threading.Lock] = {}
        self._jars: dict[str, dict[str, str]] = {}
        self._relogins: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"ApiKey(login={self.login!r}, api_key={REDACTED!r})"

    # -- the Auth protocol -----------------------------------------------------------------------

    def headers(self, ctx: AuthContext) -> Mapping[str, str]:
        """``Cookie: session_id=…``, logging in first when this account has no session yet."""
        domain = validate_domain(ctx.domain)
        cookie = self._cookie(domain)
        if cookie is None:
            with self._mutex(domain):
                cookie = self._cookie(domain)
                if cookie is None:
                    cookie = self._login(ctx, domain)
        return {"Cookie": cookie}

    def refresh(self, ctx: AuthContext, stale: Mapping[str, str]) -> bool:
        """Log in again after a 401 (once for all threads that saw the same stale cookie)."""
        domain = validate_domain(ctx.domain)
        stale_cookie = next((v for k, v in stale.items() if k.lower() == "cookie"), None)
        with self._mutex(domain):
            current = self._cookie(domain)
            if current is not None and current != stale_cookie:
                return True  # another thread logged in again meanwhile
            with self._guard:
                done = self._relogins.get(domain, 0)
                if done >= self.relogin_attempts:
                    # Fail this request only; the next 401 gets a fresh budget (no quirk 6).
                    self._relogins[domain] = 0
                    exhausted = True
                else:
                    self._relogins[domain] = done + 1
                    exhausted = False
            if exhausted:
                _logging.log_relogin(
                    domain, f"{self.relogin_attempts} re-logins without a successful request: giving up"
                )
                return False
            _logging.log_relogin(domain, f"re-login #{done + 1} in {self.relogin_wait:g}s")
            if self.relogin_wait:
                time.sleep(self.relogin_wait)
            with self._guard:
                self._jars.pop(domain, None)
            self._login(ctx, domain)
            return True

    def note_success(self, domain: str | None = None) -> None:
        """A request succeeded: the re-login budget of ``domain`` (all accounts if None) starts afresh."""
        with self._guard:
            if domain is None:
                self._relogins.clear()
            else:
                self._relogins.pop(validate_domain(domain), None)

    # -- internals -------------------------------------------------------------------------------

    def _mutex(self, domain: str) -> threading.Lock:
        with self._guard:
            return self._mutexes.setdefault(domain, threading.Lock())

    def _cookie(self, domain: str) -> str | None:
        with self._guard:
            jar = self._jars.get(domain)
            return "; ".join(f"{k}={v}" for k, v in jar.items()) if jar else None

    def _login(self, ctx: AuthContext, domain: str) -> str:
        resp = ctx.send("POST", LOGIN_PATH, json={"USER_LOGIN": self.login, "USER_HASH": self._api_key})
        cookies = parse_set_cookie(_set_cookie_values(resp.headers))
        for value in cookies.values():
            register_secret(value)
        body = self._body(resp, domain)
        if resp.status != 200:
            raise self._login_error(resp, body, domain)
        inner = body.get("response") if isinstance(body, dict) else None
        if not isinstance(inner, dict) or not inner.get("auth"):
            error = inner.get("error") if isinstance(inner, dict) else None
            raise ReauthorizationRequired(
                f"API-key login to {domain} as {self.login} refused (HTTP 200, auth is false)"
                + (f": {error}" if error else ""),
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
        with self._guard:
            self._jars[domain] = jar
        _logging.log_relogin(domain, f"API-key login as {self.login}: session cookie(s) {', '.join(sorted(jar))}")
        return "; ".join(f"{k}={v}" for k, v in jar.items())

    @staticmethod
    def _body(resp: RawResponse, domain: str) -> Any:
        try:
            return resp.json()
        except (ValueError, DecodeError):  # urllib3 raises ValueError, the client's Response DecodeError
            if resp.status == 200:
                raise DecodeError(
                    f"API-key login to {domain} answered 200 with a body that is not JSON ({len(resp.data)} bytes)",
                    status=200,
                ) from None
            return None

    def _login_error(self, resp: RawResponse, body: Any, domain: str) -> APIError:
        status = resp.status
        inner = body.get("response") if isinstance(body, dict) else None
        error = str(inner.get("error") or "") if isinstance(inner, dict) else ""
        code_text = str(inner.get("error_code") or "") if isinstance(inner, dict) else ""
        api_code = int(code_text) if code_text.isdigit() else None
        text = f"API-key login to {domain} as {self.login} refused with HTTP {status}"
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
