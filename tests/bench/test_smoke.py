"""Every benchmark runs end to end at tiny sizes (``python -m bench --smoke``), so none can rot.

Speed targets are not asserted here (tiny sizes on a shared machine are noise); what must hold at
any size is: every benchmark yields its figures with a baseline, and no request hit the limit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.__main__ import BENCHMARKS, main, table  # noqa: E402
from bench._common import Row  # noqa: E402


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    main(["--smoke", "--out", str(out)])
    return out.read_text(encoding="utf-8")


def test_smoke_run_reports_every_benchmark(results: str) -> None:
    assert "- machine: " in results and "- command: `python -m bench --smoke" in results
    for prefix in ("| 1 cpu |", "| 2 wire |", "| 3 processes |", "| 4 memory |", "| 5 import |", "| 6 sandbox |"):
        assert prefix in results, prefix
    assert len(BENCHMARKS) == 6


def test_smoke_run_covers_api_v4(results: str) -> None:
    lines = results.splitlines()
    for figure in ("| v4: decode a ", "| v4: same vs pydantic v2", "-lead create body", "-lead partial update body",
                   "| v4: iterate ", "| v4: save ", "| v4: export ", "| v4: same, wall time"):
        line = next((x for x in lines if figure in x), None)
        assert line is not None, figure
        cells = [c.strip() for c in line.split("|")]
        assert cells[5] and cells[6], line  # a baseline measured in the same run, and its value
    export = next(x for x in lines if "| v4: export " in x)
    assert "one request per lead (naive)" in export and "ceil(N/25) + ceil(contacts/25) + 1" in export
    assert "429/403: 0" in export


def test_smoke_run_never_hits_the_rate_limit(results: str) -> None:
    line = next(x for x in results.splitlines() if "429/403 answers" in x)
    assert "| 0 | count |" in line
    shared = next(x for x in results.splitlines() if x.startswith("| 3 processes |"))
    assert "429/403: 0" in shared


def test_table_marks_missed_targets() -> None:
    rows = [Row("x", "fast", 1.0, "ms", "base", 2.0, "lower", "<= 1", True),
            Row("x", "slow", 3.0, "ms", "base", 1.0, "lower", "<= 1", False)]
    text = table(rows)
    assert "0.50x (2.0x faster)" in text and "3.00x" in text and "**NO**" in text
