"""``SyncResource``: the base of every generated resource class (``client.v2.leads``, ...).

A generated method checks nothing itself: it hands its operation descriptor and its arguments to
:meth:`SyncResource._call` (one request, or a few for a chunked body parameter),
:meth:`SyncResource._list` (the first page of a paged list) or :meth:`SyncResource._save` (a batch
write in the version's write style). All of them talk to the client through
``client._request`` only.

Saves (see :mod:`amocrm._core.save` for the outcome of every object):

- objects with an id are updated, the others added; chunks of ``batch_size`` (capped by the
  operation's ``batch_max``) go out as one request each (two for v4: POST the new, PATCH the rest);
- new ids are written back by ``request_id``; v2 updates send an ``updated_at`` newer than the
  version held;
- a single-object update runs under the client's entity lock (``client._lock(kind, id)``); under
  the lock, v2's "Last modified date is older" for a same-second write is resolved by re-reading
  the stored ``updated_at`` and sending once more;
- several chunks go out ``client.config.save_workers`` at a time (the first one alone, so a
  systematic failure stops everything before more is sent); after a failure no further chunk is
  started (unless ``continue_on_error``), chunks still waiting for a throttle slot are not sent,
  chunks on the wire finish; then the first error is raised with ``error.outcome`` (a
  :class:`~amocrm._core.save.SaveResult`) and a message listing the first failures;
- with ``RetryPolicy(split_on_504=True)`` a chunk answered 504 is halved and re-sent, down to single
  objects.
"""

# Resources are the client's own plumbing: they call ``client._request``/``client._lock`` by design.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import msgspec
from msgspec import UNSET

from amocrm import _logging
from amocrm._core import fieldpath as _fieldpath
from amocrm._core import params as _params
from amocrm._core.ops import Operation, Param, SaveOperation
from amocrm._core.paging import Cursor
from amocrm._core.profiles import Profile
from amocrm._core.response import PageBody, decode_page, decode_result
from amocrm._core.save import Chunk, Entry, Failure, SaveResult, annotate, outcome_of, plan, refuse
from amocrm._core.wire import Response, safe_url
from amocrm._sync.pages import LinksPage, NumberPage, OffsetPage, PageFetcher, SyncPage
from amocrm._sync.tasks import Task, was_cancelled
from amocrm.errors import (
    AmoError,
    APIError,
    ConfigError,
    ConflictError,
    DecodeError,
    EntityErrors,
    ServerError,
    TransportError,
    ValidationError,
    raise_for_embedded_errors,
)
from amocrm.lib.base import mark_clean

if TYPE_CHECKING:
    from amocrm.client import AmoClient

__all__ = ["ResourceStats", "SavedItem", "SyncResource"]

T = TypeVar("T")

_PAGE_CLASSES: dict[str, type[SyncPage[Any]]] = {"offset": OffsetPage, "page": NumberPage, "links": LinksPage}


class SavedItem(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """One entry of a write answer: the entity id, the echoed ``request_id`` and ``updated_at``."""

    id: int | str | msgspec.UnsetType = UNSET
    request_id: int | str | msgspec.UnsetType = UNSET
    updated_at: int | msgspec.UnsetType = UNSET


@dataclass
class ResourceStats:
    """What prefetching and concurrent saves did on one resource (for benchmarks and your tests)."""

    #: Pages handed to the caller by prefetching iterations.
    pages: int = 0
    #: Pages fetched ahead whose answers were thrown away (past the end, or after an early stop).
    discarded: int = 0
    #: Requests started ahead (pages or chunks) that were stopped before they were sent.
    cancelled: int = 0
    #: Chunks sent by concurrent saves.
    chunks: int = 0


def _newer_than(now: int, known: Any) -> int:
    """``updated_at`` for a v2 update: now + delta, but never at or before the version held."""
    if isinstance(known, int) and not isinstance(known, bool) and known >= now:
        return known + 1
    return now


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what} must be a positive int, got {value!r}")
    return value


