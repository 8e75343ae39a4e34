"""Notes and tasks on a lead: notes of a few types with their params, one pinned; a task done with a result.

It adds a lead ("Notes and tasks demo") unless ``--lead ID`` names one, then:

* adds three notes in one request (``POST /api/v4/leads/notes``): a ``common`` note (``params.text``),
  an incoming call (``call_in``: ``uniq``, ``duration``, ``source``, ``phone``, ``link``,
  ``call_status``) and a ``service_message`` (``service``, ``text``);
* pins the common note (``POST /api/v4/leads/notes/{id}/pin``) and reads it back with
  ``with=is_pinned``;
* creates a call task for the lead due in an hour (``POST /api/v4/tasks``) and completes it with a
  result text (``PATCH /api/v4/tasks/{id}`` with ``is_completed`` and ``result``).

Run it: ``python examples/v4/notes_and_tasks.py [--lead ID] [--sandbox JSON] [--tokens DIR]``. It prints
the notes' ids and types, which one is pinned, and the task with its result.
"""

from __future__ import annotations

import time

from _env import connect, parser, sandbox_info

from amocrm.v4.constants import CallStatus, TaskType
from amocrm.v4.models import Lead, Note, NoteParams, Task


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--lead", type=int, default=0, help="the lead to work on (default: add one)")
    args = p.parse_args()
    with sandbox_info(args.sandbox) as sb, connect(sb, args.tokens) as client:
        lead_id: int = args.lead
        if not lead_id:
            lead = Lead(name="Notes and tasks demo", price=2500)
            client.v4.leads.save(lead)
            assert isinstance(lead.id, int)
            lead_id = lead.id
        print("lead", lead_id)

        common = Note(entity_id=lead_id, note_type="common", params=NoteParams(text="Asked for a quote by e-mail"))
        call = Note(entity_id=lead_id, note_type="call_in", params=NoteParams(
            uniq="call-2024-0001", duration=95, source="office PBX", phone="+79990000001",
            link="https://pbx.example.com/records/0001.mp3", call_status=CallStatus.TALKED))
        service = Note(entity_id=lead_id, note_type="service_message", params=NoteParams(
            service="Quote robot", text="Quote #17 sent"))
        client.v4.notes.save([common, call, service], "leads")  # one request; ids written back
        for note in (common, call, service):
            print("note", note.id, note.note_type)

        assert isinstance(common.id, int)
        client.v4.notes.pin("leads", common.id)
        pinned = client.v4.notes.get("leads", common.id, with_=["is_pinned"])
        print("pinned", pinned.id, pinned.is_pinned)

        task = Task(text="Call back about the quote", entity_id=lead_id, entity_type="leads",
                    task_type_id=TaskType.CALL, complete_till=int(time.time()) + 3600)
        client.v4.tasks.save(task)
        assert isinstance(task.id, int)
        client.v4.tasks.complete(task.id, "Agreed on the price, sending the contract")
        done = client.v4.tasks.get(task.id)
        result = done.result.text if done.result else None
        print("task", done.id, "completed" if done.is_completed else "open", "result:", result)


if __name__ == "__main__":
    main()
