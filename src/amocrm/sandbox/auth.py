"""Credentials of the emulated account: OAuth codes/tokens (rotating refresh), API key, sessions.

Callers hold the sandbox lock; nothing here locks by itself.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .wire import Request, Response, html_page, json_response, legacy_error

__all__ = ["Credentials", "AuthState", "oauth_problem"]

PROBLEM_TYPE = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"
PROBLEM_DETAIL = "В запросе отсутствует ряд параметров или параметры невалидны"
SESSION_COOKIE = "session_id"


def oauth_problem(hint: str, status: int = 400) -> Response:
    """The real ``application/problem+json`` OAuth error body with ``hint``."""
    body = {"hint": hint, "title": "Некорректный запрос", "type": PROBLEM_TYPE, "status": status,
            "detail": PROBLEM_DETAIL}
    return json_response(body, status, "application/problem+json")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass
class Credentials:
    """Secrets of one sandbox instance (fresh per start)."""

    subdomain: str
    login: str
    client_id: str = field(default_factory=lambda: _uuid())
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    redirect_uri: str = "https://example.com/amocrm/oauth"
    api_key: str = field(default_factory=lambda: secrets.token_hex(20))
    admin_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


class AuthState:
    """Codes, tokens and sessions with their expiry times (``time.monotonic`` is not used: tokens carry unix exp)."""

    def __init__(self, creds: Credentials, account_id: int, user_id: int, token_lifetime: float,
                 code_lifetime: float, session_lifetime: float, refresh_lifetime: float) -> None:
        self.creds = creds
        self.account_id = account_id
        self.user_id = user_id
        self.token_lifetime = token_lifetime
        self.code_lifetime = code_lifetime
        self.session_lifetime = session_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.codes: dict[str, tuple[float, bool]] = {}  # code -> (expires_at, used)
        self.refresh_tokens: dict[str, tuple[float, bool]] = {}  # token -> (expires_at, used)
        self.access_tokens: dict[str, float] = {}  # token -> expires_at
        self.sessions: dict[str, float] = {}
        self.long_lived: set[str] = set()
        #: second-level domain of the account host (``amocrm.ru`` or ``kommo.com``)
        self.domain = "amocrm.ru"
        self.counters: dict[str, int] = {"refreshes": 0, "code_exchanges": 0, "logins": 0, "consents": 0}

    # -- OAuth ---------------------------------------------------------------------------------
    def mint_code(self) -> str:
        code = "def50200" + secrets.token_hex(64)
        self.codes[code] = (time.time() + self.code_lifetime, False)
        return code

    def _jwt(self, exp: float, **more: Any) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "jti": secrets.token_hex(20)}
        claims = {"aud": self.creds.client_id, "jti": header["jti"], "iat": now, "nbf": now, "exp": int(exp),
                  "sub": str(self.user_id), "account_id": self.account_id,
                  "base_domain": self.domain, "api_domain": f"{self.creds.subdomain}.{self.domain}",
                  "scopes": ["crm", "notifications"], **more}
        parts = (_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(secrets.token_bytes(64)))
        return ".".join(parts)

    def issue_tokens(self, lifetime: float | None = None) -> dict[str, Any]:
        """A fresh access/refresh pair in the shape of the token endpoint's answer."""
        life = self.token_lifetime if lifetime is None else float(lifetime)
        exp = time.time() + life
        access = self._jwt(exp)
        refresh = "def50200" + secrets.token_hex(160)
        self.access_tokens[access] = exp
        self.refresh_tokens[refresh] = (time.time() + self.refresh_lifetime, False)
        return {"token_type": "Bearer", "expires_in": int(life), "access_token": access, "refresh_token": refresh,
                "server_time": int(time.time())}

    def issue_long_lived(self, lifetime: float = 365 * 86400.0) -> str:
        """A long-lived token of a private integration: a JWT with ``exp`` and no refresh token."""
        if not lifetime > 0:
            raise ValueError(f"lifetime must be > 0 seconds, got {lifetime!r}")
        exp = time.time() + float(lifetime)
        token = self._jwt(exp, grant_type="long_lived")
        self.access_tokens[token] = exp
        self.long_lived.add(token)
        return token

    def refresh_known(self, token: str) -> bool:
        """Whether ``token`` is a refresh token this account issued and that has not expired (used or not)."""
        entry = self.refresh_tokens.get(token)
        return entry is not None and time.time() < entry[0]

    def consent(self, req: Request, referer: str, platform: int) -> Response:
        """``GET /oauth?client_id=…&state=…&mode=popup|post_message``: the consent page, auto-approved.

        The seeded admin grants access at once: 302 to the registered redirect URI with a fresh
        single-use ``code``, ``referer`` (the account host), ``state`` (echoed), ``client_id`` and
        ``platform`` (1 amoCRM, 2 Kommo). An unknown ``client_id`` or a ``redirect_uri`` other than the
        registered one gets a 400 error page and no code.
        """
        if req.method not in ("GET", "HEAD"):
            return html_page(405, "405 Not Allowed")
        q = req.query
        client_id = q.get("client_id")
        if not isinstance(client_id, str) or client_id != self.creds.client_id:
            return html_page(400, "400 Bad Request", "<p>Интеграция не найдена: проверьте параметр client_id</p>")
        redirect = q.get("redirect_uri")
        if redirect not in (None, "") and redirect != self.creds.redirect_uri:
            return html_page(400, "400 Bad Request", "<p>Redirect URI is not associated with client</p>")
        mode = q.get("mode")
        if mode not in (None, "", "popup", "post_message"):
            return html_page(400, "400 Bad Request", "<p>mode must be popup or post_message</p>")
        params: list[tuple[str, str]] = [("code", self.mint_code()), ("referer", referer)]
        state = q.get("state")
        if isinstance(state, str):
            params.append(("state", state))
        params += [("client_id", client_id), ("platform", str(platform))]
        target = self.creds.redirect_uri
        location = target + ("&" if "?" in target else "?") + urlencode(params)
        self.counters["consents"] += 1
        page = html_page(302, "302 Found")
        page.headers.append(("Location", location))
        return page

    def token_endpoint(self, req: Request) -> Response:
        """``POST /oauth2/access_token`` for grant types authorization_code and refresh_token."""
        if req.method != "POST":
            return oauth_problem("Check the `grant_type` parameter")
        try:
            data = req.form_body()
        except Exception:
            return oauth_problem("Check the `grant_type` parameter")
        host = req.headers.get("host", "").split(":", 1)[0]
        if host and not _is_local_host(host) and host.split(".", 1)[0] != self.creds.subdomain:
            return oauth_problem("Invalid account")
        if data.get("client_id") != self.creds.client_id:
            return oauth_problem("Check the `client_id` parameter")
        if data.get("client_secret") != self.creds.client_secret:
            return oauth_problem("Check the `client_secret` parameter")
        if data.get("redirect_uri") != self.creds.redirect_uri:
            return oauth_problem("Redirect URI is not associated with client")
        grant = data.get("grant_type")
        now = time.time()
        if grant == "authorization_code":
            code = data.get("code")
            entry = self.codes.get(code) if isinstance(code, str) else None
            if entry is None:
                return oauth_problem("Cannot decrypt the authorization code")
            expires_at, used = entry
            if used:
                return oauth_problem("Authorization code has been revoked")
            if now >= expires_at:
                return oauth_problem("Authorization code has expired")
            self.codes[code] = (expires_at, True)  # type: ignore[index]
            self.counters["code_exchanges"] += 1
            return json_response(self.issue_tokens(), 200, "application/json")
        if grant == "refresh_token":
            token = data.get("refresh_token")
            rentry = self.refresh_tokens.get(token) if isinstance(token, str) else None
            if rentry is None or rentry[1] or now >= rentry[0]:
                return oauth_problem("Invalid refresh token")
            self.refresh_tokens[token] = (rentry[0], True)  # type: ignore[index]
            self.counters["refreshes"] += 1
            return json_response(self.issue_tokens(), 200, "application/json")
        return oauth_problem("Check the `grant_type` parameter")

    def bearer_state(self, token: str) -> str:
        """"ok", "expired" or "unknown" for an access token."""
        exp = self.access_tokens.get(token)
        if exp is None:
            return "unknown"
        return "ok" if time.time() < exp else "expired"

    # -- legacy API key ------------------------------------------------------------------------
    def check_key(self, login: Any, key: Any) -> bool:
        return login == self.creds.login and isinstance(key, str) and secrets.compare_digest(key, self.creds.api_key)

    def new_session(self) -> str:
        sid = secrets.token_hex(16)
        self.sessions[sid] = time.time() + self.session_lifetime
        self.counters["logins"] += 1
        return sid

    def session_ok(self, sid: str) -> bool:
        exp = self.sessions.get(sid)
        return exp is not None and time.time() < exp

    def login_endpoint(self, req: Request, account_info: dict[str, Any]) -> Response:
        """``POST /private/api/auth.php?type=json`` with USER_LOGIN/USER_HASH (JSON, form or multipart)."""
        try:
            data = req.form_body() if req.method == "POST" else {}
        except Exception:
            data = {}
        login = data.get("USER_LOGIN", req.query.get("USER_LOGIN"))
        key = data.get("USER_HASH", req.query.get("USER_HASH"))
        now = int(time.time())
        as_json = req.query.get("type") == "json"
        if not self.check_key(login, key):
            if not as_json:
                return _xml(401, f"<auth>false</auth><error>Неправильный логин или пароль</error>"
                                 f"<error_code>110</error_code><server_time>{now}</server_time>")
            return legacy_error(110, 401, "Неправильный логин или пароль", ip="127.0.0.1", auth=False,
                                domain=f"{self.creds.subdomain}.amocrm.ru", server_time=now)
        sid = self.new_session()
        cookie = (f"{SESSION_COOKIE}={sid}; path=/; Max-Age={int(self.session_lifetime)}; "
                  "HttpOnly")
        headers = [("Set-Cookie", cookie)]
        if not as_json:
            resp = _xml(200, f"<auth>true</auth><server_time>{now}</server_time>")
            resp.headers.extend(headers)
            return resp
        body = {"response": {"auth": True, "accounts": [account_info], "user": {"id": self.user_id, "language": "ru"},
                             "server_time": now}}
        return json_response(body, 200, "application/json", headers)


def _xml(status: int, inner: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><root><response>{inner}</response></root>'
    return Response(status, body.encode("utf-8"), "text/xml; charset=utf-8")


def _is_local_host(host: str) -> bool:
    return host in ("localhost", "") or host.replace(".", "").isdigit() or host.startswith("[")
