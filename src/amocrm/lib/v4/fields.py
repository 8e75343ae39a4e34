"""Typed custom-field values of API v4: a builder per field type for writes, value types for reads.

A builder checks its input and holds the value objects the API expects for its field type::

    from amocrm.lib.v4.fields import Date, Numeric, Phone, Select, SmartAddress

    lead.set_value("BUDGET_SOURCE", Select("Ads"))            # an option by its text
    lead.set_value(200103, Select(enum_id=2001032))          # ... or by its id
    contact.set_value("PHONE", Phone([("+79990000001", "MOB"), "+74950000002"]))   # WORK by default
    lead.set_value("DEADLINE", Date(datetime.date(2024, 2, 29)))
    lead.set_value(200107, Numeric(12.5))

Bad input raises :class:`~amocrm.errors.ConfigError` naming the builder and the argument before
anything is sent. The builder classes are also the *kinds* of typed reads
(``lead.get_value(200107, Numeric)`` is ``int | float | None`` for type checkers): each one knows how
to turn the API's value objects into a Python value (:meth:`FieldBuilder.decode_item`,
:meth:`FieldBuilder.combine`) and which field types (``field_type``) it fits (:attr:`FieldBuilder.types`).

Read values per field type (``T``: with ``first=True``; ``I``: each item with ``first=False``):

=============================================================  =====================================  ==================
field type                                                     T                                      I
=============================================================  =====================================  ==================
text, textarea, url, streetaddress, tracking_data,              ``str``                                ``str``
org_legal_name
numeric, price, monetary                                       ``int | float``                        same
checkbox                                                       ``bool``                               ``bool``
select, radiobutton, category                                  :class:`Choice` (text, enum_id)        :class:`Choice`
multiselect                                                    ``list[Choice]``                       :class:`Choice`
multitext (PHONE, EMAIL...)                                    ``list[MultiTextValue]``               MultiTextValue
date, date_time, birthday                                      aware UTC ``datetime.datetime``        same
smart_address                                                  :class:`Address` (part -> text)        :class:`AddressPart`
legal_entity                                                   :class:`LegalEntityValue`              same
linked_entity                                                  :class:`LinkedEntityValue`             same
file                                                           :class:`FileValue`                     same
items                                                          ``list[dict[str, Any]]``               ``dict``
payer, supplier                                                ``dict[str, Any]``                     same
chained_list                                                   :class:`ChainedListValue`              same
=============================================================  =====================================  ==================

Dates are written as RFC 3339 (``2024-02-29T00:00:00+00:00``), the form the official SDK sends; the
API answers with Unix seconds, which reads turn into aware UTC datetimes (an ISO date string, which
old accounts send, is read as well).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Generic, NamedTuple, TypeAlias, TypedDict, TypeVar, cast

from msgspec import UNSET

from amocrm.errors import ConfigError, DecodeError

__all__ = [
    "ALL_FIELD_TYPES",
    "BUILDERS",
    "EMAIL_CODES",
    "PHONE_CODES",
    "Address",
    "AddressPart",
    "AnyItem",
    "AnyValue",
    "Birthday",
    "Category",
    "ChainedList",
    "ChainedListValue",
    "Checkbox",
    "Choice",
    "Date",
    "DateTime",
    "Email",
    "FieldBuilder",
    "File",
    "FileValue",
    "Items",
    "LegalEntity",
    "LegalEntityValue",
    "LinkedEntity",
    "LinkedEntityValue",
    "Monetary",
    "MultiSelect",
    "MultiText",
    "MultiTextValue",
    "Number",
    "Numeric",
    "OrgLegalName",
    "Payer",
    "Phone",
    "Price",
    "Radiobutton",
    "Raw",
    "Select",
    "SmartAddress",
    "StreetAddress",
    "Supplier",
    "Text",
    "TextArea",
    "TrackingData",
    "Url",
    "builder_for",
]

ValueT = TypeVar("ValueT", covariant=True)
ItemT = TypeVar("ItemT", covariant=True)

TEXT_TYPES = frozenset({"text", "textarea", "url", "streetaddress", "tracking_data", "org_legal_name"})
NUMBER_TYPES = frozenset({"numeric", "price", "monetary"})
DATE_TYPES = frozenset({"date", "date_time", "birthday"})
CHOICE_TYPES = frozenset({"select", "radiobutton", "category"})

#: Every field type code of API v4 (``field_type`` of a value, ``type`` of a definition).
ALL_FIELD_TYPES: frozenset[str] = TEXT_TYPES | NUMBER_TYPES | DATE_TYPES | CHOICE_TYPES | frozenset({
    "checkbox", "multiselect", "multitext", "smart_address", "legal_entity", "linked_entity", "file", "items",
    "payer", "supplier", "chained_list",
})
#: Enum codes of the system PHONE field.
PHONE_CODES: tuple[str, ...] = ("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER")
#: Enum codes of the system EMAIL field.
EMAIL_CODES: tuple[str, ...] = ("WORK", "PRIV", "OTHER")
#: Parts of a smart address, in the API's order (``enum_code``; ``enum_id`` 1..6).
ADDRESS_PARTS: tuple[str, ...] = ("address_line_1", "address_line_2", "city", "state", "zip", "country")
_VALUE_KEYS = frozenset({"value", "enum_id", "enum_code", "catalog_id", "catalog_element_id"})
_NUMERIC_TEXT = re.compile(r"\s*[-+]?\d{1,30}([.,]\d{1,12})?\s*")
_INT_TEXT = re.compile(r"\s*[-+]?\d{1,30}\s*")


# -- read value types ----------------------------------------------------------------------------
class Choice(NamedTuple):
    """An option of a select, radiobutton, category or multiselect field."""

    value: str
    """The option's text."""
    enum_id: int | None = None
    """The option's id (``None`` when the API did not send it)."""


