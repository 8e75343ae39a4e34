"""Fixtures of the resilience tests: sandboxes that are stopped for sure, and the secret guard.

The autouse ``guard`` captures every ``amocrm`` log record at DEBUG for the whole test, collects
the exception messages and worker outputs the test hands it, and at teardown fails the test if any
of them -- or any log file, worker output or cassette under the test's ``tmp_path`` -- contains a
secret of a sandbox the test used (client secret, API key, codes, every access and refresh token
issued, session ids).
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_redis import redis_server  # noqa: F401  # pyright: ignore[reportUnusedImport]  (a fixture)

from amocrm.sandbox import Sandbox

from ._harness import leaks, sandbox_secrets, text_files


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.lines.append(text)


class Guard:
    """What a test exposes to the secret scan; also keeps the sandboxes whose secrets are scanned for."""

    def __init__(self, capture: _Capture) -> None:
        self.capture = capture
        self.texts: list[tuple[str, str]] = []
        self.sandboxes: list[Sandbox] = []
        self.extra_secrets: set[str] = set()

    def note(self, where: str, text: Any) -> None:
        self.texts.append((where, text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)))

    def exc(self, exc: BaseException) -> None:
        """Record an exception's message and repr (and its attributes that hold server text)."""
        name = type(exc).__name__
        self.note(f"{name} message", str(exc))
        self.note(f"{name} repr", repr(exc))
        for attr in ("body", "url", "headers"):
            if hasattr(exc, attr):
                self.note(f"{name}.{attr}", str(getattr(exc, attr)))

    def secrets(self) -> set[str]:
        found = set(self.extra_secrets)
        for sb in self.sandboxes:
            found |= sandbox_secrets(sb)
        return found

    def scan(self, tmp_path: Path | None) -> list[str]:
        texts = [(f"log line {i}", line) for i, line in enumerate(self.capture.lines)] + self.texts
        if tmp_path is not None and tmp_path.exists():
            texts += text_files(tmp_path)
        return leaks(texts, self.secrets())


@pytest.fixture(autouse=True)
def guard(request: pytest.FixtureRequest) -> Iterator[Guard]:
    logger = logging.getLogger("amocrm")
    capture = _Capture()
    old_level = logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    g = Guard(capture)
    try:
        yield g
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old_level)
    tmp_path = request.node.funcargs.get("tmp_path")
    found = g.scan(tmp_path if isinstance(tmp_path, Path) else None)
    assert not found, "secrets leaked:\n" + "\n".join(found[:20])


@pytest.fixture
def make_sandbox(guard: Guard) -> Iterator[Callable[..., Sandbox]]:
    """``make_sandbox(**options)``: a started in-process sandbox, stopped after the test."""
    started: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        sb = Sandbox(**options).start()
        started.append(sb)
        guard.sandboxes.append(sb)
        return sb

    try:
        yield make
    finally:
        for sb in started:
            sb.stop()
