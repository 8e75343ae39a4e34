"""AmoClient, API v2 (``client.v2``): working with notes."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED
from amocrm.v2.constants import COMMON_NOTETYPE, LEAD_TYPE
from amocrm.v2.models import Note

with sandbox_info() as sb, connect(sb) as client:
    for note in client.v2.notes.list(type="lead", note_type=COMMON_NOTETYPE):
        print(note.id, note.text)
    print(client.v2.notes.list(type="contact", page_size=250).items)

    note = Note(element_id=SEED.LEAD_FIRST, element_type=LEAD_TYPE, note_type=COMMON_NOTETYPE,
                text="Текст примечания к сделке")
    client.v2.notes.save(note)
    note3 = client.v2.notes.get(SEED.NOTE_FIRST, type="lead")
    note3.text = "Новый текст события"
    client.v2.notes.save(note3)
    print(note.id)
