"""A recording fake client implementing the runtime contract the generated resources use.

Only ``_request``, ``config``, ``retry``, ``_lock`` and ``_check_version``; transport, auth and
throttling are the real client's and are tested with it (see test_sandbox_roundtrip.py for the
resources through the real client). Answers are real :class:`amocrm._core.wire.Response` objects.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from amocrm._core.wire import Response
from amocrm.retry import RetryPolicy


@dataclass
class FakeResponse:
    status: int = 200
    data: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class FakeConfig:
    updated_at_delta: int = 5
    batch_size: int = 250
    page_size: int = 500
    prefetch: int = 0
    save_workers: int = 1
    lock_updates: bool = True


class FakeClient:
    """Answers queued responses (or a callable) and records every call."""

    def __init__(self, *responses: Any) -> None:
        self.config = FakeConfig()
        self.retry = RetryPolicy()
        self.queue: list[Any] = list(responses)
        self.calls: list[dict[str, Any]] = []
        self.locks: list[tuple[str, int]] = []
        self.handler: Any = None

    def _check_version(self, profile: Any) -> None:
        return None

    def _request(self, method: str, path: str, **kwargs: Any) -> Response:
        call = {"method": method, "path": path, **kwargs}
        if call.get("params") is not None:
            call["params"] = dict(call["params"])
        if call.get("json") is not None:
            call["json"] = msgspec.to_builtins(call["json"])  # what goes on the wire
        self.calls.append(call)
        if self.handler is not None:
            item = self.handler(call)
        else:
            if not self.queue:
                raise AssertionError(f"unexpected request {method} {path}")
            item = self.queue.pop(0)
        if isinstance(item, FakeResponse):
            return Response(item.status, item.headers, item.data, 0.0, method, "https://fake.test" + path)
        if item is None:
            return Response(204, {}, b"", 0.0, method, "https://fake.test" + path)
        return Response(200, {}, msgspec.json.encode(item), 0.0, method, "https://fake.test" + path)

    @contextlib.contextmanager
    def _lock(self, kind: str, id: int) -> Iterator[bool]:
        self.locks.append((kind, id))
        yield False
