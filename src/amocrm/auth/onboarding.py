"""OAuth 2.0 onboarding: the consent URL, the redirect that comes back, and the code exchange.

An amoCRM integration gets its first tokens in three steps::

    from amocrm.auth.onboarding import authorization_url, exchange_code

    request = authorization_url(client_id)        # AuthorizationRequest: .url and a random .state
    # 1. a person opens request.url, signs in and allows access;
    # 2. amoCRM sends the browser to the integration's redirect URI with ?code=…&referer=…&state=…
    grant = request.parse_redirect(redirected_to)  # AuthorizationGrant: state checked, .domain from referer
    tokens = exchange_code(grant, client_id=client_id, client_secret=client_secret,
                           redirect_uri=redirect_uri, storage=FileTokenStorage("tokens"))
    client = AmoClient(grant.domain, auth=OAuth2.from_storage(storage, grant.domain))

The authorization code is valid for 20 minutes and for one exchange only; it and the tokens are
secrets (registered for redaction, masked in reprs). :class:`LoopbackReceiver` receives the redirect
itself when the redirect URI points at this machine (``http://127.0.0.1:PORT/…``): it listens on
127.0.0.1 only, answers the browser with a short HTML page and gives up after a timeout. ``amocrm
auth`` (the command line) runs the whole flow.
"""

from __future__ import annotations

import hmac
import html
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit

from amocrm._redact import REDACTED, register_secret
from amocrm.errors import AuthError, ConfigError
from amocrm.tokens import Tokens, TokenStorage

__all__ = [
    "AMOCRM_AUTHORIZE_URL",
    "KOMMO_AUTHORIZE_URL",
    "AuthorizationGrant",
    "AuthorizationRequest",
    "LoopbackReceiver",
    "Mode",
    "Platform",
    "RedirectError",
    "authorization_url",
    "exchange_code",
    "is_loopback_uri",
    "new_state",
    "parse_redirect",
]

#: The consent page of amoCRM (accounts on amocrm.ru and amocrm.com).
AMOCRM_AUTHORIZE_URL = "https://www.amocrm.ru/oauth"
#: The consent page of Kommo (accounts on kommo.com).
KOMMO_AUTHORIZE_URL = "https://www.kommo.com/oauth"

#: ``post_message``: the consent page redirects the window it was opened in (what a command line or a
#: server-side flow needs); ``popup``: a consent popup opened by your page closes and redirects its opener.
Mode = Literal["popup", "post_message"]
#: Which service's consent page to use.
Platform = Literal["amocrm", "kommo"]

_MODES = ("popup", "post_message")


class RedirectError(AuthError):
    """The redirect does not complete this authorization: access denied, no code, or a ``state`` that
    does not match the request (a stale or forged redirect); also no redirect before the timeout."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=0)


def new_state() -> str:
    """A fresh random ``state`` value (32 URL-safe characters from :mod:`secrets`)."""
    return secrets.token_urlsafe(24)


def _text_arg(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _http_url(name: str, value: object) -> str:
    text = _text_arg(name, value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {text!r}")
    return text


@dataclass(frozen=True)
class AuthorizationGrant:
    """What the redirect brought back: the single-use ``code`` and the account it is for.

    ``domain`` is the account host from ``referer`` (``acme.amocrm.ru``, ``acme.kommo.com``),
    ``platform`` ``"amocrm"`` or ``"kommo"`` when the redirect said (``platform=1|2``). The repr
    masks the code.
    """

    code: str = field(repr=False)
    domain: str
    state: str
    client_id: str | None = None
    platform: Platform | None = None

    def __post_init__(self) -> None:
        register_secret(self.code)

    def __repr__(self) -> str:
        return (f"AuthorizationGrant(code={REDACTED!r}, domain={self.domain!r}, client_id={self.client_id!r}, "
                f"platform={self.platform!r})")


@dataclass(frozen=True)
class AuthorizationRequest:
    """A consent URL and the ``state`` it carries; :meth:`parse_redirect` checks the answer against it."""

    url: str
    state: str = field(repr=False)
    client_id: str
    mode: Mode = "post_message"

    def parse_redirect(self, redirect: str | Mapping[str, str], *, domain: str | None = None) -> AuthorizationGrant:
        """:func:`parse_redirect` with this request's ``state`` and ``client_id``."""
        return parse_redirect(redirect, state=self.state, client_id=self.client_id, domain=domain)


