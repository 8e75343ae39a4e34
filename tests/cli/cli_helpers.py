"""Helpers of the CLI tests: the installed ``amocrm`` command, run as a real subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

AMOCRM = shutil.which("amocrm", path=str(Path(sys.executable).parent))


def run_amocrm(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
               stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``amocrm ARGS`` with the AMOCRM_* variables of this environment removed."""
    assert AMOCRM is not None, "the amocrm console script is not installed (pip install -e .)"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AMOCRM_")}
    full_env.update(env or {})
    return subprocess.run([AMOCRM, *args], capture_output=True, text=True, timeout=timeout, env=full_env,
                          input=stdin)


def run_many(*commands: list[str], timeout: float = 60) -> list[subprocess.CompletedProcess[str]]:
    """Several ``amocrm`` commands at once (real subprocesses side by side: the suite stays fast)."""
    assert AMOCRM is not None, "the amocrm console script is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMOCRM_")}
    procs = [subprocess.Popen([AMOCRM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              stdin=subprocess.DEVNULL) for args in commands]
    done: list[subprocess.CompletedProcess[str]] = []
    for args, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess([AMOCRM, *args], proc.returncode, out, err))
    return done


def only_error_line(proc: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """The one ``amocrm: error: ...`` line of a failed run (no traceback), checked for ``fragments``."""
    assert proc.returncode != 0, proc.stdout[-500:]
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("amocrm: error: ")]
    assert len(errors) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]
