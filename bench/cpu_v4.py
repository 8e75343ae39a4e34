"""Benchmark 1 (API v4): CPU per entity -- decode a 250-lead v4 page, build + encode v4 save bodies.

The page is the sandbox's own ``GET /api/v4/leads?limit=250&with=contacts``: leads with every lead
custom-field kind in ``custom_fields_values`` and ``_embedded`` tags, company and contacts (about
2.2 KB of JSON per lead). It is decoded the way ``client.v4.leads.list()`` decodes it (the SDK's
wire decoder for the operation's result type) and compared, in the same run and round-robin (see
``measure_together``), with msgspec into plain dicts (the floor) and a pydantic v2 model of the same
shape (``TypeAdapter.validate_json``).

Save bodies, as ``client.v4.leads.save()`` builds them (type check, write rules, request ids, the
array a chunk sends) and encodes them: a *create* of 250 leads built by the caller (custom fields,
tags and contacts to link), and a *partial update* of 250 leads read through the client (tracked)
whose price and status changed -- only those fields and the id are sent. The floor is msgspec
encoding the finished body (the decoded JSON of what the SDK sent).
"""

from __future__ import annotations

from typing import Any

import msgspec
import pydantic

from amocrm._core.response import wrapper_type
from amocrm._core.save import plan
from amocrm._core.wire import decoder_for
from amocrm.lib.base import mark_clean
from amocrm.sandbox import SEED, Sandbox
from amocrm.v4 import PROFILE
from amocrm.v4.models import EmbeddedEntity, FieldValue, FieldValues, Lead, LeadEmbedded, Tag
from amocrm.v4.writes import FIELD_MAP, check_lead, write_lead

from ._common import Row, fetch_v4_page_bytes, measure_together, seed_leads

__all__ = ["run"]

PAGE = 250
BATCH = 250


# -- pydantic v2 models of the same shape ---------------------------------------------------------

class PLink(pydantic.BaseModel):
    href: str | None = None


class PLinks(pydantic.BaseModel):
    self: PLink | None = None
    next: PLink | None = None
    prev: PLink | None = None


class PFieldValue(pydantic.BaseModel):
    value: str | int | float | bool | dict[str, Any] | None = None
    enum_id: int | None = None
    enum_code: str | None = None
    enum: str | None = None


class PFieldValues(pydantic.BaseModel):
    field_id: int | None = None
    field_name: str | None = None
    field_code: str | None = None
    field_type: str | None = None
    values: list[PFieldValue] | None = None


class PTag(pydantic.BaseModel):
    id: int | None = None
    name: str | None = None
    color: str | None = None


