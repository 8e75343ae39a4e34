"""Fixtures for the codegen/resource tests: a recording fake client implementing the runtime contract.

The fake implements exactly what the generated resources use (``_request``, ``config``, ``_lock``);
transport, auth and throttling are the lead's client and are tested elsewhere.
"""

from __future__ import annotations

import contextlib
import json as _json
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import pytest

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO, REPO / "src"):  # `codegen` lives at the repo root, `amocrm` under src/
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


@dataclass
class FakeResponse:
    status: int = 200
    data: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def no_content(self) -> bool:
        return self.status == 204 or not self.data

    def json(self) -> Any:
        return _json.loads(self.data)

    def decode(self, type_: Any) -> Any:
        return msgspec.json.decode(self.data, type=type_)


@dataclass
class FakeConfig:
    updated_at_delta: int = 5
    batch_size: int = 250
    page_size: int = 500


class FakeClient:
    """Answers queued responses (or a callable) and records every call."""

    def __init__(self, *responses: Any) -> None:
        self.config = FakeConfig()
        self.queue: list[Any] = list(responses)
        self.calls: list[dict[str, Any]] = []
        self.locks: list[tuple[str, int]] = []
        self.handler: Any = None

    def _request(self, method: str, path: str, **kwargs: Any) -> FakeResponse:
        call = {"method": method, "path": path, **kwargs}
        # snapshot params: the resource reuses its query dict between pages
        if call.get("params") is not None:
            call["params"] = dict(call["params"])
        self.calls.append(call)
        if self.handler is not None:
            return self.handler(call)
        if not self.queue:
            raise AssertionError(f"unexpected request {method} {path}")
        item = self.queue.pop(0)
        if isinstance(item, FakeResponse):
            return item
        if item is None:
            return FakeResponse(status=204)
        return FakeResponse(data=msgspec.json.encode(item))

    @contextlib.contextmanager
    def _lock(self, kind: str, id: int) -> Iterator[None]:
        self.locks.append((kind, id))
        yield


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A private copy of spec/ to edit."""
    dst = tmp_path / "spec"
    shutil.copytree(REPO / "spec", dst)
    return dst
