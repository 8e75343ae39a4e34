"""Benchmark 5: cold import time of ``amocrm`` against its two runtime dependencies.

Each statement runs in a fresh interpreter (``-c``) that times only the import with
``perf_counter``; several runs, median. The baseline is ``import urllib3, msgspec``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

from ._common import Row

__all__ = ["run"]

ROOT = Path(__file__).resolve().parents[1]
_PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def _median(stmt: str, runs: int) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    samples = []
    for _ in range(runs + 1):  # the first run warms the OS file cache and writes .pyc files
        out = subprocess.run([sys.executable, "-c", _PROBE.format(stmt=stmt)], capture_output=True, env=env,
                             check=True, timeout=60).stdout
        samples.append(float(out))
    samples = samples[1:]
    med = statistics.median(samples)
    return med, (max(samples) - min(samples)) / med


def run(smoke: bool = False) -> list[Row]:
    runs = 3 if smoke else 11
    base, base_noise = _median("import urllib3, msgspec", runs)
    rows = []
    for stmt in ("import amocrm", "from amocrm import AmoClient"):
        t, noise = _median(stmt, runs)
        rows.append(Row("5 import", f"cold `{stmt}` (median of {runs})", t * 1e3, "ms", "import urllib3, msgspec",
                        base * 1e3, "lower", "", None,
                        f"±{noise * 100:.0f}%; baseline {base * 1e3:.1f} ms ±{base_noise * 100:.0f}%"))
    return rows
