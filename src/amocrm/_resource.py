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

Overlapping requests (the rate limit, not the latency, should bound throughput):

- Prefetch (offset paging, ``client.config.prefetch`` = k > 0): once a page comes back full, the
  next k pages are requested while the caller consumes it, each on its own short-lived thread;
  the throttle still spaces every start. The first page is fetched alone, so a small result costs
  one request. Pages reach the caller in order and a failed page raises when the caller asks for
  it (after every item before it). After a short or empty page, or when the caller stops early
  (``close()``, ``break``, garbage collection), requests still waiting for a throttle slot are not
  sent and the generator waits for those on the wire, so no thread outlives it; those answers are
  thrown away (counted in ``resource.stats``).
- Concurrent save (several chunks, ``client.config.save_workers`` = w > 1): up to w chunks are in
  flight; ids and ``updated_at`` are written back chunk by chunk in input order and the result
  list is in input order. On a failure no further chunk is started, chunks still waiting for a
  throttle slot are not sent, and chunks already on the wire finish and are written back; then
  the error of the first failed chunk is raised, with a note naming the chunks applied, failed and
  not sent. So after an error: chunks before the failed one were applied, so may be up to w - 1
  chunks after it (their objects have ids), the rest were not sent. ``save_workers=1`` keeps the
  strictly sequential behaviour (nothing after a failed chunk is sent).
"""

# Resources are the client's own plumbing: they call ``client._request``/``client._lock`` by design.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import datetime as _dt
import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from amocrm import _logging
from amocrm.errors import (
    ConflictError,
    DecodeError,
    EntityErrors,
    NotFoundError,
    ServerError,
    TransportError,
    raise_for_embedded_errors,
)
from amocrm.models._types import FlexList
from amocrm.models._write import to_write_item

__all__ = ["Resource", "ResourceStats", "SavedItem", "http_date"]

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


class _Retry(Protocol):
    def should_split(self, status: int | None) -> bool: ...


class _Client(Protocol):
    @property
    def config(self) -> _Config: ...

    @property
    def retry(self) -> _Retry: ...

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
        cancel: threading.Event | None = None,
    ) -> _Response: ...

    def _lock(self, kind: str, id: int) -> AbstractContextManager[bool]: ...


class SavedItem(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """One entry of a write response: the entity id, the echoed ``request_id`` and ``updated_at``."""

    id: int | str | UnsetType = UNSET
    request_id: int | str | UnsetType = UNSET
    updated_at: int | UnsetType = UNSET


@dataclass
class ResourceStats:
    """What prefetching and concurrent saves did on one resource (for benchmarks and tests)."""

    #: Pages handed to the caller by prefetching iterations.
    pages: int = 0
    #: Pages fetched ahead whose answers were thrown away (past the end, or after an early stop).
    discarded: int = 0
    #: Requests started ahead (pages or chunks) that were stopped before they were sent.
    cancelled: int = 0
    #: Chunks sent by concurrent saves.
    chunks: int = 0


class _Task(Generic[T]):
    """One call on its own daemon thread; :meth:`result` joins it and re-raises its exception.

    A thread per request (not a pool) means nothing idles after the work is done: a stopped
    iteration joins its tasks and leaves no thread behind.
    """

    __slots__ = ("_call", "_result", "_error", "_thread")

    def __init__(self, call: Callable[[], T], name: str) -> None:
        self._call = call
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._call()
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def wait(self) -> BaseException | None:
        """Join the thread; the exception the call raised, if any."""
        self._thread.join()
        return self._error

    def result(self) -> T:
        error = self.wait()
        if error is not None:
            raise error
        return self._result  # type: ignore[return-value]


def _was_cancelled(error: BaseException | None, cancel: threading.Event) -> bool:
    """True when ``error`` is the pipeline refusing to send because ``cancel`` was set."""
    return cancel.is_set() and isinstance(error, TransportError) and error.sent is False


@dataclass
class _ChunkPlan:
    """One write request prepared in the caller's thread: its items and what to write back where."""

    chunk: list[Any]
    add: list[dict[str, Any]] = field(default_factory=list)
    update: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, Any] = field(default_factory=dict)
    updated: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)