class PEmbeddedEntity(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    id: int | None = None
    is_main: bool | None = None
    links: PLinks | None = pydantic.Field(default=None, alias="_links")


class PLeadEmbedded(pydantic.BaseModel):
    tags: list[PTag] | None = None
    contacts: list[PEmbeddedEntity] | None = None
    companies: list[PEmbeddedEntity] | None = None


class PLead(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    id: int | None = None
    name: str | None = None
    price: int | None = None
    responsible_user_id: int | None = None
    group_id: int | None = None
    status_id: int | None = None
    pipeline_id: int | None = None
    loss_reason_id: int | None = None
    source_id: int | None = None
    created_by: int | None = None
    updated_by: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    closed_at: int | None = None
    closest_task_at: int | None = None
    is_deleted: bool | None = None
    custom_fields_values: list[PFieldValues] | None = None
    score: int | None = None
    account_id: int | None = None
    labor_cost: int | None = None
    is_price_modified_by_robot: bool | None = None
    links: PLinks | None = pydantic.Field(default=None, alias="_links")
    embedded: PLeadEmbedded | None = pydantic.Field(default=None, alias="_embedded")


class PEmbedded(pydantic.BaseModel):
    leads: list[PLead] = []


class PPage(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    page: int | None = pydantic.Field(default=None, alias="_page")
    links: PLinks | None = pydantic.Field(default=None, alias="_links")
    embedded: PEmbedded | None = pydantic.Field(default=None, alias="_embedded")


def _page(count: int) -> bytes:
    with Sandbox(rate_limit=None) as sb:  # seeded: the contacts and the company the leads link exist
        seed_leads(sb, count)
        return fetch_v4_page_bytes(sb, PAGE)


def new_lead(i: int) -> Lead:
    """A v4 lead as a caller builds it for a create: custom fields, tags and contacts to link."""
    return Lead(
        name=f"Сделка №{i} с довольно длинным названием", price=1000 + i, status_id=SEED.STATUS_MAIN_PROGRESS,
        pipeline_id=SEED.PIPELINE_MAIN, responsible_user_id=SEED.USER_MANAGER,
        custom_fields_values=[
            FieldValues(field_id=SEED.CF_LEAD_TEXT, values=[FieldValue(value=f"Комментарий к сделке {i}")]),
            FieldValues(field_id=SEED.CF_LEAD_SELECT,
                        values=[FieldValue(enum_id=SEED.enum_id(SEED.CF_LEAD_SELECT, 1 + i % 3))]),
            FieldValues(field_id=SEED.CF_LEAD_MULTISELECT,
                        values=[FieldValue(enum_id=SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 1)),
                                FieldValue(enum_id=SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 3))]),
            FieldValues(field_id=SEED.CF_LEAD_ADDRESS,
                        values=[FieldValue(value="ул. Ленина, д. 1", enum_code="address_line_1"),
                                FieldValue(value="Москва", enum_code="city")]),
            FieldValues(field_id=SEED.CF_LEAD_DATE, values=[FieldValue(value=1715904000)]),
            FieldValues(field_id=SEED.CF_LEAD_NUMERIC, values=[FieldValue(value=str(i * 3))]),
        ],
        embedded=LeadEmbedded(tags=[Tag(name="vip"), Tag(name=f"batch-{i % 7}")],
                              contacts=[EmbeddedEntity(id=SEED.CONTACT_IVAN, is_main=True),
                                        EmbeddedEntity(id=SEED.CONTACT_MARIA)]),
    )


def run(smoke: bool = False) -> list[Row]:
    n_page = 20 if smoke else PAGE
    data = _page(n_page)
    rounds, min_time = (3, 0.02) if smoke else (9, 0.3)
    typed = decoder_for(wrapper_type(list[Lead], ("_embedded", "leads"), paged=True))
    plain = msgspec.json.Decoder()
    p_page = pydantic.TypeAdapter(PPage)

    leads: list[Lead] = typed.decode(data).v.v
    n = len(leads)
    assert n >= n_page, n  # the seeded account holds a couple of leads of its own
    p_leads = p_page.validate_json(data).embedded.leads  # type: ignore[union-attr]
    assert p_leads[-1].id == leads[-1].id and p_leads[-1].embedded.contacts  # type: ignore[union-attr]
    assert leads[-1].custom_fields_values and leads[-1].embedded and leads[-1].embedded.contacts

    dec = measure_together({
        "typed": lambda: typed.decode(data),
        "floor": lambda: plain.decode(data),
        "pydantic": lambda: p_page.validate_json(data),
    }, rounds=rounds, min_time=min_time)
    t_typed, t_floor, t_pyd = dec["typed"], dec["floor"], dec["pydantic"]

    # save bodies: what client.v4.leads.save() sends for one chunk, as bytes
    encoder = msgspec.json.Encoder()
    created = [new_lead(i) for i in range(min(BATCH, n))]
    updated = leads[: min(BATCH, n)]
    mark_clean(updated)  # as read through the client
    for i, lead in enumerate(updated):
        lead.price = 5000 + i
        lead.status_id = SEED.STATUS_MAIN_NEW

    def body_of(objects: list[Lead]) -> bytes:
        chunks = plan(objects, write_lead, len(objects), string_request_ids=PROFILE.string_request_ids,
                      checker=check_lead, what="leads.save(objects)", partial=FIELD_MAP[Lead])
        [(_method, body, _entries)] = PROFILE.write_requests(chunks[0].entries)
        return encoder.encode(body)

    def create() -> bytes:
        return body_of(created)

    def update() -> bytes:
        return body_of(updated)

    create_body = msgspec.json.decode(create())
    update_body = msgspec.json.decode(update())
    assert create_body[0]["custom_fields_values"] and create_body[0]["_embedded"]["contacts"], create_body[0]
    assert set(update_body[0]) == {"id", "price", "status_id"}, update_body[0]
    enc = measure_together({
        "create": create,
        "create_floor": lambda: encoder.encode(create_body),
        "update": update,
        "update_floor": lambda: encoder.encode(update_body),
    }, rounds=rounds, min_time=min_time)

    per = 1e6 / n
    per_c, per_u = 1e6 / len(created), 1e6 / len(updated)
    kb = len(data) / n / 1024
    t_c, t_cf, t_u, t_uf = enc["create"], enc["create_floor"], enc["update"], enc["update_floor"]
    return [
        Row("1 cpu", f"v4: decode a {n}-lead page ({kb:.1f} KB each, custom fields, tags, contacts) into Lead",
            t_typed.median * per, "µs/lead", "msgspec -> dicts (floor)", t_floor.median * per, "lower",
            "<= 1.5x floor", t_typed.median <= 1.5 * t_floor.median, f"typed {t_typed}; floor {t_floor}"),
        Row("1 cpu", "  v4: same vs pydantic v2 validate_json", t_typed.median * per, "µs/lead", "pydantic v2",
            t_pyd.median * per, "lower", ">= 5x faster", t_pyd.median >= 5 * t_typed.median, f"pydantic {t_pyd}"),
        Row("1 cpu", f"v4: build + encode a {len(created)}-lead create body (write rules + JSON)",
            t_c.median * per_c, "µs/lead", "msgspec encode of the finished body (floor)", t_cf.median * per_c,
            "lower", "", None, f"sdk {t_c}; floor {t_cf}; {len(encoder.encode(create_body)) // len(created)} "
            "B/lead; leads built by the caller: every field type-checked"),
        Row("1 cpu", f"v4: build + encode a {len(updated)}-lead partial update body (2 fields changed)",
            t_u.median * per_u, "µs/lead", "msgspec encode of the finished body (floor)", t_uf.median * per_u,
            "lower", "", None, f"sdk {t_u}; floor {t_uf}; leads read through the client: only the changed "
            "fields checked and sent"),
    ]