def authorization_url(
    client_id: str,
    *,
    state: str | None = None,
    mode: Mode = "post_message",
    platform: Platform = "amocrm",
    base_url: str | None = None,
) -> AuthorizationRequest:
    """The consent URL ``https://www.amocrm.ru/oauth?client_id=…&state=…&mode=…`` and its ``state``.

    ``state`` defaults to :func:`new_state` (random); keep the returned request to check the redirect.
    ``platform="kommo"`` uses ``https://www.kommo.com/oauth``; ``base_url`` another server instead
    (``<base_url>/oauth``: the bundled sandbox serves its consent step there).
    """
    cid = _text_arg("client_id", client_id)
    chosen = new_state() if state is None else _text_arg("state", state)
    if mode not in _MODES:
        raise ConfigError(f"mode must be 'popup' or 'post_message', got {mode!r}")
    if base_url is not None:
        endpoint = _http_url("base_url", base_url).rstrip("/") + "/oauth"
    elif platform == "amocrm":
        endpoint = AMOCRM_AUTHORIZE_URL
    elif platform == "kommo":
        endpoint = KOMMO_AUTHORIZE_URL
    else:
        raise ConfigError(f"platform must be 'amocrm' or 'kommo', got {platform!r}")
    query = urlencode([("client_id", cid), ("state", chosen), ("mode", mode)])
    return AuthorizationRequest(f"{endpoint}?{query}", chosen, cid, mode)


