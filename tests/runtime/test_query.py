"""PHP http_build_query parity: the query encoding the seed library (and amoCRM) use."""

from __future__ import annotations

import pytest

from amocrm._query import build_query
from amocrm.errors import ConfigError


def test_seed_run_example_is_byte_identical() -> None:
    params = {"filter": {"tasks": 1}, "query": "a b/ж", "ids": [1, 2], "flag": True, "nul": None}
    assert build_query(params) == "filter%5Btasks%5D=1&query=a+b%2F%D0%B6&ids%5B0%5D=1&ids%5B1%5D=2&flag=1"


def test_nested_lists_in_maps_and_false() -> None:
    q = build_query({"filter": {"date_create": {"from": 1, "to": 2}}, "status": [142, 143], "x": False})
    assert q == (
        "filter%5Bdate_create%5D%5Bfrom%5D=1&filter%5Bdate_create%5D%5Bto%5D=2"
        "&status%5B0%5D=142&status%5B1%5D=143&x=0"
    )


def test_empty_and_none() -> None:
    assert build_query({}) == ""
    assert build_query(None) == ""
    assert build_query({"a": None}) == ""


def test_keeps_caller_order() -> None:
    assert (
        build_query({"type": "lead", "limit_offset": 10, "limit_rows": 2})
        == "type=lead&limit_offset=10&limit_rows=2"
    )


def test_unencodable_value_is_a_typed_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"filter\[x\]"):
        build_query({"filter": {"x": object()}})
