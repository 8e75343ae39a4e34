"""Batch saves, I/O-free: chunks, add/update split, request ids, reading answers, every object's fate.

:func:`plan` turns the objects of one ``save()`` into chunks of write items. The version's write
style (see :mod:`amocrm._core.profiles`) turns a chunk into requests and reads each answer into
acknowledgements and failures; :meth:`Chunk.settle` attributes them to the input objects, writes
new ids back, and :class:`SaveResult` tells, for every input object, whether it was applied (with
its id), failed (with the server's code and message) or not sent.

An answer that acknowledges fewer items than were sent leaves the rest *failed* ("not
acknowledged"); ids that are not positive integers raise :class:`~amocrm.errors.DecodeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import msgspec
from msgspec import UNSET

from amocrm.errors import AmoError, DecodeError
from amocrm.lib.base import changed_fields

__all__ = ["Ack", "Chunk", "Entry", "Failure", "Outcome", "SaveResult", "plan", "refuse"]

Status = Literal["applied", "failed", "not_sent"]


@dataclass
class Outcome:
    """What happened to one input object of a save: ``status`` is ``applied``, ``failed`` or ``not_sent``."""

    #: Position of the object in the input.
    index: int
    #: The object itself (its ``id`` is set once applied).
    object: Any
    status: Status
    #: ``add`` or ``update``.
    action: str
    #: The entity id (known for applied objects and for failed updates).
    id: int | None = None
    request_id: str | None = None
    updated_at: int | None = None
    #: The server's error code and text for a failed object.
    code: int | str | None = None
    message: str | None = None
    #: Number of the chunk (request) the object was in.
    chunk: int = 0

    def __repr__(self) -> str:
        extra = f" id={self.id}" if self.id is not None else ""
        if self.status == "failed":
            extra += f" code={self.code!r} message={self.message!r}"
        return f"<Outcome #{self.index} {self.action} {self.status}{extra}>"


class SaveResult(Sequence[Outcome]):
    """Every input object's :class:`Outcome`, in input order; also on the exception of a failed save
    (``error.outcome``)."""

    def __init__(self, outcomes: list[Outcome], responses: Sequence[Any] = ()) -> None:
        self._outcomes = outcomes
        #: The raw answers of the write requests, in the order they were received.
        self.responses: list[Any] = list(responses)

    @overload
    def __getitem__(self, index: int) -> Outcome: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | Sequence[Outcome]:
        return self._outcomes[index]

    def __len__(self) -> int:
        return len(self._outcomes)

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self._outcomes)

    @property
    def applied(self) -> list[Outcome]:
        return [o for o in self._outcomes if o.status == "applied"]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self._outcomes if o.status == "failed"]

    @property
    def not_sent(self) -> list[Outcome]:
        return [o for o in self._outcomes if o.status == "not_sent"]

    @property
    def ok(self) -> bool:
        """Whether every object was applied."""
        return all(o.status == "applied" for o in self._outcomes)

    @property
    def ids(self) -> list[int | None]:
        """The id of every input object (``None`` where it has none)."""
        return [o.id for o in self._outcomes]

    def summary(self, limit: int = 3) -> str:
        """``3 of 500 failed, 20 not sent: #12 (id 5): 244 Adding is denied; ...``."""
        failed = self.failed
        text = f"{len(self.applied)} applied, {len(failed)} failed, {len(self.not_sent)} not sent of {len(self)}"
        if failed:
            shown = []
            for o in failed[:limit]:
                ident = f" (id {o.id})" if o.id is not None else ""
                code = f"{o.code} " if o.code is not None else ""
                shown.append(f"#{o.index}{ident}: {code}{o.message or 'failed'}")
            more = f"; +{len(failed) - limit} more" if len(failed) > limit else ""
            text += ": " + "; ".join(shown) + more
        return text

    def __repr__(self) -> str:
        return f"<SaveResult {self.summary(1)}>"


class Entry(msgspec.Struct, eq=False):
    """One input object in a chunk: its write item and how it is written.

    A Struct (built in C: one per saved object) compared by identity, like a plain object."""

    index: int
    obj: Any
    item: Any
    action: str
    request_id: str | None = None
    id: int | None = None

    def __repr__(self) -> str:
        return f"<Entry #{self.index} {self.action} id={self.id} request_id={self.request_id}>"


@dataclass
class Ack:
    """One item of a write answer: the entity id, the echoed request id, ``updated_at``."""

    id: Any = None
    request_id: Any = None
    updated_at: Any = None


