"""Benchmark 3: four worker processes share one machine-wide limiter (FileThrottle) against the limit.

Each worker is a fresh interpreter with its own ``AmoClient`` whose throttle is a ``FileThrottle``
on one shared file; all start together and read small pages. The figure is the aggregate rate the
server saw, ``(n - 1) / (last arrival - first arrival)``, as a share of the limit; the baseline is
one process alone with the same throttle, measured in the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from amocrm.sandbox import SandboxProcess

from ._common import Row

__all__ = ["run", "worker"]

ROOT = Path(__file__).resolve().parents[1]


def worker(args: dict[str, Any]) -> None:
    """One process: wait for the common start, then ``n`` list requests through the file throttle."""
    from amocrm import AmoClient, LongLivedToken
    from amocrm.throttle import FileThrottle

    token = sys.stdin.readline().strip()  # a secret: never on the command line
    client = AmoClient(args["subdomain"], base_url=args["base_url"], auth=LongLivedToken(token),
                       throttle=FileThrottle(args["rate"], args["path"]))
    client.config.prefetch = 0
    delay = args["start"] - time.time()
    if delay > 0:
        time.sleep(delay)
    for _ in range(args["n"]):
        client.v2.leads.list(page_size=10)
    client.close()
    print(json.dumps({"done": args["n"]}))


def _spawn(args: dict[str, Any], token: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-m", "bench.processes", json.dumps(args)], env=env, cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(token.encode() + b"\n")
    proc.stdin.flush()
    return proc


def _round(sb: SandboxProcess, workers: int, per_worker: int, rate: float, path: str) -> tuple[float, int]:
    time.sleep(1.2)  # full bucket at the start of every round
    token = sb.issue_tokens(lifetime=3600)["access_token"]
    before = len(sb.request_log())
    start = time.time() + 1.5  # interpreters start in well under that
    procs = [_spawn({"base_url": sb.base_url, "subdomain": sb.subdomain, "rate": rate, "path": path,
                     "n": per_worker, "start": start}, token) for _ in range(workers)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        if p.returncode != 0:
            raise RuntimeError(f"worker failed: {err.decode()[-2000:]}")
    log = sb.request_log()[before:]
    arrivals = sorted(e["time"] - e["duration_ms"] / 1000.0 for e in log)
    return (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), len(arrivals)


def run(smoke: bool = False) -> list[Row]:
    rate = 40.0 if smoke else 7.0
    per_worker = 4 if smoke else 15
    with SandboxProcess(rate_limit=rate) as sb, tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "throttle.json")
        alone, n_alone = _round(sb, 1, per_worker, rate, path)
        shared, n_shared = _round(sb, 4, per_worker, rate, path)
        counters = sb.counters()
    limited = counters["rate_limited"] + counters["blocked"]
    share = shared / rate
    return [Row("3 processes", f"4 processes x {per_worker} requests, one FileThrottle: share of limit {rate:g}/s",
                share, "x limit", "1 process, same throttle", alone / rate, "higher", "0.90-1.00 (+2% arrival jitter), zero 429",
                0.90 <= share <= 1.02 and limited == 0,
                f"{n_shared} requests at {shared:.2f}/s; alone {n_alone} at {alone:.2f}/s; 429/403: {limited}")]


if __name__ == "__main__":
    worker(json.loads(sys.argv[1]))