def _split_plan(plan: _ChunkPlan) -> tuple[_ChunkPlan, _ChunkPlan]:
    """The two halves of a planned chunk, keeping every item's request_id and write-back target."""
    adds = {str(item["request_id"]): item for item in plan.add}
    where: dict[int, tuple[str, Any]] = {id(obj): ("add", key) for key, obj in plan.pending.items()}
    where.update({id(obj): ("update", item) for obj, item in plan.updated})
    mid = len(plan.chunk) // 2
    halves: list[_ChunkPlan] = []
    for part in (plan.chunk[:mid], plan.chunk[mid:]):
        sub = _ChunkPlan(list(part))
        for obj in part:
            kind, ref = where[id(obj)]
            if kind == "add":
                sub.add.append(adds[ref])
                sub.pending[ref] = obj
            else:
                sub.update.append(ref)
                sub.updated.append((obj, ref))
        halves.append(sub)
    return halves[0], halves[1]


def _chunk_ranges(indexes: list[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    runs: list[list[int]] = []
    for i in indexes:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs) or "none"


#: ``element_type`` -> the ``type`` filter of notes and tasks (needed to read a note back by id).
_ELEMENT_TYPE_NAMES = {1: "contact", 2: "lead", 3: "company", 4: "task", 12: "customer"}


def _newer_than(now: int, known: Any) -> int:
    """``updated_at`` for an update: now + delta, but never at or before the version the caller holds.

    amoCRM refuses an update whose ``updated_at`` is not newer than the stored one, so two updates
    of one entity within a second would otherwise conflict with each other.
    """
    if isinstance(known, int) and not isinstance(known, bool) and known >= now:
        return known + 1
    return now


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
        self.stats = ResourceStats()

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

    def _fetch_items(
        self, params: Mapping[str, Any], headers: Mapping[str, str] | None, cancel: threading.Event | None
    ) -> list[M]:
        return self._fetch_page(params, headers, cancel)[0]

    def _fetch_page(
        self, params: Mapping[str, Any], headers: Mapping[str, str] | None, cancel: threading.Event | None = None
    ) -> tuple[list[M], bool]:
        """Items of one page and whether ``_links.next`` is present (v4 link paging)."""
        if cancel is None:
            response = self._client._request("GET", self._path, params=params, headers=headers)
        else:
            response = self._client._request("GET", self._path, params=params, headers=headers, cancel=cancel)
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
            depth = self._prefetch_depth()
            if depth:
                yield from self._prefetched_offset_pages(query, headers, size, offset, depth)
                return
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

    def _prefetch_depth(self) -> int:
        depth = getattr(self._client.config, "prefetch", 0)
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
            raise ValueError(f"{self._name}: config.prefetch must be a non-negative int, got {depth!r}")
        return depth

    def _prefetched_offset_pages(
        self, params: Mapping[str, Any], headers: Mapping[str, str] | None, size: int, offset: int, depth: int
    ) -> Iterator[list[M]]:
        """Offset paging with up to ``depth`` pages requested ahead (see the module docstring)."""
        size_param, offset_param = self._paging["size_param"], self._paging["offset_param"]
        cancel = threading.Event()
        tasks: deque[_Task[list[M]]] = deque()
        next_offset = offset

        def top_up(outstanding: int) -> None:
            nonlocal next_offset
            while len(tasks) < outstanding:
                query = {**params, size_param: size, offset_param: next_offset}
                fetch: Callable[[], list[M]] = functools.partial(self._fetch_items, query, headers, cancel)
                tasks.append(_Task(fetch, name=f"amocrm-prefetch-{self._name}-{next_offset}"))
                next_offset += size

        try:
            top_up(1)  # the first page alone: a small result costs one request
            while True:
                page = tasks.popleft().result()
                if not page:
                    return
                full = len(page) >= size
                if full:
                    top_up(depth)  # fetched while the caller consumes this page
                self.stats.pages += 1
                yield page
                if not full:
                    return
                top_up(depth + 1)  # the one the caller now waits for, and depth more
        finally:
            cancel.set()
            for task in tasks:
                error = task.wait()
                if error is None:
                    self.stats.discarded += 1
                elif _was_cancelled(error, cancel):
                    self.stats.cancelled += 1

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

    def _post(self, body: Any, path: str | None = None, cancel: threading.Event | None = None) -> Any:
        target = path or self._path
        if cancel is None:
            response = self._client._request("POST", target, json=body)
        else:
            response = self._client._request("POST", target, json=body, cancel=cancel)
        if response.no_content:
            raise DecodeError(f"POST {target}: empty response", status=response.status)
        data = response.json()
        raise_for_embedded_errors(data, status=response.status, context=f"POST {target}")
        return data

    def _save(self, objects: Any, batch_size: int | None) -> list[SavedItem]:
        items = self._objects(objects, "save")
        size = self._batch(batch_size)
        chunks = [items[start : start + size] for start in range(0, len(items), size)]
        workers = getattr(self._client.config, "save_workers", 1)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"{self._name}: config.save_workers must be a positive int, got {workers!r}")
        if len(chunks) > 1 and workers > 1:
            return self._save_concurrently(chunks, workers)
        saved: list[SavedItem] = []
        for chunk in chunks:
            saved.extend(self._save_chunk(chunk))
        return saved

    def _save_chunk(self, chunk: list[M]) -> list[SavedItem]:
        plan = self._plan_chunk(chunk)
        saved, error = self._send_chunk(plan, None)
        self._apply_saved(saved, plan.pending, plan.updated)
        if error is not None:
            raise error
        return saved

    def _save_concurrently(self, chunks: list[list[M]], workers: int) -> list[SavedItem]:
        """Up to ``workers`` chunks in flight; write-back and results in input order (module docstring)."""
        cancel = threading.Event()
        window: deque[tuple[int, _ChunkPlan, _Task[tuple[list[SavedItem], BaseException | None]]]] = deque()
        results: list[list[SavedItem]] = []
        applied: list[int] = []
        failed: list[tuple[int, BaseException]] = []
        not_sent: list[int] = []
        following = 0
        try:
            while True:
                # the first chunk goes alone: a systematic failure (auth, a refused payload) stops
                # everything before anything else is sent
                while not failed and following < len(chunks) and len(window) < (workers if applied else 1):
                    plan = self._plan_chunk(chunks[following])
                    send: Callable[[], tuple[list[SavedItem], BaseException | None]] = functools.partial(
                        self._send_chunk, plan, cancel
                    )
                    task = _Task(send, name=f"amocrm-save-{self._name}-{following}")
                    window.append((following, plan, task))
                    following += 1
                    self.stats.chunks += 1
                if not window:
                    break
                index, plan, task = window.popleft()
                saved, error = task.result()
                self._apply_saved(saved, plan.pending, plan.updated)
                results.append(saved)
                if error is None:
                    applied.append(index)
                elif _was_cancelled(error, cancel):
                    not_sent.append(index)
                    self.stats.cancelled += 1
                else:
                    failed.append((index, error))
                    cancel.set()
        finally:
            cancel.set()
            for _, _, task in window:
                task.wait()
        if failed:
            first = failed[0][1]
            not_sent.extend(range(following, len(chunks)))
            note = (
                f"{self._name}.save: {len(chunks)} chunks; applied: {_chunk_ranges(applied)}; "
                f"failed: {_chunk_ranges([i for i, _ in failed])} (this error is chunk {failed[0][0]}'s); "
                f"not sent: {_chunk_ranges(not_sent)}"
            )
            add_note = getattr(first, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note(note)
            raise first
        return [entry for saved in results for entry in saved]

    def _plan_chunk(self, chunk: list[M]) -> _ChunkPlan:
        """The write items of one chunk: updates get ``updated_at``, adds a free ``request_id``."""
        now = int(time.time()) + int(self._client.config.updated_at_delta)
        plan = _ChunkPlan(list(chunk))
        items = [to_write_item(obj) for obj in chunk]
        taken = {str(item["request_id"]) for item in items if "request_id" in item}
        auto = 0
        for obj, item in zip(chunk, items, strict=True):
            ident = getattr(obj, "id", UNSET)
            if ident is not UNSET and ident is not None:
                item["updated_at"] = _newer_than(now, getattr(obj, "updated_at", UNSET))
                plan.update.append(item)
                plan.updated.append((obj, item))
                continue
            if "request_id" not in item:
                # the index in the chunk, skipping ids the caller chose; v4 wants strings
                while str(auto) in taken:
                    auto += 1
                item["request_id"] = str(auto) if self._write_style == "array" else auto
                taken.add(str(auto))
            plan.pending[str(item["request_id"])] = obj
            plan.add.append(item)
        return plan

    def _send_chunk(
        self, plan: _ChunkPlan, cancel: threading.Event | None
    ) -> tuple[list[SavedItem], BaseException | None]:
        """Send one planned chunk; the items saved and the error that stopped it (both may be set).

        With ``RetryPolicy(split_on_504=True)`` a chunk answered 504 ("reduce the batch") is split
        in halves that are sent in turn, down to single entities. Opt-in: a gateway timeout does not
        prove the server applied nothing.
        """
        saved, error = self._send_plan(plan, cancel)
        if (
            isinstance(error, ServerError)
            and not saved
            and len(plan.chunk) > 1
            and self._client.retry.should_split(error.status)
        ):
            _logging.warning("%s: %d entities answered %d; saving them in two halves", self._name, len(plan.chunk),
                             error.status, event="split")
            saved = []
            for half in _split_plan(plan):
                part, error = self._send_chunk(half, cancel)
                saved.extend(part)
                if error is not None:
                    return saved, error
            return saved, None
        return saved, error

    def _send_plan(
        self, plan: _ChunkPlan, cancel: threading.Event | None
    ) -> tuple[list[SavedItem], BaseException | None]:
        """One request for one planned chunk (see :meth:`_send_chunk`)."""
        lock: AbstractContextManager[bool] = nullcontext(False)
        if len(plan.chunk) == 1 and plan.update:
            first: Any = plan.chunk[0]
            lock = self._client._lock(self._lock_kind, int(first.id))
        saved: list[SavedItem] = []
        try:
            with lock as held:
                if held and self._write_style != "array":
                    saved = self._saved_items(self._post_locked_update(plan, cancel))
                elif self._write_style == "array":
                    # v4: POST an array to add, PATCH an array to update; items under _embedded.<items_key>.
                    for method, items in (("POST", plan.add), ("PATCH", plan.update)):
                        if items:
                            saved.extend(self._saved_items(self._send(method, items, cancel=cancel), self._items_key))
                else:
                    body: dict[str, Any] = {}
                    if plan.add:
                        body["add"] = plan.add
                    if plan.update:
                        body["update"] = plan.update
                    saved = self._saved_items(self._post(body, cancel=cancel))
        except EntityErrors as exc:
            partial = self._saved_items({"_embedded": {"items": exc.items}})
            return saved + partial, exc
        except Exception as exc:  # raised by the caller after writing back what was saved
            return saved, exc
        return saved, None

    def _post_locked_update(self, plan: _ChunkPlan, cancel: threading.Event | None) -> Any:
        """POST one update while holding its entity lock; a stale-date refusal is resolved once.

        Holding the lock means no other SDK worker is updating this entity, so a "Last modified
        date is older" answer can only come from a write that landed within the same second (or a
        clock ahead of ours): re-read the stored ``updated_at`` and send again just after it.
        """
        item = plan.update[0]
        body = {"update": plan.update}
        try:
            return self._post(body, cancel=cancel)
        except ConflictError:
            obj: Any = plan.chunk[0]
            params: dict[str, Any] = {}
            element_type: Any = getattr(obj, "element_type", None)
            if isinstance(element_type, int) and element_type in _ELEMENT_TYPE_NAMES:
                params["type"] = _ELEMENT_TYPE_NAMES[element_type]
            stored = getattr(self._get(int(item["id"]), params), "updated_at", UNSET)
            if not isinstance(stored, int) or isinstance(stored, bool):
                raise
            now = int(time.time()) + int(self._client.config.updated_at_delta)
            item["updated_at"] = _newer_than(now, stored)
            return self._post(body, cancel=cancel)

    def _send(self, method: str, body: Any, cancel: threading.Event | None = None) -> Any:
        if cancel is None:
            response = self._client._request(method, self._path, json=body)
        else:
            response = self._client._request(method, self._path, json=body, cancel=cancel)
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
