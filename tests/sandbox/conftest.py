"""Fixtures: one thread sandbox per module (rate limit off), reset before each test, raw urllib3 client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from amocrm.sandbox import Sandbox


class Api:
    """Raw HTTP against a sandbox: urllib3 + json only, never the SDK."""

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

    def get(self, path: str, fields: dict[str, Any] | None = None, headers: dict[str, str] | None = None
            ) -> urllib3.BaseHTTPResponse:
        return self.http.request("GET", self.base_url + path, fields=fields, headers=self.headers(headers))

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.http.request("POST", self.base_url + path, body=data,
                                 headers=self.headers({"Content-Type": "application/json", **(headers or {})}))

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


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None, read_timeout=3.0) as sb:
        yield sb


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.reset()
    return sandbox


@pytest.fixture
def api(sb: Sandbox) -> Api:
    return Api(sb.base_url, sb.issue_tokens()["access_token"])


@pytest.fixture
def anon(sb: Sandbox) -> Api:
    return Api(sb.base_url, None)
