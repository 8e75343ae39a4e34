"""The request pipeline of AmoClient against real sockets: status mapping, retries, 401 renewal."""

from __future__ import annotations

import socket
import time

import pytest

from amocrm import (
    AmoClient,
    AuthError,
    BadRequestError,
    ConfigError,
    DecodeError,
    LongLivedToken,
    MemoryTokenStorage,
    NotFoundError,
    OAuth2,
    RetryPolicy,
    ServerError,
    TimeoutError,
    Tokens,
    TransportError,
)
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v2.models import Lead

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.01, backoff_max=0.05, jitter=0.0, total_timeout=10.0)


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port: int = s.getsockname()[1]
    s.close()
    return port


def test_connection_refused_is_transport_error_not_timeout() -> None:
    client = AmoClient("acme", base_url=f"http://127.0.0.1:{_dead_port()}", auth=LongLivedToken("t" * 20),
                       throttle=None, retry=FAST_RETRY)
    with pytest.raises(TransportError) as info:
        client.v2.leads.list()
    assert not isinstance(info.value, TimeoutError)
    assert info.value.sent is False


def test_read_timeout_is_typed_and_bounded(amocrm_sandbox: Sandbox) -> None:
    amocrm_sandbox.set_faults(latency_ms=1500)
    client = client_for(amocrm_sandbox, auth="token", timeout=0.3,
                        retry=RetryPolicy(attempts=2, backoff=0.01, jitter=0.0, total_timeout=1.0))
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.v2.leads.list()
    assert time.monotonic() - started < 2.0


def test_unknown_path_and_html_404(amocrm_client: AmoClient) -> None:
    with pytest.raises(NotFoundError) as info:
        amocrm_client.request("AJAX", "/ajax/nothing/here", {"x": 1})
    assert info.value.status == 404 and info.value.code == 404


def test_notes_without_type_is_a_bad_request_with_the_api_code(amocrm_client: AmoClient) -> None:
    with pytest.raises(BadRequestError) as info:
        amocrm_client.request("GET", "/api/v2/notes")
    assert info.value.api_code == 221
    assert "221" in str(info.value)


def test_server_errors_on_reads_are_retried(amocrm_sandbox: Sandbox) -> None:
    client = client_for(amocrm_sandbox, auth="token", retry=FAST_RETRY)
    amocrm_sandbox.set_faults(error_rate=1.0, error_statuses=(503,), path_prefix="/api/v2/leads")
    with pytest.raises(ServerError):
        client.v2.leads.list()
    served = [r for r in amocrm_sandbox.request_log() if r["path"] == "/api/v2/leads"]
    assert len(served) == 3  # three attempts
    amocrm_sandbox.clear_faults()
    assert client.v2.leads.list()


def test_server_errors_on_writes_are_not_resent(amocrm_sandbox: Sandbox) -> None:
    client = client_for(amocrm_sandbox, auth="token", retry=FAST_RETRY)
    amocrm_sandbox.set_faults(error_rate=1.0, error_statuses=(502,), path_prefix="/api/v2/leads", methods=("POST",))
    with pytest.raises(ServerError):
        client.v2.leads.save(Lead(name="once"))
    posts = [r for r in amocrm_sandbox.request_log() if r["path"] == "/api/v2/leads" and r["method"] == "POST"]
    assert len(posts) == 1


def test_forced_401_renews_the_token_transparently(amocrm_sandbox: Sandbox) -> None:
    storage = MemoryTokenStorage()
    issued = amocrm_sandbox.issue_tokens()
    client = AmoClient(amocrm_sandbox.subdomain, base_url=amocrm_sandbox.base_url, throttle=None,
                       auth=OAuth2(amocrm_sandbox.client_id, amocrm_sandbox.client_secret,
                                   amocrm_sandbox.redirect_uri, storage=storage))
    storage.save(client.domain, Tokens(access_token=issued["access_token"], refresh_token=issued["refresh_token"],
                                       client_id=amocrm_sandbox.client_id))
    before = amocrm_sandbox.counters()["refreshes"]
    amocrm_sandbox.set_faults(force_401=1)
    assert client.v2.leads.get(SEED.LEAD_FIRST).id == SEED.LEAD_FIRST
    assert amocrm_sandbox.counters()["refreshes"] == before + 1
    stored = storage.load(client.domain)
    assert stored is not None and stored.refresh_token != issued["refresh_token"]


def test_401_right_after_a_fresh_token_is_not_a_refresh_loop(amocrm_sandbox: Sandbox) -> None:
    client = client_for(amocrm_sandbox)  # code exchange on first use
    assert client.v2.leads.get(SEED.LEAD_FIRST).id == SEED.LEAD_FIRST
    before = amocrm_sandbox.counters()["refreshes"]
    amocrm_sandbox.set_faults(force_401=5)
    with pytest.raises(AuthError):
        client.v2.leads.get(SEED.LEAD_FIRST)
    assert amocrm_sandbox.counters()["refreshes"] == before


def test_long_lived_token_401_is_auth_error(amocrm_sandbox: Sandbox) -> None:
    client = AmoClient(amocrm_sandbox.subdomain, base_url=amocrm_sandbox.base_url,
                       auth=LongLivedToken("not-a-valid-token"), throttle=None)
    with pytest.raises(AuthError):
        client.v2.leads.list()


def test_non_json_body_is_decode_error(amocrm_sandbox: Sandbox) -> None:
    client = client_for(amocrm_sandbox, auth="token", retry=RetryPolicy(attempts=1))
    amocrm_sandbox.set_faults(non_json_rate=1.0, path_prefix="/api/v2/contacts")
    with pytest.raises(DecodeError):
        client.v2.contacts.list()


@pytest.mark.parametrize("bad", [{"timeout": 0}, {"timeout": -1}, {"base_url": "ftp://x"}, {"throttle": True}])
def test_bad_options_are_config_errors(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        AmoClient("acme", **bad)  # type: ignore[arg-type]


def test_bad_request_method_and_path() -> None:
    client = AmoClient("acme", throttle=None)
    with pytest.raises(ConfigError):
        client.request("TRACE", "/api/v2/leads")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        client.request("GET", "api/v2/leads")


def test_concurrent_first_use_exchanges_the_code_once(amocrm_sandbox: Sandbox) -> None:
    import threading

    client = client_for(amocrm_sandbox)  # nothing stored yet: the first request exchanges the code
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.v2.leads.get(SEED.LEAD_FIRST)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert amocrm_sandbox.counters()["code_exchanges"] == 1
