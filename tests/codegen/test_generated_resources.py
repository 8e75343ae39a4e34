"""Generated resources against a recording fake client (the runtime contract of ``client._request``)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from codegen_fakes import FakeClient, FakeResponse

from amocrm.errors import ConfigError, ConflictError, EntityErrors, NotFoundError
from amocrm.models import UNSET
from amocrm.v2 import PROFILE
from amocrm.v2.models import Catalog, Contact, CustomField, CustomFieldValue, IncomingLead, Lead, Tag, Webhook
from amocrm.v2.resources import (
    AccountResource,
    CatalogElementsResource,
    CatalogsResource,
    ContactsResource,
    IncomingLeadsResource,
    LeadsResource,
    NotesResource,
    PipelinesResource,
    WebhooksResource,
    WidgetsResource,
)


def page(*items: dict, key: str = "items") -> dict:
    return {"_links": {"self": {"href": "/x", "method": "get"}}, "_embedded": {key: list(items)}}


# ------------------------------------------------------------------------------------------------ reading


def test_list_sends_typed_filters_and_header(fake: FakeClient) -> None:
    fake.queue.append(page({"id": 1, "name": "A"}))
    since = dt.datetime(2017, 8, 1, 10, 7, 23, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    leads = LeadsResource(fake, PROFILE).list(
        id=[1, 2], query="a b", status=142, with_=["only_deleted", "loss_reason_name"], modified_since=since,
        filter={"tasks": 1}, page_size=10,
    )
    assert [lead.name for lead in leads] == ["A"]
    call = fake.calls[0]
    assert (call["method"], call["path"]) == ("GET", "/api/v2/leads")
    assert call["params"] == {
        "id": [1, 2], "query": "a b", "status": 142, "filter": {"tasks": 1},
        "with": "only_deleted,loss_reason_name", "limit_rows": 10, "limit_offset": 0,
    }
    assert call["headers"] == {"If-Modified-Since": "Tue, 01 Aug 2017 07:07:23 UTC"}


def test_list_is_empty_on_204_and_on_missing_items(fake: FakeClient) -> None:
    fake.queue.extend([None, {"_embedded": []}, {"_links": {}}])
    contacts = ContactsResource(fake, PROFILE)
    assert [list(contacts.list()) for _ in range(3)] == [[], [], []]
    assert fake.calls[0]["params"] == {"limit_rows": 500, "limit_offset": 0} and fake.calls[0]["headers"] is None


def test_modified_since_rejects_naive_datetime(fake: FakeClient) -> None:
    with pytest.raises(ConfigError, match="naive datetime"):
        LeadsResource(fake, PROFILE).list(modified_since=dt.datetime(2020, 1, 1))
    assert fake.calls == []


def test_iter_pages_by_offset_until_a_short_page(fake: FakeClient) -> None:
    fake.queue.extend([page({"id": 1}, {"id": 2}), page({"id": 3}, {"id": 4}), page({"id": 5})])
    first = LeadsResource(fake, PROFILE).list(responsible_user_id=7, page_size=2, offset=10)
    assert len(fake.calls) == 1 and first.offset == 10  # the first page is fetched at once
    assert [lead.id for lead in first] == [1, 2, 3, 4, 5]
    assert [(c["params"]["limit_rows"], c["params"]["limit_offset"]) for c in fake.calls] == [(2, 10), (2, 12), (2, 14)]
    assert all(c["params"]["responsible_user_id"] == 7 for c in fake.calls)


def test_iter_stops_on_204_after_a_full_page_and_caps_the_page_size(fake: FakeClient) -> None:
    fake.config.page_size = 900
    fake.queue.extend([page(*({"id": i} for i in range(500))), None])
    assert len(list(LeadsResource(fake, PROFILE).list())) == 500
    assert [c["params"]["limit_rows"] for c in fake.calls] == [500, 500]


def test_pages_yields_pages(fake: FakeClient) -> None:
    fake.queue.extend([page({"id": 1}), ])
    pages = NotesResource(fake, PROFILE).list(type="lead", page_size=5).pages()
    assert [[n.id for n in p.items] for p in pages] == [[1]]
    assert fake.calls[0]["params"] == {"type": "lead", "limit_rows": 5, "limit_offset": 0}


def test_page_paging_stops_on_empty_and_on_a_repeated_page(fake: FakeClient) -> None:
    fake.queue.extend([page({"id": 1}), page({"id": 2}), page()])
    elements = CatalogElementsResource(fake, PROFILE)
    assert [e.id for e in elements.list(catalog_id=4220)] == [1, 2]
    assert [c["params"] for c in fake.calls] == [{"catalog_id": 4220, "page": p} for p in (1, 2, 3)]
    # a server that ignores `page` answers the same page forever: iteration still ends
    fake2 = FakeClient()
    fake2.handler = lambda call: FakeResponse(data=b'{"_embedded":{"items":[{"id":1,"catalog_id":3}]}}')
    assert [e.id for e in CatalogElementsResource(fake2, PROFILE).list(catalog_id=3)] == [1]
    assert len(fake2.calls) == 2


def test_get_by_id(fake: FakeClient) -> None:
    fake.queue.extend([page({"id": 5, "name": "x"}), None, page({"id": 6})])
    leads = LeadsResource(fake, PROFILE)
    assert leads.get(5, with_=["catalog_elements_links"]).name == "x"
    assert fake.calls[0]["params"] == {"id": 5, "with": "catalog_elements_links"}
    with pytest.raises(NotFoundError, match="Lead 5 not found"):
        leads.get(5)
    with pytest.raises(NotFoundError, match="returned id 6"):
        leads.get(5)
    with pytest.raises(ConfigError, match=r"leads.get\(id\): expected a positive int id, got str '5'"):
        leads.get("5")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"leads.get\(id\): is required"):
        leads.get(None)  # type: ignore[arg-type]
    assert len(fake.calls) == 3


def test_get_note_needs_type(fake: FakeClient) -> None:
    fake.queue.append(page({"id": 3, "note_type": 4}))
    assert NotesResource(fake, PROFILE).get(3, type="contact").note_type == 4
    assert fake.calls[0]["params"] == {"id": 3, "type": "contact"}


# ------------------------------------------------------------------------------------------------ writing


def test_save_adds_and_updates_in_one_post_and_writes_ids_back(fake: FakeClient) -> None:
    fake.queue.append(page({"id": 101, "request_id": 0}, {"id": 7, "updated_at": 1}))
    new = Lead(name="New", tags=[Tag(name="t1"), Tag(id=3, name="t2")], sale=10)
    old = Lead(id=7, name="Old", account_id=1, updated_by=2, updated_at=5, main_contact=None)
    before = int(time.time())
    saved = LeadsResource(fake, PROFILE).save([new, old])
    body = fake.calls[0]["json"]
    assert fake.calls[0]["method"] == "POST" and fake.calls[0]["path"] == "/api/v2/leads"
    assert body["add"] == [{"name": "New", "tags": ["t1", "t2"], "sale": 10, "request_id": 0}]
    (update,) = body["update"]
    assert update["id"] == 7 and update["name"] == "Old"
    assert before + 5 <= update["updated_at"] <= int(time.time()) + 5
    assert not {"account_id", "updated_by", "main_contact", "_links"} & set(update)
    assert new.id == 101 and old.updated_at == update["updated_at"]
    assert [s.id for s in saved] == [101, 7]
    assert fake.locks == []  # a batch is not locked


def test_single_update_is_locked_and_add_is_not(fake: FakeClient) -> None:
    fake.queue.extend([page({"id": 7}), page({"id": 8, "request_id": 0})])
    contacts = ContactsResource(fake, PROFILE)
    contacts.save(Contact(id=7, name="x"))
    contacts.save(Contact(name="y"))
    assert fake.locks == [("contact", 7)]


def test_save_write_item_follows_the_spec_rules(fake: FakeClient) -> None:
    fake.queue.append(page({"id": 1}))
    lead = Lead(id=1, pipeline_id=5, status_id=142, custom_fields=[
        CustomField(id=10, name="Phone", code="PHONE", is_system=True, values=[CustomFieldValue(value="+7", enum="WORK")]),
        CustomField(id=11, values=[1121, 1122]),
    ])
    lead.add_contacts([3, 4]).remove_contacts(4).add_company(9).set_catalog_elements({93: {98: 10}})
    LeadsResource(fake, PROFILE).save(lead)
    (item,) = fake.calls[0]["json"]["update"]
    assert item["custom_fields"] == [
        {"id": 10, "values": [{"value": "+7", "enum": "WORK"}]},
        {"id": 11, "values": [1121, 1122]},
    ]
    assert item["contacts_id"] == [3] and item["company_id"] == 9 and item["pipeline_id"] == 5
    assert item["unlink"] == {"contacts_id": [4]}
    assert item["catalog_elements_id"] == {"93": {"98": 10}}


def test_save_chunks_by_batch_size_capped_by_the_spec(fake: FakeClient) -> None:
    fake.handler = lambda call: FakeResponse(
        data=__import__("json").dumps(
            {"_embedded": {"items": [{"id": 1000 + i, "request_id": i} for i in range(len(call["json"]["add"]))]}}
        ).encode()
    )
    objs = [Contact(name=str(i)) for i in range(5)]
    ContactsResource(fake, PROFILE).save(objs, batch_size=2)
    assert [len(c["json"]["add"]) for c in fake.calls] == [2, 2, 1]
    assert [o.id for o in objs] == [1000, 1001, 1000, 1001, 1000]
    fake.calls.clear()
    ContactsResource(fake, PROFILE).save([Contact(name=str(i)) for i in range(600)], batch_size=10_000)
    assert [len(c["json"]["add"]) for c in fake.calls] == [500, 100]
    with pytest.raises(ConfigError, match="batch_size"):
        ContactsResource(fake, PROFILE).save(objs, batch_size=0)


def test_save_rejects_other_models_before_sending(fake: FakeClient) -> None:
    with pytest.raises(ConfigError, match=r"objects\[1\]\): expected a Lead, got Contact"):
        LeadsResource(fake, PROFILE).save([Lead(name="a"), Contact(name="b")])  # type: ignore[list-item]
    assert fake.calls == []


def test_save_raises_embedded_errors_with_the_saved_items(fake: FakeClient) -> None:
    fake.queue.append({"_embedded": {"items": [{"id": 55, "request_id": 0}],
                                     "errors": {"update": {"7": "Last modified date is older than in database"}}}})
    new, old = Lead(name="n"), Lead(id=7, name="o")
    with pytest.raises(ConflictError) as info:
        LeadsResource(fake, PROFILE).save([new, old])
    assert info.value.items == [{"id": 55, "request_id": "0"}]
    assert [o.status for o in info.value.outcome] == ["applied", "failed"]
    assert "#1 (id 7): Last modified date is older" in str(info.value)
    assert new.id == 55
    fake.queue.append({"_embedded": {"items": [], "errors": {"add": [{"code": 213}]}}})
    with pytest.raises(EntityErrors) as info2:
        LeadsResource(fake, PROFILE).save(Lead(name="x"))
    assert info2.value.code == 213


def test_delete_catalogs(fake: FakeClient) -> None:
    fake.queue.append({"_embedded": {"items": []}})
    CatalogsResource(fake, PROFILE).delete([Catalog(id=7), 8])
    assert fake.calls[0]["json"] == {"delete": [7, 8]}
    with pytest.raises(ConfigError, match=r"ids\[0\]\): this Catalog has no id"):
        CatalogsResource(fake, PROFILE).delete(Catalog(name="x"))


# ------------------------------------------------------------------------------------------------ special endpoints


def test_webhooks(fake: FakeClient) -> None:
    fake.queue.extend([
        page({"url": "https://h", "result": True}),
        page({"url": "https://h", "result": True}, {"url": "https://g", "result": False}),
        page({"id": 1, "url": "https://h", "events": ["add_lead"]}),
    ])
    hooks = WebhooksResource(fake, PROFILE)
    assert hooks.subscribe("https://h", ["add_lead", "update_lead"])[0].result is True
    assert fake.calls[0]["path"] == "/api/v2/webhooks/subscribe"
    assert fake.calls[0]["json"] == {"subscribe": [{"url": "https://h", "events": ["add_lead", "update_lead"]}]}
    res = hooks.unsubscribe_many([Webhook(url="https://h", events=["add_lead"]),
                                  Webhook(url="https://g", events=["note_lead"])])
    assert [r.result for r in res] == [True, False]
    assert fake.calls[1]["json"] == {"unsubscribe": [{"url": "https://h", "events": ["add_lead"]},
                                                     {"url": "https://g", "events": ["note_lead"]}]}
    assert hooks.list()[0].events == ["add_lead"]
    with pytest.raises(ConfigError, match="events.*must not be empty"):
        hooks.subscribe("https://h", [])


def test_incoming_leads(fake: FakeClient) -> None:
    inc = IncomingLeadsResource(fake, PROFILE)
    fake.queue.append({"status": "success", "data": ["uid-1"]})
    lead = IncomingLead(source_name="site")
    assert inc.add_form(lead) == ["uid-1"]
    assert lead.uid == "uid-1" and isinstance(lead.created_at, int)
    assert fake.calls[0]["path"] == "/api/v2/incoming_leads/form"
    assert fake.calls[0]["json"]["add"][0]["source_name"] == "site"

    fake.queue.append({"status": "success", "data": {"uid-1": {"leads": [1], "contacts": [2], "companies": []}}})
    assert inc.accept("uid-1", user_id=5, status_id=142)["uid-1"].leads == [1]
    assert fake.calls[1]["json"] == {"accept": ["uid-1"], "user_id": 5, "status_id": 142}

    fake.queue.append({"status": "success", "data": {"uid-1": False}})
    assert inc.decline(["uid-1"], user_id=5) == {"uid-1": False}

    fake.queue.append({"status": "fail", "error": "bad", "error_code": "400"})
    with pytest.raises(EntityErrors, match="bad") as info:
        inc.add_sip(IncomingLead(source_name="pbx", created_at=1))
    assert info.value.code == 400

    fake.queue.append({"sip": 1, "total": 3})
    assert inc.summary(date_from=1, date_to=2).total == 3
    assert fake.calls[-1]["params"] == {"data": {"filter": {"date": {"from": 1, "to": 2}}}}

    fake.queue.extend([page({"uid": "u2", "category": "sip"}), None])
    assert inc.get_by_uid("u2").category == "sip"
    with pytest.raises(NotFoundError):
        inc.get_by_uid("zz")

    fake.queue.append(page({"uid": "a"}))
    assert [i.uid for i in inc.list(categories=["sip", "forms"], page_size=50)] == ["a"]
    assert fake.calls[-1]["params"] == {"categories": ["sip", "forms"], "page": 1, "page_size": 50}


def test_account_pipelines_widgets(fake: FakeClient) -> None:
    fake.queue.extend([
        {"id": 1, "name": "acc", "_embedded": {"users": {"5": {"id": 5, "name": "u"}}, "groups": []}},
        {"_embedded": {"items": {"10": {"id": 10, "statuses": {"142": {"id": 142}}}}}},
        {"widgets": [{"widget_id": 1, "widget_code": "w", "settings": []}]},
    ])
    account = AccountResource(fake, PROFILE).get(with_=["users", "groups"])
    assert fake.calls[0]["params"] == {"with": "users,groups"}
    assert account.embedded.users[0].id == 5 and account.embedded.groups == []
    (pipeline,) = PipelinesResource(fake, PROFILE).list()
    assert pipeline.statuses[0].id == 142
    (widget,) = WidgetsResource(fake, PROFILE).list(widget_code="w")
    assert widget.settings == [] and fake.calls[2]["path"] == "/api/v2/widgets/list"


def test_account_get_without_with_sends_no_params(fake: FakeClient) -> None:
    fake.queue.append({"id": 1})
    assert AccountResource(fake, PROFILE).get().id == 1
    assert fake.calls[0]["params"] is None
    assert Lead().id is UNSET


def test_auto_request_ids_do_not_collide_with_the_callers(fake: FakeClient) -> None:
    fake.queue.append(page({"id": 20, "request_id": 1}, {"id": 21, "request_id": 0}, {"id": 22, "request_id": 2}))
    a, b, c = Lead(name="a", request_id=1), Lead(name="b"), Lead(name="c")
    LeadsResource(fake, PROFILE).save([a, b, c])
    assert [i["request_id"] for i in fake.calls[0]["json"]["add"]] == [1, 0, 2]
    assert (a.id, b.id, c.id) == (20, 21, 22)
