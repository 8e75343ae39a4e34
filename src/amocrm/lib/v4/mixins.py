"""Model helpers of API v4, mixed into the generated classes (the spec names them in ``x-mixins``).

``CustomFieldsMixin`` is for the models with ``custom_fields_values`` (leads, contacts, companies,
customers, catalog elements, segments); ``TagsMixin`` for the models with ``_embedded.tags``;
``NoteMixin`` for notes (typed params per note type, see :mod:`amocrm.lib.v4.notes`).

Each mixin is a field-less msgspec Struct; the attributes the helpers use are declared for type
checkers only. Nested objects are built with the classes of the concrete model's own fields, so the
helpers work for models generated into another package too. Every change is an assignment (or a
:func:`~amocrm.lib.base.touch`), so an object read from the server sends it on its next save.
"""

from __future__ import annotations

import datetime
import sys
import typing
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar, overload

import msgspec
from msgspec import UNSET

from amocrm.errors import ConfigError
from amocrm.lib.base import changed_fields, struct_type, touch
from amocrm.lib.v4.fields import (
    ALL_FIELD_TYPES,
    AnyItem,
    AnyValue,
    ChainedList,
    ChainedListValue,
    Checkbox,
    Choice,
    DateTime,
    FieldBuilder,
    MultiSelect,
    MultiText,
    Numeric,
    Raw,
    Text,
    builder_for,
)
from amocrm.lib.v4.notes import NOTE_SHAPES, NoteShape, NoteType, check_note_params

if TYPE_CHECKING:
    from msgspec import UnsetType
    from typing_extensions import Self

    from amocrm.v4.models.common import FieldValues, Tag
    from amocrm.v4.models.note import (
        AiResultNoteParams,
        AmomailMessageNoteParams,
        AttachmentNoteParams,
        CallNoteParams,
        CommonNoteParams,
        DropboxAttachmentNoteParams,
        GeolocationNoteParams,
        LinkFollowedNoteParams,
        MessageCashierNoteParams,
        NoteParams,
        PaymentNoteParams,
        ServiceMessageNoteParams,
        SiteVisitNoteParams,
        SmsNoteParams,
        TargetingNoteParams,
        TransactionNoteParams,
        ZoomMeetingNoteParams,
    )

__all__ = ["AnyNoteParams", "CustomFieldsMixin", "FieldRef", "NoteMixin", "PlainValue", "TagsMixin"]

ValueT = TypeVar("ValueT")
ItemT = TypeVar("ItemT")
ParamsT = TypeVar("ParamsT", bound=msgspec.Struct)

#: A custom field named by its id (int), its code or its name (str; names only for fields the
#: object already holds, matched case-insensitively).
FieldRef: TypeAlias = int | str
#: What ``set_value`` takes besides a builder: a plain Python value, converted per the field's type.
PlainValue: TypeAlias = (
    str | int | float | Decimal | bool | datetime.date | Choice | ChainedListValue
    | list[Any] | tuple[Any, ...] | Mapping[str, Any]
)

#: ``__dict__`` key: the list the helpers assigned last and which entries they wrote (see the write hook).
_CF_WRITTEN = "__amo_cf_written__"



def _set(value: Any) -> Any:
    return None if value is UNSET else value


def _label(entry: Any) -> str:
    """``custom field 200107 'Число' (numeric)`` for messages."""
    ident = _set(entry.field_id)
    code, name, ftype = _set(entry.field_code), _set(entry.field_name), _set(entry.field_type)
    out = f"custom field {ident if ident is not None else code!r}"
    if name:
        out += f" {name!r}"
    if ftype:
        out += f" ({ftype})"
    return out


def _ref_label(field: FieldRef) -> str:
    return f"custom field {field!r}"


def _check_ref(field: object) -> None:
    if isinstance(field, bool) or not isinstance(field, (int, str)):
        raise ConfigError(f"custom field: expected an id (int), a code or a name (str), got "
                          f"{type(field).__name__} {field!r}")


