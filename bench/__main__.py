"""``python -m bench [--smoke] [--only NAME ...] [--out PATH]``: run every benchmark, print one table.

Each figure sits next to its baseline measured in the same run and the ratio between them. The
full run writes the table to ``bench/RESULTS.md`` with the date, the machine and the command;
``--smoke`` uses tiny sizes (seconds, for tests) and writes nothing unless ``--out`` is given.
Exit status 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import cpu, imports, memory, processes, sandbox_throughput, wire
from ._common import Row

BENCHMARKS: dict[str, Callable[[bool], list[Row]]] = {
    "cpu": cpu.run,
    "wire": wire.run,
    "processes": processes.run,
    "memory": memory.run,
    "imports": imports.run,
    "sandbox": sandbox_throughput.rows,
}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _num(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def _ratio(row: Row) -> str:
    ratio = row.ratio
    if ratio is None:
        return ""
    if row.better == "lower" and ratio < 1:
        return f"{ratio:.2f}x ({1 / ratio:.1f}x faster)"
    return f"{ratio:.2f}x"


def table(rows: list[Row]) -> str:
    head = ["bench", "figure", "value", "unit", "baseline (same run)", "baseline value", "ratio", "target", "ok",
            "notes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ok = "" if r.ok is None else ("yes" if r.ok else "**NO**")
        cells = [r.bench, r.metric.strip(), _num(r.value), r.unit, r.baseline_name, _num(r.baseline), _ratio(r),
                 r.target, ok, r.note]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu_name = platform.processor() or platform.machine()
    return (f"{platform.platform()}, {os.cpu_count()} CPUs ({cpu_name}), "
            f"Python {platform.python_version()} ({platform.python_implementation()})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the benchmarks run, not speed")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--out", type=Path, help="write the Markdown table here (default: bench/RESULTS.md "
                                                 "for a full run, nothing for --smoke)")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    rows: list[Row] = []
    timings: list[str] = []
    started = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        rows.extend(BENCHMARKS[name](args.smoke))
        timings.append(f"{name} {time.perf_counter() - t0:.1f}s")
    total = time.perf_counter() - started
    text = table(rows)
    print(text)
    missed = [r for r in rows if r.ok is False]
    command = "python -m bench" + (" --smoke" if args.smoke else "") + (
        f" --only {' '.join(args.only)}" if args.only else "")
    out = args.out if args.out is not None else (None if args.smoke else RESULTS)
    if out is not None:
        out.write_text(
            "# Benchmark results\n\n"
            f"- date: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M UTC}\n"
            f"- machine: {machine()}\n"
            f"- command: `{command}` (`make bench`)\n"
            f"- duration: {total:.0f}s ({', '.join(timings)})\n"
            f"- targets missed: {len(missed)}\n\n"
            "Every ratio is value / baseline, both measured in this run. Method per benchmark: the module "
            "docstrings in `bench/`.\n\n" + text + "\n",
            encoding="utf-8",
        )
        print(f"[bench] written to {out}", file=sys.stderr)
    print(f"[bench] {len(rows)} figures in {total:.1f}s, {len(missed)} missed target(s)", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
