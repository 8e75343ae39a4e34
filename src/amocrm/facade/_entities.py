"""The seed's entity models: ``AmoContact``, ``AmoCompany``, ``AmoLead``, ``AmoNote``, ``AmoTask``,
``AmoCatalog``, ``AmoCatalogElement``.

Each wraps the generated model of its entity (``.model``); the field annotations below are for type
checkers and IDEs only (reads and writes are forwarded to the model, ``None`` meaning "not set").
Link and custom-field methods delegate to the model's helper mixins, so they behave exactly as the
typed API does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from amocrm.errors import NotFoundError
from amocrm.facade._object import AmoObject, CustomFieldsMixin, TagsMixin, link_call
from amocrm.facade._registry import get_raw, items_of, path_of
from amocrm.v2 import constants as _c
from amocrm.v2.models import Catalog, CatalogElement, Company, Contact, Lead, Note, Task

if TYPE_CHECKING:
    from typing_extensions import Self

    from amocrm.v2.models import common
    from amocrm.v2.models.task import TaskResult

#: The kinds of entity a note may be on, as the notes endpoint's ``type`` names them.
_NOTE_KINDS = ("lead", "contact", "company", "task", "customer")
_ELEMENT_TYPES = {int(t) for t in _c.ElementType}

__all__ = ["AmoCatalog", "AmoCatalogElement", "AmoCompany", "AmoContact", "AmoLead", "AmoNote", "AmoTask"]

IdOrIds = int | str | Iterable[int | str]


class _PartyMixin(CustomFieldsMixin, TagsMixin):
    """What contacts and companies share in the seed: linked leads and customers, phone and e-mail."""

    model: Any

    if TYPE_CHECKING:
        leads: common.LinkedIds | None
        customers: common.LinkedIds | None
        closest_task_at: int | None
        tags: list[common.Tag] | None
        custom_fields: list[common.CustomField] | None
        unlink: common.Unlink | None

    def add_leads(self, id: IdOrIds) -> Self:
        """Link leads by id (added to those already linked, no duplicates)."""
        return link_call(self, "add_leads", id)

    def add_customers(self, id: IdOrIds) -> Self:
        """Link customers by id."""
        return link_call(self, "add_customers", id)

    def get_phone(self) -> Any:
        """The first phone (the PHONE field's first value), or None."""
        return self.model.phone

    def get_email(self) -> Any:
        """The first e-mail (the EMAIL field's first value), or None."""
        return self.model.email


class AmoContact(_PartyMixin, AmoObject[Contact]):
    """A contact (``/api/v2/contacts``); ``first_name``/``last_name`` are sent too (the seed dropped them)."""

    MODEL: ClassVar[type[Any]] = Contact
    RESOURCE: ClassVar[str] = "contacts"
    URL: ClassVar[str] = path_of("contacts")

    if TYPE_CHECKING:
        first_name: str | None
        last_name: str | None
        company: common.LinkedEntity | None
        company_name: str | None

    def add_company(self, id: int | str) -> Self:
        """Link the company (replacing any other)."""
        return link_call(self, "add_company", id)


class AmoCompany(_PartyMixin, AmoObject[Company]):
    """A company (``/api/v2/companies``)."""

    MODEL: ClassVar[type[Any]] = Company
    RESOURCE: ClassVar[str] = "companies"
    URL: ClassVar[str] = path_of("companies")

    if TYPE_CHECKING:
        contacts: common.LinkedIds | None

    def add_contacts(self, id: IdOrIds) -> Self:
        """Link contacts by id."""
        return link_call(self, "add_contacts", id)


class AmoLead(CustomFieldsMixin, TagsMixin, AmoObject[Lead]):
    """A lead (``/api/v2/leads``); ``pipeline_id`` works as a param (the seed ignored it)."""

    MODEL: ClassVar[type[Any]] = Lead
    RESOURCE: ClassVar[str] = "leads"
    URL: ClassVar[str] = path_of("leads")

    if TYPE_CHECKING:
        is_deleted: bool | None
        main_contact: common.LinkedEntity | None
        company: common.LinkedEntity | None
        closed_at: int | None
        closest_task_at: int | None
        tags: list[common.Tag] | None
        custom_fields: list[common.CustomField] | None
        contacts: common.LinkedIds | None
        status_id: int | None
        sale: int | None
        pipeline_id: int | None
        pipeline: common.LinkedEntity | None
        loss_reason_id: int | None
        is_price_modified_by_robot: bool | None
        loss_reason_name: str | None
        catalog_elements_id: dict[str, dict[str, int]] | None
        unlink: common.Unlink | None

    def add_contacts(self, id: IdOrIds) -> Self:
        """Link contacts (at most 40 per lead) and drop them from a pending unlink."""
        return link_call(self, "add_contacts", id)

    def remove_contacts(self, id: IdOrIds) -> Self:
        """Unlink contacts on the next save."""
        return link_call(self, "remove_contacts", id)

    def add_company(self, id: int | str) -> Self:
        """Link the company (replacing any other)."""
        return link_call(self, "add_company", id)

    def remove_company(self, id: int | str) -> Self:
        """Unlink the company on the next save."""
        return link_call(self, "remove_company", id)

    def set_catalog_elements(self, catalog_elements: Mapping[int | str, Mapping[int | str, int]]) -> Self:
        """Link catalog elements: ``{catalog_id: {element_id: quantity}}``."""
        return link_call(self, "set_catalog_elements", catalog_elements)


class AmoNote(AmoObject[Note]):
    """A note (``/api/v2/notes``); types 25, 102 and 103 carry their text in ``params.text``."""

    MODEL: ClassVar[type[Any]] = Note
    RESOURCE: ClassVar[str] = "notes"
    URL: ClassVar[str] = path_of("notes")

    LEAD_CREATED_NOTETYPE: ClassVar[int] = _c.LEAD_CREATED_NOTETYPE
    CONTACT_CREATED_NOTETYPE: ClassVar[int] = _c.CONTACT_CREATED_NOTETYPE
    LEAD_STATUS_CHANGED_NOTETYPE: ClassVar[int] = _c.LEAD_STATUS_CHANGED_NOTETYPE
    COMMON_NOTETYPE: ClassVar[int] = _c.COMMON_NOTETYPE
    COMPANY_CREATED_NOTETYPE: ClassVar[int] = _c.COMPANY_CREATED_NOTETYPE
    TASK_RESULT_NOTETYPE: ClassVar[int] = _c.TASK_RESULT_NOTETYPE
    SYSTEM_NOTETYPE: ClassVar[int] = _c.SYSTEM_NOTETYPE
    SMS_IN_NOTETYPE: ClassVar[int] = _c.SMS_IN_NOTETYPE
    SMS_OUT_NOTETYPE: ClassVar[int] = _c.SMS_OUT_NOTETYPE

    if TYPE_CHECKING:
        is_editable: bool | None
        element_id: int | None
        element_type: int | None
        attachment: str | None
        note_type: int | str | None
        text: str | None
        params: dict[str, Any] | None

    def fill_by_id(self, id: int | str, params: Mapping[str, Any] | None = None) -> Self:
        """Load the note with this id. The API needs the kind of entity it is on (``type``): taken
        from ``params``, else from this object's ``element_type``, else each kind is tried in turn
        (at most five requests)."""
        given = dict(params or {})
        if "type" in given:
            return super().fill_by_id(id, given)
        known = self.model.element_type
        kinds = (
            [_c.ElementType(known).name.lower()] if isinstance(known, int) and known in _ELEMENT_TYPES else []
        )
        kinds += [k for k in _NOTE_KINDS if k not in kinds]
        last: NotFoundError | None = None
        for kind in kinds:
            try:
                return super().fill_by_id(id, {**given, "type": kind})
            except NotFoundError as exc:
                last = exc
        assert last is not None
        raise NotFoundError(
            f"AmoNote with id {id} not found on any kind of entity ({', '.join(kinds)})",
            status=404,
            method="GET",
            url=self.URL,
        ) from last


class AmoTask(AmoObject[Task]):
    """A task (``/api/v2/tasks``)."""

    MODEL: ClassVar[type[Any]] = Task
    RESOURCE: ClassVar[str] = "tasks"
    URL: ClassVar[str] = path_of("tasks")

    CALL_TASKTYPE: ClassVar[int] = _c.CALL_TASKTYPE
    MEET_TASKTYPE: ClassVar[int] = _c.MEET_TASKTYPE
    MAIL_TASKTYPE: ClassVar[int] = _c.MAIL_TASKTYPE

    if TYPE_CHECKING:
        element_id: int | None
        element_type: int | None
        is_completed: bool | None
        task_type: int | None
        complete_till_at: int | None
        text: str | None
        duration: int | None
        result: TaskResult | None

    def add_contact(self, id: int | str) -> Self:
        """Attach the task to a contact (element_type 1); replaces an earlier attachment."""
        return link_call(self, "attach_to_contact", id)

    def add_lead(self, id: int | str) -> Self:
        """Attach the task to a lead (element_type 2); replaces an earlier attachment."""
        return link_call(self, "attach_to_lead", id)


class AmoCatalog(AmoObject[Catalog]):
    """A catalog (list), ``/api/v2/catalogs``."""

    MODEL: ClassVar[type[Any]] = Catalog
    RESOURCE: ClassVar[str] = "catalogs"
    URL: ClassVar[str] = path_of("catalogs")

    if TYPE_CHECKING:
        type: str | None
        can_add_elements: bool | None
        can_show_in_cards: bool | None
        can_link_multiple: bool | None
        sort: int | None


class AmoCatalogElement(CustomFieldsMixin, AmoObject[CatalogElement]):
    """An element of a catalog, ``/api/v2/catalog_elements``."""

    MODEL: ClassVar[type[Any]] = CatalogElement
    RESOURCE: ClassVar[str] = "catalog_elements"
    URL: ClassVar[str] = path_of("catalog_elements")

    if TYPE_CHECKING:
        catalog_id: int | None
        is_deleted: bool | None
        custom_fields: list[common.CustomField] | None

    def fill_by_id(self, id: int | str, params: Mapping[str, Any] | None = None) -> Self:
        """Load the element with this id. The API needs its ``catalog_id``: taken from ``params``,
        else from this object, else each catalog of the account is tried in turn (one request for
        the catalogs, then one per catalog, at most 50)."""
        given = dict(params or {})
        if "catalog_id" in given:
            return super().fill_by_id(id, given)
        known = self.model.catalog_id
        if isinstance(known, int) and not isinstance(known, bool):
            return super().fill_by_id(id, {**given, "catalog_id": known})
        answer = get_raw(self._client(), "catalogs", {})
        catalogs = items_of(answer) or []
        if isinstance(catalogs, Mapping):
            catalogs = list(catalogs.values())
        ids = [c.get("id") for c in catalogs if isinstance(c, Mapping) and isinstance(c.get("id"), int)][:50]
        for catalog_id in ids:
            try:
                return super().fill_by_id(id, {**given, "catalog_id": catalog_id})
            except NotFoundError:
                continue
        raise NotFoundError(
            f"AmoCatalogElement with id {id} not found in any of the {len(ids)} catalogs",
            status=404,
            method="GET",
            url=self.URL,
        )
