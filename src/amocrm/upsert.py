"""Add-or-update ("upsert") contacts and companies matched by phone, e-mail or id.

::

    from amocrm.upsert import upsert
    from amocrm.v2.models import Contact

    people = [Contact(name="Ivan").set_custom_field(PHONE_FIELD_ID, [{"value": "8 (999) 000-00-01",
                                                                      "enum": "WORK"}])]
    result = upsert(client.v2.contacts, people, key="phone")
    for row in result:
        print(row.index, row.status, row.id, row.message)    # added / updated / unchanged / failed

The existing entities are read once, page by page (``⌈existing / page size⌉`` requests, one more when
the last page is full), plus one request for the account's field definitions; then new objects are
added and changed ones updated in batches (``⌈changed / batch size⌉`` requests, one more on API v4 when
a batch mixes new and changed objects). It never sends one query per record.

Matching: phones by :func:`normalize_phone` (``+7 (999) 000-00-01``, ``8 999 000 00 01`` and
``79990000001`` are one number), e-mails by :func:`normalize_email` (case and spaces ignored), ids
as they are. A match is updated only in what the record sets and only where that differs: phones and
e-mails (multitext fields) are added to the ones the entity has, other fields are replaced. Works
with API v2 and v4 resources (``client.v2.contacts``, ``client.v4.contacts``).
"""

# The helper reads the resource's operation descriptors and client, which are package-internal.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import msgspec
from msgspec import UNSET

from amocrm._fieldvalues import (
    FieldDef,
    Value,
    _field_list,
    api_of,
    canonical,
    entity_fields,
    load_definitions,
    write_values,
)
from amocrm.errors import AmoError, ConfigError
from amocrm.progress import Progress, ProgressCallback, save_in_steps

__all__ = ["Key", "RowStatus", "UpsertResult", "UpsertRow", "normalize_email", "normalize_phone", "upsert"]

#: What records are matched by.
Key = Literal["phone", "email", "id"]
#: What happened to one record.
RowStatus = Literal["added", "updated", "unchanged", "failed"]

#: Fields an upsert never compares or sends (the server sets them).
READ_ONLY = frozenset({
    "id", "created_at", "updated_at", "created_by", "updated_by", "account_id", "group_id", "closest_task_at",
    "is_deleted", "request_id", "links", "closed_at", "main_contact", "score", "is_price_modified_by_robot",
    "custom_fields", "custom_fields_values", "embedded", "unlink",
})

_EXTENSION = re.compile(r"(?i)\s*(?:доб\.?|ext\.?|extension|#)\s*\d+\s*$")


def normalize_phone(text: str, *, default_country: str | None = "7") -> str:
    """A phone number as digits with its country code: ``+79990000001``; ``""`` without digits.

    Punctuation, spaces and an extension (``доб. 12``, ``ext 12``) are dropped; ``+`` and ``00`` keep
    the country code (``+44 20 7946 0958`` -> ``+442079460958``). With ``default_country="7"`` (the
    default) Russian numbers written nationally get it too: 11 digits starting with 8 or 7
    (``8 999 000-00-01``) and 10 digits starting with 9 (``999 000 00 01``). Other numbers without a
    country code stay bare digits.
    """
    if not isinstance(text, str):
        raise ConfigError(f"phone must be a str, got {type(text).__name__}")
    raw = _EXTENSION.sub("", text.strip())
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return ""
    if raw.startswith("+"):
        return "+" + digits
    if digits.startswith("00") and len(digits) > 4:
        return "+" + digits[2:]
    if default_country == "7":
        if len(digits) == 11 and digits[0] in "78":
            return "+7" + digits[1:]
        if len(digits) == 10 and digits[0] == "9":
            return "+7" + digits
    return digits


def normalize_email(text: str) -> str:
    """An e-mail address trimmed and lower-cased (``mailto:`` dropped); ``""`` for blank text."""
    if not isinstance(text, str):
        raise ConfigError(f"email must be a str, got {type(text).__name__}")
    value = text.strip()
    if value.lower().startswith("mailto:"):
        value = value[7:]
    return value.strip().lower()


@dataclass
class UpsertRow:
    """The outcome for one record: ``status``, the entity ``id``, the matched ``key`` and the server's message."""

    #: Position of the record in the input (0-based).
    index: int
    status: RowStatus
    id: int | None = None
    #: The normalised key the record was matched by (``+79990000001``), or ``None``.
    key: str | None = None
    #: Why it failed (the server's error text), or a note (``also matches id 5``).
    message: str | None = None
    #: The object sent (the record for an add, a partial copy for an update), or ``None``.
    sent: Any = field(default=None, repr=False)


