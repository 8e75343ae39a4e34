"""Account domain resolution (as the seed library resolves it, fixed for kommo.com and full domains)."""

from __future__ import annotations

import pytest

from amocrm.client import resolve_domain
from amocrm.errors import ConfigError


@pytest.mark.parametrize(
    ("given", "top", "expected"),
    [
        ("test", "amocrm.ru", "test.amocrm.ru"),
        ("test", "amocrm.com", "test.amocrm.com"),
        ("Test.amocrm.ru", "amocrm.ru", "test.amocrm.ru"),
        ("x.amocrm.com", "amocrm.ru", "x.amocrm.com"),
        ("a.kommo.com", "amocrm.ru", "a.kommo.com"),
        ("my-co", "kommo.com", "my-co.kommo.com"),
    ],
)
def test_resolve(given: str, top: str, expected: str) -> None:
    assert resolve_domain(given, top) == expected


@pytest.mark.parametrize("bad", ["", "  ", "https://x.amocrm.ru", "a b", "../etc", "-x", "x_y"])
def test_bad_subdomains_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError):
        resolve_domain(bad)
