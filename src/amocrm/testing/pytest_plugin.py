"""pytest plugin (registered by the ``pytest11`` entry point): sandbox and client fixtures.

- ``amocrm_sandbox``: a running sandbox, shared by the session and reset to its seeded state before
  each test. Mark a test ``@pytest.mark.amocrm_sandbox(rate_limit=7, token_lifetime=2, ...)`` to get
  a fresh sandbox of its own with those options (any ``Sandbox`` keyword).
- ``amocrm_client``: an ``AmoClient`` authorised against it by OAuth 2.0 (code exchange).
- ``amocrm_token``: a Bearer access token for raw calls to either API face (``/api/v2``, ``/api/v4``).
- ``amocrm_sandbox_options``: override it in your conftest to change the shared sandbox's options.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from amocrm.client import AmoClient
    from amocrm.sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "amocrm_sandbox(**options): give this test a fresh amoCRM sandbox started with these options"
    )


@pytest.fixture(scope="session")
def amocrm_sandbox_options() -> dict[str, Any]:
    """Options of the session-wide sandbox (rate limit off so tests run at full speed)."""
    return {"rate_limit": None}


@pytest.fixture(scope="session")
def _amocrm_shared_sandbox(amocrm_sandbox_options: dict[str, Any]) -> Iterator[Sandbox]:
    from amocrm.sandbox import Sandbox

    with Sandbox(**amocrm_sandbox_options) as sb:
        yield sb


@pytest.fixture
def amocrm_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox in its seeded state: shared and reset, or fresh when the test is marked."""
    marker = request.node.get_closest_marker("amocrm_sandbox")
    if marker is not None:
        from amocrm.sandbox import Sandbox

        with Sandbox(**marker.kwargs) as sb:
            yield sb
        return
    shared: Sandbox = request.getfixturevalue("_amocrm_shared_sandbox")
    shared.reset()
    yield shared


@pytest.fixture
def amocrm_token(amocrm_sandbox: Sandbox) -> str:
    """An OAuth access token of ``amocrm_sandbox``: ``Authorization: Bearer <token>`` on v2 and v4 alike."""
    token: str = amocrm_sandbox.issue_tokens()["access_token"]
    return token


@pytest.fixture
def amocrm_client(amocrm_sandbox: Sandbox) -> Iterator[AmoClient]:
    """An ``AmoClient`` for ``amocrm_sandbox``, authorised through the OAuth 2.0 code exchange."""
    from amocrm.testing import client_for

    client = client_for(amocrm_sandbox)
    try:
        yield client
    finally:
        client.close()