class UpsertResult(Sequence[UpsertRow]):
    """One :class:`UpsertRow` per input record, in input order, and the counts."""

    def __init__(self, rows: list[UpsertRow], *, existing: int = 0, read_requests: int = 0,
                 write_requests: int = 0) -> None:
        self._rows = rows
        #: How many entities were read to match against.
        self.existing: int = existing
        #: Requests spent reading (definitions and pages) and writing.
        self.read_requests: int = read_requests
        self.write_requests: int = write_requests

    @overload
    def __getitem__(self, index: int) -> UpsertRow: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[UpsertRow]: ...

    def __getitem__(self, index: int | slice) -> UpsertRow | Sequence[UpsertRow]:
        return self._rows[index]

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[UpsertRow]:
        return iter(self._rows)

    def with_status(self, status: RowStatus) -> list[UpsertRow]:
        """The rows with ``status``."""
        return [r for r in self._rows if r.status == status]

    @property
    def ok(self) -> bool:
        """Whether no row failed."""
        return all(r.status != "failed" for r in self._rows)

    def summary(self) -> str:
        """``1000 rows: 400 added, 500 updated, 90 unchanged, 10 failed``."""
        parts = [f"{len(self.with_status(s))} {s}" for s in ("added", "updated", "unchanged", "failed")]
        return f"{len(self._rows)} rows: {', '.join(parts)}"

    def __repr__(self) -> str:
        return f"<UpsertResult {self.summary()}>"


def _operation(resource: Any) -> Any:
    ops: Any = getattr(type(resource), "_operations", None)
    op = ops.get("save") if ops is not None and hasattr(ops, "get") else None
    if op is None or not hasattr(resource, "list"):
        raise ConfigError(f"upsert needs a resource with list() and save() (client.contacts...), got {resource!r}")
    return op


def _key_values(record: Any, key: Key, key_field: FieldDef | None, default_country: str | None) -> list[str]:
    if key == "id":
        ident = getattr(record, "id", UNSET)
        return [str(ident)] if isinstance(ident, int) and not isinstance(ident, bool) else []
    assert key_field is not None
    out: list[str] = []
    for fid, _, code, values in entity_fields(record):
        if fid != key_field.id and not (code and code == key_field.code):
            continue
        for v in values:
            text = "" if v.value is None else str(v.value)
            norm = normalize_phone(text, default_country=default_country) if key == "phone" else normalize_email(text)
            if norm and norm not in out:
                out.append(norm)
    return out


def _defs_by_id(definitions: Sequence[FieldDef]) -> dict[int, FieldDef]:
    return {d.id: d for d in definitions}


def _merge_multitext(existing: list[Value], wanted: list[Value], fdef: FieldDef) -> list[Value]:
    have = {canonical([v], fdef) for v in existing}
    merged = list(existing)
    for v in wanted:
        token = canonical([v], fdef)
        if token not in have:
            merged.append(v)
            have.add(token)
    return merged


def _changes(record: Any, existing: Any, model: type, defs: dict[int, FieldDef], api: str) -> Any | None:
    """A partial object with what ``record`` changes on ``existing``, or None when nothing differs."""
    update = model(id=existing.id)
    changed = False
    for name in getattr(model, "__struct_fields__", ()):
        if name in READ_ONLY:
            continue
        wanted = getattr(record, name, UNSET)
        if wanted is UNSET:
            continue
        current = getattr(existing, name, UNSET)
        if _same(wanted, current):
            continue
        setattr(update, name, wanted)
        changed = True
    current_fields = {fid: values for fid, _, _, values in entity_fields(existing)}
    for fid, _, _, wanted_values in entity_fields(record):
        fdef = defs.get(fid) or FieldDef(fid, "", None, "text")
        have = current_fields.get(fid, [])
        desired = _merge_multitext(have, wanted_values, fdef) if fdef.type == "multitext" else wanted_values
        if canonical(desired, fdef) == canonical(have, fdef):
            continue
        write_values(update, fdef, desired)
        changed = True
    if not changed:
        return None
    if api == "v2":
        known = getattr(existing, "updated_at", UNSET)
        if isinstance(known, int):
            update.updated_at = known
    return update


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, msgspec.Struct) or isinstance(b, msgspec.Struct):
        return msgspec.to_builtins(a) == msgspec.to_builtins(b) if b is not UNSET else False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return float(a) == float(b)
    return bool(a == b)


