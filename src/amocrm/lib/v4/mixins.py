"""Model helpers of API v4, mixed into the generated classes (the spec names them in ``x-mixins``)."""

from __future__ import annotations

__all__: list[str] = []
