"""HTTP as real clients speak it, and bad input that used to crash: each answer is bounded and documented."""

from __future__ import annotations

import json
import socket
import threading
import time

from amocrm.sandbox import Sandbox

from .conftest import Api


def _host_port(sb: Sandbox) -> tuple[str, int]:
    host, port = sb.base_url.split("//")[1].split(":")
    return host, int(port)


def _exchange(sb: Sandbox, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or ``timeout``)."""
    with socket.create_connection(_host_port(sb), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def _status(raw: bytes) -> int:
    return int(raw.split(b"\r\n", 1)[0].split()[1])


def _body(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[1]


def test_chunked_body_is_accepted_and_applied(sb: Sandbox, api: Api) -> None:
    payload = json.dumps({"add": [{"name": "chunked lead"}]}).encode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 7]), payload[i:i + 7]) for i in range(0, len(payload), 7))
    raw = (f"POST /api/v2/leads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api.token}\r\n"
           "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    out = _exchange(sb, raw + body + b"0;ext=1\r\nX-Trailer: y\r\n\r\n")
    assert _status(out) == 200, out
    assert any(rec["name"] == "chunked lead" for rec in sb.entities("leads"))


def test_chunked_body_over_the_limit_is_413() -> None:
    with Sandbox(rate_limit=None, max_body_bytes=100) as sb:
        raw = (b"POST /api/v2/leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + b"80\r\n" + b"x" * 128 + b"\r\n0\r\n\r\n")
        out = _exchange(sb, raw)
        assert _status(out) == 413


def test_unencoded_brackets_in_the_query(sb: Sandbox, api: Api) -> None:
    raw = (f"GET /api/v2/leads?id[]=8000001&filter[date_create][from]=0 HTTP/1.1\r\nHost: x\r\n"
           f"Authorization: Bearer {api.token}\r\nConnection: close\r\n\r\n").encode()
    out = _exchange(sb, raw)
    assert _status(out) == 200
    assert [i["id"] for i in json.loads(_body(out))["_embedded"]["items"]] == [8000001]


def test_unknown_method_is_405_not_501(api: Api) -> None:
    r = api.http.request("BREW", api.base_url + "/api/v2/leads", headers=api.headers())
    assert r.status == 405 and r.json()["response"]["error_code"] == "215"  # the leads "wrong method" code
    r = api.http.request("PROPFIND", api.base_url + "/api/v4/leads", headers=api.headers())
    assert r.status == 405 and r.data == b""


def test_deeply_nested_json_is_102_not_500(sb: Sandbox, api: Api) -> None:
    r = api.post("/api/v2/leads", b"[" * 50000 + b"]" * 50000)
    assert r.status == 400 and r.json()["response"]["error_code"] == "102"
    assert sb.core.internal_errors == []


def test_if_modified_since_year_out_of_range_is_400(sb: Sandbox, api: Api) -> None:
    for value in ("Mon, 01 Aug 99999 07:07:23 GMT", "Mon, 01 Aug 10000 07:07:23 UTC", "9" * 40):
        r = api.get("/api/v2/leads", headers={"If-Modified-Since": value})
        assert r.status == 400, value
        assert "If-Modified-Since" in r.json()["response"]["error"]
    assert sb.core.internal_errors == []


def test_impossible_date_in_ajax_filter_is_222(sb: Sandbox, api: Api) -> None:
    r = api.http.request("POST", api.base_url + "/ajax/contacts/list", body="filter[cf][100106][from]=31.02.2020",
                         headers=api.headers({"X-Requested-With": "XMLHttpRequest",
                                              "Content-Type": "application/x-www-form-urlencoded"}))
    assert r.status == 400 and r.json()["response"]["error_code"] == "222"
    assert sb.core.internal_errors == []


def test_limit_rows_zero_or_negative_is_400(api: Api) -> None:
    for rows in ("0", "-3"):
        r = api.get("/api/v2/leads", {"limit_rows": rows})
        assert r.status == 400, rows
        assert "limit_rows" in r.json()["response"]["error"]
    assert len(api.items("/api/v2/leads", {"limit_rows": "9999"})) == 2  # above 500: clamped


def test_out_of_range_number_is_refused_not_stored(sb: Sandbox, api: Api) -> None:
    r = api.post("/api/v2/leads", {"add": [{"name": "huge", "sale": 1e32}, {"name": "ok", "sale": 10}]})
    assert r.status == 200
    body = r.json()["_embedded"]
    assert [e["index"] for e in body["errors"]["add"]] == [0]
    assert "out of range" in body["errors"]["add"][0]["message"]
    assert [rec["name"] for rec in sb.entities("leads")][-1] == "ok"
    assert not any(rec["name"] == "huge" for rec in sb.entities("leads"))


def test_slow_sender_is_cut_off_at_the_request_deadline() -> None:
    with Sandbox(rate_limit=None, read_timeout=5.0, request_deadline=0.6) as sb:
        t0 = time.perf_counter()
        with socket.create_connection(_host_port(sb), timeout=5) as s:
            s.sendall(b"POST /api/v2/leads HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n")
            closed = False
            for _ in range(40):  # one byte every 0.1 s: never idle for read_timeout
                try:
                    s.sendall(b"x")
                    s.settimeout(0.1)
                    if s.recv(1) == b"":
                        closed = True
                        break
                except TimeoutError:
                    continue
                except OSError:
                    closed = True
                    break
        assert closed and time.perf_counter() - t0 < 2.5
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        assert api.get("/api/v2/account").status == 200


def test_connections_above_the_cap_get_503() -> None:
    with Sandbox(rate_limit=None, max_connections=2, read_timeout=3.0) as sb:
        idle = [socket.create_connection(_host_port(sb), timeout=3) for _ in range(2)]
        try:
            time.sleep(0.2)
            out = _exchange(sb, b"GET /api/v2/account HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3)
            assert _status(out) == 503
        finally:
            for s in idle:
                s.close()
        deadline = time.monotonic() + 3
        api = Api(sb.base_url, sb.issue_tokens()["access_token"])
        while True:  # the two slots free up once the server sees the closes
            try:
                if api.get("/api/v2/account").status == 200:
                    break
            except Exception:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_many_keep_alive_clients_in_parallel(sb: Sandbox, api: Api) -> None:
    errors: list[str] = []

    def worker() -> None:
        client = Api(api.base_url, api.token)
        for _ in range(10):
            r = client.get("/api/v2/account")
            if r.status != 200:
                errors.append(str(r.status))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