def _check(op: Any, obj: Any) -> str | None:
    checker = getattr(op, "checker", None)
    if checker is None:
        return None
    try:
        checker([obj], type(obj).__name__)
    except ConfigError as exc:
        return str(exc)
    return None


def _read_all(resource: Any, progress: ProgressCallback | None) -> tuple[list[Any], int]:
    """Every entity, page after page with no pages fetched ahead (the request count stays exact)."""
    import time

    started = time.monotonic()
    items: list[Any] = []
    requests = 1
    page = resource.list()
    while page is not None:
        items.extend(page.items)
        if progress is not None:
            progress(Progress(len(items), None, time.monotonic() - started, stage="read"))
        if not page.has_next_page():
            break
        requests += 1
        page = page.next_page()
    if progress is not None:
        progress(Progress(len(items), len(items), time.monotonic() - started, final=True, stage="read"))
    return items, requests


def upsert(
    resource: Any,
    records: Iterable[Any],
    *,
    key: Key,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
    default_country: str | None = "7",
) -> UpsertResult:
    """Add the records that match no existing entity and update the ones that do; one row per record.

    ``resource`` is a contacts or companies resource (``client.contacts``, ``client.v4.companies``; any
    resource with ``key="id"``), ``records`` model objects of that resource holding what each entity
    should have. ``progress`` gets the reading (``stage="read"``) and the saving (``stage="save"``)
    progress. ``dry_run`` reads and compares but sends nothing (rows say what would happen).
    Records with no key value (no phone for ``key="phone"``) and records with the same key as an
    earlier one fail without being sent. Errors of single objects end up in their rows; an error
    that stops everything (a lost connection) fails the rows not sent yet, with its message.
    """
    return run_upsert(resource, records, key=key, batch_size=batch_size, progress=progress, dry_run=dry_run,
                      default_country=default_country)


def run_upsert(
    resource: Any,
    records: Iterable[Any],
    *,
    key: Key,
    definitions: Sequence[FieldDef] | None = None,
    batch_size: int | None = None,
    progress: ProgressCallback | None = None,
    dry_run: bool = False,
    default_country: str | None = "7",
    preset: Sequence[UpsertRow | None] = (),
    name_of: Callable[[int], str] = lambda i: f"record {i}",
) -> UpsertResult:
    """:func:`upsert` with field definitions already loaded (the CLI passes those it read), rows that
    already failed before (``preset[i]`` not None: record ``i`` is skipped and reported as given), and
    ``name_of(i)`` naming an earlier record in messages (the CLI says ``row 7``)."""
    if key not in ("phone", "email", "id"):
        raise ConfigError(f"key must be 'phone', 'email' or 'id', got {key!r}")
    op = _operation(resource)
    model: type = op.model
    api = api_of(model)
    items = list(records)
    for i, record in enumerate(items):
        if not isinstance(record, model) and not (i < len(preset) and preset[i] is not None):
            raise ConfigError(f"records[{i}]: expected a {model.__name__}, got {type(record).__name__}")
    reads = 0
    key_field: FieldDef | None = None
    if definitions is None:
        entity = str(op.name).split(".", 1)[0]
        client = resource._client
        definitions = load_definitions(client, entity, "v4" if api == "v4" else "v2")
        reads += 1
    defs = _defs_by_id(definitions)
    if key != "id":
        code = "PHONE" if key == "phone" else "EMAIL"
        key_field = next((d for d in definitions if d.code == code), None)
        if key_field is None:
            raise ConfigError(f"the account has no {code} field for {model.__name__} objects: cannot match by {key}")
    by_code = {d.code.casefold(): d for d in definitions if d.code}
    for i, record in enumerate(items):
        if not (i < len(preset) and preset[i] is not None):
            _ids_for_codes(record, by_code, api)
    existing, pages = _read_all(resource, progress)
    reads += pages
    index: dict[str, Any] = {}
    for entity_obj in sorted(existing, key=lambda e: e.id if isinstance(e.id, int) else 0):
        for token in _key_values(entity_obj, key, key_field, default_country):
            index.setdefault(token, entity_obj)

    rows: list[UpsertRow | None] = [None] * len(items)
    adds: list[tuple[int, Any]] = []
    updates: list[tuple[int, Any]] = []
    claimed: dict[int | str, int] = {}  # entity id or new key -> first row
    for i, record in enumerate(items):
        if i < len(preset) and preset[i] is not None:
            rows[i] = preset[i]
            continue
        tokens = _key_values(record, key, key_field, default_country)
        if not tokens and key != "id":
            rows[i] = UpsertRow(i, "failed", message=f"no {key} to match by")
            continue
        matches = [index[t] for t in tokens if t in index]
        shown = tokens[0] if tokens else None
        if not matches:
            if key == "id" and tokens:
                rows[i] = UpsertRow(i, "failed", key=shown, message=f"no entity with id {shown}")
                continue
            first = next((claimed[t] for t in tokens if t in claimed), None)
            if first is not None:
                rows[i] = UpsertRow(i, "failed", key=shown, message=f"same {key} as {name_of(first)}; not sent")
                continue
            for t in tokens:
                claimed[t] = i
            problem = _check(op, record)
            if problem is not None:
                rows[i] = UpsertRow(i, "failed", key=shown, message=problem)
                continue
            adds.append((i, record))
            rows[i] = UpsertRow(i, "added", key=shown, sent=record)
            continue
        target = matches[0]
        note = None
        others = sorted({m.id for m in matches if m.id != target.id})
        if others:
            note = f"also matches id {', '.join(str(o) for o in others)}"
        if target.id in claimed:
            rows[i] = UpsertRow(i, "failed", id=target.id, key=shown,
                                message=f"matches the same entity as {name_of(claimed[target.id])}; not sent")
            continue
        claimed[target.id] = i
        update = _changes(record, target, model, defs, api)
        if update is None:
            rows[i] = UpsertRow(i, "unchanged", id=target.id, key=shown, message=note)
            continue
        problem = _check(op, update)
        if problem is not None:
            rows[i] = UpsertRow(i, "failed", id=target.id, key=shown, message=problem)
            continue
        updates.append((i, update))
        rows[i] = UpsertRow(i, "updated", id=target.id, key=shown, message=note, sent=update)

    writes = 0
    if not dry_run and (adds or updates):
        writes = _save(resource, adds + updates, rows, batch_size, progress)
    final = [r if r is not None else UpsertRow(i, "failed", message="not processed") for i, r in enumerate(rows)]
    return UpsertResult(final, existing=len(existing), read_requests=reads, write_requests=writes)


