"""Typed webhook events: what :func:`amocrm.webhooks.parse_webhook` returns.

Every event keeps the delivered fields untouched in ``fields`` (strings, as amoCRM sends them);
the properties convert the common ones on access and raise :class:`WebhookError` naming the
event and field when a value is not what the v2 format promises.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import msgspec

from amocrm.webhooks._form import WebhookError

__all__ = [
    "WebhookAccount",
    "WebhookAction",
    "WebhookCustomField",
    "WebhookCustomFieldValue",
    "WebhookEntity",
    "WebhookEvent",
    "WebhookPayload",
    "WebhookTag",
    "WebhookTaskResult",
]

WebhookEntity = Literal[
    "lead", "contact", "company", "customer", "task", "note", "catalog_element", "unsorted"
]
#: Actions amoCRM documents; an undocumented action arrives as its plain string.
WebhookAction = Literal["add", "update", "delete", "status", "responsible", "restore", "note"]


class WebhookAccount(msgspec.Struct, kw_only=True, frozen=True):
    """The sending account (``account[subdomain]``, ``account[id]`` when sent)."""

    subdomain: str
    id: int | None = None


class WebhookCustomFieldValue(msgspec.Struct, kw_only=True, frozen=True):
    """One value: ``{value, enum}`` items and bare ``"v"`` items both end up here."""

    value: str
    enum: str | None = None
    subtype: str | None = None


class WebhookCustomField(msgspec.Struct, kw_only=True, frozen=True):
    """A v2 custom field as webhooks carry it (``custom_fields``, not v4's ``custom_fields_values``)."""

    id: int
    name: str | None = None
    code: str | None = None
    values: list[WebhookCustomFieldValue] = []


class WebhookTag(msgspec.Struct, kw_only=True, frozen=True):
    """A tag; ``id`` is ``None`` when the delivery carries only names."""

    name: str
    id: int | None = None


class WebhookTaskResult(msgspec.Struct, kw_only=True, frozen=True):
    """The result a task was closed with (``task[update][0][result]``)."""

    text: str
    id: int | None = None


class WebhookEvent(msgspec.Struct, kw_only=True, frozen=True):
    """One entity change.

    ``id`` is the changed entity's id; for ``action == "note"`` it is the id of the entity the
    note was added to (``note[element_id]``), the note itself is in ``note``. Unsorted items keyed
    only by ``uid`` have ``id == 0``. ``path`` says where in the body the event came from.
    """

    entity: WebhookEntity
    action: str
    id: int
    fields: dict[str, Any]
    custom_fields: list[WebhookCustomField] = []
    tags: list[WebhookTag] = []
    note: dict[str, Any] | None = None
    path: str = ""

    # -- conversions ---------------------------------------------------------------------------
    def _raw(self, *names: str) -> Any:
        for name in names:
            value = self.fields.get(name)
            if value is None and self.note is not None:
                value = self.note.get(name)
            if value is not None:
                return value
        return None

    def _int(self, *names: str) -> int | None:
        value = self._raw(*names)
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise WebhookError(f"{self.path}[{names[0]}] is {value!r}, not an integer")

    def _str(self, name: str) -> str | None:
        value = self._raw(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise WebhookError(f"{self.path}[{name}] is a {type(value).__name__}, not a string")

    def _timestamp(self, *names: str) -> int | None:
        value = self._raw(*names)
        if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
            return None  # tasks send "Y-m-d H:i:s" in the account's time zone: left in ``fields``
        return self._int(*names)

    # -- common fields --------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self._str("name")

    @property
    def type(self) -> str | None:
        """``contact``/``company`` under the ``contacts`` key; the element kind for notes."""
        return self._str("type")

    @property
    def status_id(self) -> int | None:
        return self._int("status_id")

    @property
    def old_status_id(self) -> int | None:
        return self._int("old_status_id")

    @property
    def pipeline_id(self) -> int | None:
        return self._int("pipeline_id")

    @property
    def responsible_user_id(self) -> int | None:
        return self._int("responsible_user_id", "main_user_id")

    @property
    def account_id(self) -> int | None:
        return self._int("account_id")

    @property
    def price(self) -> int | float | None:
        value = self._raw("price")
        if isinstance(value, str) and "." in value:
            try:
                return float(value)
            except ValueError:
                pass
        if isinstance(value, float):
            return value
        return self._int("price")

    @property
    def created_at(self) -> int | None:
        """Unix time from ``date_create``; ``None`` when absent or sent as a date string (tasks)."""
        return self._timestamp("date_create", "created_at")

    @property
    def updated_at(self) -> int | None:
        """Unix time from ``last_modified``; ``None`` when absent or sent as a date string (tasks)."""
        return self._timestamp("last_modified", "updated_at", "timestamp_x")

    # -- tasks and notes ------------------------------------------------------------------------
    @property
    def text(self) -> str | None:
        """Task text, or the note text (single quotes already stripped)."""
        return self._str("text")

    @property
    def complete_till(self) -> str | None:
        """Task deadline as sent ("Y-m-d H:i:s" in the account's time zone)."""
        return self._str("complete_till")

    @property
    def status(self) -> int | None:
        """Task status: 0 open, 1 completed."""
        return self._int("status")

    @property
    def result(self) -> WebhookTaskResult | None:
        value = self.fields.get("result")
        if value is None or value == "":
            return None
        if not isinstance(value, dict):
            raise WebhookError(f"{self.path}[result] is {value!r}, not a {{id, text}} map")
        raw_id = value.get("id")
        try:
            result_id = None if raw_id in (None, "") else int(raw_id)
        except (TypeError, ValueError):
            raise WebhookError(f"{self.path}[result][id] is {raw_id!r}, not an integer") from None
        return WebhookTaskResult(text=str(value.get("text", "")), id=result_id)

    @property
    def element_id(self) -> int | None:
        """The entity a task or note belongs to."""
        return self._int("element_id")

    @property
    def element_type(self) -> int | None:
        """1 contact, 2 lead, 3 company, 12 customer."""
        return self._int("element_type")

    @property
    def note_id(self) -> int | None:
        if self.note is None:
            return None
        value = self.note.get("id")
        if value in (None, ""):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise WebhookError(f"{self.path}[note][id] is {value!r}, not an integer") from None

    # -- custom fields --------------------------------------------------------------------------
    def custom_field(self, id_or_name: int | str) -> WebhookCustomField | None:
        """The field with this id (an ``int``), or this name or code (a ``str``)."""
        for field in self.custom_fields:
            if isinstance(id_or_name, int):
                if field.id == id_or_name:
                    return field
            elif id_or_name in (field.name, field.code):
                return field
        return None

    @overload
    def custom_field_value(self, id_or_name: int | str, first: Literal[True] = ...) -> str | None: ...
    @overload
    def custom_field_value(self, id_or_name: int | str, first: Literal[False]) -> list[str]: ...
    def custom_field_value(self, id_or_name: int | str, first: bool = True) -> str | list[str] | None:
        """The first value (or ``None``), or with ``first=False`` every value (or ``[]``)."""
        field = self.custom_field(id_or_name)
        values = [] if field is None else [v.value for v in field.values]
        if not first:
            return values
        return values[0] if values else None


class WebhookPayload(msgspec.Struct, kw_only=True, frozen=True):
    """A decoded delivery: the account and its events in delivery order; ``raw`` is the decoded form."""

    account: WebhookAccount
    events: list[WebhookEvent]
    raw: dict[str, Any]
