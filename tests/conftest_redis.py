"""pytest plugin: a throwaway ``redis-server`` on a free 127.0.0.1 port (fixture ``redis_server``).

The fixture yields a ``redis://127.0.0.1:<port>/0`` URL; the server runs in a temp dir without
persistence and is stopped at the end of the session. Tests skip (with the reason) when the
``redis-server`` binary or the ``redis`` package is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a private redis-server for this test session."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):  # CI installs it (.ci/run): a missing binary there is a failure
            pytest.fail("redis-server binary not found on CI")
        pytest.skip("redis-server binary not found (apt-get install redis-server)")
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("the 'redis' Python package is not installed")
    folder = tmp_path_factory.mktemp("redis")
    for _ in range(3):  # the free port may be taken between bind and start: try again
        port = _free_port()
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(folder), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None and not _ping(port):
            time.sleep(0.02)
        if proc.poll() is None and _ping(port):
            break
        proc.kill()
        proc.wait(5)
    else:
        pytest.fail("redis-server did not start on 127.0.0.1 after 3 tries")
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