def _redirect_params(redirect: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(redirect, Mapping):
        return {str(k): str(v) for k, v in redirect.items()}
    if not isinstance(redirect, str):
        raise ConfigError(f"redirect must be a URL, a query string or a mapping, got {type(redirect).__name__}")
    text = redirect.strip()
    if "://" in text or text.startswith("/"):
        parts = urlsplit(text)
        query = parts.query or parts.fragment
    else:
        query = text.lstrip("?")
    return dict(parse_qsl(query, keep_blank_values=True))


def parse_redirect(
    redirect: str | Mapping[str, str],
    *,
    state: str,
    client_id: str | None = None,
    domain: str | None = None,
) -> AuthorizationGrant:
    """The :class:`AuthorizationGrant` in a redirect: the URL the browser was sent to, its query, or a mapping.

    ``state`` is the value the consent URL carried; a redirect without it or with another one raises
    :class:`RedirectError` (compared in constant time), and so do ``error=…`` (access denied), a
    missing ``code`` and a ``client_id`` other than ``client_id`` (when given). The account comes from
    ``referer``, which must be an amoCRM or Kommo host (``acme.amocrm.ru``); ``domain`` is used when
    the redirect has no ``referer``.
    """
    from amocrm.client import resolve_domain

    expected = _text_arg("state", state)
    params = _redirect_params(redirect)
    got = params.get("state")
    if not got:
        raise RedirectError("the redirect carries no state: it does not answer this authorization request")
    if not hmac.compare_digest(got.encode(), expected.encode()):
        raise RedirectError("the redirect's state does not match this authorization request "
                            "(a stale or forged redirect): start the authorization again")
    error = params.get("error")
    if error:
        hint = params.get("error_description") or params.get("hint") or ""
        raise RedirectError(f"authorization refused: {error}" + (f" ({hint})" if hint else ""))
    code = params.get("code", "").strip()
    if not code:
        raise RedirectError("the redirect carries no authorization code")
    register_secret(code)
    returned_client = params.get("client_id") or None
    if client_id is not None and returned_client is not None and returned_client != client_id:
        raise RedirectError(f"the redirect is for another integration (client_id {returned_client!r})")
    referer = params.get("referer", "").strip()
    if referer:
        host = referer.split("://", 1)[-1].split("/", 1)[0]
        account = resolve_domain(host)
    elif domain is not None:
        account = resolve_domain(domain)
    else:
        raise RedirectError("the redirect names no account (referer): pass domain=")
    platform_id = params.get("platform", "")
    platform: Platform | None = None
    if platform_id == "1":
        platform = "amocrm"
    elif platform_id == "2":
        platform = "kommo"
    return AuthorizationGrant(code, account, got, returned_client, platform)


def exchange_code(
    grant: AuthorizationGrant,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    storage: TokenStorage | None = None,
    base_url: str | None = None,
    ca_file: str | None = None,
    timeout: float = 30.0,
) -> Tokens:
    """Exchange the grant's code at ``POST https://<grant.domain>/oauth2/access_token``; the new tokens.

    ``redirect_uri`` must be the integration's registered one. With ``storage`` the tokens (with the
    client id, secret and redirect URI, so ``OAuth2.from_storage`` can refresh them) are saved under
    ``grant.domain``, replacing any stored before. ``base_url`` sends the request to another server
    (the sandbox). Refusals raise :class:`~amocrm.errors.ReauthorizationRequired` (a spent or
    expired code) or :class:`~amocrm.errors.AuthError` (wrong client credentials).
    """
    from amocrm.auth._flow import TokenGrant, TokenRetry, run, token_flow
    from amocrm.client import AmoClient

    if not isinstance(grant, AuthorizationGrant):
        raise ConfigError(f"grant must be an AuthorizationGrant, got {type(grant).__name__}")
    cid = _text_arg("client_id", client_id)
    secret = _text_arg("client_secret", client_secret)
    register_secret(secret)
    uri = _text_arg("redirect_uri", redirect_uri)
    with AmoClient(grant.domain, base_url=base_url, ca_file=ca_file, throttle=None, timeout=timeout) as client:
        request = TokenGrant(domain=client.domain, client_id=cid, client_secret=secret, redirect_uri=uri,
                             grant="authorization_code", credential=grant.code)
        tokens = run(token_flow(request, TokenRetry()), client)
        if storage is not None:
            with storage.lock(client.domain):
                storage.save(client.domain, tokens)
    return tokens


def is_loopback_uri(uri: str) -> bool:
    """Whether ``uri`` is a plain-HTTP URL on this machine (``http://127.0.0.1:…``, ``http://localhost:…``)."""
    parts = urlsplit(uri.strip())
    return parts.scheme == "http" and (parts.hostname or "") in ("127.0.0.1", "localhost")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""


def _page(title: str, text: str) -> bytes:
    return _PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")


class LoopbackReceiver:
    """Receives the consent redirect on ``http://127.0.0.1:<port><path>`` (127.0.0.1 only).

    ``port=0`` picks a free port (see :attr:`url`); the integration's redirect URI must lead there,
    directly (a registered ``http://127.0.0.1:PORT/…``) or through a tunnel. The first request that
    carries ``code``, ``error`` or ``state`` on ``path`` ends the wait: the browser gets a short HTML
    page saying whether it worked. Other requests (``/favicon.ico``) get 404. Nothing is logged::

        with LoopbackReceiver(request, port=0) as receiver:
            print("waiting on", receiver.url)
            grant = receiver.wait(timeout=300)
    """

    def __init__(self, request: AuthorizationRequest, *, port: int = 0, path: str = "/",
                 domain: str | None = None) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError(f"port must be an int from 0 to 65535, got {port!r}")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigError(f"path must start with '/', got {path!r}")
        import http.server

        self._request = request
        self._path = path
        self._domain = domain
        self._done = threading.Event()
        self._grant: AuthorizationGrant | None = None
        self._error: RedirectError | ConfigError | None = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10  # a browser's idle pre-connection must not hold the listener
            server_version = "amocrm-auth"
            sys_version = ""

            def do_GET(self) -> None:
                status, body = receiver._handle(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                """The request line holds the code: never printed."""

        self._server: http.server.HTTPServer = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def port(self) -> int:
        """The port listened on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port><path>``."""
        return f"http://127.0.0.1:{self.port}{self._path}"

    def _handle(self, target: str) -> tuple[int, bytes]:
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path != self._path or not ({"code", "error", "state"} & set(params)) or self._done.is_set():
            return 404, _page("Not found", "This address only receives the amoCRM authorization redirect.")
        try:
            self._grant = self._request.parse_redirect(params, domain=self._domain)
        except (RedirectError, ConfigError) as exc:
            self._error = exc
            self._done.set()
            return 400, _page("Authorization failed", f"{exc}. Return to the terminal for details.")
        self._done.set()
        return 200, _page("Access granted", "The command line has the authorization now: you can close this tab.")

    def __enter__(self) -> LoopbackReceiver:
        self._thread = threading.Thread(target=self._serve, name="amocrm-auth-redirect", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        self._server.timeout = 0.2
        while not self._done.is_set() and not self._closed:
            self._server.handle_request()

    def wait(self, timeout: float = 300.0) -> AuthorizationGrant:
        """The grant of the first redirect; :class:`RedirectError` for a bad one or none within ``timeout`` s."""
        if self._thread is None:
            raise ConfigError("LoopbackReceiver.wait() needs the receiver started: use it in a with block")
        deadline = time.monotonic() + timeout
        while not self._done.wait(0.1):
            if time.monotonic() >= deadline:
                raise RedirectError(f"no redirect arrived at {self.url} within {timeout:g} s")
        if self._error is not None:
            raise self._error
        assert self._grant is not None
        return self._grant

    def close(self) -> None:
        """Stop listening."""
        self._closed = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server.server_close()

    def __exit__(self, *exc: object) -> None:
        self.close()
