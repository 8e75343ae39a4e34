"""Class-level settings: validation, and reaching clients made before the change."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from amocrm.errors import ConfigError, LockError
from amocrm.facade import AmoAPI, AmoAPIDebugLogger, AmoAPIException, AmoContact
from amocrm.locking import FileLocker, NoLocker
from amocrm.sandbox import SEED, Sandbox
from amocrm.throttle import FileThrottle, NoThrottle


def test_defaults_are_the_seeds() -> None:
    assert (AmoAPI.updated_at_delta, AmoAPI.lock_entity_attempts, AmoAPI.lock_entity_timeout) == (5, 10, 1)
    assert (AmoAPI.re_auth_attempts, AmoAPI.re_auth_timeout, AmoAPI.limit_rows) == (3, 5, 500)
    assert (AmoAPI.amo_connect_timeout, AmoAPI.amo_timeout, AmoAPI.amo_domain) == (30, 30, "amocrm.ru")
    assert AmoAPI.amo_user_agent == "amoCRM-API-client/2.0" and AmoAPI.verify_ssl_certificate is True


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("throttle", 0, "throttle must be"),
        ("throttle", -1, "throttle must be"),
        ("limit_rows", 501, "limit_rows"),
        ("limit_rows", 0, "limit_rows"),
        ("lock_entity_attempts", -1, "lock_entity_attempts"),
        ("amo_timeout", 0, "amo_timeout"),
        ("updated_at_delta", "5", "updated_at_delta"),
        ("amo_domain", "not a domain", "top_domain"),
        ("debug_logger", 42, "debug_logger must be"),
    ],
)
def test_bad_settings_are_refused(settings: Path, name: str, value: object, match: str) -> None:
    before = getattr(AmoAPI, name)
    with pytest.raises(ConfigError, match=match) as info:
        setattr(AmoAPI, name, value)
    assert isinstance(info.value, AmoAPIException)
    assert getattr(AmoAPI, name) == before


def test_no_instances() -> None:
    with pytest.raises(TypeError):
        AmoAPI()


def test_throttle_reaches_existing_clients(api: Sandbox) -> None:
    client = AmoAPI.client()
    assert isinstance(client.throttle, NoThrottle)
    AmoAPI.throttle = 20
    assert isinstance(client.throttle, FileThrottle) and client.throttle.rate == 20  # shared by the processes
    started = time.monotonic()
    for _ in range(5):
        AmoAPI.get_account()
    assert time.monotonic() - started >= 4 / 20 - 0.01
    AmoAPI.throttle = None
    assert isinstance(client.throttle, NoThrottle)


def test_debug_to_stdout_without_secrets(api: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    AmoAPI.debug = True
    AmoAPI.get_contacts({"id": SEED.CONTACT_IVAN})
    AmoAPI.debug = False
    AmoAPI.get_leads()
    out = capsys.readouterr().out
    assert "GET: " in out and "/api/v2/contacts?id=" in out and "RESPONSE" in out and out.startswith("*** ")
    assert "GET: " + api.base_url + "/api/v2/leads" not in out
    token = AmoAPI.token_storage.load(AmoAPI.get_amo_domain(api.subdomain))["access_token"]
    assert token not in out and api.client_secret not in out


def test_debug_logger_file_and_callback(api: Sandbox, settings: Path) -> None:
    log_file = settings / "logs" / "debug.log"
    AmoAPI.debug_logger = AmoAPIDebugLogger(str(log_file))
    AmoAPI.get_account()
    text = log_file.read_text()
    assert "/api/v2/account" in text and text.startswith("*** ")

    class Collector:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def debug(self, message: str) -> None:
            self.lines.append(message)

    collector = Collector()
    AmoAPI.debug_logger = collector
    AmoAPI.get_pipelines()
    assert any("/api/v2/pipelines" in line for line in collector.lines)
    assert "/api/v2/pipelines" not in log_file.read_text()
    AmoAPI.debug_logger = None
    AmoAPI.get_pipelines()
    assert len([x for x in collector.lines if "GET:" in x]) == 1


def test_delta_and_lock_settings_reach_existing_clients(api: Sandbox) -> None:
    client = AmoAPI.client()
    AmoAPI.updated_at_delta = 9
    AmoAPI.limit_rows = 100
    assert client.config.updated_at_delta == 9 and client.config.page_size == 100
    assert isinstance(client.locker, FileLocker)
    AmoAPI.lock_entity_attempts = 0
    assert isinstance(client.locker, NoLocker)


def test_update_waits_for_the_entity_lock_then_fails(api: Sandbox, settings: Path) -> None:
    AmoAPI.lock_entity_attempts = 2
    AmoAPI.lock_entity_timeout = 0.05
    contact = AmoContact()
    contact.fill_by_id(SEED.CONTACT_MARIA)
    contact.name = "Locked out"
    client = AmoAPI.client()
    holder = FileLocker(settings / "lock", attempts=1, wait=0)
    with holder.lock(f"{client.domain}/contact/{SEED.CONTACT_MARIA}"):
        with pytest.raises(LockError) as info:
            contact.save()
        assert isinstance(info.value, AmoAPIException)
    assert contact.save() == SEED.CONTACT_MARIA
    assert not list((settings / "lock").iterdir())  # released and removed