def _guess(value: Any) -> FieldBuilder[Any, Any]:
    """A builder for a plain value written to a field whose type this object does not know."""
    if isinstance(value, bool):
        return Checkbox(value)
    if isinstance(value, str):
        return Text(value)
    if isinstance(value, ChainedListValue):
        return ChainedList(value.catalog_id, value.element_id)
    if isinstance(value, Choice):
        return MultiSelect([value])
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return MultiText(value)
    if isinstance(value, (int, float, Decimal)):
        return Numeric(value)
    if isinstance(value, datetime.date):
        return DateTime(value)
    if isinstance(value, list):
        if all(isinstance(v, Mapping) for v in value):
            return Raw(value)
        if all(isinstance(v, tuple) for v in value):
            return MultiText(value)
        if all(isinstance(v, (str, int, Choice)) and not isinstance(v, bool) for v in value):
            return MultiSelect(value)
    raise ConfigError(f"expected a builder of amocrm.lib.v4.fields for this value (the field's type is not "
                      f"known here), got {type(value).__name__} {value!r}")


class CustomFieldsMixin(msgspec.Struct, kw_only=True):
    """Reading and writing ``custom_fields_values`` by field id, code or name, typed per field type.

    ``get_value(field, Kind)`` reads with a builder class of :mod:`amocrm.lib.v4.fields` as the kind
    (``lead.get_value("BUDGET", Numeric)`` is ``int | float | None``); ``set_value(field, Builder(...))``
    writes one field (the other fields keep their values: the API patches by field); ``None`` or
    ``clear(field)`` empties it.

    On an object read from the server, a save sends only the fields these helpers wrote (one
    ``custom_fields_values`` entry each), so a concurrent change to another field of the same entity
    is not overwritten. Assigning ``custom_fields_values`` yourself sends the whole list.
    """

    if TYPE_CHECKING:
        custom_fields_values: list[FieldValues] | None | UnsetType

    # -- reading ---------------------------------------------------------------------------------
    def get_field(self, field: FieldRef) -> FieldValues | None:
        """The field entry by id (int), or by code, else by name (str; both case-insensitive); ``None``
        when this object has no such field. A name two fields share raises ``ConfigError``."""
        _check_ref(field)
        entries = self.custom_fields_values
        if entries is UNSET or entries is None:
            return None
        if isinstance(field, int):
            return next((e for e in entries if _set(e.field_id) == field), None)
        wanted = field.casefold()
        for entry in entries:
            code = _set(entry.field_code)
            if isinstance(code, str) and code.casefold() == wanted:
                return entry
        named = [e for e in entries if isinstance(_set(e.field_name), str) and str(e.field_name).casefold() == wanted]
        if len(named) > 1:
            ids = ", ".join(str(_set(e.field_id)) for e in named)
            raise ConfigError(f"custom field name {field!r} is ambiguous (fields {ids}): use the field id or code")
        return named[0] if named else None

    @overload
    def get_value(self, field: FieldRef, kind: type[FieldBuilder[ValueT, ItemT]], *,
                  first: Literal[True] = ...) -> ValueT | None: ...

    @overload
    def get_value(self, field: FieldRef, kind: type[FieldBuilder[ValueT, ItemT]], *,
                  first: Literal[False]) -> list[ItemT]: ...

    @overload
    def get_value(self, field: FieldRef, kind: None = ..., *, first: Literal[True] = ...) -> AnyValue | None: ...

    @overload
    def get_value(self, field: FieldRef, kind: None = ..., *, first: Literal[False]) -> list[AnyItem]: ...

    def get_value(self, field: FieldRef, kind: type[FieldBuilder[Any, Any]] | None = None, *,
                  first: bool = True) -> Any:
        """The field's value, typed per field type (see :mod:`amocrm.lib.v4.fields`); ``None`` when
        the object has no value for it.

        ``kind`` (a builder class: ``Numeric``, ``Date``, ``Select``...) fixes the static type and is
        checked against the field's ``field_type``; without it the type follows ``field_type`` (the raw
        ``value`` for a type this SDK does not know). ``first=False`` gives every value of the field
        as a list (``[]`` for none); multiselect, multitext and smart-address values are lists (a
        mapping) either way.
        """
        entry = self.get_field(field)
        raw = None if entry is None else _set(entry.values)
        if entry is None or not raw:
            return None if first else []
        where = _label(entry)
        ftype, code = _set(entry.field_type), _set(entry.field_code)
        if kind is None:
            kind = builder_for(ftype, code)
            if kind is None:
                items: list[Any] = [v for v in (_raw_item(x) for x in raw) if v is not None]
                return (items[0] if items else None) if first else items
        elif isinstance(ftype, str) and ftype in ALL_FIELD_TYPES and ftype not in kind.types:
            raise ConfigError(f"{where}: cannot be read as {kind.__name__} (it reads {', '.join(sorted(kind.types))})")
        decoded = [kind.decode_item(v, where) for v in raw]
        return kind.combine(decoded) if first else decoded

    # -- writing ---------------------------------------------------------------------------------
    def set_value(self, field: FieldRef, value: FieldBuilder[Any, Any] | PlainValue | None) -> Self:
        """Write one field: a builder (``Select("Ads")``), ``None`` (clears the field), or a plain value
        converted per the field's type (``"Ads"`` for a select, ``12.5`` for a numeric field, a
        ``datetime`` for a date, ``[("+7999", "MOB")]`` for a phone, a mapping for an address...).

        A field this object holds keeps its entry (id, code, name, type) with the new values; another
        one is added by id (int) or code (str). ``ConfigError`` names the field when the value does
        not fit its type.
        """
        _check_ref(field)
        entry = self.get_field(field)
        where = _label(entry) if entry is not None else _ref_label(field)
        ftype = _set(entry.field_type) if entry is not None else None
        code = _set(entry.field_code) if entry is not None else None
        try:
            builder = self._builder(value, ftype, code)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if builder is not None and isinstance(ftype, str) and ftype in ALL_FIELD_TYPES and ftype not in builder.types:
            raise ConfigError(f"{where}: {type(builder).__name__} does not fit this field "
                              f"(it writes {', '.join(sorted(builder.types))})")
        field_cls = struct_type(type(self), "custom_fields_values")
        value_cls = struct_type(field_cls, "values")
        wire = builder.values() if builder is not None else []
        values = [value_cls(**v) for v in wire] or None
        if entry is not None:
            new_entry = field_cls(values=values)
            for name in ("field_id", "field_code", "field_name", "field_type"):
                current = getattr(entry, name)
                if current is not UNSET:
                    setattr(new_entry, name, current)
        elif isinstance(field, int):
            new_entry = field_cls(field_id=field, values=values)
        else:
            new_entry = field_cls(field_code=field, values=values)
        old = self.custom_fields_values
        entries = [] if old is UNSET or old is None else list(old)
        if entry is not None:
            entries = [new_entry if e is entry else e for e in entries]
        else:
            entries.append(new_entry)
        self._record_write(old, entries, entry, new_entry)
        self.custom_fields_values = entries
        return self

    def set_values(self, values: Mapping[FieldRef, FieldBuilder[Any, Any] | PlainValue | None]) -> Self:
        """``set_value`` for each ``{field: value}`` pair, in order."""
        for field, value in values.items():
            self.set_value(field, value)
        return self

    def clear(self, field: FieldRef) -> Self:
        """Empty a field (sent as ``values: null``, the API's way to clear one)."""
        return self.set_value(field, None)

    @staticmethod
    def _builder(value: Any, ftype: Any, code: Any) -> FieldBuilder[Any, Any] | None:
        if value is None:
            return None
        if isinstance(value, FieldBuilder):
            return value
        if isinstance(value, type) and issubclass(value, FieldBuilder):
            raise ConfigError(f"expected a value, got the class {value.__name__}: call it, e.g. {value.__name__}(...)")
        if isinstance(value, (list, tuple)) and not value:
            return None
        kind = builder_for(ftype if isinstance(ftype, str) else None, code if isinstance(code, str) else None)
        return _guess(value) if kind is None else kind.from_python(value)

    # -- partial updates -------------------------------------------------------------------------
    def _record_write(self, old: Any, entries: list[Any], replaced: Any, new_entry: Any) -> None:
        """Remember which entries of the assigned list the helpers wrote (for :meth:`_amo_write_hook`)."""
        state = getattr(self, "__dict__", None)
        if state is None:
            return
        changed = changed_fields(self)
        touched: list[Any] = []
        prev = state.get(_CF_WRITTEN)
        if prev is not None and changed is not None and "custom_fields_values" in changed and _same(prev, old):
            touched = [e for e in prev[1] if e is not replaced]
        touched.append(new_entry)
        state[_CF_WRITTEN] = (entries, touched, [(e, e.values) for e in entries])

    def _amo_write_hook(self, item: Any) -> None:
        """Called by the generated writer with the write item: an update of an object read from the
        server sends only the ``custom_fields_values`` entries the helpers wrote, as long as the list
        is still the one they assigned (assign it yourself and all of it is sent)."""
        state = getattr(self, "__dict__", None)
        prev = state.get(_CF_WRITTEN) if state is not None else None
        changed = changed_fields(self)
        if prev is None or changed is None or "custom_fields_values" not in changed:
            return
        if getattr(self, "id", None) in (UNSET, None) or not _same(prev, self.custom_fields_values):
            return
        written = getattr(item, "custom_fields_values", UNSET)
        current = prev[0]
        if not isinstance(written, list) or len(written) != len(current):
            return
        touched = prev[1]
        item.custom_fields_values = [w for w, e in zip(written, current, strict=True)
                                     if any(e is t for t in touched)]


