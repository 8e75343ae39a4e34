"""``AmoObject``: the seed's model base, a thin wrapper around one generated msgspec model.

The wrapper holds the typed model in ``.model`` and forwards attribute reads and writes to it
(``contact.first_name = 'X'``); ``None`` stands for "not set" both ways, as in the seed. Payloads are
built by the SDK's writer (:func:`amocrm.models.to_write_item`) and saves go through the generated
resource of the account (``client.v2.contacts.save(...)``), which writes the new id back.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import msgspec

from amocrm.errors import ConfigError, NotFoundError
from amocrm.facade._registry import REGISTRY, get_raw, items_of, save_raw
from amocrm.lib.base import mark_clean
from amocrm.models import to_write_item
from amocrm.v2 import constants as _c
from amocrm.v2.models import CustomField

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["AmoObject", "CustomFieldsMixin", "TagsMixin", "link_call", "model_from"]

M = TypeVar("M", bound=msgspec.Struct)


def _fail(message: str) -> ConfigError:
    return ConfigError(message)


def model_from(params: Any, model: type[M], what: str) -> M:
    """A ``model`` from a dict of params (API items included): unknown keys are ignored, numeric
    strings accepted; a value of the wrong type raises an error naming the field."""
    if params is None:
        return model()
    if isinstance(params, model):
        return params
    if not isinstance(params, Mapping):
        raise _fail(f"{what}: params must be a dict, got {type(params).__name__}")
    try:
        return msgspec.convert(dict(params), model, strict=False)
    except msgspec.ValidationError as exc:
        raise _fail(f"{what}: invalid params: {exc}") from None


class AmoObject(Generic[M]):
    """Base of the seed's models. Subclasses set ``MODEL`` (the generated class) and ``RESOURCE``."""

    MODEL: ClassVar[type[Any]]
    #: Attribute of :class:`~amocrm.client.AmoClient` holding the resource (``contacts`` ...).
    RESOURCE: ClassVar[str]
    #: The entity's API path, as the seed's ``URL`` constant.
    URL: ClassVar[str]

    CONTACT_TYPE: ClassVar[int] = _c.CONTACT_TYPE
    LEAD_TYPE: ClassVar[int] = _c.LEAD_TYPE
    COMPANY_TYPE: ClassVar[int] = _c.COMPANY_TYPE
    TASK_TYPE: ClassVar[int] = _c.TASK_TYPE
    CUSTOMER_TYPE: ClassVar[int] = _c.CUSTOMER_TYPE

    model: M
    subdomain: str | None

    if TYPE_CHECKING:  # the seed's AmoObject properties, forwarded to the model (None when unset)
        id: int | None
        name: str | None
        responsible_user_id: int | None
        created_by: int | None
        created_at: int | None
        updated_at: int | None
        account_id: int | None
        updated_by: int | None
        group_id: int | None
        request_id: int | str | None

    def __init__(self, params: Mapping[str, Any] | M | None = None, subdomain: str | None = None) -> None:
        object.__setattr__(self, "model", model_from(params, self.MODEL, type(self).__name__))
        object.__setattr__(self, "subdomain", subdomain)

    # -- attribute forwarding ----------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name not in self.MODEL.__struct_fields__:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        value = getattr(self.model, name)
        return None if value is msgspec.UNSET else value

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("model", "subdomain"):
            object.__setattr__(self, name, value)
            return
        if name not in self.MODEL.__struct_fields__:
            fields = ", ".join(self.MODEL.__struct_fields__)
            raise _fail(f"{type(self).__name__} has no field {name!r} (fields: {fields})")
        setattr(self.model, name, msgspec.UNSET if value is None else value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and bool(other.model == self.model)

    __hash__: ClassVar[None] = None  # type: ignore[assignment]

    # -- plumbing ----------------------------------------------------------------------------------

    def _client(self) -> Any:
        return REGISTRY.use(self.subdomain)

    def _fill(self, item: Any) -> None:
        """Hold the entity as read from the server (tracked: saving it again sends what changed)."""
        model = model_from(item, self.MODEL, type(self).__name__)
        mark_clean((model,))
        object.__setattr__(self, "model", model)

    # -- the seed's methods ------------------------------------------------------------------------

    def fill_by_id(self, id: int | str, params: Mapping[str, Any] | None = None) -> Self:
        """Load the entity with this id (extra GET params allowed) into this object."""
        query = {"id": id, **{k: v for k, v in (params or {}).items() if k != "id"}}
        response = get_raw(self._client(), self.RESOURCE, query)
        items = _items(response)
        name = type(self).__name__
        if not items:
            raise NotFoundError(f"{name} with id {id} not found", status=404, method="GET", url=self.URL)
        first = items[0]
        if not isinstance(first, Mapping) or str(first.get("id")) != str(id):
            raise NotFoundError(
                f"no {name} with id {id} (the server returned another entity)",
                status=404,
                method="GET",
                url=self.URL,
            )
        self._fill(first)
        return self

    def get_params(self) -> dict[str, Any]:
        """The write item a save sends (``updated_at`` = now + delta when the object has an id)."""
        item = to_write_item(self.model)
        if getattr(self.model, "id", None) not in (None, msgspec.UNSET):
            item["updated_at"] = int(time.time()) + REGISTRY.updated_at_delta
        return item

    def save(self, return_response: bool = False) -> Any:
        """Add (no id) or update the entity; the new id is written back. Returns the id, or the answer."""
        client = self._client()
        verb = "update" if getattr(self.model, "id", None) not in (None, msgspec.UNSET) else "add"
        response = save_raw(client, self.RESOURCE, [self.model])
        items = _items(response)
        if not items:
            raise _fail(f"could not {verb} {type(self).__name__}: the answer lists no items")
        return response if return_response else items[0].get("id")


class CustomFieldsMixin:
    """The seed's custom-field and tag methods, for the models that have those fields."""

    model: Any

    def get_custom_fields(self, ids: int | str | Iterable[int | str]) -> list[CustomField]:
        """The custom fields with these ids (a scalar or a list), in the object's order."""
        wanted = [ids] if isinstance(ids, (int, str)) else list(ids)
        keys = {str(i) for i in wanted}
        fields = self.model.custom_fields
        if fields is msgspec.UNSET:
            return []
        return [f for f in fields if str(f.id) in keys]

    def get_custom_field_value_by_id(
        self, id: int | str, return_first: bool = True, return_value: str = "value"
    ) -> Any:
        """First value of the field (or all with ``return_first=False``); ``return_value`` picks
        ``value``, ``enum`` or ``subtype``; None when the field is absent."""
        if return_value not in ("value", "enum", "subtype"):
            raise _fail(f"return_value must be 'value', 'enum' or 'subtype', got {return_value!r}")
        return self.model.get_custom_field_value(id, return_first, return_value)

    def set_custom_fields(self, params: Mapping[int | str, Any]) -> Any:
        """``{field_id: value}``: a scalar becomes ``[{'value': v}]``, a list is the values as given."""
        if not isinstance(params, Mapping):
            raise _fail(f"set_custom_fields: expected {{field_id: value}}, got {type(params).__name__}")
        try:
            self.model.set_custom_fields(params)
        except (TypeError, ValueError) as exc:
            raise _fail(f"set_custom_fields: {exc}") from None
        return self


class TagsMixin:
    """The seed's ``add_tags``/``del_tags``."""

    model: Any

    def add_tags(self, tags: str | Iterable[str]) -> Any:
        """Add a tag or tags (names), skipping those already there."""
        try:
            self.model.add_tags(tags)
        except TypeError as exc:
            raise _fail(f"add_tags: {exc}") from None
        return self

    def del_tags(self, tags: str | Iterable[str]) -> Any:
        """Remove a tag or tags by name."""
        try:
            self.model.remove_tags(tags)
        except TypeError as exc:
            raise _fail(f"del_tags: {exc}") from None
        return self


S = TypeVar("S")


def link_call(obj: S, method: str, *args: Any) -> S:
    """Call the model helper ``method`` of ``obj.model``; bad ids become a facade ``ConfigError``."""
    try:
        getattr(obj.model, method)(*args)  # type: ignore[attr-defined]
    except (TypeError, ValueError) as exc:
        raise _fail(f"{type(obj).__name__}.{method}: {exc}") from None
    return obj


def _items(response: Any) -> list[Any]:
    items = items_of(response)
    if isinstance(items, Mapping):
        return list(items.values())
    return items if isinstance(items, list) else []
