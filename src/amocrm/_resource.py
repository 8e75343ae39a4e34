"""Hand-written base of the generated resource classes (``client.leads``, ``client.contacts``, ...).

The generated subclasses (``amocrm._generated.resources``) hold the per-resource data from the spec
(path, model, paging, batch limit) as class variables and expose typed methods with explicit
keyword arguments; those methods build the query and call the ``_``-prefixed helpers here, which
talk to the client through ``client._request`` only.

Behaviour shared by all resources:

- Lists: ``[]`` on 204; the items may come as a list or as an id-keyed object (pipelines).
- Offset paging (``limit_rows``/``limit_offset``) stops on a short page, an empty page or 204;
  page paging stops on 204, an empty page, a short page (when the size is known) or a page that
  repeats the previous one (a server ignoring ``page``), so iteration always ends.
- ``save``: objects with an id are updated (``updated_at`` = now + ``config.updated_at_delta``),
  others added; chunks of ``batch_size`` (capped by the spec's batch limit) go out as one POST
  each. New ids are written back by ``request_id`` (numbered 0, 1, ... within the chunk, skipping
  ids the caller set). A single-object update runs under ``client._lock(kind, id)``; batches are not
  locked (locking hundreds of entities at once would hold as many lock files; the seed does not
  lock batches either) -- lock around the call yourself if a batch must be exclusive.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from amocrm.errors import DecodeError, EntityErrors, NotFoundError, raise_for_embedded_errors
from amocrm.models._types import FlexList
from amocrm.models._write import to_write_item

__all__ = ["Resource", "SavedItem", "http_date"]

M = TypeVar("M")
T = TypeVar("T")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Response(Protocol):
    status: int
    headers: Mapping[str, str]
    data: bytes

    @property
    def no_content(self) -> bool: ...

    def json(self) -> Any: ...

    def decode(self, type_: type[T]) -> T: ...


class _Config(Protocol):
    updated_at_delta: int
    batch_size: int
    page_size: int


class _Client(Protocol):
    @property
    def config(self) -> _Config: ...

    def _request(
        self,
        method: Any,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        idempotent: bool | None = None,
    ) -> _Response: ...

    def _lock(self, kind: str, id: int) -> AbstractContextManager[None]: ...


class SavedItem(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """One entry of a write response: the entity id, the echoed ``request_id`` and ``updated_at``."""

    id: int | str | UnsetType = UNSET
    request_id: int | str | UnsetType = UNSET
    updated_at: int | UnsetType = UNSET


def http_date(value: _dt.datetime | int | float) -> str:
    """``If-Modified-Since`` value in the form the v2 docs use: ``Mon, 01 Aug 2017 07:07:23 UTC``."""
    if isinstance(value, bool) or not isinstance(value, (_dt.datetime, int, float)):
        raise TypeError(f"modified_since: expected a datetime or unix seconds, got {type(value).__name__}")
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError("modified_since: naive datetime; pass an aware datetime (e.g. tzinfo=timezone.utc)")
        moment = value.astimezone(_dt.timezone.utc)
    else:
        moment = _dt.datetime.fromtimestamp(value, tz=_dt.timezone.utc)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC"
    )


def _query_value(name: str, value: Any) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable) or isinstance(value, Mapping):
        return value
    return list(value)


_PAGE_TYPES: dict[tuple[Any, str, str], Any] = {}


def _page_type(model: type[Any], items_key: str, envelope: str) -> Any:
    """A msgspec type for one list response: ``{_embedded: {<items_key>: [...]}}`` or ``{<items_key>: [...]}``.

    Built once per (model, key, envelope) and reused, so the client's decoder cache hits."""
    cache_key = (model, items_key, envelope)
    cached = _PAGE_TYPES.get(cache_key)
    if cached is not None:
        return cached
    flex: Any = FlexList
    items: tuple[Any, ...] = (items_key, flex[model], msgspec.field(default_factory=list))
    links: tuple[Any, ...] = ("links", dict[str, Any] | list[Any], msgspec.field(default_factory=dict))
    page: Any
    if envelope == "root":
        page = msgspec.defstruct(f"{model.__name__}Page", [items, links], kw_only=True, rename={"links": "_links"})
    else:
        embedded: Any = msgspec.defstruct(f"{model.__name__}Embedded", [items], kw_only=True)
        page = msgspec.defstruct(
            f"{model.__name__}Page",
            [("embedded", embedded | list[Any], msgspec.field(default_factory=list)), links],
            kw_only=True,
            rename={"embedded": "_embedded", "links": "_links"},
        )
    _PAGE_TYPES[cache_key] = page
    return page


