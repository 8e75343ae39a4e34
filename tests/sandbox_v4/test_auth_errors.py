"""API v4 auth (Bearer only, long-lived tokens, the consent step) and error answers (problem+json)."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import urllib3

from amocrm.sandbox import SEED, Sandbox

from .conftest import V4, problem


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_bearer_only_api_key_and_cookie_refused(sb: Sandbox, v4: V4, anon: V4) -> None:
    assert v4.get("account").status == 200
    detail = problem(anon.get("account"), 401)["detail"]
    assert detail == "Неверный логин или пароль"
    body = problem(anon.get("leads", {"USER_LOGIN": sb.login, "USER_HASH": sb.api_key}), 401)
    assert body["title"] == "Unauthorized"
    r = anon.http.request("POST", sb.base_url + "/private/api/auth.php?type=json",
                          body=json.dumps({"USER_LOGIN": sb.login, "USER_HASH": sb.api_key}),
                          headers={"Content-Type": "application/json"})
    cookie = r.headers["Set-Cookie"].split(";")[0]
    assert anon.http.request("GET", sb.base_url + "/api/v2/account", headers={"Cookie": cookie}).status == 200
    problem(anon.http.request("GET", sb.base_url + "/api/v4/account", headers={"Cookie": cookie}), 401)
    assert problem(V4(sb.base_url, "garbage", sb.ca_file).get("leads"), 401)["detail"] == "Invalid access token"


def test_access_token_expiry_and_long_lived_token(sb: Sandbox) -> None:
    short = V4(sb.base_url, sb.issue_tokens(lifetime=0.3)["access_token"], sb.ca_file)
    assert short.get("account").status == 200
    time.sleep(0.4)
    assert problem(short.get("account"), 401)["detail"] == "Access token has expired"
    token = sb.issue_long_lived_token()
    claims = _claims(token)
    assert claims["exp"] > time.time() + 300 * 86400 and claims["api_domain"] == f"{sb.subdomain}.amocrm.ru"
    assert V4(sb.base_url, token, sb.ca_file).get("leads").status == 200
    brief = V4(sb.base_url, sb.issue_long_lived_token(lifetime=0.2), sb.ca_file)
    time.sleep(0.3)
    problem(brief.get("leads"), 401)
    tokens = sb.issue_tokens()
    assert _claims(tokens["access_token"])["api_domain"] == f"{sb.subdomain}.amocrm.ru"


def test_account_domain_by_refresh_token(sb: Sandbox, anon: V4) -> None:
    refresh = sb.issue_tokens()["refresh_token"]
    r = anon.get("/oauth2/account/current/subdomain", headers={"X-Refresh-Token": refresh})
    assert r.status == 200 and r.json()["subdomain"] == sb.subdomain
    assert anon.get("/oauth2/account/current/subdomain", headers={"X-Refresh-Token": "nope"}).status == 401


def test_consent_step_redirects_with_a_fresh_code(sb: Sandbox, anon: V4) -> None:
    r = anon.http.request("GET", sb.base_url + "/oauth", fields={"client_id": sb.client_id, "state": "xyz",
                                                                 "mode": "post_message"}, redirect=False)
    assert r.status == 302
    target = urlsplit(r.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == sb.redirect_uri
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["state"] == "xyz" and query["referer"] == f"{sb.subdomain}.amocrm.ru"
    assert query["client_id"] == sb.client_id and query["platform"] == "1"
    exchange = {"client_id": sb.client_id, "client_secret": sb.client_secret, "grant_type": "authorization_code",
                "code": query["code"], "redirect_uri": sb.redirect_uri}
    r = anon.http.request("POST", sb.base_url + "/oauth2/access_token", body=json.dumps(exchange),
                          headers={"Content-Type": "application/json"})
    assert r.status == 200
    assert V4(sb.base_url, r.json()["access_token"], sb.ca_file).get("leads").status == 200
    again = anon.http.request("POST", sb.base_url + "/oauth2/access_token", body=json.dumps(exchange),
                              headers={"Content-Type": "application/json"})
    assert again.status == 400 and again.json()["hint"] == "Authorization code has been revoked"
    r = anon.http.request("GET", sb.base_url + "/oauth2/authorize", fields={
        "client_id": sb.client_id, "redirect_uri": sb.redirect_uri, "response_type": "code", "mode": "popup"},
        redirect=False)
    assert r.status == 302 and "state" not in parse_qs(urlsplit(r.headers["Location"]).query)
    for bad in ({"client_id": "unknown", "state": "s"}, {"client_id": sb.client_id, "redirect_uri": "https://evil"},
                {"client_id": sb.client_id, "mode": "iframe"}, {}):
        r = anon.http.request("GET", sb.base_url + "/oauth", fields=bad, redirect=False)
        assert r.status == 400 and r.headers["Content-Type"].startswith("text/html") and "Location" not in r.headers
    assert sb.counters()["consents"] == 2


def test_consent_step_on_kommo() -> None:
    with Sandbox(rate_limit=None, platform="kommo", subdomain="acme") as sb:
        r = urllib3.request("GET", sb.base_url + "/oauth", fields={"client_id": sb.client_id}, redirect=False)
        query = parse_qs(urlsplit(r.headers["Location"]).query)
        assert query["referer"] == ["acme.kommo.com"] and query["platform"] == ["2"]
        assert _claims(sb.issue_tokens()["access_token"])["api_domain"] == "acme.kommo.com"


def test_routes_404_405_and_bad_bodies(sb: Sandbox, v4: V4) -> None:
    body = problem(v4.get("nothing/here"), 404)
    assert body["detail"] == f"Cannot GET {sb.base_url}/api/v4/nothing/here!"
    r = v4.delete("leads")
    assert r.status == 405 and r.data == b""
    r = v4.call("PUT", "account")
    assert r.status == 405 and r.data == b""
    problem(v4.post("leads", b"{broken"), 400)
    problem(v4.post("leads", b"[" * 30000 + b"]" * 30000), 400)
    problem(v4.post("leads", b"[{\"name\": NaN}]"), 400)
    problem(v4.post("leads", b"name=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415)
    problem(v4.get("leads", {"filter[created_at][from]": "soon"}), 400)
    r = v4.call("HEAD", "leads")
    assert r.status == 200 and r.data == b""
    assert sb.core.internal_errors == []


def test_chunked_body_and_unencoded_brackets_on_v4(sb: Sandbox, v4: V4) -> None:
    payload = json.dumps([{"name": "chunked v4"}]).encode()
    half = len(payload) // 2
    body = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, payload[:half], len(payload) - half, payload[half:])
    host, port = sb.base_url.split("//")[1].split(":")
    raw = (f"POST /api/v4/leads HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {v4.token}\r\n"
           "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + body
    query = (f"GET /api/v4/leads?filter[id][]={SEED.LEAD_SECOND}&with=contacts HTTP/1.1\r\nHost: {host}\r\n"
             f"Authorization: Bearer {v4.token}\r\nConnection: close\r\n\r\n").encode()
    sock: socket.socket = socket.create_connection((host, int(port)), timeout=5)
    if sb.ca_file:
        sock = ssl.create_default_context(cafile=sb.ca_file).wrap_socket(sock, server_hostname=host)
    with sock:
        sock.sendall(raw + query)  # two requests on one keep-alive connection
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    first, second = data.split(b"HTTP/1.1 ")[1:3]
    assert first.startswith(b"200") and b"chunked v4" not in first
    assert second.startswith(b"200") and f'"id":{SEED.LEAD_SECOND}'.encode() in second
    assert any(r["name"] == "chunked v4" for r in sb.entities("leads"))


def test_rate_limit_block_and_faults_apply_to_v4() -> None:
    with Sandbox(rate_limit=2, block_after=3, block_seconds=5) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        statuses = [v4.get("account").status for _ in range(6)]
        assert 429 in statuses
        limited = next(r for r in (v4.get("account") for _ in range(3)) if r.status in (429, 403))
        problem(limited, limited.status)
        assert sb.counters()["rate_limited"] >= 1
    with Sandbox(rate_limit=None) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        sb.set_faults(error_rate=1.0, error_statuses=[503], path_prefix="/api/v4/")
        r = v4.get("leads")
        assert r.status == 503 and r.headers["Content-Type"].startswith("text/html")
        assert v4.get("/api/v2/account").status == 200
        sb.set_faults(truncate_rate=1.0, path_prefix="/api/v4/")
        r = v4.get("leads")
        assert r.status == 200
        try:
            json.loads(r.data)
            raise AssertionError("the body should be broken")
        except ValueError:
            pass
        sb.set_faults(drop_after_rate=1.0, path_prefix="/api/v4/leads", methods=["POST"])
        try:
            v4.post("leads", [{"name": "applied, never answered"}])
            raise AssertionError("the connection should drop")
        except urllib3.exceptions.ProtocolError:
            pass
        sb.clear_faults()
        assert any(r["name"] == "applied, never answered" for r in sb.entities("leads"))
        sb.set_faults(latency_ms=150, path_prefix="/api/v4/")
        t0 = time.perf_counter()
        assert v4.get("account").status == 200 and time.perf_counter() - t0 >= 0.14
        sb.set_faults(force_401=1)
        problem(v4.get("account"), 401)
        assert v4.get("account").status == 200


def test_bad_input_never_500(sb: Sandbox, v4: V4) -> None:
    bodies: list[Any] = [None, 1, "x", [], [None], [1], [[]], [{"id": "x"}], {"a": {"b": [1]}}, [{"_embedded": 1}],
                         [{"custom_fields_values": {"x": 1}}], [{"custom_fields_values": [{"values": 7}]}]]
    paths = ["leads", "contacts", "companies", "tasks", "leads/notes", "leads/complex", "leads/link",
             f"leads/{SEED.LEAD_FIRST}/link", "leads/pipelines", "leads/loss_reasons", "leads/unsorted/forms",
             "leads/unsorted/sip", "leads/custom_fields", "leads/tags", "catalogs", "webhooks", "calls", "sources",
             "users", "roles", "short_links", "chats/templates", "contacts/chats", "customers/segments"]
    for path in paths:
        for body in bodies:
            for method in ("POST", "PATCH"):
                r = v4.call(method, path, json.dumps(body).encode())
                assert r.status < 500, (method, path, body, r.status, r.data[:300])
    assert sb.core.internal_errors == []


def test_batch_504_applies_to_v4_writes() -> None:
    with Sandbox(rate_limit=None, batch_504_above=2) as sb:
        v4 = V4(sb.base_url, sb.issue_tokens()["access_token"])
        r = v4.post("leads", [{"name": f"n{i}"} for i in range(3)])
        assert r.status == 504 and r.headers["Content-Type"].startswith("text/html")
        assert not any(rec["name"] == "n0" for rec in sb.entities("leads"))  # not applied
        assert v4.post("leads", [{"name": "a"}, {"name": "b"}]).status == 200
