"""Note types: API v2 numbers them, API v4 names them; one table maps the two.

The numbers v2 documents keep their meaning (4 common, 10/11 calls, 25 system = v4 ``service_message``,
102/103 SMS, ...). Types v2 never numbered get sandbox numbers from 200 up, so a note written
through v4 still reads back through v2 with a stable ``note_type``.
"""

from __future__ import annotations

__all__ = ["V4_NOTE_TYPES", "V2_NOTE_TYPES", "WRITABLE", "PARAMS"]

#: v2 note_type number -> v4 note_type string
V4_NOTE_TYPES: dict[int, str] = {
    1: "lead_created", 2: "contact_created", 3: "lead_status_changed", 4: "common", 5: "attachment", 6: "call",
    7: "amomail_message", 8: "amomail_message", 9: "external_attach", 10: "call_in", 11: "call_out",
    12: "company_created", 13: "task_result", 17: "chat", 25: "service_message", 101: "dropbox_attachment",
    102: "sms_in", 103: "sms_out",
    201: "extended_service_message", 202: "message_cashier", 203: "geolocation", 204: "invoice_paid",
    205: "bill_paid", 206: "ai_result", 207: "zoom_meeting", 208: "site_visit", 209: "targeting_in",
    210: "targeting_out", 211: "transaction", 212: "link_followed",
}
V2_NOTE_TYPES: dict[str, int] = {}
for _number, _code in V4_NOTE_TYPES.items():
    V2_NOTE_TYPES.setdefault(_code, _number)

#: params each writable v4 note type takes: (required keys, optional keys)
PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "common": (("text",), ()),
    "call_in": (("uniq", "duration", "source", "phone"), ("link", "call_responsible", "call_result", "call_status")),
    "call_out": (("uniq", "duration", "source", "phone"), ("link", "call_responsible", "call_result", "call_status")),
    "service_message": (("service", "text"), ()),
    "extended_service_message": (("service", "text"), ()),
    "geolocation": (("text", "address", "longitude", "latitude"), ()),
    "sms_in": (("text", "phone"), ()),
    "sms_out": (("text", "phone"), ()),
    "attachment": (("file_uuid", "file_name"), ("version_uuid", "original_name", "is_drive_attachment")),
    "message_cashier": (("status", "text"), ()),
    "invoice_paid": (("service", "text"), ("icon_url",)),
    "bill_paid": (("service", "text"), ("icon_url",)),
    "ai_result": (("text",), ("answer_id", "talk_id", "is_error")),
    "zoom_meeting": ((), ("conference", "recordings")),
    "site_visit": (("url",), ()),
    "targeting_in": (("service",), ("campaign", "contacts")),
    "targeting_out": (("service",), ("campaign", "contacts")),
}
WRITABLE = frozenset(PARAMS)
