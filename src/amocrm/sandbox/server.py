"""HTTP/1.1 keep-alive server (stdlib ThreadingHTTPServer) in front of :class:`SandboxCore`."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .core import SandboxCore
from .faults import FaultPlan
from .wire import Request, Response, html_page, legacy_error, parse_php_query

__all__ = ["SandboxHTTPServer"]

_MASKED_HEADERS = ("authorization", "cookie", "x-sandbox-admin", "x-refresh-token")


class SandboxHTTPServer(ThreadingHTTPServer):
    """One listening socket; each connection gets a thread, TLS is negotiated in that thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], core: SandboxCore, ssl_context: ssl.SSLContext | None,
                 info: dict[str, Any]) -> None:
        self.core = core
        self.ssl_context = ssl_context
        self.info = info
        self.connections: set[socket.socket] = set()
        self.conn_lock: threading.Lock = threading.Lock()
        self.socket_errors: int = 0
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Count broken connections (TLS failures, resets) instead of printing tracebacks."""
        self.socket_errors += 1

    def close_all(self) -> None:
        with self.conn_lock:
            conns = list(self.connections)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: SandboxHTTPServer  # pyright: ignore[reportIncompatibleVariableOverride] - always our server

    def setup(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(self.server.core.options.read_timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.server.ssl_context is not None:
            sock = self.server.ssl_context.wrap_socket(sock, server_side=True)
            self.request = sock
        with self.server.conn_lock:
            self.server.connections.add(sock)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.conn_lock:
                self.server.connections.discard(self.request)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- pipeline -----------------------------------------------------------------------------------
    def _drop(self) -> None:
        """Close the connection without any answer."""
        self.close_connection = True
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _read_body(self) -> bytes | Response | None:
        """The request body, a 411/413/400 answer, or None when the peer went away."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return html_page(411, "411 Length Required")
        raw = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return legacy_error(400, 400, f"bad Content-Length header {raw!r}")
        if length > self.server.core.options.max_body_bytes:
            self.close_connection = True
            return legacy_error(413, 413, f"Request body of {length} bytes exceeds the limit of "
                                          f"{self.server.core.options.max_body_bytes} bytes")
        try:
            body = self.rfile.read(length) if length else b""
        except (TimeoutError, OSError):
            return None
        return body if len(body) == length else None

    def _serve(self) -> None:
        t0 = time.perf_counter()
        core = self.server.core
        path, _, raw_query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        method = self.command
        if path.startswith("/_sandbox/"):
            body = self._read_body()
            if body is None:
                self.close_connection = True
                return
            if isinstance(body, Response):
                self._write(body)
                return
            req = Request(method, path, raw_query, parse_php_query(raw_query), headers, body)
            with core.lock:
                self._write(core.admin(req, self.server.info))
            return
        with core.lock:
            plan = core.faults.plan(method, path)
        if plan.kind == "drop_before":
            self._log(t0, method, path, raw_query, headers, 0, 0, "none", "drop_before")
            self._drop()
            return
        body = self._read_body()
        if body is None:
            self.close_connection = True
            return
        if plan.delay_s:
            time.sleep(plan.delay_s)
        req = Request(method, path, raw_query, parse_php_query(raw_query), headers,
                      body if isinstance(body, bytes) else b"")
        fault: str | None = None
        if isinstance(body, Response):
            resp = body
        else:
            with core.lock:
                resp, fault = core.handle(req, plan)
        if plan.kind == "drop_after" and fault is None and resp.status < 500:
            self._log(t0, method, path, raw_query, headers, len(req.body), 0, req.auth_kind, "drop_after")
            self._drop()
            return
        if plan.kind in ("truncate", "non_json", "html") and fault is None:
            fault = plan.kind
            resp = _mangle(resp, plan)
        # logged before answering so a client that got the answer always finds its entry
        self._log(t0, method, path, raw_query, headers, len(req.body), resp.status, req.auth_kind, fault)
        self._write(resp, head_only=method == "HEAD")

    def _write(self, resp: Response, head_only: bool = False) -> None:
        self.send_response(resp.status)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        if resp.status != 204:
            self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if resp.body and not head_only and resp.status != 204:
            self.wfile.write(resp.body)

    def _log(self, t0: float, method: str, path: str, query: str, headers: dict[str, str], body_size: int,
             status: int, auth: str, fault: str | None) -> None:
        entry = {"time": time.time(), "method": method, "path": path, "query": query, "status": status,
                 "duration_ms": round((time.perf_counter() - t0) * 1000.0, 3), "auth": auth,
                 "headers": {k: ("***" if k in _MASKED_HEADERS else v) for k, v in headers.items()},
                 "body_size": body_size, "fault": fault}
        with self.server.core.lock:
            self.server.core.record(entry)


def _mangle(resp: Response, plan: FaultPlan) -> Response:
    if plan.kind == "truncate":
        body = resp.body if len(resp.body) > 2 else b'{"_embedded":{"items":[{"id":1}]}}'
        return Response(resp.status if resp.status != 204 else 200, body[: max(1, len(body) // 2)],
                        resp.content_type or "application/hal+json", list(resp.headers))
    if plan.kind == "non_json":
        return Response(200, b"OK: request accepted, see you later", "text/plain; charset=utf-8")
    return html_page(200, "amoCRM", "<p>Ведутся технические работы. Пожалуйста, попробуйте позже.</p>")
