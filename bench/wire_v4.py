"""Benchmark 2 (API v4): wire utilisation under the rate limit, and exporting leads with their contacts.

Same sandbox and method as :mod:`bench.wire` (fixed latency on every request, 7 req/s token bucket,
the figure is the request rate the server saw as a share of the limit): ``client.v4.leads.list()``
iterates every lead, 250 per page (the v4 cap), following ``_links.next`` with the default
``prefetch``; ``client.v4.leads.save()`` creates new leads in chunks of 250 (``POST``, the chunks
sent concurrently by ``save_workers``). The seed-like baseline does the same jobs in the same run:
one request at a time, starts spaced 1/rate apart, a new connection each time, following
``_links.next`` until a page has none.

Export: N leads (``with=contacts``) and their contacts, looked up by ``filter[id][]`` in pages of
250 ids as the lead pages arrive (each contact once). The request count the server saw must be at
most ceil(N/250) + ceil(distinct contacts/250) + 1; the naive approach (one contacts request per
lead) runs in the same run, and both are compared by requests and wall time.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import urllib3

from amocrm import AmoClient
from amocrm.sandbox import SEED, SandboxProcess
from amocrm.testing import client_for
from amocrm.v4.models import FieldValue, FieldValues, Lead

from ._common import Row

__all__ = ["SeedLikeV4", "export_rows", "export_with_contacts", "naive_export", "new_lead"]


class SeedLikeV4:
    """The seed's way, on v4: sequential requests, 1/rate spacing of starts, a new connection each time."""

    def __init__(self, base_url: str, token: str, rate: float) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        self.interval = 1.0 / rate
        self.last_start = 0.0

    def _request(self, method: str, url: str, body: Any = None) -> Any:
        wait = self.last_start + self.interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last_start = time.monotonic()
        http = urllib3.PoolManager(retries=False)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = self.headers if body is None else {**self.headers, "Content-Type": "application/json"}
            r = http.request(method, url if url.startswith("http") else self.base_url + url, body=data,
                             headers=headers)
        finally:
            http.clear()
        if r.status == 204:
            return None
        if r.status != 200:
            raise RuntimeError(f"{method} {url}: HTTP {r.status}")
        return json.loads(r.data)

    def iterate(self, page_size: int) -> int:
        count = 0
        url: str | None = f"/api/v4/leads?limit={page_size}"
        while url:
            page = self._request("GET", url)
            if not page:
                break
            count += len(page["_embedded"]["leads"])
            url = (page.get("_links") or {}).get("next", {}).get("href")
        return count

    def save(self, items: list[dict[str, Any]], batch: int) -> int:
        for start in range(0, len(items), batch):
            self._request("POST", "/api/v4/leads", items[start : start + batch])
        return len(items)


def new_lead(i: int) -> Lead:
    return Lead(name=f"Новая сделка {i}", price=i, status_id=SEED.STATUS_MAIN_NEW,
                custom_fields_values=[
                    FieldValues(field_id=SEED.CF_LEAD_TEXT, values=[FieldValue(value=f"text {i}")]),
                    FieldValues(field_id=SEED.CF_LEAD_NUMERIC, values=[FieldValue(value=str(i))])])


def new_item(i: int) -> dict[str, Any]:
    return {"name": f"Новая сделка {i}", "price": i, "status_id": SEED.STATUS_MAIN_NEW,
            "custom_fields_values": [{"field_id": SEED.CF_LEAD_TEXT, "values": [{"value": f"text {i}"}]},
                                     {"field_id": SEED.CF_LEAD_NUMERIC, "values": [{"value": str(i)}]}]}


# -- export ---------------------------------------------------------------------------------------

def export_with_contacts(client: AmoClient, per: int) -> tuple[list[Any], dict[int, Any]]:
    """Every lead with its contacts: lead pages with ``with=contacts``; contacts not seen yet are
    queued and fetched ``per`` ids a request (``filter[id][]``) as soon as ``per`` are queued, the
    rest after the last page."""
    v4 = client.v4
    leads: list[Any] = []
    contacts: dict[int, Any] = {}
    queued: list[int] = []
    seen: set[int] = set()

    def lookup(ids: list[int]) -> None:
        for contact in v4.contacts.list(filter={"id": ids}, page_size=per):
            contacts[contact.id] = contact

    for page in v4.leads.list(with_=["contacts"], page_size=per).pages():
        for lead in page.items:
            leads.append(lead)
            for ref in (lead.embedded.contacts or []) if lead.embedded else []:
                if ref.id not in seen:
                    seen.add(ref.id)
                    queued.append(ref.id)
        while len(queued) >= per:
            lookup(queued[:per])
            del queued[:per]
    if queued:
        lookup(queued)
    return leads, contacts