class MultiTextValue(NamedTuple):
    """One value of a multitext field (a phone number, an e-mail) and its enum code (WORK, MOB...)."""

    value: str
    """The text."""
    enum_code: str | None = None
    """The code: WORK, WORKDD, MOB, FAX, HOME, OTHER (phones); WORK, PRIV, OTHER (e-mails)."""


class AddressPart(NamedTuple):
    """One part of a smart address."""

    part: str
    """address_line_1, address_line_2, city, state, zip or country."""
    value: str
    """The text of the part."""


class ChainedListValue(NamedTuple):
    """A chained-list value: an element of a catalog."""

    catalog_id: int
    """The catalog."""
    element_id: int
    """The element (``catalog_element_id``)."""


class Address(TypedDict, total=False):
    """A smart address by part (only the parts that are set)."""

    address_line_1: str
    address_line_2: str
    city: str
    state: str
    zip: str
    country: str


class LegalEntityValue(TypedDict, total=False):
    """The object of a legal-entity field (country-specific keys are optional)."""

    name: str
    entity_type: int
    vat_id: str
    tax_registration_reason_code: str
    address: str
    kpp: str
    bank_code: str
    external_uid: str
    unp: str
    real_address: str
    bin: str
    egrpou: str
    mfo: str
    bank_account_number: str
    oked: str
    director: str


class LinkedEntityValue(TypedDict, total=False):
    """The object of a linked-entity field (catalogs): the entity it points to."""

    name: str
    entity_id: int
    entity_type: str
    catalog_id: int


class FileValue(TypedDict, total=False):
    """The object of a file field: a file uploaded to the account's drive."""

    file_uuid: str
    version_uuid: str
    file_name: str
    file_size: int


#: What an untyped read (``get_value(field)``) returns with ``first=True``.
AnyValue: TypeAlias = (
    str | int | float | bool | _dt.datetime | Choice | ChainedListValue | Mapping[str, Any]
    | list[Choice] | list[MultiTextValue] | list[dict[str, Any]]
)
#: What an untyped read returns per value with ``first=False``.
AnyItem: TypeAlias = (
    str | int | float | bool | _dt.datetime | Choice | MultiTextValue | AddressPart | ChainedListValue
    | Mapping[str, Any]
)


# -- helpers -------------------------------------------------------------------------------------
def _attr(item: Any, name: str) -> Any:
    """A key of one value object (a generated ``FieldValue`` or a dict); ``None`` when absent."""
    value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
    return None if value is UNSET else value


def _bad(who: str, expected: str, got: object) -> ConfigError:
    return ConfigError(f"{who}: expected {expected}, got {type(got).__name__} {got!r}")


def _need_str(who: str, value: object, *, blank: bool = True) -> str:
    if not isinstance(value, str):
        raise _bad(who, "str", value)
    if not blank and not value.strip():
        raise ConfigError(f"{who}: must not be blank")
    return value


