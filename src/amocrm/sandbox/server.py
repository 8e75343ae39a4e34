"""HTTP/1.1 keep-alive server (stdlib ThreadingHTTPServer) in front of :class:`SandboxCore`.

Bodies come with ``Content-Length`` or ``Transfer-Encoding: chunked``. Every request line is
served, whatever its method (the router answers 405 for a method a path does not take). Two bounds
keep slow or numerous clients from tying the server up: ``request_deadline`` (a reaper thread cuts
off a connection whose request line, headers and body take longer) and ``max_connections``.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .core import SandboxCore
from .faults import FaultPlan
from .wire import Request, Response, html_page, legacy_error, parse_php_query, problem

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
        self.active: int = 0
        self.refused: int = 0
        self.deadline_cuts: int = 0
        #: connection -> monotonic time by which its current request must have been read
        self.reading: dict[socket.socket, float] = {}
        self._stop_reaper = threading.Event()
        super().__init__(address, _Handler)
        self._reaper: threading.Thread | None = None
        if core.options.request_deadline is not None:
            self._reaper = threading.Thread(target=self._reap, name="amocrm-sandbox-reaper", daemon=True)
            self._reaper.start()

    # -- bounds -------------------------------------------------------------------------------------
    def process_request(self, request: Any, client_address: Any) -> None:
        """Refuse a connection above ``max_connections`` at once; serve it in a thread otherwise."""
        with self.conn_lock:
            full = self.active >= self.core.options.max_connections
            if not full:
                self.active += 1
        if full:
            self.refused += 1
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            with self.conn_lock:
                self.active -= 1
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.conn_lock:
                self.active -= 1
                self.reading.pop(request, None)

    def _refuse(self, sock: socket.socket) -> None:
        """503 page on plain HTTP (a TLS client cannot read it before a handshake: closed only)."""
        try:
            if self.ssl_context is None:
                page = html_page(503, "503 Service Temporarily Unavailable")
                head = (f"HTTP/1.1 503 Service Temporarily Unavailable\r\nServer: nginx\r\n"
                        f"Content-Type: {page.content_type}\r\nContent-Length: {len(page.body)}\r\n"
                        "Connection: close\r\n\r\n").encode("latin-1")
                sock.settimeout(1.0)
                sock.sendall(head + page.body)
        except OSError:
            pass
        finally:
            self.shutdown_request(sock)

    def mark_reading(self, sock: socket.socket) -> None:
        deadline = self.core.options.request_deadline
        if deadline is not None:
            with self.conn_lock:
                self.reading[sock] = time.monotonic() + deadline

    def mark_read(self, sock: socket.socket) -> None:
        with self.conn_lock:
            self.reading.pop(sock, None)

    def _reap(self) -> None:
        deadline = self.core.options.request_deadline or 1.0
        step = min(max(deadline / 5.0, 0.02), 0.5)
        while not self._stop_reaper.wait(step):
            now = time.monotonic()
            with self.conn_lock:
                late = [s for s, until in self.reading.items() if now > until]
                for sock in late:
                    del self.reading[sock]
            for sock in late:
                self.deadline_cuts += 1
                try:  # the plain socket's shutdown: SSLSocket.shutdown would drop the TLS state under the reader
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def server_close(self) -> None:
        self._stop_reaper.set()
        if self._reaper is not None:
            self._reaper.join(timeout=2)
        super().server_close()

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
            sock = self.server.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
            self.request = sock
            self.server.mark_reading(sock)  # the handshake counts against the request deadline too
            try:
                sock.do_handshake()
            finally:
                self.server.mark_read(sock)
        with self.server.conn_lock:
            self.server.connections.add(sock)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.conn_lock:
                self.server.connections.discard(self.request)
                self.server.reading.pop(self.request, None)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def handle_one_request(self) -> None:
        self.server.mark_reading(self.request)
        super().handle_one_request()

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        """Any other method token (``BREW``, ``PROPFIND``) is served too: the router answers it."""
        if name.startswith("do_") and name[3:].isalpha():
            return self._serve
        raise AttributeError(name)

    # -- pipeline -----------------------------------------------------------------------------------
    def _drop(self) -> None:
        """Close the connection without any answer."""
        self.close_connection = True
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _early_error(self, status: int, detail: str) -> Response:
        """An answer given before routing, in the error shape of the API the path belongs to."""
        self.close_connection = True
        if self.path.startswith(("/api/v4/", "/v1.0/")):
            return problem(status, detail)
        return legacy_error(status, status, detail)

    def _read_body(self) -> bytes | Response | None:
        """The request body, a 413/400 answer, or None when the peer went away."""
        limit = self.server.core.options.max_body_bytes
        coding = self.headers.get("Transfer-Encoding", "").strip().lower()
        if coding:
            if coding.replace(" ", "").split(",")[-1] != "chunked":
                return self._early_error(400, f"unsupported Transfer-Encoding {coding!r}")
            return self._read_chunked(limit)
        raw = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(raw)
            if length < 0:
                raise ValueError
        except ValueError:
            return self._early_error(400, f"bad Content-Length header {raw!r}")
        if length > limit:
            return self._early_error(413, f"Request body of {length} bytes exceeds the limit of {limit} bytes")
        try:
            body = self.rfile.read(length) if length else b""
        except (TimeoutError, OSError):
            return None
        return body if len(body) == length else None

    def _read_chunked(self, limit: int) -> bytes | Response | None:
        """Decode a ``Transfer-Encoding: chunked`` body (extensions and trailers are skipped)."""
        parts: list[bytes] = []
        total = 0
        try:
            while True:
                line = self.rfile.readline(1026)
                if not line.endswith(b"\n"):
                    return None if not line or len(line) < 1026 else self._early_error(400, "chunk size line too long")
                size_text = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                    if size < 0 or not size_text.isalnum():
                        raise ValueError
                except ValueError:
                    return self._early_error(400, f"bad chunk size {size_text[:20]!r}")
                if size == 0:
                    for _ in range(100):  # trailer fields, then the empty line
                        trailer = self.rfile.readline(8194)
                        if not trailer:
                            return None
                        if trailer in (b"\r\n", b"\n"):
                            return b"".join(parts)
                    return self._early_error(400, "too many trailer fields")
                total += size
                if total > limit:
                    return self._early_error(413, f"Request body exceeds the limit of {limit} bytes")
                data = self.rfile.read(size)
                if len(data) < size:
                    return None
                parts.append(data)
                if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                    return self._early_error(400, "chunk data not followed by CRLF")
        except (TimeoutError, OSError):
            return None

    def _serve(self) -> None:
        t0 = time.perf_counter()
        core = self.server.core
        path, _, raw_query = self.path.partition("?")
        headers = {k.lower(): v for k, v in self.headers.items()}
        method = self.command
        if path.startswith("/_sandbox/"):
            body = self._read_body()
            self.server.mark_read(self.request)
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
            self.server.mark_read(self.request)
            self._log(t0, method, path, raw_query, headers, 0, 0, "none", "drop_before")
            self._drop()
            return
        body = self._read_body()
        self.server.mark_read(self.request)
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
