"""client.v4.account, events, users, roles, webhooks, widgets, calls, sources, website_buttons, talks,
short_links, followers, files, chat_templates and currencies against the sandbox."""

from __future__ import annotations

import pytest
import urllib3

from amocrm import AmoClient
from amocrm.errors import ConfigError, NotFoundError, ValidationError
from amocrm.sandbox import SEED, Sandbox
from amocrm.v4.client import V4
from amocrm.v4.models import (
    Call,
    ChatTemplate,
    ChatTemplateButton,
    EntityFile,
    EntityRights,
    Follower,
    IdRef,
    Lead,
    LeadEmbedded,
    LeadSource,
    Rights,
    Role,
    ShortLink,
    ShortLinkMetadata,
    Source,
    User,
)

from .conftest import last, sent


def test_account(v4: V4, sb: Sandbox) -> None:
    account = v4.account.get(with_=["users_groups", "task_types", "datetime_settings", "amojo_rights", "drive_url",
                                    "invoices_settings", "uuid", "version"])
    assert account.id == SEED.ACCOUNT_ID and account.embedded is not None
    assert [t.id for t in account.embedded.task_types or []][:2] == [1, 2]
    assert account.embedded.datetime_settings is not None and account.embedded.datetime_settings.timezone
    assert account.drive_url == sb.base_url and account.invoices_settings is not None
    assert {g.id for g in account.embedded.users_groups or []} == {SEED.GROUP_SALES, SEED.GROUP_SUPPORT}


def test_events(v4: V4, sb: Sandbox) -> None:
    lead = Lead(name="evented")
    v4.leads.save(lead)
    lead.status_id = SEED.STATUS_MAIN_PROGRESS
    v4.leads.save(lead)
    changed = v4.events.list(filter={"type": ["lead_status_changed"], "entity": ["lead"], "entity_id": [lead.id]},
                             with_=["lead_name"])
    [event] = changed.items
    assert event.value_after and event.value_after[0].lead_status is not None
    assert event.value_after[0].lead_status.id == SEED.STATUS_MAIN_PROGRESS
    assert event.embedded is not None and event.embedded.entity is not None and event.embedded.entity.name == "evented"
    by_stage = v4.events.list(filter={"value_after": {"leads_statuses": [(SEED.PIPELINE_MAIN,
                                                                          SEED.STATUS_MAIN_PROGRESS)]}})
    assert [e.id for e in by_stage] == [event.id]
    assert v4.events.get(event.id, with_=["lead_name"]).type == "lead_status_changed"  # type: ignore[arg-type]
    ordered = [e.id for e in v4.events.list(order={"created_at": "asc"}, filter={"created_at": {"from": 0}})]
    assert ordered == sorted(ordered)
    types = v4.events.types(language_code="en")
    assert types[0].key == "lead_added" and types[0].lang == {"en": "New lead"}
    with pytest.raises(NotFoundError):
        v4.events.get("01nosuchevent")
    before = sent(sb)
    with pytest.raises(ConfigError):
        v4.events.list(filter={"created_by": ["admin"]})  # type: ignore[typeddict-item]
    assert sent(sb) == before


def test_users_and_roles(v4: V4, sb: Sandbox) -> None:
    users = v4.users.list(with_=["role", "group"])
    assert {u.id for u in users} >= set(SEED.USERS)
    assert v4.users.get(SEED.USER_ADMIN).rights.is_admin is True  # type: ignore[union-attr]
    new = User(name="New Manager", email="new@example.com", password="Secret123", lang="en",
               rights=Rights(leads=EntityRights(view="A", edit="A", add="A", delete="D", export="D")))
    assert v4.users.create(new).ok and isinstance(new.id, int)
    assert v4.users.deactivate([IdRef(id=new.id)]) is None
    assert v4.users.get(new.id).rights.is_active is False  # type: ignore[union-attr]
    assert v4.users.activate(IdRef(id=new.id)) is None
    assert v4.users.get(new.id).rights.is_active is True  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        v4.users.create(User(name="x", email="weak@example.com", password="weak"))

    role = Role(name="Support", rights=Rights(mail_access=False))
    assert v4.roles.create(role).ok and isinstance(role.id, int)
    assert role.id in {r.id for r in v4.roles.list(with_=["users"])}
    assert v4.roles.get(role.id).rights.mail_access is False  # type: ignore[union-attr]
    assert v4.roles.update(role.id, Role(name="Support 2")).name == "Support 2"
    assert v4.roles.delete(role.id) is None
    with pytest.raises(NotFoundError):
        v4.roles.get(role.id)


