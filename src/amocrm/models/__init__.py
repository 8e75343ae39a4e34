"""Public models: the generated msgspec Structs plus the hand-written helpers they build on.

``from amocrm.models import Lead, Contact, CustomField`` ... (every class in ``spec/entities``);
``to_write_item(model)`` gives the dict a save sends. ``UNSET`` marks fields the server did not send.
"""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from amocrm._generated import models as _generated_models
from amocrm._generated.models import *  # noqa: F403,E402
from amocrm.models._base import AmoFlexModel, AmoStruct
from amocrm.models._types import FlexList, FlexObj
from amocrm.models._write import to_write_item

__all__ = [
    "UNSET",
    "AmoFlexModel",
    "AmoStruct",
    "FlexList",
    "FlexObj",
    "UnsetType",
    "to_write_item",
]
__all__ += _generated_models.__all__