@dataclass
class Failure:
    """One failed item of a write answer, found by id (updates), request id or position (adds)."""

    code: int | str | None
    message: str
    id: int | None = None
    request_id: str | None = None
    position: int | None = None
    action: str | None = None


@dataclass
class Chunk:
    """One write request's worth of objects and, once answered, their outcomes."""

    number: int
    entries: list[Entry]
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    #: Raw answers received for this chunk's requests.
    responses: list[Any] = field(default_factory=list)

    @property
    def adds(self) -> list[Entry]:
        return [e for e in self.entries if e.action == "add"]

    @property
    def updates(self) -> list[Entry]:
        return [e for e in self.entries if e.action == "update"]

    def mark(self, entries: Sequence[Entry], status: Status, *, code: int | str | None = None,
             message: str | None = None) -> None:
        """Record ``status`` for ``entries`` that have no outcome yet."""
        for e in entries:
            if e.index not in self.outcomes:
                self.outcomes[e.index] = Outcome(e.index, e.obj, status, e.action, id=e.id, request_id=e.request_id,
                                                 code=code, message=message, chunk=self.number)

    def settle(self, entries: Sequence[Entry], acks: Sequence[Ack], failures: Sequence[Failure],
               *, where: str) -> None:
        """Attribute an answer to ``entries`` (the items of one request) and write ids back.

        Raises :class:`DecodeError` for an answer whose ids are not positive integers; nothing is
        written back then.
        """
        by_request = {e.request_id: e for e in entries if e.action == "add" and e.request_id is not None}
        by_id = {e.id: e for e in entries if e.action == "update" and e.id is not None}
        adds = [e for e in entries if e.action == "add"]
        checked: list[tuple[Entry, int, int | None]] = []
        for ack in acks:
            ident = _check_id(ack.id, where)
            stamp = _check_stamp(ack.updated_at, where)
            target: Entry | None = None
            if ack.request_id is not None:
                target = by_request.get(str(ack.request_id))
            if target is None and ident in by_id:
                target = by_id[ident]
            if target is None and ack.request_id is None:
                # no request id echoed: the n-th such answer belongs to the n-th add (server order)
                free = [e for e in adds if all(e is not t for t, _, _ in checked)]
                target = free[0] if free else None
            if target is not None:
                checked.append((target, ident, stamp))
        for target, ident, stamp in checked:
            if target.action == "add":
                target.obj.id = ident
                target.id = ident
            # the version now stored: what an update sent (v2 stamps every update), else the answer's
            # (in seconds; one real v2 answer carried milliseconds, which is not trusted)
            sent = getattr(target.item, "updated_at", UNSET) if target.action == "update" else UNSET
            known = sent if isinstance(sent, int) else stamp if stamp is not None and stamp < 10**10 else None
            if known is not None and hasattr(target.obj, "updated_at"):
                target.obj.updated_at = known
            self.outcomes[target.index] = Outcome(target.index, target.obj, "applied", target.action, id=ident,
                                                  request_id=target.request_id, updated_at=stamp, chunk=self.number)
        for failure in failures:
            found = _find(entries, failure)
            for e in found:
                if e.index not in self.outcomes:
                    self.outcomes[e.index] = Outcome(e.index, e.obj, "failed", e.action, id=e.id,
                                                     request_id=e.request_id, code=failure.code,
                                                     message=failure.message, chunk=self.number)
        unattributed = [f for f in failures if not _find(entries, f)]
        leftover = [e for e in entries if e.index not in self.outcomes]
        if leftover:
            if unattributed:
                first = unattributed[0]
                self.mark(leftover, "failed", code=first.code, message=first.message)
            else:
                self.mark(leftover, "failed", message="not acknowledged by the server (no id in the answer)")


def refuse(chunk: Chunk, entries: Sequence[Entry], failures: Sequence[Failure]) -> None:
    """A request refused as a whole (nothing applied): the items it blamed fail with their reasons,
    the others with "not applied"."""
    for failure in failures:
        for e in _find(entries, failure):
            if e.index not in chunk.outcomes:
                chunk.outcomes[e.index] = Outcome(e.index, e.obj, "failed", e.action, id=e.id, request_id=e.request_id,
                                                  code=failure.code, message=failure.message, chunk=chunk.number)
    chunk.mark(entries, "failed", message="not applied: the request was refused because of other items")