def _ids_for_codes(record: Any, by_code: dict[str, FieldDef], api: str) -> None:
    """Give the custom-field entries the record names by code only (``set_value("PHONE", Phone(...))``)
    their field id, so they are matched and compared like entries written by id."""
    id_attr, code_attr = ("field_id", "field_code") if api == "v4" else ("id", "code")
    for entry in _field_list(record, api_of(record)):
        fid, code = getattr(entry, id_attr, UNSET), getattr(entry, code_attr, UNSET)
        if isinstance(fid, int) or not isinstance(code, str):
            continue
        found = by_code.get(code.casefold())
        if found is not None:
            setattr(entry, id_attr, found.id)


def _save(resource: Any, pending: list[tuple[int, Any]], rows: list[UpsertRow | None], batch_size: int | None,
          progress: ProgressCallback | None) -> int:
    """Send adds then updates (so a v4 batch mixes them at most once); record each outcome in ``rows``."""
    objects = [obj for _, obj in pending]
    staged: Callable[[Progress], None] | None = None
    if progress is not None:
        report = progress

        def restaged(p: Progress) -> None:
            report(Progress(p.done, p.total, p.elapsed, final=p.final, stage="save"))

        staged = restaged

    position = 0
    requests = 0
    try:
        steps = save_in_steps(resource, objects, batch_size=batch_size, continue_on_error=True, progress=staged)
        for result in steps:
            requests += len(result.responses) if result.responses else 0
            for outcome in result:
                row_index = pending[position + outcome.index][0]
                row = rows[row_index]
                assert row is not None
                if outcome.status == "applied":
                    row.id = outcome.id if outcome.id is not None else row.id
                else:
                    code = f"{outcome.code}: " if outcome.code is not None else ""
                    what = "not sent" if outcome.status == "not_sent" else "failed"
                    row.status = "failed"
                    row.message = f"{what}: {code}{outcome.message or 'no details'}"
            position += len(result)
    except AmoError as exc:  # a failure with no per-object outcome stopped the rest: reported on their rows
        for row_index, _ in pending[position:]:
            row = rows[row_index]
            if row is not None:
                row.status = "failed"
                row.message = f"not sent: {exc}"
    return requests
