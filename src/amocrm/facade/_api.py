"""``AmoAPI``: the seed's static facade, a thin layer over one :class:`~amocrm.client.AmoClient` per account.

Configuration lives in class attributes (``AmoAPI.throttle = 3``); assignments are validated at once
and reach existing clients where that is cheap (throttle, debug output, lock settings, updated_at
delta, page size). Accounts are keyed by their full domain, so ``'test'`` and ``'test.amocrm.ru'`` are
one account; ``subdomain=None`` means the account authorised last. Reads return the decoded JSON
(dicts and lists, as the seed's arrays); writes go through the generated resources, which build the
payloads and write new ids back into the objects. Every error is an :class:`AmoAPIException`.
"""

from __future__ import annotations

import codecs
import os
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal

from amocrm._redact import redact
from amocrm.auth import ApiKey, OAuth2
from amocrm.client import AmoClient, ClientConfig, resolve_domain
from amocrm.errors import ConfigError
from amocrm.facade._debug import DebugSwitch
from amocrm.facade._errors import NotAuthorizedError
from amocrm.facade._object import AmoObject
from amocrm.facade._registry import REGISTRY, call_raw, get_raw, items_of, pages_raw, path_of, save_raw
from amocrm.facade._storage import FileStorage, sdk_storage, tokens_to_dict
from amocrm.locking import EntityLocker, FileLocker, NoLocker
from amocrm.throttle import NoThrottle, Throttle, default_throttle
from amocrm.v2.models import Webhook

__all__ = ["AmoAPI"]

RequestType = Literal["GET", "POST", "AJAX"]

_MAX_BATCH = 500


def _fail(message: str) -> ConfigError:
    """A facade :class:`ConfigError` (also an ``AmoAPIException``) for a bad argument or setting."""
    return ConfigError(message)


def _number(name: str, value: Any, *, minimum: float, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f"AmoAPI.{name} must be a number, got {value!r}")
    if value < minimum or (value == minimum and not allow_zero):
        bound = ">=" if allow_zero else ">"
        raise _fail(f"AmoAPI.{name} must be {bound} {minimum:g}, got {value!r}")
    return value


def _int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        span = f"between {low} and {high}" if high is not None else f">= {low}"
        raise _fail(f"AmoAPI.{name} must be an int {span}, got {value!r}")
    return value


def _check_throttle(value: Any) -> Any:
    if value is None or (hasattr(value, "acquire") and not isinstance(value, (int, float))):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise _fail(f"AmoAPI.throttle must be requests per second > 0, a Throttle or None (off), got {value!r}")
    return value


def _check_storage(value: Any) -> Any:
    sdk_storage(value)
    return value


def _check_domain(value: Any) -> Any:
    if not isinstance(value, str):
        raise _fail(f"AmoAPI.amo_domain must be a domain such as 'amocrm.ru', got {value!r}")
    resolve_domain("x", value)
    return value


def _check_str(name: str, optional: bool) -> Any:
    def check(value: Any) -> Any:
        if value is None and optional:
            return value
        if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
            raise _fail(f"AmoAPI.{name} must be a non-empty string, got {value!r}")
        return value

    return check


def _check_logger(value: Any) -> Any:
    DebugSwitch.check_logger(value)
    return value


_VALIDATORS: dict[str, Any] = {
    "throttle": _check_throttle,
    "debug": bool,
    "debug_logger": _check_logger,
    "token_storage": _check_storage,
    "amo_domain": _check_domain,
    "amo_user_agent": _check_str("amo_user_agent", False),
    "amo_connect_timeout": lambda v: _number("amo_connect_timeout", v, minimum=0, allow_zero=False),
    "amo_timeout": lambda v: _number("amo_timeout", v, minimum=0, allow_zero=False),
    "verify_ssl_certificate": bool,
    "ssl_certificate_file": _check_str("ssl_certificate_file", True),
    "updated_at_delta": lambda v: _int("updated_at_delta", v, 0),
    "lock_entity_dir": _check_str("lock_entity_dir", False),
    "lock_entity_attempts": lambda v: _int("lock_entity_attempts", v, 0),
    "lock_entity_timeout": lambda v: _number("lock_entity_timeout", v, minimum=0, allow_zero=True),
    "re_auth_attempts": lambda v: _int("re_auth_attempts", v, 0),
    "re_auth_timeout": lambda v: _number("re_auth_timeout", v, minimum=0, allow_zero=True),
    "limit_rows": lambda v: _int("limit_rows", v, 1, 500),
}


