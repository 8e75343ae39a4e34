"""``pyright --verifytypes amocrm --ignoreexternal``: exit 1 unless 100% of the public symbols have known types.

Run by ``make typecheck`` and by test_verifytypes.py. Prints the score and every symbol that is not fully
typed. The venv's bin folder is put first on PATH: pyright resolves the package through ``python`` there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["main", "verify"]


def pyright_command() -> list[str] | None:
    """The pyright executable next to this interpreter (or on PATH), or None."""
    found = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    return [found] if found else None


def verify(package: str = "amocrm") -> dict[str, Any]:
    """pyright's JSON report for ``package``."""
    command = pyright_command()
    if command is None:
        raise FileNotFoundError("pyright is not installed (pip install pyright)")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory() as cwd:  # outside the repo: check the installed package, not src/
        proc = subprocess.run([*command, "--verifytypes", package, "--ignoreexternal", "--outputjson"],
                              cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        raise RuntimeError(f"pyright --verifytypes failed: {proc.stderr.strip() or proc.stdout[:500]}") from None
    return report


def problems(report: dict[str, Any]) -> list[str]:
    """``symbol: message`` for each public symbol pyright could not type fully."""
    out: list[str] = []
    for symbol in report.get("typeCompleteness", {}).get("symbols", []):
        if symbol.get("isTypeKnown"):
            continue
        errors = [d for d in symbol.get("diagnostics", []) if d.get("severity", "error") == "error"]
        for diag in errors:
            where = diag.get("file", "")
            line = diag.get("range", {}).get("start", {}).get("line")
            at = f" ({where}:{line + 1})" if where and line is not None else ""
            out.append(f"{symbol['name']}: {diag['message'].splitlines()[0]}{at}")
    return out


def main() -> int:
    package = sys.argv[1] if len(sys.argv) > 1 else "amocrm"
    report = verify(package)
    completeness = report.get("typeCompleteness", {})
    score = float(completeness.get("completenessScore", 0.0))
    for line in problems(report):
        print(line)
    known = completeness.get("exportedSymbolCounts", {})
    print(f"{package}: {score:.1%} of public symbols have known types ({known})")
    return 0 if score >= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
