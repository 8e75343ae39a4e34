"""Client features of API v4: acting as a user (X-Context-User-ID), accounts moved to another host
(``api_domain``), and validation errors mapped to the input objects and their Python fields."""

from __future__ import annotations

import base64
import json

import pytest

from amocrm.auth import LongLivedToken
from amocrm.client import AmoClient
from amocrm.errors import ConfigError, ValidationError
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.tokens import MemoryTokenStorage
from amocrm.v4.models import Lead


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox  # type: ignore[misc]


def jwt(**claims: object) -> str:
    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return ".".join((part({"typ": "JWT", "alg": "RS256"}), part({"exp": 4102444800, **claims}), "c2lnbmF0dXJl"))


# -- X-Context-User-ID ------------------------------------------------------------------------------


def test_context_user_id_is_sent_on_v4_requests_only(sb: Sandbox) -> None:
    client = client_for(sb, auth="token", context_user_id=SEED.USER_MANAGER)
    client.v4.leads.list().items  # noqa: B018
    client.v2.leads.list().items  # noqa: B018
    v4, v2 = sb.request_log()[-2:]
    assert v4["path"] == "/api/v4/leads" and v4["headers"]["x-context-user-id"] == str(SEED.USER_MANAGER)
    assert v2["path"] == "/api/v2/leads" and "x-context-user-id" not in v2["headers"]
    client.close()


@pytest.mark.parametrize("bad", [0, -1, "5", True, 1.5])
def test_context_user_id_must_be_a_user_id(bad: object) -> None:
    with pytest.raises(ConfigError, match="context_user_id"):
        AmoClient("acme", context_user_id=bad)  # type: ignore[arg-type]


# -- accounts on another host ---------------------------------------------------------------------


def test_requests_follow_the_api_domain_the_token_names() -> None:
    client = AmoClient("acme", auth=LongLivedToken(jwt(api_domain="acme.kommo.com")), throttle=None)
    request = client._build("GET", "/api/v4/leads", None, None, None, None, None)
    assert request.url == "https://acme.kommo.com/api/v4/leads"
    client.close()


@pytest.mark.parametrize("host", ["evil.example.com", "acme.amocrm.ru.evil.com", "127.0.0.1", "a..b.kommo.com"])
def test_an_api_domain_that_is_not_an_amocrm_host_is_ignored(host: str) -> None:
    client = AmoClient("acme", auth=LongLivedToken(jwt(api_domain=host)), throttle=None)
    request = client._build("GET", "/api/v4/leads", None, None, None, None, None)
    assert request.url == "https://acme.amocrm.ru/api/v4/leads"  # the bearer token never goes elsewhere
    client.close()


def test_an_explicit_base_url_is_never_overridden() -> None:
    client = AmoClient("acme", base_url="http://127.0.0.1:9", auth=LongLivedToken(jwt(api_domain="acme.kommo.com")),
                       throttle=None)
    assert client._build("GET", "/api/v4/leads", None, None, None, None, None).url == "http://127.0.0.1:9/api/v4/leads"
    client.close()


def test_the_api_domain_of_a_token_answer_is_stored_with_the_tokens(sb: Sandbox) -> None:
    from amocrm.auth import OAuth2

    storage = MemoryTokenStorage()
    auth = OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, code=sb.mint_code())
    client = AmoClient(sb.subdomain, base_url=sb.base_url, auth=auth, throttle=None)
    client.v4.account.get()
    stored = storage.load(client.domain)
    assert stored is not None and stored.api_domain == f"{sb.subdomain}.amocrm.ru"  # from the JWT claims
    assert auth.api_domain(client.domain) == f"{sb.subdomain}.amocrm.ru"
    client.close()


# -- validation errors ----------------------------------------------------------------------------


def test_a_validation_error_points_at_the_input_objects_and_their_fields(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    good = Lead(name="fine")
    bad_field = Lead(name="unknown field")
    bad_field.set_value(999_999, "x")
    leads = [good, bad_field]
    before = len(sb.entities("leads"))
    with pytest.raises(ValidationError) as info:
        client.v4.leads.save(leads)
    err = info.value
    assert len(sb.entities("leads")) == before  # refused as a whole: nothing applied
    [failure] = err.failures
    assert failure.index == 1 and failure.object is bad_field and failure.request_id == "1"
    [field] = failure.errors
    assert field.path == "custom_fields_values.0.field_id"
    assert field.field == "custom_fields_values[0].field_id" and field.code == "NotSupportedChoice"
    assert "custom_fields_values[0].field_id" in str(failure) and str(failure).startswith("#1: ")
    assert [o.status for o in err.outcome] == ["failed", "failed"]
    assert err.outcome[1].code == "NotSupportedChoice"
    client.close()


def test_embedded_paths_are_spelled_as_python_attributes() -> None:
    from amocrm._core.fieldpath import python_path

    assert python_path(Lead, "_embedded.tags.0.name") == "embedded.tags[0].name"
    assert python_path(Lead, "custom_fields_values.2.values.0.enum_id") == "custom_fields_values[2].values[0].enum_id"
    assert python_path(Lead, "no_such.0.thing") == "no_such[0].thing"
    assert python_path(None, "a.1.b") == "a[1].b"
