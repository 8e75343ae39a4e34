"""API v4 protocol tests: raw urllib3 + JSON against one sandbox per module, over HTTP and over TLS.

``sandbox`` is module-scoped and parametrised (``http``/``tls``); ``sb`` resets it to the seeded
state before each test; ``v4`` is a client with a fresh OAuth access token, ``v2`` the v2 helper
the sandbox's own v2 tests use (to check what one face wrote through the other).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from amocrm.sandbox import Sandbox


class Api:
    """The v2 face, raw: what a v2 client sees of the same account."""

    def __init__(self, base_url: str, token: str | None, ca_file: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        kw: dict[str, Any] = {"timeout": urllib3.Timeout(connect=5, read=10), "retries": False}
        if ca_file:
            kw.update(cert_reqs="CERT_REQUIRED", ca_certs=ca_file)
        self.http = urllib3.PoolManager(**kw)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        h.update(extra or {})
        return h

    def get(self, path: str, fields: dict[str, Any] | None = None) -> urllib3.BaseHTTPResponse:
        return self.http.request("GET", self.base_url + path, fields=fields, headers=self.headers())

    def post(self, path: str, body: Any) -> urllib3.BaseHTTPResponse:
        return self.http.request("POST", self.base_url + path, body=json.dumps(body).encode(),
                                 headers=self.headers({"Content-Type": "application/json"}))

    def items(self, path: str, fields: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        r = self.get(path, fields)
        if r.status == 204:
            return []
        assert r.status == 200, (r.status, r.data[:300])
        items = r.json()["_embedded"]["items"]
        return list(items.values()) if isinstance(items, dict) else list(items)

    def add(self, kind: str, *entities: dict[str, Any]) -> list[int]:
        r = self.post(f"/api/v2/{kind}", {"add": list(entities)})
        assert r.status == 200, r.data
        body = r.json()
        assert "errors" not in body["_embedded"], body
        return [i["id"] for i in body["_embedded"]["items"]]

    def one(self, kind: str, eid: int, **extra: Any) -> dict[str, Any]:
        items = self.items(f"/api/v2/{kind}", {"id": eid, **extra})
        assert len(items) == 1, items
        return items[0]


class V4:
    """Raw HTTP for ``/api/v4``: urllib3 and json only, never the SDK."""

    def __init__(self, base_url: str, token: str | None, ca_file: str | None = None) -> None:
        self.base_url = base_url
        self.token = token
        kw: dict[str, Any] = {"timeout": urllib3.Timeout(connect=5, read=10), "retries": False}
        if ca_file:
            kw.update(cert_reqs="CERT_REQUIRED", ca_certs=ca_file)
        self.http = urllib3.PoolManager(**kw)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        h.update(extra or {})
        return h

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/api/v4/" + path)

    def call(self, method: str, path: str, body: Any = None, fields: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        extra = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            extra.setdefault("Content-Type", "application/json")
        if fields is not None:
            return self.http.request(method, self.url(path), fields=fields, headers=self.headers(extra))
        return self.http.request(method, self.url(path), body=data, headers=self.headers(extra))

    def get(self, path: str, fields: dict[str, Any] | None = None, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.call("GET", path, fields=fields or {}, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.call("PATCH", path, body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, body: Any = None, **kw: Any) -> urllib3.BaseHTTPResponse:
        return self.call("DELETE", path, body, **kw)

    # -- assertions ---------------------------------------------------------------------------
    def ok(self, method: str, path: str, body: Any = None, status: int = 200, **kw: Any) -> Any:
        if method == "GET":
            r = self.get(path, body)
        else:
            r = self.call(method, path, body, **kw)
        assert r.status == status, (method, path, r.status, r.data[:600])
        if status == 204:
            assert r.data == b""
            return None
        assert r.headers["Content-Type"].startswith("application/hal+json"), r.headers["Content-Type"]
        return r.json()

    def one(self, path: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = self.ok("GET", path, fields or {})
        return body

    def rows(self, path: str, key: str, fields: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        r = self.get(path, fields or {})
        if r.status == 204:
            assert r.data == b""
            return []
        assert r.status == 200, (path, r.status, r.data[:400])
        return list(r.json()["_embedded"][key])

    def add(self, path: str, *items: dict[str, Any], key: str | None = None) -> list[int]:
        body = self.ok("POST", path, list(items))
        rows = body["_embedded"][key or path.split("/")[-1]]
        return [row["id"] for row in rows]


def problem(r: urllib3.BaseHTTPResponse, status: int) -> dict[str, Any]:
    """The problem+json body of an error answer, after checking its envelope."""
    assert r.status == status, (r.status, r.data[:600])
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers.get("Content-Type")
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["type"] == f"https://httpstatus.es/{status}"
    assert isinstance(body["title"], str) and isinstance(body["detail"], str)
    return body


def invalid(r: urllib3.BaseHTTPResponse) -> list[dict[str, Any]]:
    """``validation-errors`` of a 400 answer."""
    body = problem(r, 400)
    assert body["detail"] == "Request validation failed" and body["title"] == "Bad Request"
    errors: list[dict[str, Any]] = body["validation-errors"]
    for entry in errors:
        assert isinstance(entry["request_id"], str)
        for e in entry["errors"]:
            assert set(e) == {"code", "path", "detail"}
    return errors


def paths(r: urllib3.BaseHTTPResponse) -> set[tuple[str, str, str]]:
    """(request_id, path, code) of every validation error."""
    return {(entry["request_id"], e["path"], e["code"]) for entry in invalid(r) for e in entry["errors"]}


@pytest.fixture(scope="module", params=["http", "tls"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None, read_timeout=3.0, tls=request.param == "tls") as sb:
        yield sb


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.reset()
    return sandbox


@pytest.fixture
def v4(sb: Sandbox) -> V4:
    return V4(sb.base_url, sb.issue_tokens()["access_token"], sb.ca_file)


@pytest.fixture
def v2(sb: Sandbox, v4: V4) -> Api:
    return Api(sb.base_url, v4.token, sb.ca_file)


@pytest.fixture
def anon(sb: Sandbox) -> V4:
    return V4(sb.base_url, None, sb.ca_file)
