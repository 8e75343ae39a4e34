"""Benchmark 4: iterating many entities keeps the client's peak RSS flat.

The sandbox (rate limit off, simple leads) runs in this process; each size is iterated by a fresh
child interpreter that keeps nothing and reports its own peak RSS (``VmHWM``), so the figure is
the client's memory alone. The baseline is the smaller size in the same run.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from amocrm.sandbox import Sandbox

from ._common import Row, seed_leads

__all__ = ["run", "child"]

ROOT = Path(__file__).resolve().parents[1]


def child(args: dict[str, Any]) -> None:
    """Iterate ``limit`` leads with the default client; print the count and the peak RSS in KiB."""
    from amocrm import AmoClient, LongLivedToken

    token = sys.stdin.readline().strip()
    client = AmoClient("sandbox", base_url=args["base_url"], auth=LongLivedToken(token), throttle=None)
    count = 0
    for _lead in client.v2.leads.list():
        count += 1
        if count >= args["limit"]:
            break
    client.close()
    print(json.dumps({"count": count, "peak_kib": _peak_kib()}))


def _peak_kib() -> int:
    """This process's peak RSS. ``VmHWM`` belongs to the address space exec created; ``ru_maxrss`` does
    not: Linux carries the parent's peak at fork time over, here the sandbox's 100k-lead store."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _measure(base_url: str, token: str, limit: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-m", "bench.memory", json.dumps({"base_url": base_url, "limit": limit})],
                          input=token.encode() + b"\n", capture_output=True, env=env, cwd=ROOT, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"memory child failed: {proc.stderr.decode()[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def run(smoke: bool = False) -> list[Row]:
    small, large = (500, 5_000) if smoke else (10_000, 100_000)
    with Sandbox(rate_limit=None, seed=False) as sb:
        seed_leads(sb, large, rich=False)
        token = sb.issue_tokens()["access_token"]
        a = _measure(sb.base_url, token, small)
        b = _measure(sb.base_url, token, large)
    assert (a["count"], b["count"]) == (small, large), (a, b)
    ratio = b["peak_kib"] / a["peak_kib"]
    return [Row("4 memory", f"peak RSS iterating {large:,} leads (child process)", b["peak_kib"] / 1024, "MiB",
                f"{small:,} leads", a["peak_kib"] / 1024, "lower", "flat (<= 1.10x)", ratio <= 1.10,
                f"{a['peak_kib'] / 1024:.1f} MiB at {small:,}, {b['peak_kib'] / 1024:.1f} MiB at {large:,}")]


if __name__ == "__main__":
    child(json.loads(sys.argv[1]))