class _AmoAPIMeta(type):
    """Validates settings assigned on the class and applies them to the live clients."""

    def __setattr__(cls, name: str, value: Any) -> None:
        check = _VALIDATORS.get(name)
        if check is not None:
            value = check(value)
        super().__setattr__(name, value)
        if check is not None:
            apply = getattr(cls, "_apply_setting", None)
            if apply is not None:
                apply(name)


class AmoAPI(metaclass=_AmoAPIMeta):
    """The seed's ``AmoAPI`` with snake_case names: class-level settings and class methods only."""

    # -- settings (the seed's public static properties) ----------------------------------------
    #: Requests per second per account (the seed: per process); ``None`` turns throttling off.
    throttle: ClassVar[float | Throttle | None] = 7
    #: Print the framed debug lines (redacted) on stdout.
    debug: ClassVar[bool] = False
    #: A ``logging.Handler`` (e.g. ``AmoAPIDebugLogger``) or any object with ``debug(str)``.
    debug_logger: ClassVar[Any] = None
    #: Where OAuth2 tokens live: a seed-style storage (``FileStorage``, your own) or an SDK storage.
    token_storage: ClassVar[Any] = FileStorage()
    #: Top-level domain appended to a bare subdomain.
    amo_domain: ClassVar[str] = "amocrm.ru"
    amo_user_agent: ClassVar[str] = "amoCRM-API-client/2.0"
    amo_connect_timeout: ClassVar[float] = 30
    amo_timeout: ClassVar[float] = 30
    verify_ssl_certificate: ClassVar[bool] = True
    #: CA bundle file; ``None`` uses the system's trust store.
    ssl_certificate_file: ClassVar[str | None] = None
    #: Seconds added to now for ``updated_at`` of updates.
    updated_at_delta: ClassVar[int] = 5
    #: Lock-file folder (relative to the working directory) for single-entity updates.
    lock_entity_dir: ClassVar[str] = "lock"
    #: Lock attempts before :class:`~amocrm.errors.LockError`; 0 turns locking off.
    lock_entity_attempts: ClassVar[int] = 10
    lock_entity_timeout: ClassVar[float] = 1
    #: API-key re-logins after 401 (per account; the budget starts afresh after a success).
    re_auth_attempts: ClassVar[int] = 3
    re_auth_timeout: ClassVar[float] = 5
    #: Page size of the ``get_all_*`` generators (a ``limit_rows`` you pass wins).
    limit_rows: ClassVar[int] = 500

    # -- state (accounts live in amocrm.facade._registry.REGISTRY) ---------------------------------
    _guard: ClassVar[threading.RLock] = REGISTRY.guard
    _debug_switch: ClassVar[DebugSwitch] = DebugSwitch()
    _throttle_obj: ClassVar[Throttle | None] = None
    _locker_obj: ClassVar[EntityLocker | None] = None

    def __init__(self) -> None:
        raise TypeError("AmoAPI is used through its class methods; it has no instances")

    # -- settings plumbing -------------------------------------------------------------------------

    @classmethod
    def _apply_setting(cls, name: str) -> None:
        with cls._guard:
            if name == "throttle":
                value = cls.throttle
                obj: Throttle = NoThrottle() if value is None else (
                    default_throttle(float(value)) if isinstance(value, (int, float)) else value
                )
                type.__setattr__(cls, "_throttle_obj", obj)
                for client in REGISTRY.clients.values():
                    client.throttle = obj
            elif name in ("debug", "debug_logger"):
                cls._debug_switch.apply(cls.debug, cls.debug_logger)
            elif name.startswith("lock_entity_"):
                type.__setattr__(cls, "_locker_obj", None)
                for client in REGISTRY.clients.values():
                    client.locker = cls._locker()
            elif name == "amo_domain":
                REGISTRY.amo_domain = cls.amo_domain
            if name in ("updated_at_delta", "limit_rows"):
                REGISTRY.updated_at_delta = cls.updated_at_delta
                for client in REGISTRY.clients.values():
                    client.config.updated_at_delta = cls.updated_at_delta
                    client.config.page_size = cls.limit_rows

    @classmethod
    def _throttle(cls) -> Throttle:
        """The throttle of every account (shared by this machine's processes unless set otherwise)."""
        if cls._throttle_obj is None:
            type.__setattr__(cls, "_throttle_obj", default_throttle(7.0))
        obj = cls._throttle_obj
        assert obj is not None
        return obj

    @classmethod
    def _locker(cls) -> EntityLocker:
        if cls._locker_obj is None:
            locker: EntityLocker
            if cls.lock_entity_attempts == 0:
                locker = NoLocker()
            else:
                locker = FileLocker(cls.lock_entity_dir, cls.lock_entity_attempts, cls.lock_entity_timeout)
            type.__setattr__(cls, "_locker_obj", locker)
            return locker
        return cls._locker_obj

    @classmethod
    def _new_client(cls, domain: str, auth: OAuth2 | ApiKey, base_url: str | None) -> AmoClient:
        cls._debug_switch.apply(cls.debug, cls.debug_logger)
        return AmoClient(
            domain,
            auth=auth,
            base_url=base_url,
            top_domain=cls.amo_domain,
            throttle=cls._throttle(),
            locker=cls._locker(),
            timeout=float(cls.amo_timeout),
            connect_timeout=float(cls.amo_connect_timeout),
            ca_file=os.fspath(cls.ssl_certificate_file) if cls.ssl_certificate_file is not None else None,
            verify=cls.verify_ssl_certificate,
            user_agent=cls.amo_user_agent,
            config=ClientConfig(updated_at_delta=cls.updated_at_delta, page_size=cls.limit_rows),
        )

    @classmethod
    def _register(cls, domain: str, client: AmoClient) -> None:
        REGISTRY.register(domain, client)

    @classmethod
    def _use(cls, subdomain: str | None) -> AmoClient:
        """The client of ``subdomain`` (None: the account authorised last); remembered for get_last_response."""
        return REGISTRY.use(subdomain)

    @classmethod
    def client(cls, subdomain: str | None = None) -> AmoClient:
        """The :class:`AmoClient` behind ``subdomain`` (None: the last authorised), for the typed API."""
        return cls._use(subdomain)

    @classmethod
    def reset(cls) -> None:
        """Forget every account and close its connections (settings stay as they are)."""
        REGISTRY.reset()

    # -- authorisation -------------------------------------------------------------------------------

    @classmethod
    def oauth2(
        cls,
        subdomain: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        auth_code: str | None = None,
        *,
        base_url: str | None = None,
    ) -> dict[str, Any]:
        """Authorise an account with OAuth 2.0 and make it the default; returns the stored tokens.

        With ``auth_code`` the code is exchanged now unless the storage already holds tokens for the
        account (then the code is kept for the case the stored refresh token turns out dead). Without
        it, the stored tokens are used, and arguments left as None are taken from the storage.
        ``base_url`` sends the account's requests to another server (the sandbox).
        """
        domain = cls.get_amo_domain(subdomain)
        storage = sdk_storage(cls.token_storage)
        stored = storage.load(domain)
        if auth_code is None and stored is None:
            raise NotAuthorizedError(
                f"no tokens stored for {domain}: pass auth_code= to AmoAPI.oauth2() for the first authorisation"
            )
        values = {
            "client_id": client_id if client_id is not None else (stored.client_id if stored else None),
            "client_secret": client_secret if client_secret is not None else (stored.client_secret if stored else None),
            "redirect_uri": redirect_uri if redirect_uri is not None else (stored.redirect_uri if stored else None),
        }
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise _fail(f"AmoAPI.oauth2({subdomain!r}): {', '.join(missing)} not given and not in the token storage")
        auth = OAuth2(
            str(values["client_id"]),
            str(values["client_secret"]),
            str(values["redirect_uri"]),
            storage=storage,
            code=auth_code,
        )
        client = cls._new_client(domain, auth, base_url)
        try:
            auth.headers(client)  # exchange the code or load the tokens now, as the seed does
        except BaseException:
            client.close()
            raise
        cls._register(domain, client)
        tokens = storage.load(domain)
        return tokens_to_dict(tokens) if tokens is not None else {}

    @classmethod
    def auth(cls, login: str, hash: str, subdomain: str, *, base_url: str | None = None) -> Any:
        """Log in with a user's API key (legacy) and make the account the default; returns the login answer."""
        domain = cls.get_amo_domain(subdomain)
        auth = ApiKey(login, hash, relogin_attempts=cls.re_auth_attempts, relogin_wait=float(cls.re_auth_timeout))
        client = cls._new_client(domain, auth, base_url)
        try:
            auth.headers(client)  # log in now
            answer = client.last_response.json() if client.last_response is not None else None
        except BaseException:
            client.close()
            raise
        cls._register(domain, client)
        return answer

    @classmethod
    def get_amo_domain(cls, subdomain: str) -> str:
        """The full domain: ``'test'`` -> ``'test.amocrm.ru'``; amoCRM and Kommo domains are kept."""
        return resolve_domain(subdomain, cls.amo_domain)

    # -- raw access --------------------------------------------------------------------------------

    @classmethod
    def request(
        cls, query: str, type: RequestType = "GET", params: Any = None, subdomain: str | None = None
    ) -> Any:
        """A raw call: ``GET`` (params as the query), ``POST`` (params as the JSON body) or ``AJAX``
        (params as a form, ``X-Requested-With: XMLHttpRequest``). Returns the decoded JSON, None on 204."""
        if type not in ("GET", "POST", "AJAX"):
            raise _fail(f"AmoAPI.request: type must be 'GET', 'POST' or 'AJAX', got {type!r}")
        if params is not None and type != "POST" and not isinstance(params, Mapping):
            raise _fail(f"AmoAPI.request: params of a {type} request must be a dict, got {params.__class__.__name__}")
        client = cls._use(subdomain)
        if type == "POST":
            return client.request("POST", query, json=params if params is not None else [])
        return client.request(type, query, params)

    @classmethod
    def get_last_response(cls, unescape_unicode: bool = True) -> str | None:
        """The body of the last answer (any call, auth included), secrets masked; None before any call.

        ``unescape_unicode`` turns JSON ``\\uXXXX`` escapes into characters (surrogate pairs included)."""
        client = REGISTRY.last_client
        response = client.last_response if client is not None else None
        if response is None:
            return None
        text = response.text
        if unescape_unicode:
            text = _unescape(text)
        return redact(text)

    @classmethod
    def get_items(cls, response: Any) -> Any:
        """``response['_embedded']['items']`` (``widgets`` for the widget list), or None."""
        return items_of(response)

    # -- account -----------------------------------------------------------------------------------

    @classmethod
    def get_account(cls, with_: str | Sequence[str] = "", subdomain: str | None = None) -> Any:
        """``GET /api/v2/account`` with ``with=`` (comma list: custom_fields, users, pipelines, groups,
        note_types, task_types); the whole decoded answer."""
        value = with_ if isinstance(with_, str) else ",".join(with_)
        return cls._use(subdomain).request("GET", path_of("account", "get"), {"with": value} if value else None)

    @classmethod
    def get_account_domain(cls, subdomain: str | None = None) -> Any:
        """``GET /oauth2/account/subdomain``: the account's id, subdomain and domain."""
        return cls._use(subdomain).get_account_domain()

    # -- lists -------------------------------------------------------------------------------------

    @classmethod
    def _get(cls, resource: str, params: Mapping[str, Any] | None, return_response: bool, subdomain: str | None,
             name: str = "list") -> Any:
        if params is not None and not isinstance(params, Mapping):
            raise _fail(f"{resource}: params must be a dict, got {type(params).__name__}")
        response = get_raw(cls._use(subdomain), resource, dict(params or {}), name)
        return response if return_response else cls.get_items(response)

    @classmethod
    def get_contacts(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                     subdomain: str | None = None) -> Any:
        """One page of contacts (items, or the whole answer); None when nothing matches."""
        return cls._get("contacts", params, return_response, subdomain)

    @classmethod
    def get_companies(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                      subdomain: str | None = None) -> Any:
        """One page of companies."""
        return cls._get("companies", params, return_response, subdomain)

    @classmethod
    def get_leads(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                  subdomain: str | None = None) -> Any:
        """One page of leads."""
        return cls._get("leads", params, return_response, subdomain)

    @classmethod
    def get_tasks(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                  subdomain: str | None = None) -> Any:
        """One page of tasks."""
        return cls._get("tasks", params, return_response, subdomain)

    @classmethod
    def get_notes(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                  subdomain: str | None = None) -> Any:
        """One page of notes (``type`` is required by the API)."""
        return cls._get("notes", params, return_response, subdomain)

    @classmethod
    def get_webhooks(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                     subdomain: str | None = None) -> Any:
        """The webhook subscriptions."""
        return cls._get("webhooks", params, return_response, subdomain)

    @classmethod
    def get_widgets(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                    subdomain: str | None = None) -> Any:
        """The widgets (``/api/v2/widgets/list``)."""
        return cls._get("widgets", params, return_response, subdomain)

    @classmethod
    def get_incoming_leads(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                           subdomain: str | None = None) -> Any:
        """One page of incoming (unsorted) leads."""
        return cls._get("incoming_leads", params, return_response, subdomain)

    @classmethod
    def get_incoming_leads_summary(cls, params: Mapping[str, Any] | None = None, return_response: bool = True,
                                   subdomain: str | None = None) -> Any:
        """Incoming-lead counters: always the whole answer (it has no items), as in the seed."""
        return cls._get("incoming_leads", params, True, subdomain, "summary")

    @classmethod
    def get_pipelines(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                      subdomain: str | None = None) -> Any:
        """The pipelines (items keyed by id)."""
        return cls._get("pipelines", params, return_response, subdomain)

    @classmethod
    def get_catalogs(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                     subdomain: str | None = None) -> Any:
        """The catalogs (lists)."""
        return cls._get("catalogs", params, return_response, subdomain)

    @classmethod
    def get_catalog_elements(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                             subdomain: str | None = None) -> Any:
        """One page of catalog elements (``catalog_id`` required, ``page`` for paging)."""
        return cls._get("catalog_elements", params, return_response, subdomain)

    # -- generators --------------------------------------------------------------------------------

    @classmethod
    def _all_by_offset(cls, resource: str, params: Mapping[str, Any] | None, return_response: bool,
                       subdomain: str | None) -> Iterator[Any]:
        query = dict(params or {})
        size = _int("limit_rows", query.pop("limit_rows", cls.limit_rows), 1, 500)
        offset = query.pop("limit_offset", 0) or 0
        if isinstance(offset, str) and offset.isdigit():
            offset = int(offset)
        start = _int("limit_offset", offset, 0)
        client = cls._use(subdomain)
        for answer in pages_raw(client, resource, query, page_size=size, start=start):
            items = cls.get_items(answer)
            if not items:
                return
            yield answer if return_response else items

    @classmethod
    def _all_by_page(cls, resource: str, params: Mapping[str, Any] | None, return_response: bool,
                     subdomain: str | None, size_param: str | None) -> Iterator[Any]:
        query = dict(params or {})
        page = query.pop("page", 1) or 1
        if isinstance(page, str) and page.isdigit():
            page = int(page)
        start = _int("page", page, 1)
        size = None
        if size_param is not None:
            size = _int(size_param, query.pop(size_param, cls.limit_rows), 1, 500)
        client = cls._use(subdomain)
        for answer in pages_raw(client, resource, query, page_size=size, start=start):
            items = cls.get_items(answer)
            if not items:
                return
            yield answer if return_response else items

    @classmethod
    def get_all_contacts(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                         subdomain: str | None = None) -> Iterator[Any]:
        """Pages of contacts, lazily (``limit_rows``/``limit_offset``); stops on a short or empty page."""
        return cls._all_by_offset("contacts", params, return_response, subdomain)

    @classmethod
    def get_all_companies(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                          subdomain: str | None = None) -> Iterator[Any]:
        """Pages of companies, lazily."""
        return cls._all_by_offset("companies", params, return_response, subdomain)

    @classmethod
    def get_all_leads(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                      subdomain: str | None = None) -> Iterator[Any]:
        """Pages of leads, lazily."""
        return cls._all_by_offset("leads", params, return_response, subdomain)

    @classmethod
    def get_all_tasks(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                      subdomain: str | None = None) -> Iterator[Any]:
        """Pages of tasks, lazily."""
        return cls._all_by_offset("tasks", params, return_response, subdomain)

    @classmethod
    def get_all_notes(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                      subdomain: str | None = None) -> Iterator[Any]:
        """Pages of notes, lazily (``type`` is required by the API)."""
        return cls._all_by_offset("notes", params, return_response, subdomain)

    @classmethod
    def get_all_incoming_leads(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                               subdomain: str | None = None) -> Iterator[Any]:
        """Pages of incoming leads, lazily (``page``/``page_size``, the paging this endpoint has)."""
        return cls._all_by_page("incoming_leads", params, return_response, subdomain, "page_size")

    @classmethod
    def get_all_catalog_elements(cls, params: Mapping[str, Any] | None = None, return_response: bool = False,
                                 subdomain: str | None = None) -> Iterator[Any]:
        """Pages of catalog elements, lazily (``page`` = 1, 2, ...); stops on 204 or an empty page."""
        return cls._all_by_page("catalog_elements", params, return_response, subdomain, None)

    # -- batch writes ------------------------------------------------------------------------------

    @staticmethod
    def _objects(objects: Any, what: str) -> list[AmoObject[Any]]:
        items = [objects] if isinstance(objects, AmoObject) else objects
        if not isinstance(items, Iterable) or isinstance(items, (str, bytes, Mapping)):
            raise _fail(f"AmoAPI.{what}: expected an Amo* object or a list of them, got {type(objects).__name__}")
        out = list(items)
        for i, obj in enumerate(out):
            if not isinstance(obj, AmoObject):
                raise _fail(f"AmoAPI.{what}: item {i} is {type(obj).__name__}, expected an Amo* model object")
        return out

    @staticmethod
    def _groups(objects: list[AmoObject[Any]]) -> dict[str, list[AmoObject[Any]]]:
        groups: dict[str, list[AmoObject[Any]]] = {}
        for obj in objects:
            groups.setdefault(obj.RESOURCE, []).append(obj)
        return groups

    @classmethod
    def _save_chunk(cls, client: AmoClient, resource: str, chunk: Sequence[AmoObject[Any]]) -> Any:
        """One POST through the resource (which builds the items and writes ids back); the raw answer."""
        return save_raw(client, resource, [obj.model for obj in chunk])

    @classmethod
    def save_objects(cls, objects: Any, return_responses: bool = False, subdomain: str | None = None) -> list[Any]:
        """Add objects without an id and update the others, one POST per entity type (per 500);
        new ids are written back. Returns the saved items, or the answers with ``return_responses``."""
        items = cls._objects(objects, "save_objects")
        for obj in items:
            if obj.RESOURCE == "incoming_leads":
                raise _fail("AmoAPI.save_objects: incoming leads are saved with AmoAPI.save_incoming_objects()")
        client = cls._use(subdomain)
        out: list[Any] = []
        for resource, group in cls._groups(items).items():
            for start in range(0, len(group), _MAX_BATCH):
                response = cls._save_chunk(client, resource, group[start : start + _MAX_BATCH])
                if return_responses:
                    out.append(response)
                else:
                    out.extend(cls.get_items(response) or [])
        return out

    @classmethod
    def save_objects_with_limit(cls, objects: Any, return_responses: bool = False, subdomain: str | None = None,
                                limit: int = 250) -> list[Any]:
        """:meth:`save_objects` in chunks of at most ``limit`` objects (1..500)."""
        size = _int("save_objects_with_limit(limit)", limit, 1, _MAX_BATCH)
        items = cls._objects(objects, "save_objects_with_limit")
        out: list[Any] = []
        for start in range(0, len(items), size):
            out.extend(cls.save_objects(items[start : start + size], return_responses, subdomain))
        return out

    @classmethod
    def delete_objects(cls, objects: Any, return_responses: bool = False, subdomain: str | None = None) -> list[Any]:
        """Delete catalogs and catalog elements (the only kinds the API deletes); each needs an id."""
        items = cls._objects(objects, "delete_objects")
        for i, obj in enumerate(items):
            if obj.RESOURCE not in ("catalogs", "catalog_elements"):
                raise _fail(f"AmoAPI.delete_objects: item {i} is {type(obj).__name__}; only catalogs and "
                            "catalog elements can be deleted through the API")
            if not obj.model.id:
                raise _fail(f"AmoAPI.delete_objects: item {i} ({type(obj).__name__}) has no id")
        client = cls._use(subdomain)
        out: list[Any] = []
        for resource, group in cls._groups(items).items():
            for start in range(0, len(group), _MAX_BATCH):
                _, response = call_raw(client, resource, "delete",
                                       {"ids": [obj.model for obj in group[start : start + _MAX_BATCH]]})
                if return_responses:
                    out.append(response)
                else:
                    out.extend(cls.get_items(response) or [])
        return out

    # -- webhooks ----------------------------------------------------------------------------------

    @classmethod
    def _webhook_pairs(cls, params: Any, what: str) -> list[Webhook]:
        entries = [params] if isinstance(params, Mapping) else params
        if not isinstance(entries, Sequence) or isinstance(entries, (str, bytes)):
            raise _fail(f"AmoAPI.{what}: expected {{'url': ..., 'events': [...]}} or a list of them, got {params!r}")
        pairs: list[Webhook] = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping) or "url" not in entry or "events" not in entry:
                raise _fail(f"AmoAPI.{what}: item {i} must be a dict with 'url' and 'events', got {entry!r}")
            url, events = entry["url"], entry["events"]
            if not isinstance(url, str) or not url:
                raise _fail(f"AmoAPI.{what}: item {i}: url must be a non-empty string, got {url!r}")
            event_list = [events] if isinstance(events, str) else list(events) if isinstance(events, Sequence) else None
            if not event_list or not all(isinstance(e, str) and e for e in event_list):
                raise _fail(f"AmoAPI.{what}: item {i}: events must be non-empty strings, got {events!r}")
            pairs.append(Webhook(url=url, events=event_list))
        return pairs

    @classmethod
    def add_webhooks(cls, params: Any, return_response: bool = False, subdomain: str | None = None) -> Any:
        """Subscribe ``{'url', 'events'}`` (or a list of them, at most 100); the items or the answer."""
        pairs = cls._webhook_pairs(params, "add_webhooks")
        _, response = call_raw(cls._use(subdomain), "webhooks", "subscribe_many", {"items": pairs})
        return response if return_response else cls.get_items(response)

    @classmethod
    def delete_webhooks(cls, params: Any, return_response: bool = False, subdomain: str | None = None) -> Any:
        """Unsubscribe ``{'url', 'events'}`` (or a list of them); the items or the answer."""
        pairs = cls._webhook_pairs(params, "delete_webhooks")
        _, response = call_raw(cls._use(subdomain), "webhooks", "unsubscribe_many", {"items": pairs})
        return response if return_response else cls.get_items(response)

    # -- incoming leads ----------------------------------------------------------------------------

    @classmethod
    def _decide(cls, key: str, params: Any, return_response: bool, subdomain: str | None) -> Any:
        allowed = {key, "user_id"} | ({"status_id"} if key == "accept" else set())
        if not isinstance(params, Mapping):
            raise _fail(f"AmoAPI.{key}_incoming_leads: params must be a dict, got {type(params).__name__}")
        missing = [k for k in (key, "user_id") if k not in params]
        unknown = sorted(set(params) - allowed)
        if missing or unknown:
            raise _fail(f"AmoAPI.{key}_incoming_leads: missing keys {missing}, unknown keys {unknown} "
                        f"(expected {sorted(allowed)})")
        client = cls._use(subdomain)
        args = {"uids": params[key], "user_id": params["user_id"], "status_id": params.get("status_id")}
        if key != "accept":
            args.pop("status_id")
        _, response = call_raw(client, "incoming_leads", key, args)
        return response if return_response else (response.get("data") if isinstance(response, Mapping) else None)

    @classmethod
    def accept_incoming_leads(cls, params: Mapping[str, Any], return_response: bool = False,
                              subdomain: str | None = None) -> Any:
        """Accept: ``{'accept': [uid, ...], 'user_id': id, 'status_id': id}``; the answer's ``data``."""
        return cls._decide("accept", params, return_response, subdomain)

    @classmethod
    def decline_incoming_leads(cls, params: Mapping[str, Any], return_response: bool = False,
                               subdomain: str | None = None) -> Any:
        """Decline: ``{'decline': [uid, ...], 'user_id': id}``; the answer's ``data``."""
        return cls._decide("decline", params, return_response, subdomain)

    @classmethod
    def _incoming_objects(cls, objects: Any, what: str) -> list[AmoObject[Any]]:
        items = cls._objects(objects, what)
        for i, obj in enumerate(items):
            if getattr(obj, "CATEGORY", None) not in ("form", "sip"):
                raise _fail(f"AmoAPI.{what}: item {i} is {type(obj).__name__}, expected AmoIncomingLeadForm "
                            "or AmoIncomingLeadSip")
        return items

    @classmethod
    def save_incoming_objects(cls, objects: Any, return_responses: bool = False,
                              subdomain: str | None = None) -> list[Any]:
        """Add incoming leads, one POST per kind (form, sip); uids are written back. Returns the uids,
        or the answers with ``return_responses``."""
        items = cls._incoming_objects(objects, "save_incoming_objects")
        client = cls._use(subdomain)
        groups: dict[str, list[AmoObject[Any]]] = {}
        for obj in items:
            groups.setdefault(str(obj.CATEGORY), []).append(obj)
        out: list[Any] = []
        for category, group in groups.items():
            for start in range(0, len(group), _MAX_BATCH):
                models = [obj.model for obj in group[start : start + _MAX_BATCH]]
                name = "add_form" if category == "form" else "add_sip"
                _, response = call_raw(client, "incoming_leads", name, {"objects": models})
                if return_responses:
                    out.append(response)
                else:
                    out.extend(response.get("data") or [] if isinstance(response, Mapping) else [])
        return out

    @classmethod
    def save_incoming_objects_with_limit(cls, objects: Any, return_responses: bool = False,
                                         subdomain: str | None = None, limit: int = 250) -> list[Any]:
        """:meth:`save_incoming_objects` in chunks of at most ``limit`` objects."""
        size = _int("save_incoming_objects_with_limit(limit)", limit, 1, _MAX_BATCH)
        items = cls._incoming_objects(objects, "save_incoming_objects_with_limit")
        out: list[Any] = []
        for start in range(0, len(items), size):
            out.extend(cls.save_incoming_objects(items[start : start + size], return_responses, subdomain))
        return out


_ESCAPE = re.compile(r"(\\+)u([0-9a-fA-F]{4})")


def _unescape(text: str) -> str:
    """JSON ``\\uXXXX`` escapes as characters; an escaped backslash before ``u`` is left alone."""

    def one(match: re.Match[str]) -> str:
        slashes = match.group(1)
        if len(slashes) % 2 == 0:
            return match.group(0)
        return slashes[:-1] + chr(int(match.group(2), 16))

    joined = _ESCAPE.sub(one, text)
    # Re-join surrogate pairs produced by two escapes (emoji).
    return codecs.decode(joined.encode("utf-16", "surrogatepass"), "utf-16") if _has_surrogates(joined) else joined


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)
