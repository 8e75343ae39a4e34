"""``SandboxProcess``: ``python -m amocrm.sandbox`` in a subprocess, driven through the admin API."""

from __future__ import annotations

import http.client
import json
import os
import select
import signal
import ssl
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from .app import SandboxBase
from .cli import options_to_argv
from .options import FaultSettings, SandboxOptions

__all__ = ["SandboxProcess"]


class SandboxProcess(SandboxBase):
    """Out-of-process emulator with the same surface as :class:`~amocrm.sandbox.Sandbox`."""

    def __init__(self, start_timeout: float = 20.0, **options: Any) -> None:
        self.options: SandboxOptions = SandboxOptions.from_kwargs(**options)
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SandboxProcess:
        self.start()
        return self

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> SandboxProcess:
        if self._proc is not None:
            return self
        argv = [sys.executable, "-m", "amocrm.sandbox", *options_to_argv(self.options)]
        env = dict(os.environ)
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self._proc = proc
        assert proc.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready = select.select([proc.stdout], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                self.stop()
                raise RuntimeError(f"sandbox subprocess printed no JSON line within {self.start_timeout}s")
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                err = proc.stderr.read().decode("utf-8", "replace")[-2000:] if proc.stderr else ""
                self.stop()
                raise RuntimeError(f"sandbox subprocess exited before start: {err}")
            line += chunk
        try:
            self._info = json.loads(line.decode("utf-8"))
        except ValueError as exc:
            self.stop()
            raise RuntimeError(f"sandbox subprocess printed a non-JSON first line ({exc})") from None
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        self._info = None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    # -- admin API ------------------------------------------------------------------------------
    def _admin(self, method: str, route: str, body: Any = None) -> Any:
        info = self._need_info()
        parts = urlsplit(info["base_url"])
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            ctx = ssl.create_default_context(cafile=info["ca_file"])
            conn = http.client.HTTPSConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10, context=ctx)
        else:
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"X-Sandbox-Admin": info["admin_token"]}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, f"/_sandbox/{route}", body=payload, headers=headers)
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"null")
            if resp.status != 200:
                raise RuntimeError(f"sandbox admin {method} {route} failed ({resp.status}): {data}")
            return data
        finally:
            conn.close()

    def mint_code(self) -> str:
        return str(self._admin("POST", "code", {})["code"])

    def issue_tokens(self, lifetime: float | None = None) -> dict[str, Any]:
        return dict(self._admin("POST", "tokens", {"lifetime": lifetime}))

    def issue_long_lived_token(self, lifetime: float = 365 * 86400.0) -> str:
        """A long-lived token (a private integration's JWT, no refresh token): API v4 takes it as Bearer."""
        return str(self._admin("POST", "long_lived_token", {"lifetime": lifetime})["access_token"])

    def set_faults(self, **faults: Any) -> None:
        FaultSettings.from_mapping(faults)  # validate locally for a clear error
        self._admin("POST", "faults", faults)

    def clear_faults(self) -> None:
        self._admin("DELETE", "faults")

    def request_log(self) -> list[dict[str, Any]]:
        return list(self._admin("GET", "log"))

    def counters(self) -> dict[str, Any]:
        return dict(self._admin("GET", "counters"))

    def reset(self) -> None:
        self._admin("POST", "reset", {})

    def entities(self, kind: str) -> list[dict[str, Any]]:
        return list(self._admin("GET", f"entities/{kind}"))

    def deliveries(self) -> list[dict[str, Any]]:
        """Webhook POST attempts: ``time, url, event, status, ok, error, body_size, duration_ms``."""
        return list(self._admin("GET", "deliveries"))
