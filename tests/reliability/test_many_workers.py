"""Four processes with the seed-style facade's default settings share one account: every request
succeeds, although the server allows 7 requests a second and its tokens live 3 seconds.

What makes it work, all by default: the throttle is shared by every process of the machine; a 429
is retried within the time budget honouring ``Retry-After``; a refresh answered 429 or 5xx is
retried (its refresh token was not consumed); the token file's lock serialises refreshes.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from amocrm.facade import AmoAPI, FileStorage
from amocrm.sandbox import SEED, Sandbox

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
WORKERS, PER_WORKER = 4, 25


def test_four_processes_with_default_settings_lose_no_request(tmp_path: Path) -> None:
    private_tmp = tmp_path / "tmp"  # the default throttle and lock folders live under the temp dir
    private_tmp.mkdir(mode=0o700)
    tokens, sync = tmp_path / "tokens", tmp_path / "sync"
    sync.mkdir()
    with Sandbox(rate_limit=7.0, token_lifetime=3.0) as sb:
        AmoAPI.token_storage = FileStorage(tokens)
        try:
            AmoAPI.oauth2(sb.subdomain, sb.client_id, sb.client_secret, sb.redirect_uri, sb.mint_code(),
                          base_url=sb.base_url)
        finally:
            AmoAPI.reset()
            AmoAPI.token_storage = FileStorage()
        args = {"tokens": str(tokens), "subdomain": sb.subdomain, "base_url": sb.base_url, "sync": str(sync),
                "n": PER_WORKER, "lead_id": SEED.LEAD_FIRST}
        env = dict(os.environ, PYTHONPATH=str(SRC), TMPDIR=str(private_tmp))
        procs = [subprocess.Popen([sys.executable, str(HERE / "_worker.py"), json.dumps(args)], env=env,
                                  cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(WORKERS)]
        deadline = time.monotonic() + 30
        while len(list(sync.glob("ready-*"))) < WORKERS:
            for p in procs:
                assert p.poll() is None, p.communicate()[1].decode()[-3000:]
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        started = time.monotonic()
        (sync / "go").touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()[-3000:]
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
        took = time.monotonic() - started
        counters = sb.counters()
        paths = collections.Counter(e["path"] for e in sb.request_log())
    assert [r["errors"] for r in results] == [[]] * WORKERS
    assert sum(r["ok"] for r in results) == WORKERS * PER_WORKER
    # 100 requests at 7/s take at least ~14 s; the tokens were refreshed several times meanwhile
    assert took >= (WORKERS * PER_WORKER - 7) / 7.0 - 0.5
    assert counters["blocked"] == 0
    # one refresh per ~3/4 of a token's life for all four processes, not one per request
    assert paths["/oauth2/access_token"] <= took / 2 + 2, paths
    print(f"\n{WORKERS}x{PER_WORKER} requests in {took:.1f}s, 429s: {counters['rate_limited']}, "
          f"by status: {counters['by_status']}, paths: {dict(paths)}")


def test_a_token_shorter_lived_than_the_refresh_margin_is_not_refreshed_on_every_call() -> None:
    """The early-refresh margin (60 s by default) is capped at a quarter of the token's lifetime."""
    from amocrm.testing import client_for

    with Sandbox(rate_limit=None, token_lifetime=8.0) as sb:
        client = client_for(sb)  # OAuth2, default refresh_margin
        for _ in range(10):
            client.account.get()
        assert sb.counters()["refreshes"] == 0
        client.close()