def _need_int(who: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(who, "int", value)
    return value


def _opt_str(who: str, value: object) -> str | None:
    return None if value is None else _need_str(who, value)


def _name(obj: object) -> str:
    return type(obj).__name__


# -- the base ------------------------------------------------------------------------------------
class FieldBuilder(Generic[ValueT, ItemT]):
    """A checked custom-field value for writes, and the kind of a typed read.

    ``ValueT`` is what a read returns (``get_value(field, Kind)``), ``ItemT`` one value of the field
    (``get_value(field, Kind, first=False)``). ``values()`` gives the API's value objects.
    """

    __slots__ = ("_values",)

    #: The field types (``field_type``) this builder writes and reads.
    types: ClassVar[frozenset[str]] = frozenset()
    #: Whether a read combines all values (multiselect, multitext, smart address) or takes the first.
    multiple: ClassVar[bool] = False

    _values: list[dict[str, Any]]

    def values(self) -> list[dict[str, Any]]:
        """The value objects to send (``custom_fields_values[].values``); empty means "clear the field"."""
        return [dict(v) for v in self._values]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and isinstance(other, FieldBuilder) and other.values() == self.values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self._values)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._values!r})"

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        """A builder of this kind from a plain Python value (what ``set_value(field, value)`` takes
        for a field of a known type); raises ``ConfigError`` for a value that does not fit."""
        return cls(value)  # type: ignore[call-arg]

    @classmethod
    def decode_item(cls, item: Any, where: str) -> ItemT:
        """One value object as read from the API -> the Python value (``DecodeError`` if malformed)."""
        raise NotImplementedError

    @classmethod
    def combine(cls, items: list[Any]) -> ValueT | None:
        """The field's value from its decoded values: the first one (``None`` for none), or all of them
        for the kinds with ``multiple`` set."""
        if cls.multiple:
            return items  # type: ignore[return-value]
        first: ValueT | None = items[0] if items else None
        return first


def _undecodable(where: str, what: str, value: object) -> DecodeError:
    return DecodeError(f"{where}: {value!r} is not {what}")


