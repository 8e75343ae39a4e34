"""Typed note params per note_type: the constructors (Note.common, Note.call_in...), Note.build, the
refusals (ConfigError naming the note type and the key, at once and at save time, before anything
is sent), typed_params()/params_as(), and round trips through the sandbox on a lead and a contact.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from typing import Any, Literal

import msgspec
import pytest

from amocrm.client import AmoClient
from amocrm.errors import ConfigError
from amocrm.lib.base import changed_fields
from amocrm.lib.v4.notes import NOTE_SHAPES, check_note_params
from amocrm.sandbox import SEED, Sandbox
from amocrm.sandbox.v4.notes_types import PARAMS as SANDBOX_PARAMS
from amocrm.testing import client_for
from amocrm.v4 import models
from amocrm.v4.constants import NOTE_TYPES, CallStatus, NoteType
from amocrm.v4.models import (
    AiResultNoteParams,
    AmomailMessageNoteParams,
    AttachmentNoteParams,
    CallNoteParams,
    CommonNoteParams,
    GeolocationNoteParams,
    MessageCashierNoteParams,
    Note,
    NoteParams,
    PaymentNoteParams,
    ServiceMessageNoteParams,
    SiteVisitNoteParams,
    SmsNoteParams,
    TargetingNoteParams,
    ZoomMeetingNoteParams,
)


def wire(note: Note) -> dict[str, Any]:
    """The params as sent (wire keys, unset ones left out)."""
    out: dict[str, Any] = msgspec.to_builtins(note.params)
    return out


# -- the table ------------------------------------------------------------------------------------
def test_table_matches_spec_and_sandbox() -> None:
    writable = [t for t, s in NOTE_SHAPES.items() if s.writable]
    assert writable == list(NOTE_TYPES) == list(typing.get_args(NoteType))
    assert set(writable) == set(SANDBOX_PARAMS)
    for code, (required, optional) in SANDBOX_PARAMS.items():
        shape = NOTE_SHAPES[code]
        assert (shape.required, shape.optional) == (required, optional), code
    every = {f.encode_name for f in msgspec.structs.fields(NoteParams)}
    for code, shape in NOTE_SHAPES.items():
        cls = getattr(models, shape.params_class)
        assert {f.encode_name for f in msgspec.structs.fields(cls)} == set(shape.keys), code
        assert set(shape.keys) <= every, code


# -- constructors ---------------------------------------------------------------------------------
CASES: list[tuple[Callable[[], Note], str, dict[str, Any], type[Any]]] = [
    (lambda: Note.common(text="hello", entity_id=7), "common", {"text": "hello"}, CommonNoteParams),
    (lambda: Note.call_in(uniq="u-1", duration=61, source="tel", phone="+7999", link="https://rec/1",
                          call_status=CallStatus.TALKED, entity_id=7),
     "call_in", {"uniq": "u-1", "duration": 61, "source": "tel", "phone": "+7999", "link": "https://rec/1",
                 "call_status": 4}, CallNoteParams),
    (lambda: Note.call_out(uniq="u-2", duration=0, source="tel", phone="+7000", call_result="no answer",
                           call_responsible=SEED.USER_MANAGER, link=None, entity_id=7),
     "call_out", {"uniq": "u-2", "duration": 0, "source": "tel", "phone": "+7000", "call_result": "no answer",
                  "call_responsible": SEED.USER_MANAGER, "link": None}, CallNoteParams),
    (lambda: Note.service_message(service="robot", text="done", entity_id=7), "service_message",
     {"service": "robot", "text": "done"}, ServiceMessageNoteParams),
    (lambda: Note.extended_service_message(service="robot", text="more", entity_id=7), "extended_service_message",
     {"service": "robot", "text": "more"}, ServiceMessageNoteParams),
    (lambda: Note.geolocation(text="here", address="Moscow", longitude=37.6, latitude="55.75", entity_id=7),
     "geolocation", {"text": "here", "address": "Moscow", "longitude": "37.6", "latitude": "55.75"},
     GeolocationNoteParams),
    (lambda: Note.sms_in(text="hi", phone="+7111", entity_id=7), "sms_in", {"text": "hi", "phone": "+7111"},
     SmsNoteParams),
    (lambda: Note.sms_out(text="bye", phone="+7222", entity_id=7), "sms_out", {"text": "bye", "phone": "+7222"},
     SmsNoteParams),
    (lambda: Note.attachment(file_uuid="f-1", file_name="a.pdf", is_drive_attachment=True, entity_id=7),
     "attachment", {"file_uuid": "f-1", "file_name": "a.pdf", "is_drive_attachment": True}, AttachmentNoteParams),
    (lambda: Note.message_cashier(status="shown", text="receipt", entity_id=7), "message_cashier",
     {"status": "shown", "text": "receipt"}, MessageCashierNoteParams),
    (lambda: Note.invoice_paid(service="bank", text="paid", icon_url="https://i/1.png", entity_id=7),
     "invoice_paid", {"service": "bank", "text": "paid", "icon_url": "https://i/1.png"}, PaymentNoteParams),
    (lambda: Note.bill_paid(service="bank", text="bill", entity_id=7), "bill_paid",
     {"service": "bank", "text": "bill"}, PaymentNoteParams),
    (lambda: Note.ai_result(text="summary", answer_id="a1", talk_id=3, is_error=False, entity_id=7), "ai_result",
     {"text": "summary", "answer_id": "a1", "talk_id": 3, "is_error": False}, AiResultNoteParams),
    (lambda: Note.zoom_meeting(conference={"id": "z"}, recordings=[{"url": "r"}], entity_id=7), "zoom_meeting",
     {"conference": {"id": "z"}, "recordings": [{"url": "r"}]}, ZoomMeetingNoteParams),
    (lambda: Note.site_visit(url="https://example.com/p", entity_id=7), "site_visit",
     {"url": "https://example.com/p"}, SiteVisitNoteParams),
    (lambda: Note.targeting_in(service="facebook", campaign="spring", entity_id=7), "targeting_in",
     {"service": "facebook", "campaign": "spring"}, TargetingNoteParams),
    (lambda: Note.targeting_out(service="adwords", contacts=[1, 2], entity_id=7), "targeting_out",
     {"service": "adwords", "contacts": [1, 2]}, TargetingNoteParams),
]


def test_every_writable_type_has_a_constructor() -> None:
    assert sorted(code for _, code, _, _ in CASES) == sorted(NOTE_TYPES)


@pytest.mark.parametrize(("make", "code", "params", "cls"), CASES, ids=[c[1] for c in CASES])
def test_constructor(make: Callable[[], Note], code: str, params: dict[str, Any], cls: type[Any]) -> None:
    note = make()
    assert note.note_type == code and note.entity_id == 7 and note.id is msgspec.UNSET
    assert isinstance(note.params, NoteParams) and wire(note) == params
    typed = note.typed_params()
    assert type(typed) is cls and msgspec.to_builtins(typed) == params
    assert note.params_as(cls) == typed
    assert note.note_shape is NOTE_SHAPES[code]


def test_constructor_without_entity_id_leaves_it_unset() -> None:
    assert Note.common(text="x").entity_id is msgspec.UNSET


def test_build_takes_a_mapping_or_a_params_object() -> None:
    a = Note.build("sms_in", {"text": "hi", "phone": "+7"}, entity_id=5)
    b = Note.build("sms_in", SmsNoteParams(text="hi", phone="+7"), entity_id=5)
    c = Note.build("sms_in", NoteParams(text="hi", phone="+7"), entity_id=5)
    assert a == b == c == Note.sms_in(text="hi", phone="+7", entity_id=5)
    assert Note.build("zoom_meeting").params == NoteParams()


# -- refusals at once -----------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "message"), [
    (lambda: Note.build("common", {"text": "x", "phone": "+7"}),
     r"Note\('common'\)\.params: 'phone' is not a param of common notes \(they take text\)"),
    (lambda: Note.build("call_in", {"uniq": "u", "duration": 5, "source": "s"}),
     r"'phone' is required for call_in notes \(required: uniq, duration, source, phone\)"),
    (lambda: Note.build("sms_out", {"text": "", "phone": "+7"}), r"'text' is required for sms_out notes"),
    (lambda: Note.build("geolocation", {"text": "t", "address": None, "longitude": "1", "latitude": "2"}),
     r"'address' is required for geolocation notes"),
    (lambda: Note.build("service_message", {"service": "robot", "text": "t", "link": "x"}),
     r"'link' is not a param of service_message notes \(they take service, text\)"),
    (lambda: Note.build("common", CallNoteParams(uniq="u")), r"common notes take CommonNoteParams, not CallNoteParams"),
    (lambda: Note.build("common", NoteParams(text="t", uniq="u")), r"'uniq' is not a param of common notes"),
    (lambda: Note.build("sms_in", CommonNoteParams(text="t")),
     r"sms_in notes take SmsNoteParams, not CommonNoteParams"),
    (lambda: Note.build("chat", {"text": "t"}),  # type: ignore[arg-type]
     r"Note\('chat'\)\.note_type: 'chat' is not a note type the API creates \(one of common, call_in"),
    (lambda: Note.build("amomail_message", {"subject": "s"}),  # type: ignore[arg-type]
     r"amomail_message notes are made by amoCRM only"),
    (lambda: Note.call_out(uniq="u", duration=5, source="s", phone="+7", call_status=9),
     r"'call_status' of call_out notes must be 1\.\.8"),
    (lambda: Note.message_cashier(status="paid", text="t"),  # type: ignore[arg-type]
     r"'status' of message_cashier notes must be one of created, shown, canceled, got 'paid'"),
    (lambda: Note.call_in(uniq="u", duration="60", source="s", phone="+7"),  # type: ignore[arg-type]
     r"Note\('call_in'\)\.params: Expected `int`, got `str` - at `\$\.duration`"),
    (lambda: Note.common(text="x", entity_id=0), r"Note\('common'\)\.entity_id: expected a positive int"),
    (lambda: Note.build("common", {1: "x"}),  # type: ignore[dict-item]
     r"params: keys must be str"),
    (lambda: Note.build("common", ["text"]),  # type: ignore[arg-type]
     r"params: expected a mapping or a params object, got list"),
])
def test_refused_at_once(make: Callable[[], Note], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make()


def test_check_note_params_update_checks_only_the_keys_given() -> None:
    assert check_note_params("call_in", {"duration": 5}, create=False) is NOTE_SHAPES["call_in"]
    assert check_note_params("lead_status_changed", {"x": 1}, create=False) is None
    assert check_note_params(None, {"text": "x"}, create=False) is None
    with pytest.raises(ConfigError, match=r"Note.params: 'text' is not a param of call_in notes"):
        check_note_params("call_in", {"text": "x"}, create=False)
    with pytest.raises(ConfigError, match=r"Note.note_type: a new note needs its type, one of common"):
        check_note_params(msgspec.UNSET, {"text": "x"}, create=True)


# -- reading --------------------------------------------------------------------------------------
def _decoded(body: dict[str, Any]) -> Note:
    return msgspec.json.decode(msgspec.json.encode(body), type=Note)


def test_typed_params_of_a_read_note_keep_the_keys_of_its_type() -> None:
    note = _decoded({"id": 1, "note_type": "call_in",
                     "params": {"uniq": "u", "duration": 12, "source": "s", "phone": "+7", "text": "stray",
                                "call_status": None}})
    typed = note.typed_params()
    assert typed == CallNoteParams(uniq="u", duration=12, source="s", phone="+7", call_status=None)
    assert note.params_as(CallNoteParams).duration == 12
    assert note.params is not msgspec.UNSET and note.params.text == "stray"
    with pytest.raises(ConfigError, match=r"the params of a call_in note read as CallNoteParams, not SmsNoteParams"):
        note.params_as(SmsNoteParams)


def test_typed_params_of_read_only_and_system_types() -> None:
    mail = _decoded({"note_type": "amomail_message",
                     "params": {"income": True, "from": {"email": "a@b"}, "subject": "Hi", "attach_cnt": 0}})
    assert mail.typed_params() == AmomailMessageNoteParams(income=True, from_={"email": "a@b"}, subject="Hi",
                                                           attach_cnt=0)
    system = _decoded({"note_type": "lead_status_changed", "params": {"text": "moved"}})
    assert system.note_shape is None and system.typed_params() == NoteParams(text="moved")
    assert _decoded({"note_type": "common"}).typed_params() == CommonNoteParams()
    assert Note().typed_params() == NoteParams()


# -- refusals at save time, nothing sent ----------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[AmoClient]:
    sandbox.reset()
    c = client_for(sandbox)
    try:
        yield c
    finally:
        c.close()


@pytest.mark.parametrize(("note", "message"), [
    (Note(entity_id=SEED.LEAD_FIRST, note_type="common", params=NoteParams(text="x", phone="+7")),
     r"Note\.params: 'phone' is not a param of common notes \(they take text\); nothing was sent"),
    (Note(entity_id=SEED.LEAD_FIRST, note_type="call_out", params=NoteParams(uniq="u", duration=1, phone="+7")),
     r"Note\.params: 'source' is required for call_out notes"),
    (Note(entity_id=SEED.LEAD_FIRST, note_type="sms_in"), r"Note\.params: 'text' is required for sms_in notes"),
    (Note(entity_id=SEED.LEAD_FIRST, params=NoteParams(text="x")), r"Note\.note_type: a new note needs its type"),
    (Note(entity_id=SEED.LEAD_FIRST, note_type="transaction", params=NoteParams(transaction_id=1)),
     r"transaction notes are made by amoCRM only"),
    (Note(entity_id=SEED.LEAD_FIRST, note_type="attachment", params={"file_uuid": "f", "file_name": "n", "url": "u"}),  # type: ignore[arg-type]
     r"'url' is not a param of attachment notes \(they take file_uuid, file_name, version_uuid"),
])
def test_save_refuses_before_sending(client: AmoClient, sandbox: Sandbox, note: Note, message: str) -> None:
    fine = Note.common(text="fine", entity_id=SEED.LEAD_FIRST)
    before = len(sandbox.request_log())
    with pytest.raises(ConfigError, match=message):
        client.v4.notes.save([fine, note], "leads")
    assert len(sandbox.request_log()) == before and fine.id is msgspec.UNSET


def test_update_of_a_read_note_checks_the_changed_params(client: AmoClient, sandbox: Sandbox) -> None:
    notes = client.v4.notes
    call = Note.call_in(uniq="u", duration=10, source="tel", phone="+7", entity_id=SEED.LEAD_FIRST)
    assert notes.save(call, "leads").ok and isinstance(call.id, int)
    got = notes.get("leads", call.id)
    got.responsible_user_id = SEED.USER_MANAGER
    assert notes.save(got, "leads").ok  # params unchanged: not checked, not sent
    got.params = NoteParams(duration=20, text="not a call key")
    before = len(sandbox.request_log())
    with pytest.raises(ConfigError, match=rf"Note {call.id}\.params: 'text' is not a param of call_in notes"):
        notes.save(got, "leads")
    assert len(sandbox.request_log()) == before
    got.params = NoteParams(duration=20)  # an update: the other keys are kept by the API
    assert notes.save(got, "leads").ok
    assert notes.get("leads", call.id).params_as(CallNoteParams).duration == 20
    # by path: an update too, only the keys given are checked
    notes.update("leads", call.id, Note(note_type="call_in", params=NoteParams(duration=30)))
    assert notes.get("leads", call.id).params_as(CallNoteParams) == CallNoteParams(
        uniq="u", duration=30, source="tel", phone="+7")
    with pytest.raises(ConfigError, match=r"'address' is not a param of call_in notes"):
        notes.update("leads", call.id, Note(note_type="call_in", params=NoteParams(address="x")))
    # a failed check by path does not leave the note lenient for a later create
    stale = Note(note_type="sms_in", params=NoteParams(phone="+7", url="u"), entity_id=SEED.LEAD_FIRST)
    with pytest.raises(ConfigError, match=r"'url' is not a param of sms_in notes"):
        notes.update("leads", call.id, stale)
    stale.params = NoteParams(phone="+7")
    with pytest.raises(ConfigError, match=r"'text' is required for sms_in notes"):
        notes.save(stale, "leads")


# -- round trips ----------------------------------------------------------------------------------
def test_round_trip_on_a_lead_and_a_contact(client: AmoClient) -> None:
    notes = client.v4.notes
    on_lead = [
        Note.common(text="hello", entity_id=SEED.LEAD_FIRST),
        Note.call_in(uniq="c-1", duration=61, source="tel", phone="+7999", call_status=CallStatus.TALKED,
                     link="https://rec/1", entity_id=SEED.LEAD_FIRST),
        Note.service_message(service="robot", text="stage moved", entity_id=SEED.LEAD_SECOND),
        Note.attachment(file_uuid="f-1", file_name="offer.pdf", entity_id=SEED.LEAD_FIRST),
    ]
    on_contact = [
        Note.sms_out(text="see you", phone="+7222", entity_id=SEED.CONTACT_IVAN),
        Note.geolocation(text="office", address="Moscow", longitude=37.62, latitude=55.75,
                         entity_id=SEED.CONTACT_IVAN),
        Note.message_cashier(status="created", text="receipt 1", entity_id=SEED.CONTACT_IVAN),
    ]
    assert notes.save(on_lead, "leads").ok and notes.save(on_contact, "contacts").ok
    assert all(isinstance(n.id, int) for n in on_lead + on_contact)
    pairs: list[tuple[Literal["leads", "contacts"], list[Note]]] = [("leads", on_lead), ("contacts", on_contact)]
    for kind, made in pairs:
        back = {n.id: n for n in notes.list(kind, filter={"id": [n.id for n in made if isinstance(n.id, int)]})}
        assert set(back) == {n.id for n in made}
        for note in made:
            got = back[note.id]
            assert got.note_type == note.note_type and got.entity_id == note.entity_id
            assert got.typed_params() == note.typed_params(), note.note_type
            assert changed_fields(got) == set()
    call = notes.get("leads", on_lead[1].id)  # type: ignore[arg-type]
    params = call.params_as(CallNoteParams)
    assert (params.duration, params.call_status, params.link) == (61, CallStatus.TALKED, "https://rec/1")
    place = notes.get("contacts", on_contact[1].id).params_as(GeolocationNoteParams)  # type: ignore[arg-type]
    assert (place.longitude, place.latitude) == ("37.62", "55.75")
    typed = notes.get("leads", on_lead[0].id).typed_params()  # type: ignore[arg-type]
    assert isinstance(typed, CommonNoteParams) and typed.text == "hello"

    for_ivan = Note.sms_in(text="on my way", phone="+7333")
    assert notes.save_for(for_ivan, "contacts", SEED.CONTACT_IVAN).ok
    assert notes.get_for("contacts", SEED.CONTACT_IVAN, for_ivan.id).params_as(SmsNoteParams) == SmsNoteParams(  # type: ignore[arg-type]
        text="on my way", phone="+7333")

    pinned = on_lead[0].id
    assert isinstance(pinned, int)
    notes.pin("leads", pinned)
    assert notes.get("leads", pinned, with_=["is_pinned"]).is_pinned is True
    notes.unpin("leads", pinned)
    assert notes.get("leads", pinned, with_=["is_pinned"]).is_pinned is False
    assert notes.get("leads", pinned).params_as(CommonNoteParams).text == "hello"


# -- what an IDE sees -----------------------------------------------------------------------------
def test_constructors_and_typed_params_complete_in_an_ide() -> None:
    jedi = pytest.importorskip("jedi")
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[2] / "src"
    env = jedi.create_environment(sys.executable, safe=False)

    def complete(tail: str) -> set[str]:
        source = "from amocrm.v4.models import Note, CallNoteParams\nnote = Note()\n" + tail
        lines = source.splitlines()
        script = jedi.Script(source, project=jedi.Project(src.parent, added_sys_path=[str(src)]), environment=env)
        return {c.name_with_symbols for c in script.complete(len(lines), len(lines[-1]))}

    assert {"common", "call_in", "call_out", "sms_in", "geolocation", "attachment", "build"} <= complete("Note.")
    assert {"uniq=", "duration=", "source=", "phone=", "call_status=", "entity_id="} <= complete("Note.call_in(")
    assert {"uniq", "duration", "call_status"} <= complete("note.params_as(CallNoteParams).")


def test_a_subclass_of_note_reads_typed_params_too() -> None:
    class MyNote(Note, kw_only=True):
        pass

    note = MyNote.sms_in(text="hi", phone="+7")
    assert type(note) is MyNote and note.typed_params() == SmsNoteParams(text="hi", phone="+7")
