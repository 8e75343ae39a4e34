"""``parse_form``: PHP ``parse_str`` semantics on well-formed bodies, typed errors on malformed ones."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from amocrm.errors import AmoError
from amocrm.webhooks import MAX_DEPTH, WebhookError, parse_form

Query = Callable[..., str]

ROUND_TRIP: list[dict[str, Any]] = [
    {"a": "1"},
    {"a": ["1", "2", "3"], "b": {"c": "x", "d": ["", "y"]}},
    {"text": "Привет, мир! 'quoted' & = + % [ ] # ? / \\ ; \t\n", "emoji": "🦊"},
    {
        "leads": {
            "status": [{"id": "1", "custom_fields": [{"id": "2", "values": [{"value": "v", "enum": "3"}]}]}]
        }
    },
    {"deep": {"x": {"x": {"x": {"x": {"x": {"x": {"x": {"x": ["bottom"]}}}}}}}}},
    {"mixed": {"0": "a", "1": "b", "name": "c"}, "gappy": {"0": "a", "2": "b"}},
]


@pytest.mark.parametrize("data", ROUND_TRIP)
@pytest.mark.parametrize("encode_brackets", [True, False])
def test_round_trip_of_http_build_query(
    data: dict[str, Any], encode_brackets: bool, php_query: Query
) -> None:
    body = php_query(data, encode_brackets)
    assert parse_form(body) == data
    assert parse_form(body.encode("ascii")) == data


def test_deepest_allowed_nesting_round_trips(php_query: Query) -> None:
    data: Any = "leaf"
    for _ in range(MAX_DEPTH):
        data = {"k": data}
    assert parse_form(php_query({"top": data})) == {"top": data}


def test_append_and_next_index_follow_php() -> None:
    assert parse_form("a[]=1&a[]=2") == {"a": ["1", "2"]}
    # PHP's next free index is max(int key) + 1: a[]=x&a[5]=y&a[]=z -> [0 => x, 5 => y, 6 => z]
    assert parse_form("a[]=x&a[5]=y&a[]=z") == {"a": {"0": "x", "5": "y", "6": "z"}}
    assert parse_form("a[][x]=1&a[][x]=2") == {"a": [{"x": "1"}, {"x": "2"}]}


def test_lists_need_keys_0_to_n_minus_1_in_order_like_json_encode() -> None:
    assert parse_form("a[0]=x&a[1]=y") == {"a": ["x", "y"]}
    assert parse_form("a[1]=y&a[0]=x") == {"a": {"1": "y", "0": "x"}}
    assert parse_form("a[01]=x") == {"a": {"01": "x"}}  # not canonical: stays a string key
    assert parse_form("a[-1]=x&a[]=y") == {"a": {"-1": "x", "0": "y"}}


def test_last_duplicate_scalar_wins_and_keeps_first_position() -> None:
    assert parse_form("a=1&b=2&a=3") == {"a": "3", "b": "2"}
    assert list(parse_form("a=1&b=2&a=3")) == ["a", "b"]


def test_plus_is_space_and_escapes_decode() -> None:
    assert parse_form("a=x+y%2Bz&b=%D0%BF%d1%80") == {"a": "x y+z", "b": "пр"}
    assert parse_form("a%5Bb%5D=1") == {"a": {"b": "1"}}


def test_top_level_name_rewrites_like_php() -> None:
    assert parse_form("a.b c=1&x[a.b c]=2") == {"a_b_c": "1", "x": {"a.b c": "2"}}
    assert parse_form("+lead=1") == {"lead": "1"}  # leading spaces are dropped


def test_empty_pairs_missing_values_and_nested_open_bracket() -> None:
    assert parse_form("") == {}
    assert parse_form("&&a&b=&=skipped&") == {"a": "", "b": ""}
    assert parse_form("a[b[c]=1") == {"a": {"b[c": "1"}}


MALFORMED: list[tuple[str | bytes, str]] = [
    ("leads[add][0=1", "'[' not closed"),
    ("leads]=1", "']' before '['"),
    ("leads[add]x[0]=1", "unexpected text 'x[0]' after ']'"),
    ("[add]=1", "empty name"),
    ("ok=1&a=%G1", "bad percent-escape '%G1' in the value of pair #2 (body offset 7)"),
    ("a%2=1", "bad percent-escape '%2' in the key of pair #1"),
    ("a=%", "bad percent-escape"),
    ("a=%FF%FE", "the value of pair #1 (body offset 2) is not UTF-8"),
    (b"a=\xff", "body is not UTF-8 (invalid byte at offset 2)"),
    ("a=1&a[b]=2", "key 'a' of pair #2 is a container here but a scalar"),
    ("a[b]=1&a=2", "key 'a' of pair #2 is a scalar here but a container"),
    ("x[0][y]=1&x[0][y][z]=2", "key 'x[0][y]' of pair #2 is a container"),
    ("a[]=1&a[0][b]=2", "key 'a[0]' of pair #2 is a container"),
    ("a" + "[k]" * (MAX_DEPTH + 1) + "=1", f"nests deeper than {MAX_DEPTH} levels"),
]


@pytest.mark.parametrize(("body", "message"), MALFORMED)
def test_malformed_bodies_raise_webhook_error_naming_the_problem(body: str | bytes, message: str) -> None:
    with pytest.raises(WebhookError) as info:
        parse_form(body)
    assert message in str(info.value)
    assert isinstance(info.value, AmoError) and isinstance(info.value, ValueError)


def test_body_size_limit() -> None:
    with pytest.raises(WebhookError, match="over the 10-byte limit"):
        parse_form("a=12345678901", max_bytes=10)
    assert parse_form("a=12345678", max_bytes=10) == {"a": "12345678"}


@pytest.mark.parametrize(
    "body",
    [
        "a" + "[" * 1_000_000,  # one huge unclosed key
        "a" + "[]" * 500_000 + "=1",  # far too deep
        "a[" + "x" * 1_000_000 + "=1",
        "%" * 1_000_000,
        "&" * 1_000_000 + "a=1&a[b]=2",
    ],
)
def test_pathological_bodies_fail_fast(body: str) -> None:
    started = time.perf_counter()
    with pytest.raises(WebhookError):
        parse_form(body)
    assert time.perf_counter() - started < 1.0


def test_large_body_parses_in_linear_time(php_query: Query) -> None:
    small = php_query({"leads": {"add": [{"id": str(i), "name": f"lead {i}"} for i in range(2_000)]}})
    large = php_query({"leads": {"add": [{"id": str(i), "name": f"lead {i}"} for i in range(20_000)]}})

    def timed(body: str) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            parse_form(body)
            best = min(best, time.perf_counter() - started)
        return best

    assert len(parse_form(large)["leads"]["add"]) == 20_000
    # 10x the input must cost well under 100x the time (quadratic would be ~100x).
    assert timed(large) < 30 * timed(small) + 0.05
