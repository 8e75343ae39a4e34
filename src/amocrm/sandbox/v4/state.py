"""Account state that only API v4 exposes; one instance per :class:`~amocrm.sandbox.store.Store`.

Entities both faces share (leads, contacts, companies, customers, tasks, notes, catalogs and their
elements, links, tags, custom field definitions, pipelines, webhooks, incoming leads) live in the
store itself; what is here has no v2 counterpart: loss reasons, the event log, users and roles as
records, sources, customers' statuses/segments/transactions, talks, files and so on.
"""

from __future__ import annotations

import collections
import os
import time
from typing import TYPE_CHECKING, Any

from .. import seed as S
from ..seed import SEED

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["V4State", "default_rights", "EVENT_LIMIT", "ulid", "SEED_TALK_ID", "SEED_CHAT_ID", "CURRENCIES"]

#: events kept (oldest dropped first)
EVENT_LIMIT = 50000
SEED_TALK_ID = 101
SEED_CHAT_ID = "6fd0fc67-4b3a-4c0c-a9f3-1f7b1c2e0001"
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"

CURRENCIES: list[dict[str, Any]] = [
    {"code": "RUB", "name": "Российский рубль", "symbol": "₽", "is_default": True},
    {"code": "USD", "name": "Доллар США", "symbol": "$", "is_default": False},
    {"code": "EUR", "name": "Евро", "symbol": "€", "is_default": False},
    {"code": "KZT", "name": "Казахстанский тенге", "symbol": "₸", "is_default": False},
    {"code": "BYN", "name": "Белорусский рубль", "symbol": "Br", "is_default": False},
]

_last_ulid: list[int] = [0, 0]


