"""Keep a local copy of the account's leads in sync, fetching only what changed since the last run.

The copy is a JSON file (``--state``): the leads by id and the **cursor**, the ``created_at`` of the
newest event already applied.

* **First run** (no file yet): note the newest event's time (``GET /api/v4/events?limit=1``), then
  read every lead (250 a page) and save them with that cursor.
* **Later runs**: read the events feed from the cursor (``filter[created_at][from]``, inclusive;
  ``filter[entity]=lead`` and the lead event types below; oldest first, 100 a page), collect the ids
  of the leads the events name, re-read those leads by id (``filter[id][0]=…``, 250 ids a request) and
  replace them in the copy; a lead an event says was deleted (``lead_deleted``) and that the list
  no longer returns is removed. Then the cursor moves to the newest event applied and the file is
  replaced atomically.

Events are applied at least once: the feed is read from the cursor's second *inclusive*, so events
of that second come again on the next run; re-reading a lead is harmless, so that overlap costs a
request, never a change.

``--via updated-at`` does without the feed: it lists the leads with ``filter[updated_at][from]`` at
the cursor (the newest ``updated_at`` seen), and the deleted ones with ``with=only_deleted`` and the
same filter (leads in the trash; one removed from the trash for good shows in neither list). It costs
one request per 250 changed leads but sees only the lead's own ``updated_at``: a change that does not
move it (in the sandbox, linking a contact) is missed until the lead changes again. The cursor is
inclusive here too.

Run it: ``python examples/v4/sync_events.py --state leads.json [--via events|updated-at]
[--sandbox JSON] [--tokens DIR]``; run it again later to pick up the changes. It prints what it
fetched and changed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from _env import connect, parser, sandbox_info
from msgspec import UNSET

from amocrm import AmoClient
from amocrm.v4.models import Lead

PAGE = 250
#: Event types that change what the copy holds of a lead (its fields, stage, tags, custom fields, links).
LEAD_EVENTS = [
    "lead_added", "lead_deleted", "lead_restored", "lead_status_changed", "name_field_changed",
    "sale_field_changed", "entity_responsible_changed", "custom_field_value_changed", "entity_tag_added",
    "entity_tag_deleted", "contact_linked", "contact_unlinked", "company_linked", "company_unlinked",
]


def _v(value: Any) -> Any:
    return None if value is UNSET else value


def snapshot(lead: Lead) -> dict[str, Any]:
    """What the copy keeps of a lead: plain JSON data."""
    embedded = _v(lead.embedded)
    contacts = sorted(c.id for c in (_v(embedded.contacts) or []) if isinstance(c.id, int)) if embedded else []
    tags = sorted(str(t.name) for t in (_v(embedded.tags) or [])) if embedded else []
    fields = {str(_v(e.field_id)): [_v(v.value) for v in (_v(e.values) or [])]
              for e in (_v(lead.custom_fields_values) or [])}
    return {"id": lead.id, "name": _v(lead.name), "price": _v(lead.price), "pipeline_id": _v(lead.pipeline_id),
            "status_id": _v(lead.status_id), "responsible_user_id": _v(lead.responsible_user_id),
            "loss_reason_id": _v(lead.loss_reason_id), "updated_at": _v(lead.updated_at),
            "tags": tags, "contacts": contacts, "custom_fields": fields}


def load(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return state


def save(path: Path, state: dict[str, Any]) -> None:
    """Write the state to a temporary file next to it, then rename it over the old one (atomic)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(state, f, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)


def read_leads(client: AmoClient, ids: Iterable[int]) -> dict[int, Lead]:
    """The leads with these ids that still exist, 250 ids a request."""
    wanted = sorted(set(ids))
    found: dict[int, Lead] = {}
    for start in range(0, len(wanted), PAGE):
        chunk = wanted[start:start + PAGE]
        for lead in client.v4.leads.list(filter={"id": chunk}, with_=["contacts"], page_size=PAGE):
            if isinstance(lead.id, int):
                found[lead.id] = lead
    return found


def newest_event_time(client: AmoClient) -> int:
    page = client.v4.events.list(order={"created_at": "desc"}, page_size=1)
    return next((int(e.created_at) for e in page.items if isinstance(e.created_at, int)), 0)


