"""Model helpers of API v4, mixed into the generated classes (the spec names them in ``x-mixins``).

``CustomFieldsMixin`` is for the models with ``custom_fields_values`` (leads, contacts, companies,
customers, catalog elements, segments); ``TagsMixin`` for the models with ``_embedded.tags``.
"""

from __future__ import annotations

import msgspec

__all__ = ["CustomFieldsMixin", "TagsMixin"]


class CustomFieldsMixin(msgspec.Struct, kw_only=True):
    """Reading and writing ``custom_fields_values`` by field id, code or name."""


class TagsMixin(msgspec.Struct, kw_only=True):
    """Adding and removing tags."""