# -- text ----------------------------------------------------------------------------------------
class Text(FieldBuilder[str, str]):
    """A text value (text, textarea, url, streetaddress, tracking_data, org_legal_name fields)."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = TEXT_TYPES

    def __init__(self, value: str) -> None:
        self._values = [{"value": _need_str(f"{_name(self)}(value)", value)}]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return cls(str(value))
        return cls(cast(Any, value))

    @classmethod
    def decode_item(cls, item: Any, where: str) -> str:
        value = _attr(item, "value")
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            raise _undecodable(where, "text", value)
        return str(value)


class TextArea(Text):
    """A textarea value."""

    __slots__ = ()


class Url(Text):
    """A url value."""

    __slots__ = ()


class StreetAddress(Text):
    """A (one-line) street address value."""

    __slots__ = ()


class TrackingData(Text):
    """A tracking_data value (utm_* and the like)."""

    __slots__ = ()


class OrgLegalName(Text):
    """An org_legal_name value."""

    __slots__ = ()


# -- numbers -------------------------------------------------------------------------------------
#: A number as read from a numeric field.
Number: TypeAlias = int | float


class Numeric(FieldBuilder[Number, Number]):
    """A number (numeric, price, monetary fields): int, float, ``Decimal`` or a numeric string.

    ``Decimal`` and strings are sent as numeric strings (the API accepts them; no float rounding).
    """

    __slots__ = ()
    types: ClassVar[frozenset[str]] = NUMBER_TYPES

    def __init__(self, value: int | float | Decimal | str) -> None:
        who = f"{_name(self)}(value)"
        wire: int | float | str
        if isinstance(value, bool):
            raise _bad(who, "a number", value)
        if isinstance(value, int):
            wire = value
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise _bad(who, "a finite number", value)
            wire = value
        elif isinstance(value, Decimal):
            if not value.is_finite():
                raise _bad(who, "a finite number", value)
            wire = format(value, "f")
        elif isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
            wire = value.strip().replace(",", ".")
        else:
            raise _bad(who, "a number or a numeric string", value)
        self._values = [{"value": wire}]

    @classmethod
    def decode_item(cls, item: Any, where: str) -> Number:
        value = _attr(item, "value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            if _INT_TEXT.fullmatch(value):
                return int(value)
            if _NUMERIC_TEXT.fullmatch(value):
                return float(value.strip().replace(",", "."))
        raise _undecodable(where, "a number", value)


class Price(Numeric):
    """A price value (catalogs)."""

    __slots__ = ()


class Monetary(Numeric):
    """A monetary value (the currency is part of the field's definition)."""

    __slots__ = ()


# -- checkbox ------------------------------------------------------------------------------------
class Checkbox(FieldBuilder[bool, bool]):
    """A checkbox: ``True`` or ``False``."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"checkbox"})

    def __init__(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise _bad(f"{_name(self)}(value)", "bool", value)
        self._values = [{"value": value}]

    @classmethod
    def decode_item(cls, item: Any, where: str) -> bool:
        value = _attr(item, "value")
        if isinstance(value, bool):
            return value
        if value in (1, "1", "true", "True", "Y"):
            return True
        if value in (0, "0", "false", "False", "", "N", None):
            return False
        raise _undecodable(where, "a checkbox value", value)


# -- options -------------------------------------------------------------------------------------
def _option(who: str, value: object) -> dict[str, Any]:
    """An option by text (str), by id (int) or as read (:class:`Choice`)."""
    if isinstance(value, Choice):
        return {"enum_id": value.enum_id} if value.enum_id is not None else {"value": value.value}
    if isinstance(value, bool):
        raise _bad(who, "an option text (str) or id (int)", value)
    if isinstance(value, int):
        return {"enum_id": value}
    if isinstance(value, str):
        return {"value": _need_str(who, value, blank=False)}
    raise _bad(who, "an option text (str) or id (int)", value)


def _decode_choice(item: Any, where: str) -> Choice:
    value, eid = _attr(item, "value"), _attr(item, "enum_id")
    if eid is not None and (isinstance(eid, bool) or not isinstance(eid, (int, str))):
        raise _undecodable(where, "an option", eid)
    try:
        ident = None if eid is None else int(eid)
    except ValueError:
        raise _undecodable(where, "an option id", eid) from None
    return Choice("" if value is None else str(value), ident)


class Select(FieldBuilder[Choice, Choice]):
    """One option of a select (radiobutton, category) field: by its text, ``enum_id`` or ``enum_code``.

    ``Select("Ads")``, ``Select(enum_id=2001032)``, ``Select(enum_code="ADS")``; a :class:`Choice`
    read from another entity works too (``Select(choice)``).
    """

    __slots__ = ()
    types: ClassVar[frozenset[str]] = CHOICE_TYPES

    def __init__(self, value: str | Choice | None = None, *, enum_id: int | None = None,
                 enum_code: str | None = None) -> None:
        who = _name(self)
        given = [k for k, v in (("value", value), ("enum_id", enum_id), ("enum_code", enum_code)) if v is not None]
        if len(given) != 1:
            raise ConfigError(f"{who}: give exactly one of value, enum_id, enum_code (got {given or 'none'})")
        if value is not None:
            if not isinstance(value, (str, Choice)):
                raise _bad(f"{who}(value)", "the option text (str) or a Choice", value)
            self._values = [_option(f"{who}(value)", value)]
        elif enum_id is not None:
            self._values = [{"enum_id": _need_int(f"{who}(enum_id)", enum_id)}]
        else:
            self._values = [{"enum_code": _need_str(f"{who}(enum_code)", enum_code, blank=False)}]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(enum_id=value)
        return cls(cast(Any, value))

    @classmethod
    def decode_item(cls, item: Any, where: str) -> Choice:
        return _decode_choice(item, where)


class Radiobutton(Select):
    """One option of a radiobutton field."""

    __slots__ = ()


class Category(Select):
    """One option of a category field (catalogs)."""

    __slots__ = ()


class MultiSelect(FieldBuilder[list[Choice], Choice]):
    """The chosen options of a multiselect field: texts (str), ids (int) or :class:`Choice` objects.

    An empty list clears the field.
    """

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"multiselect", "category"})
    multiple: ClassVar[bool] = True

    def __init__(self, options: Iterable[str | int | Choice]) -> None:
        who = f"{_name(self)}(options)"
        if isinstance(options, (str, bytes, Mapping)) or not isinstance(options, Iterable):
            raise _bad(who, "a list of option texts or ids", options)
        out: list[dict[str, Any]] = []
        for option in options:
            one = _option(who, option)
            if one not in out:
                out.append(one)
        self._values = out

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        if isinstance(value, (str, int, Choice)):
            return cls([value])
        return cls(value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> Choice:
        return _decode_choice(item, where)


# -- multitext -----------------------------------------------------------------------------------
class MultiText(FieldBuilder[list[MultiTextValue], MultiTextValue]):
    """Values of a multitext field, each ``(text, enum_code)`` or a bare text (``enum_code`` then).

    ``MultiText([("+7999", "MOB"), "+7495"], enum_code="WORK")``; one value may be given alone
    (``Phone("+7999")``, ``Phone(("+7999", "MOB"))``: a tuple is always one pair). An empty list
    clears the field.
    """

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"multitext"})
    multiple: ClassVar[bool] = True
    #: The enum codes allowed (empty: any).
    codes: ClassVar[tuple[str, ...]] = ()
    #: The code of a bare text when ``enum_code`` is not given.
    default_code: ClassVar[str | None] = None

    def __init__(self, values: str | Iterable[str | tuple[str, str] | MultiTextValue],
                 *, enum_code: str | None = None) -> None:
        who = _name(self)
        default = self._code(who, enum_code) if enum_code is not None else self.default_code
        items: Iterable[Any] = [values] if isinstance(values, (str, tuple)) else values
        if isinstance(values, Mapping) or not isinstance(items, Iterable):
            raise _bad(f"{who}(values)", "a text or a list of (text, enum_code)", values)
        out: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, str):
                text, code = item, default
            elif isinstance(item, tuple) and len(item) == 2:
                text, code = item[0], None if item[1] is None else self._code(who, item[1])
            else:
                raise _bad(f"{who}(values)", "a text or a (text, enum_code) pair", item)
            one: dict[str, Any] = {"value": _need_str(f"{who}(values)", text, blank=False)}
            if code is not None:
                one["enum_code"] = code
            out.append(one)
        self._values = out

    @classmethod
    def _code(cls, who: str, code: object) -> str:
        text = _need_str(f"{who}(enum_code)", code, blank=False)
        if cls.codes:
            if text.upper() not in cls.codes:
                raise ConfigError(f"{who}(enum_code): {text!r} is not one of {', '.join(cls.codes)}")
            return text.upper()
        return text

    @classmethod
    def decode_item(cls, item: Any, where: str) -> MultiTextValue:
        value, code = _attr(item, "value"), _attr(item, "enum_code")
        if code is None:
            code = _attr(item, "enum")  # some answers (and a peer library's fixtures) use "enum"
        if isinstance(value, (dict, list)):
            raise _undecodable(where, "text", value)
        return MultiTextValue("" if value is None else str(value), None if code is None else str(code))


class Phone(MultiText):
    """Phone numbers (the PHONE field); a bare number gets ``WORK``."""

    __slots__ = ()
    codes: ClassVar[tuple[str, ...]] = PHONE_CODES
    default_code: ClassVar[str | None] = "WORK"


class Email(MultiText):
    """E-mail addresses (the EMAIL field); a bare address gets ``WORK``."""

    __slots__ = ()
    codes: ClassVar[tuple[str, ...]] = EMAIL_CODES
    default_code: ClassVar[str | None] = "WORK"


# -- dates ---------------------------------------------------------------------------------------
def _rfc3339(who: str, value: object, tz: _dt.tzinfo | None) -> str:
    if isinstance(value, bool):
        raise _bad(who, "a datetime, a date or Unix seconds (int)", value)
    if isinstance(value, int):
        try:
            stamp = _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise ConfigError(f"{who}: {value} is out of range for Unix seconds") from None
    elif isinstance(value, _dt.datetime):
        stamp = value
        if stamp.tzinfo is None or stamp.utcoffset() is None:
            if tz is None:
                raise ConfigError(f"{who}: naive datetime {value!r}: pass an aware one "
                                  "(e.g. tzinfo=datetime.timezone.utc) or tz=")
            stamp = stamp.replace(tzinfo=tz)
    elif isinstance(value, _dt.date):
        stamp = _dt.datetime(value.year, value.month, value.day, tzinfo=tz or _dt.timezone.utc)
    else:
        raise _bad(who, "a datetime, a date or Unix seconds (int)", value)
    return stamp.isoformat(timespec="seconds")


def _decode_date(item: Any, where: str) -> _dt.datetime:
    value = _attr(item, "value")
    if isinstance(value, str) and _INT_TEXT.fullmatch(value):
        value = int(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return _dt.datetime.fromtimestamp(value, _dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise _undecodable(where, "a date", value) from None
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            stamp = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise _undecodable(where, "a date", value) from None
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=_dt.timezone.utc)
        return stamp.astimezone(_dt.timezone.utc)
    raise _undecodable(where, "a date", value)


class Date(FieldBuilder[_dt.datetime, _dt.datetime]):
    """A date (date, date_time, birthday fields): an aware ``datetime``, a ``date`` or Unix seconds.

    Sent as RFC 3339. A ``date`` is midnight in ``tz`` (default UTC; pass the account's time zone,
    e.g. ``ZoneInfo("Europe/Moscow")``, so the service shows the same day); ``tz`` also makes a
    naive ``datetime`` acceptable. Reads give aware UTC datetimes.
    """

    __slots__ = ()
    types: ClassVar[frozenset[str]] = DATE_TYPES

    def __init__(self, value: _dt.datetime | _dt.date | int, *, tz: _dt.tzinfo | None = None) -> None:
        self._values = [{"value": _rfc3339(f"{_name(self)}(value)", value, tz)}]

    @classmethod
    def decode_item(cls, item: Any, where: str) -> _dt.datetime:
        return _decode_date(item, where)


class DateTime(Date):
    """A date_time value."""

    __slots__ = ()


class Birthday(Date):
    """A birthday value."""

    __slots__ = ()


# -- smart address -------------------------------------------------------------------------------
class SmartAddress(FieldBuilder[Address, AddressPart]):
    """A smart address by part; give at least one part. Parts left out are not sent."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"smart_address"})
    multiple: ClassVar[bool] = True

    def __init__(self, *, address_line_1: str | None = None, address_line_2: str | None = None,
                 city: str | None = None, state: str | None = None, zip: str | None = None,
                 country: str | None = None) -> None:
        parts = (address_line_1, address_line_2, city, state, zip, country)
        out: list[dict[str, Any]] = []
        for code, text in _zip_parts(parts):
            if text is not None:
                out.append({"value": _need_str(f"{_name(self)}({code})", text), "enum_code": code})
        if not out:
            raise ConfigError(f"{_name(self)}: give at least one of {', '.join(ADDRESS_PARTS)}")
        self._values = out

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        if not isinstance(value, Mapping):
            raise _bad(cls.__name__, f"a mapping of {', '.join(ADDRESS_PARTS)}", value)
        unknown = sorted(str(k) for k in value if k not in ADDRESS_PARTS)
        if unknown:
            raise ConfigError(f"{cls.__name__}: unknown parts {unknown} (known: {', '.join(ADDRESS_PARTS)})")
        return cls(**value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> AddressPart:
        code, value = _attr(item, "enum_code"), _attr(item, "value")
        if code is None:
            eid = _attr(item, "enum_id")
            if isinstance(eid, int) and 1 <= eid <= len(ADDRESS_PARTS):
                code = ADDRESS_PARTS[eid - 1]
        if not isinstance(code, str):
            raise _undecodable(where, "an address part", item)
        return AddressPart(code, "" if value is None else str(value))

    @classmethod
    def combine(cls, items: list[AddressPart]) -> Address | None:
        if not items:
            return None
        out: dict[str, str] = {part: text for part, text in items}
        return out  # type: ignore[return-value]


def _zip_parts(values: Sequence[str | None]) -> list[tuple[str, str | None]]:
    return list(zip(ADDRESS_PARTS, values, strict=True))


# -- objects -------------------------------------------------------------------------------------
def _decode_object(item: Any, where: str, what: str) -> dict[str, Any]:
    value = _attr(item, "value")
    if not isinstance(value, Mapping):
        raise _undecodable(where, what, value)
    return dict(value)


def _object_from(cls: type[FieldBuilder[Any, Any]], value: Any) -> FieldBuilder[Any, Any]:
    if isinstance(value, Mapping):
        try:
            return cls(**value)
        except TypeError as exc:
            raise ConfigError(f"{cls.__name__}: {exc}") from None
    return cls(value)  # type: ignore[call-arg]


class LegalEntity(FieldBuilder[LegalEntityValue, LegalEntityValue]):
    """A legal entity (requisites); ``entity_type`` 1 is a sole proprietor, 2 a legal person."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"legal_entity"})

    def __init__(self, name: str, *, entity_type: int | None = None, vat_id: str | None = None,
                 tax_registration_reason_code: str | None = None, address: str | None = None,
                 kpp: str | None = None, bank_code: str | None = None, external_uid: str | None = None,
                 unp: str | None = None, real_address: str | None = None, bin: str | None = None,
                 egrpou: str | None = None, mfo: str | None = None, bank_account_number: str | None = None,
                 oked: str | None = None, director: str | None = None) -> None:
        who = _name(self)
        given = {"name": name, "vat_id": vat_id, "tax_registration_reason_code": tax_registration_reason_code,
                 "address": address, "kpp": kpp, "bank_code": bank_code, "external_uid": external_uid,
                 "unp": unp, "real_address": real_address, "bin": bin, "egrpou": egrpou, "mfo": mfo,
                 "bank_account_number": bank_account_number, "oked": oked, "director": director}
        obj: dict[str, Any] = {"name": _need_str(f"{who}(name)", name, blank=False)}
        if entity_type is not None:
            if _need_int(f"{who}(entity_type)", entity_type) not in (1, 2):
                raise ConfigError(f"{who}(entity_type): expected 1 (sole proprietor) or 2 (legal person), "
                                  f"got {entity_type}")
            obj["entity_type"] = entity_type
        for key, raw in given.items():
            if key == "name":
                continue
            text = _opt_str(f"{who}({key})", raw)
            if text is not None:
                obj[key] = text
        self._values = [{"value": obj}]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        return _object_from(cls, value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> LegalEntityValue:
        return _decode_object(item, where, "a legal entity object")  # type: ignore[return-value]


class LinkedEntity(FieldBuilder[LinkedEntityValue, LinkedEntityValue]):
    """A linked entity (catalogs): the entity's id and type, optionally its name and catalog."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"linked_entity"})

    def __init__(self, entity_id: int, entity_type: str, *, name: str | None = None,
                 catalog_id: int | None = None) -> None:
        who = _name(self)
        obj: dict[str, Any] = {"entity_id": _need_int(f"{who}(entity_id)", entity_id),
                               "entity_type": _need_str(f"{who}(entity_type)", entity_type, blank=False)}
        if name is not None:
            obj["name"] = _need_str(f"{who}(name)", name)
        if catalog_id is not None:
            obj["catalog_id"] = _need_int(f"{who}(catalog_id)", catalog_id)
        self._values = [{"value": obj}]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        return _object_from(cls, value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> LinkedEntityValue:
        return _decode_object(item, where, "a linked entity object")  # type: ignore[return-value]


class File(FieldBuilder[FileValue, FileValue]):
    """A file of the account's drive (upload it first): its uuid and version uuid, name and size."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"file"})

    def __init__(self, file_uuid: str, version_uuid: str, *, file_name: str | None = None,
                 file_size: int | None = None) -> None:
        who = _name(self)
        obj: dict[str, Any] = {"file_uuid": _need_str(f"{who}(file_uuid)", file_uuid, blank=False),
                               "version_uuid": _need_str(f"{who}(version_uuid)", version_uuid, blank=False)}
        if file_name is not None:
            obj["file_name"] = _need_str(f"{who}(file_name)", file_name)
        if file_size is not None:
            obj["file_size"] = _need_int(f"{who}(file_size)", file_size)
        self._values = [{"value": obj}]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        return _object_from(cls, value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> FileValue:
        return _decode_object(item, where, "a file object")  # type: ignore[return-value]


def _need_object(who: str, value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _bad(who, "a mapping with str keys", value)
    return dict(value)


class Items(FieldBuilder[list[dict[str, Any]], dict[str, Any]]):
    """Products of an invoice (items field): one mapping per line (sku, description, unit_price,
    quantity, unit_type, discount, vat_rate_id, ...)."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"items"})
    multiple: ClassVar[bool] = True

    def __init__(self, *items: Mapping[str, Any]) -> None:
        self._values = [{"value": _need_object(f"{_name(self)}(items)", item)} for item in items]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        if isinstance(value, Mapping):
            return cls(value)
        if isinstance(value, (list, tuple)):
            return cls(*value)
        raise _bad(cls.__name__, "a mapping or a list of mappings", value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> dict[str, Any]:
        return _decode_object(item, where, "an items object")


class Payer(FieldBuilder[dict[str, Any], dict[str, Any]]):
    """The payer of an invoice (name, vat_id, kpp, address, entity_type, entity_id, ...)."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"payer"})

    def __init__(self, value: Mapping[str, Any]) -> None:
        self._values = [{"value": _need_object(f"{_name(self)}(value)", value)}]

    @classmethod
    def decode_item(cls, item: Any, where: str) -> dict[str, Any]:
        return _decode_object(item, where, "a payer object")


class Supplier(FieldBuilder[dict[str, Any], dict[str, Any]]):
    """The supplier of an invoice, by its entity id."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"supplier"})

    def __init__(self, entity_id: int) -> None:
        self._values = [{"value": {"entity_id": _need_int(f"{_name(self)}(entity_id)", entity_id)}}]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        if isinstance(value, Mapping):
            return cls(value.get("entity_id"))  # type: ignore[arg-type]
        return cls(value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> dict[str, Any]:
        return _decode_object(item, where, "a supplier object")


# -- chained list --------------------------------------------------------------------------------
class ChainedList(FieldBuilder[ChainedListValue, ChainedListValue]):
    """A chained-list value: a catalog element (``catalog_id``, ``element_id``); further
    ``(catalog_id, element_id)`` pairs for the next links of the chain. Sent without ``value``."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = frozenset({"chained_list"})

    def __init__(self, catalog_id: int, element_id: int, *more: tuple[int, int]) -> None:
        who = _name(self)
        pairs: list[tuple[object, object]] = [(catalog_id, element_id)]
        for pair in more:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise _bad(f"{who}(more)", "(catalog_id, element_id) pairs", pair)
            pairs.append(pair)
        self._values = [{"catalog_id": _need_int(f"{who}(catalog_id)", c),
                         "catalog_element_id": _need_int(f"{who}(element_id)", e)} for c, e in pairs]

    @classmethod
    def from_python(cls, value: Any) -> FieldBuilder[Any, Any]:
        if isinstance(value, tuple) and len(value) == 2 and not isinstance(value[0], tuple):
            return cls(value[0], value[1])
        if isinstance(value, (list, tuple)) and value and all(isinstance(p, tuple) for p in value):
            first, *rest = value
            return cls(first[0], first[1], *rest)
        raise _bad(cls.__name__, "(catalog_id, element_id) or a list of such pairs", value)

    @classmethod
    def decode_item(cls, item: Any, where: str) -> ChainedListValue:
        cat, elem = _attr(item, "catalog_id"), _attr(item, "catalog_element_id")
        if cat is None and isinstance(_attr(item, "value"), Mapping):
            inner = _attr(item, "value")
            cat, elem = inner.get("catalog_id"), inner.get("catalog_element_id")
        if isinstance(cat, bool) or isinstance(elem, bool) or not isinstance(cat, int) or not isinstance(elem, int):
            raise _undecodable(where, "a chained-list value", item)
        return ChainedListValue(cat, elem)


# -- raw -----------------------------------------------------------------------------------------
class Raw(FieldBuilder[list[dict[str, Any]], dict[str, Any]]):
    """Value objects as they are (``value``, ``enum_id``, ``enum_code``, ``catalog_id``,
    ``catalog_element_id``), for a field type no builder covers; reads give the objects' set keys."""

    __slots__ = ()
    types: ClassVar[frozenset[str]] = ALL_FIELD_TYPES
    multiple: ClassVar[bool] = True

    def __init__(self, values: Iterable[Mapping[str, Any]]) -> None:
        who = f"{_name(self)}(values)"
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            raise _bad(who, "a list of value objects", values)
        out: list[dict[str, Any]] = []
        for item in values:
            obj = _need_object(who, item)
            unknown = sorted(set(obj) - _VALUE_KEYS)
            if unknown:
                raise ConfigError(f"{who}: unknown keys {unknown} (allowed: {', '.join(sorted(_VALUE_KEYS))})")
            out.append(obj)
        self._values = out

    @classmethod
    def decode_item(cls, item: Any, where: str) -> dict[str, Any]:
        return {k: v for k in sorted(_VALUE_KEYS) if (v := _attr(item, k)) is not None}


#: Field type -> the builder that writes and reads it.
BUILDERS: Mapping[str, type[FieldBuilder[Any, Any]]] = {
    "text": Text, "textarea": TextArea, "url": Url, "streetaddress": StreetAddress, "tracking_data": TrackingData,
    "org_legal_name": OrgLegalName, "numeric": Numeric, "price": Price, "monetary": Monetary,
    "checkbox": Checkbox, "select": Select, "radiobutton": Radiobutton, "category": Category,
    "multiselect": MultiSelect, "multitext": MultiText, "date": Date, "date_time": DateTime,
    "birthday": Birthday, "smart_address": SmartAddress, "legal_entity": LegalEntity,
    "linked_entity": LinkedEntity, "file": File, "items": Items, "payer": Payer, "supplier": Supplier,
    "chained_list": ChainedList,
}


def builder_for(field_type: str | None, field_code: str | None = None) -> type[FieldBuilder[Any, Any]] | None:
    """The builder of a field type (``Phone``/``Email`` for the PHONE/EMAIL multitext fields);
    ``None`` for an unknown type."""
    if field_type == "multitext" and field_code in ("PHONE", "EMAIL"):
        return Phone if field_code == "PHONE" else Email
    return BUILDERS.get(field_type or "")
