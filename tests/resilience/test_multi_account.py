"""Issue 4: several accounts in one process -- two sandboxes, two clients, interleaved calls.

The clients share one token folder and one throttle file: both are keyed by account, so tokens
never mix and each account gets its own 7 req/s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from amocrm.auth import OAuth2
from amocrm.client import AmoClient
from amocrm.errors import AmoError
from amocrm.models import Lead
from amocrm.retry import NO_RETRY
from amocrm.sandbox import SEED, Sandbox
from amocrm.throttle import FileThrottle
from amocrm.tokens import FileTokenStorage

from .conftest import Guard

RATE = 7.0
CALLS = 15


def test_two_accounts_interleaved(make_sandbox: Callable[..., Sandbox], tmp_path: Path, guard: Guard) -> None:
    boxes = [make_sandbox(subdomain=name, rate_limit=RATE, token_lifetime=2.0) for name in ("alpha", "beta")]
    storage = FileTokenStorage(tmp_path / "tokens")  # one folder for both accounts
    throttle = FileThrottle(RATE, tmp_path / "throttle.json")  # one throttle, keyed by account domain
    clients = [
        AmoClient(sb.subdomain, base_url=sb.base_url, throttle=throttle, retry=NO_RETRY, timeout=5,
                  auth=OAuth2(sb.client_id, sb.client_secret, sb.redirect_uri, storage=storage, code=sb.mint_code(),
                              refresh_margin=0.4))
        for sb in boxes
    ]
    errors: list[AmoError] = []
    made: dict[str, list[int]] = {"alpha": [], "beta": []}

    def work(client: AmoClient) -> None:
        for i in range(CALLS):
            try:
                if i % 3 == 0:
                    lead = Lead(name=f"{client.subdomain}-{i}")
                    client.leads.save(lead)
                    made[client.subdomain].append(int(lead.id))  # type: ignore[arg-type]
                else:
                    client.leads.get(SEED.LEAD_FIRST)
            except AmoError as exc:
                errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    took = time.monotonic() - started
    for exc in errors:
        guard.exc(exc)
    assert errors == []
    for sb, client in zip(boxes, clients, strict=True):
        counters = sb.counters()
        assert counters["rate_limited"] == 0  # each account kept to its own 7 req/s
        assert counters["code_exchanges"] == 1 and counters["refreshes"] >= 1  # tokens rotated per account
        names = sorted(str(e["name"]) for e in sb.entities("leads") if str(e["name"]).startswith(("alpha", "beta")))
        assert names == sorted(f"{sb.subdomain}-{i}" for i in range(0, CALLS, 3))  # nothing went to the other one
        tokens = storage.load(client.domain)
        assert tokens is not None and tokens.access_token in sb.core.auth.access_tokens
        client.close()
    assert storage.load("alpha.amocrm.ru") != storage.load("beta.amocrm.ru")
    # Each account had its own 7 req/s: one shared budget would need >= 2 * (CALLS + 1) / RATE = 4.6 s.
    assert took < 4.0, took
    print(f"\n[two accounts] {2 * CALLS} interleaved calls in {took:.2f}s; "
          f"refreshes alpha {boxes[0].counters()['refreshes']}, beta {boxes[1].counters()['refreshes']}")
