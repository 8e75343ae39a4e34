"""Bad input gets the real error shape and status: never a crash, a hang or a traceback."""

from __future__ import annotations

import socket
import time

from amocrm.sandbox import Sandbox

from .conftest import Api


def _raw(sb: Sandbox, data: bytes, timeout: float = 5.0) -> bytes:
    host, port = sb.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_non_json_post_is_102(api: Api) -> None:
    r = api.post("/api/v2/leads", b"add[0][name]=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    assert r.json()["response"]["error_code"] == "102"
    r = api.post("/api/v2/leads", b"{not json")
    assert r.status == 400 and r.json()["response"]["error_code"] == "102"


def test_wrong_shapes(api: Api, sb: Sandbox) -> None:
    r = api.post("/api/v2/leads", [1, 2])
    assert r.status == 400 and r.json()["response"]["error_code"] == "284"
    r = api.post("/api/v2/leads", {"something": 1})
    assert r.json()["response"]["error_code"] == "214"
    r = api.post("/api/v2/contacts", {})
    assert r.json()["response"]["error_code"] == "206"
    r = api.post("/api/v2/leads", {"add": []})
    assert r.json()["response"]["error_code"] == "213"
    r = api.post("/api/v2/leads", {"add": "x"})
    assert r.json()["response"]["error_code"] == "284"
    r = api.post("/api/v2/leads", {"add": [{"name": "x", "sale": "lots"}]})
    assert r.status == 200 and "sale" in r.json()["_embedded"]["errors"]["add"][0]["message"]
    r = api.get("/api/v2/leads", {"limit_rows": "many"})
    assert r.status == 400 and "limit_rows" in r.json()["response"]["error"]
    assert sb.core.internal_errors == []


def test_unknown_paths_and_methods(api: Api) -> None:
    r = api.get("/api/v2/unknown")
    assert r.status == 404 and r.json()["response"]["error_code"] == "104"
    r = api.get("/nothing")
    assert r.status == 404 and r.headers["Content-Type"].startswith("text/html")
    r = api.http.request("DELETE", api.base_url + "/api/v2/leads", headers=api.headers())
    assert r.status == 405
    r = api.post("/api/v2/account", {})
    assert r.status == 405


def test_oversized_body_413() -> None:
    with Sandbox(rate_limit=None, max_body_bytes=1000) as sb:
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        r = api.post("/api/v2/leads", {"add": [{"name": "x" * 2000}]})
        assert r.status == 413 and r.json()["response"]["error_code"] == "413"
        assert len(sb.entities("leads")) == 2


def test_short_body_times_out_instead_of_hanging() -> None:
    with Sandbox(rate_limit=None, read_timeout=0.5) as sb:
        t0 = time.perf_counter()
        out = _raw(sb, b"POST /api/v2/leads HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", timeout=5)
        assert out == b"" and time.perf_counter() - t0 < 3
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        assert api.get("/api/v2/account").status == 200


def test_garbage_request_line_and_chunked(sb: Sandbox) -> None:
    out = _raw(sb, b"GET /a b HTTP/1.1\r\n\r\n")
    assert out.startswith(b"HTTP/1.") and b" 400 " in out.split(b"\r\n")[0]
    out = _raw(sb, b"POST /api/v2/leads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n")
    assert b" 400 " in out.split(b"\r\n")[0]
    out = _raw(sb, b"POST /api/v2/leads HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
    assert b" 400 " in out.split(b"\r\n")[0]


def test_keep_alive_serves_many_requests_on_one_socket(sb: Sandbox) -> None:
    token = sb.issue_tokens()["access_token"]
    req = f"GET /api/v2/account HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    host, port = sb.base_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=3) as s:
        f = s.makefile("rb")
        for _ in range(3):
            s.sendall(req)
            status = f.readline()
            assert b" 200 " in status
            length = 0
            while (line := f.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert len(f.read(length)) == length
