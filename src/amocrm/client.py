"""``AmoClient``: one amoCRM account, its connection pool and the request pipeline.

Every request goes through the same steps, in order::

    encode (PHP query / compact JSON / form) -> auth headers -> throttle -> send (urllib3)
      -> 401: auth.refresh() and send again -> 429/5xx/transport error: retry if the policy allows
      -> status check (typed exception) -> Response

Resources (``client.leads``, ``client.contacts``, ...) come from the generated ``ResourcesMixin``
and call :meth:`AmoClient._request`; hand-written code never builds URLs itself.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import re
import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import msgspec

from amocrm import _logging
from amocrm._generated.client import ResourcesMixin
from amocrm._http import Response, Transport
from amocrm._query import build_query
from amocrm._redact import redact
from amocrm.auth import Auth
from amocrm.errors import (
    APIError,
    AuthError,
    BadRequestError,
    ConfigError,
    DecodeError,
    ForbiddenError,
    NotFoundError,
    PaymentRequiredError,
    RateLimitError,
    ServerError,
    TransportError,
    error_message,
    raise_for_embedded_errors,
)
from amocrm.locking import EntityLocker, FileLocker, NoLocker
from amocrm.retry import RetryPolicy
from amocrm.throttle import LocalThrottle, NoThrottle, Throttle

__all__ = ["AmoClient", "ClientConfig", "resolve_domain"]

Method = Literal["GET", "POST", "PATCH", "DELETE", "AJAX"]

_SUCCESS = frozenset({200, 202, 204})
_KNOWN_TOP = re.compile(r"\.(amocrm\.(ru|com)|kommo\.com)$", re.IGNORECASE)
_SUBDOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9.-]+$", re.IGNORECASE)
_AUTH_PATHS = ("/oauth2/access_token", "/private/api/auth.php")
_json_encoder = msgspec.json.Encoder()

log: logging.Logger = logging.getLogger("amocrm")


def resolve_domain(subdomain: str, top_domain: str = "amocrm.ru") -> str:
    """The full host of an account: ``acme`` -> ``acme.amocrm.ru``.

    A full domain of amoCRM (``.amocrm.ru``, ``.amocrm.com``) or Kommo (``.kommo.com``) is kept as it is.
    """
    if not isinstance(subdomain, str) or not subdomain.strip():
        raise ConfigError(f"subdomain must be a non-empty string, got {subdomain!r}")
    name = subdomain.strip().lower()
    if name.startswith(("http://", "https://")):
        raise ConfigError(f"subdomain {subdomain!r} looks like a URL: pass base_url= for a custom server")
    if _KNOWN_TOP.search(name):
        if not _HOST.match(name):
            raise ConfigError(f"domain {subdomain!r} contains invalid characters")
        return name
    if not _SUBDOMAIN.match(name):
        raise ConfigError(
            f"subdomain {subdomain!r} is not valid: letters, digits and '-' only, "
            "or a full domain ending in .amocrm.ru, .amocrm.com or .kommo.com"
        )
    top = top_domain.strip().lower().lstrip(".")
    if not _HOST.match(top) or "." not in top:
        raise ConfigError(f"top_domain {top_domain!r} is not a domain")
    return f"{name}.{top}"


@dataclass
class ClientConfig:
    """Settings a client reads on every call; change them on ``client.config`` at any time."""

    #: Seconds added to now() for ``updated_at`` of update items (the seed's ``updatedAtDelta``).
    updated_at_delta: int = 5
    #: Entities per write request when saving; capped by each resource's maximum (500 in v2).
    batch_size: int = 250
    #: ``limit_rows`` used when iterating offset-paged lists (the API caps it at 500).
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


class AmoClient(ResourcesMixin):
    """A client for one amoCRM account.

    >>> client = AmoClient("acme", auth=OAuth2(client_id, client_secret, redirect_uri, code=code))
    >>> for lead in client.leads.iter(status=[142]):
    ...     print(lead.id, lead.name)

    ``subdomain`` is ``acme`` or a full domain (``acme.amocrm.com``, ``acme.kommo.com``);
    ``base_url`` sends everything to another server instead (the bundled sandbox, a proxy).
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
        config: ClientConfig | None = None,
    ) -> None:
        self.domain: str = resolve_domain(subdomain, top_domain)
        self.subdomain: str = self.domain.split(".", 1)[0]
        if base_url is not None:
            if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
                raise ConfigError(f"base_url must start with http:// or https://, got {base_url!r}")
            self.base_url: str = base_url.rstrip("/")
        else:
            self.base_url = f"https://{self.domain}"
        if auth is not None and not isinstance(auth, Auth):
            raise ConfigError(f"auth must be an amocrm.auth scheme (OAuth2, ApiKey, LongLivedToken), got {auth!r}")
        self.auth = auth
        self.throttle: Throttle
        if throttle is None:
            self.throttle = NoThrottle()
        elif isinstance(throttle, bool):
            raise ConfigError(f"throttle must be requests per second, a Throttle or None, got {throttle!r}")
        elif isinstance(throttle, (int, float)):
            self.throttle = LocalThrottle(float(throttle))
        else:
            self.throttle = throttle
        self.retry: RetryPolicy = retry if retry is not None else RetryPolicy()
        self.locker: EntityLocker = locker if locker is not None else FileLocker()
        for name, value in (("timeout", timeout), ("connect_timeout", connect_timeout)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
        self.timeout: float = float(timeout)
        self.config: ClientConfig = config if config is not None else ClientConfig()
        self._transport = Transport(
            connect_timeout=connect_timeout,
            read_timeout=timeout,
            maxsize=pool_maxsize,
            ca_file=ca_file,
            verify=verify,
            user_agent=user_agent,
        )
        self._counter = 0
        self._counter_lock = threading.Lock()
        #: The most recent answer (any endpoint, auth included): for inspection and the seed's getLastResponse.
        self.last_response: Response | None = None

    # -- public raw access -------------------------------------------------------------------------

    def request(
        self,
        method: Literal["GET", "POST", "AJAX", "PATCH", "DELETE"],
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """A raw call to any path; returns the decoded JSON (``None`` for 204).

        ``params`` is the GET query (PHP bracket encoding) or, for ``AJAX``, the form body;
        ``json`` the body of a POST/PATCH (``params`` is used as the body when ``json`` is None).
        ``_embedded.errors`` in the answer raise :class:`~amocrm.errors.EntityErrors`.
        """
        method_u = str(method).upper()
        if method_u not in ("GET", "POST", "AJAX", "PATCH", "DELETE"):
            raise ConfigError(f"request method must be GET, POST, PATCH, DELETE or AJAX, got {method!r}")
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
        raise_for_embedded_errors(body_obj, status=resp.status, context=f"({resp.method} {_path_only(resp.url)})")
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
        return f"AmoClient(domain={self.domain!r}, base_url={self.base_url!r}, auth={kind!r})"

    # -- the pipeline ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self, kind: str, id: int) -> Generator[bool, None, None]:
        """The entity lock for an update of ``kind`` ``id``; yields whether a real lock is held.

        No lock (and ``False``) when ``config.lock_updates`` is off or the locker is a ``NoLocker``.
        """
        if not self.config.lock_updates or isinstance(self.locker, NoLocker):
            yield False
            return
        with self.locker.lock(f"{self.domain}/{kind}/{id}"):
            yield True

    def _next_number(self) -> int:
        with self._counter_lock:
            self._counter += 1
            return self._counter

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
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigError(f"path must start with '/', got {path!r}")
        url = self.base_url + path
        if params:
            url += ("&" if "?" in path else "?") + build_query(params)
        wire_method = "POST" if method == "AJAX" else method
        extra: dict[str, str] = {}
        body: bytes | None = None
        if method == "AJAX":
            body = build_query(form or {}).encode()
            extra["Content-Type"] = "application/x-www-form-urlencoded"
            extra["X-Requested-With"] = "XMLHttpRequest"
        elif method in ("POST", "PATCH") or json is not None:
            try:
                body = _json_encoder.encode(json if json is not None else [])
            except (TypeError, msgspec.EncodeError) as exc:
                raise ConfigError(f"{method} {path}: request body cannot be encoded as JSON: {exc}") from None
            extra["Content-Type"] = "application/json"
        if headers:
            extra.update(headers)
        if idempotent is None:
            idempotent = method == "GET"
        is_auth_endpoint = path.startswith(_AUTH_PATHS)
        return self._send(wire_method, url, extra, body, timeout, idempotent, is_auth_endpoint, cancel)

    def _send(
        self,
        method: str,
        url: str,
        extra: dict[str, str],
        body: bytes | None,
        timeout: float | None,
        idempotent: bool,
        is_auth_endpoint: bool,
        cancel: threading.Event | None = None,
    ) -> Response:
        policy = self.retry
        deadline = time.monotonic() + policy.total_timeout if policy.total_timeout else None
        attempt = 0
        auth_renewals = 0
        n = self._next_number()
        while True:
            attempt += 1
            _check_cancel(cancel, method, url)
            auth_headers: Mapping[str, str] = {}
            if self.auth is not None and not is_auth_endpoint:
                auth_headers = self.auth.headers(self)
            all_headers = {**extra, **auth_headers}
            _logging.log_request(n, method, url, body, extra.get("Content-Type"))
            self.throttle.acquire(self.domain)  # logs its own waits
            _check_cancel(cancel, method, url)
            call_timeout = timeout
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TransportError(f"{method} {url}: time budget of {policy.total_timeout}s spent", method=method, url=url)
                call_timeout = min(call_timeout or self.timeout, left)
            try:
                resp = self._transport.send(method, url, headers=all_headers, body=body, timeout=call_timeout)
            except TransportError as exc:
                _logging.log_failure(n, exc)
                if self._may_retry(attempt, deadline, idempotent=idempotent, status=None, sent=exc.sent):
                    self._sleep_before_retry(n, attempt, None, deadline, reason=type(exc).__name__)
                    continue
                raise
            self.last_response = resp
            _logging.log_response(n, resp.status, resp.elapsed, resp.data, secret_body=is_auth_endpoint)
            status = resp.status
            if status == 401 and self.auth is not None and not is_auth_endpoint and auth_renewals < 2:
                auth_renewals += 1
                _logging.log_reauth(n, self.auth.kind)
                if self.auth.refresh(self, auth_headers):
                    continue
            if status in _SUCCESS:
                note = getattr(self.auth, "note_success", None)
                if note is not None and not is_auth_endpoint:
                    note()
                return resp
            if status == 429 or status in (502, 503, 504):
                # 429: the server refused without applying anything, so even writes may go again.
                if self._may_retry(attempt, deadline, idempotent=idempotent, status=status, sent=True):
                    self._sleep_before_retry(n, attempt, resp.headers.get("Retry-After"), deadline, reason=str(status))
                    continue
            raise _status_error(resp)

    def _may_retry(
        self, attempt: int, deadline: float | None, *, idempotent: bool, status: int | None, sent: bool | None
    ) -> bool:
        policy = self.retry
        if attempt >= policy.attempts:
            return False
        if deadline is not None and time.monotonic() >= deadline:
            return False
        return policy.should_retry(idempotent=idempotent, status=status, sent=sent)

    def _sleep_before_retry(
        self, n: int, attempt: int, retry_after: str | None, deadline: float | None, *, reason: str
    ) -> None:
        delay = self.retry.delay(attempt, retry_after)
        if deadline is not None:
            delay = max(0.0, min(delay, deadline - time.monotonic()))
        _logging.log_retry(n, attempt, delay, reason)
        if delay > 0:
            time.sleep(delay)

    # -- AuthContext -----------------------------------------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send without auth headers and without retries (used by auth schemes); any status is returned."""
        url = self.base_url + path
        extra: dict[str, str] = dict(headers or {})
        body: bytes | None = None
        if form is not None:
            body = build_query(form).encode()
            extra.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json is not None:
            body = _json_encoder.encode(json)
            extra.setdefault("Content-Type", "application/json")
        n = self._next_number()
        _logging.log_request(n, method, url, None, extra.get("Content-Type"), secret=True)
        self.throttle.acquire(self.domain)
        resp = self._transport.send(method, url, headers=extra, body=body)
        self.last_response = resp
        _logging.log_response(n, resp.status, resp.elapsed, resp.data, secret_body=True)
        return resp


def _check_cancel(cancel: threading.Event | None, method: str, url: str) -> None:
    if cancel is not None and cancel.is_set():
        raise TransportError(f"{method} {redact(url)}: cancelled before sending", method=method, url=url, sent=False)


def _path_only(url: str) -> str:
    return urlsplit(url).path


def _status_error(resp: Response) -> APIError:
    """The typed exception for a non-success status, with the server's own explanation when it gave one."""
    status = resp.status
    detail = ""
    api_code: int | None = None
    if resp.data:
        try:
            body = resp.json()
        except DecodeError:
            body = None
        if isinstance(body, Mapping):
            legacy = body.get("response")
            if isinstance(legacy, Mapping) and ("error" in legacy or "error_code" in legacy):
                detail = str(legacy.get("error", ""))
                try:
                    api_code = int(legacy.get("error_code"))  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    api_code = None
            else:
                parts = [str(body[k]) for k in ("title", "detail", "hint") if body.get(k)]
                detail = " - ".join(parts)
        elif resp.data.lstrip()[:1] == b"<":
            detail = "HTML page instead of JSON"
    text = f"HTTP {status} {error_message(status)}"
    if api_code is not None:
        text += f" (amoCRM error {api_code} {error_message(api_code)})"
    if detail:
        text += f": {detail}"
    text += f" ({resp.method} {redact(resp.url)})"
    cls: type[APIError]
    if status == 400:
        cls = BadRequestError
    elif status == 401:
        cls = AuthError
    elif status == 402:
        cls = PaymentRequiredError
    elif status == 403:
        cls = ForbiddenError
    elif status == 404:
        cls = NotFoundError
    elif status == 429:
        cls = RateLimitError
    elif status >= 500:
        cls = ServerError
    else:
        cls = APIError
    return cls(
        text, status=status, method=resp.method, url=resp.url, body=resp.text, api_code=api_code, headers=resp.headers
    )


def http_date(ts: float) -> str:
    """An ``If-Modified-Since`` value for a unix time."""
    return email.utils.formatdate(ts, usegmt=True)
