"""Benchmark 2: wire utilisation under the rate limit -- iterate and save against a slow, limited sandbox.

The sandbox adds fixed latency to every request and limits to 7 req/s (token bucket). The SDK
client (default ``prefetch=3``: 500-lead pages take ~0.3-0.4 s here with the sandbox busy, so at
least 3 requests must be in flight; 1 reaches ~0.75 of the limit, 2 ~0.93-0.97 --, default ``save_workers=3``, LocalThrottle 7/s) iterates every lead and
saves new ones; a seed-like baseline client runs the same jobs in the same run: one request at a
time, starts spaced 1/7 s apart, a new connection per request.

The same run does it through API v4 as well (the same leads, 250 per page following ``_links.next``;
new leads created 250 per request) and exports leads with their contacts (:mod:`bench.wire_v4`).

The figure is the request rate the server saw, ``(n - 1) / (last arrival - first arrival)`` from the
sandbox's log, as a share of the limit. The note adds the caller's wall time against the least
possible, ``(n - 1) / limit + one round trip``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3

from amocrm import AmoClient
from amocrm.sandbox import SEED, SandboxProcess
from amocrm.testing import client_for
from amocrm.v2.models import CustomField, CustomFieldValue, Lead

from . import wire_v4
from ._common import Row, lead_write_item

__all__ = ["run", "SeedLikeClient"]


@dataclass
class Job:
    requests: int
    seconds: float
    items: int
    #: arrival times at the server (log time minus the time spent serving)
    arrivals: list[float]
    round_trip: float

    @property
    def rate(self) -> float:
        """Requests per second as the server saw them."""
        span = self.arrivals[-1] - self.arrivals[0]
        return (len(self.arrivals) - 1) / span if span > 0 else 0.0

    def wall(self, limit: float) -> str:
        least = (self.requests - 1) / limit + self.round_trip
        return f"{self.requests} req, wall {self.seconds:.2f}s (least possible {least:.2f}s)"


class SeedLikeClient:
    """What the PHP seed does: sequential requests, 1/rate spacing of starts, a new connection each time."""

    def __init__(self, base_url: str, token: str, rate: float) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        self.interval = 1.0 / rate
        self.last_start = 0.0
        self.requests = 0

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        wait = self.last_start + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last_start = time.monotonic()
        http = urllib3.PoolManager(retries=False)  # a new connection per request, like curl_init per call
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = self.headers if body is None else {**self.headers, "Content-Type": "application/json"}
            r = http.request(method, self.base_url + path, body=data, headers=headers)
        finally:
            http.clear()
        self.requests += 1
        if r.status == 204:
            return None
        if r.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {r.status}")
        return json.loads(r.data)

    def iterate(self, page_size: int) -> int:
        count, offset = 0, 0
        while True:
            page = self._request("GET", f"/api/v2/leads?limit_rows={page_size}&limit_offset={offset}")
            items = page["_embedded"]["items"] if page else []
            count += len(items)
            if len(items) < page_size:
                return count
            offset += page_size

    def save(self, items: list[dict[str, Any]], batch: int) -> int:
        for start in range(0, len(items), batch):
            self._request("POST", "/api/v2/leads", {"add": items[start : start + batch]})
        return len(items)


def _new_lead(i: int) -> Lead:
    return Lead(name=f"Новая сделка {i}", sale=i, status_id=SEED.STATUS_MAIN_NEW, tags=[],
                custom_fields=[CustomField(id=SEED.CF_LEAD_TEXT, values=[CustomFieldValue(value=f"text {i}")]),
                               CustomField(id=SEED.CF_LEAD_NUMERIC, values=[CustomFieldValue(value=str(i))])])


def _new_item(i: int) -> dict[str, Any]:
    return {"name": f"Новая сделка {i}", "sale": i, "status_id": SEED.STATUS_MAIN_NEW,
            "custom_fields": [{"id": SEED.CF_LEAD_TEXT, "values": [{"value": f"text {i}"}]},
                              {"id": SEED.CF_LEAD_NUMERIC, "values": [{"value": str(i)}]}]}


def _timed(sb: SandboxProcess, job: Callable[[], int]) -> Job:
    time.sleep(1.2)  # the server's bucket refills: every job starts the same way
    before = len(sb.request_log())
    start = time.perf_counter()
    items = job()
    seconds = time.perf_counter() - start
    log = sb.request_log()[before:]
    arrivals = sorted(e["time"] - e["duration_ms"] / 1000.0 for e in log)
    round_trip = sorted(e["duration_ms"] for e in log)[len(log) // 2] / 1000.0
    return Job(len(log), seconds, items, arrivals, round_trip)


def run(smoke: bool = False) -> list[Row]:
    rate = 50.0 if smoke else 7.0
    latency = 20.0 if smoke else 200.0
    n_iter, page = (600, 50) if smoke else (20_000, 500)
    n_save, batch = (300, 25) if smoke else (10_000, 250)
    page4, batch4 = (25, 25) if smoke else (250, 250)  # the v4 caps
    # The server runs in its own interpreter: in-process, its page serialisation would compete with
    # the client for one GIL. It is seeded through the API under the same limit (about 6 s).
    with SandboxProcess(rate_limit=rate, latency_ms=latency, seed=False) as sb:
        sdk: AmoClient = client_for(sb, auth="token", throttle=rate)  # type: ignore[arg-type]
        for start in range(0, n_iter, 500):
            sdk.request("POST", "/api/v2/leads", json={"add": [lead_write_item(i) for i in
                                                               range(start, min(n_iter, start + 500))]})
        base = SeedLikeClient(sb.base_url, sb.issue_tokens()["access_token"], rate)

        def sdk_iter() -> int:
            return sum(1 for _ in sdk.v2.leads.list(page_size=page))

        it_sdk = _timed(sb, sdk_iter)
        it_base = _timed(sb, lambda: base.iterate(page))
        # the same leads through API v4: 250 per page (its cap), _links.next paging
        base4 = wire_v4.SeedLikeV4(sb.base_url, sb.issue_tokens()["access_token"], rate)
        it4_sdk = _timed(sb, lambda: sum(1 for _ in sdk.v4.leads.list(page_size=page4)))
        it4_base = _timed(sb, lambda: base4.iterate(page4))
        leads = [_new_lead(i) for i in range(n_save)]
        sv_sdk = _timed(sb, lambda: len(sdk.v2.leads.save(leads, batch_size=batch)))
        sv_base = _timed(sb, lambda: base.save([_new_item(i) for i in range(n_save)], batch))
        leads4 = [wire_v4.new_lead(i) for i in range(n_save)]
        sv4_sdk = _timed(sb, lambda: len(sdk.v4.leads.save(leads4, batch_size=batch4)))
        sv4_base = _timed(sb, lambda: base4.save([wire_v4.new_item(i) for i in range(n_save)], batch4))
        counters = sb.counters()
        stats = sdk.v2.leads.stats
        stats4 = sdk.v4.leads.stats
        sdk.close()
    assert it_sdk.items == it_base.items == n_iter, (it_sdk, it_base)
    assert it4_sdk.items == it4_base.items == n_iter, (it4_sdk, it4_base)
    assert all(isinstance(lead.id, int) for lead in leads)
    assert all(isinstance(lead.id, int) for lead in leads4)
    limited = counters["rate_limited"] + counters["blocked"]
    rows = []
    for what, job, baseline in (("iterate", it_sdk, it_base), ("save", sv_sdk, sv_base),
                                ("v4: iterate", it4_sdk, it4_base), ("v4: save", sv4_sdk, sv4_base)):
        size = {"iterate": f"{n_iter:,} leads, {page}/page", "save": f"{n_save:,} leads, {batch}/request",
                "v4: iterate": f"{n_iter:,} v4 leads, {page4}/page, _links.next",
                "v4: save": f"{n_save:,} new v4 leads, {batch4}/request"}[what]
        rows.append(Row(
            "2 wire", f"{what} {size} ({latency:g} ms latency, limit {rate:g}/s): share of limit",
            job.rate / rate, "x limit", "seed-like sequential client", baseline.rate / rate, "higher",
            ">= 0.95, zero 429", job.rate / rate >= 0.95 and limited == 0,
            f"sdk {job.rate:.2f}/s, {job.wall(rate)}; baseline {baseline.rate:.2f}/s, {baseline.wall(rate)}",
        ))
    rows.append(Row("2 wire", "429/403 answers during the whole run", float(limited), "count", target="0",
                    ok=limited == 0, note=f"prefetch={sdk.config.prefetch}: {stats.discarded} page(s) fetched past the end and "
                    f"discarded, {stats.cancelled} cancelled before sending; {stats.chunks} chunks sent concurrently; "
                    f"v4: {stats4.discarded} discarded, {stats4.cancelled} cancelled, {stats4.chunks} chunks"))
    rows.extend(wire_v4.export_rows(smoke, rate, latency))
    return rows
