"""Shared helpers for the webhook tests: a tiny PHP ``http_build_query`` written independently of the SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import pytest


def _pairs(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return [(prefix, "1" if value is True else "0" if value is False else str(value))]
    out: list[tuple[str, str]] = []
    for key, child in items:
        out.extend(_pairs(child, f"{prefix}[{key}]" if prefix else str(key)))
    return out


def http_build_query(value: dict[str, Any], encode_brackets: bool = True) -> str:
    """PHP ``http_build_query`` (``+`` for spaces); ``encode_brackets=False`` leaves ``[]`` raw."""
    text = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in _pairs(value))
    if not encode_brackets:
        text = text.replace("%5B", "[").replace("%5D", "]")
    return text


@pytest.fixture
def php_query() -> Callable[..., str]:
    return http_build_query
