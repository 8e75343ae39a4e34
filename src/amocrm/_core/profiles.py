"""What differs between API versions at run time, declared per version in ``spec/versions.yaml``.

A :class:`Profile` names its version's base path, write style, error format and auth schemes;
the generated package of each version holds its ``PROFILE``. The write styles:

- ``envelope`` (v2): one ``POST`` per chunk, ``{"add": [...], "update": [...]}``; updates carry an
  ``updated_at`` newer than the version held (amoCRM refuses stale ones); the answer lists the saved
  items and, under ``_embedded.errors``, the failed ones (HTTP 200 either way).
- ``array`` (v4): ``POST`` an array of new objects, ``PATCH`` an array of changed ones; request ids
  are strings; a rejected request answers 400 ``validation-errors`` per request id and applies nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from amocrm._core.save import Ack, Entry, Failure, positions
from amocrm.errors import CONFLICT_MESSAGE, APIError, ValidationError

__all__ = ["Profile"]


@dataclass(frozen=True)
class Profile:
    """One API version's run-time behaviour (see the module docstring)."""

    id: str
    base_path: str
    write: str
    errors: str
    auth: tuple[str, ...]

    @property
    def string_request_ids(self) -> bool:
        return self.write == "array"

    @property
    def partial_updates(self) -> bool:
        """Whether updates send only the fields changed since read (v4: no ``updated_at`` precondition,
        so a whole object would overwrite what another writer changed meanwhile)."""
        return self.write == "array"

    @property
    def stamps_updates(self) -> bool:
        """Whether updates must carry a fresh ``updated_at`` (v2's optimistic check)."""
        return self.write == "envelope"

    # ----------------------------------------------------------------------------- requests

    def write_requests(self, entries: Sequence[Entry]) -> list[tuple[str, Any, list[Entry]]]:
        """The requests for one chunk: ``(method, body, the entries it carries)``."""
        adds = [e for e in entries if e.action == "add"]
        updates = [e for e in entries if e.action == "update"]
        if self.write == "envelope":
            body: dict[str, Any] = {}
            if adds:
                body["add"] = [e.item for e in adds]
            if updates:
                body["update"] = [e.item for e in updates]
            return [("POST", body, list(entries))] if body else []
        out: list[tuple[str, Any, list[Entry]]] = []
        if adds:
            out.append(("POST", [e.item for e in adds], adds))
        if updates:
            out.append(("PATCH", [e.item for e in updates], updates))
        return out

    # ----------------------------------------------------------------------------- answers

    def read_answer(self, data: Any, at: Sequence[str]) -> tuple[list[Ack], list[Failure], Any]:
        """Acknowledged and failed items of a 200 write answer, and the raw error section (or None)."""
        node: Any = data
        for key in at:
            node = node.get(key) if isinstance(node, Mapping) else None
        raw_items = list(node.values()) if isinstance(node, Mapping) else node if isinstance(node, list) else []
        acks = [
            Ack(id=i.get("id"), request_id=i.get("request_id"), updated_at=i.get("updated_at"))
            for i in raw_items
            if isinstance(i, Mapping) and "id" in i
        ]
        errors_raw: Any = None
        failures: list[Failure] = []
        if self.write == "envelope":
            embedded = data.get("_embedded") if isinstance(data, Mapping) else None
            errors_raw = embedded.get("errors") if isinstance(embedded, Mapping) else None
            if errors_raw:
                failures = _envelope_failures(errors_raw)
        return acks, failures, errors_raw or None

    def failures_of(self, error: APIError) -> list[Failure] | None:
        """Per-item failures a rejected request reports (v4 ``validation-errors``), or ``None``."""
        if not isinstance(error, ValidationError):
            return None
        out: list[Failure] = []
        for entry in error.validation_errors:
            if not isinstance(entry, Mapping):
                continue
            rid = entry.get("request_id")
            details = []
            code: Any = None
            for err in entry.get("errors") or []:
                if isinstance(err, Mapping):
                    code = code if code is not None else err.get("code")
                    details.append(f"{err.get('path')}: {err.get('detail')}")
            out.append(Failure(code=code, message="; ".join(details) or "validation failed",
                               request_id=None if rid is None else str(rid)))
        return out


def _code(value: Any) -> int | str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if value.isdigit() else value
    return None


def _envelope_failures(errors: Any) -> list[Failure]:
    """v2 ``_embedded.errors``: ``{"update": {id: message} | [{code, message, id?, index?}],
    "add": [{code, message, index?, request_id?}] | {index: message}}``."""
    out: list[Failure] = []
    if not isinstance(errors, Mapping):
        return [Failure(code=None, message=str(errors))]
    for action in ("update", "add"):
        group = errors.get(action)
        if not group:
            continue
        for key, value in positions(group).items():
            if isinstance(value, Mapping):
                message = str(value.get("message") or value.get("msg") or value.get("error") or value)
                code = _code(value.get("code"))
                ident = value.get("id")
                rid = value.get("request_id")
                index = value.get("index")
            else:
                message, code, ident, rid, index = str(value), None, None, None, None
                if isinstance(group, Mapping):
                    if action == "update":
                        ident = key
                    else:
                        index = key
                elif action == "add":
                    index = key
            if CONFLICT_MESSAGE[:30] in message:
                code = "conflict"
            out.append(Failure(
                code=code,
                message=message,
                id=int(ident) if isinstance(ident, (int, str)) and str(ident).isdigit() else None,
                request_id=None if rid is None else str(rid),
                position=int(index) if isinstance(index, (int, str)) and str(index).isdigit() else None,
                action=action,
            ))
    return out
