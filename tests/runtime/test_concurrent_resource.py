"""Prefetching iteration and concurrent chunked saves of the resources, against a live sandbox.

Real sockets and threads; the only stand-in is ``FailingClient``, a real ``AmoClient`` that fails
one chosen page, because the sandbox cannot fail a request by its query deterministically.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from types import GeneratorType
from typing import Any

import pytest

from amocrm import AmoClient, EntityErrors, ServerError
from amocrm.sandbox import Sandbox
from amocrm.testing import client_for
from amocrm.v2.models import CustomField, CustomFieldValue, Lead

TOTAL = 23  # leads in the box: 21 made here + the 2 seeded ones


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sb:
        client = client_for(sb, auth="token")
        client.v2.leads.save([Lead(name=f"lead-{i:02d}") for i in range(TOTAL - 2)], batch_size=500)
        client.close()
        yield sb


@pytest.fixture
def sb(box: Sandbox) -> Iterator[Sandbox]:
    box.clear_faults()
    yield box
    box.clear_faults()


def _prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("amocrm-prefetch-", "amocrm-save-"))]


def _sorted_names(sb: Sandbox) -> list[str]:
    return [e["name"] for e in sorted(sb.entities("leads"), key=lambda e: e["id"])]


# ---------------------------------------------------------------------------------------- prefetch


@pytest.mark.parametrize("prefetch", [0, 1, 3])
def test_prefetch_yields_every_item_once_in_server_order(sb: Sandbox, prefetch: int) -> None:
    client = client_for(sb, auth="token")
    client.config.prefetch = prefetch
    before = sb.counters()["requests"]
    names = [lead.name for lead in client.v2.leads.list(page_size=5)]
    assert names == _sorted_names(sb) and len(names) == TOTAL
    sent = sb.counters()["requests"] - before
    # 5 pages (the last one short); prefetching may add up to `prefetch` requests past the end
    assert 5 <= sent <= 5 + prefetch
    stats = client.v2.leads.stats
    assert stats.pages == (5 if prefetch else 0)
    assert sent == 5 + stats.discarded  # cancelled ones never went out
    assert _prefetch_threads() == []
    client.close()


def test_pages_with_prefetch_keep_page_boundaries(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.prefetch = 2
    sizes = [len(page.items) for page in client.v2.leads.list(page_size=10).pages()]
    assert sizes == [10, 10, 3]
    client.close()


def test_a_short_first_page_costs_one_request(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.prefetch = 4
    before = sb.counters()["requests"]
    assert len(list(client.v2.leads.list(page_size=100))) == TOTAL
    assert sb.counters()["requests"] - before == 1
    client.close()


def test_early_close_sends_nothing_more_and_leaves_no_thread(sb: Sandbox) -> None:
    sb.set_faults(latency_ms=80)
    client = client_for(sb, auth="token", throttle=8.0)  # 125 ms between starts: requests queue
    client.config.prefetch = 3
    it = iter(client.v2.leads.list(page_size=2))
    assert isinstance(it, GeneratorType)
    first = next(it)  # page 1 arrived full: pages 2 and 3 are requested ahead (v2's ramp starts at two)
    assert first.name == _sorted_names(sb)[0]
    it.close()
    closed_at = time.time()
    assert _prefetch_threads() == []  # close() joined the requests on the wire
    time.sleep(0.4)
    log = sb.request_log()
    assert [e for e in log if e["time"] > closed_at + 0.01] == []
    stats = client.v2.leads.stats
    assert stats.cancelled >= 1  # at least one was still waiting for its throttle slot
    assert stats.discarded + stats.cancelled == 2
    client.close()


def test_prefetch_ramps_up_one_page_per_page_back(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    import amocrm._sync.pages as pages_module

    requested: list[int] = []

    class Recorded(pages_module.Task):  # type: ignore[type-arg]
        def __init__(self, call: Any, name: str) -> None:
            requested.append(int(name.rsplit("-", 1)[1]))
            super().__init__(call, name)

    monkeypatch.setattr(pages_module, "Task", Recorded)
    client = client_for(sb, auth="token")
    client.config.prefetch = 3
    ahead = []
    for page in client.leads.list(page_size=2).pages():
        ahead.append(max(requested) - page.index)
        if page.index == 4:
            break
    # pages requested ahead of the one the caller holds: 1, then 2, then the full depth
    assert ahead == [1, 2, 3, 3, 3]
    assert _prefetch_threads() == []
    client.close()


def test_a_two_page_list_costs_at_most_one_request_past_its_end(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.prefetch = 3
    before = sb.counters()["requests"]
    assert len(list(client.leads.list(page_size=12))) == TOTAL  # 12 + 11
    assert sb.counters()["requests"] - before <= 3
    client.close()


def test_nothing_is_requested_past_a_page_already_back_as_the_last(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.prefetch = 3
    before = sb.counters()["requests"]
    names = []
    for page in client.leads.list(page_size=12).pages():
        if page.index == 0:
            time.sleep(0.3)  # a slow caller: page 2 (the short last one) is back before it asks
        names.extend(lead.name for lead in page.items)
    assert len(names) == TOTAL
    assert sb.counters()["requests"] - before == 2
    assert client.leads.stats.discarded == client.leads.stats.cancelled == 0
    client.close()


def test_dropping_the_iterator_stops_it_too(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.prefetch = 2
    for lead in client.v2.leads.list(page_size=3):
        assert lead.name
        break  # the generator is collected at once (CPython refcounting) and joins its tasks
    assert _prefetch_threads() == []
    client.close()


class FailingClient(AmoClient):
    """The real pipeline, except that the page at ``fail_offset`` answers a ServerError."""

    fail_offset = -1

    def _request(self, method: Any, path: str, *, params: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> Any:
        if params is not None and params.get("limit_offset") == self.fail_offset:
            raise ServerError("HTTP 500 injected for this test", status=500, method="GET", url=path)
        return super()._request(method, path, params=params, **kwargs)


@pytest.mark.parametrize("prefetch", [0, 1, 3])
def test_a_failed_page_raises_after_every_item_before_it(sb: Sandbox, prefetch: int) -> None:
    client = FailingClient(sb.subdomain, base_url=sb.base_url, throttle=None,
                           auth=client_for(sb, auth="token").auth)
    client.config.prefetch = prefetch
    client.fail_offset = 10  # the third page of 5
    got: list[str] = []
    with pytest.raises(ServerError, match="injected"):
        for lead in client.v2.leads.list(page_size=5):
            got.append(str(lead.name))
    assert got == _sorted_names(sb)[:10]
    assert _prefetch_threads() == []
    client.close()


# ---------------------------------------------------------------------------------------- save


def _fresh(n: int, tag: str) -> list[Lead]:
    return [Lead(name=f"{tag}-{i:03d}") for i in range(n)]


def test_concurrent_save_writes_ids_back_in_input_order(sb: Sandbox) -> None:
    sb.set_faults(latency_ms=5, latency_jitter_ms=60, seed=3)  # chunks finish out of order
    client = client_for(sb, auth="token")
    client.config.save_workers = 4
    leads = _fresh(37, "order")
    saved = client.v2.leads.save(leads, batch_size=5)
    assert [s.id for s in saved] == [lead.id for lead in leads]
    stored = {e["id"]: e["name"] for e in sb.entities("leads")}
    assert [stored[lead.id] for lead in leads] == [lead.name for lead in leads]
    assert client.v2.leads.stats.chunks == 8
    # updates go concurrently too, and get their updated_at written back
    for lead in leads:
        lead.sale = 7
    client.v2.leads.save(leads, batch_size=5)
    assert all(lead.updated_at is not None for lead in leads)
    assert {e["sale"] for e in sb.entities("leads") if e["id"] in {lead.id for lead in leads}} == {7}
    assert _prefetch_threads() == []
    client.close()


def _bad_lead(name: str) -> Lead:
    """Refused by the server item by item (unknown custom field, code 240)."""
    return Lead(name=name, custom_fields=[CustomField(id=999_999, values=[CustomFieldValue(value="x")])])


def test_a_failed_chunk_raises_after_in_flight_chunks_and_names_them(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.save_workers = 3
    leads = _fresh(40, "fail")
    leads[12] = _bad_lead("fail-bad")  # chunk 2 of 5-lead chunks
    with pytest.raises(EntityErrors) as info:
        client.v2.leads.save(leads, batch_size=5)
    outcome = info.value.outcome
    assert [o.status for o in outcome[:15]] == ["applied"] * 12 + ["failed"] + ["applied"] * 2
    assert outcome[12].code == 240 and "#12" in str(info.value)  # the server's reason, by input index
    assert {o.status for o in outcome[15:]} <= {"applied", "not_sent"}
    assert len(info.value.items) == len(outcome.applied)  # every applied item, of every chunk
    chunk_of = [i // 5 for i in range(40)]
    has_id = [isinstance(lead.id, int) for lead in leads]
    # chunks before the failed one: applied; the failed one: all but the bad lead
    assert all(has_id[i] for i in range(10))
    assert [has_id[i] for i in range(10, 15)] == [True, True, False, True, True]
    # later chunks: whole chunks either applied (were in flight) or untouched (not sent), at most 2
    later = sorted({chunk_of[i] for i in range(15, 40) if has_id[i]})
    for c in later:
        assert all(has_id[c * 5 : c * 5 + 5])
    assert len(later) <= 2
    stored = {e["name"] for e in sb.entities("leads")}
    assert {str(lead.name) for lead, ok in zip(leads, has_id, strict=True) if ok} <= stored
    assert not any(str(lead.name) in stored for lead, ok in zip(leads, has_id, strict=True) if not ok)
    assert _prefetch_threads() == []
    client.close()


def test_a_failed_first_chunk_stops_everything(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.save_workers = 4
    before = sb.counters()["requests"]
    leads = [_bad_lead("first-bad"), *_fresh(19, "first")]
    with pytest.raises(EntityErrors):
        client.v2.leads.save(leads, batch_size=5)
    assert sb.counters()["requests"] - before == 1  # the first chunk goes alone
    assert [isinstance(lead.id, int) for lead in leads[:5]] == [False, True, True, True, True]
    assert not any(isinstance(lead.id, int) for lead in leads[5:])
    client.close()


def test_save_workers_1_is_sequential(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.save_workers = 1
    leads = _fresh(20, "seq")
    leads[7] = _bad_lead("seq-bad")
    with pytest.raises(EntityErrors) as info:
        client.v2.leads.save(leads, batch_size=5)
    assert [o.status for o in info.value.outcome[10:]] == ["not_sent"] * 10
    assert not any(isinstance(lead.id, int) for lead in leads[10:])  # nothing after the failed chunk
    assert client.v2.leads.stats.chunks == 0
    client.close()


def test_save_transport_failure_is_raised_with_the_chunk_map(sb: Sandbox) -> None:
    sb.set_faults(error_rate=1.0, error_statuses=[502], methods=["POST"], seed=1)
    client = client_for(sb, auth="token")
    client.config.save_workers = 2
    leads = _fresh(10, "t502")
    with pytest.raises(ServerError) as info:
        client.v2.leads.save(leads, batch_size=5)
    outcome = info.value.outcome
    assert [o.status for o in outcome] == ["failed"] * 5 + ["not_sent"] * 5
    assert "5 not sent" in str(info.value)
    assert not any(isinstance(lead.id, int) for lead in leads)
    client.close()


def test_split_on_504_saves_every_entity_once() -> None:
    """Opt-in: a batch answered 504 is halved until it fits; ids come back in input order."""
    from amocrm import RetryPolicy
    from amocrm.testing import client_for

    with Sandbox(rate_limit=None, batch_504_above=3) as sb:
        plain = client_for(sb, auth="token", retry=RetryPolicy(attempts=1))
        with pytest.raises(ServerError):
            plain.v2.leads.save([Lead(name=f"no-split-{i}") for i in range(8)])
        assert not [e for e in sb.entities("leads") if str(e.get("name", "")).startswith("no-split")]

        before = len(sb.request_log())
        client = client_for(sb, auth="token", retry=RetryPolicy(attempts=1, split_on_504=True))
        leads = [Lead(name=f"split-{i}") for i in range(8)]
        saved = client.v2.leads.save(leads)
        assert [s.id for s in saved] == [lead.id for lead in leads]
        stored = sorted(str(e["name"]) for e in sb.entities("leads") if str(e.get("name", "")).startswith("split-"))
        assert stored == sorted(f"split-{i}" for i in range(8))
        posts = [r for r in sb.request_log()[before:] if r["path"] == "/api/v2/leads" and r["method"] == "POST"]
        assert [r["status"] for r in posts] == [504, 504, 200, 200, 504, 200, 200]  # 8 -> 4+4 -> 2+2 each