def full_load(client: AmoClient, via: str) -> dict[str, Any]:
    """Every lead, and the cursor to continue from: the newest event's time (taken before the read,
    so a change made during it is seen next time), or the newest ``updated_at`` of the leads read."""
    cursor = newest_event_time(client) if via == "events" else 0
    leads = {str(lead.id): snapshot(lead) for lead in client.v4.leads.list(with_=["contacts"], page_size=PAGE)}
    if via == "updated-at":
        cursor = max((int(r["updated_at"] or 0) for r in leads.values()), default=0)
    print(f"full load: {len(leads)} leads, cursor {cursor}")
    return {"via": via, "cursor": cursor, "leads": leads}


def sync_events(client: AmoClient, state: dict[str, Any]) -> None:
    cursor = int(state["cursor"])
    touched: set[int] = set()
    deleted: set[int] = set()
    newest = cursor
    events = 0
    feed = client.v4.events.list(filter={"created_at": {"from": cursor}, "entity": ["lead"], "type": LEAD_EVENTS},
                                 order={"created_at": "asc"}, page_size=100)
    for event in feed:  # every page, oldest first
        eid = event.entity_id
        if not isinstance(eid, int):
            continue
        events += 1
        touched.add(eid)
        if event.type == "lead_deleted":
            deleted.add(eid)
        elif event.type in ("lead_added", "lead_restored"):
            deleted.discard(eid)
        if isinstance(event.created_at, int):
            newest = max(newest, event.created_at)
    fresh = read_leads(client, touched)
    leads: dict[str, Any] = state["leads"]
    updated = 0
    for lead_id, lead in fresh.items():
        new = snapshot(lead)
        if leads.get(str(lead_id)) != new:
            leads[str(lead_id)] = new
            updated += 1
    removed: list[int] = []
    for lead_id in sorted(deleted):
        if lead_id not in fresh and leads.pop(str(lead_id), None) is not None:  # gone, and the list agrees
            removed.append(lead_id)
    state["cursor"] = newest
    print(f"events since {cursor}: {events} for {len(touched)} leads; {updated} leads updated, "
          f"{len(removed)} removed {removed}; cursor {newest}")


def sync_updated_at(client: AmoClient, state: dict[str, Any]) -> None:
    cursor = int(state["cursor"])
    leads: dict[str, Any] = state["leads"]
    newest, updated, removed = cursor, 0, []
    # deleted first (leads in the trash, with=only_deleted), so a lead restored since is put back below
    for lead in client.v4.leads.list(filter={"updated_at": {"from": cursor}}, with_=["only_deleted"],
                                     page_size=PAGE):
        if leads.pop(str(lead.id), None) is not None:
            removed.append(lead.id)
        if isinstance(lead.updated_at, int):
            newest = max(newest, lead.updated_at)
    for lead in client.v4.leads.list(filter={"updated_at": {"from": cursor}}, with_=["contacts"], page_size=PAGE):
        new = snapshot(lead)
        if leads.get(str(lead.id)) != new:
            leads[str(lead.id)] = new
            updated += 1
        if isinstance(lead.updated_at, int):
            newest = max(newest, lead.updated_at)
    state["cursor"] = newest
    print(f"leads changed since {cursor}: {updated} leads updated, {len(removed)} removed {removed}; cursor {newest}")


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--state", required=True, type=Path, help="the local copy (a JSON file)")
    p.add_argument("--via", choices=("events", "updated-at"), default="events",
                   help="the events feed (default) or the leads' updated_at (and with=only_deleted)")
    args = p.parse_args()
    with sandbox_info(args.sandbox) as sb, connect(sb, args.tokens) as client:
        state = load(args.state)
        if state is None:
            state = full_load(client, args.via)
        elif state.get("via") != args.via:
            raise SystemExit(f"{args.state} was made with --via {state.get('via')}: its cursor means something else")
        elif args.via == "events":
            sync_events(client, state)
        else:
            sync_updated_at(client, state)
        save(args.state, state)
        print(f"{len(state['leads'])} leads in {args.state}")


if __name__ == "__main__":
    main()
