"""``AmoClient``: one amoCRM account, its connection pool, and the request pipeline's sync driver.

Resources hang off the client per API version (``client.v4.leads``, ``client.v2.leads``); the
unprefixed ``client.leads`` names the default version, v4 (``spec/versions.yaml``). Every request
goes through the I/O-free step machine :func:`amocrm._core.pipeline.request_flow`, which this module drives
with urllib3 (:mod:`amocrm._sync.transport`), the throttle, the auth scheme and ``time.sleep``::

    encode (PHP query / compact JSON / form) -> auth headers -> throttle -> send
      -> 401: auth.refresh() and send again -> 429/5xx/transport error: RetryPolicy.decide()
      -> status check (typed exception) -> Response
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from amocrm import _logging
from amocrm._core.pipeline import AcquireSlot, AuthHeaders, Effect, Renew, Sleep, Transmit, request_flow
from amocrm._core.profiles import Profile
from amocrm._core.wire import Request, Response, safe_url
from amocrm._default.resources import DefaultResources
from amocrm._domains import validate_host
from amocrm._query import build_query
from amocrm._sync.transport import DEFAULT_MAX_BODY, Transport
from amocrm.auth import Auth
from amocrm.errors import AuthError, ConfigError, TransportError, raise_for_embedded_errors
from amocrm.locking import EntityLocker, FileLocker, NoLocker
from amocrm.retry import RetryPolicy
from amocrm.throttle import NoThrottle, Throttle, default_throttle
from amocrm.v2 import PROFILE as V2_PROFILE
from amocrm.v2.client import V2
from amocrm.v4 import PROFILE as V4_PROFILE
from amocrm.v4.client import V4

__all__ = ["AmoClient", "ClientConfig", "resolve_domain"]

Method = Literal["GET", "POST", "PATCH", "PUT", "DELETE", "AJAX"]

_KNOWN_TOP = re.compile(r"\.(amocrm\.(ru|com)|kommo\.com)$")
_AUTH_PATHS = ("/oauth2/access_token", "/private/api/auth.php")
_AUTH_KINDS = {"oauth2": "oauth2", "token": "long_lived_token", "api_key": "api_key"}
_json_encoder = msgspec.json.Encoder()
_MAX_TIMEOUT = 3600.0

log: logging.Logger = logging.getLogger("amocrm")


def resolve_domain(subdomain: str, top_domain: str = "amocrm.ru") -> str:
    """The full host of an account: ``acme`` -> ``acme.amocrm.ru``.

    A full domain of amoCRM (``.amocrm.ru``, ``.amocrm.com``) or Kommo (``.kommo.com``) is kept as
    it is. Host names are checked strictly before any case folding (ASCII only, so look-alikes such
    as ``\u212aey`` are refused instead of silently becoming ``key``; no empty labels).
    """
    if not isinstance(subdomain, str) or not subdomain.strip():
        raise ConfigError(f"subdomain must be a non-empty string, got {subdomain!r}")
    if not isinstance(top_domain, str) or not top_domain.strip():
        raise ConfigError(f"top_domain must be a non-empty string, got {top_domain!r}")
    raw = subdomain.strip()
    if raw.lower().startswith(("http://", "https://")):
        raise ConfigError(f"subdomain {subdomain!r} looks like a URL: pass base_url= for a custom server")
    if "." in raw:
        name = validate_host(raw, what="account domain", allow_port=False)
        if not _KNOWN_TOP.search(name):
            raise ConfigError(
                f"subdomain {subdomain!r} is not valid: a bare subdomain (letters, digits, '-') or a full "
                "domain ending in .amocrm.ru, .amocrm.com or .kommo.com"
            )
        return name
    name = validate_host(raw, what="subdomain", allow_port=False)
    top = validate_host(top_domain.strip().lstrip("."), what="top_domain", allow_port=False)
    if "." not in top:
        raise ConfigError(f"top_domain {top_domain!r} is not a domain")
    return f"{name}.{top}"


def _check_header(name: str, value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{what} {name!r}: expected a str value, got {type(value).__name__}")
    if "\r" in value or "\n" in value or "\0" in value:
        raise ConfigError(f"{what} {name!r}: CR, LF and NUL are not allowed in header values")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise ConfigError(f"{what} {name!r}: header values must be Latin-1 (encode other text first)") from None
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", name):
        raise ConfigError(f"{what}: {name!r} is not a header name")
    return value


def _number(name: str, value: Any, *, minimum: float = 0.0, maximum: float = _MAX_TIMEOUT) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number of seconds, got {value!r}")
    if not minimum < value <= maximum:
        raise ConfigError(f"{name} must be more than {minimum:g} and at most {maximum:g} seconds, got {value!r}")
    return float(value)


@dataclass
class ClientConfig:
    """Settings a client reads on every call; change them on ``client.config`` at any time."""

    #: Seconds added to now() for ``updated_at`` of v2 update items (the seed's ``updatedAtDelta``).
    updated_at_delta: int = 5
    #: Entities per write request when saving; capped by each operation's maximum (500 in v2).
    batch_size: int = 250
    #: Page size used when iterating lists (capped by each operation's maximum).
    page_size: int = 500
    #: Pages fetched ahead while the caller consumes the current one (0 turns prefetch off). Keeping
    #: the rate limit busy needs about latency x rate requests in flight (prefetch + 1): 3 covers
    #: pages answered in up to ~0.55 s at 7 req/s. Each page ahead may cost one request past the end
    #: of a multi-page result (a one-page result costs one request: the first page goes alone).
    prefetch: int = 3
    #: Write requests in flight at once when a save spans several chunks (1 sends them one by one).
    save_workers: int = 3
    #: Take the entity lock around updates of single entities.
    lock_updates: bool = True

    def __post_init__(self) -> None:
        for name in ("updated_at_delta", "batch_size", "page_size", "prefetch", "save_workers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"ClientConfig.{name} must be a non-negative int, got {value!r}")
        if self.batch_size < 1 or self.page_size < 1 or self.save_workers < 1:
            raise ConfigError("ClientConfig.batch_size, page_size and save_workers must be at least 1")
        if not isinstance(self.lock_updates, bool):
            raise ConfigError(f"ClientConfig.lock_updates must be True or False, got {self.lock_updates!r}")


def _base_url(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigError(f"base_url must start with http:// or https://, got {value!r}")
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ConfigError("base_url must not carry a user name or password (use an auth scheme)")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ConfigError(f"base_url must not have a query or a fragment, got {safe_url(value)!r}")
    if not parts.hostname:
        raise ConfigError(f"base_url has no host: {value!r}")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(f"base_url has an invalid port: {value!r}") from None
    if any(ch in value for ch in " \r\n\t\\"):
        raise ConfigError(f"base_url contains whitespace or backslashes: {value!r}")
    return value.rstrip("/")


def _check_path(path: Any) -> str:
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise ConfigError(f"path must start with a single '/', got {path!r}")
    if any(ch in path for ch in "\r\n\t\0\\ #"):
        raise ConfigError(f"path contains a character that is not allowed (whitespace, '\\\\', '#'): {path!r}")
    route = path.split("?", 1)[0]
    segments = route.split("/")
    if any(seg in ("..", ".") or seg.lower() in ("%2e%2e", "%2e", ".%2e", "%2e.") for seg in segments):
        raise ConfigError(f"path must not contain '.' or '..' segments: {path!r}")
    return path


class AmoClient(DefaultResources):
    """A client for one amoCRM account.

    >>> client = AmoClient("acme", auth=OAuth2(client_id, client_secret, redirect_uri, code=code))
    >>> for lead in client.leads.list(filter={"statuses": [(pipeline_id, 142)]}):
    ...     print(lead.id, lead.name)

    ``subdomain`` is ``acme`` or a full domain (``acme.amocrm.com``, ``acme.kommo.com``);
    ``base_url`` sends everything to another server instead (the bundled sandbox, a proxy).
    Without ``base_url``, an account whose tokens name another API host (``api_domain``: a moved
    account) is followed there. ``context_user_id`` sends ``X-Context-User-ID`` on API v4 requests
    (act on behalf of that user). ``client.v2`` and ``client.v4`` hold each version's resources;
    ``client.leads`` and the others are those of the default version (v4).
    """

    def __init__(
        self,
        subdomain: str,
        *,
        auth: Auth | None = None,
        base_url: str | None = None,
        top_domain: str = "amocrm.ru",
        throttle: Throttle | float | None = 7.0,
        retry: RetryPolicy | None = None,
        locker: EntityLocker | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        ca_file: str | None = None,
        verify: bool = True,
        user_agent: str = "amocrm-python/0.1",
        pool_maxsize: int = 8,
        max_body_bytes: int = DEFAULT_MAX_BODY,
        config: ClientConfig | None = None,
        context_user_id: int | None = None,
    ) -> None:
        self.domain: str = resolve_domain(subdomain, top_domain)
        self.subdomain: str = self.domain.split(".", 1)[0]
        self.base_url: str = _base_url(base_url) if base_url is not None else f"https://{self.domain}"
        #: Whether requests may follow the account to the host its tokens name (``api_domain``):
        #: only when ``base_url`` was not given.
        self._follow_api_domain = base_url is None
        self._warned_api_domain = False
        #: The last ``api_domain`` seen and the base URL it gives (checked once, not per request).
        self._api_base: tuple[str, str] | None = None
        if context_user_id is not None and (
            isinstance(context_user_id, bool) or not isinstance(context_user_id, int) or context_user_id < 1
        ):
            raise ConfigError(f"context_user_id must be a user id (a positive int) or None, got {context_user_id!r}")
        #: Sent as ``X-Context-User-ID`` on API v4 requests: act on behalf of that user.
        self.context_user_id: int | None = context_user_id
        if auth is not None and not isinstance(auth, Auth):
            raise ConfigError(f"auth must be an amocrm.auth scheme (OAuth2, ApiKey, LongLivedToken), got {auth!r}")
        self.auth = auth
        self.throttle: Throttle
        if throttle is None:
            self.throttle = NoThrottle()
        elif isinstance(throttle, bool):
            raise ConfigError(f"throttle must be requests per second, a Throttle or None, got {throttle!r}")
        elif isinstance(throttle, (int, float)):
            # shared by every process of this user on this machine (a file in a private temp folder)
            self.throttle = default_throttle(float(throttle))
        elif callable(getattr(throttle, "acquire", None)):
            self.throttle = throttle
        else:
            raise ConfigError(f"throttle must be requests per second, a Throttle or None, got {throttle!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigError(f"retry must be a RetryPolicy, got {retry!r}")
        self.retry: RetryPolicy = retry if retry is not None else RetryPolicy()
        if locker is not None and not callable(getattr(locker, "lock", None)):
            raise ConfigError(f"locker must be an EntityLocker (FileLocker, RedisLocker, NoLocker), got {locker!r}")
        self.locker: EntityLocker = locker if locker is not None else FileLocker()
        self.timeout: float = _number("timeout", timeout)
        connect = _number("connect_timeout", connect_timeout)
        if config is not None and not isinstance(config, ClientConfig):
            raise ConfigError(f"config must be a ClientConfig, got {config!r}")
        self.config: ClientConfig = config if config is not None else ClientConfig()
        if isinstance(pool_maxsize, bool) or not isinstance(pool_maxsize, int) or not 1 <= pool_maxsize <= 1000:
            raise ConfigError(f"pool_maxsize must be an int from 1 to 1000, got {pool_maxsize!r}")
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int) or max_body_bytes < 1024:
            raise ConfigError(f"max_body_bytes must be an int of at least 1024, got {max_body_bytes!r}")
        if ca_file is not None and not isinstance(ca_file, str):
            raise ConfigError(f"ca_file must be a path string, got {ca_file!r}")
        if not isinstance(verify, bool):
            raise ConfigError(f"verify must be True or False, got {verify!r}")
        _check_header("User-Agent", user_agent, "user_agent")
        self._transport = Transport(
            connect_timeout=connect,
            read_timeout=self.timeout,
            maxsize=pool_maxsize,
            ca_file=ca_file,
            verify=verify,
            user_agent=user_agent,
            max_body_bytes=max_body_bytes,
        )
        self._counter = 0
        self._counter_lock = threading.Lock()
        #: Entity-lock keys this thread holds through :meth:`lock` (saves inside the block reuse them).
        self._held_locks = threading.local()
        self._versions: dict[str, Any] = {}
        #: The most recent answer (any endpoint; token answers without their body), for inspection
        #: and the seed's getLastResponse. Shared by every thread of the client: per-call answers
        #: are on pages (``page.response``) and save results.
        self.last_response: Response | None = None

    # -- API versions ------------------------------------------------------------------------------

    @property
    def v2(self) -> V2:
        """API v2 resources (``client.v2.leads``...)."""
        found = self._versions.get("v2")
        if found is None:
            found = self._versions.setdefault("v2", V2(self, V2_PROFILE))
        result: V2 = found
        return result

    @property
    def v4(self) -> V4:
        """API v4 resources (``client.v4.leads``...)."""
        found = self._versions.get("v4")
        if found is None:
            found = self._versions.setdefault("v4", V4(self, V4_PROFILE))
        result: V4 = found
        return result

    def _default_version(self) -> V4:
        return self.v4

    def _check_version(self, profile: Profile) -> None:
        """Refuse, before anything is sent, an auth scheme the version does not accept."""
        if self.auth is None:
            raise AuthError(
                f"no auth configured for {self.domain}: pass auth=OAuth2(...), LongLivedToken(...) or ApiKey(...)",
                status=0,
            )
        kind = _AUTH_KINDS.get(self.auth.kind, self.auth.kind)
        if kind not in profile.auth:
            raise ConfigError(
                f"API {profile.id} does not accept {kind} auth (accepted: {', '.join(profile.auth)})"
            )

    # -- public raw access -------------------------------------------------------------------------

    def request(
        self,
        method: Literal["GET", "POST", "AJAX", "PATCH", "PUT", "DELETE"],
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """A raw call to any path; returns the decoded JSON (``None`` for 204).

        ``params`` is the GET query (PHP bracket encoding) or, for ``AJAX``, the form body;
        ``json`` the body of a POST/PATCH/PUT/DELETE (``params`` is used as the body when ``json``
        is None). ``_embedded.errors`` in the answer raise :class:`~amocrm.errors.EntityErrors`.
        """
        method_u = str(method).upper()
        if method_u not in ("GET", "POST", "AJAX", "PATCH", "PUT", "DELETE"):
            raise ConfigError(f"request method must be GET, POST, PATCH, PUT, DELETE or AJAX, got {method!r}")
        if params is not None and not isinstance(params, Mapping):
            raise ConfigError(f"params must be a mapping, got {type(params).__name__}")
        if method_u == "GET":
            resp = self._request("GET", path, params=params, headers=headers, timeout=timeout)
        elif method_u == "AJAX":
            resp = self._request("AJAX", path, form=params or {}, headers=headers, timeout=timeout)
        else:
            body = json if json is not None else (params if params is not None else [])
            resp = self._request(method_u, path, json=body, headers=headers, timeout=timeout)  # type: ignore[arg-type]
        if resp.no_content:
            return None
        body_obj = resp.json()
        if resp.secret:
            resp.forget_body()
        raise_for_embedded_errors(body_obj, status=resp.status, context=f"({resp.method} {urlsplit(resp.url).path})")
        return body_obj

    def ajax(self, path: str, form: Mapping[str, Any] | None = None) -> Any:
        """A front-end (AJAX) call: form-encoded POST with ``X-Requested-With: XMLHttpRequest``."""
        return self.request("AJAX", path, form or {})

    def get_account_domain(self) -> Any:
        """``GET /oauth2/account/subdomain``: the account's id, subdomain and top-level domain."""
        return self.request("GET", "/oauth2/account/subdomain")

    def close(self) -> None:
        """Close pooled connections; the client must not be used afterwards."""
        self._transport.close()

    def __enter__(self) -> AmoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = self.auth.kind if self.auth is not None else "none"
        return f"AmoClient(domain={self.domain!r}, base_url={safe_url(self.base_url)!r}, auth={kind!r})"

    # -- the pipeline ------------------------------------------------------------------------------

    def _held(self) -> set[str]:
        held: set[str] | None = getattr(self._held_locks, "keys", None)
        if held is None:
            held = self._held_locks.keys = set()
        return held

    @contextlib.contextmanager
    def lock(self, kind: str, id: int) -> Generator[None, None, None]:
        """Hold the entity lock of one entity for a read-modify-write::

            with client.lock("lead", lead_id):
                lead = client.leads.get(lead_id)
                lead.price = (lead.price or 0) + 100
                client.leads.save(lead)

        ``kind`` is the singular entity name (``"lead"``, ``"contact"``, ``"company"``, ``"customer"``,
        ``"task"``...), the same in v2 and v4. It is the lock every single-object update of that
        entity takes (``config.lock_updates``), so other workers' saves wait for the block; saves
        inside the block, in this thread, reuse it. Raises :class:`~amocrm.errors.LockError` when
        the lock cannot be taken; with a :class:`~amocrm.locking.NoLocker` it locks nothing.
        """
        if not isinstance(kind, str) or not re.fullmatch(r"[a-z_]+", kind):
            raise ConfigError(f"lock(kind): expected an entity name such as 'lead', got {kind!r}")
        if isinstance(id, bool) or not isinstance(id, int) or id < 1:
            raise ConfigError(f"lock(id): expected an entity id (a positive int), got {id!r}")
        key = f"{self.domain}/{kind}/{id}"
        held = self._held()
        if key in held:
            yield
            return
        with self.locker.lock(key):
            held.add(key)
            try:
                yield
            finally:
                held.discard(key)

    @contextlib.contextmanager
    def _lock(self, kind: str, id: int) -> Generator[bool, None, None]:
        """The entity lock for an update of ``kind`` ``id``; yields whether a real lock is held.

        No lock (and ``False``) when ``config.lock_updates`` is off or the locker is a ``NoLocker``;
        the lock this thread already holds through :meth:`lock` is reused.
        """
        if not self.config.lock_updates or isinstance(self.locker, NoLocker):
            yield False
            return
        key = f"{self.domain}/{kind}/{id}"
        if key in self._held():
            yield True
            return
        with self.locker.lock(key):
            yield True

    def _next_number(self) -> int:
        with self._counter_lock:
            self._counter += 1
            return self._counter

    def _build(
        self,
        method: Method,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        form: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        idempotent: bool | None,
    ) -> Request:
        path = _check_path(path)
        url = self._base_for() + path
        if params:
            url += ("&" if "?" in path else "?") + build_query(params)
        wire_method = "POST" if method == "AJAX" else method
        extra: dict[str, str] = {}
        body: bytes | None = None
        if method == "AJAX":
            body = build_query(form or {}).encode()
            extra["Content-Type"] = "application/x-www-form-urlencoded"
            extra["X-Requested-With"] = "XMLHttpRequest"
        elif method in ("POST", "PATCH", "PUT") or json is not None:
            try:
                body = _json_encoder.encode(json if json is not None else [])
            except (TypeError, OverflowError, msgspec.EncodeError) as exc:
                raise ConfigError(f"{method} {path}: request body cannot be encoded as JSON: {exc}") from None
            extra["Content-Type"] = "application/json"
        if headers:
            if not isinstance(headers, Mapping):
                raise ConfigError(f"headers must be a mapping, got {type(headers).__name__}")
            for name, value in headers.items():
                extra[name] = _check_header(name, value, "header")
        if idempotent is None:
            idempotent = method == "GET"
        secret = path.split("?", 1)[0].lower().startswith(_AUTH_PATHS)
        if self.context_user_id is not None and path.startswith("/api/v4/") and "X-Context-User-ID" not in extra:
            extra["X-Context-User-ID"] = str(self.context_user_id)
        return Request(wire_method, url, extra, body, idempotent=idempotent, secret=secret)

    def _base_for(self) -> str:
        """``base_url``, or -- for an account its tokens say moved (``api_domain``, an amoCRM or Kommo
        host) -- ``https://<api_domain>``."""
        if self._follow_api_domain and self.auth is not None:
            named = getattr(self.auth, "api_domain", None)
            host = named(self.domain) if callable(named) else None
            if isinstance(host, str) and host.lower() != self.domain:
                known = self._api_base
                if known is not None and known[0] == host:
                    return known[1]
                try:
                    checked = validate_host(host, what="api_domain", allow_port=False)
                except ConfigError:
                    checked = ""
                base = f"https://{checked}" if checked and _KNOWN_TOP.search(checked) else self.base_url
                if base == self.base_url and not self._warned_api_domain:
                    self._warned_api_domain = True
                    _logging.warning("api_domain %r of %s is not an amoCRM or Kommo host: ignored", host[:80],
                                     self.domain, event="api_domain")
                self._api_base = (host, base)
                return base
        return self.base_url

    def _request(
        self,
        method: Method,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        idempotent: bool | None = None,
        cancel: threading.Event | None = None,
    ) -> Response:
        """Send one logical request through the pipeline (see the module docstring).

        ``cancel`` (used by prefetching and concurrent saves): once set, the request is not sent --
        checked before the throttle and again right before each transmission -- and
        :class:`TransportError` with ``sent=False`` is raised instead.
        """
        request = self._build(method, path, params, json, form, headers, idempotent)
        call_timeout = self.timeout if timeout is None else _number("timeout", timeout)
        authorised = not request.secret
        if authorised and self.auth is None:
            raise AuthError(
                f"no auth configured for {self.domain}: pass auth=OAuth2(...), LongLivedToken(...) or ApiKey(...)",
                status=0,
            )
        flow = request_flow(request, policy=self.retry, timeout=call_timeout, authorised=authorised,
                            now=time.monotonic)
        return self._drive(flow, cancel)

    def _drive(self, flow: Generator[Effect, Any, Response], cancel: threading.Event | None) -> Response:
        """Run a request flow: perform each effect it yields and hand the result back."""
        n = self._next_number()
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                response: Response = stop.value
                return response
            value, error = None, None
            try:
                value = self._perform(effect, n, cancel)
            except TransportError as exc:
                if not isinstance(effect, Transmit):
                    raise
                error = exc

    def _perform(self, effect: Effect, n: int, cancel: threading.Event | None) -> Any:
        if isinstance(effect, Transmit):
            request = effect.request
            _check_cancel(cancel, request)
            _logging.log_request(n, request.method, safe_url(request.url), request.body,
                                 request.headers.get("Content-Type"), secret=request.secret)
            try:
                response = self._transport.send(request, effect.timeout)
            except TransportError as exc:
                _logging.log_failure(n, exc)
                raise
            _logging.log_response(n, response.status, response.elapsed, response.data, secret_body=request.secret)
            self.last_response = _without_body(response) if _carries_tokens(request.url) else response
            if response.status < 300:
                note = getattr(self.auth, "note_success", None)
                if note is not None and not request.secret:
                    note()
            return response
        if isinstance(effect, AuthHeaders):
            assert self.auth is not None
            headers = self.auth.headers(self)
            for name, value in headers.items():
                try:
                    _check_header(name, value, "auth header")
                except ConfigError:
                    raise AuthError(f"the {self.auth.kind} scheme produced an invalid {name} header "
                                    "(not Latin-1 or with CR/LF); the value is not shown", status=0) from None
            return headers
        if isinstance(effect, AcquireSlot):
            _check_cancel(cancel, None)
            self.throttle.acquire(self.domain)  # logs its own waits
            _check_cancel(cancel, None)
            return None
        if isinstance(effect, Renew):
            assert self.auth is not None
            _logging.log_reauth(n, self.auth.kind)
            return self.auth.refresh(self, effect.used)
        if isinstance(effect, Sleep):
            _logging.log_retry(n, effect.attempt, effect.seconds, effect.reason)
            if effect.seconds > 0:
                time.sleep(effect.seconds)
            return None
        raise RuntimeError(f"unknown pipeline effect {effect!r}")

    # -- AuthContext -----------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send without auth headers and without retries (used by auth schemes); any status is returned.

        The whole exchange ends within ``timeout`` (the client's timeout by default). Bodies of the
        token and login endpoints are never logged and not kept on ``last_response``.
        """
        url = self.base_url + _check_path(path)
        extra: dict[str, str] = dict(headers or {})
        body: bytes | None = None
        if form is not None:
            body = build_query(form).encode()
            extra.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json is not None:
            body = _json_encoder.encode(json)
            extra.setdefault("Content-Type", "application/json")
        request = Request(method, url, extra, body, idempotent=False, secret=True)
        n = self._next_number()
        _logging.log_request(n, method, safe_url(url), None, extra.get("Content-Type"), secret=True)
        self.throttle.acquire(self.domain)
        resp = self._transport.send(request, self.timeout if timeout is None else timeout)
        self.last_response = _without_body(resp) if _carries_tokens(path) else resp
        _logging.log_response(n, resp.status, resp.elapsed, resp.data, secret_body=True)
        return resp


def _carries_tokens(path_or_url: str) -> bool:
    """Answers of the token endpoint hold tokens: never kept on ``last_response``."""
    return "/oauth2/access_token" in urlsplit(path_or_url).path.lower() or path_or_url.lower().startswith(
        "/oauth2/access_token")


def _without_body(response: Response) -> Response:
    return Response(response.status, response.headers, b"", response.elapsed, response.method, response.url,
                    secret=True)


def _check_cancel(cancel: threading.Event | None, request: Request | None) -> None:
    if cancel is not None and cancel.is_set():
        what = f"{request.method} {safe_url(request.url)}" if request is not None else "request"
        raise TransportError(f"{what}: cancelled before sending", sent=False)