def _same(prev: tuple[Any, list[Any], list[tuple[Any, Any]]], current: Any) -> bool:
    """Whether ``current`` is still the list the helpers assigned, entry by entry and values by values."""
    entries, _, snapshot = prev
    if current is not entries or len(current) != len(snapshot):
        return False
    return all(e is s and e.values is v for e, (s, v) in zip(current, snapshot, strict=True))


def _raw_item(item: Any) -> Any:
    """The value of one value object of an unknown field type (its ``value``, else its set keys)."""
    value = _set(getattr(item, "value", UNSET))
    if value is not None:
        return value
    keys = {k: _set(getattr(item, k, UNSET)) for k in ("enum_id", "enum_code", "catalog_id", "catalog_element_id")}
    found = {k: v for k, v in keys.items() if v is not None}
    return found or None


# -- tags ----------------------------------------------------------------------------------------
def _flatten_names(names: tuple[Any, ...]) -> list[str]:
    out: list[str] = []
    for name in names:
        group = name if isinstance(name, (list, tuple, set, frozenset)) else [name]
        for item in group:
            if not isinstance(item, str) or not item.strip():
                raise ConfigError(f"tag names must be non-blank str, got {type(item).__name__} {item!r}")
            if item not in out:
                out.append(item)
    return out


class TagsMixin(msgspec.Struct, kw_only=True):
    """Tags by name on ``_embedded.tags``, de-duplicated.

    On an object read from the server whose model has ``tags_to_add``/``tags_to_delete`` (leads,
    contacts, companies, customers), the helpers record the change there: the update adds or removes
    just those tags, leaving tags someone else set meanwhile and the rest of ``_embedded`` alone;
    ``embedded.tags`` is updated too, as what the object shows. Otherwise (a new object, or a model
    without those fields) they assign a new ``embedded.tags``, which the API takes as the whole tag
    list.
    """

    if TYPE_CHECKING:
        embedded: Any

    @property
    def tag_names(self) -> list[str]:
        """Names of the tags in ``_embedded.tags``, in order."""
        return [str(t.name) for t in self._tags() if isinstance(_set(t.name), str)]

    def add_tags(self, *names: str | Iterable[str]) -> Self:
        """Add each name not present yet (names or lists of names)."""
        wanted = _flatten_names(names)
        current = self._tags()
        present = {_set(t.name) for t in current}
        new = [n for n in wanted if n not in present]
        if self._patch_tags():
            view = _set(self.embedded)
            known = view is not None and _set(view.tags) is not None
            adds, dels = self._pending("tags_to_add"), self._pending("tags_to_delete")
            tag_cls = struct_type(type(self), "tags_to_add")
            for name in new if known else wanted:
                if not any(_set(t.name) == name for t in adds):
                    adds.append(tag_cls(name=name))
            dels = [t for t in dels if _set(t.name) not in wanted]
            self._assign_pending(adds, dels)
            if known and new and view is not None:
                view.tags = current + [self._tag(name) for name in new]
            return self
        if new:
            self._set_tags(current + [self._tag(name) for name in new])
        return self

    def remove_tags(self, *names: str | Iterable[str]) -> Self:
        """Drop every tag whose name is given."""
        drop = _flatten_names(names)
        current = self._tags()
        kept = [t for t in current if _set(t.name) not in drop]
        if self._patch_tags():
            view = _set(self.embedded)
            known = view is not None and _set(view.tags) is not None
            adds, dels = self._pending("tags_to_add"), self._pending("tags_to_delete")
            tag_cls = struct_type(type(self), "tags_to_delete")
            pending = {_set(t.name) for t in adds}
            gone = [t for t in current if _set(t.name) in drop and not (_set(t.id) is None and t.name in pending)]
            for t in gone:
                ident = _set(t.id)
                dels.append(tag_cls(id=ident, name=t.name) if ident is not None else tag_cls(name=t.name))
            if not known:
                for name in drop:
                    if not any(_set(t.name) == name for t in dels):
                        dels.append(tag_cls(name=name))
            adds = [t for t in adds if _set(t.name) not in drop]
            self._assign_pending(adds, dels)
            if known and len(kept) != len(current) and view is not None:
                view.tags = kept
            return self
        if len(kept) != len(current):
            self._set_tags(kept)
        return self

    def clear_tags(self) -> Self:
        """Remove every tag (``_embedded.tags: null`` on a write, or each tag by id on an update)."""
        view = _set(self.embedded)
        if self._patch_tags() and view is not None and _set(view.tags) is not None:
            names = self.tag_names
            return self.remove_tags(names) if names else self
        self._set_tags(None)
        return self

    # -- internals -------------------------------------------------------------------------------
    def _tags(self) -> list[Tag]:
        emb = _set(self.embedded)
        tags = None if emb is None else _set(emb.tags)
        return list(tags) if tags else []

    def _tag(self, name: str) -> Any:
        emb_cls = struct_type(type(self), "embedded")
        return struct_type(emb_cls, "tags")(name=name)

    def _set_tags(self, tags: list[Any] | None) -> None:
        emb = _set(self.embedded)
        if emb is None:
            emb = struct_type(type(self), "embedded")()
            emb.tags = tags
            self.embedded = emb
            return
        emb.tags = tags
        touch(self, "embedded")

    def _patch_tags(self) -> bool:
        """Whether changes go to ``tags_to_add``/``tags_to_delete``: an update (the object has an id)
        of a model that has them."""
        fields = getattr(type(self), "__struct_fields__", ())
        if "tags_to_add" not in fields or "tags_to_delete" not in fields:
            return False
        return getattr(self, "id", None) not in (UNSET, None)

    def _pending(self, attr: str) -> list[Any]:
        """The not-yet-sent tags of ``attr`` (a list saved already does not count)."""
        changed = changed_fields(self)
        if changed is not None and attr not in changed:
            return []
        current = _set(getattr(self, attr))
        return list(current) if current else []

    def _assign_pending(self, adds: list[Any], dels: list[Any]) -> None:
        for attr, tags in (("tags_to_add", adds), ("tags_to_delete", dels)):
            if tags or _set(getattr(self, attr)) is not None:
                setattr(self, attr, tags if tags else UNSET)



