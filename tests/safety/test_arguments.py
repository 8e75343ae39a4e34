"""Bad arguments fail at construction, typed (ConfigError), naming the argument; domains are strict."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from amocrm._domains import validate_host
from amocrm.auth import LongLivedToken, TokenRetry
from amocrm.errors import ConfigError
from amocrm.locking import FileLocker, RedisLocker
from amocrm.throttle import FileThrottle, LocalThrottle, RedisThrottle
from amocrm.tokens import FileTokenStorage, MemoryTokenStorage, RedisTokenStorage, validate_domain

URL = "redis://127.0.0.1:1/0"  # never contacted: constructors do not connect

BAD_SECONDS = ["x", -1, 0, math.inf, math.nan, True, None]


def cases(tmp: Path) -> list[tuple[str, Callable[[], Any], str]]:
    made: list[tuple[str, Callable[[], Any], str]] = []
    for bad in BAD_SECONDS:
        made.append((f"lock_timeout={bad!r}", lambda b=bad: FileTokenStorage(tmp, lock_timeout=b), "lock_timeout"))
        made.append((f"redis lock_ttl={bad!r}", lambda b=bad: RedisTokenStorage(URL, lock_ttl=b), "lock_ttl"))
        made.append((f"redis lock_timeout={bad!r}", lambda b=bad: RedisTokenStorage(URL, lock_timeout=b),
                     "lock_timeout"))
        made.append((f"max_ahead={bad!r}", lambda b=bad: FileThrottle(7, tmp / "t.json", max_ahead=b), "max_ahead"))
        made.append((f"locker ttl={bad!r}", lambda b=bad: RedisLocker(URL, ttl=b), "ttl"))
    for bad in (123, b"tokens", None, "", 1.5):
        made.append((f"token folder {bad!r}", lambda b=bad: FileTokenStorage(b), "folder"))
    for bad in (123, b"locks", "", ["x"]):
        made.append((f"lock directory {bad!r}", lambda b=bad: FileLocker(b), "directory"))
    for bad in (5, b"t.json", "", 2.5):
        made.append((f"throttle path {bad!r}", lambda b=bad: FileThrottle(7, b), "path"))
    for bad in ("7", None, 0, -3, math.inf, math.nan, True):
        made.append((f"FileThrottle rate {bad!r}", lambda b=bad: FileThrottle(b, tmp / "t.json"), "rate"))
        made.append((f"LocalThrottle rate {bad!r}", lambda b=bad: LocalThrottle(b), "rate"))
        made.append((f"RedisThrottle rate {bad!r}", lambda b=bad: RedisThrottle(URL, b), "rate"))
    for bad in (5, None, b"p:"):
        made.append((f"RedisThrottle prefix {bad!r}", lambda b=bad: RedisThrottle(URL, prefix=b), "prefix"))
        made.append((f"RedisLocker prefix {bad!r}", lambda b=bad: RedisLocker(URL, prefix=b), "prefix"))
        made.append((f"RedisTokenStorage prefix {bad!r}", lambda b=bad: RedisTokenStorage(URL, prefix=b), "prefix"))
    for bad in (5, object(), ""):
        made.append((f"RedisThrottle client {bad!r}", lambda b=bad: RedisThrottle(b), "client_or_url"))
        made.append((f"RedisLocker client {bad!r}", lambda b=bad: RedisLocker(b), "client_or_url"))
        made.append((f"RedisTokenStorage client {bad!r}", lambda b=bad: RedisTokenStorage(b), "redis_client_or_url"))
    for name, bad in (("attempts", 0), ("attempts", "3"), ("backoff", -1), ("budget", math.inf), ("retry_after_max", "x")):
        made.append((f"TokenRetry {name}={bad!r}", lambda n=name, b=bad: TokenRetry(**{n: b}), name))
    for bad in (0, "1", 2.5):
        made.append((f"FileLocker attempts {bad!r}", lambda b=bad: FileLocker(tmp, attempts=b), "attempts"))
    return made


def test_every_bad_argument_is_a_config_error_naming_it(tmp_path: Path) -> None:
    failures = []
    for label, build, name in cases(tmp_path):
        try:
            build()
        except ConfigError as exc:
            if name not in str(exc):
                failures.append(f"{label}: message does not name {name!r}: {exc}")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{label}: {type(exc).__name__} instead of ConfigError: {exc}")
        else:
            failures.append(f"{label}: accepted")
    assert failures == []


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("\u212aey.amocrm.ru", "non-ASCII"),  # KELVIN SIGN: lower() would turn it into "key"
        ("\u017fandbox.amocrm.ru", "non-ASCII"),  # LONG S looks like "s"
        ("acme.amocr\u043c.ru", "non-ASCII"),  # Cyrillic "m"
        ("a..b.amocrm.ru", "empty label"),
        (".acme.amocrm.ru", "empty label"),
        ("acme.amocrm.ru.", "empty label"),
        ("-acme.amocrm.ru", "must not start or end"),
        ("acme-.amocrm.ru", "must not start or end"),
        ("ac_me.amocrm.ru", "only letters"),
        ("a" * 64 + ".amocrm.ru", "longer than 63"),
        (".".join(["a" * 60] * 5), "longer than 253"),
        ("acme.amocrm.ru:0", "port"),
        ("acme.amocrm.ru:99999", "port"),
        ("acme.amocrm.ru:http", "port"),
        ("", "non-empty"),
        ("../etc", "label"),
    ],
)
def test_domains_that_are_not_host_names_are_refused(bad: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as info:
        validate_domain(bad)
    assert "account domain" in str(info.value)
    if not bad.isascii():
        assert ascii(bad)[1:-1] in str(info.value)  # the look-alike is shown escaped, visibly
    for storage in (MemoryTokenStorage(),):
        with pytest.raises(ConfigError):
            storage.load(bad)


@pytest.mark.parametrize(
    ("good", "normal"),
    [
        ("acme.amocrm.ru", "acme.amocrm.ru"),
        ("ACME.AmoCRM.ru", "acme.amocrm.ru"),
        (" acme.kommo.com ", "acme.kommo.com"),
        ("xn--80akhbyknj4f.amocrm.ru", "xn--80akhbyknj4f.amocrm.ru"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("a" * 63 + ".ru", "a" * 63 + ".ru"),
    ],
)
def test_real_host_names_pass(good: str, normal: str) -> None:
    assert validate_domain(good) == normal == validate_host(good)


def test_validate_host_refuses_non_strings_and_ports_when_asked() -> None:
    with pytest.raises(ConfigError, match="domain must be a string, got int"):
        validate_host(5)
    with pytest.raises(ConfigError, match="only letters"):
        validate_host("acme.amocrm.ru:443", allow_port=False, what="domain")


@pytest.mark.parametrize(
    ("token", "defect"),
    [
        ("long-lived-\u0436\u0436\u0436", "outside Latin-1"),
        ("long-lived-caf\u00e9", "non-ASCII"),
        ("long-lived\r\nX-Injected: 1", "line break"),
        ("long lived", "spaces or control"),
        ("long-lived-\x7f", "spaces or control"),
    ],
)
def test_long_lived_token_that_is_not_header_safe_is_refused_without_echo(token: str, defect: str) -> None:
    with pytest.raises(ConfigError, match=defect) as info:
        LongLivedToken(token)
    assert token.strip() not in str(info.value) and token.strip() not in repr(info.value)
