"""Note types of API v4 and the params each takes (used by :class:`~amocrm.lib.v4.mixins.NoteMixin`).

A note's ``note_type`` says which keys its ``params`` hold. :data:`NOTE_SHAPES` is the table: per
type, the class of :mod:`amocrm.v4.models.note` that reads its params (``CallNoteParams`` for
``call_in`` and ``call_out``...), the keys a new note of that type must have, the others it may
have, and whether notes of the type can be written at all (``amomail_message``, ``transaction``,
``dropbox_attachment`` and ``link_followed`` are made by amoCRM only). :func:`check_note_params`
applies it and raises :class:`~amocrm.errors.ConfigError` naming the note type and the key.

Keys are wire names (``from``, not ``from_``). The system types (``lead_created``,
``lead_status_changed``, ``call``, ``chat``...) are not in the table: their params are read as
the plain ``NoteParams``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from amocrm.errors import ConfigError
from amocrm.v4.constants import NOTE_TYPES, NoteType

__all__ = ["NOTE_SHAPES", "NOTE_TYPES", "NoteShape", "NoteType", "check_note_params"]

_CALL_STATUSES = range(1, 9)
_CASHIER_STATUSES = ("created", "shown", "canceled")


@dataclass(frozen=True)
class NoteShape:
    """What the params of one note type hold."""

    note_type: str
    """The type (``call_in``)."""
    params_class: str
    """Name of the class in the version's ``models`` that reads these params (``CallNoteParams``)."""
    required: tuple[str, ...]
    """Keys a new note of this type must have (non-empty)."""
    optional: tuple[str, ...]
    """Keys it may have besides."""
    writable: bool = True
    """Whether notes of this type can be created and changed through the API."""

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key the type takes: the required ones, then the optional ones."""
        return self.required + self.optional


def _shapes(*shapes: NoteShape) -> dict[str, NoteShape]:
    return {s.note_type: s for s in shapes}


_CALL = (("uniq", "duration", "source", "phone"), ("link", "call_responsible", "call_result", "call_status"))
_SERVICE = (("service", "text"), ())
_SMS = (("text", "phone"), ())
_PAYMENT = (("service", "text"), ("icon_url",))
_TARGETING = (("service",), ("campaign", "contacts"))

#: note_type -> its params: the writable types (:data:`NOTE_TYPES`), then the read-only ones.
NOTE_SHAPES: Mapping[str, NoteShape] = _shapes(
    NoteShape("common", "CommonNoteParams", ("text",), ()),
    NoteShape("call_in", "CallNoteParams", *_CALL),
    NoteShape("call_out", "CallNoteParams", *_CALL),
    NoteShape("service_message", "ServiceMessageNoteParams", *_SERVICE),
    NoteShape("extended_service_message", "ServiceMessageNoteParams", *_SERVICE),
    NoteShape("geolocation", "GeolocationNoteParams", ("text", "address", "longitude", "latitude"), ()),
    NoteShape("sms_in", "SmsNoteParams", *_SMS),
    NoteShape("sms_out", "SmsNoteParams", *_SMS),
    NoteShape("attachment", "AttachmentNoteParams", ("file_uuid", "file_name"),
              ("version_uuid", "original_name", "is_drive_attachment")),
    NoteShape("message_cashier", "MessageCashierNoteParams", ("status", "text"), ()),
    NoteShape("invoice_paid", "PaymentNoteParams", *_PAYMENT),
    NoteShape("bill_paid", "PaymentNoteParams", *_PAYMENT),
    NoteShape("ai_result", "AiResultNoteParams", ("text",), ("answer_id", "talk_id", "is_error")),
    NoteShape("zoom_meeting", "ZoomMeetingNoteParams", (), ("conference", "recordings")),
    NoteShape("site_visit", "SiteVisitNoteParams", ("url",), ()),
    NoteShape("targeting_in", "TargetingNoteParams", *_TARGETING),
    NoteShape("targeting_out", "TargetingNoteParams", *_TARGETING),
    NoteShape("amomail_message", "AmomailMessageNoteParams", (),
              ("income", "from", "to", "subject", "thread_id", "message_id", "content_summary", "private",
               "attach_cnt", "delivery"), writable=False),
    NoteShape("transaction", "TransactionNoteParams", (), ("transaction_id",), writable=False),
    NoteShape("dropbox_attachment", "DropboxAttachmentNoteParams", (), ("filename", "link"), writable=False),
    NoteShape("link_followed", "LinkFollowedNoteParams", (), ("url",), writable=False),
)


def _names(keys: Iterable[str]) -> str:
    return ", ".join(keys) or "nothing"


def _writable() -> str:
    return ", ".join(NOTE_TYPES)


def check_note_params(note_type: object, params: Mapping[str, Any] | None, *, create: bool,
                      what: str = "Note") -> NoteShape | None:
    """Check the ``params`` (wire keys -> values; ``None``: none given) of a note of ``note_type``.

    ``create``: a new note: its type must be one of :data:`NOTE_TYPES` and every required key must
    be there (``None`` and ``""`` count as missing). Otherwise (an update, whose params the API
    merges into the note's) only the keys given are checked. Raises
    :class:`~amocrm.errors.ConfigError` naming the note type and the key; returns the type's shape
    (``None`` for a type this table does not know, when that is allowed: an update).
    """
    if not isinstance(note_type, str) or not note_type:
        if create:
            raise ConfigError(f"{what}.note_type: a new note needs its type, one of {_writable()}")
        return None
    shape = NOTE_SHAPES.get(note_type)
    if shape is None:
        if create:
            raise ConfigError(f"{what}.note_type: {note_type!r} is not a note type the API creates "
                              f"(one of {_writable()})")
        return None
    if not shape.writable:
        raise ConfigError(f"{what}.note_type: {note_type} notes are made by amoCRM only; they cannot be "
                          f"created or changed through the API")
    given = params or {}
    allowed = shape.keys
    for key in given:
        if key not in allowed:
            raise ConfigError(f"{what}.params: {key!r} is not a param of {note_type} notes "
                              f"(they take {_names(allowed)})")
    if create:
        for key in shape.required:
            if given.get(key) is None or given.get(key) == "":
                raise ConfigError(f"{what}.params: {key!r} is required for {note_type} notes "
                                  f"(required: {_names(shape.required)})")
    status = given.get("call_status")
    if shape.params_class == "CallNoteParams" and status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or status not in _CALL_STATUSES
    ):
        raise ConfigError(f"{what}.params: 'call_status' of {note_type} notes must be 1..8 (CallStatus), "
                          f"got {status!r}")
    cashier = given.get("status")
    if note_type == "message_cashier" and cashier is not None and cashier not in _CASHIER_STATUSES:
        raise ConfigError(f"{what}.params: 'status' of message_cashier notes must be one of "
                          f"{', '.join(_CASHIER_STATUSES)}, got {cashier!r}")
    return shape