class Resource(Generic[M]):
    """Base of every generated resource; holds the client and the spec data of one endpoint."""

    _name: ClassVar[str] = ""
    _path: ClassVar[str] = ""
    _model: ClassVar[type[Any]]
    _api: ClassVar[str] = "v2"
    _items_key: ClassVar[str] = "items"
    _envelope: ClassVar[str] = "embedded"
    _paging: ClassVar[Mapping[str, Any]] = {"style": "none"}
    _batch_max: ClassVar[int] = 500
    _write_style: ClassVar[str] = "envelope"
    _lock_kind: ClassVar[str] = ""

    def __init__(self, client: _Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._path}>"

    # ------------------------------------------------------------------------------------ queries

    @staticmethod
    def _params(pairs: Mapping[str, Any]) -> dict[str, Any]:
        """Drop ``None`` arguments; sequences become lists (bracket-encoded by the client)."""
        return {k: _query_value(k, v) for k, v in pairs.items() if v is not None}

    @staticmethod
    def _csv(values: str | Sequence[str] | None) -> str | None:
        """``with=a,b`` style lists."""
        if values is None:
            return None
        if isinstance(values, str):
            return values
        joined = ",".join(values)
        return joined or None

    @staticmethod
    def _headers(modified_since: _dt.datetime | int | None) -> dict[str, str] | None:
        return None if modified_since is None else {"If-Modified-Since": http_date(modified_since)}

    # ------------------------------------------------------------------------------------ reading

    def _fetch(self, params: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> list[M]:
        """One GET of the list endpoint; ``[]`` on 204 or when the items key is missing."""
        return self._fetch_page(params, headers)[0]

    def _fetch_page(self, params: Mapping[str, Any], headers: Mapping[str, str] | None) -> tuple[list[M], bool]:
        """Items of one page and whether ``_links.next`` is present (v4 link paging)."""
        response = self._client._request("GET", self._path, params=params, headers=headers)
        if response.no_content:
            return [], False
        page = response.decode(_page_type(self._model, self._items_key, self._envelope))
        links: Any = page.links
        has_next = isinstance(links, dict) and "next" in links
        holder: Any = page if self._envelope == "root" else page.embedded
        if isinstance(holder, list):
            return [], has_next
        items: Any = getattr(holder, self._items_key)
        if isinstance(items, dict):
            items = list(items.values())
        return items, has_next

    def _page_size(self, page_size: int | None) -> int:
        limit = int(self._paging.get("max", 500))
        size = self._client.config.page_size if page_size is None else page_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"{self._name}: page_size must be a positive int, got {size!r}")
        return min(size, limit)

    def _pages(
        self,
        params: Mapping[str, Any],
        headers: Mapping[str, str] | None,
        page_size: int | None,
        start: int | None,
    ) -> Iterator[list[M]]:
        style = self._paging.get("style", "none")
        query = dict(params)
        if style == "offset":
            size = self._page_size(page_size)
            offset = int(start or 0)
            while True:
                query[self._paging["size_param"]] = size
                query[self._paging["offset_param"]] = offset
                page = self._fetch(query, headers)
                if not page:
                    return
                yield page
                if len(page) < size:
                    return
                offset += size
        elif style in ("page", "links"):
            size_param = self._paging.get("size_param")
            known_size = self._page_size(page_size) if size_param else None
            number = int(start or 1)
            previous: list[Any] | None = None
            while True:
                query[self._paging["page_param"]] = number
                if size_param:
                    query[size_param] = known_size
                page, has_next = self._fetch_page(query, headers)
                if not page:
                    return
                fingerprint = [msgspec.json.encode(item) for item in page[:3]] + [len(page)]
                if fingerprint == previous:
                    return
                previous = fingerprint
                yield page
                if style == "links" and not has_next:
                    return
                if known_size is not None and len(page) < known_size:
                    return
                number += 1
        else:
            page = self._fetch(query, headers)
            if page:
                yield page

    def _get(self, ident: int, params: Mapping[str, Any]) -> M:
        """One entity by id; :class:`NotFoundError` on 204, no items or another id."""
        if isinstance(ident, bool) or not isinstance(ident, int):
            raise TypeError(f"{self._name}.get: id must be an int, got {type(ident).__name__} {ident!r}")
        query = {"id": ident, **{k: v for k, v in params.items() if k != "id"}}
        items = self._fetch(query)
        if not items:
            raise NotFoundError(f"{self._model.__name__} {ident} not found", status=404, method="GET", url=self._path)
        found = getattr(items[0], "id", None)
        if found != ident:
            raise NotFoundError(
                f"{self._model.__name__} {ident} not found (the server returned id {found!r})",
                status=404,
                method="GET",
                url=self._path,
            )
        return items[0]

    def _object_get(self, params: Mapping[str, Any]) -> M:
        """GET an endpoint whose body is the object itself (the account)."""
        response = self._client._request("GET", self._path, params=params or None)
        if response.no_content:
            raise NotFoundError(f"{self._path} returned no content", status=204, method="GET", url=self._path)
        return response.decode(self._model)  # type: ignore[no-any-return]

    # ------------------------------------------------------------------------------------ writing

    def _objects(self, objects: Any, what: str) -> list[M]:
        items = [objects] if isinstance(objects, self._model) else list(objects)
        for i, obj in enumerate(items):
            if not isinstance(obj, self._model):
                raise TypeError(
                    f"{self._name}.{what}: item {i} is {type(obj).__name__}, expected {self._model.__name__}"
                )
        return items

    def _batch(self, batch_size: int | None) -> int:
        size = self._client.config.batch_size if batch_size is None else batch_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"{self._name}: batch_size must be a positive int, got {size!r}")
        return min(size, self._batch_max)

    def _post(self, body: Any, path: str | None = None) -> Any:
        target = path or self._path
        response = self._client._request("POST", target, json=body)
        if response.no_content:
            raise DecodeError(f"POST {target}: empty response", status=response.status)
        data = response.json()
        raise_for_embedded_errors(data, status=response.status, context=f"POST {target}")
        return data

    def _save(self, objects: Any, batch_size: int | None) -> list[SavedItem]:
        items = self._objects(objects, "save")
        size = self._batch(batch_size)
        saved: list[SavedItem] = []
        for start in range(0, len(items), size):
            saved.extend(self._save_chunk(items[start : start + size]))
        return saved

    def _save_chunk(self, chunk: list[M]) -> list[SavedItem]:
        now = int(time.time()) + int(self._client.config.updated_at_delta)
        add: list[dict[str, Any]] = []
        update: list[dict[str, Any]] = []
        pending: dict[str, Any] = {}
        updated: list[tuple[Any, dict[str, Any]]] = []
        items = [to_write_item(obj) for obj in chunk]
        taken = {str(item["request_id"]) for item in items if "request_id" in item}
        auto = 0
        for obj, item in zip(chunk, items, strict=True):
            ident = getattr(obj, "id", UNSET)
            if ident is not UNSET and ident is not None:
                item["updated_at"] = now
                update.append(item)
                updated.append((obj, item))
                continue
            if "request_id" not in item:
                # the index in the chunk, skipping ids the caller chose; v4 wants strings
                while str(auto) in taken:
                    auto += 1
                item["request_id"] = str(auto) if self._write_style == "array" else auto
                taken.add(str(auto))
            pending[str(item["request_id"])] = obj
            add.append(item)
        lock: AbstractContextManager[None] = nullcontext()
        if len(chunk) == 1 and update:
            first: Any = chunk[0]
            lock = self._client._lock(self._lock_kind, int(first.id))
        if self._write_style == "array":
            # v4: POST an array to add, PATCH an array to update; items under _embedded.<items_key>.
            saved: list[SavedItem] = []
            with lock:
                for method, items in (("POST", add), ("PATCH", update)):
                    if items:
                        saved.extend(self._saved_items(self._send(method, items), self._items_key))
            self._apply_saved(saved, pending, updated)
            return saved
        body: dict[str, Any] = {}
        if add:
            body["add"] = add
        if update:
            body["update"] = update
        try:
            with lock:
                data = self._post(body)
        except EntityErrors as exc:
            self._apply_saved(self._saved_items({"_embedded": {"items": exc.items}}), pending, updated)
            raise
        saved = self._saved_items(data)
        self._apply_saved(saved, pending, updated)
        return saved

    def _send(self, method: str, body: Any) -> Any:
        response = self._client._request(method, self._path, json=body)
        if response.no_content:
            raise DecodeError(f"{method} {self._path}: empty response", status=response.status)
        return response.json()

    @staticmethod
    def _saved_items(data: Any, items_key: str = "items") -> list[SavedItem]:
        embedded = data.get("_embedded") if isinstance(data, Mapping) else None
        raw = embedded.get(items_key) if isinstance(embedded, Mapping) else None
        if isinstance(raw, Mapping):
            raw = list(raw.values())
        try:
            return msgspec.convert(raw or [], list[SavedItem], strict=False)
        except msgspec.ValidationError as exc:
            raise DecodeError(f"write response: {exc}", body=msgspec.json.encode(data)) from None

    @staticmethod
    def _apply_saved(saved: list[SavedItem], pending: dict[str, Any], updated: list[tuple[Any, dict[str, Any]]]) -> None:
        by_id = {getattr(obj, "id", None): (obj, item) for obj, item in updated}
        for entry in saved:
            if entry.id in by_id:
                obj, item = by_id[entry.id]
                obj.updated_at = item["updated_at"]
                continue
            key = None if entry.request_id is UNSET else str(entry.request_id)
            obj = pending.pop(key, None) if key is not None else None
            if obj is not None and entry.id is not UNSET:
                obj.id = entry.id

    def _delete(self, objects_or_ids: Any) -> list[SavedItem]:
        values = objects_or_ids if isinstance(objects_or_ids, (list, tuple)) else [objects_or_ids]
        ids: list[int] = []
        for i, value in enumerate(values):
            ident = value if isinstance(value, int) and not isinstance(value, bool) else getattr(value, "id", None)
            if isinstance(ident, bool) or not isinstance(ident, int):
                raise ValueError(f"{self._name}.delete: item {i} has no int id ({value!r})")
            ids.append(ident)
        if not ids:
            return []
        saved: list[SavedItem] = []
        for start in range(0, len(ids), self._batch_max):
            saved.extend(self._saved_items(self._post({"delete": ids[start : start + self._batch_max]})))
        return saved

    # ------------------------------------------------------------------------------------ special endpoints

    def _get_by_uid(self, uid: str) -> M:
        """One incoming lead by uid; :class:`NotFoundError` on 204 or another uid."""
        if not isinstance(uid, str) or not uid:
            raise ValueError(f"{self._name}.get_by_uid: uid must be a non-empty str, got {uid!r}")
        items = self._fetch({"uid": uid})
        if not items or getattr(items[0], "uid", None) != uid:
            raise NotFoundError(f"{self._model.__name__} {uid!r} not found", status=404, method="GET", url=self._path)
        return items[0]

    def _status_post(self, path: str, body: Any) -> Any:
        """POST to an incoming-leads endpoint that answers ``{"status": "success", "data": ...}``."""
        response = self._client._request("POST", path, json=body)
        data = response.json() if not response.no_content else None
        if not isinstance(data, Mapping) or data.get("status") != "success":
            code = data.get("error_code") if isinstance(data, Mapping) else None
            message = data.get("error") if isinstance(data, Mapping) else None
            try:
                code_int = int(code) if code is not None else response.status
            except (TypeError, ValueError):
                code_int = response.status
            raise EntityErrors(
                f"POST {path}: status is not success ({message or 'empty response'})",
                errors=data,
                code=code_int,
            )
        return data.get("data")

    def _incoming_add(self, path: str, objects: Any) -> list[str]:
        items = self._objects(objects, "add")
        if not items:
            return []
        now = int(time.time())
        for obj in items:
            if getattr(obj, "created_at", UNSET) is UNSET:
                obj.created_at = now  # type: ignore[attr-defined]
        uids = self._status_post(path, {"add": [to_write_item(obj) for obj in items]})
        if not isinstance(uids, list):
            raise DecodeError(f"POST {path}: data is not a list of uids", body=msgspec.json.encode(uids))
        for obj, uid in zip(items, uids, strict=False):
            if isinstance(uid, str):
                obj.uid = uid  # type: ignore[attr-defined]
        return [str(u) for u in uids]

    def _incoming_decide(
        self, path: str, key: str, uids: str | Sequence[str], user_id: int, status_id: int | None, result: type[T]
    ) -> dict[str, T]:
        uid_list = [uids] if isinstance(uids, str) else list(uids)
        if not uid_list or not all(isinstance(u, str) and u for u in uid_list):
            raise ValueError(f"{self._name}.{key}: uids must be non-empty strings, got {uids!r}")
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise TypeError(f"{self._name}.{key}: user_id must be an int, got {user_id!r}")
        body: dict[str, Any] = {key: uid_list, "user_id": user_id}
        if status_id is not None:
            body["status_id"] = status_id
        data = self._status_post(path, body)
        if isinstance(data, list) and not data:
            return {}
        dict_type: Any = dict
        return msgspec.convert(data, dict_type[str, result], strict=False)  # type: ignore[no-any-return]

    def _incoming_summary(self, path: str, params: Mapping[str, Any], result: type[T]) -> T:
        response = self._client._request("GET", path, params=params or None)
        if response.no_content:
            return msgspec.convert({}, result)
        return response.decode(result)

    def _webhook_change(self, path: str, key: str, items: Sequence[tuple[str, Sequence[str]]], result: type[T]) -> list[T]:
        body: list[dict[str, Any]] = []
        for i, (url, events) in enumerate(items):
            if not isinstance(url, str) or not url:
                raise ValueError(f"{self._name}.{key}: item {i}: url must be a non-empty str, got {url!r}")
            event_list = [events] if isinstance(events, str) else list(events)
            if not event_list or not all(isinstance(e, str) and e for e in event_list):
                raise ValueError(f"{self._name}.{key}: item {i}: events must be non-empty strings, got {events!r}")
            body.append({"url": url, "events": event_list})
        if not body:
            return []
        data = self._post({key: body}, path)
        embedded = data.get("_embedded") if isinstance(data, Mapping) else None
        raw = embedded.get("items") if isinstance(embedded, Mapping) else None
        if isinstance(raw, Mapping):
            raw = list(raw.values())
        list_type: Any = list
        return msgspec.convert(raw or [], list_type[result], strict=False)  # type: ignore[no-any-return]
