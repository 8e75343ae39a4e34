"""client.v4.pipelines, statuses, loss_reasons and unsorted against the sandbox (chats may be added
here: the module's sandbox runs with v4_unsorted_chats)."""

from __future__ import annotations

from typing import Any

import pytest

from amocrm.errors import APIError, NotFoundError
from amocrm.sandbox import SEED, Sandbox
from amocrm.v4.client import V4
from amocrm.v4.constants import STATUS_COLORS, SystemStatus
from amocrm.v4.models import (
    Contact,
    Lead,
    LossReason,
    Pipeline,
    PipelineEmbedded,
    Status,
    StatusDescription,
    Unsorted,
    UnsortedChatClient,
    UnsortedChatOrigin,
    UnsortedEmbedded,
    UnsortedMetadata,
)

from .conftest import by_name


@pytest.fixture(scope="module")
def sandbox_options() -> dict[str, Any]:
    return {"v4_unsorted_chats": True}


def test_pipelines(v4: V4, sb: Sandbox) -> None:
    pipelines = v4.pipelines.list()
    assert [p.id for p in pipelines] == [SEED.PIPELINE_MAIN, SEED.PIPELINE_SECOND]
    main = v4.pipelines.get(SEED.PIPELINE_MAIN)
    assert main.is_main is True and main.embedded is not None
    ids = [s.id for s in main.embedded.statuses]  # type: ignore[union-attr]
    assert SystemStatus.WON in ids and SystemStatus.LOST in ids

    new = Pipeline(name="Partners", sort=30, embedded=PipelineEmbedded(statuses=[
        Status(name="First talk", sort=10, color=STATUS_COLORS[0]),
        Status(name="Contract", sort=20, color=STATUS_COLORS[1]),
        Status(id=SystemStatus.WON, name="Signed")]))
    assert v4.pipelines.save(new).ok and isinstance(new.id, int)
    got = v4.pipelines.get(new.id)
    assert got.embedded is not None
    names = {s.name for s in got.embedded.statuses}  # type: ignore[union-attr]
    assert {"First talk", "Contract", "Signed"} <= names
    got.name = "Partners 2"
    assert v4.pipelines.save(got).ok
    assert v4.pipelines.update(new.id, Pipeline(sort=40)).sort == 40
    assert v4.pipelines.get(new.id).name == "Partners 2"
    assert v4.pipelines.delete(new.id) is None
    with pytest.raises(NotFoundError):
        v4.pipelines.get(new.id)
    with pytest.raises(APIError):
        v4.pipelines.delete(SEED.PIPELINE_MAIN)


def test_statuses(v4: V4, sb: Sandbox) -> None:
    rows = v4.statuses.list(SEED.PIPELINE_MAIN, with_=["descriptions"])
    assert SEED.STATUS_MAIN_NEW in {s.id for s in rows} and all(s.descriptions == [] for s in rows)
    new = Status(name="Demo", sort=15, color="#ffdbdb")
    assert v4.statuses.save(new, SEED.PIPELINE_MAIN).ok and isinstance(new.id, int)
    got = v4.statuses.get(SEED.PIPELINE_MAIN, new.id)
    assert got.name == "Demo" and got.pipeline_id == SEED.PIPELINE_MAIN and got.is_editable is True
    got.name = "Demo call"
    assert v4.statuses.save(got, SEED.PIPELINE_MAIN).ok
    updated = v4.statuses.update(SEED.PIPELINE_MAIN, new.id, Status(
        descriptions=[StatusDescription(level="newbie", description="Book the demo")]))
    assert updated.name == "Demo call" and updated.descriptions is not None
    assert [(d.level, d.description) for d in updated.descriptions] == [("newbie", "Book the demo")]
    assert v4.statuses.delete(SEED.PIPELINE_MAIN, new.id) is None
    with pytest.raises(NotFoundError):
        v4.statuses.get(SEED.PIPELINE_MAIN, new.id)