def ulid(now_ms: int | None = None) -> str:
    """A 26-character lower-case ULID, strictly increasing within this process (sortable by time)."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    if ms <= _last_ulid[0]:
        ms, rand = _last_ulid[0], _last_ulid[1] + 1
    else:
        rand = int.from_bytes(os.urandom(10), "big") >> 1
    _last_ulid[0], _last_ulid[1] = ms, rand
    value = (ms << 80) | (rand & ((1 << 80) - 1))
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def default_rights(admin: bool) -> dict[str, Any]:
    full = {"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"}
    own = {"view": "A", "edit": "M", "add": "A", "delete": "D", "export": "D"}
    block = full if admin else own
    return {"leads": dict(block), "contacts": dict(block), "companies": dict(block),
            "tasks": {"edit": "A", "delete": "A" if admin else "M"}, "mail_access": True, "catalog_access": True,
            "status_rights": [], "is_admin": admin, "is_free": False, "is_active": True, "group_id": None,
            "role_id": None}


class V4State:
    """Mutable v4-only collections; ``store`` is the owner (reset together with it)."""

    def __init__(self, store: Store, customers_mode: str = "segments") -> None:
        now = int(time.time())
        self.loss_reasons: dict[int, dict[str, Any]] = {
            1001: {"id": 1001, "name": "Дорого", "sort": 10, "created_at": now, "updated_at": now},
            1002: {"id": 1002, "name": "Выбрали конкурента", "sort": 20, "created_at": now, "updated_at": now}}
        self.events: collections.deque[dict[str, Any]] = collections.deque(maxlen=EVENT_LIMIT)
        self.users: dict[int, dict[str, Any]] = {}
        for u in S.USERS:
            rights = default_rights(bool(u["is_admin"]))
            rights["group_id"] = u["group_id"] or None
            if not u["is_admin"]:
                rights["status_rights"] = [
                    {"entity_type": "leads", "pipeline_id": p["id"], "status_id": st[0],
                     "rights": {"view": "A", "edit": "A", "delete": "A"}} for p in S.PIPELINES for st in p["statuses"]]
            self.users[u["id"]] = {"id": u["id"], "name": f"{u['name']} {u['last_name']}".strip(), "email": u["login"],
                                   "lang": "ru", "rights": rights, "uuid": None, "amojo_id": None,
                                   "user_rank": "newbie", "phone_number": None, "password": None}
        self.next_user = 504200
        self.roles: dict[int, dict[str, Any]] = {
            301: {"id": 301, "name": "Менеджер", "rights": {k: v for k, v in default_rights(False).items()
                                                            if k not in ("is_admin", "is_free", "is_active",
                                                                         "group_id", "role_id")}}}
        self.next_role = 302
        self.sources: dict[int, dict[str, Any]] = {}
        self.next_source = 7001
        self.website_buttons: dict[int, dict[str, Any]] = {}
        self.next_button = 1
        self.talks: dict[int, dict[str, Any]] = {SEED_TALK_ID: {
            "talk_id": SEED_TALK_ID, "created_at": now, "updated_at": now, "rate": 0,
            "contact_id": SEED.CONTACT_IVAN, "chat_id": SEED_CHAT_ID, "entity_id": SEED.LEAD_FIRST,
            "entity_type": "lead", "status": "in_work", "is_in_work": True, "is_read": False, "origin": "telegram",
            "source_id": None, "missed_at": None, "account_id": SEED.ACCOUNT_ID}}
        self.contact_chats: list[dict[str, Any]] = [{"chat_id": SEED_CHAT_ID, "contact_id": SEED.CONTACT_IVAN}]
        self.short_links: list[dict[str, Any]] = []
        self.followers: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.next_follower = 1
        self.files: dict[str, dict[str, Any]] = {}
        self.upload_sessions: dict[str, dict[str, Any]] = {}
        self.entity_files: dict[tuple[str, int], list[str]] = {}
        self.chat_templates: dict[int, dict[str, Any]] = {}
        self.next_template = 9001
        self.next_review = 1
        self.customers_mode: str = customers_mode
        self.customers_enabled: bool = self.customers_mode in ("segments", "periodicity")
        self.customer_statuses: dict[int, dict[str, Any]] = {
            11: {"id": 11, "name": "Ожидается покупка", "sort": 10, "is_default": True, "color": "#fffeb2", "type": 1},
            12: {"id": 12, "name": "Не купили", "sort": 20, "is_default": True, "color": "#ffc8c8", "type": 2},
            13: {"id": 13, "name": "Недавно купили", "sort": 30, "is_default": True, "color": "#87f2c0", "type": 4},
            14: {"id": 14, "name": "Закрыто", "sort": 40, "is_default": True, "color": "#e6e8ea", "type": 3}}
        self.next_customer_status = 100
        self.segments: dict[int, dict[str, Any]] = {}
        self.next_segment = 501
        self.transactions: dict[int, dict[str, Any]] = {}
        self.next_transaction = 880001
        self.bonus_points: dict[int, int] = {}
        self.field_groups: dict[str, list[dict[str, Any]]] = {}
        self.next_field = 2000000
        self.next_enum = 3000000
        self.widgets: dict[str, dict[str, Any]] = {w["widget_code"]: dict(w["settings"]) for w in S.WIDGETS}
        self.calls: list[dict[str, Any]] = []
        self.next_call = 1
        self.products_enabled = True
        self.tag_colors: dict[int, str | None] = {}
        self.tag_kinds: dict[int, set[str]] = {}
        self.next_loss_reason = 1003
        self.unsorted_declined = 0
        #: (kind, id) -> the contact chosen as main (otherwise the first linked one is)
        self.main_contacts: dict[tuple[str, int], int] = {}

    #: ``Sandbox.entities(kind)`` names of the collections kept here
    KINDS = ("events", "loss_reasons", "users", "roles", "sources", "website_buttons", "talks", "short_links",
             "calls", "chat_templates", "customer_statuses", "segments", "transactions", "files", "contact_chats",
             "followers", "bonus_points")

    def snapshot(self, kind: str) -> list[dict[str, Any]]:
        """Plain copies of one collection (``KeyError`` for an unknown name)."""
        if kind == "events":
            return [dict(e) for e in self.events]
        if kind == "files":
            return [{k: v for k, v in f.items() if k != "content"} for f in self.files.values()]
        if kind == "users":
            return [{k: v for k, v in u.items() if k != "password"} for u in self.users.values()]
        if kind == "followers":
            return [{"entity_type": k[0], "entity_id": k[1], **f} for k, rows in self.followers.items() for f in rows]
        if kind == "bonus_points":
            return [{"customer_id": c, "bonus_points": n} for c, n in self.bonus_points.items()]
        if kind in ("short_links", "calls", "contact_chats"):
            return [dict(x) for x in getattr(self, kind)]
        if kind in self.KINDS:
            return [dict(x) for x in getattr(self, kind).values()]
        raise KeyError(kind)

