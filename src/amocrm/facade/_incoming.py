"""The seed's incoming-lead (unsorted) models: ``AmoIncomingLead``, ``AmoIncomingLeadForm``, ``AmoIncomingLeadSip``.

They wrap the generated :class:`~amocrm.v2.models.IncomingLead`; saves go through
``client.v2.incoming_leads.add_form``/``add_sip``, which fill in ``created_at`` and write the uid back.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec

from amocrm.errors import ConfigError, NotFoundError
from amocrm.facade._entities import AmoCompany, AmoContact, AmoLead
from amocrm.facade._object import AmoObject, model_from
from amocrm.facade._registry import call_raw, get_raw, path_of
from amocrm.models import to_write_item
from amocrm.v2.models import (
    Company,
    Contact,
    IncomingEntities,
    IncomingLead,
    IncomingLeadInfo,
    Lead,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AmoIncomingLead", "AmoIncomingLeadForm", "AmoIncomingLeadSip"]


class AmoIncomingLead(AmoObject[IncomingLead]):
    """Base of the incoming-lead models (the seed's abstract ``AmoIncomingLead``)."""

    MODEL: ClassVar[type[Any]] = IncomingLead
    RESOURCE: ClassVar[str] = "incoming_leads"
    URL: ClassVar[str] = path_of("incoming_leads")
    #: ``form`` or ``sip``: which add endpoint a save uses.
    CATEGORY: ClassVar[str] = ""

    if TYPE_CHECKING:
        uid: str | None
        category: str | None
        source_name: str | None
        source_uid: str | None
        pipeline_id: int | None
        created_at: int | None
        incoming_lead_info: IncomingLeadInfo | None
        incoming_entities: IncomingEntities | None

    def __init__(self, params: Mapping[str, Any] | IncomingLead | None = None, subdomain: str | None = None) -> None:
        if type(self) is AmoIncomingLead:
            raise ConfigError("AmoIncomingLead is abstract: use AmoIncomingLeadForm or AmoIncomingLeadSip")
        super().__init__(params, subdomain)

    def fill_by_id(self, id: int | str, params: Mapping[str, Any] | None = None) -> Self:
        """Not available: incoming leads have uids (use :meth:`fill_by_uid`)."""
        raise ConfigError(f"{type(self).__name__}.fill_by_id: incoming leads are found by uid; "
                                          "use fill_by_uid()")

    def fill_by_uid(self, uid: str, params: Mapping[str, Any] | None = None) -> Self:
        """Load the incoming lead with this uid (extra GET params allowed) into this object."""
        query = {"uid": uid, **{k: v for k, v in (params or {}).items() if k != "uid"}}
        response = get_raw(self._client(), self.RESOURCE, query)
        embedded = response.get("_embedded") if isinstance(response, Mapping) else None
        items = embedded.get("items") if isinstance(embedded, Mapping) else None
        name = type(self).__name__
        if not items:
            raise NotFoundError(f"{name} with uid {uid!r} not found", status=404, method="GET", url=self.URL)
        first = items[0]
        if not isinstance(first, Mapping) or first.get("uid") != uid:
            raise NotFoundError(f"no {name} with uid {uid!r} (the server returned another one)", status=404,
                                method="GET", url=self.URL)
        self._fill(first)
        return self

    def set_incoming_lead_info(self, params: Mapping[str, Any]) -> Self:
        """Source data: form (form_id, form_page, form_name, ...) or sip (to, from, date_call, ...)."""
        self.model.incoming_lead_info = model_from(params, IncomingLeadInfo, f"{type(self).__name__}.set_incoming_lead_info")
        return self

    def _entities(self) -> IncomingEntities:
        current = self.model.incoming_entities
        if current is msgspec.UNSET or current is None:
            current = IncomingEntities()
            self.model.incoming_entities = current
        return current

    def _append(self, field: str, value: Any, wrapper: type[AmoObject[Any]], model: type[Any], what: str) -> Self:
        if isinstance(value, wrapper):
            item = msgspec.convert(msgspec.to_builtins(value.model), model, strict=False)  # a snapshot, as the seed
        elif isinstance(value, Mapping):
            item = model_from(value, model, f"{type(self).__name__}.{what}")
        else:
            raise ConfigError(
                f"{type(self).__name__}.{what}: expected {wrapper.__name__} or a dict, got {type(value).__name__}"
            )
        entities = self._entities()
        current = getattr(entities, field)
        if current is msgspec.UNSET:
            current = []
            setattr(entities, field, current)
        current.append(item)
        return self

    def add_incoming_lead(self, lead: AmoLead | Mapping[str, Any]) -> Self:
        """Add the lead to create on acceptance (an AmoLead or its params)."""
        return self._append("leads", lead, AmoLead, Lead, "add_incoming_lead")

    def add_incoming_contact(self, contact: AmoContact | Mapping[str, Any]) -> Self:
        """Add a contact to create on acceptance."""
        return self._append("contacts", contact, AmoContact, Contact, "add_incoming_contact")

    def add_incoming_company(self, company: AmoCompany | Mapping[str, Any]) -> Self:
        """Add a company to create on acceptance (an AmoCompany or its params; the seed wanted an AmoContact)."""
        return self._append("companies", company, AmoCompany, Company, "add_incoming_company")

    def get_params(self) -> dict[str, Any]:
        """The add item a save sends (``created_at`` defaults to now; the object is not changed)."""
        item = to_write_item(self.model)
        item.setdefault("created_at", int(time.time()))
        return item

    def save(self, return_response: bool = False) -> Any:
        """Add this incoming lead; the uid is written back. Returns the list of uids, or the answer."""
        name = "add_form" if self.CATEGORY == "form" else "add_sip"
        uids, response = call_raw(self._client(), "incoming_leads", name, {"objects": [self.model]})
        return response if return_response else uids


class AmoIncomingLeadForm(AmoIncomingLead):
    """An incoming lead from a web form (``/api/v2/incoming_leads/form``)."""

    URL: ClassVar[str] = path_of("incoming_leads")
    CATEGORY: ClassVar[str] = "form"


class AmoIncomingLeadSip(AmoIncomingLead):
    """An incoming lead from a call (``/api/v2/incoming_leads/sip``)."""

    URL: ClassVar[str] = path_of("incoming_leads")
    CATEGORY: ClassVar[str] = "sip"
