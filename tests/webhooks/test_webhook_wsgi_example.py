"""examples/webhook_wsgi.py served by wsgiref on 127.0.0.1, hit with real urllib3 POSTs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import urllib3

from amocrm.webhooks import WebhookEvent, WebhookPayload

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "webhook_wsgi.py"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("webhook_wsgi_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


Serve = Callable[[Callable[[WebhookEvent, WebhookPayload], None] | None], str]


@pytest.fixture
def serve() -> Iterator[Serve]:
    servers: list[Any] = []
    threads: list[threading.Thread] = []

    def start(on_event: Callable[[WebhookEvent, WebhookPayload], None] | None) -> str:
        server = make_server("127.0.0.1", 0, load_example().make_app(on_event), handler_class=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append(server)
        threads.append(thread)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    for thread in threads:
        thread.join(timeout=5)


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=5))
    yield pool
    pool.clear()


def test_good_delivery_gets_200_and_reaches_the_handler(
    serve: Serve, http: urllib3.PoolManager, php_query: Callable[..., str]
) -> None:
    seen: list[tuple[str, str, int, str]] = []
    url = serve(lambda e, p: seen.append((e.entity, e.action, e.id, p.account.subdomain)))
    body = php_query(
        {
            "leads": {"status": [{"id": "10", "status_id": "142", "old_status_id": "1"}]},
            "contacts": {"add": [{"id": "20", "type": "company", "name": "ACME"}]},
            "account": {"subdomain": "acc"},
        }
    )
    response = http.request("POST", url, body=body.encode(), headers=FORM)
    assert (response.status, response.data) == (200, b"ok 2\n")
    assert seen == [("lead", "status", 10, "acc"), ("company", "add", 20, "acc")]


def test_malformed_delivery_gets_400_with_the_reason(serve: Serve, http: urllib3.PoolManager) -> None:
    seen: list[WebhookEvent] = []
    url = serve(lambda e, p: seen.append(e))
    response = http.request("POST", url, body=b"leads[add][0=1&account[subdomain]=a", headers=FORM)
    assert response.status == 400
    assert b"unbalanced brackets in key 'leads[add][0' of pair #1" in response.data
    response = http.request("POST", url, body=b'{"leads":', headers={"Content-Type": "application/json"})
    assert response.status == 400 and b"not valid JSON" in response.data
    assert seen == []


def test_other_methods_and_handler_failures(serve: Serve, http: urllib3.PoolManager) -> None:
    def explode(event: WebhookEvent, payload: WebhookPayload) -> None:
        raise RuntimeError("boom")

    url = serve(explode)
    assert http.request("GET", url).status == 405
    body = b"leads[delete][0][id]=1&account[subdomain]=a"
    assert http.request("POST", url, body=body, headers=FORM).status == 500  # amoCRM will retry
    assert http.request("POST", serve(None), body=body, headers=FORM).status == 200


def test_oversize_body_gets_413(http: urllib3.PoolManager) -> None:
    server = make_server(
        "127.0.0.1", 0, load_example().make_app(None, max_bytes=16), handler_class=QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        response = http.request("POST", url, body=b"account[subdomain]=abcdefgh", headers=FORM)
        assert response.status == 413
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_script_prints_its_url_and_serves(http: urllib3.PoolManager) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        response = http.request("POST", url, body=b"leads[add][0][id]=3&account[subdomain]=a", headers=FORM)
        assert (response.status, response.data) == (200, b"ok 1\n")
    finally:
        proc.terminate()
        proc.wait(timeout=5)
    assert proc.stderr is not None
    assert "a: lead add id=3" in proc.stderr.read()
