"""The seeded account: users, pipelines, custom fields, a catalog and a few entities.

Ids are fixed so tests can name them (``SEED.CF_CONTACT_PHONE`` ...). ``build_account`` gives the
account metadata (always present); ``SEED_ENTITIES`` lists the entities created when ``seed=True``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SEED", "Seed", "FieldDef", "custom_field_defs", "SEED_ENTITIES", "TYPE_CODES", "TYPE_NUMBERS",
           "ENUM_TYPES", "pipelines"]

# field types: the API v2 numbers (1..17); API v4 names them with strings (see ``TYPE_CODES``)
TEXT, NUMERIC, CHECKBOX, SELECT, MULTISELECT, DATE, URL, MULTITEXT = 1, 2, 3, 4, 5, 6, 7, 8
TEXTAREA, RADIOBUTTON, STREETADDRESS, SMART_ADDRESS, BIRTHDAY, LEGAL_ENTITY, ITEMS, ORG_LEGAL_NAME = \
    9, 10, 11, 13, 14, 15, 16, 17
# types API v2 never numbered: the sandbox gives them numbers of its own, above 17
CATEGORY, DATE_TIME, PRICE, TRACKING_DATA, LINKED_ENTITY, MONETARY, CHAINED_LIST, FILE, PAYER, SUPPLIER = \
    18, 19, 20, 21, 22, 23, 24, 25, 26, 27

#: v2 field type number -> v4 type code
TYPE_CODES: dict[int, str] = {
    TEXT: "text", NUMERIC: "numeric", CHECKBOX: "checkbox", SELECT: "select", MULTISELECT: "multiselect",
    DATE: "date", URL: "url", MULTITEXT: "multitext", TEXTAREA: "textarea", RADIOBUTTON: "radiobutton",
    STREETADDRESS: "streetaddress", SMART_ADDRESS: "smart_address", BIRTHDAY: "birthday",
    LEGAL_ENTITY: "legal_entity", ITEMS: "items", ORG_LEGAL_NAME: "org_legal_name", CATEGORY: "category",
    DATE_TIME: "date_time", PRICE: "price", TRACKING_DATA: "tracking_data", LINKED_ENTITY: "linked_entity",
    MONETARY: "monetary", CHAINED_LIST: "chained_list", FILE: "file", PAYER: "payer", SUPPLIER: "supplier",
}
TYPE_NUMBERS: dict[str, int] = {v: k for k, v in TYPE_CODES.items()}
#: types whose values pick enums
ENUM_TYPES = frozenset((SELECT, MULTISELECT, RADIOBUTTON, MULTITEXT, CATEGORY))


@dataclass(frozen=True)
class FieldDef:
    """One custom field definition; ``enums`` maps enum id to its label (multitext: its code).

    ``extra`` holds the API v4 attributes that have no v2 counterpart (``group_id``, ``is_api_only``,
    ``required_statuses``, ``remind``, ``currency``, ``settings``, ``chained_lists``, ...).
    """

    id: int
    name: str
    field_type: int
    code: str | None = None
    is_system: bool = False
    enums: tuple[tuple[int, str], ...] = ()
    sort: int = 0
    origin: str | None = None
    enum_sorts: tuple[int, ...] = ()
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def is_multiple(self) -> bool:
        return self.field_type in (MULTITEXT, MULTISELECT, CATEGORY, ITEMS)

    @property
    def type_code(self) -> str:
        return TYPE_CODES.get(self.field_type, "text")

    def attr(self, name: str, default: Any = None) -> Any:
        """An API v4 attribute from ``extra``."""
        for key, value in self.extra:
            if key == name:
                return value
        return default

    def enum_sort(self, index: int) -> int:
        return self.enum_sorts[index] if index < len(self.enum_sorts) else (index + 1) * 10


class Seed:
    """Fixed ids of the seeded account, for tests to reference."""

    ACCOUNT_ID = 28000001
    LOGIN = "admin@example.com"
    USER_ADMIN = 504141
    USER_MANAGER = 504142
    USER_OPERATOR = 504143
    USERS = (USER_ADMIN, USER_MANAGER, USER_OPERATOR)
    GROUP_SALES = 0
    GROUP_SUPPORT = 1001

    PIPELINE_MAIN = 3001
    PIPELINE_SECOND = 3002
    STATUS_MAIN_NEW = 30011
    STATUS_MAIN_PROGRESS = 30012
    STATUS_SECOND_INCOMING = 30021
    STATUS_SECOND_NEGOTIATION = 30022
    STATUS_WON = 142
    STATUS_LOST = 143
    #: the "unsorted" (incoming leads) stage of each pipeline; API v4 lists it, API v2 does not
    STATUS_MAIN_UNSORTED = 30010
    STATUS_SECOND_UNSORTED = 30020

    # contacts
    CF_CONTACT_PHONE = 100100
    CF_CONTACT_EMAIL = 100101
    CF_CONTACT_POSITION = 100102
    CF_CONTACT_SELECT = 100103
    CF_CONTACT_MULTISELECT = 100104
    CF_CONTACT_ADDRESS = 100105
    CF_CONTACT_DATE = 100106
    # companies
    CF_COMPANY_PHONE = 300100
    CF_COMPANY_EMAIL = 300101
    CF_COMPANY_WEB = 300102
    CF_COMPANY_SELECT = 300103
    CF_COMPANY_MULTISELECT = 300104
    CF_COMPANY_ADDRESS = 300105
    CF_COMPANY_DATE = 300106
    # leads
    CF_LEAD_TEXT = 200100
    CF_LEAD_SELECT = 200103
    CF_LEAD_MULTISELECT = 200104
    CF_LEAD_ADDRESS = 200105
    CF_LEAD_DATE = 200106
    CF_LEAD_NUMERIC = 200107
    # customers
    CF_CUSTOMER_TEXT = 1200100
    CF_CUSTOMER_SELECT = 1200103
    CF_CUSTOMER_MULTISELECT = 1200104
    CF_CUSTOMER_ADDRESS = 1200105
    CF_CUSTOMER_DATE = 1200106

    PHONE_ENUMS = {"WORK": 900001, "WORKDD": 900002, "MOB": 900003, "FAX": 900004, "HOME": 900005, "OTHER": 900006}
    EMAIL_ENUMS = {"WORK": 900011, "PRIV": 900012, "OTHER": 900013}
    # select/multiselect enum ids are field_id * 10 + 1..3 (labels "Option 1".."Option 3")

    CATALOG_PRODUCTS = 5001
    CF_CATALOG_SKU = 500101
    CF_CATALOG_PRICE = 500102

    NOTE_TYPES = {1: "DEAL_CREATED", 2: "CONTACT_CREATED", 3: "DEAL_STATUS_CHANGED", 4: "COMMON",
                  10: "CALL_IN", 11: "CALL_OUT", 12: "COMPANY_CREATED", 13: "TASK_RESULT", 25: "SYSTEM",
                  102: "SMS_IN", 103: "SMS_OUT"}
    TASK_TYPES = {1: "Звонок", 2: "Встреча", 3: "Написать письмо"}

    # seeded entities (present when seed=True)
    COMPANY_ACME = 7000001
    CONTACT_IVAN = 6000001
    CONTACT_MARIA = 6000002
    LEAD_FIRST = 8000001
    LEAD_SECOND = 8000002
    CUSTOMER_FIRST = 9000001
    TASK_FIRST = 4000001
    NOTE_FIRST = 4500001
    ELEMENT_PEN = 5500001
    ELEMENT_PENCIL = 5500002

    @staticmethod
    def enum_id(field_id: int, n: int) -> int:
        """The id of option ``n`` (1..3) of a seeded select/multiselect field."""
        return field_id * 10 + n


SEED = Seed


def _options(field_id: int) -> tuple[tuple[int, str], ...]:
    return tuple((Seed.enum_id(field_id, n), f"Option {n}") for n in (1, 2, 3))


_ADDR = "Адрес"


def _phone_email(phone_id: int, email_id: int) -> list[FieldDef]:
    return [
        FieldDef(phone_id, "Телефон", MULTITEXT, "PHONE", True,
                 tuple((v, k) for k, v in Seed.PHONE_ENUMS.items()), 4),
        FieldDef(email_id, "Email", MULTITEXT, "EMAIL", True,
                 tuple((v, k) for k, v in Seed.EMAIL_ENUMS.items()), 6),
    ]


def custom_field_defs() -> dict[str, list[FieldDef]]:
    """Field definitions per entity kind (``catalogs`` keyed separately by catalog id)."""
    s = Seed
    return {
        "contacts": _phone_email(s.CF_CONTACT_PHONE, s.CF_CONTACT_EMAIL) + [
            FieldDef(s.CF_CONTACT_POSITION, "Должность", TEXT, "POSITION", True, sort=2),
            FieldDef(s.CF_CONTACT_SELECT, "Источник", SELECT, None, False, _options(s.CF_CONTACT_SELECT), 10),
            FieldDef(s.CF_CONTACT_MULTISELECT, "Интересы", MULTISELECT, None, False,
                     _options(s.CF_CONTACT_MULTISELECT), 11),
            FieldDef(s.CF_CONTACT_ADDRESS, _ADDR, SMART_ADDRESS, None, False, sort=12),
            FieldDef(s.CF_CONTACT_DATE, "День рождения", DATE, None, False, sort=13),
        ],
        "companies": _phone_email(s.CF_COMPANY_PHONE, s.CF_COMPANY_EMAIL) + [
            FieldDef(s.CF_COMPANY_WEB, "Web", URL, "WEB", True, sort=8),
            FieldDef(s.CF_COMPANY_SELECT, "Отрасль", SELECT, None, False, _options(s.CF_COMPANY_SELECT), 10),
            FieldDef(s.CF_COMPANY_MULTISELECT, "Услуги", MULTISELECT, None, False,
                     _options(s.CF_COMPANY_MULTISELECT), 11),
            FieldDef(s.CF_COMPANY_ADDRESS, _ADDR, SMART_ADDRESS, None, False, sort=12),
            FieldDef(s.CF_COMPANY_DATE, "Дата основания", DATE, None, False, sort=13),
        ],
        "leads": [
            FieldDef(s.CF_LEAD_TEXT, "Текст", TEXT, None, False, sort=1),
            FieldDef(s.CF_LEAD_SELECT, "Список", SELECT, None, False, _options(s.CF_LEAD_SELECT), 2),
            FieldDef(s.CF_LEAD_MULTISELECT, "Мультисписок", MULTISELECT, None, False,
                     _options(s.CF_LEAD_MULTISELECT), 3),
            FieldDef(s.CF_LEAD_ADDRESS, _ADDR, SMART_ADDRESS, None, False, sort=4),
            FieldDef(s.CF_LEAD_DATE, "Дата", DATE, None, False, sort=5),
            FieldDef(s.CF_LEAD_NUMERIC, "Число", NUMERIC, None, False, sort=6),
        ],
        "customers": [
            FieldDef(s.CF_CUSTOMER_TEXT, "Текст", TEXT, None, False, sort=1),
            FieldDef(s.CF_CUSTOMER_SELECT, "Список", SELECT, None, False, _options(s.CF_CUSTOMER_SELECT), 2),
            FieldDef(s.CF_CUSTOMER_MULTISELECT, "Мультисписок", MULTISELECT, None, False,
                     _options(s.CF_CUSTOMER_MULTISELECT), 3),
            FieldDef(s.CF_CUSTOMER_ADDRESS, _ADDR, SMART_ADDRESS, None, False, sort=4),
            FieldDef(s.CF_CUSTOMER_DATE, "Дата", DATE, None, False, sort=5),
        ],
        f"catalog:{s.CATALOG_PRODUCTS}": [
            FieldDef(s.CF_CATALOG_SKU, "Артикул", TEXT, "SKU", True, sort=1),
            FieldDef(s.CF_CATALOG_PRICE, "Цена", NUMERIC, "PRICE", True, sort=2),
        ],
    }


USERS: list[dict[str, Any]] = [
    {"id": Seed.USER_ADMIN, "name": "Администратор", "last_name": "", "login": Seed.LOGIN, "group_id": 0,
     "is_admin": True},
    {"id": Seed.USER_MANAGER, "name": "Менеджер", "last_name": "Продаж", "login": "manager@example.com",
     "group_id": 0, "is_admin": False},
    {"id": Seed.USER_OPERATOR, "name": "Оператор", "last_name": "", "login": "operator@example.com",
     "group_id": Seed.GROUP_SUPPORT, "is_admin": False},
]

GROUPS = {Seed.GROUP_SALES: "Отдел продаж", Seed.GROUP_SUPPORT: "Поддержка"}

PIPELINES: list[dict[str, Any]] = [
    {"id": Seed.PIPELINE_MAIN, "name": "Воронка", "sort": 1, "is_main": True, "statuses": [
        (Seed.STATUS_MAIN_NEW, "Первичный контакт", "#99ccff", 10),
        (Seed.STATUS_MAIN_PROGRESS, "Переговоры", "#ffff99", 20)],
     "unsorted_status": Seed.STATUS_MAIN_UNSORTED},
    {"id": Seed.PIPELINE_SECOND, "name": "Вторая воронка", "sort": 2, "is_main": False, "statuses": [
        (Seed.STATUS_SECOND_INCOMING, "Входящие", "#c1e0ff", 10),
        (Seed.STATUS_SECOND_NEGOTIATION, "Согласование", "#fffeb2", 20)],
     "unsorted_status": Seed.STATUS_SECOND_UNSORTED},
]

WON_NAME = "Успешно реализовано"
LOST_NAME = "Закрыто и не реализовано"


def pipelines() -> list[dict[str, Any]]:
    """A fresh, mutable copy of the seeded pipelines with every attribute both API faces use."""
    out = []
    for p in PIPELINES:
        out.append({**p, "statuses": list(p["statuses"]), "is_unsorted_on": True, "is_archive": False,
                    "won_name": WON_NAME, "lost_name": LOST_NAME, "descriptions": {}})
    return out

WIDGETS: list[dict[str, Any]] = [
    {"widget_id": 424111, "widget_code": "amo_sandbox_widget",
     "settings_template": {"token": {"name": "settings.token", "type": "text", "required": False}},
     "dp": [], "salesbot_designer": [], "rating": 0, "settings": {"token": "sandbox"}, "active": 1,
     "path": "widgets/amo_sandbox_widget", "new_design": True, "is_lead_source": False, "dp_ready": False},
]

# (kind, payload) in creation order; payloads use the API write format
SEED_ENTITIES: list[tuple[str, dict[str, Any]]] = [
    ("companies", {"id": Seed.COMPANY_ACME, "name": "ООО Акме", "tags": "vip",
                   "custom_fields": [{"id": Seed.CF_COMPANY_PHONE, "values": [{"value": "+74950000000",
                                                                              "enum": "WORK"}]}]}),
    ("contacts", {"id": Seed.CONTACT_IVAN, "name": "Иван Петров", "company_id": Seed.COMPANY_ACME,
                  "custom_fields": [
                      {"id": Seed.CF_CONTACT_PHONE, "values": [{"value": "+79990000001", "enum": "MOB"}]},
                      {"id": Seed.CF_CONTACT_EMAIL, "values": [{"value": "ivan@example.com", "enum": "WORK"}]}]}),
    ("contacts", {"id": Seed.CONTACT_MARIA, "name": "Мария Иванова", "responsible_user_id": Seed.USER_MANAGER}),
    ("leads", {"id": Seed.LEAD_FIRST, "name": "Первая сделка", "sale": 1000, "status_id": Seed.STATUS_MAIN_NEW,
               "contacts_id": [Seed.CONTACT_IVAN], "company_id": Seed.COMPANY_ACME}),
    ("leads", {"id": Seed.LEAD_SECOND, "name": "Вторая сделка", "sale": 5000,
               "pipeline_id": Seed.PIPELINE_SECOND, "status_id": Seed.STATUS_SECOND_INCOMING,
               "responsible_user_id": Seed.USER_MANAGER}),
    ("customers", {"id": Seed.CUSTOMER_FIRST, "name": "Постоянный покупатель", "next_price": 300,
                   "contacts_id": [Seed.CONTACT_IVAN]}),
    ("tasks", {"id": Seed.TASK_FIRST, "element_id": Seed.LEAD_FIRST, "element_type": 2, "task_type": 1,
               "text": "Позвонить клиенту", "complete_till_at": 4102444740}),
    ("notes", {"id": Seed.NOTE_FIRST, "element_id": Seed.LEAD_FIRST, "element_type": 2, "note_type": 4,
               "text": "Первое примечание"}),
    ("catalog_elements", {"id": Seed.ELEMENT_PEN, "catalog_id": Seed.CATALOG_PRODUCTS, "name": "Ручка",
                          "custom_fields": [{"id": Seed.CF_CATALOG_SKU, "values": [{"value": "P-1"}]}]}),
    ("catalog_elements", {"id": Seed.ELEMENT_PENCIL, "catalog_id": Seed.CATALOG_PRODUCTS, "name": "Карандаш"}),
]
