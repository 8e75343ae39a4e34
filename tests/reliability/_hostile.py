"""A loopback HTTP server whose every answer a test scripts, byte by byte if it wants.

The sandbox answers like amoCRM; this server answers like a broken or hostile one: bodies dripped
one byte at a time, endless bodies, gzip bombs, JSON nested 100 000 deep, write answers with too
few or malformed ids. Each connection reads one request (line, headers, body) and hands it to the
test's handler, which writes whatever it likes to the socket.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


@dataclass
class Seen:
    """One request the server read."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Seen, socket.socket], None]


def head(status: int, headers: Mapping[str, str] | None = None, *, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(sock: socket.socket, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
    """A whole JSON answer (``body`` bytes are sent as they are)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    sock.sendall(head(status, {"Content-Type": "application/json", **(headers or {})}, length=len(data)) + data)


@dataclass
class Hostile:
    """``with Hostile(handler) as srv:`` serves ``handler`` on ``srv.base_url`` until the block ends."""

    handler: Handler
    seen: list[Seen] = field(default_factory=list)
    _server: socketserver.ThreadingTCPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Hostile:
        outer = self

        class _Request(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(10)
                seen = _read(sock)
                if seen is None:
                    return
                outer.seen.append(seen)
                try:
                    outer.handler(seen, sock)
                except OSError:  # the client hung up (its deadline fired): expected in these tests
                    pass

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Request)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def _read(sock: socket.socket) -> Seen | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    header, _, rest = data.partition(b"\r\n\r\n")
    lines = header.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Seen(method, path, headers, rest)


def drip(sock: socket.socket, data: bytes, every: float = 0.05) -> None:
    """Send ``data`` one byte at a time, ``every`` seconds apart (until the client hangs up)."""
    for i in range(len(data)):
        sock.sendall(data[i : i + 1])
        time.sleep(every)
