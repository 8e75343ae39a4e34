"""client.v4.tasks and client.v4.notes (per entity kind and per entity; pin/unpin) against the sandbox."""

from __future__ import annotations

import pytest

from amocrm.errors import ConfigError, NotFoundError, ValidationError
from amocrm.sandbox import SEED, Sandbox
from amocrm.v4.client import V4
from amocrm.v4.constants import TaskType
from amocrm.v4.models import Note, NoteParams, Task, TaskResult

from .conftest import sent

DUE = 2000000000


def test_tasks(v4: V4, sb: Sandbox) -> None:
    seeded = v4.tasks.get(SEED.TASK_FIRST)
    assert seeded.entity_type == "leads" and seeded.entity_id == SEED.LEAD_FIRST and seeded.result is None
    tasks = [Task(text="call back", complete_till=DUE, task_type_id=TaskType.CALL, entity_id=SEED.LEAD_SECOND,
                  entity_type="leads"),
             Task(text="free task", complete_till=DUE + 60, responsible_user_id=SEED.USER_MANAGER)]
    assert v4.tasks.save(tasks).ok and all(isinstance(t.id, int) for t in tasks)
    stored = {e["id"]: e for e in sb.entities("tasks")}
    assert stored[tasks[0].id]["element_id"] == SEED.LEAD_SECOND  # type: ignore[index]
    mine = v4.tasks.list(filter={"entity_type": "leads", "entity_id": [SEED.LEAD_SECOND]})
    assert [t.id for t in mine] == [tasks[0].id]
    assert [t.id for t in v4.tasks.list(filter={"responsible_user_id": SEED.USER_MANAGER})] == [tasks[1].id]
    in_stage = v4.tasks.list(filter={"lead_statuses": [(SEED.PIPELINE_MAIN, SEED.STATUS_MAIN_NEW)]})
    assert SEED.TASK_FIRST in {t.id for t in in_stage}
    ordered = [t.complete_till for t in v4.tasks.list(order={"complete_till": "desc"})]
    assert ordered == sorted(ordered, reverse=True)

    got = v4.tasks.get(tasks[1].id)  # type: ignore[arg-type]
    got.text = "changed"
    assert v4.tasks.save(got).ok
    assert v4.tasks.update(tasks[1].id, Task(duration=600)).id == tasks[1].id  # type: ignore[arg-type]
    done = v4.tasks.complete(tasks[0].id, "talked, will buy")  # type: ignore[arg-type]
    assert done.id == tasks[0].id
    final = v4.tasks.get(tasks[0].id)  # type: ignore[arg-type]
    assert final.is_completed is True and final.result == TaskResult(text="talked, will buy")
    assert [t.id for t in v4.tasks.list(filter={"is_completed": True})] == [tasks[0].id]
    assert v4.tasks.get(tasks[1].id).text == "changed"  # type: ignore[arg-type]


def test_task_needs_due_time(v4: V4, sb: Sandbox) -> None:
    task = Task(text="no due time")
    with pytest.raises(ValidationError) as info:
        v4.tasks.save(task)
    assert info.value.outcome is not None and "complete_till" in (info.value.outcome[0].message or "")
    before = sent(sb)
    with pytest.raises(ConfigError, match=r"tasks.save\(objects\).complete_till"):
        v4.tasks.save(Task(text="x", complete_till="tomorrow"))  # type: ignore[arg-type]
    assert sent(sb) == before


def test_notes_per_entity_kind(v4: V4, sb: Sandbox) -> None:
    notes = [
        Note(entity_id=SEED.LEAD_FIRST, note_type="common", params=NoteParams(text="hello")),
        Note(entity_id=SEED.LEAD_FIRST, note_type="call_in", params=NoteParams(
            uniq="call-1", duration=61, source="pbx", phone="+79990000001", call_status=4)),
        Note(entity_id=SEED.LEAD_SECOND, note_type="sms_out", params=NoteParams(text="hi", phone="+7999")),
    ]
    assert v4.notes.save(notes, "leads").ok and all(isinstance(n.id, int) for n in notes)
    page = v4.notes.list("leads", filter={"entity_id": [SEED.LEAD_FIRST], "note_type": ["call_in", "common"]})
    assert {n.id for n in page} >= {notes[0].id, notes[1].id} and notes[2].id not in {n.id for n in page}
    call = v4.notes.get("leads", notes[1].id)  # type: ignore[arg-type]
    assert call.note_type == "call_in" and call.params is not None and call.params.duration == 61
    assert call.params.call_status == 4
    assert v4.notes.update("leads", notes[0].id, Note(params=NoteParams(text="hello again"))).id == notes[0].id  # type: ignore[arg-type]
    assert v4.notes.get("leads", notes[0].id).params == NoteParams(text="hello again")  # type: ignore[arg-type]

    got = v4.notes.get("leads", notes[2].id)  # type: ignore[arg-type]
    got.params = NoteParams(text="hi there", phone="+7999")
    assert v4.notes.save(got, "leads").ok
    assert v4.notes.get("leads", notes[2].id).params.text == "hi there"  # type: ignore[arg-type,union-attr]

    assert v4.notes.pin("leads", notes[0].id) is None  # type: ignore[arg-type]
    assert v4.notes.get("leads", notes[0].id, with_=["is_pinned"]).is_pinned is True  # type: ignore[arg-type]
    assert v4.notes.unpin("leads", notes[0].id) is None  # type: ignore[arg-type]
    assert v4.notes.get("leads", notes[0].id, with_=["is_pinned"]).is_pinned is False  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        v4.notes.get("contacts", notes[0].id)  # type: ignore[arg-type]
    before = sent(sb)
    with pytest.raises(ConfigError, match="entity_type"):
        v4.notes.list("tasks")  # type: ignore[arg-type]
    assert sent(sb) == before


def test_notes_of_one_entity(v4: V4, sb: Sandbox) -> None:
    note = Note(note_type="geolocation", params=NoteParams(text="here", address="Moscow", longitude="37.6",
                                                           latitude="55.7"))
    assert v4.notes.save_for(note, "contacts", SEED.CONTACT_IVAN).ok and isinstance(note.id, int)
    assert [n.entity_id for n in v4.notes.list_for("contacts", SEED.CONTACT_IVAN)] == [SEED.CONTACT_IVAN]
    got = v4.notes.get_for("contacts", SEED.CONTACT_IVAN, note.id)
    assert got.params is not None and got.params.address == "Moscow"
    v4.notes.update_for("contacts", SEED.CONTACT_IVAN, note.id, Note(params=NoteParams(address="Kazan")))
    again = v4.notes.get_for("contacts", SEED.CONTACT_IVAN, note.id)
    assert again.params is not None and again.params.address == "Kazan" and again.params.text == "here"
    with pytest.raises(NotFoundError):
        v4.notes.get_for("contacts", SEED.CONTACT_MARIA, note.id)
    for kind, eid in (("companies", SEED.COMPANY_ACME), ("customers", SEED.CUSTOMER_FIRST)):
        n = Note(note_type="service_message", params=NoteParams(service="robot", text=f"on {kind}"))
        v4.notes.save_for(n, kind, eid)  # type: ignore[arg-type]
        assert [x.params.text for x in v4.notes.list(kind, filter={"id": n.id})] == [f"on {kind}"]  # type: ignore[arg-type,union-attr]
