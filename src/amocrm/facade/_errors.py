"""The seed's exception names on top of the SDK's typed errors.

``AmoAPIException`` *is* :class:`amocrm.errors.AmoError`: every error the SDK raises, facade or not,
is caught by ``except AmoAPIException`` and keeps its precise class (``NotFoundError``, ``ConflictError``,
...), with the seed's ``code``, ``get_errors()`` and ``get_items()``.
"""

from __future__ import annotations

from amocrm.errors import AmoError, TokenStorageError

__all__ = ["AmoAPIException", "NotAuthorizedError", "TokenStorageException"]

#: The seed's ``AmoAPIException``: the base of every SDK error.
AmoAPIException = AmoError

#: The seed's ``TokenStorageException`` is the SDK's :class:`~amocrm.errors.TokenStorageError`.
TokenStorageException = TokenStorageError


class NotAuthorizedError(AmoError):
    """No ``AmoAPI.oauth2()``/``AmoAPI.auth()`` was done (for this subdomain) before a call."""
