"""Test helpers: a real local token/login server, a urllib3 AuthContext, and subprocess workers.

``TokenServer`` (ThreadingHTTPServer on 127.0.0.1:0) behaves like amoCRM's token endpoint with
rotating single-use refresh tokens: a reused refresh token is refused with the observed
"Invalid refresh token" problem+json. It also serves the legacy API-key login.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import urllib3

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
CLIENT_ID = "client-id-1"
CLIENT_SECRET = "client-secret-SHOULD-NOT-LEAK"
REDIRECT_URI = "https://example.test/cb"
LOGIN = "user@example.test"
API_KEY = "apikey-SHOULD-NOT-LEAK-123"


def problem(hint: str, status: int = 400) -> dict[str, Any]:
    return {
        "hint": hint,
        "title": "Некорректный запрос",
        "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson",
        "status": status,
        "detail": "В запросе отсутствует ряд параметров или параметры невалидны",
    }


class TokenServer:
    """amoCRM's ``/oauth2/access_token`` and ``/private/api/auth.php``, in memory, thread-safe."""

    def __init__(self, *, delay: float = 0.05) -> None:
        self.delay = delay  # widens the race window of concurrent refreshes
        self.lock = threading.Lock()
        self.generation = 0
        self.access = "access-0-SECRET"
        self.refresh = "refresh-0-SECRET"
        self.codes = {"code-1-SECRET"}
        self.refreshes = 0
        self.refused = 0
        self.exchanges = 0
        self.logins = 0
        self.login_status = 200
        self.omit: str | None = None  # a field left out of the next token answers
        #: answers given to the next token requests before they are looked at (nothing is consumed):
        #: ``(status, headers)``; a 5xx gets an nginx-style HTML page, a 429 amoCRM's JSON.
        self.script: list[tuple[int, dict[str, str]]] = []
        self.scripted = 0  # token requests answered from the script
        self.replace: dict[str, Any] = {}  # fields overridden in the next token answers (bad tokens)
        self.expires_in = 86400
        self.bodies: list[bytes] = []
        self.auth_headers: list[str | None] = []
        self.cookie = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body, headers = server.handle(self.path, raw, self.headers.get("Authorization"))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def _issue(self) -> dict[str, Any]:
        self.generation += 1
        self.access = f"access-{self.generation}-SECRET"
        self.refresh = f"refresh-{self.generation}-SECRET"
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "access_token": self.access,
            "refresh_token": self.refresh,
        }
        if self.omit:
            answer.pop(self.omit, None)
        answer.update(self.replace)
        return answer

    def handle(
        self, path: str, raw: bytes, authorization: str | None
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        if path.startswith("/private/api/auth.php"):
            return self._login(raw)
        if path != "/oauth2/access_token":
            return 404, {"error": "not found"}, []
        time.sleep(self.delay)
        with self.lock:
            self.bodies.append(raw)
            self.auth_headers.append(authorization)
            if self.script:
                status, headers = self.script.pop(0)
                self.scripted += 1
                return status, {"status": status, "title": "scripted answer"}, list(headers.items())
            body = json.loads(raw)
            if body.get("client_id") != CLIENT_ID:
                return 400, problem("Check the `client_id` parameter"), []
            if body.get("client_secret") != CLIENT_SECRET:
                return 400, problem("Check the `client_secret` parameter"), []
            if body.get("grant_type") == "refresh_token":
                if body.get("refresh_token") != self.refresh:
                    self.refused += 1
                    return 400, problem("Invalid refresh token"), []
                self.refreshes += 1
                return 200, self._issue(), []
            if body.get("grant_type") == "authorization_code":
                if body.get("code") not in self.codes:
                    return 400, problem("Authorization code has been revoked"), []
                self.codes.discard(body["code"])
                self.exchanges += 1
                return 200, self._issue(), []
            return 400, problem("Unsupported grant type"), []

    def _login(self, raw: bytes) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        time.sleep(self.delay)
        with self.lock:
            body = json.loads(raw)
            self.logins += 1
            if self.login_status != 200 or body.get("USER_HASH") != API_KEY:
                status = self.login_status if self.login_status != 200 else 401
                return status, {"response": {"error": f"Неверный логин или пароль {API_KEY}", "error_code": "110",
                                             "auth": False}}, []
            self.cookie += 1
            cookies = [
                ("Set-Cookie", f"session_id=sess-{self.cookie}-SECRET; path=/; HttpOnly"),
                ("Set-Cookie", "user_lang=ru; expires=Wed, 21 Oct 2099 07:28:00 GMT; path=/"),
            ]
            return 200, {"response": {"auth": True, "accounts": [], "server_time": int(time.time())}}, cookies


class UrllibContext:
    """A minimal real :class:`AuthContext`: urllib3 to the local server, no auth, no retries."""

    def __init__(self, domain: str, base_url: str) -> None:
        self._domain = domain
        self.base_url = base_url
        self.pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=2, read=10))
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    @property
    def domain(self) -> str:
        return self._domain

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> urllib3.BaseHTTPResponse:
        hdrs = dict(headers or {})
        self.sent.append((method, path, hdrs))
        return self.pool.request(method, self.base_url + path, json=json, headers=hdrs or None)


def spawn(args: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start ``_worker.py`` with ``args`` in a fresh interpreter (real process, own GIL)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(HERE)]))
    return subprocess.Popen(
        [sys.executable, str(HERE / "_worker.py"), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def wait_ready(folder: Path, count: int, procs: Sequence[subprocess.Popen[bytes]], timeout: float = 20.0) -> None:
    """Wait until ``count`` workers have written ``ready-*`` files, then create ``go``."""
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("ready-*"))) < count:
        for p in procs:
            if p.poll() is not None and p.returncode != 0:
                raise AssertionError(f"worker died: {p.stderr.read().decode() if p.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError("workers did not get ready in time")
        time.sleep(0.005)
    (folder / "go").touch()


def finish(procs: Sequence[subprocess.Popen[bytes]], timeout: float = 30.0) -> list[str]:
    """Wait for all workers; fail with their stderr if any failed. Returns their stdouts."""
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            raise AssertionError(f"worker timed out: {err.decode()}") from None
        assert p.returncode == 0, err.decode()
        outs.append(out.decode())
    return outs
