"""The installed ``amocrm`` command, run as a subprocess against a sandbox."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from amocrm.sandbox import SEED, Sandbox

AMOCRM = shutil.which("amocrm", path=str(Path(sys.executable).parent))
pytestmark = pytest.mark.skipif(AMOCRM is None, reason="the amocrm console script is not installed (pip install -e .)")


def amocrm(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    assert AMOCRM is not None
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("AMOCRM_")}
    full_env.update(env or {})
    return subprocess.run([AMOCRM, *args], capture_output=True, text=True, timeout=timeout, env=full_env)


def one_line_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("amocrm: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox


@pytest.fixture
def stored(sb: Sandbox, tmp_path: Path) -> tuple[Path, list[str]]:
    """Tokens stored by `amocrm auth`; returns the folder and the connection flags for other commands."""
    folder = tmp_path / "tokens"
    code = sb.mint_code()
    proc = amocrm("auth", "--subdomain", sb.subdomain, "--base-url", sb.base_url, "--client-id", sb.client_id,
                  "--redirect-uri", sb.redirect_uri, "--code", code, "--storage-dir", str(folder),
                  env={"AMOCRM_CLIENT_SECRET": sb.client_secret})
    assert proc.returncode == 0, proc.stderr
    return folder, ["--subdomain", sb.subdomain, "--base-url", sb.base_url, "--storage-dir", str(folder)]


@pytest.mark.parametrize("command", [[], ["auth"], ["export"], ["import"], ["fields"], ["request"]])
def test_help_everywhere(command: list[str]) -> None:
    proc = amocrm(*command, "--help")
    assert proc.returncode == 0 and proc.stdout.startswith(f"Usage: amocrm {' '.join(command)}".rstrip()), proc.stderr


def test_sandbox_help_and_start() -> None:
    helped = amocrm("sandbox", "--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: amocrm sandbox"), helped.stdout[:200]
    assert "python -m amocrm.sandbox" not in helped.stdout.split("\n", 1)[0]
    one_line_error(amocrm("sandbox", "--port", "99999"), "port must be 0..65535")
    one_line_error(amocrm("sandbox", "--rate-limit", "fast"), "--rate-limit")
    one_line_error(amocrm("sandbox", "--nonsense"), "unrecognized arguments: --nonsense")
    assert AMOCRM is not None
    proc = subprocess.Popen([AMOCRM, "sandbox", "--port", "0", "--rate-limit", "off"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "the sandbox printed nothing in 20 s"
        info = json.loads(proc.stdout.readline())
        with socket.create_connection(("127.0.0.1", info["port"]), timeout=5):
            pass
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_auth_stores_tokens_and_prints_no_secret(sb: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    code = sb.mint_code()
    args = ["auth", "--subdomain", sb.subdomain, "--base-url", sb.base_url, "--client-id", sb.client_id,
            "--client-secret", sb.client_secret, "--redirect-uri", sb.redirect_uri, "--code", code,
            "--storage-dir", str(folder)]
    proc = amocrm(*args)
    assert proc.returncode == 0, proc.stderr
    token_file = folder / "sandbox.amocrm.ru.json"
    assert proc.stdout.strip() == f"stored tokens for sandbox.amocrm.ru (account {SEED.ACCOUNT_ID}) in {token_file}"
    tokens = json.loads(token_file.read_text())
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    for secret in (tokens["access_token"], tokens["refresh_token"], sb.client_secret, code):
        assert secret not in proc.stdout + proc.stderr
    again = amocrm(*args)  # a second exchange would burn the code for nothing
    one_line_error(again, "already stored")
    assert sb.client_secret not in again.stderr and code not in again.stderr


def test_auth_bad_code_is_one_line(sb: Sandbox, tmp_path: Path) -> None:
    proc = amocrm("auth", "--subdomain", sb.subdomain, "--base-url", sb.base_url, "--client-id", sb.client_id,
                  "--client-secret", sb.client_secret, "--redirect-uri", sb.redirect_uri,
                  "--code", "not-a-real-code", "--storage-dir", str(tmp_path))
    one_line_error(proc)
    assert sb.client_secret not in proc.stderr and "not-a-real-code" not in proc.stderr
    missing = amocrm("auth", "--subdomain", sb.subdomain)
    one_line_error(missing, "--client-id")


def test_export_streams_json_lines(sb: Sandbox, stored: tuple[Path, list[str]]) -> None:
    _, conn = stored
    proc = amocrm("export", "leads", *conn)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {r["id"] for r in rows} >= {SEED.LEAD_FIRST, SEED.LEAD_SECOND}
    assert all("price" in r and "sale" not in r for r in rows)  # API v4, the default
    assert proc.stderr.startswith(f"exported {len(rows)} leads (")  # not a terminal: progress lines all the same
    assert amocrm("export", "leads", *conn, "-q").stderr == ""
    filtered = amocrm("export", "leads", *conn, "-p", f"filter[id]={SEED.LEAD_FIRST}")  # base URL from the auth step
    assert [json.loads(x)["id"] for x in filtered.stdout.splitlines()] == [SEED.LEAD_FIRST], filtered.stderr
    notes = amocrm("export", "notes", *conn, "-p", "entity_type=leads")
    assert notes.returncode == 0 and all("entity_id" in json.loads(x) for x in notes.stdout.splitlines())
    first = next(r for r in rows if r["id"] == SEED.LEAD_FIRST)
    v2 = amocrm("export", "leads", "--api", "v2", *conn, "-p", f"id={SEED.LEAD_FIRST}")
    assert [json.loads(x)["sale"] for x in v2.stdout.splitlines()] == [first["price"]], v2.stderr
    notes = amocrm("export", "notes", "--api", "v2", *conn, "-p", "type=lead")
    assert notes.returncode == 0 and all(json.loads(x)["element_type"] == 2 for x in notes.stdout.splitlines())


def test_export_with_token_and_progress_on_a_terminal(sb: Sandbox) -> None:
    token = sb.issue_tokens(lifetime=3600)["access_token"]
    assert AMOCRM is not None
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([AMOCRM, "export", "contacts", "--subdomain", sb.subdomain, "--base-url", sb.base_url],
                              stdout=subprocess.PIPE, stderr=slave, timeout=30,
                              env={**os.environ, "AMOCRM_TOKEN": token})
        os.close(slave)
        slave = -1
        shown = b""
        while select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0
    count = len(proc.stdout.splitlines())
    assert count >= 2 and f"exported {count} contacts".encode() in shown


def test_export_errors_are_one_line(sb: Sandbox, stored: tuple[Path, list[str]], tmp_path: Path) -> None:
    _, conn = stored
    one_line_error(amocrm("export", "notes", *conn), "notes needs -p entity_type=leads|contacts|companies|customers")
    one_line_error(amocrm("export", "notes", "--api", "v2", *conn),
                   "notes needs -p type=contact|lead|company|task|customer")
    one_line_error(amocrm("export", "leads", *conn, "-p", "colour=red"), "unknown filter colour", "query")
    one_line_error(amocrm("export", "leads", "--api", "v2", *conn, "-p", "colour=red"), "unknown filter colour",
                   "query")
    one_line_error(amocrm("export", "leads", *conn, "-p", "oops"), "not key=value")
    one_line_error(amocrm("export", "leads", "--subdomain", "nobody", "--storage-dir", str(tmp_path)),
                   "no stored tokens with client credentials for nobody.amocrm.ru", "amocrm auth")
    one_line_error(amocrm("export", "leads"), "--subdomain")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.monotonic()
    refused = amocrm("export", "leads", "--subdomain", "x", "--token", "t0ken-value",
                     "--base-url", f"http://127.0.0.1:{port}")
    one_line_error(refused, "TransportError")
    assert "t0ken-value" not in refused.stderr and time.monotonic() - started < 30


def test_request_pretty_json(sb: Sandbox, stored: tuple[Path, list[str]]) -> None:
    _, conn = stored
    proc = amocrm("request", "GET", "/api/v2/account", "-p", "with=users", *conn)
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["id"] == SEED.ACCOUNT_ID and proc.stdout.startswith("{\n  ")
    assert "Администратор" in proc.stdout  # unicode kept readable
    added = amocrm("request", "post", "/api/v2/leads", "--json", '{"add": [{"name": "from the CLI"}]}', *conn)
    assert added.returncode == 0, added.stderr
    new_id = json.loads(added.stdout)["_embedded"]["items"][0]["id"]
    got = json.loads(amocrm("request", "GET", "/api/v2/leads", "-p", f"id={new_id}", *conn).stdout)
    assert got["_embedded"]["items"][0]["name"] == "from the CLI"


def test_request_errors_are_one_line(sb: Sandbox, stored: tuple[Path, list[str]]) -> None:
    _, conn = stored
    one_line_error(amocrm("request", "POST", "/api/v2/leads", "--json", "{bad", *conn), "--json", "not valid JSON")
    one_line_error(amocrm("request", "GET", "api/v2/leads", *conn), "must start with /")
    one_line_error(amocrm("request", "GET", "/api/v2/nothing-here", *conn), "NotFoundError")
    one_line_error(amocrm("request", "FETCH", "/api/v2/leads", *conn), "FETCH")
