"""The seed's documented interface (andrey-tech/amocrm-api-php) in Python, over :class:`amocrm.AmoClient`.

``AmoAPI`` (class-level settings and class methods), the ``Amo*`` models, ``AmoAPIException``,
``TokenStorageException``, ``TokenStorageInterface``, ``FileStorage`` and ``AmoAPIDebugLogger``; names are
the seed's in snake_case. See docs/migration.md for the name table and the deliberate differences.
"""

from __future__ import annotations

from amocrm.facade._api import AmoAPI
from amocrm.facade._debug import AmoAPIDebugLogger
from amocrm.facade._entities import (
    AmoCatalog,
    AmoCatalogElement,
    AmoCompany,
    AmoContact,
    AmoLead,
    AmoNote,
    AmoTask,
)
from amocrm.facade._errors import AmoAPIException, NotAuthorizedError, TokenStorageException
from amocrm.facade._incoming import AmoIncomingLead, AmoIncomingLeadForm, AmoIncomingLeadSip
from amocrm.facade._object import AmoObject
from amocrm.facade._storage import FileStorage, TokenStorageInterface

__all__ = [
    "AmoAPI",
    "AmoAPIDebugLogger",
    "AmoAPIException",
    "AmoCatalog",
    "AmoCatalogElement",
    "AmoCompany",
    "AmoContact",
    "AmoIncomingLead",
    "AmoIncomingLeadForm",
    "AmoIncomingLeadSip",
    "AmoLead",
    "AmoNote",
    "AmoObject",
    "AmoTask",
    "FileStorage",
    "NotAuthorizedError",
    "TokenStorageException",
    "TokenStorageInterface",
]
