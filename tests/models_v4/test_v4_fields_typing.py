"""The helpers' static types: mypy --strict over the test files that pin them with ``assert_type``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_typed_reads_and_writes_pass_mypy_strict() -> None:
    env = {**os.environ, "MYPYPATH": f"{REPO / 'src'}{os.pathsep}{HERE}"}
    files = [str(HERE / "test_custom_fields_read.py"), str(HERE / "test_custom_fields_write.py")]
    proc = subprocess.run([str(Path(sys.executable).parent / "mypy"), "--strict", "--no-incremental",
                           "--cache-dir", os.devnull, "--follow-imports", "silent", *files],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
