"""The sandbox state machine: auth, routing, limits, faults bookkeeping, log, counters, admin API.

Transport-free: the HTTP server turns sockets into :class:`Request` objects and calls
:meth:`SandboxCore.handle` under :attr:`SandboxCore.lock`.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable
from typing import Any

from . import account, incoming, read
from .ajax import handle_ajax, not_found_page
from .auth import SESSION_COOKIE, AuthState, Credentials
from .custom_fields import write_fields
from .delivery import Deliverer
from .entities import SPECS, batch_size, create_entity, write_entities
from .faults import FaultInjector, FaultPlan
from .options import FaultSettings, SandboxOptions
from .ratelimit import RateLimiter
from .seed import SEED, SEED_ENTITIES
from .store import KINDS, Store
from .v4.face import V4Face
from .webhook_out import build_bodies, detect_events, snapshot, watched_kinds
from .wire import BadInput, Request, Response, html_page, json_response, legacy_error, problem

__all__ = ["SandboxCore", "LOG_LIMIT", "MASK"]

LOG_LIMIT = 20000
_V4_WATCHED = ("leads", "contacts", "companies", "customers", "tasks", "notes")
ERROR_429 = "Too many requests: at most 7 requests per second are allowed"
ERROR_403 = "Account is blocked for repeatedly exceeding the request rate"
MASK = "***"
_SECRET_QUERY_KEYS = ("USER_HASH", "api_key", "access_token", "refresh_token", "client_secret", "code")


def _mask_query(raw: str) -> str:
    if not raw:
        return raw
    parts = []
    for pair in raw.split("&"):
        k, sep, _ = pair.partition("=")
        parts.append(f"{k}={MASK}" if sep and k in _SECRET_QUERY_KEYS else pair)
    return "&".join(parts)


def _unauthorized_bearer(detail: str) -> Response:
    return json_response({"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401,
                          "detail": detail}, 401, "application/problem+json")


class SandboxCore:
    """Everything one emulated account knows; every public method expects :attr:`lock` held
    except :meth:`handle_locked` helpers called by the server, which take it themselves."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self.lock: threading.RLock = threading.RLock()
        self.creds: Credentials = Credentials(subdomain=options.subdomain, login=SEED.LOGIN, redirect_uri=options.redirect_uri)
        self.auth: AuthState = AuthState(self.creds, SEED.ACCOUNT_ID, SEED.USER_ADMIN, options.token_lifetime,
                              options.code_lifetime, options.session_lifetime, options.refresh_lifetime)
        self.auth.domain = "kommo.com" if options.platform == "kommo" else "amocrm.ru"
        self.faults: FaultInjector = FaultInjector(options.faults)
        self.limiter: RateLimiter = RateLimiter(options.rate_limit, options.block_after, options.block_seconds)
        self.log: collections.deque[dict[str, Any]] = collections.deque(maxlen=LOG_LIMIT)
        self.internal_errors: list[str] = []
        self.store: Store = Store(options.subdomain, options.customers_mode)
        self.delivery: Deliverer = Deliverer()
        self.v4: V4Face = V4Face(self)
        self._reset_counters()
        self._seed()

    # -- state -----------------------------------------------------------------------------------
    def _reset_counters(self) -> None:
        self.counts: dict[str, Any] = {"requests": 0, "by_status": {}, "rate_limited": 0, "blocked": 0,
                                       "faults": {}}

    def _seed(self) -> None:
        if not self.options.seed:
            return
        for kind, payload in SEED_ENTITIES:
            data = dict(payload)
            forced = data.pop("id")
            create_entity(self.store, kind, data, forced_id=forced)
        self.store.journal.take()  # the seeded state is the start: no events for it

    def reset(self) -> None:
        """Back to the seeded state: entities, log, counters, limiter, faults (credentials stay valid)."""
        self.store = Store(self.options.subdomain, self.options.customers_mode)
        self._seed()
        self.log.clear()
        self._reset_counters()
        for key in self.auth.counters:
            self.auth.counters[key] = 0
        self.limiter.reset()
        self.faults.configure(self.options.faults)
        self.delivery.clear()

    def close(self) -> None:
        """Stop the webhook delivery thread (the sandbox is shutting down)."""
        self.delivery.close()

    def deliveries(self) -> list[dict[str, Any]]:
        return self.delivery.records()

    # -- outgoing webhooks ------------------------------------------------------------------------
    def _observed(self, kinds: tuple[str, ...], write: Callable[[], Response]) -> Response:
        """Run ``write`` and queue a webhook POST per subscriber and event it caused (never fails the write)."""
        if not kinds or not self.options.deliver_webhooks or not self.store.webhooks:
            return write()
        before = snapshot(self.store, kinds)
        try:
            return write()
        finally:
            try:
                events = detect_events(self.store, before)
                for url, event, body in build_bodies(events, self.store.webhooks, self.creds.subdomain):
                    self.delivery.submit(url, event, body)
            except Exception as exc:  # a webhook bug must not turn a good write into a 500
                self.internal_errors.append(f"webhooks after {kinds}: {exc!r}")

    def counters(self) -> dict[str, Any]:
        out = dict(self.counts)
        out["by_status"] = {str(k): v for k, v in self.counts["by_status"].items()}
        out["faults"] = dict(self.counts["faults"])
        out.update(self.auth.counters)
        return out

    def record(self, entry: dict[str, Any]) -> None:
        self.counts["requests"] += 1
        st = entry["status"]
        self.counts["by_status"][st] = self.counts["by_status"].get(st, 0) + 1
        if entry.get("fault"):
            self.counts["faults"][entry["fault"]] = self.counts["faults"].get(entry["fault"], 0) + 1
        entry["query"] = _mask_query(entry["query"])
        self.log.append(entry)

    def entities(self, kind: str) -> list[dict[str, Any]]:
        return self.store.snapshot(kind)

    def set_faults(self, settings: FaultSettings) -> None:
        self.faults.configure(settings)

    # -- authentication ---------------------------------------------------------------------------
    def authenticate(self, req: Request) -> Response | None:
        """Set ``req.auth_kind``; a 401 response when no valid credentials came along."""
        authz = req.headers.get("authorization", "")
        if authz[:7].lower() == "bearer ":
            state = self.auth.bearer_state(authz[7:].strip())
            if state == "ok":
                req.auth_kind = "oauth"
                return None
            return _unauthorized_bearer("Access token has expired" if state == "expired" else "Invalid access token")
        cookie = req.headers.get("cookie", "")
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == SESSION_COOKIE:
                if self.auth.session_ok(value):
                    req.auth_kind = "cookie"
                    return None
                return legacy_error(110, 401, "Сессия истекла, необходима авторизация", auth=False)
        q = req.query
        login = q.get("USER_LOGIN", q.get("login"))
        key = q.get("USER_HASH", q.get("api_key"))
        if login is not None or key is not None:
            if self.auth.check_key(login, key):
                req.auth_kind = "api_key"
                return None
            return legacy_error(110, 401, "Неправильный логин или пароль", auth=False)
        return legacy_error(110, 401, "Необходима авторизация", auth=False)

    # -- the request pipeline (lock held) ---------------------------------------------------------
    @property
    def domain(self) -> str:
        """The account's second-level domain: ``amocrm.ru`` or ``kommo.com`` (option ``platform``)."""
        return "kommo.com" if self.options.platform == "kommo" else "amocrm.ru"

    def handle(self, req: Request, plan: FaultPlan) -> tuple[Response, str | None]:
        """Limits, injected faults, then routing. Returns the response and the fault applied, if any."""
        v4 = req.path.startswith(("/api/v4/", "/v1.0/")) or req.path == "/api/v4"
        verdict = self.limiter.check()
        if verdict == 429:
            self.counts["rate_limited"] += 1
            resp = problem(429, ERROR_429) if v4 else legacy_error(429, 429)
            resp.headers.append(("Retry-After", "1"))
            return resp, None
        if verdict == 403:
            self.counts["blocked"] += 1
            return (problem(403, ERROR_403) if v4 else legacy_error(403, 403)), None
        if plan.kind == "force_401":
            return _unauthorized_bearer("Access token has expired"), "force_401"
        if plan.kind == "error":
            titles = {502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable", 504: "504 Gateway Time-out"}
            return html_page(plan.status, titles.get(plan.status, f"{plan.status} Error")), "error"
        try:
            return self.route(req), None
        except BadInput as exc:
            if v4:
                return problem(exc.status, exc.detail), None
            return legacy_error(exc.code, exc.status, exc.detail), None
        except Exception as exc:  # never a traceback page
            self.internal_errors.append(f"{req.method} {req.path}: {exc!r}")
            if v4:
                return problem(500, "Internal server error"), None
            return legacy_error(500, 500, "Внутренняя ошибка сервера"), None
        finally:
            try:
                self.v4.record()
            except Exception as exc:  # the event log must never fail a request
                self.internal_errors.append(f"events after {req.method} {req.path}: {exc!r}")

    def route(self, req: Request) -> Response:
        path = req.path.rstrip("/") or "/"
        if path == "/oauth2/access_token":
            return self.auth.token_endpoint(req)
        if path == "/private/api/auth.php":
            return self.auth.login_endpoint(req, account.account_summary(self.store))
        if path in ("/oauth2/account/subdomain", "/oauth2/account/current/subdomain"):
            refresh = req.headers.get("x-refresh-token")
            if path.endswith("current/subdomain") and refresh is not None:
                if not self.auth.refresh_known(refresh.strip()):
                    return _unauthorized_bearer("Invalid refresh token")
            else:
                denied = self.authenticate(req)
                if denied is not None:
                    return denied
            return json_response({"id": SEED.ACCOUNT_ID, "subdomain": self.creds.subdomain, "domain": self.domain,
                                  "top_level_domain": self.domain.rsplit(".", 1)[1]}, 200, "application/json")
        if path.startswith(("/api/v4/", "/v1.0/")) or path == "/api/v4":
            if req.method in ("GET", "HEAD"):
                return self.v4.handle(req)
            limit = self.options.batch_504_above
            if limit is not None and self.v4.batch_size(req) > limit:
                return html_page(504, "504 Gateway Time-out")
            # v4 writes notify webhook subscribers exactly as v2 writes do (same v2 form bodies)
            return self._observed(_V4_WATCHED, lambda: self.v4.handle(req))
        if path in ("/oauth", "/oauth2/authorize"):
            return self.auth.consent(req, f"{self.creds.subdomain}.{self.domain}",
                                     2 if self.options.platform == "kommo" else 1)
        if path.startswith("/api/v2/") or path == "/api/v2":
            denied = self.authenticate(req)
            return denied if denied is not None else self._api(req, path[len("/api/v2/"):])
        if path.startswith("/ajax/"):
            denied = self.authenticate(req)
            if denied is not None:
                return denied
            kind = path[len("/ajax/"):].split("/")[0]
            kinds = watched_kinds(kind) if path.endswith("/multiple/delete") and req.method == "POST" else ()
            return self._observed(kinds, lambda: handle_ajax(self.store, req))
        return not_found_page()

    def _api(self, req: Request, route: str) -> Response:
        s, m = self.store, req.method
        if route in KINDS:
            if m == "GET":
                return read.list_entities(s, route, req, self.options.empty_as_object)
            if m == "POST":
                body = req.json_body()
                limit = self.options.batch_504_above
                if limit is not None and batch_size(body) > limit:
                    return html_page(504, "504 Gateway Time-out")
                return self._observed(watched_kinds(route), lambda: write_entities(s, route, body))
            return legacy_error(SPECS[route].wrong_method, 405)
        if route == "fields":
            if m != "POST":
                return legacy_error(405, 405)
            return json_response(write_fields(s, req.json_body()))
        get_routes = {"account": account.account, "pipelines": account.pipelines, "webhooks": account.webhooks_list,
                      "widgets": account.widgets_list, "widgets/list": account.widgets_list,
                      "incoming_leads": incoming.list_incoming, "incoming_leads/summary": incoming.summary}
        if route in get_routes:
            if m != "GET":
                return legacy_error(405, 405)
            return get_routes[route](s, req)
        if route in ("webhooks/subscribe", "webhooks/unsubscribe", "incoming_leads/form", "incoming_leads/sip",
                     "incoming_leads/accept", "incoming_leads/decline"):
            if m != "POST":
                return legacy_error(405, 405)
            body = req.json_body()
            if route.startswith("webhooks/"):
                return account.webhooks_change(s, body, route.split("/")[1])
            action = route.split("/")[1]
            if action in ("form", "sip"):
                return incoming.add_incoming(s, action, body)
            if action == "accept":
                return self._observed(("leads", "contacts", "companies"), lambda: incoming.accept_incoming(s, body))
            return incoming.decline_incoming(s, body)
        return legacy_error(104, 404)

    # -- admin API (/_sandbox/...) ----------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {"subdomain": self.creds.subdomain, "client_id": self.creds.client_id,
                "client_secret": self.creds.client_secret, "redirect_uri": self.creds.redirect_uri,
                "login": self.creds.login, "api_key": self.creds.api_key}

    def admin(self, req: Request, info: dict[str, Any]) -> Response:
        if req.headers.get("x-sandbox-admin") != self.creds.admin_token:
            return json_response({"error": "missing or wrong X-Sandbox-Admin header"}, 403, "application/json")
        route, m = req.path.rstrip("/")[len("/_sandbox/"):], req.method
        try:
            body = req.json_body() if m in ("POST", "PUT") and req.body.strip() else {}
        except BadInput as exc:
            return json_response({"error": exc.detail}, 400, "application/json")
        body = body if isinstance(body, dict) else {}
        if route == "info" and m == "GET":
            return json_response(info, 200, "application/json")
        if route == "code" and m == "POST":
            return json_response({"code": self.auth.mint_code()}, 200, "application/json")
        if route == "tokens" and m == "POST":
            return json_response(self.auth.issue_tokens(body.get("lifetime")), 200, "application/json")
        if route == "long_lived_token" and m == "POST":
            try:
                token = self.auth.issue_long_lived(float(body.get("lifetime") or 365 * 86400.0))
            except (TypeError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400, "application/json")
            return json_response({"access_token": token}, 200, "application/json")
        if route == "faults" and m == "POST":
            try:
                self.set_faults(FaultSettings.from_mapping(body))
            except (TypeError, ValueError) as exc:
                return json_response({"error": str(exc)}, 400, "application/json")
            return json_response(self.faults.settings.to_dict(), 200, "application/json")
        if route == "faults" and m == "DELETE":
            self.set_faults(FaultSettings())
            return json_response({}, 200, "application/json")
        if route == "deliveries" and m == "GET":
            return json_response(self.deliveries(), 200, "application/json")
        if route == "log" and m == "GET":
            return json_response(list(self.log), 200, "application/json")
        if route == "counters" and m == "GET":
            return json_response(self.counters(), 200, "application/json")
        if route == "reset" and m == "POST":
            self.reset()
            return json_response({}, 200, "application/json")
        if route.startswith("entities/") and m == "GET":
            try:
                return json_response(self.entities(route[len("entities/"):]), 200, "application/json")
            except KeyError:
                return json_response({"error": f"unknown entity kind {route[9:]!r}"}, 404, "application/json")
        return json_response({"error": f"unknown admin route {m} {req.path}"}, 404, "application/json")

