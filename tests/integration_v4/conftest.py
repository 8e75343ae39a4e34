"""Integration tests of the generated API v4 operations against the sandbox's v4 face.

One sandbox per module (``sandbox``; a module changes its options by overriding
``sandbox_options``), reset to the seeded state before each test; ``v4`` is ``client.v4`` of a
client connected to it with OAuth (``amocrm.testing.client_for``). Every generated v4 operation a
test calls is recorded (``CALLED``); ``test_zz_every_operation`` checks that all of them were.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from amocrm import AmoClient
from amocrm._sync.resource import SyncResource
from amocrm.client import ClientConfig
from amocrm.sandbox import Sandbox
from amocrm.testing import client_for
from amocrm.v4.client import V4

#: "resource.method" of every generated v4 operation the tests called.
CALLED: set[str] = set()
#: Test modules of this folder that ran at least one test.
MODULES: set[str] = set()


def _recording(name: str) -> Any:
    original = getattr(SyncResource, name)

    def wrapper(self: SyncResource, op: Any, *args: Any, **kwargs: Any) -> Any:
        if op.version == "v4":
            CALLED.add(op.name)
        return original(self, op, *args, **kwargs)

    return wrapper


@pytest.fixture(scope="session", autouse=True)
def _record_operations() -> Iterator[None]:
    saved = {name: getattr(SyncResource, name) for name in ("_call", "_list", "_save")}
    for name in saved:
        setattr(SyncResource, name, _recording(name))
    yield
    for name, fn in saved.items():
        setattr(SyncResource, name, fn)


@pytest.fixture(autouse=True)
def _module_ran(request: pytest.FixtureRequest) -> None:
    MODULES.add(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="module")
def sandbox(sandbox_options: dict[str, Any]) -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None, read_timeout=5.0, **sandbox_options) as sb:
        yield sb


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[AmoClient]:
    c = client_for(sandbox, config=ClientConfig(prefetch=0))
    yield c
    c.close()


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    sandbox.reset()
    return sandbox


@pytest.fixture
def v4(sb: Sandbox, client: AmoClient) -> V4:
    return client.v4


def sent(sb: Sandbox) -> int:
    """How many requests the sandbox has answered since its last reset."""
    return len(sb.request_log())


def last(sb: Sandbox, n: int = 1) -> list[dict[str, Any]]:
    """The last n entries of the sandbox's request log."""
    return sb.request_log()[-n:]


def by_name(sb: Sandbox, kind: str, name: str) -> list[dict[str, Any]]:
    return [e for e in sb.entities(kind) if e.get("name") == name]
