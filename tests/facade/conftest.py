"""Fixtures: one sandbox per module (reset per test) and a facade authorised against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from amocrm.facade import AmoAPI, FileStorage
from amocrm.sandbox import Sandbox

_DEFAULTS = {name: getattr(AmoAPI, name) for name in (
    "throttle", "debug", "debug_logger", "token_storage", "amo_domain", "updated_at_delta", "lock_entity_dir",
    "lock_entity_attempts", "lock_entity_timeout", "re_auth_attempts", "re_auth_timeout", "limit_rows",
)}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sb:
        yield sb


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Path]:
    """A clean facade: no accounts, tokens and locks under tmp_path, no throttle; defaults restored after."""
    AmoAPI.reset()
    AmoAPI.token_storage = FileStorage(tmp_path / "tokens")
    AmoAPI.lock_entity_dir = str(tmp_path / "lock")
    AmoAPI.throttle = None
    AmoAPI.re_auth_timeout = 0
    yield tmp_path
    AmoAPI.reset()
    for name, value in _DEFAULTS.items():
        setattr(AmoAPI, name, value)


@pytest.fixture
def sb(sandbox: Sandbox, settings: Path) -> Sandbox:
    sandbox.reset()
    return sandbox


@pytest.fixture
def api(sb: Sandbox) -> Sandbox:
    """The sandbox, with AmoAPI authorised on it by OAuth2 (a fresh code)."""
    AmoAPI.oauth2(sb.subdomain, sb.client_id, sb.client_secret, sb.redirect_uri, sb.mint_code(), base_url=sb.base_url)
    return sb


def posts(sb: Sandbox, path: str) -> list[dict[str, object]]:
    """POSTs to ``path`` in the sandbox's request log."""
    return [r for r in sb.request_log() if r["method"] == "POST" and str(r["path"]).rstrip("/") == path]