class SyncResource:
    """Base of the generated resources: holds the client and the version profile."""

    _lock_kind: ClassVar[str] = ""

    def __init__(self, client: AmoClient, profile: Profile) -> None:
        self._client = client
        self._profile = profile
        self._stats = ResourceStats()

    @property
    def stats(self) -> ResourceStats:
        """Counters of prefetched pages, discarded and cancelled requests and concurrent chunks."""
        return self._stats

    def __repr__(self) -> str:
        return f"<{type(self).__name__} (API {self._profile.id})>"

    # ------------------------------------------------------------------------------------ calls

    def _send(self, op: Operation, prepared: _params.Prepared, body: Any, cancel: threading.Event | None = None,
              query: Mapping[str, Any] | None = None) -> Response:
        self._client._check_version(self._profile)
        return self._client._request(
            op.method,  # type: ignore[arg-type]
            prepared.path,
            params=(query if query is not None else prepared.query) or None,
            json=body if prepared.has_body else None,
            headers=prepared.headers or None,
            cancel=cancel,
        )

    def _call(self, op: Operation, args: Mapping[str, Any]) -> Any:
        """One operation (several requests when a body parameter is chunked); the decoded result."""
        value, _ = self._call_raw(op, args)
        return value

    def _call_raw(self, op: Operation, args: Mapping[str, Any]) -> tuple[Any, list[Response]]:
        """:meth:`_call` and the raw answers it read."""
        prepared = _params.prepare(op, args)
        chunked = next((p for p in op.params if p.chunk and prepared.body is not None), None)
        bodies = self._chunk_bodies(op, prepared, chunked)
        results: list[Any] = []
        responses: list[Response] = []
        pick = args.get(op.result.pick) if op.result.pick else None
        for body in bodies:
            response = self._send(op, prepared, body)
            responses.append(response)
            if self._profile.errors == "legacy" and op.method != "GET" and not response.no_content:
                data = response.json()
                raise_for_embedded_errors(data, status=response.status,
                                          context=f"({op.name}: {response.method} {safe_url(response.url)})")
            decoded = decode_result(response, op.result, op_name=op.name, pick_value=pick)
            if isinstance(decoded, list):
                mark_clean(decoded)
            elif isinstance(decoded, msgspec.Struct):
                mark_clean((decoded,))
            results.append(decoded)
        if not bodies:
            return ([] if op.result.is_list else None), responses
        value: Any = results[0]
        if len(results) > 1 and op.result.is_list:
            value = [item for part in results for item in part]
        if op.result.write_back is not None:
            self._write_back(op, args, value)
        return value, responses

    @staticmethod
    def _chunk_bodies(op: Operation, prepared: _params.Prepared, chunked: Param | None) -> list[Any]:
        if chunked is None:
            return [prepared.body]
        values = _find_values(op, prepared.body, chunked.name)
        if values is None:
            return [prepared.body]
        if not values:
            return []
        bodies = []
        for start in range(0, len(values), chunked.chunk):
            part = values[start : start + chunked.chunk]
            bodies.append(_replace_values(op, prepared.body, chunked.name, part))
        return bodies

    def _write_back(self, op: Operation, args: Mapping[str, Any], value: Any) -> None:
        assert op.result.write_back is not None
        pname, field = op.result.write_back
        param = next(p for p in op.params if p.name == pname)
        objects = _params.model_list(op.name, param, args[pname])
        if not isinstance(value, list) or len(value) != len(objects):
            got = len(value) if isinstance(value, list) else type(value).__name__
            raise DecodeError(f"{op.name}: the answer has {got} {field}s for {len(objects)} objects")
        for obj, item in zip(objects, value, strict=True):
            setattr(obj, field, item)

    # ------------------------------------------------------------------------------------ lists

    def _list(self, op: Operation, args: Mapping[str, Any], page_size: int | None, start: int | None) -> Any:
        """The first page of a paged list (see :mod:`amocrm._sync.pages`)."""
        prepared = _params.prepare(op, args)
        return self._first_page(op, prepared, prepared.query, page_size, start)

    def _list_raw(self, op: Operation, query: Mapping[str, Any], page_size: int | None = None,
                  start: int | None = None, *, prefetch: int | None = None) -> Any:
        """A paged list with a query given as is (the seed-style facade passes the caller's params)."""
        prepared = _params.prepare(op, {}, required=False)
        return self._first_page(op, prepared, dict(query), page_size, start, prefetch)

    def _first_page(self, op: Operation, prepared: _params.Prepared, query: Mapping[str, Any],
                    page_size: int | None, start: int | None, prefetch: int | None = None) -> Any:
        assert op.paging is not None
        cursor = Cursor(op.paging, page_size=page_size, start=start, op=op.name)
        config = self._client.config
        cursor.with_default_size(config.page_size)
        if prefetch is None:
            prefetch = config.prefetch

        def fetch(paging: dict[str, Any], cancel: threading.Event | None) -> tuple[PageBody, Response]:
            full = {**query, **paging}
            response = self._send(op, prepared, None, cancel, query=full)
            body = decode_page(response, op.result)
            mark_clean(body.items)
            return body, response

        fetcher = PageFetcher(fetch, cursor, prefetch, self._stats, op.name)
        body, response = fetcher.get(0)
        cursor.repeats(body.items)
        page_cls = _PAGE_CLASSES[op.paging.style]
        return page_cls(fetcher, 0, body, response)

    # ------------------------------------------------------------------------------------ saves

    def _save(self, op: SaveOperation, objects: Any, args: Mapping[str, Any], batch_size: int | None,
              continue_on_error: bool = False) -> SaveResult:
        """Add and update ``objects`` in chunks (see the module docstring)."""
        self._client._check_version(self._profile)
        model = op.model
        items: list[Any]
        if isinstance(objects, model):
            items = [objects]
        elif isinstance(objects, (str, bytes, Mapping)) or not hasattr(objects, "__iter__"):
            raise ConfigError(f"{op.name}(objects): expected a {model.__name__} or an iterable of them, "
                              f"got {type(objects).__name__}")
        else:
            items = list(objects)
        for i, obj in enumerate(items):
            if not isinstance(obj, model):
                raise ConfigError(f"{op.name}(objects[{i}]): expected a {model.__name__}, got {type(obj).__name__}")
        config = self._client.config
        size = _positive(config.batch_size if batch_size is None else batch_size, f"{op.name}(batch_size)")
        size = min(size, op.batch_max)
        workers = _positive(config.save_workers, "config.save_workers")
        if not isinstance(continue_on_error, bool):
            raise ConfigError(f"{op.name}(continue_on_error): expected True or False, got {continue_on_error!r}")
        path = op.path
        for p in op.params:
            path = path.replace("{" + p.name + "}", _params._path_segment(op.name, p, args.get(p.name)))
        if not items:
            return SaveResult([])
        chunks = plan(items, op.writer, size, string_request_ids=self._profile.string_request_ids,
                      checker=op.checker, what=f"{op.name}(objects)",
                      partial=op.field_map if self._profile.partial_updates else None)
        if self._profile.stamps_updates:
            self._stamp(chunks)
        errors = self._run_chunks(op, path, chunks, workers, continue_on_error)
        result = outcome_of(chunks, len(items))
        mark_clean(o.object for o in result.applied)
        if errors:
            first = errors[0]
            if isinstance(first, EntityErrors):
                first.items = [_ack_dict(o) for o in result.applied]
            if isinstance(first, AmoError):
                raise annotate(first, result, op.name)
            raise first
        return result

    def _stamp(self, chunks: list[Chunk]) -> None:
        now = int(time.time()) + int(self._client.config.updated_at_delta)
        for chunk in chunks:
            for e in chunk.updates:
                e.item.updated_at = _newer_than(now, getattr(e.obj, "updated_at", UNSET))

    def _run_chunks(self, op: SaveOperation, path: str, chunks: list[Chunk], workers: int,
                    continue_on_error: bool) -> list[BaseException]:
        """Send every chunk (up to ``workers`` at once); the errors of the failed ones, in chunk order."""
        cancel = threading.Event()
        errors: dict[int, BaseException] = {}
        if len(chunks) == 1 or workers == 1:
            for chunk in chunks:
                if errors and not continue_on_error:
                    break
                error = self._send_chunk(op, path, chunk, chunk.entries, None)
                if error is not None:
                    errors[chunk.number] = error
            return [errors[k] for k in sorted(errors)]
        window: deque[tuple[Chunk, Task[BaseException | None]]] = deque()
        following = 0
        done = 0
        try:
            while True:
                while (
                    (continue_on_error or not errors)
                    and following < len(chunks)
                    and len(window) < (workers if done else 1)
                ):
                    chunk = chunks[following]
                    send: Callable[[], BaseException | None] = functools.partial(
                        self._send_chunk, op, path, chunk, chunk.entries, cancel)
                    window.append((chunk, Task(send, name=f"amocrm-save-{op.name}-{following}")))
                    following += 1
                    self._stats.chunks += 1
                if not window:
                    break
                chunk, task = window.popleft()
                error = task.result()
                done += 1
                if error is not None:
                    if was_cancelled(error, cancel):
                        self._stats.cancelled += 1
                    else:
                        errors[chunk.number] = error
                        if not continue_on_error:
                            cancel.set()
        finally:
            cancel.set()
            for _, task in window:
                task.wait()
        return [errors[k] for k in sorted(errors)]

    def _lock_for(self, entries: Sequence[Entry]) -> AbstractContextManager[bool]:
        if len(entries) == 1 and entries[0].action == "update" and self._lock_kind:
            ident = entries[0].id
            if isinstance(ident, int):
                return self._client._lock(self._lock_kind, ident)
        return nullcontext(False)

    def _send_chunk(self, op: SaveOperation, path: str, chunk: Chunk, entries: Sequence[Entry],
                    cancel: threading.Event | None) -> BaseException | None:
        """Send one chunk's entries; record every entry's outcome on ``chunk``; the error, if any."""
        try:
            with self._lock_for(entries) as held:
                first_error: BaseException | None = None
                for method, body, carried in self._profile.write_requests(entries):
                    error = self._send_part(op, path, chunk, method, body, carried, cancel, held)
                    if error is not None and first_error is None:
                        first_error = error
                return first_error
        except AmoError as exc:  # the lock could not be taken
            chunk.mark(entries, "not_sent", message=str(exc))
            return exc

    def _send_part(self, op: SaveOperation, path: str, chunk: Chunk, method: str, body: Any,
                   entries: list[Entry], cancel: threading.Event | None, locked: bool) -> BaseException | None:
        where = f"{op.name}: {method} {path}"
        try:
            response = self._client._request(method, path, json=body, cancel=cancel)  # type: ignore[arg-type]
        except TransportError as exc:
            if exc.sent is False:
                chunk.mark(entries, "not_sent", message=str(exc))
            else:
                chunk.mark(entries, "failed", message=f"no answer, may have been applied: {exc}")
            return exc
        except APIError as exc:
            if (
                isinstance(exc, ServerError)
                and len(entries) > 1
                and self._client.retry.should_split(exc.status)
            ):
                _logging.warning("%s: %d entities answered %d; saving them in two halves", op.name, len(entries),
                                 exc.status, event="split")
                mid = len(entries) // 2
                first = self._send_chunk(op, path, chunk, entries[:mid], cancel)
                if first is not None:
                    chunk.mark(entries[mid:], "not_sent")
                    return first
                return self._send_chunk(op, path, chunk, entries[mid:], cancel)
            failures = self._profile.failures_of(exc)
            if failures is not None:
                refuse(chunk, entries, failures)
            if isinstance(exc, ValidationError):
                adds = {e.request_id: (e.index, e.obj) for e in entries if e.request_id is not None}
                exc.failures = _fieldpath.failures(exc.validation_errors, op.model, adds)
            else:
                code = exc.api_code if exc.api_code is not None else exc.status
                chunk.mark(entries, "failed", code=code, message=str(exc))
            return exc
        chunk.responses.append(response)
        if response.no_content:
            chunk.mark(entries, "failed", message=f"empty answer (HTTP {response.status})")
            return DecodeError(f"{where}: empty answer", status=response.status)
        data = response.json()
        try:
            acks, failures, raw_errors = self._profile.read_answer(data, op.at)
            chunk.settle(entries, acks, failures, where=where)
        except DecodeError as exc:
            chunk.mark(entries, "failed", message=str(exc))
            return exc
        if locked and any(f.code == "conflict" for f in failures):
            retried = self._retry_conflict(op, path, chunk, entries, cancel, where)
            if retried is not None:
                return retried if isinstance(retried, BaseException) else None
        failed = [chunk.outcomes[e.index] for e in entries if chunk.outcomes[e.index].status != "applied"]
        if not failed:
            return None
        return _entity_error(where, failed, failures, raw_errors, response)

    def _retry_conflict(self, op: SaveOperation, path: str, chunk: Chunk, entries: list[Entry],
                        cancel: threading.Event | None, where: str) -> BaseException | bool | None:
        """Under the entity lock a stale-date refusal comes from a write within the same second (or a
        clock ahead of ours): re-read the stored ``updated_at``, send once more just after it."""
        entry = entries[0]
        obj = entry.obj
        getter = getattr(self, "get", None)
        if getter is None or entry.id is None:
            return None
        extra: dict[str, Any] = {}
        hook = getattr(obj, "_amo_get_args", None)
        if hook is not None:
            extra = dict(hook())
        stored = getattr(getter(entry.id, **extra), "updated_at", UNSET)
        if not isinstance(stored, int) or isinstance(stored, bool):
            return None
        now = int(time.time()) + int(self._client.config.updated_at_delta)
        entry.item.updated_at = _newer_than(now, stored)
        chunk.outcomes.pop(entry.index, None)
        for method, body, carried in self._profile.write_requests(entries):
            error = self._send_part(op, path, chunk, method, body, carried, cancel, False)
            if error is not None:
                return error
        return True