def test_webhooks(v4: V4, sb: Sandbox) -> None:
    hook = v4.webhooks.subscribe("https://example.com/hook", ["add_lead", "update_contact"], sort=2)
    assert hook.destination == "https://example.com/hook" and hook.settings == ["add_lead", "update_contact"]
    assert [h.id for h in v4.webhooks.list(destination="https://example.com/hook")] == [hook.id]
    assert v4.webhooks.unsubscribe("https://example.com/hook") is None
    assert v4.webhooks.list(destination="https://example.com/hook") == []
    before = sent(sb)
    with pytest.raises(ConfigError):
        v4.webhooks.subscribe("https://example.com/hook", ["add_everything"])  # type: ignore[list-item]
    assert sent(sb) == before


def test_widgets(v4: V4, sb: Sandbox) -> None:
    [widget] = v4.widgets.list().items
    assert v4.widgets.get(widget.code).is_active_in_account is True  # type: ignore[arg-type]
    assert v4.widgets.uninstall(widget.code) is None  # type: ignore[arg-type]
    assert v4.widgets.get(widget.code).is_active_in_account is False  # type: ignore[arg-type]
    installed = v4.widgets.install(widget.code, {"token": "new"})  # type: ignore[arg-type]
    assert installed.is_active_in_account is True and installed.settings == {"token": "new"}
    assert v4.widgets.continue_bot("salesbot", 5, 7, data={"answer": "yes"},
                                   execute_handlers=[{"handler": "show", "params": {"type": "text"}}]) is None
    assert last(sb)[0]["status"] == 202


def test_calls(v4: V4, sb: Sandbox) -> None:
    answer = v4.calls.create([
        Call(direction="inbound", duration=30, source="pbx", phone="+7 999 000-00-01", request_id="known"),
        Call(direction="outbound", duration=5, source="pbx", phone="+1 555 0100", request_id="unknown")])
    assert answer.embedded is not None and [c.request_id for c in answer.embedded.calls] == ["known"]  # type: ignore[union-attr]
    assert answer.errors is not None and [e.request_id for e in answer.errors] == ["unknown"]
    logged = answer.embedded.calls[0]  # type: ignore[index]
    # Ivan has an open lead and a customer: the call goes to his card
    assert (logged.entity_type, logged.entity_id) == ("contacts", SEED.CONTACT_IVAN) and isinstance(logged.id, int)
    notes = v4.notes.list_for("contacts", SEED.CONTACT_IVAN, filter={"note_type": "call_in"})
    assert [n.params.duration for n in notes] == [30]  # type: ignore[union-attr]


def test_sources_and_website_buttons(v4: V4, sb: Sandbox) -> None:
    source = Source(name="Partner site", external_id="partner-1", pipeline_id=SEED.PIPELINE_SECOND)
    assert v4.sources.save(source).ok and isinstance(source.id, int)
    assert [s.id for s in v4.sources.list(external_id="partner-1")] == [source.id]
    got = v4.sources.get(source.id)
    got.name = "Partner site 2"
    assert v4.sources.save(got).ok
    assert v4.sources.update(source.id, Source(default=True)).default is True
    lead = Lead(name="sourced", embedded=LeadEmbedded(source=LeadSource(external_id="partner-1")))
    v4.leads.save(lead)
    sourced = v4.leads.get(lead.id, with_=["source_id", "source"])  # type: ignore[arg-type]
    assert sourced.source_id == source.id and sourced.embedded.source.name == "Partner site 2"  # type: ignore[union-attr]
    other = Source(name="Other", external_id="partner-2")
    v4.sources.save(other)
    assert v4.sources.delete(source.id) is None
    assert v4.sources.delete_many([IdRef(id=other.id)]) is None  # type: ignore[arg-type]
    assert v4.sources.list() == []

    created = v4.website_buttons.create(SEED.PIPELINE_MAIN, trusted_websites=["https://example.com"])
    assert isinstance(created.source_id, int) and created.trusted_websites == ["https://example.com"]
    [button] = v4.website_buttons.list(with_=["scripts"]).items
    assert button.source_id == created.source_id and button.script
    updated = v4.website_buttons.update(created.source_id, ["https://shop.example.com"], name="Shop button")
    assert updated.trusted_websites == ["https://example.com", "https://shop.example.com"]
    assert v4.website_buttons.get(created.source_id).name == "Shop button"
    assert v4.website_buttons.add_online_chat(created.source_id) is None