def naive_export(client: AmoClient, per: int) -> tuple[list[Any], dict[int, Any]]:
    """The naive way: the lead pages, then one contacts request per lead."""
    v4 = client.v4
    leads: list[Any] = []
    contacts: dict[int, Any] = {}
    for lead in v4.leads.list(with_=["contacts"], page_size=per):
        leads.append(lead)
        ids = [ref.id for ref in (lead.embedded.contacts or [])] if lead.embedded else []
        if ids:
            for contact in v4.contacts.list(filter={"id": ids}, page_size=per):
                contacts[contact.id] = contact
    return leads, contacts


def _counted(sb: SandboxProcess, job: Callable[[], tuple[list[Any], dict[int, Any]]]) -> tuple[int, float, Any]:
    time.sleep(1.2)  # the bucket refills
    before = len(sb.request_log())
    start = time.perf_counter()
    out = job()
    seconds = time.perf_counter() - start
    return len(sb.request_log()) - before, seconds, out


def export_rows(smoke: bool, rate: float, latency: float) -> list[Row]:
    per = 25 if smoke else 250
    n_leads, n_contacts = (60, 45) if smoke else (300, 450)
    with SandboxProcess(rate_limit=rate, latency_ms=latency, seed=False) as sb:
        client: AmoClient = client_for(sb, auth="token", throttle=rate)  # type: ignore[arg-type]
        ids: list[int] = []
        for start in range(0, n_contacts, per):
            answer = client.request("POST", "/api/v4/contacts", json=[
                {"name": f"Контакт {i}", "first_name": "Контакт", "last_name": str(i)}
                for i in range(start, min(n_contacts, start + per))])
            ids.extend(c["id"] for c in answer["_embedded"]["contacts"])
        for start in range(0, n_leads, per):
            client.request("POST", "/api/v4/leads", json=[
                {"name": f"Сделка {i}", "price": i,
                 "_embedded": {"contacts": [{"id": ids[(2 * i) % n_contacts]}, {"id": ids[(2 * i + 1) % n_contacts]}]}}
                for i in range(start, min(n_leads, start + per))])
        distinct = len({ids[(2 * i + k) % n_contacts] for i in range(n_leads) for k in (0, 1)})
        sdk_count, sdk_wall, (sdk_leads, sdk_contacts) = _counted(sb, lambda: export_with_contacts(client, per))
        stats = client.v4.leads.stats
        discarded, cancelled = stats.discarded, stats.cancelled
        naive_count, naive_wall, (naive_leads, naive_contacts) = _counted(sb, lambda: naive_export(client, per))
        counters = sb.counters()
        client.close()
    assert len(sdk_leads) == len(naive_leads) == n_leads, (len(sdk_leads), len(naive_leads))
    assert len(sdk_contacts) == len(naive_contacts) == distinct, (len(sdk_contacts), len(naive_contacts), distinct)
    bound = math.ceil(n_leads / per) + math.ceil(distinct / per) + 1
    limited = counters["rate_limited"] + counters["blocked"]
    what = f"v4: export {n_leads} leads with their {distinct} contacts ({per}/request, {latency:g} ms latency)"
    return [
        Row("2 wire", f"{what}: requests", float(sdk_count), "requests", "one request per lead (naive)",
            float(naive_count), "lower", f"<= {bound} (ceil(N/{per}) + ceil(contacts/{per}) + 1), zero 429",
            sdk_count <= bound and limited == 0,
            f"prefetch={client.config.prefetch}: {discarded} page(s) fetched past the end and discarded, "
            f"{cancelled} cancelled before sending; 429/403: {limited}"),
        Row("2 wire", "  v4: same, wall time", sdk_wall, "s", "one request per lead (naive)", naive_wall, "lower",
            "", None, f"sdk {sdk_count} req in {sdk_wall:.2f}s; naive {naive_count} req in {naive_wall:.2f}s"),
    ]