def _ack_dict(outcome: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": outcome.id}
    if outcome.request_id is not None:
        out["request_id"] = outcome.request_id
    if outcome.updated_at is not None:
        out["updated_at"] = outcome.updated_at
    return out


def _entity_error(where: str, failed: list[Any], failures: list[Failure], raw: Any, response: Response) -> EntityErrors:
    conflict = any(f.code == "conflict" for f in failures) and all(
        o.code == "conflict" or o.code is None for o in failed)
    codes = [o.code for o in failed if isinstance(o.code, int)]
    shown = "; ".join(
        f"#{o.index}{f' (id {o.id})' if o.id is not None else ''}: "
        f"{str(o.code) + ' ' if isinstance(o.code, int) else ''}{o.message}"
        for o in failed[:3]
    )
    more = f"; +{len(failed) - 3} more" if len(failed) > 3 else ""
    cls = ConflictError if conflict else EntityErrors
    return cls(
        f"{where}: {len(failed)} item(s) failed: {shown}{more}",
        errors=raw if raw is not None else [{"index": o.index, "message": o.message} for o in failed],
        code=codes[0] if codes else response.status,
        codes=codes,
        status=response.status,
        body=response.text,
    )


def _find_values(op: Operation, body: Any, name: str) -> list[Any] | None:
    """The list a chunked parameter put into the body (found through the template)."""
    from amocrm._core.ops import Ref

    def walk(template: Any, value: Any) -> list[Any] | None:
        if isinstance(template, Ref):
            return value if template.name == name and isinstance(value, list) else None
        if isinstance(template, Mapping) and isinstance(value, Mapping):
            for k, sub in template.items():
                if k in value:
                    found = walk(sub, value[k])
                    if found is not None:
                        return found
        return None

    if op.body is None:
        param = next(p for p in op.params if p.name == name)
        found = body.get(param.wire) if isinstance(body, Mapping) else None
        return found if isinstance(found, list) else None
    return walk(op.body, body)


def _replace_values(op: Operation, body: Any, name: str, part: list[Any]) -> Any:
    from amocrm._core.ops import Ref

    def walk(template: Any, value: Any) -> Any:
        if isinstance(template, Ref):
            return part if template.name == name else value
        if isinstance(template, Mapping) and isinstance(value, Mapping):
            return {k: walk(template[k], v) if k in template else v for k, v in value.items()}
        return value

    if op.body is None:
        param = next(p for p in op.params if p.name == name)
        return {**body, param.wire: part}
    return walk(op.body, body)