# -- notes ---------------------------------------------------------------------------------------
#: What :meth:`NoteMixin.typed_params` returns: the params class of the note's type, or the plain
#: ``NoteParams`` (every key) for a type without one (system notes: ``lead_status_changed``...).
AnyNoteParams: TypeAlias = "CommonNoteParams | CallNoteParams | ServiceMessageNoteParams | GeolocationNoteParams | SmsNoteParams | AttachmentNoteParams | MessageCashierNoteParams | PaymentNoteParams | AiResultNoteParams | ZoomMeetingNoteParams | SiteVisitNoteParams | TargetingNoteParams | AmomailMessageNoteParams | TransactionNoteParams | DropboxAttachmentNoteParams | LinkFollowedNoteParams | NoteParams"  # noqa: E501

#: ``__dict__`` key: the note is being written by a path that names it (``notes.update(..., id, note)``).
_NOTE_BY_PATH = "__amo_note_by_path__"


def _given(**params: Any) -> dict[str, Any]:
    """The params passed (``UNSET`` ones left out)."""
    return {k: v for k, v in params.items() if v is not UNSET}


def _wire_params(params: object, what: str) -> dict[str, Any] | None:
    """``params`` (a mapping of wire keys, a params Struct, ``None``/``UNSET``) as ``{wire key: value}``."""
    if params is None or params is UNSET:
        return None
    if isinstance(params, msgspec.Struct):
        out: dict[str, Any] = {}
        for f in msgspec.structs.fields(params):
            value = getattr(params, f.name)
            if value is not UNSET:
                out[f.encode_name] = value
        return out
    if isinstance(params, Mapping):
        mapping = typing.cast("Mapping[object, Any]", params)
        bad = next((k for k in mapping if not isinstance(k, str)), None)
        if bad is not None:
            raise ConfigError(f"{what}.params: keys must be str, got {type(bad).__name__} {bad!r}")
        return {str(k): v for k, v in mapping.items()}
    raise ConfigError(f"{what}.params: expected a mapping or a params object, got {type(params).__name__}")


