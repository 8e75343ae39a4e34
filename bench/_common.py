"""Shared pieces of the benchmarks: result rows, timing with medians and noise, realistic lead data."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3

from amocrm.sandbox import SEED, Sandbox
from amocrm.sandbox.entities import create_entity

__all__ = ["Row", "Timing", "fetch_page_bytes", "fetch_v4_page_bytes", "lead_write_item", "measure",
           "measure_together", "seed_leads"]


@dataclass
class Row:
    """One line of the results table: a figure, its baseline from the same run, and the target."""

    bench: str
    metric: str
    value: float
    unit: str
    baseline_name: str = ""
    baseline: float | None = None
    #: "higher" when a bigger value is better (rates), "lower" for costs (time, memory).
    better: str = "lower"
    target: str = ""
    ok: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """value / baseline (for "lower" rows: how many times the baseline's cost this costs)."""
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline


@dataclass
class Timing:
    """Seconds per call: median over rounds, and the spread (max-min)/median as noise."""

    median: float
    noise: float
    rounds: int

    def __str__(self) -> str:
        return f"{self.median * 1e3:.3f} ms ±{self.noise * 100:.0f}%"


def measure(call: Callable[[], Any], *, rounds: int = 7, min_time: float = 0.2, warmup: int = 2) -> Timing:
    """Time ``call``: warm up, pick a loop count filling ``min_time``, then ``rounds`` timed loops."""
    for _ in range(warmup):
        call()
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        took = time.perf_counter() - start
        if took >= min_time / 4 or loops >= 1 << 20:
            break
        loops *= 2
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        samples.append((time.perf_counter() - start) / loops)
    med = statistics.median(samples)
    return Timing(med, (max(samples) - min(samples)) / med if med else 0.0, rounds)


def measure_together(
    calls: dict[str, Callable[[], Any]], *, rounds: int = 9, min_time: float = 0.2
) -> dict[str, Timing]:
    """Time several calls round-robin: each round times every call once, so load from other
    processes on a shared machine hits all of them alike and their ratios stay meaningful.

    The garbage collector stays on, but the objects alive before timing (modules, fixtures, the
    earlier benchmarks' leftovers) are frozen out of its scans: each call pays for collecting what
    it allocates itself, not for the size of this process's heap."""
    gc.collect()
    gc.freeze()
    try:
        return _round_robin(calls, rounds, min_time)
    finally:
        gc.unfreeze()


def _round_robin(calls: dict[str, Callable[[], Any]], rounds: int, min_time: float) -> dict[str, Timing]:
    loops: dict[str, int] = {}
    for name, call in calls.items():
        for _ in range(2):
            call()
        n = 1
        while True:
            start = time.perf_counter()
            for _ in range(n):
                call()
            if time.perf_counter() - start >= min_time / 4 or n >= 1 << 20:
                break
            n *= 2
        loops[name] = n
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            n = loops[name]
            start = time.perf_counter()
            for _ in range(n):
                call()
            samples[name].append((time.perf_counter() - start) / n)
    out = {}
    for name, values in samples.items():
        med = statistics.median(values)
        out[name] = Timing(med, (max(values) - min(values)) / med if med else 0.0, rounds)
    return out


def lead_write_item(i: int) -> dict[str, Any]:
    """A lead in the API write format with every kind of lead custom field, tags and links."""
    return {
        "name": f"Сделка №{i} с довольно длинным названием",
        "sale": 1000 + i,
        "status_id": SEED.STATUS_MAIN_PROGRESS,
        "pipeline_id": SEED.PIPELINE_MAIN,
        "responsible_user_id": SEED.USER_MANAGER,
        "tags": f"vip,bench,batch-{i % 7}",
        "contacts_id": [SEED.CONTACT_IVAN, SEED.CONTACT_MARIA],
        "company_id": SEED.COMPANY_ACME,
        "custom_fields": [
            {"id": SEED.CF_LEAD_TEXT, "values": [{"value": f"Комментарий к сделке {i}: перезвонить в пятницу"}]},
            {"id": SEED.CF_LEAD_SELECT, "values": [{"value": SEED.enum_id(SEED.CF_LEAD_SELECT, 1 + i % 3)}]},
            {"id": SEED.CF_LEAD_MULTISELECT, "values": [SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 1),
                                                        SEED.enum_id(SEED.CF_LEAD_MULTISELECT, 3)]},
            {"id": SEED.CF_LEAD_ADDRESS, "values": [
                {"value": "ул. Ленина, д. 1", "subtype": "address_line_1"},
                {"value": "Москва", "subtype": "city"},
                {"value": "101000", "subtype": "zip"},
                {"value": "RU", "subtype": "country"}]},
            {"id": SEED.CF_LEAD_DATE, "values": [{"value": "2024-05-17"}]},
            {"id": SEED.CF_LEAD_NUMERIC, "values": [{"value": str(i * 3)}]},
        ],
    }


def seed_leads(sb: Sandbox, count: int, *, rich: bool = True) -> None:
    """Store ``count`` leads straight into an in-process sandbox (its own validation, no HTTP)."""
    core = sb.core
    with core.lock:
        for i in range(count):
            item = lead_write_item(i) if rich else {"name": f"lead {i}", "sale": i}
            create_entity(core.store, "leads", item)


def _get_bytes(sb: Sandbox, path: str) -> bytes:
    """The raw 200 body of ``GET path`` from the sandbox (its own serialisation)."""
    token = sb.issue_tokens()["access_token"]
    http = urllib3.PoolManager(retries=False)
    try:
        r = http.request("GET", sb.base_url + path, headers={"Authorization": f"Bearer {token}"})
    finally:
        http.clear()
    if r.status != 200:
        raise RuntimeError(f"sandbox answered {r.status} to GET {path}")
    return bytes(r.data)


def fetch_page_bytes(sb: Sandbox, size: int) -> bytes:
    """The raw body of ``GET /api/v2/leads?limit_rows=size``: the sandbox's own serialisation."""
    return _get_bytes(sb, f"/api/v2/leads?limit_rows={size}")


def fetch_v4_page_bytes(sb: Sandbox, size: int, query: str = "with=contacts") -> bytes:
    """The raw body of ``GET /api/v4/leads?limit=size&<query>``: the sandbox's v4 serialisation
    (``custom_fields_values``, ``_embedded`` tags, companies and, with ``with=contacts``, contacts)."""
    return _get_bytes(sb, f"/api/v4/leads?limit={size}&{query}")
