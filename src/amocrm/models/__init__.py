"""Public models of the default API version (see ``spec/versions.yaml``), plus the base helpers.

``from amocrm.models import Lead, Contact, CustomField`` ... is ``from amocrm.<default>.models import
...``; each version's models are also reachable as ``amocrm.v2.models``. ``to_write_item(model)``
gives the dict a save sends. ``UNSET`` marks fields the server did not send.
"""

from __future__ import annotations

from msgspec import UNSET, UnsetType

from amocrm._default import models as _default_models
from amocrm._default.models import *  # noqa: F403,E402
from amocrm.lib.base import AmoFlexModel, AmoStruct
from amocrm.lib.types import FlexList, FlexObj
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
__all__ += _default_models.__all__
