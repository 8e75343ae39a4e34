"""In-memory account state: entities per kind, two-way links, tags, webhooks, incoming leads.

Not thread-safe by itself; the server holds one lock around every call.
"""

from __future__ import annotations

import time
from typing import Any

from . import seed as S
from .seed import SEED, FieldDef

__all__ = ["Store", "KINDS", "LINKABLE", "ELEMENT_TYPES", "Journal", "Tracked"]

KINDS = ("leads", "contacts", "companies", "customers", "tasks", "notes", "catalogs", "catalog_elements")
LINKABLE = ("leads", "contacts", "companies", "customers")
ELEMENT_TYPES = {1: "contacts", 2: "leads", 3: "companies", 4: "tasks", 12: "customers"}
TYPE_NAMES = {"contact": 1, "lead": 2, "company": 3, "task": 4, "customer": 12}
_FIRST_IDS = {"leads": 8100000, "contacts": 6100000, "companies": 7100000, "customers": 9100000,
              "tasks": 4100000, "notes": 4600000, "catalogs": 5100, "catalog_elements": 5600000}

Key = tuple[str, int]


class Journal:
    """Every change of one request, in order: the undo log of an atomic write and the feed of events.

    Entries are ``("item", kind, id, previous record or None)`` and ``("link", a, b, added)``.
    Records are never changed in place (a write stores a fresh dict), so the previous record is
    the state before the change.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[Any, ...]] = []

    def mark(self) -> int:
        return len(self.entries)

    def rollback(self, store: Store, mark: int) -> None:
        """Undo every change made since ``mark`` (ids handed out stay used, as in a database)."""
        for entry in reversed(self.entries[mark:]):
            if entry[0] == "item":
                _, kind, eid, old = entry
                items = store.items[kind]
                if old is None:
                    dict.pop(items, eid, None)
                else:
                    dict.__setitem__(items, eid, old)
            else:
                _, a, b, added = entry
                if added:
                    store.links.get(a, {}).pop(b, None)
                    store.links.get(b, {}).pop(a, None)
                else:
                    store.links.setdefault(a, {})[b] = None
                    store.links.setdefault(b, {})[a] = None
        del self.entries[mark:]

    def take(self) -> list[tuple[Any, ...]]:
        out, self.entries = self.entries, []
        return out


class Tracked(dict[int, dict[str, Any]]):
    """The records of one kind; every assignment and deletion is written to the journal."""

    def __init__(self, kind: str, journal: Journal) -> None:
        super().__init__()
        self.kind: str = kind
        self.journal: Journal = journal

    def __setitem__(self, key: int, value: dict[str, Any]) -> None:
        self.journal.entries.append(("item", self.kind, key, self.get(key)))
        super().__setitem__(key, value)

    def __delitem__(self, key: int) -> None:
        self.journal.entries.append(("item", self.kind, key, self.get(key)))
        super().__delitem__(key)


class Store:
    """The whole mutable state of one emulated account."""

    def __init__(self, subdomain: str, customers_mode: str = "segments") -> None:
        self.subdomain = subdomain
        self.journal: Journal = Journal()
        self.items: dict[str, Tracked] = {k: Tracked(k, self.journal) for k in KINDS}
        self.next_id: dict[str, int] = dict(_FIRST_IDS)
        self.links: dict[Key, dict[Key, None]] = {}
        self.tags: dict[str, int] = {}
        self.tag_names: dict[int, str] = {}
        self.next_tag: int = 10001
        self.fields: dict[str, dict[int, FieldDef]] = {
            k: {fd.id: fd for fd in defs} for k, defs in S.custom_field_defs().items()}
        self.webhooks: list[dict[str, Any]] = []
        self.next_webhook = 1
        self.incoming: dict[str, dict[str, Any]] = {}
        self.incoming_accepted = 0
        self.pipelines: list[dict[str, Any]] = S.pipelines()
        self.next_status = 40000
        self.next_pipeline = 3100
        #: state only API v4 exposes (loss reasons, events, users, roles, sources, ...), see ``v4.state``
        from .v4.state import V4State

        self.v4: V4State = V4State(self, customers_mode)
        now = int(time.time())
        dict.__setitem__(self.items["catalogs"], SEED.CATALOG_PRODUCTS, {
            "id": SEED.CATALOG_PRODUCTS, "name": "Товары", "type": "regular", "sort": 10, "created_by": SEED.USER_ADMIN,
            "created_at": now, "updated_at": now, "can_add_elements": True, "can_show_in_cards": True,
            "can_link_multiple": True})

    # -- ids, tags ------------------------------------------------------------------------------
    def new_id(self, kind: str) -> int:
        self.next_id[kind] += 1
        return self.next_id[kind]

    def claim_id(self, kind: str, wanted: int) -> int:
        """Use ``wanted`` (seeding) and keep generated ids above it."""
        self.next_id[kind] = max(self.next_id[kind], wanted)
        return wanted

    def tag_id(self, name: str) -> int:
        tid = self.tags.get(name)
        if tid is None:
            tid = self.next_tag
            self.next_tag += 1
            self.tags[name] = tid
            self.tag_names[tid] = name
        return tid

    # -- lookups --------------------------------------------------------------------------------
    def get(self, kind: str, eid: int, deleted_ok: bool = False) -> dict[str, Any] | None:
        rec = self.items[kind].get(eid)
        if rec is None or (rec.get("is_deleted") and not deleted_ok):
            return None
        return rec

    def field_defs(self, kind: str, catalog_id: int | None = None) -> dict[int, FieldDef]:
        if kind == "catalog_elements":
            return self.fields.get(f"catalog:{catalog_id}", {})
        return self.fields.get(kind, {})

    def pipeline_of_status(self, status_id: int, pipeline_id: int | None) -> int | None:
        for p in self.pipelines:
            if pipeline_id is not None and p["id"] != pipeline_id:
                continue
            if status_id in (SEED.STATUS_WON, SEED.STATUS_LOST) or any(s[0] == status_id for s in p["statuses"]) \
                    or status_id == p.get("unsorted_status"):
                return int(p["id"])
        return None

    def pipeline(self, pipeline_id: int) -> dict[str, Any] | None:
        return next((p for p in self.pipelines if p["id"] == pipeline_id), None)

    def first_status(self, pipeline_id: int) -> int:
        for p in self.pipelines:
            if p["id"] == pipeline_id:
                return int(p["statuses"][0][0])
        return int(self.pipelines[0]["statuses"][0][0])

    def main_pipeline(self) -> int:
        return int(next(p["id"] for p in self.pipelines if p["is_main"]))

    # -- links ----------------------------------------------------------------------------------
    def linked(self, kind: str, eid: int, other: str) -> list[int]:
        return [k[1] for k in self.links.get((kind, eid), {}) if k[0] == other and self.get(other, k[1])]

    def link(self, a: Key, b: Key) -> None:
        if a == b:
            return
        # a contact/lead/customer has at most one company
        for x, y in ((a, b), (b, a)):
            if y[0] == "companies" and x[0] != "companies":
                for old in [k for k in self.links.get(x, {}) if k[0] == "companies" and k != y]:
                    self.unlink(x, old)
        if b in self.links.get(a, {}):
            return
        self.links.setdefault(a, {})[b] = None
        self.links.setdefault(b, {})[a] = None
        self.journal.entries.append(("link", a, b, True))

    def unlink(self, a: Key, b: Key) -> None:
        if b not in self.links.get(a, {}):
            return
        self.links.get(a, {}).pop(b, None)
        self.links.get(b, {}).pop(a, None)
        self.journal.entries.append(("link", a, b, False))

    def is_linked(self, a: Key, b: Key) -> bool:
        return b in self.links.get(a, {})

    def drop_links(self, key: Key) -> None:
        for other in list(self.links.get(key, {})):
            self.unlink(key, other)
        self.links.pop(key, None)

    # -- admin view -----------------------------------------------------------------------------
    def snapshot(self, kind: str) -> list[dict[str, Any]]:
        """Stored records of ``kind`` (plain copies, links resolved) for tests to assert on."""
        if kind == "webhooks":
            return [dict(w, events=list(w["events"])) for w in self.webhooks]
        if kind == "incoming_leads":
            return [{k: v for k, v in rec.items() if k != "_fingerprint"} for rec in self.incoming.values()]
        if kind == "pipelines":
            return [dict(p, statuses=[list(s) for s in p["statuses"]]) for p in self.pipelines]
        if kind == "custom_fields":
            return [{"key": key, "id": fd.id, "name": fd.name, "type": fd.type_code, "field_type": fd.field_type,
                     "code": fd.code, "enums": [list(e) for e in fd.enums], "origin": fd.origin,
                     **dict(fd.extra)} for key, defs in self.fields.items() for fd in defs.values()]
        if kind not in self.items:
            return self.v4.snapshot(kind)
        out = []
        for eid, rec in self.items[kind].items():
            row = {k: v for k, v in rec.items() if k != "custom_fields"}
            row["custom_fields"] = {str(f): [dict(x) for x in vals] for f, vals in rec.get("custom_fields", {}).items()}
            row["tags"] = [self.tag_names[t] for t in rec.get("tags", [])]
            if kind in LINKABLE:
                for other in LINKABLE:
                    if other != kind:
                        row[f"linked_{other}"] = [k[1] for k in self.links.get((kind, eid), {}) if k[0] == other]
            out.append(row)
        return out
