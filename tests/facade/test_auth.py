"""oauth2(), auth(), the default (None) subdomain, several accounts, token storages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from amocrm.errors import AmoError, AuthError, ConfigError, TokenStorageError
from amocrm.facade import (
    AmoAPI,
    AmoAPIException,
    AmoCompany,
    FileStorage,
    NotAuthorizedError,
    TokenStorageException,
)
from amocrm.sandbox import SEED, Sandbox


def test_oauth2_first_then_stored_tokens(sb: Sandbox, settings: Path) -> None:
    tokens = AmoAPI.oauth2(sb.subdomain, sb.client_id, sb.client_secret, sb.redirect_uri, sb.mint_code(),
                           base_url=sb.base_url)
    assert list(tokens)[:5] == ["client_id", "client_secret", "redirect_uri", "access_token", "refresh_token"]
    domain = AmoAPI.get_amo_domain(sb.subdomain)
    assert AmoAPI.token_storage.has_tokens(domain)
    assert (settings / "tokens" / f"{domain}.json").is_file()
    assert sb.counters()["code_exchanges"] == 1
    AmoAPI.reset()
    # Later authorisations: only the subdomain; client data comes from the storage.
    AmoAPI.oauth2(sb.subdomain, base_url=sb.base_url)
    assert AmoAPI.get_account()["id"] == SEED.ACCOUNT_ID
    assert sb.counters()["code_exchanges"] == 1


def test_oauth2_without_tokens_or_code(sb: Sandbox) -> None:
    with pytest.raises(NotAuthorizedError, match="pass auth_code") as info:
        AmoAPI.oauth2(sb.subdomain, sb.client_id, sb.client_secret, sb.redirect_uri, base_url=sb.base_url)
    assert info.value.code == 0
    assert sb.counters()["requests"] == 0


def test_oauth2_missing_parameter_checked_before_any_request(sb: Sandbox) -> None:
    with pytest.raises(ConfigError, match="client_secret") as info:
        AmoAPI.oauth2(sb.subdomain, sb.client_id, None, sb.redirect_uri, sb.mint_code(), base_url=sb.base_url)
    assert isinstance(info.value, AmoAPIException)
    assert sb.counters()["requests"] == 0


def test_failed_oauth2_does_not_register_the_account(sb: Sandbox) -> None:
    with pytest.raises(AmoAPIException) as info:
        AmoAPI.oauth2(sb.subdomain, sb.client_id, "wrong-secret", sb.redirect_uri, sb.mint_code(),
                      base_url=sb.base_url)
    assert isinstance(info.value, AuthError) and info.value.code == 400  # the token endpoint's status
    assert "wrong-secret" not in str(info.value)
    with pytest.raises(NotAuthorizedError, match="authorization required"):
        AmoAPI.get_account()


def test_api_key_auth(sb: Sandbox) -> None:
    answer = AmoAPI.auth(sb.login, sb.api_key, sb.subdomain, base_url=sb.base_url)
    assert answer["response"]["auth"] is True
    assert AmoAPI.get_contacts({"id": SEED.CONTACT_IVAN})[0]["id"] == SEED.CONTACT_IVAN
    assert sb.request_log()[-1]["auth"] == "cookie"


def test_api_key_auth_failure(sb: Sandbox) -> None:
    with pytest.raises(AmoAPIException) as info:
        AmoAPI.auth(sb.login, "not-the-key", sb.subdomain, base_url=sb.base_url)
    assert info.value.code == 401
    assert "not-the-key" not in str(info.value) and "not-the-key" not in repr(info.value)
    with pytest.raises(NotAuthorizedError):
        AmoAPI.get_contacts()


def test_not_authorised(sb: Sandbox) -> None:
    with pytest.raises(NotAuthorizedError, match="authorization required") as info:
        AmoAPI.get_leads()
    assert info.value.code == 0 and isinstance(info.value, AmoAPIException)
    with pytest.raises(NotAuthorizedError, match="not authorised for subdomain 'nobody'"):
        AmoAPI.get_leads(subdomain="nobody")
    with pytest.raises(NotAuthorizedError):
        AmoCompany({"name": "x"}).save()


def test_get_amo_domain() -> None:
    assert AmoAPI.get_amo_domain("test") == "test.amocrm.ru"
    assert AmoAPI.get_amo_domain("test.amocrm.com") == "test.amocrm.com"
    assert AmoAPI.get_amo_domain("acme.kommo.com") == "acme.kommo.com"
    AmoAPI.amo_domain = "amocrm.com"
    try:
        assert AmoAPI.get_amo_domain("test") == "test.amocrm.com"
    finally:
        AmoAPI.amo_domain = "amocrm.ru"
    with pytest.raises(ConfigError, match="invalid subdomain"):
        AmoAPI.get_amo_domain("bad/name")


def test_subdomain_keys_are_normalised(api: Sandbox) -> None:
    full = f"{api.subdomain}.amocrm.ru"
    assert AmoAPI.get_contacts({"id": SEED.CONTACT_IVAN}, subdomain=full)[0]["id"] == SEED.CONTACT_IVAN
    assert AmoAPI.client(full) is AmoAPI.client(api.subdomain.upper())


def test_two_accounts_side_by_side_and_the_default(sb: Sandbox) -> None:
    with Sandbox(rate_limit=None, subdomain="second", seed=False) as other:
        AmoAPI.oauth2(sb.subdomain, sb.client_id, sb.client_secret, sb.redirect_uri, sb.mint_code(),
                      base_url=sb.base_url)
        AmoAPI.oauth2(other.subdomain, other.client_id, other.client_secret, other.redirect_uri, other.code,
                      base_url=other.base_url)
        # None = the account authorised last (the empty one).
        assert AmoAPI.get_companies() is None
        assert AmoAPI.get_companies(subdomain=sb.subdomain)[0]["id"] == SEED.COMPANY_ACME
        first = AmoCompany({"name": "In the first"}, sb.subdomain)
        first.save()
        second = AmoCompany({"name": "In the second"})
        second.save()
        AmoAPI.save_objects([AmoCompany({"name": "Batch first"})], subdomain=sb.subdomain)
        assert [c["name"] for c in other.entities("companies")] == ["In the second"]
        assert {"In the first", "Batch first"} <= {c["name"] for c in sb.entities("companies")}
        pages = list(AmoAPI.get_all_companies({}, False, sb.subdomain))
        assert sum(len(p) for p in pages) == 3
        AmoAPI.reset()


class DictStorage:
    """A user's storage in the seed's style (dicts)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def save(self, tokens: dict[str, Any], domain: str) -> None:
        self.data[domain] = dict(tokens)

    def load(self, domain: str) -> dict[str, Any] | None:
        return self.data.get(domain)

    def has_tokens(self, domain: str) -> bool:
        return domain in self.data


