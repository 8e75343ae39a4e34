"""Fixtures of the concurrency tests: the redis-server plugin and the local token server."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: conftest_redis
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/concurrency: _support

from _support import TokenServer  # noqa: E402
from conftest_redis import redis_server  # noqa: E402,F401

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    server = TokenServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
