"""The seed's exception names on top of the SDK's typed errors.

``AmoAPIException`` is a subclass of :class:`amocrm.errors.AmoError` with the seed's ``get_errors()`` and
``get_items()``. Every error leaving the facade is an ``AmoAPIException`` *and* keeps its SDK class:
an SDK error of class ``X`` is re-raised as an instance of a class deriving from ``X`` and
``AmoAPIException`` (made once per ``X``), so ``except AmoAPIException``, ``except NotFoundError`` and
``except AmoError`` all catch it, with ``code``, ``status``, ``errors``, ``items`` unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar, cast

from amocrm.errors import AmoError, TokenStorageError

__all__ = [
    "AmoAPIException",
    "NotAuthorizedError",
    "TokenStorageException",
    "as_facade_error",
    "translate_errors",
    "translated",
]

P = ParamSpec("P")
R = TypeVar("R")

#: The seed's ``TokenStorageException`` is the SDK's :class:`~amocrm.errors.TokenStorageError`.
TokenStorageException = TokenStorageError


class AmoAPIException(AmoError):
    """Base of every error the facade raises (the seed's ``AmoAPIException``).

    ``code`` is 0 for local errors, the HTTP status for HTTP errors and the first amoCRM error code
    for ``_embedded.errors`` answers, as in the seed.
    """

    def get_errors(self) -> Any:
        """The raw ``_embedded.errors`` of the answer, ``[]`` when the error did not come from one."""
        errors = getattr(self, "errors", None)
        return [] if errors is None else errors

    def get_items(self) -> list[Any]:
        """The items the answer did save (``_embedded.items``), ``[]`` when there were none."""
        items = getattr(self, "items", None)
        return list(items) if isinstance(items, list) else []


class NotAuthorizedError(AmoAPIException):
    """No ``AmoAPI.oauth2()``/``AmoAPI.auth()`` was done (for this subdomain) before a call."""


_COMBINED: dict[type[AmoError], type[AmoAPIException]] = {}


def _combined(cls: type[AmoError]) -> type[AmoAPIException]:
    found = _COMBINED.get(cls)
    if found is None:
        found = cast(
            "type[AmoAPIException]",
            type(cls.__name__, (cls, AmoAPIException), {"__module__": cls.__module__, "__qualname__": cls.__qualname__}),
        )
        _COMBINED[cls] = found
    return found


def as_facade_error(exc: AmoError) -> AmoAPIException:
    """``exc`` as an :class:`AmoAPIException` of the same SDK class, with the same attributes."""
    if isinstance(exc, AmoAPIException):
        return exc
    cls = _combined(type(exc))
    new = cls.__new__(cls)
    new.args = exc.args
    new.__dict__.update(exc.__dict__)
    new.__cause__ = exc.__cause__
    new.__suppress_context__ = exc.__suppress_context__
    return new


@contextmanager
def translate_errors() -> Iterator[None]:
    """Re-raise SDK errors as :class:`AmoAPIException` (see the module docstring)."""
    try:
        yield
    except AmoAPIException:
        raise
    except AmoError as exc:
        raise as_facade_error(exc).with_traceback(exc.__traceback__) from exc.__cause__


def translated(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`translate_errors`."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translate_errors():
            return func(*args, **kwargs)

    return wrapper
