"""Legacy API-key login: ``POST /private/api/auth.php?type=json`` gives a session cookie (15 min).

Fixes over the seed: the re-login budget counts consecutive re-logins *without a successful request
in between* and is reset by :meth:`ApiKey.note_success`, and running out of it fails only the
current request (the budget starts afresh afterwards), so one bad moment never disables re-login
for the rest of the process (seed quirk 6). Concurrent 401s trigger one re-login (single-flight).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from amocrm import _logging
from amocrm._redact import REDACTED, register_secret
from amocrm.auth._base import AuthContext
from amocrm.auth._flow import LOGIN_PATH, login_flow, parse_set_cookie, run
from amocrm.errors import ConfigError
from amocrm.tokens import validate_domain

__all__ = ["ApiKey", "LOGIN_PATH", "parse_set_cookie"]


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
        jar = run(login_flow(self.login, self._api_key, domain), ctx)
        with self._guard:
            self._jars[domain] = jar
        _logging.log_relogin(domain, f"API-key login as {self.login}: session cookie(s) {', '.join(sorted(jar))}")
        return "; ".join(f"{k}={v}" for k, v in jar.items())
