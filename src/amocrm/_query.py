"""PHP ``http_build_query`` in Python: how amoCRM expects GET queries and AJAX form bodies.

Nested mappings become ``a%5Bb%5D=v``, lists ``a%5B0%5D=1``, booleans ``1``/``0``; ``None`` is left
out; spaces become ``+``. ``urllib.parse.urlencode`` alone does none of the nesting.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import Enum
from typing import Any
from urllib.parse import quote_plus

__all__ = ["build_query", "query_pairs"]


def build_query(params: Mapping[str, Any] | None) -> str:
    """Encode ``params`` exactly as PHP's ``http_build_query`` (RFC 1738, ``&`` separated)."""
    if not params:
        return ""
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in query_pairs(params))


def query_pairs(params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The flat ``(key, value)`` pairs of ``params``, keys in PHP bracket notation, not yet quoted."""
    for key, value in params.items():
        yield from _flatten(str(key), value)


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _flatten(f"{prefix}[{k}]", v)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _flatten(f"{prefix}[{i}]", v)
    else:
        yield prefix, _scalar(value, prefix)


def _scalar(value: Any, key: str) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, datetime):
        return str(int(value.timestamp()))
    from amocrm.errors import ConfigError

    raise ConfigError(f"query parameter {key!r}: cannot encode a {type(value).__name__} ({value!r})")
