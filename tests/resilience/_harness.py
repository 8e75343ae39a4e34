"""Shared machinery of the resilience tests: worker processes, the start barrier, secret collection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from amocrm.sandbox import Sandbox

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"
WORKERS = HERE / "_workers.py"


def spawn(command: str, args: dict[str, Any]) -> subprocess.Popen[bytes]:
    """Run ``_workers.py command`` in a fresh interpreter (a real process with its own GIL)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(HERE)]))
    return subprocess.Popen(
        [sys.executable, str(WORKERS), command, json.dumps(args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def release(sync: Path, procs: Sequence[subprocess.Popen[bytes]], *, lead: float = 0.2, timeout: float = 20.0) -> float:
    """Wait until every worker is at the barrier, then let them all go at ``now + lead``; returns that time."""
    deadline = time.monotonic() + timeout
    while len(list(sync.glob("ready-*"))) < len(procs):
        for p in procs:
            if p.poll() is not None:
                err = p.stderr.read().decode() if p.stderr else ""
                raise AssertionError(f"worker exited before the start (status {p.returncode}): {err[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("workers did not reach the barrier in time")
        time.sleep(0.005)
    start = time.time() + lead
    tmp = sync / "go.tmp"
    tmp.write_text(repr(start))
    os.replace(tmp, sync / "go")
    return start


def collect(procs: Sequence[subprocess.Popen[bytes]], timeout: float = 60.0) -> list[dict[str, Any]]:
    """Each worker's JSON result; a worker that fails or overruns ``timeout`` fails the test (and is killed)."""
    results = []
    deadline = time.monotonic() + timeout
    try:
        for p in procs:
            try:
                out, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise AssertionError(f"worker {p.pid} overran {timeout}s") from None
            assert p.returncode == 0, f"worker {p.pid} failed: {err.decode()[-3000:]}"
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
    return results


def sandbox_secrets(sb: Sandbox) -> set[str]:
    """Every secret a sandbox ever knew: credentials, codes, access/refresh tokens, session ids."""
    core = sb.core
    with core.lock:
        creds = core.creds
        found = {creds.client_secret, creds.api_key, creds.admin_token}
        found.update(core.auth.codes)
        found.update(core.auth.access_tokens)
        found.update(core.auth.refresh_tokens)
        found.update(core.auth.sessions)
    return {s for s in found if s}


def leaks(texts: Iterable[tuple[str, str]], secrets: set[str]) -> list[str]:
    """``where`` of each text that contains a secret (with the secret's first characters only)."""
    found = []
    for where, text in texts:
        for secret in secrets:
            if secret in text:
                found.append(f"{where}: contains a secret starting {secret[:6]!r} ({len(secret)} chars)")
    return found


def text_files(root: Path, suffixes: tuple[str, ...] = (".log", ".out", ".txt", ".yaml", ".yml")) -> list[tuple[str, str]]:
    """Log files, worker outputs and cassettes under ``root`` (token storage files are not among them)."""
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in suffixes:
            out.append((str(path), path.read_text("utf-8", "replace")))
    return out
