"""Requests per second the sandbox serves on loopback with rate limiting off.

``python bench/sandbox_throughput.py [seconds] [threads]`` prints the figure; the benchmark suite
imports :func:`run`. Each client thread keeps one urllib3 keep-alive connection and alternates a
list read and a small write, so the figure covers routing, auth, JSON and state.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import urllib3

from amocrm.sandbox import SEED, Sandbox, SandboxProcess

__all__ = ["run", "rows", "TARGET_RPS"]

TARGET_RPS = 500.0


def _client(base_url: str, token: str, deadline: float, counts: list[int], errors: list[int], slot: int) -> None:
    http = urllib3.PoolManager(maxsize=1, retries=False, timeout=urllib3.Timeout(connect=5, read=10))
    auth = {"Authorization": f"Bearer {token}"}
    post_headers = {**auth, "Content-Type": "application/json"}
    n = ok_count = bad = 0
    while time.perf_counter() < deadline:
        if n % 4 == 3:
            body = json.dumps({"add": [{"name": f"bench {slot}-{n}"}]}).encode()
            r = http.request("POST", base_url + "/api/v2/contacts", body=body, headers=post_headers)
        else:
            r = http.request("GET", base_url + f"/api/v2/leads?id={SEED.LEAD_FIRST}", headers=auth)
        n += 1
        if r.status == 200:
            ok_count += 1
        else:
            bad += 1
    counts[slot] = ok_count
    errors[slot] = bad


def run(seconds: float = 3.0, threads: int = 4, process: bool = False) -> dict[str, Any]:
    """Drive a fresh sandbox for ``seconds`` with ``threads`` clients; returns the figures.

    ``process=True`` measures :class:`SandboxProcess` (server in its own interpreter, no shared GIL).
    """
    if seconds <= 0 or threads <= 0:
        raise ValueError(f"seconds and threads must be > 0, got {seconds!r}, {threads!r}")
    box: Sandbox | SandboxProcess = SandboxProcess(rate_limit=None) if process else Sandbox(rate_limit=None)
    with box as sb:
        token = sb.issue_tokens()["access_token"]
        counts, errors = [0] * threads, [0] * threads
        start = time.perf_counter()
        deadline = start + seconds
        workers = [threading.Thread(target=_client, args=(sb.base_url, token, deadline, counts, errors, i))
                   for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=seconds + 30)
        elapsed = time.perf_counter() - start
        served = sb.counters()["requests"]
    total = sum(counts)
    return {"requests": total, "errors": sum(errors), "seconds": round(elapsed, 3), "threads": threads,
            "variant": "process" if process else "thread",
            "rps": round(total / elapsed, 1), "server_counted": served, "target_rps": TARGET_RPS,
            "meets_target": total / elapsed >= TARGET_RPS}


def rows(smoke: bool = False) -> list[Any]:
    """Benchmark 6 for ``python -m bench``: in-process and subprocess throughput against the target."""
    from ._common import Row

    seconds = 0.5 if smoke else 3.0
    out = []
    for process in (False, True):
        r = run(seconds, 4, process=process)
        where = "subprocess" if process else "in-process"
        out.append(Row("6 sandbox", f"sandbox {where}, rate limit off, 4 client threads", r["rps"], "req/s",
                       "required", TARGET_RPS, "higher", f">= {TARGET_RPS:g} req/s, no errors",
                       bool(r["meets_target"]) and not r["errors"],
                       f"{r['requests']} requests in {r['seconds']}s, errors {r['errors']}"))
    return out


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    secs = float(args[0]) if args else 3.0
    nthreads = int(args[1]) if len(args) > 1 else 4
    result = run(secs, nthreads, process="--process" in sys.argv)
    print(json.dumps(result))
    sys.exit(0 if result["meets_target"] and not result["errors"] else 1)