def _models_class(model: type, name: str) -> Any:
    """The class ``name`` (``CallNoteParams``) of the module the note model's ``NoteParams`` was
    generated into (so a subclass of ``Note`` defined elsewhere finds it too)."""
    module = struct_type(model, "params").__module__
    found = getattr(sys.modules[module], name, None)
    if not isinstance(found, type):
        raise TypeError(f"{module} has no class {name}")
    return found


def _entity_id(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{what}.entity_id: expected a positive int, got {type(value).__name__} {value!r}")
    return value


class NoteMixin(msgspec.Struct, kw_only=True):
    """Typed params per ``note_type``.

    Build a note with the constructor of its type -- ``Note.common(text=...)``,
    ``Note.call_in(uniq=..., duration=..., source=..., phone=...)``, ``Note.sms_out(...)``... -- or
    ``Note.build(note_type, params)`` for any writable type; each checks the params at once.
    ``typed_params()`` reads them as the class of the note's type (``CallNoteParams`` for a
    ``call_in`` note), ``params_as(CallNoteParams)`` as the class you expect.

    A save checks every note before anything is sent (:func:`~amocrm.lib.v4.notes.check_note_params`):
    a new note needs a writable ``note_type`` and its required params, and any note may carry only
    the keys of its type; :class:`~amocrm.errors.ConfigError` names the type and the key.
    """

    if TYPE_CHECKING:
        id: int | UnsetType
        entity_id: int | UnsetType
        note_type: str | UnsetType
        params: NoteParams | UnsetType

    # -- building --------------------------------------------------------------------------------
    @classmethod
    def build(cls, note_type: NoteType, params: Mapping[str, Any] | msgspec.Struct | None = None, *,
              entity_id: int | None = None) -> Self:
        """A new note of ``note_type`` with ``params`` (wire keys -> values, or a params object such as
        ``CallNoteParams(...)``), on the entity ``entity_id`` when given (``save_for`` takes it from
        the path). ``ConfigError`` names the type and the key when the params do not fit the type."""
        what = f"{cls.__name__}({note_type!r})"
        wire = _wire_params(params, what)
        known = NOTE_SHAPES.get(note_type)
        if isinstance(params, msgspec.Struct) and known is not None:
            expected = (struct_type(cls, "params").__name__, known.params_class)
            if type(params).__name__ not in expected:
                raise ConfigError(f"{what}.params: {note_type} notes take {known.params_class}, "
                                  f"not {type(params).__name__}")
        check_note_params(note_type, wire, create=True, what=what)
        try:
            value = msgspec.convert(wire or {}, struct_type(cls, "params"))
        except msgspec.ValidationError as exc:
            raise ConfigError(f"{what}.params: {exc}") from None
        new: Callable[[], Self] = typing.cast("Callable[[], Self]", cls)  # the model: every field has a default
        note = new()
        note.note_type = note_type
        note.params = value
        if entity_id is not None:
            note.entity_id = _entity_id(entity_id, what)
        return note

    @classmethod
    def common(cls, *, text: str, entity_id: int | None = None) -> Self:
        """A common (text) note."""
        return cls.build("common", {"text": text}, entity_id=entity_id)

    @classmethod
    def call_in(cls, *, uniq: str, duration: int, source: str, phone: str,
                link: str | None | UnsetType = UNSET, call_responsible: str | int | None | UnsetType = UNSET,
                call_result: str | None | UnsetType = UNSET, call_status: int | None | UnsetType = UNSET,
                entity_id: int | None = None) -> Self:
        """An incoming call: its unique id, duration (seconds), telephony service and phone; the
        recording ``link``, who took it, the result and ``call_status`` (1..8, ``CallStatus``) optional."""
        return cls.build("call_in", _given(uniq=uniq, duration=duration, source=source, phone=phone, link=link,
                                           call_responsible=call_responsible, call_result=call_result,
                                           call_status=call_status), entity_id=entity_id)

    @classmethod
    def call_out(cls, *, uniq: str, duration: int, source: str, phone: str,
                 link: str | None | UnsetType = UNSET, call_responsible: str | int | None | UnsetType = UNSET,
                 call_result: str | None | UnsetType = UNSET, call_status: int | None | UnsetType = UNSET,
                 entity_id: int | None = None) -> Self:
        """An outgoing call (the keys of :meth:`call_in`)."""
        return cls.build("call_out", _given(uniq=uniq, duration=duration, source=source, phone=phone, link=link,
                                            call_responsible=call_responsible, call_result=call_result,
                                            call_status=call_status), entity_id=entity_id)

    @classmethod
    def service_message(cls, *, service: str, text: str, entity_id: int | None = None) -> Self:
        """A message from a service (an integration): its name and the text."""
        return cls.build("service_message", {"service": service, "text": text}, entity_id=entity_id)

    @classmethod
    def extended_service_message(cls, *, service: str, text: str, entity_id: int | None = None) -> Self:
        """An extended service message (the keys of :meth:`service_message`)."""
        return cls.build("extended_service_message", {"service": service, "text": text}, entity_id=entity_id)

    @classmethod
    def geolocation(cls, *, text: str, address: str, longitude: str | float, latitude: str | float,
                    entity_id: int | None = None) -> Self:
        """A place: a text, the address and its coordinates (numbers are sent as strings)."""
        return cls.build("geolocation", {"text": text, "address": address, "longitude": _coord(longitude),
                                         "latitude": _coord(latitude)}, entity_id=entity_id)

    @classmethod
    def sms_in(cls, *, text: str, phone: str, entity_id: int | None = None) -> Self:
        """An incoming SMS: its text and the phone it came from."""
        return cls.build("sms_in", {"text": text, "phone": phone}, entity_id=entity_id)

    @classmethod
    def sms_out(cls, *, text: str, phone: str, entity_id: int | None = None) -> Self:
        """An outgoing SMS: its text and the phone it went to."""
        return cls.build("sms_out", {"text": text, "phone": phone}, entity_id=entity_id)

    @classmethod
    def attachment(cls, *, file_uuid: str, file_name: str, version_uuid: str | UnsetType = UNSET,
                   original_name: str | UnsetType = UNSET, is_drive_attachment: bool | UnsetType = UNSET,
                   entity_id: int | None = None) -> Self:
        """A file of the account's drive: its uuid and name (the latest version unless ``version_uuid``)."""
        return cls.build("attachment", _given(file_uuid=file_uuid, file_name=file_name, version_uuid=version_uuid,
                                              original_name=original_name,
                                              is_drive_attachment=is_drive_attachment), entity_id=entity_id)

    @classmethod
    def message_cashier(cls, *, status: Literal["created", "shown", "canceled"], text: str,
                        entity_id: int | None = None) -> Self:
        """A cashier message: its status and text."""
        return cls.build("message_cashier", {"status": status, "text": text}, entity_id=entity_id)

    @classmethod
    def invoice_paid(cls, *, service: str, text: str, icon_url: str | UnsetType = UNSET,
                     entity_id: int | None = None) -> Self:
        """A paid invoice: the payment service, a text and an icon."""
        return cls.build("invoice_paid", _given(service=service, text=text, icon_url=icon_url), entity_id=entity_id)

    @classmethod
    def bill_paid(cls, *, service: str, text: str, icon_url: str | UnsetType = UNSET,
                  entity_id: int | None = None) -> Self:
        """A paid bill (the keys of :meth:`invoice_paid`)."""
        return cls.build("bill_paid", _given(service=service, text=text, icon_url=icon_url), entity_id=entity_id)

    @classmethod
    def ai_result(cls, *, text: str, answer_id: int | str | UnsetType = UNSET, talk_id: int | UnsetType = UNSET,
                  is_error: bool | UnsetType = UNSET, entity_id: int | None = None) -> Self:
        """The result of an AI answer: its text, the answer and talk ids, whether it failed."""
        return cls.build("ai_result", _given(text=text, answer_id=answer_id, talk_id=talk_id, is_error=is_error),
                         entity_id=entity_id)

    @classmethod
    def zoom_meeting(cls, *, conference: Mapping[str, Any] | None | UnsetType = UNSET,
                     recordings: list[dict[str, Any]] | None | UnsetType = UNSET,
                     entity_id: int | None = None) -> Self:
        """A Zoom meeting: the conference and its recordings."""
        conf = dict(conference) if isinstance(conference, Mapping) else conference
        return cls.build("zoom_meeting", _given(conference=conf, recordings=recordings), entity_id=entity_id)

    @classmethod
    def site_visit(cls, *, url: str, entity_id: int | None = None) -> Self:
        """A visit of a page of your site."""
        return cls.build("site_visit", {"url": url}, entity_id=entity_id)

    @classmethod
    def targeting_in(cls, *, service: str, campaign: str | None | UnsetType = UNSET,
                     contacts: list[Any] | dict[str, Any] | None | UnsetType = UNSET,
                     entity_id: int | None = None) -> Self:
        """Added to an ad audience: the service (facebook, vkontakte, mailchimp, adwords), the campaign."""
        return cls.build("targeting_in", _given(service=service, campaign=campaign, contacts=contacts),
                         entity_id=entity_id)

    @classmethod
    def targeting_out(cls, *, service: str, campaign: str | None | UnsetType = UNSET,
                      contacts: list[Any] | dict[str, Any] | None | UnsetType = UNSET,
                      entity_id: int | None = None) -> Self:
        """Removed from an ad audience (the keys of :meth:`targeting_in`)."""
        return cls.build("targeting_out", _given(service=service, campaign=campaign, contacts=contacts),
                         entity_id=entity_id)

    # -- reading ---------------------------------------------------------------------------------
    @property
    def note_shape(self) -> NoteShape | None:
        """What the params of this note's type hold (:data:`~amocrm.lib.v4.notes.NOTE_SHAPES`);
        ``None`` for a system type without a params class."""
        code = self.note_type
        return NOTE_SHAPES.get(code) if isinstance(code, str) else None

    def typed_params(self) -> AnyNoteParams:
        """The params as the class of this note's type: ``CommonNoteParams`` for ``common``,
        ``CallNoteParams`` for ``call_in``/``call_out``... (keys of other types are left out; they stay
        on ``params``). A type without a class gives the ``NoteParams`` as they are. Narrow the result
        with ``isinstance``, or use :meth:`params_as`."""
        params_cls = struct_type(type(self), "params")
        raw: Any = self.params
        shape = self.note_shape
        if shape is None:
            if raw is UNSET or raw is None:
                return typing.cast("NoteParams", params_cls())
            if isinstance(raw, msgspec.Struct):
                return typing.cast("NoteParams", raw)
            raw = _wire_params(raw, type(self).__name__) or {}
            return typing.cast("NoteParams", msgspec.convert(raw, params_cls))
        wire = _wire_params(raw, type(self).__name__) or {}
        picked = {k: v for k, v in wire.items() if k in shape.keys}
        try:
            out: AnyNoteParams = msgspec.convert(picked, _models_class(type(self), shape.params_class))
        except msgspec.ValidationError as exc:
            raise ConfigError(f"{type(self).__name__} ({shape.note_type}).params: {exc}") from None
        return out

    def params_as(self, kind: type[ParamsT]) -> ParamsT:
        """The params as ``kind`` (``note.params_as(CallNoteParams).duration``); ``ConfigError`` when
        this note's type reads its params as another class."""
        got = self.typed_params()
        if not isinstance(got, kind):
            code = self.note_type if isinstance(self.note_type, str) else "untyped"
            raise ConfigError(f"{type(self).__name__}: the params of a {code} note read as "
                              f"{type(got).__name__}, not {kind.__name__}")
        return got

    # -- writing ---------------------------------------------------------------------------------
    def _amo_prepare_write(self) -> None:
        """Called when the note is passed to an operation that names it by path (``update``): its
        params are checked as an update's (only the keys given)."""
        state: dict[str, Any] = getattr(self, "__dict__")  # noqa: B009 - typed as a read-only proxy
        state[_NOTE_BY_PATH] = True

    def _amo_write_hook(self, item: Any) -> None:
        """Called by the generated writer before anything is sent: refuse params that do not fit
        the note type (see :func:`~amocrm.lib.v4.notes.check_note_params`)."""
        state: dict[str, Any] = getattr(self, "__dict__")  # noqa: B009 - typed as a read-only proxy
        by_path = bool(state.pop(_NOTE_BY_PATH, False))
        changed = changed_fields(self)
        if changed is not None and not changed & {"params", "note_type"}:
            return
        ident: Any = self.id
        create = (ident is UNSET or ident is None) and not by_path
        params: Any = self.params
        if not create and (params is UNSET or (changed is not None and "params" not in changed)):
            return
        what = type(self).__name__ if ident is UNSET or ident is None else f"{type(self).__name__} {ident}"
        try:
            check_note_params(self.note_type, _wire_params(params, what), create=create, what=what)
        except ConfigError as exc:
            raise ConfigError(f"{exc}; nothing was sent") from None


def _coord(value: str | float) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"geolocation: coordinates are str or numbers, got {type(value).__name__} {value!r}")
    return value if isinstance(value, str) else repr(value)
