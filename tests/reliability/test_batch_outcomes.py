"""Every object of a save has a known fate: applied (with its id), failed (with the server's reason)
or not sent -- on success and on the exception alike.

Against the sandbox for what the real service does (a refused status, a stale update), and against
a scripted loopback server for what it should never do (too few acknowledgements, malformed ids).
"""

from __future__ import annotations

import socket

import pytest

from amocrm.auth import LongLivedToken
from amocrm.client import AmoClient
from amocrm.errors import ConflictError, DecodeError, EntityErrors
from amocrm.locking import NoLocker
from amocrm.retry import RetryPolicy
from amocrm.sandbox import SEED, Sandbox
from amocrm.testing import client_for
from amocrm.v2.models import Lead

from ._hostile import Hostile, Seen, answer


@pytest.fixture(scope="module")
def sb() -> Sandbox:
    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox  # type: ignore[misc]


def misplaced(lead: Lead) -> None:
    """A status of the first pipeline put into the second: the server refuses this one item."""
    lead.pipeline_id = SEED.PIPELINE_SECOND
    lead.status_id = SEED.STATUS_MAIN_NEW


def leads(n: int, tag: str) -> list[Lead]:
    return [Lead(name=f"{tag}-{i}") for i in range(n)]


def test_success_lists_every_object_applied_with_its_id(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    batch = leads(7, "ok")
    result = client.v2.leads.save(batch, batch_size=3)
    assert result.ok and len(result) == 7 and [o.index for o in result] == list(range(7))
    assert [o.status for o in result] == ["applied"] * 7
    assert result.ids == [lead.id for lead in batch] and all(isinstance(i, int) for i in result.ids)
    assert [o.chunk for o in result] == [0, 0, 0, 1, 1, 1, 2]
    assert len(result.responses) == 3  # one answer per chunk
    client.close()


def test_the_exception_message_carries_the_servers_reason_by_input_index(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.save_workers = 1
    batch = leads(6, "why")
    misplaced(batch[4])
    with pytest.raises(EntityErrors) as info:
        client.v2.leads.save(batch, batch_size=3)
    err = info.value
    text = str(err)
    assert "#4: 400 status_id 30011 does not belong to pipeline 3002" in text
    assert "5 applied, 1 failed, 0 not sent of 6" in text  # not "applied: none"
    assert err.status == 200 and '"errors"' in err.body
    outcome = err.outcome
    assert [o.status for o in outcome] == ["applied"] * 4 + ["failed", "applied"]
    assert outcome[4].code == 400 and "does not belong" in str(outcome[4].message)
    assert len(err.items) == 5  # the applied items of both chunks, not only of the failing one
    client.close()


def test_a_failed_chunk_leaves_the_later_ones_not_sent_and_they_are_listed(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.save_workers = 1
    before = len(sb.entities("leads"))
    batch = leads(9, "stop")
    misplaced(batch[1])
    with pytest.raises(EntityErrors) as info:
        client.v2.leads.save(batch, batch_size=3)
    outcome = info.value.outcome
    assert [o.status for o in outcome] == ["applied", "failed", "applied"] + ["not_sent"] * 6
    assert [o.index for o in outcome.not_sent] == list(range(3, 9))
    assert "6 not sent" in str(info.value)
    assert len(sb.entities("leads")) - before == 2
    assert [isinstance(lead.id, int) for lead in batch] == [True, False, True] + [False] * 6
    client.close()


def test_continue_on_error_sends_every_chunk_then_raises(sb: Sandbox) -> None:
    client = client_for(sb, auth="token")
    client.config.save_workers = 1
    batch = leads(9, "cont")
    misplaced(batch[1])
    misplaced(batch[7])
    with pytest.raises(EntityErrors) as info:
        client.v2.leads.save(batch, batch_size=3, continue_on_error=True)
    outcome = info.value.outcome
    assert [o.status for o in outcome] == ["applied", "failed"] + ["applied"] * 5 + ["failed", "applied"]
    assert "7 applied, 2 failed, 0 not sent of 9" in str(info.value)
    assert {str(lead.name) for lead in batch if lead.id} <= {e["name"] for e in sb.entities("leads")}
    client.close()


def test_a_stale_update_is_a_conflict_error_with_status_and_body(sb: Sandbox) -> None:
    first = client_for(sb, auth="token", locker=NoLocker())
    lead = Lead(name="stale")
    first.v2.leads.save(lead)
    stale = first.v2.leads.get(lead.id)
    assert stale is not None
    first.config.updated_at_delta = 3600  # another writer, an hour ahead
    lead.name = "newer"
    first.v2.leads.save(lead)
    stale.name = "older"
    second = client_for(sb, auth="token", locker=NoLocker())
    with pytest.raises(ConflictError) as info:
        second.v2.leads.save(stale)
    err = info.value
    assert err.status == 200 and "older than in database" in err.body
    assert "older than in database" in str(err) and "#0" in str(err)
    assert [o.status for o in err.outcome] == ["failed"] and err.outcome[0].id == lead.id
    assert next(e for e in sb.entities("leads") if e["id"] == lead.id)["name"] == "newer"
    first.close()
    second.close()


def _hostile_client(srv: Hostile) -> AmoClient:
    return AmoClient("acme", base_url=srv.base_url, auth=LongLivedToken("t" * 40), throttle=None,
                     retry=RetryPolicy(attempts=1), timeout=5)


def _ack_first_only(seen: Seen, sock: socket.socket) -> None:
    sent = seen.json()["add"]
    answer(sock, 200, {"_embedded": {"items": [{"id": 101, "request_id": sent[0]["request_id"]}]}})


def test_an_answer_acknowledging_fewer_items_than_sent_is_an_error() -> None:
    with Hostile(_ack_first_only) as srv:
        client = _hostile_client(srv)
        batch = leads(3, "few")
        with pytest.raises(EntityErrors) as info:
            client.v2.leads.save(batch)
        outcome = info.value.outcome
        assert [o.status for o in outcome] == ["applied", "failed", "failed"]
        assert batch[0].id == 101 and [isinstance(lead.id, int) for lead in batch[1:]] == [False, False]
        assert "not acknowledged" in str(info.value) and "#1" in str(info.value)
        client.close()


@pytest.mark.parametrize("bad", ["abc", -5, 0, 1.5, True, None, {"x": 1}])
def test_a_malformed_id_in_an_answer_is_a_decode_error_and_is_not_written(bad: object) -> None:
    def handler(seen: Seen, sock: socket.socket) -> None:
        sent = seen.json()["add"]
        answer(sock, 200, {"_embedded": {"items": [{"id": 7, "request_id": sent[0]["request_id"]},
                                                   {"id": bad, "request_id": sent[1]["request_id"]}]}})

    with Hostile(handler) as srv:
        client = _hostile_client(srv)
        batch = leads(2, "abc")
        with pytest.raises(DecodeError, match="invalid id") as info:
            client.v2.leads.save(batch)
        assert not any(isinstance(lead.id, int) for lead in batch)  # nothing written back from a bad answer
        assert [o.status for o in info.value.outcome] == ["failed", "failed"]
        client.close()