def test_talks_short_links_followers(v4: V4, sb: Sandbox) -> None:
    talk = v4.talks.get(101)
    assert talk.talk_id == 101 and talk.contact_id == SEED.CONTACT_IVAN and talk.status == "in_work"
    assert v4.talks.close(101, force_close=True) is None
    assert v4.talks.get(101).status == "closed"

    [short] = v4.short_links.create([ShortLink(url="https://example.com/offer",
                                               metadata=ShortLinkMetadata(entity_type="contacts",
                                                                          entity_id=SEED.CONTACT_IVAN))])
    assert short.url and short.url.startswith(sb.base_url) and short.metadata.entity_id == SEED.CONTACT_IVAN  # type: ignore[union-attr]

    added = v4.followers.add("leads", SEED.LEAD_FIRST, [Follower(user_id=SEED.USER_MANAGER)])
    assert [f.user_id for f in added] == [SEED.USER_MANAGER]
    assert [f.user_id for f in v4.followers.list("leads", SEED.LEAD_FIRST)] == [SEED.USER_MANAGER]
    [sub] = v4.followers.subscriptions("leads", SEED.LEAD_FIRST).items
    assert sub.subscriber_id == SEED.USER_MANAGER and sub.type == "user"
    assert v4.followers.remove("leads", SEED.LEAD_FIRST, [Follower(user_id=SEED.USER_MANAGER)]) is None
    assert v4.followers.list("leads", SEED.LEAD_FIRST).items == []


def _upload(sb: Sandbox, client: AmoClient, content: bytes) -> str:
    """A file on the drive (the drive API is not part of the generated operations)."""
    session = client.request("POST", "/v1.0/sessions", json={"file_name": "offer.txt", "file_size": len(content),
                                                              "content_type": "text/plain"})
    http = urllib3.PoolManager(ca_certs=sb.ca_file) if sb.ca_file else urllib3.PoolManager()
    token = sb.issue_tokens()["access_token"]
    r = http.request("POST", session["upload_url"], body=content,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"})
    assert r.status == 200, r.data
    uuid: str = r.json()["uuid"]
    return uuid


def test_entity_files(v4: V4, sb: Sandbox, client: AmoClient) -> None:
    uuid = _upload(sb, client, b"hello")
    [attached] = v4.files.attach("leads", SEED.LEAD_FIRST, [EntityFile(file_uuid=uuid)])
    assert attached.file_uuid == uuid and last(sb)[0]["method"] == "PUT"
    assert [f.file_uuid for f in v4.files.list("leads", SEED.LEAD_FIRST)] == [uuid]
    [where] = v4.files.links(uuid).items
    assert (where.entity_type, where.entity_id) == ("leads", SEED.LEAD_FIRST)
    assert v4.files.detach("leads", SEED.LEAD_FIRST, EntityFile(file_uuid=uuid)) is None
    assert v4.files.list("leads", SEED.LEAD_FIRST).items == []


def test_chat_templates_and_currencies(v4: V4, sb: Sandbox) -> None:
    template = ChatTemplate(name="Hello", content="Hello, {{contact.name}}!", type="waba", waba_category="UTILITY",
                            buttons=[ChatTemplateButton(type="url", text="Site", url="https://example.com")])
    plain = ChatTemplate(name="Bye", content="Bye")
    assert v4.chat_templates.save([template, plain]).ok and isinstance(template.id, int)
    got = v4.chat_templates.get(template.id)
    assert got.buttons and got.buttons[0].url == "https://example.com" and got.attachment is None
    got.content = "Hi, {{contact.name}}!"
    assert v4.chat_templates.save(got).ok
    assert v4.chat_templates.update(template.id, ChatTemplate(external_id="ext-1")).external_id == "ext-1"
    assert [t.id for t in v4.chat_templates.list(external_id="ext-1")] == [template.id]
    [review] = v4.chat_templates.review(template.id)
    assert review.status == "review"
    approved = v4.chat_templates.update_review(template.id, review.id, "approved")  # type: ignore[arg-type]
    assert approved.status == "approved"
    with_reviews = v4.chat_templates.get(template.id, with_=["reviews"])
    assert with_reviews.embedded is not None and with_reviews.embedded.reviews[0].status == "approved"  # type: ignore[index]
    assert v4.chat_templates.delete(template.id) is None
    assert v4.chat_templates.delete_many([IdRef(id=plain.id)]) is None  # type: ignore[arg-type]
    assert v4.chat_templates.list().items == []

    codes = [c.code for c in v4.currencies.list()]
    assert codes[0] == "RUB" and "USD" in codes
