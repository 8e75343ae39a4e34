"""Fixtures of the safety tests: a started sandbox (stopped for sure) and a private temp root.

``private_tmp`` points :func:`tempfile.gettempdir` (and so the SDK's default private folders,
``<tmp>/amocrm-<uid>/...``) at a fresh folder of the test, so no test touches the real temp folder.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_redis import redis_server  # noqa: F401  # pyright: ignore[reportUnusedImport]  (a fixture)

from amocrm.sandbox import Sandbox


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "tmp"
    root.mkdir(mode=0o1777)
    os.chmod(root, 0o1777)  # like /tmp: world-writable and sticky
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    monkeypatch.setenv("TMPDIR", str(root))
    return root


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def make(**options: Any) -> Sandbox:
        sb = Sandbox(**options).start()
        started.append(sb)
        return sb

    try:
        yield make
    finally:
        for sb in started:
            sb.stop()
