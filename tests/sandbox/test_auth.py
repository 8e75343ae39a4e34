"""OAuth code/refresh flows, bearer expiry, legacy auth.php sessions and query-string API keys."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import urllib3

from amocrm.sandbox import Sandbox

from .conftest import Api


def _token_request(sb: Sandbox, **overrides: Any) -> urllib3.BaseHTTPResponse:
    body = {"client_id": sb.client_id, "client_secret": sb.client_secret, "grant_type": "authorization_code",
            "code": sb.code, "redirect_uri": sb.redirect_uri, **overrides}
    return urllib3.request("POST", sb.base_url + "/oauth2/access_token", body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json"}, retries=False)


def _hint(resp: urllib3.BaseHTTPResponse) -> str:
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert body["title"] == "Некорректный запрос"
    assert body["type"] == "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"
    assert body["status"] == resp.status
    return str(body["hint"])


def _jwt_claims(token: str) -> dict[str, Any]:
    import base64

    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_code_exchange_then_code_is_revoked(sb: Sandbox) -> None:
    code = sb.mint_code()
    r = _token_request(sb, code=code)
    assert r.status == 200
    tokens = r.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 86400
    assert tokens["refresh_token"].startswith("def50200")
    claims = _jwt_claims(tokens["access_token"])
    assert claims["exp"] > time.time() + 86000
    again = _token_request(sb, code=code)
    assert again.status == 400 and _hint(again) == "Authorization code has been revoked"
    assert sb.counters()["code_exchanges"] == 1
    api = Api(sb.base_url, tokens["access_token"])
    assert api.get("/api/v2/account").status == 200


def test_token_endpoint_form_encoded(sb: Sandbox) -> None:
    body = urlencode({"client_id": sb.client_id, "client_secret": sb.client_secret,
                      "grant_type": "authorization_code", "code": sb.mint_code(), "redirect_uri": sb.redirect_uri})
    r = urllib3.request("POST", sb.base_url + "/oauth2/access_token", body=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and "access_token" in r.json()


def test_token_endpoint_error_hints(sb: Sandbox) -> None:
    assert _hint(_token_request(sb, client_id="nope")) == "Check the `client_id` parameter"
    assert _hint(_token_request(sb, client_secret="nope")) == "Check the `client_secret` parameter"
    assert _hint(_token_request(sb, redirect_uri="https://evil")) == "Redirect URI is not associated with client"
    assert _hint(_token_request(sb, code="garbage")) == "Cannot decrypt the authorization code"
    r = urllib3.request("POST", sb.base_url + "/oauth2/access_token", body=b"{}",
                        headers={"Content-Type": "application/json", "Host": "other.amocrm.ru"})
    assert _hint(r) == "Invalid account"


def test_code_expires() -> None:
    with Sandbox(rate_limit=None, code_lifetime=0.2) as sb:
        time.sleep(0.3)
        r = _token_request(sb)
        assert r.status == 400 and _hint(r) == "Authorization code has expired"


def test_refresh_rotates_and_old_refresh_is_refused(sb: Sandbox) -> None:
    first = sb.issue_tokens()
    body = {"client_id": sb.client_id, "client_secret": sb.client_secret, "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"], "redirect_uri": sb.redirect_uri}
    r = urllib3.request("POST", sb.base_url + "/oauth2/access_token", body=json.dumps(body),
                        headers={"Content-Type": "application/json"})
    assert r.status == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    replay = urllib3.request("POST", sb.base_url + "/oauth2/access_token", body=json.dumps(body),
                             headers={"Content-Type": "application/json"})
    assert replay.status == 400 and _hint(replay) == "Invalid refresh token"
    assert sb.counters()["refreshes"] == 1
    assert Api(sb.base_url, second["access_token"]).get("/api/v2/account").status == 200


def test_access_token_expires_to_401(sb: Sandbox) -> None:
    tokens = sb.issue_tokens(lifetime=0.3)
    api = Api(sb.base_url, tokens["access_token"])
    assert api.get("/api/v2/account").status == 200
    time.sleep(0.4)
    r = api.get("/api/v2/account")
    assert r.status == 401
    assert r.json()["detail"] == "Access token has expired"
    assert Api(sb.base_url, "not-a-token").get("/api/v2/account").status == 401


def test_missing_credentials_401(anon: Api) -> None:
    for path in ("/api/v2/leads", "/api/v2/account", "/oauth2/account/subdomain"):
        r = anon.get(path)
        assert r.status == 401, path
        assert r.json()["response"]["error_code"] == "110"


def test_account_subdomain(api: Api, sb: Sandbox) -> None:
    r = api.get("/oauth2/account/subdomain")
    assert r.status == 200
    assert r.json() == {"id": 28000001, "subdomain": sb.subdomain, "domain": "amocrm.ru", "top_level_domain": "ru"}


def _login(sb: Sandbox, body: bytes, ctype: str) -> urllib3.BaseHTTPResponse:
    return urllib3.request("POST", sb.base_url + "/private/api/auth.php?type=json", body=body,
                           headers={"Content-Type": ctype})


def _cookie(resp: urllib3.BaseHTTPResponse) -> str:
    return str(resp.headers["Set-Cookie"]).split(";", 1)[0]


def test_legacy_login_json_form_multipart(sb: Sandbox) -> None:
    creds = {"USER_LOGIN": sb.login, "USER_HASH": sb.api_key}
    as_json = _login(sb, json.dumps(creds).encode(), "application/json")
    as_form = _login(sb, urlencode(creds).encode(), "application/x-www-form-urlencoded")
    body, ctype = urllib3.encode_multipart_formdata(creds)
    as_multipart = _login(sb, body, ctype)
    for r in (as_json, as_form, as_multipart):
        assert r.status == 200
        data = r.json()["response"]
        assert data["auth"] is True and data["accounts"][0]["subdomain"] == sb.subdomain
        assert _cookie(r).startswith("session_id=")
    cookie_api = Api(sb.base_url, None)
    r = cookie_api.get("/api/v2/leads", headers={"Cookie": _cookie(as_form)})
    assert r.status == 200
    assert sb.counters()["logins"] == 3
    assert sb.request_log()[-1]["auth"] == "cookie"
    assert sb.request_log()[-1]["headers"]["cookie"] == "***"


def test_legacy_login_wrong_credentials(sb: Sandbox) -> None:
    r = _login(sb, json.dumps({"USER_LOGIN": sb.login, "USER_HASH": "wrong"}).encode(), "application/json")
    assert r.status == 401
    data = r.json()["response"]
    assert data["error_code"] == "110" and data["auth"] is False
    assert "Set-Cookie" not in r.headers


def test_session_lapses() -> None:
    with Sandbox(rate_limit=None, session_lifetime=0.3) as sb:
        r = _login(sb, json.dumps({"USER_LOGIN": sb.login, "USER_HASH": sb.api_key}).encode(), "application/json")
        cookie = _cookie(r)
        api = Api(sb.base_url, None)
        assert api.get("/api/v2/account", headers={"Cookie": cookie}).status == 200
        time.sleep(0.4)
        assert api.get("/api/v2/account", headers={"Cookie": cookie}).status == 401


def test_query_string_api_key(sb: Sandbox, anon: Api) -> None:
    r = anon.get("/api/v2/leads", {"USER_LOGIN": sb.login, "USER_HASH": sb.api_key})
    assert r.status == 200
    entry = sb.request_log()[-1]
    assert entry["auth"] == "api_key"
    assert sb.api_key not in json.dumps(sb.request_log())
    assert anon.get("/api/v2/leads", {"login": sb.login, "api_key": sb.api_key}).status == 200
    assert anon.get("/api/v2/leads", {"USER_LOGIN": sb.login, "USER_HASH": "bad"}).status == 401


def test_bearer_masked_in_log(sb: Sandbox, api: Api) -> None:
    api.get("/api/v2/account")
    entry = sb.request_log()[-1]
    assert entry["headers"]["authorization"] == "***"
    assert api.token and api.token not in json.dumps(sb.request_log())
    assert entry["auth"] == "oauth" and entry["status"] == 200 and entry["method"] == "GET"
    assert str(sb.client_secret) not in repr(sb)
