"""Seed README: working with notes (events)."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoNote, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        for items in AmoAPI.get_all_notes({"type": "lead", "note_type": AmoNote.COMMON_NOTETYPE}):
            for item in items:
                print(item["id"], item.get("text"))
        # Notes of contacts, one page (the README called get_leads here by mistake).
        for item in AmoAPI.get_notes({"type": "contact", "limit_rows": 250, "limit_offset": 0}) or []:
            print(item["id"], item.get("text"))

        note = AmoNote({
            "element_id": SEED.LEAD_FIRST,
            "note_type": AmoNote.COMMON_NOTETYPE,
            "element_type": AmoNote.LEAD_TYPE,
            "text": "Текст примечания к сделке",
        })
        note_id = note.save()

        note2 = AmoNote({"id": note_id, "text": "Обновленный текст события"})

        note3 = AmoNote()
        note3.fill_by_id(SEED.NOTE_FIRST, {"type": "lead"})
        note3.text = "Новый текст события"
        print(note3.get_params())

        AmoAPI.save_objects([note2, note3])
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
