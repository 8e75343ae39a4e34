"""Model helpers (the seed's AmoObject/AmoLead/... methods), mixed into the generated classes.

Each mixin is a field-less msgspec Struct; the spec names the mixins an entity gets
(``x-mixins``) and the generated class inherits them. The attributes the helpers use are declared
for type checkers only (under ``TYPE_CHECKING``), so they do not become fields of the mixin.
Helpers build nested objects with the classes of the concrete model's own fields, so they also
work for models generated into another package (see ``python -m codegen --out``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import UNSET

from amocrm.lib.base import struct_type
from amocrm.v2.constants import ElementType

if TYPE_CHECKING:
    from msgspec import UnsetType
    from typing_extensions import Self

    from amocrm.v2.models.common import (
        CustomField,
        LinkedEntity,
        LinkedIds,
        Tag,
        Unlink,
    )

__all__ = [
    "CompanyLinksMixin",
    "ContactInfoMixin",
    "ContactLinksMixin",
    "CustomFieldsMixin",
    "IncomingLeadMixin",
    "LeadLinksMixin",
    "NoteMixin",
    "TagsMixin",
    "TaskMixin",
]

#: Note types whose text the API expects under ``params.text`` (system, SMS in, SMS out).
PARAMS_TEXT_NOTE_TYPES = frozenset({25, 102, 103})




def _as_id(value: Any, what: str) -> int:
    """An entity id from an int or a numeric string (PHP's loose ``'1' == 1``)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{what}: expected an int id, got {type(value).__name__} {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{what}: expected an int id, got {value!r}") from None


def _as_ids(values: int | str | Iterable[int | str], what: str) -> list[int]:
    items: Iterable[Any] = [values] if isinstance(values, (int, str)) else values
    out: list[int] = []
    for v in items:
        ident = _as_id(v, what)
        if ident not in out:
            out.append(ident)
    return out


def _flatten_names(names: tuple[Any, ...]) -> list[str]:
    out: list[str] = []
    for name in names:
        group = name if isinstance(name, (list, tuple, set, frozenset)) else [name]
        for item in group:
            if not isinstance(item, str):
                raise TypeError(f"tag names must be str, got {type(item).__name__} {item!r}")
            if item not in out:
                out.append(item)
    return out


class CustomFieldsMixin(msgspec.Struct, kw_only=True):
    """Read and write ``custom_fields`` by field id (seed: getCustomFieldValueById/setCustomFields)."""

    if TYPE_CHECKING:
        custom_fields: list[CustomField] | UnsetType

    def get_custom_field(self, field_id: int | str) -> CustomField | None:
        """The custom field with this id, or ``None``; ``"5"`` matches ``5`` as in the seed."""
        wanted = _as_id(field_id, "field_id")
        if self.custom_fields is UNSET:
            return None
        for field in self.custom_fields:
            if field.id is not UNSET and _loose_eq(field.id, wanted):
                return field
        return None

    def get_custom_field_value(self, field_id: int | str, first: bool = True, key: str = "value") -> Any:
        """The first value (or all values with ``first=False``) of a field; ``key`` picks
        ``value``, ``enum`` or ``subtype``. Bare values (multiselect enum ids) are returned as-is.
        ``None`` (or ``[]``) when the field or the key is absent."""
        field = self.get_custom_field(field_id)
        found: list[Any] = []
        if field is not None and field.values is not UNSET:
            for item in field.values:
                if isinstance(item, msgspec.Struct):
                    value = getattr(item, key, UNSET)
                    if value is not UNSET:
                        found.append(value)
                else:
                    found.append(item)
        if first:
            return found[0] if found else None
        return found

    def set_custom_field(self, field_id: int | str, value: Any) -> Self:
        """Set one field's values: a scalar becomes ``[{"value": scalar}]``; a list is taken item by
        item (dicts/``CustomFieldValue`` as values, ints as bare enum ids). An existing field keeps
        its id, name and code and gets the new values; a new field is appended."""
        ident = _as_id(field_id, "field_id")
        field_cls = struct_type(type(self), "custom_fields")
        value_cls = struct_type(field_cls, "values")
        values = (
            [_cf_value(v, value_cls) for v in value]
            if isinstance(value, (list, tuple))
            else [value_cls(value=value)]
        )
        existing = self.get_custom_field(ident)
        if existing is not None:
            existing.values = values
            return self
        if self.custom_fields is UNSET:
            self.custom_fields = []
        self.custom_fields.append(field_cls(id=ident, values=values))
        return self

    def set_custom_fields(self, values: Mapping[int | str, Any]) -> Self:
        """``set_custom_field`` for each ``{field_id: value}`` pair, in order."""
        for field_id, value in values.items():
            self.set_custom_field(field_id, value)
        return self


def _loose_eq(a: Any, b: int) -> bool:
    try:
        return int(a) == b
    except (TypeError, ValueError):
        return False


def _cf_value(item: Any, value_cls: Any) -> Any:
    if isinstance(item, msgspec.Struct):
        return item
    if isinstance(item, Mapping):
        unknown = set(item) - {"value", "enum", "subtype"}
        if unknown:
            raise ValueError(
                f"custom field value: unknown keys {sorted(unknown)} (allowed: value, enum, subtype)"
            )
        return value_cls(**item)
    if isinstance(item, int) and not isinstance(item, bool):
        return item
    return value_cls(value=item)


class ContactInfoMixin(CustomFieldsMixin, kw_only=True):
    """``phone``/``email``: the first value of the custom field with code PHONE/EMAIL."""

    @property
    def phone(self) -> Any:
        """First value of the PHONE field, or ``None``."""
        return self._first_by_code("PHONE")

    @property
    def email(self) -> Any:
        """First value of the EMAIL field, or ``None``."""
        return self._first_by_code("EMAIL")

    def _first_by_code(self, code: str) -> Any:
        if self.custom_fields is UNSET:
            return None
        for field in self.custom_fields:
            if field.code == code:
                if field.values is UNSET or not field.values:
                    return None
                first = field.values[0]
                if isinstance(first, msgspec.Struct):
                    value = getattr(first, "value", None)
                    return None if value is UNSET else value
                return first
        return None


class TagsMixin(msgspec.Struct, kw_only=True):
    """Tags by name, de-duplicated (seed: addTags/delTags)."""

    if TYPE_CHECKING:
        tags: list[Tag] | UnsetType

    def add_tags(self, *names: str | Iterable[str]) -> Self:
        """Append each name not already present."""
        tag_cls = struct_type(type(self), "tags")
        if self.tags is UNSET:
            self.tags = []
        present = {t.name for t in self.tags}
        for name in _flatten_names(names):
            if name not in present:
                self.tags.append(tag_cls(name=name))
                present.add(name)
        return self

    def remove_tags(self, *names: str | Iterable[str]) -> Self:
        """Drop every tag whose name is given."""
        drop = set(_flatten_names(names))
        if self.tags is not UNSET:
            self.tags = [t for t in self.tags if t.name not in drop]
        return self


def _linked_ids(model: Any, attr: str) -> list[int]:
    current = getattr(model, attr)
    if current is UNSET or current is None or current.id is UNSET:
        return []
    return [int(i) for i in current.id]


def _set_linked_ids(model: Any, attr: str, ids: list[int]) -> None:
    if not ids:
        setattr(model, attr, None)
        return
    current = getattr(model, attr)
    if current is UNSET or current is None:
        setattr(model, attr, struct_type(type(model), attr)(id=ids))
    else:
        current.id = ids


def _add_linked(model: Any, attr: str, ids: int | str | Iterable[int | str]) -> None:
    merged = _linked_ids(model, attr)
    for ident in _as_ids(ids, attr):
        if ident not in merged:
            merged.append(ident)
    _set_linked_ids(model, attr, merged)


class _UnlinkMixin(msgspec.Struct, kw_only=True):
    if TYPE_CHECKING:
        unlink: Unlink | UnsetType

    def _unlink_obj(self) -> Unlink:
        if self.unlink is UNSET:
            self.unlink = struct_type(type(self), "unlink")()
        assert not isinstance(self.unlink, msgspec.UnsetType)
        return self.unlink

    def _drop_empty_unlink(self) -> None:
        if self.unlink is not UNSET and all(
            getattr(self.unlink, f) is UNSET for f in self.unlink.__struct_fields__
        ):
            self.unlink = UNSET


class LeadLinksMixin(_UnlinkMixin, kw_only=True):
    """Lead links with ``unlink`` bookkeeping, exactly as the seed's AmoLead unit tests pin it."""

    if TYPE_CHECKING:
        contacts: LinkedIds | None | UnsetType
        company: LinkedEntity | None | UnsetType
        catalog_elements_id: dict[str, dict[str, int]] | UnsetType

    def add_contacts(self, ids: int | str | Iterable[int | str]) -> Self:
        """Link contacts (order kept, duplicates dropped) and take them out of ``unlink.contacts_id``."""
        added = _as_ids(ids, "contacts")
        _add_linked(self, "contacts", added)
        if self.unlink is not UNSET and self.unlink.contacts_id is not UNSET:
            rest = [i for i in self.unlink.contacts_id if i not in added]
            self.unlink.contacts_id = rest if rest else UNSET
            self._drop_empty_unlink()
        return self

    def remove_contacts(self, ids: int | str | Iterable[int | str]) -> Self:
        """Add the ids to ``unlink.contacts_id`` and drop them from ``contacts``."""
        removed = _as_ids(ids, "contacts")
        unlink = self._unlink_obj()
        current = [] if unlink.contacts_id is UNSET else list(unlink.contacts_id)
        unlink.contacts_id = current + [i for i in removed if i not in current]
        _set_linked_ids(self, "contacts", [i for i in _linked_ids(self, "contacts") if i not in removed])
        return self

    def add_company(self, company_id: int | str) -> Self:
        """Link the company (replacing any other) and clear a pending ``unlink.company_id`` for it."""
        ident = _as_id(company_id, "company_id")
        self.company = struct_type(type(self), "company")(id=ident)
        if self.unlink is not UNSET and self.unlink.company_id == ident:
            self.unlink.company_id = UNSET
            self._drop_empty_unlink()
        return self

    def remove_company(self, company_id: int | str) -> Self:
        """Set ``unlink.company_id``; drop ``company`` only if it is this company."""
        ident = _as_id(company_id, "company_id")
        self._unlink_obj().company_id = ident
        if self.company is not UNSET and self.company is not None and self.company.id == ident:
            self.company = None
        return self

    def set_catalog_elements(self, elements: Mapping[int | str, Mapping[int | str, int]]) -> Self:
        """Link catalog elements: ``{catalog_id: {element_id: quantity}}``."""
        self.catalog_elements_id = {
            str(_as_id(cat, "catalog_id")): {str(_as_id(el, "element_id")): int(q) for el, q in items.items()}
            for cat, items in elements.items()
        }
        return self


class ContactLinksMixin(msgspec.Struct, kw_only=True):
    """Contact links: leads, customers (id lists) and one company."""

    if TYPE_CHECKING:
        leads: LinkedIds | None | UnsetType
        customers: LinkedIds | None | UnsetType
        company: LinkedEntity | None | UnsetType

    def add_leads(self, ids: int | str | Iterable[int | str]) -> Self:
        """Append lead ids not linked yet."""
        _add_linked(self, "leads", ids)
        return self

    def add_customers(self, ids: int | str | Iterable[int | str]) -> Self:
        """Append customer ids not linked yet."""
        _add_linked(self, "customers", ids)
        return self

    def add_company(self, company_id: int | str) -> Self:
        """Link the company (replacing any other)."""
        self.company = struct_type(type(self), "company")(id=_as_id(company_id, "company_id"))
        return self


class CompanyLinksMixin(msgspec.Struct, kw_only=True):
    """Company links: leads, contacts and customers (id lists)."""

    if TYPE_CHECKING:
        leads: LinkedIds | None | UnsetType
        contacts: LinkedIds | None | UnsetType
        customers: LinkedIds | None | UnsetType

    def add_leads(self, ids: int | str | Iterable[int | str]) -> Self:
        """Append lead ids not linked yet."""
        _add_linked(self, "leads", ids)
        return self

    def add_contacts(self, ids: int | str | Iterable[int | str]) -> Self:
        """Append contact ids not linked yet."""
        _add_linked(self, "contacts", ids)
        return self

    def add_customers(self, ids: int | str | Iterable[int | str]) -> Self:
        """Append customer ids not linked yet."""
        _add_linked(self, "customers", ids)
        return self


class TaskMixin(msgspec.Struct, kw_only=True):
    """Attach a task to an entity (``element_id``/``element_type``); a later call replaces it."""

    if TYPE_CHECKING:
        element_id: int | UnsetType
        element_type: int | UnsetType

    def _attach(self, ident: int | str, element_type: int) -> Self:
        self.element_id = _as_id(ident, "element_id")
        self.element_type = int(element_type)
        return self

    def attach_to_contact(self, contact_id: int | str) -> Self:
        """element_type 1 (contact)."""
        return self._attach(contact_id, ElementType.CONTACT)

    def attach_to_lead(self, lead_id: int | str) -> Self:
        """element_type 2 (lead)."""
        return self._attach(lead_id, ElementType.LEAD)

    def attach_to_company(self, company_id: int | str) -> Self:
        """element_type 3 (company)."""
        return self._attach(company_id, ElementType.COMPANY)

    def attach_to_customer(self, customer_id: int | str) -> Self:
        """element_type 12 (customer)."""
        return self._attach(customer_id, ElementType.CUSTOMER)


class NoteMixin(msgspec.Struct, kw_only=True):
    """Notes of type 25 (system), 102 (SMS in) and 103 (SMS out) carry their text in ``params.text``."""

    if TYPE_CHECKING:
        note_type: int | str | UnsetType
        text: str | UnsetType
        element_id: int | UnsetType
        element_type: int | UnsetType

    def _amo_write_hook(self, item: Any) -> None:
        """Called by the generated ``write_note`` with the write item (a ``NoteWrite``)."""
        if self.text is UNSET or not any(_loose_eq(self.note_type, t) for t in PARAMS_TEXT_NOTE_TYPES):
            return
        params = getattr(item, "params", UNSET)
        params = dict(params) if isinstance(params, Mapping) else {}
        params["text"] = self.text
        item.params = params

    def _amo_get_args(self) -> dict[str, Any]:
        """What ``notes.get`` needs besides the id: the kind of entity the note is on (``type``)."""
        try:
            kind = ElementType(self.element_type).name.lower() if isinstance(self.element_type, int) else None
        except ValueError:
            kind = None
        return {"type": kind} if kind else {}

    def attach_to(self, element_id: int | str, element_type: int) -> Self:
        """Set the entity this note belongs to (element_type: 1 contact, 2 lead, 3 company, 4 task, 12 customer)."""
        self.element_id = _as_id(element_id, "element_id")
        self.element_type = int(element_type)
        return self


class IncomingLeadMixin(msgspec.Struct, kw_only=True):
    """Incoming leads are sent with a creation time: ``created_at`` defaults to now when unset."""

    if TYPE_CHECKING:
        created_at: int | UnsetType

    def _amo_prepare_write(self) -> None:
        """Called before the object is sent (``add_form``/``add_sip``): fill in ``created_at``."""
        if self.created_at is UNSET:
            self.created_at = int(time.time())
