"""Base classes of every generated model.

``AmoStruct`` carries the per-class metadata the generator renders as class variables:
``__amo_write__`` (how the model becomes a write item, see :mod:`amocrm.models._write`) and
``__amo_flex__`` (which fields accept amoCRM's ``{}``/``[]`` placeholders).
``AmoFlexModel`` adds the ``__post_init__`` that normalises those placeholders; only classes that
have such fields inherit it, so small leaf structs (custom-field values, links) decode without a
Python-level hook.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

__all__ = ["AmoFlexModel", "AmoStruct", "WriteRule"]

#: ``(attribute, wire key, conversion)``; conversions are listed in :mod:`amocrm.models._write`.
WriteRule = tuple[str, str, str]


class AmoStruct(msgspec.Struct, kw_only=True, repr_omit_defaults=True):
    """A mutable amoCRM object; fields the server did not send are ``msgspec.UNSET``."""

    __amo_write__: ClassVar[tuple[WriteRule, ...]] = ()
    __amo_flex__: ClassVar[tuple[tuple[str, bool], ...]] = ()


class AmoFlexModel(AmoStruct, kw_only=True, repr_omit_defaults=True):
    """An :class:`AmoStruct` with ``FlexList``/``FlexObj`` fields, normalised after decoding."""

    def __post_init__(self) -> None:
        for name, is_list in self.__amo_flex__:
            value: Any = getattr(self, name)
            if is_list:
                if type(value) is dict:
                    setattr(self, name, list(value.values()))
            elif type(value) is list:
                setattr(self, name, None)