def test_loss_reasons(v4: V4, sb: Sandbox) -> None:
    assert [r.name for r in v4.loss_reasons.list()] == ["Дорого", "Выбрали конкурента"]
    reason = LossReason(name="No budget", sort=5)
    assert v4.loss_reasons.create(reason).ok and isinstance(reason.id, int)
    assert v4.loss_reasons.get(reason.id).name == "No budget"
    assert v4.loss_reasons.update(reason.id, LossReason(name="No money")).name == "No money"
    lead = v4.leads.get(SEED.LEAD_FIRST)
    lead.status_id, lead.pipeline_id, lead.loss_reason_id = SystemStatus.LOST, SEED.PIPELINE_MAIN, reason.id
    v4.leads.save(lead)
    lost = v4.leads.get(SEED.LEAD_FIRST, with_=["loss_reason"])
    assert lost.embedded is not None and isinstance(lost.embedded.loss_reason, LossReason)
    assert lost.embedded.loss_reason.name == "No money"
    assert v4.loss_reasons.delete(reason.id) is None
    with pytest.raises(NotFoundError):
        v4.loss_reasons.get(reason.id)


def _form(uid: str) -> Unsorted:
    return Unsorted(source_name="Site", source_uid=uid, pipeline_id=SEED.PIPELINE_MAIN,
                    metadata=UnsortedMetadata(form_id="f1", form_name="Order", form_page="https://example.com/order",
                                              ip="10.0.0.1", form_sent_at=1700000000),
                    embedded=UnsortedEmbedded(leads=[Lead(name="From the form", price=300)],
                                              contacts=[Contact(name="Site visitor")]))


def test_unsorted_forms_accept_decline(v4: V4, sb: Sandbox) -> None:
    added = v4.unsorted.add_forms([_form("form-1"), _form("form-2")])
    assert [a.request_id for a in added] == ["0", "1"]
    uid = added[0].uid
    assert uid is not None and added[0].embedded is not None and len(added[0].embedded.leads) == 1  # type: ignore[arg-type]
    item = v4.unsorted.get(uid)
    assert item.category == "forms" and item.metadata is not None and item.metadata.form_name == "Order"
    assert item.embedded is not None and item.embedded.leads[0].name == "From the form"  # type: ignore[index]
    assert {u.uid for u in v4.unsorted.list(filter={"category": ["forms"], "pipeline_id": SEED.PIPELINE_MAIN})} == {
        a.uid for a in added}
    assert [u.uid for u in v4.unsorted.list(filter={"uid": [uid]})] == [uid]
    summary = v4.unsorted.summary(filter={"pipeline_id": SEED.PIPELINE_MAIN})
    assert summary.total == 2 and summary.categories is not None and summary.categories["forms"] == 2

    accepted = v4.unsorted.accept(uid, status_id=SEED.STATUS_MAIN_PROGRESS)
    lead_id = accepted.embedded.leads[0].id  # type: ignore[union-attr,index]
    assert accepted.uid == uid and v4.leads.get(lead_id).status_id == SEED.STATUS_MAIN_PROGRESS  # type: ignore[arg-type]
    declined = v4.unsorted.decline(added[1].uid, user_id=SEED.USER_ADMIN)  # type: ignore[arg-type]
    gone = declined.embedded.leads[0].id  # type: ignore[union-attr,index]
    assert not [e for e in sb.entities("leads") if e["id"] == gone]
    assert v4.unsorted.list().items == [] and v4.unsorted.summary().accepted == 1


def test_unsorted_sip(v4: V4, sb: Sandbox) -> None:
    [added] = v4.unsorted.add_sip([Unsorted(
        source_name="PBX", source_uid="call-77",
        metadata=UnsortedMetadata(uniq="call-77", duration=42, service_code="pbx", phone="+79990000077",
                                  called_at=1700000000, from_="+79990000077", is_call_event_needed=True))])
    item = v4.unsorted.get(added.uid)  # type: ignore[arg-type]
    assert item.category == "sip" and item.metadata is not None and item.metadata.duration == 42


def test_unsorted_chats_link(v4: V4, sb: Sandbox) -> None:
    [added] = v4.unsorted.add_chats([Unsorted(
        source_name="Telegram", source_uid="chat-1",
        metadata=UnsortedMetadata(from_="Anna", received_at=1700000000, service="telegram",
                                  client=UnsortedChatClient(name="Anna"), origin=UnsortedChatOrigin(chat_id="c-1")),
        embedded=UnsortedEmbedded(contacts=[Contact(name="Anna from chat")]))])
    linked = v4.unsorted.link(added.uid, SEED.LEAD_SECOND)  # type: ignore[arg-type]
    assert linked.uid == added.uid and linked.embedded is not None
    assert [lead.id for lead in linked.embedded.leads] == [SEED.LEAD_SECOND]  # type: ignore[union-attr]
    [contact] = by_name(sb, "contacts", "Anna from chat")
    assert contact["id"] in {link.to_entity_id for link in v4.leads.links(SEED.LEAD_SECOND)}
