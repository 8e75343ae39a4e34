"""A recording fake client implementing the runtime contract the generated resources use.

Only ``_request``, ``config`` and ``_lock``; transport, auth and throttling are the real client's
and are tested with it (see test_sandbox_roundtrip.py for the resources through the real client).
"""

from __future__ import annotations

import contextlib
import json as _json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec


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