def test_custom_seed_style_storage(sb: Sandbox) -> None:
    storage = DictStorage()
    AmoAPI.token_storage = storage
    AmoAPI.oauth2(sb.subdomain, sb.client_id, sb.client_secret, sb.redirect_uri, sb.mint_code(), base_url=sb.base_url)
    saved = storage.data[f"{sb.subdomain}.amocrm.ru"]
    assert {"access_token", "refresh_token", "client_id", "client_secret", "redirect_uri"} <= set(saved)
    assert AmoAPI.get_account()["id"] == SEED.ACCOUNT_ID


def test_bad_token_storage_setting() -> None:
    with pytest.raises(TokenStorageException, match="token_storage must implement") as info:
        AmoAPI.token_storage = object()
    assert isinstance(info.value, AmoAPIException)
    assert TokenStorageException is TokenStorageError


def test_corrupt_token_file(sb: Sandbox, settings: Path) -> None:
    folder = settings / "tokens"
    folder.mkdir()
    (folder / f"{sb.subdomain}.amocrm.ru.json").write_text("{not json")
    with pytest.raises(TokenStorageException, match="not valid JSON") as info:
        AmoAPI.oauth2(sb.subdomain, base_url=sb.base_url)
    assert isinstance(info.value, AmoAPIException) and isinstance(info.value, AmoError)


def test_file_storage_roundtrip_and_repr(tmp_path: Path) -> None:
    storage = FileStorage(tmp_path)
    tokens = {"access_token": "a" * 20, "refresh_token": "r" * 20, "client_id": "id", "client_secret": "s" * 20,
              "redirect_uri": "https://x"}
    assert not storage.has_tokens("x.amocrm.ru")
    assert storage.load("x.amocrm.ru") is None
    storage.save(tokens, "x.amocrm.ru")
    loaded = storage.load("x.amocrm.ru")
    assert loaded is not None and {k: loaded[k] for k in tokens} == tokens
    assert "s" * 20 not in repr(storage)
    with pytest.raises(TokenStorageException, match="no access_token"):
        storage.save({"refresh_token": "x"}, "x.amocrm.ru")
