"""Rate limiting (429, Retry-After, 403 block) and injected faults, deterministic by seed."""

from __future__ import annotations

import json
import socket
import time

import pytest
import urllib3

from amocrm.sandbox import SEED, Sandbox

from .conftest import Api


def test_rate_limit_429_then_403_block() -> None:
    with Sandbox(rate_limit=2, block_after=5, block_seconds=0.6) as sb:
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        statuses = [api.get("/api/v2/account").status for _ in range(5)]
        assert statuses == [200, 200, 429, 429, 429]
        r = api.get("/api/v2/account")
        assert r.status == 429 and r.headers["Retry-After"] == "1"
        assert r.json()["response"]["error_code"] == "429"
        r = api.get("/api/v2/account")  # fifth consecutive 429 turns into a block
        assert r.status == 403 and r.json()["response"]["error_code"] == "403"
        assert api.get("/api/v2/account").status == 403
        time.sleep(0.7)
        assert api.get("/api/v2/account").status == 200
        c = sb.counters()
        assert c["rate_limited"] == 4 and c["blocked"] == 2 and c["by_status"]["429"] == 4


def test_rate_limit_refills() -> None:
    with Sandbox(rate_limit=20) as sb:
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        for _ in range(3):
            ok = sum(api.get("/api/v2/account").status == 200 for _ in range(10))
            assert ok == 10
            time.sleep(0.55)


def test_error_share_is_deterministic(sb: Sandbox, api: Api) -> None:
    def run() -> list[int]:
        sb.set_faults(error_rate=0.5, seed=42)
        return [api.get("/api/v2/account").status for _ in range(30)]
    first, second = run(), run()
    assert first == second
    assert {s for s in first} <= {200, 502, 503, 504} and 5 < first.count(200) < 25
    sb.set_faults(error_rate=1.0, error_statuses=[503])
    r = api.get("/api/v2/account")
    assert r.status == 503 and r.headers["Content-Type"].startswith("text/html")
    sb.clear_faults()
    assert api.get("/api/v2/account").status == 200
    assert sb.counters()["faults"]["error"] == 2 * (30 - first.count(200)) + 1


def test_faults_limited_to_path_and_method(sb: Sandbox, api: Api) -> None:
    sb.set_faults(error_rate=1.0, path_prefix="/api/v2/leads", methods=["POST"])
    assert api.get("/api/v2/leads").status == 200
    assert api.get("/api/v2/contacts").status == 200
    assert api.post("/api/v2/leads", {"add": [{"name": "x"}]}).status in (502, 503, 504)
    assert api.post("/api/v2/contacts", {"add": [{"name": "x"}]}).status == 200


def test_force_401_next_n(sb: Sandbox, api: Api) -> None:
    sb.set_faults(force_401=2)
    assert [api.get("/api/v2/account").status for _ in range(3)] == [401, 401, 200]


def test_drop_before_reading_body(sb: Sandbox, api: Api) -> None:
    sb.set_faults(drop_before_rate=1.0)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.post("/api/v2/leads", {"add": [{"name": "never"}]})
    sb.clear_faults()
    assert not [e for e in sb.entities("leads") if e["name"] == "never"]
    assert sb.request_log()[-1]["fault"] == "drop_before"


def test_drop_after_applying_write(sb: Sandbox, api: Api) -> None:
    sb.set_faults(drop_after_rate=1.0)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        api.post("/api/v2/leads", {"add": [{"name": "applied"}]})
    sb.clear_faults()
    assert [e["name"] for e in sb.entities("leads")].count("applied") == 1


def test_truncated_non_json_and_html_bodies(sb: Sandbox, api: Api) -> None:
    sb.set_faults(truncate_rate=1.0)
    r = api.get("/api/v2/leads")
    assert r.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.data)
    sb.set_faults(non_json_rate=1.0)
    r = api.get("/api/v2/leads")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
    sb.set_faults(html_rate=1.0)
    r = api.get("/api/v2/leads")
    assert r.headers["Content-Type"].startswith("text/html") and b"<html>" in r.data


def test_latency_and_jitter(sb: Sandbox, api: Api) -> None:
    sb.set_faults(latency_ms=150, latency_jitter_ms=50, seed=1)
    t0 = time.perf_counter()
    api.get("/api/v2/account")
    assert 0.15 <= time.perf_counter() - t0 < 1.5
    assert sb.request_log()[-1]["duration_ms"] >= 150


def test_bad_fault_settings_are_named(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="error_rate"):
        sb.set_faults(error_rate=2)
    with pytest.raises(ValueError, match="bogus"):
        sb.set_faults(bogus=1)


def test_faults_from_constructor_and_seed_entities_untouched() -> None:
    with Sandbox(rate_limit=None, faults={"error_rate": 1.0, "path_prefix": "/api/v2/contacts"}) as sb:
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        assert api.get("/api/v2/contacts").status >= 502
        assert api.one("leads", SEED.LEAD_FIRST)["id"] == SEED.LEAD_FIRST


def test_raw_socket_sees_eof_on_drop(sb: Sandbox) -> None:
    sb.set_faults(drop_before_rate=1.0)
    host, port = sb.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=3) as s:
        s.sendall(b"GET /api/v2/account HTTP/1.1\r\nHost: x\r\n\r\n")
        assert s.recv(100) == b""
