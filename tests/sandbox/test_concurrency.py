"""Concurrent clients: the refresh race is real, writes stay consistent, optimistic locking holds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import urllib3

from amocrm.sandbox import Sandbox

from .conftest import Api


def _together(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        barrier.wait(timeout=5)
        results[i] = fn(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return results


def test_concurrent_refresh_only_one_wins(sb: Sandbox) -> None:
    refresh = sb.issue_tokens()["refresh_token"]
    body = json.dumps({"client_id": sb.client_id, "client_secret": sb.client_secret, "grant_type": "refresh_token",
                       "refresh_token": refresh, "redirect_uri": sb.redirect_uri})

    def attempt(_: int) -> int:
        r = urllib3.request("POST", sb.base_url + "/oauth2/access_token", body=body,
                            headers={"Content-Type": "application/json"})
        return r.status

    statuses = _together(6, attempt)
    assert sorted(statuses) == [200] + [400] * 5
    assert sb.counters()["refreshes"] == 1


def test_concurrent_adds_get_distinct_ids(sb: Sandbox, api: Api) -> None:
    def add_many(i: int) -> list[int]:
        client = Api(api.base_url, api.token)
        return [client.add("contacts", {"name": f"t{i}-{k}"})[0] for k in range(20)]

    ids = [x for chunk in _together(5, add_many) for x in chunk]
    assert len(set(ids)) == 100
    assert len(sb.entities("contacts")) == 102


def test_concurrent_updates_same_timestamp_one_applies(sb: Sandbox, api: Api) -> None:
    [lid] = api.add("leads", {"name": "contended"})
    stamp = int(time.time()) + 100

    def update(i: int) -> dict[str, Any]:
        client = Api(api.base_url, api.token)
        r = client.post("/api/v2/leads", {"update": [{"id": lid, "updated_at": stamp, "name": f"w{i}"}]})
        return dict(r.json()["_embedded"])

    results = _together(6, update)
    applied = [r for r in results if r["items"]]
    conflicts = [r for r in results if "errors" in r]
    assert len(applied) == 1 and len(conflicts) == 5
    assert all(c["errors"]["update"] == {str(lid): "Last modified date is older than in database"} for c in conflicts)