def _find(entries: Sequence[Entry], failure: Failure) -> list[Entry]:
    if failure.id is not None and failure.action != "add":
        found = [e for e in entries if e.action == "update" and e.id == failure.id]
        if found:
            return found
    if failure.request_id is not None:
        found = [e for e in entries if e.action == "add" and e.request_id == failure.request_id]
        if found:
            return found
    if failure.position is not None:
        group = [e for e in entries if e.action == (failure.action or "add")]
        if 0 <= failure.position < len(group):
            return [group[failure.position]]
    return []


def _check_id(value: Any, where: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DecodeError(f"{where}: the write answer has an invalid id {value!r} (expected a positive integer)")
    return value


def _check_stamp(value: Any, where: str) -> int | None:
    if value is None or value is UNSET:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DecodeError(f"{where}: the write answer has an invalid updated_at {value!r}")
    return value


def plan(
    objects: Sequence[Any],
    writer: Callable[[Any], Any],
    size: int,
    *,
    string_request_ids: bool,
    checker: Callable[..., None] | None = None,
    what: str = "save",
    partial: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Chunk]:
    """Chunks of at most ``size`` objects; objects with an id are updates, the others adds.

    ``checker`` (the model's generated type check) runs over all objects first: a field of the wrong
    type raises :class:`~amocrm.errors.ConfigError` naming it, and nothing is sent.

    Adds get a ``request_id`` unique within their chunk (the caller's own when set; otherwise the
    smallest free number, ``"0"``, ``"1"``... as strings where the version wants them).

    ``partial`` (model attribute -> write fields; API v4): an update of an object read from the
    server sends its id and the fields changed since, nothing else -- an object with no change is
    not sent at all (it counts as applied). Objects built by the caller are sent whole.
    """
    if checker is not None:
        checker(objects, what)
    chunks: list[Chunk] = []
    for number, start in enumerate(range(0, len(objects), size)):
        part = objects[start : start + size]
        entries: list[Entry] = []
        unchanged: list[Entry] = []
        taken: set[str] = set()
        append = entries.append
        for offset, (obj, item) in enumerate(zip(part, map(writer, part), strict=True)):
            ident = obj.id
            if ident is not UNSET and ident is not None:
                if partial is not None:
                    changed = changed_fields(obj)
                    if changed is not None:
                        if not changed - {"id"}:
                            unchanged.append(Entry(start + offset, obj, item, "update", None, ident))
                            continue
                        keep = {"id"}.union(*(partial.get(a, ()) for a in changed))
                        for name in type(item).__struct_fields__:
                            if name not in keep:
                                setattr(item, name, UNSET)
                append(Entry(start + offset, obj, item, "update", None, ident))
                continue
            rid = item.request_id
            if rid is not UNSET and rid is not None:
                taken.add(str(rid))
                append(Entry(start + offset, obj, item, "add", str(rid)))
            else:
                append(Entry(start + offset, obj, item, "add"))
        auto = 0
        for e in entries:
            if e.action != "add" or e.request_id is not None:
                continue
            while str(auto) in taken:
                auto += 1
            taken.add(str(auto))
            e.request_id = str(auto)
            e.item.request_id = str(auto) if string_request_ids else auto
        chunk = Chunk(number, entries)
        for e in unchanged:
            chunk.outcomes[e.index] = Outcome(e.index, e.obj, "applied", "update", id=e.id, chunk=number,
                                              message="unchanged since read: nothing sent")
        chunks.append(chunk)
    return chunks


def outcome_of(chunks: Sequence[Chunk], total: int) -> SaveResult:
    """Every object's outcome, in input order (objects of chunks never answered count as not sent)."""
    outcomes: list[Outcome] = []
    responses: list[Any] = []
    for chunk in chunks:
        chunk.mark(chunk.entries, "not_sent")
        outcomes.extend(chunk.outcomes.values())
        responses.extend(chunk.responses)
    outcomes.sort(key=lambda o: o.index)
    assert len(outcomes) == total
    return SaveResult(outcomes, responses)


def annotate(error: AmoError, result: SaveResult, name: str) -> AmoError:
    """Put the outcome on ``error`` and the first failures into its message."""
    error.outcome = result
    text = f"{name}: {result.summary()}"
    first = str(error.args[0]) if error.args else ""
    if text not in first:
        error.args = (f"{first} [{text}]" if first else text, *error.args[1:])
    return error


def positions(value: Any) -> Mapping[str, Any]:
    """``_embedded.errors`` groups come as ``{key: message}`` maps or lists; a uniform mapping view."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}
