"""amocrm: a typed, code-generated client for the amoCRM REST API.

``from amocrm import AmoClient`` for the modern client, ``from amocrm import AmoAPI`` for the
seed-compatible facade. Names load lazily so that ``import amocrm`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "AmoClient": "amocrm.client",
    "ClientConfig": "amocrm.client",
    "resolve_domain": "amocrm.client",
    "OAuth2": "amocrm.auth",
    "ApiKey": "amocrm.auth",
    "LongLivedToken": "amocrm.auth",
    "Tokens": "amocrm.tokens",
    "TokenStorage": "amocrm.tokens",
    "MemoryTokenStorage": "amocrm.tokens",
    "FileTokenStorage": "amocrm.tokens",
    "RedisTokenStorage": "amocrm.tokens",
    "LocalThrottle": "amocrm.throttle",
    "FileThrottle": "amocrm.throttle",
    "RedisThrottle": "amocrm.throttle",
    "NoThrottle": "amocrm.throttle",
    "FileLocker": "amocrm.locking",
    "RedisLocker": "amocrm.locking",
    "NoLocker": "amocrm.locking",
    "RetryPolicy": "amocrm.retry",
    "AmoError": "amocrm.errors",
    "APIError": "amocrm.errors",
    "AuthError": "amocrm.errors",
    "BadRequestError": "amocrm.errors",
    "ConfigError": "amocrm.errors",
    "ConflictError": "amocrm.errors",
    "DecodeError": "amocrm.errors",
    "EntityErrors": "amocrm.errors",
    "ForbiddenError": "amocrm.errors",
    "LockError": "amocrm.errors",
    "NotFoundError": "amocrm.errors",
    "PaymentRequiredError": "amocrm.errors",
    "RateLimitError": "amocrm.errors",
    "ReauthorizationRequired": "amocrm.errors",
    "ServerError": "amocrm.errors",
    "TimeoutError": "amocrm.errors",
    "TokenStorageError": "amocrm.errors",
    "TransportError": "amocrm.errors",
    "AmoAPI": "amocrm.facade",
    "AmoAPIDebugLogger": "amocrm.facade",
    "AmoAPIException": "amocrm.facade",
    "AmoCatalog": "amocrm.facade",
    "AmoCatalogElement": "amocrm.facade",
    "AmoCompany": "amocrm.facade",
    "AmoContact": "amocrm.facade",
    "AmoIncomingLead": "amocrm.facade",
    "AmoIncomingLeadForm": "amocrm.facade",
    "AmoIncomingLeadSip": "amocrm.facade",
    "AmoLead": "amocrm.facade",
    "AmoNote": "amocrm.facade",
    "AmoObject": "amocrm.facade",
    "AmoTask": "amocrm.facade",
    "FileStorage": "amocrm.facade",
    "NotAuthorizedError": "amocrm.facade",
    "TokenStorageException": "amocrm.facade",
    "TokenStorageInterface": "amocrm.facade",
}

# A literal list, as type checkers read it (tests/typing checks it matches _EXPORTS).
__all__ = [
    "APIError",
    "AmoAPI",
    "AmoAPIDebugLogger",
    "AmoAPIException",
    "AmoCatalog",
    "AmoCatalogElement",
    "AmoClient",
    "AmoCompany",
    "AmoContact",
    "AmoError",
    "AmoIncomingLead",
    "AmoIncomingLeadForm",
    "AmoIncomingLeadSip",
    "AmoLead",
    "AmoNote",
    "AmoObject",
    "AmoTask",
    "ApiKey",
    "AuthError",
    "BadRequestError",
    "ClientConfig",
    "ConfigError",
    "ConflictError",
    "DecodeError",
    "EntityErrors",
    "FileLocker",
    "FileStorage",
    "FileThrottle",
    "FileTokenStorage",
    "ForbiddenError",
    "LocalThrottle",
    "LockError",
    "LongLivedToken",
    "MemoryTokenStorage",
    "NoLocker",
    "NoThrottle",
    "NotAuthorizedError",
    "NotFoundError",
    "OAuth2",
    "PaymentRequiredError",
    "RateLimitError",
    "ReauthorizationRequired",
    "RedisLocker",
    "RedisThrottle",
    "RedisTokenStorage",
    "RetryPolicy",
    "ServerError",
    "TimeoutError",
    "TokenStorage",
    "TokenStorageError",
    "TokenStorageException",
    "TokenStorageInterface",
    "Tokens",
    "TransportError",
    "resolve_domain",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'amocrm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from amocrm.auth import ApiKey as ApiKey
    from amocrm.auth import LongLivedToken as LongLivedToken
    from amocrm.auth import OAuth2 as OAuth2
    from amocrm.client import AmoClient as AmoClient
    from amocrm.client import ClientConfig as ClientConfig
    from amocrm.client import resolve_domain as resolve_domain
    from amocrm.errors import AmoError as AmoError
    from amocrm.errors import APIError as APIError
    from amocrm.errors import AuthError as AuthError
    from amocrm.errors import BadRequestError as BadRequestError
    from amocrm.errors import ConfigError as ConfigError
    from amocrm.errors import ConflictError as ConflictError
    from amocrm.errors import DecodeError as DecodeError
    from amocrm.errors import EntityErrors as EntityErrors
    from amocrm.errors import ForbiddenError as ForbiddenError
    from amocrm.errors import LockError as LockError
    from amocrm.errors import NotFoundError as NotFoundError
    from amocrm.errors import PaymentRequiredError as PaymentRequiredError
    from amocrm.errors import RateLimitError as RateLimitError
    from amocrm.errors import ReauthorizationRequired as ReauthorizationRequired
    from amocrm.errors import ServerError as ServerError
    from amocrm.errors import TimeoutError as TimeoutError
    from amocrm.errors import TokenStorageError as TokenStorageError
    from amocrm.errors import TransportError as TransportError
    from amocrm.facade import AmoAPI as AmoAPI
    from amocrm.facade import AmoAPIDebugLogger as AmoAPIDebugLogger
    from amocrm.facade import AmoAPIException as AmoAPIException
    from amocrm.facade import AmoCatalog as AmoCatalog
    from amocrm.facade import AmoCatalogElement as AmoCatalogElement
    from amocrm.facade import AmoCompany as AmoCompany
    from amocrm.facade import AmoContact as AmoContact
    from amocrm.facade import AmoIncomingLead as AmoIncomingLead
    from amocrm.facade import AmoIncomingLeadForm as AmoIncomingLeadForm
    from amocrm.facade import AmoIncomingLeadSip as AmoIncomingLeadSip
    from amocrm.facade import AmoLead as AmoLead
    from amocrm.facade import AmoNote as AmoNote
    from amocrm.facade import AmoObject as AmoObject
    from amocrm.facade import AmoTask as AmoTask
    from amocrm.facade import FileStorage as FileStorage
    from amocrm.facade import NotAuthorizedError as NotAuthorizedError
    from amocrm.facade import TokenStorageException as TokenStorageException
    from amocrm.facade import TokenStorageInterface as TokenStorageInterface
    from amocrm.locking import FileLocker as FileLocker
    from amocrm.locking import NoLocker as NoLocker
    from amocrm.locking import RedisLocker as RedisLocker
    from amocrm.retry import RetryPolicy as RetryPolicy
    from amocrm.throttle import FileThrottle as FileThrottle
    from amocrm.throttle import LocalThrottle as LocalThrottle
    from amocrm.throttle import NoThrottle as NoThrottle
    from amocrm.throttle import RedisThrottle as RedisThrottle
    from amocrm.tokens import FileTokenStorage as FileTokenStorage
    from amocrm.tokens import MemoryTokenStorage as MemoryTokenStorage
    from amocrm.tokens import RedisTokenStorage as RedisTokenStorage
    from amocrm.tokens import Tokens as Tokens
    from amocrm.tokens import TokenStorage as TokenStorage
