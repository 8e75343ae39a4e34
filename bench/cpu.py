"""Benchmark 1: CPU per entity -- decode a 500-lead v2 page into typed models, encode a 250-lead save.

(The API v4 rows, a 250-lead v4 page and v4 create/update bodies, are in :mod:`bench.cpu_v4`.)

The page is the sandbox's own serialisation of leads with every lead custom-field kind, tags,
contacts and a company (about 1.8 KB of JSON per lead). Baselines, timed in the same run:
msgspec into plain dicts (the floor), ``json.loads``/``json.dumps``, and pydantic v2 models of the
same shape (``TypeAdapter.validate_json`` / ``dump_json``), what most Python peers use. The
variants are timed round-robin (see ``measure_together``) so that other load on the machine hits
all of them alike; medians of the rounds, spread as noise.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import msgspec
import pydantic

from amocrm import AmoClient
from amocrm._core.response import wrapper_type
from amocrm._core.save import plan
from amocrm._core.wire import decoder_for
from amocrm.sandbox import Sandbox
from amocrm.v2 import PROFILE
from amocrm.v2.models import Lead
from amocrm.v2.writes import check_lead, write_lead

from . import cpu_v4
from ._common import Row, fetch_page_bytes, measure_together, seed_leads

__all__ = ["run"]

PAGE = 500
BATCH = 250


# -- pydantic v2 models of the same shape (PHP placeholders accepted as unions, like ours) --------

class PLink(pydantic.BaseModel):
    href: str | None = None
    method: str | None = None


class PLinks(pydantic.BaseModel):
    self: PLink | None = None


class PValue(pydantic.BaseModel):
    value: str | int | float | bool | dict[str, Any] | None = None
    enum: str | int | None = None
    subtype: str | None = None


class PField(pydantic.BaseModel):
    id: int | None = None
    name: str | None = None
    code: str | None = None
    values: list[PValue | int] = []
    is_system: bool | None = None


class PTag(pydantic.BaseModel):
    id: int | None = None
    name: str | None = None


class PLinkedEntity(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    id: int | None = None
    name: str | None = None
    links: PLinks | None = pydantic.Field(default=None, alias="_links")


class PLinkedIds(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    id: list[int] = []
    links: PLinks | None = pydantic.Field(default=None, alias="_links")


class PLead(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    id: int | None = None
    name: str | None = None
    responsible_user_id: int | None = None
    created_by: int | None = None
    created_at: int | None = None
    updated_at: int | None = None
    account_id: int | None = None
    updated_by: int | None = None
    group_id: int | None = None
    is_deleted: bool | None = None
    main_contact: PLinkedEntity | list[Any] | None = None
    company: PLinkedEntity | list[Any] | None = None
    closed_at: int | None = None
    closest_task_at: int | None = None
    tags: list[PTag] | dict[str, PTag] = []
    custom_fields: list[PField] | dict[str, PField] = []
    contacts: PLinkedIds | list[Any] | None = None
    status_id: int | None = None
    sale: int | None = None
    pipeline_id: int | None = None
    pipeline: PLinkedEntity | list[Any] | None = None
    loss_reason_id: int | None = None
    links: PLinks | None = pydantic.Field(default=None, alias="_links")


class PEmbedded(pydantic.BaseModel):
    items: list[PLead] = []


class PPage(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    embedded: PEmbedded | list[Any] = pydantic.Field(default_factory=list, alias="_embedded")
    links: dict[str, Any] | list[Any] = pydantic.Field(default_factory=dict, alias="_links")


def _page(smoke: bool) -> bytes:
    with Sandbox(rate_limit=None, seed=False) as sb:
        seed_leads(sb, 20 if smoke else PAGE)
        return fetch_page_bytes(sb, PAGE)


def run(smoke: bool = False) -> list[Row]:
    rows = _v2(smoke)
    gc.collect()  # the v2 figures' objects are gone before the v4 ones are timed (no heap carried over)
    return rows + cpu_v4.run(smoke)


def _v2(smoke: bool) -> list[Row]:
    data = _page(smoke)
    rounds, min_time = (3, 0.02) if smoke else (9, 0.3)
    page_type = wrapper_type(list[Lead], ("_embedded", "items"), paged=True)
    typed = decoder_for(page_type)
    plain = msgspec.json.Decoder()
    p_page = pydantic.TypeAdapter(PPage)

    page = typed.decode(data)
    leads: list[Lead] = page.v.v
    n = len(leads)
    assert n == (20 if smoke else PAGE), n
    assert p_page.validate_json(data).embedded.items[-1].id == leads[-1].id  # type: ignore[union-attr]

    dec = measure_together({
        "typed": lambda: typed.decode(data),
        "floor": lambda: plain.decode(data),
        "json": lambda: json.loads(data),
        "pydantic": lambda: p_page.validate_json(data),
    }, rounds=rounds, min_time=min_time)
    t_typed, t_floor, t_json, t_pyd = dec["typed"], dec["floor"], dec["json"], dec["pydantic"]

    # encode: the body save() sends for a chunk of updates (write rules applied), as bytes
    client = AmoClient("bench", base_url="http://127.0.0.1:9", throttle=None)
    resource = client.v2.leads
    chunk = leads[: min(BATCH, n)]
    encoder = msgspec.json.Encoder()

    def sdk_encode() -> bytes:
        chunks = plan(chunk, write_lead, len(chunk), string_request_ids=False, checker=check_lead)
        resource._stamp(chunks)
        _method, body, _entries = PROFILE.write_requests(chunks[0].entries)[0]
        return encoder.encode(body)

    body = msgspec.json.decode(sdk_encode())
    p_leads = pydantic.TypeAdapter(list[PLead])
    p_chunk = p_leads.validate_python([msgspec.to_builtins(x) for x in chunk])
    enc = measure_together({
        "sdk": sdk_encode,
        "typed": lambda: encoder.encode(chunk),
        "floor": lambda: encoder.encode(body),
        "json": lambda: json.dumps(body, ensure_ascii=False).encode(),
        "pydantic": lambda: p_leads.dump_json(p_chunk, exclude_none=True, by_alias=True),
    }, rounds=rounds, min_time=min_time)
    t_enc, t_enc_floor, t_enc_json, t_enc_pyd = enc["sdk"], enc["floor"], enc["json"], enc["pydantic"]
    t_enc_typed = enc["typed"]
    client.close()

    per = 1e6 / n
    per_enc = 1e6 / len(chunk)
    kb = len(data) / n / 1024
    rows = [
        Row("1 cpu", f"decode {n} leads ({kb:.1f} KB each) into Lead", t_typed.median * per, "µs/lead",
            "msgspec -> dicts (floor)", t_floor.median * per, "lower", "<= 1.5x floor",
            t_typed.median <= 1.5 * t_floor.median, f"typed {t_typed}; floor {t_floor}"),
        Row("1 cpu", "  same vs json.loads", t_typed.median * per, "µs/lead",
            "json.loads", t_json.median * per, "lower", "", None, f"json.loads {t_json}"),
        Row("1 cpu", "  same vs pydantic v2 validate_json", t_typed.median * per, "µs/lead",
            "pydantic v2", t_pyd.median * per, "lower", ">= 5x faster",
            t_pyd.median >= 5 * t_typed.median, f"pydantic {t_pyd}"),
        Row("1 cpu", f"encode {len(chunk)} typed leads to JSON (what pydantic's dump_json does)",
            t_enc_typed.median * per_enc, "µs/lead", "pydantic v2 dump_json", t_enc_pyd.median * per_enc, "lower",
            ">= 5x faster", t_enc_pyd.median >= 5 * t_enc_typed.median, f"sdk {t_enc_typed}; pydantic {t_enc_pyd}"),
        Row("1 cpu", f"build + encode a {len(chunk)}-lead save body (write rules + JSON)", t_enc.median * per_enc,
            "µs/lead", "msgspec encode of the finished dicts (floor)", t_enc_floor.median * per_enc, "lower",
            "<= 3x floor", t_enc.median <= 3 * t_enc_floor.median, f"sdk {t_enc}; floor {t_enc_floor}"),
        Row("1 cpu", "  same vs json.dumps of the finished dicts", t_enc.median * per_enc, "µs/lead",
            "json.dumps", t_enc_json.median * per_enc, "lower", "", None, f"json.dumps {t_enc_json}"),
        Row("1 cpu", "  same vs pydantic v2 dump_json (no write rules)", t_enc.median * per_enc, "µs/lead",
            "pydantic v2", t_enc_pyd.median * per_enc, "lower", "", None,
            f"pydantic {t_enc_pyd}; pydantic only serialises, the save body also drops read-only keys "
            "and renames links"),
    ]
    return rows
