"""TLS (verified against ca_file), the subprocess variant, the CLI JSON line and the admin API."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import urllib3

from amocrm.sandbox import SEED, Sandbox, SandboxProcess

from .conftest import Api

SRC = str(Path(__file__).resolve().parents[2] / "src")
INFO_KEYS = {"base_url", "subdomain", "client_id", "client_secret", "redirect_uri", "code", "login", "api_key",
             "ca_file", "admin_token"}


def test_tls_verified_against_ca_file() -> None:
    with Sandbox(rate_limit=None, tls=True) as sb:
        assert sb.base_url.startswith("https://127.0.0.1:")
        ca = sb.ca_file
        assert ca and os.path.exists(ca)
        api = Api(sb.base_url, sb.issue_tokens()["access_token"], ca_file=ca)
        assert api.one("leads", SEED.LEAD_FIRST)["id"] == SEED.LEAD_FIRST
        assert api.add("contacts", {"name": "over tls"})
        localhost = Api(sb.base_url.replace("127.0.0.1", "localhost"), api.token, ca_file=ca)
        assert localhost.get("/api/v2/account").status == 200
        unverified = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", retries=False)
        with pytest.raises(urllib3.exceptions.SSLError):
            unverified.request("GET", sb.base_url + "/api/v2/account")
        plain = urllib3.PoolManager(retries=False, timeout=3)
        with pytest.raises(urllib3.exceptions.ProtocolError):
            plain.request("GET", sb.base_url.replace("https", "http") + "/api/v2/account")
        assert api.get("/api/v2/account").status == 200  # still serving after bad handshakes
    assert not os.path.exists(ca)


def test_subprocess_variant_full_surface() -> None:
    with SandboxProcess(rate_limit=None, subdomain="proc") as sp:
        info = sp.info()
        assert INFO_KEYS <= set(info) and info["subdomain"] == "proc" and info["ca_file"] is None
        tokens = sp.issue_tokens()
        api = Api(sp.base_url, tokens["access_token"])
        r = urllib3.request("POST", sp.base_url + "/oauth2/access_token", body=json.dumps({
            "client_id": sp.client_id, "client_secret": sp.client_secret, "grant_type": "authorization_code",
            "code": sp.code, "redirect_uri": sp.redirect_uri}), headers={"Content-Type": "application/json"})
        assert r.status == 200
        assert isinstance(sp.mint_code(), str)
        [cid] = api.add("contacts", {"name": "from test"})
        assert any(e["id"] == cid for e in sp.entities("contacts"))
        assert sp.counters()["code_exchanges"] == 1
        sp.set_faults(error_rate=1.0, error_statuses=[502])
        assert api.get("/api/v2/account").status == 502
        sp.clear_faults()
        log = sp.request_log()
        assert log[-1]["status"] == 502 and log[-1]["headers"]["authorization"] == "***"
        sp.reset()
        assert not any(e["id"] == cid for e in sp.entities("contacts"))
        bad = urllib3.request("GET", sp.base_url + "/_sandbox/info", headers={"X-Sandbox-Admin": "wrong"})
        assert bad.status == 403
        with pytest.raises(ValueError):
            sp.set_faults(nope=1)
        pid = sp.pid
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_subprocess_tls() -> None:
    with SandboxProcess(rate_limit=None, tls=True) as sp:
        ca = sp.ca_file
        api = Api(sp.base_url, sp.issue_tokens()["access_token"], ca_file=ca)
        assert api.get("/api/v2/account").status == 200
    assert ca and not os.path.exists(ca)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_one_json_line_and_exits_cleanly(sig: signal.Signals) -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "amocrm.sandbox", "--port", "0", "--rate-limit", "off",
                             "--subdomain", "cli", "--token-lifetime", "60", "--no-seed", "--latency-ms", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        info = json.loads(line)
        assert INFO_KEYS <= set(info) and info["subdomain"] == "cli"
        r = urllib3.request("POST", info["base_url"] + "/private/api/auth.php?type=json",
                            body=json.dumps({"USER_LOGIN": info["login"], "USER_HASH": info["api_key"]}),
                            headers={"Content-Type": "application/json"})
        assert r.status == 200
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == b""
        assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_cli_rejects_bad_flags() -> None:
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-m", "amocrm.sandbox", "--rate-limit", "-3"], capture_output=True,
                         env=env, timeout=20)
    assert out.returncode == 2 and b"rate" in out.stderr
    out = subprocess.run([sys.executable, "-m", "amocrm.sandbox", "--faults", '{"bogus": 1}'], capture_output=True,
                         env=env, timeout=20)
    assert out.returncode == 2 and b"bogus" in out.stderr


def test_unknown_option_named() -> None:
    with pytest.raises(TypeError, match="rate_limt"):
        Sandbox(rate_limt=None)
    with pytest.raises(ValueError, match="rate_limit"):
        Sandbox(rate_limit=-1)
    with pytest.raises(RuntimeError, match="not running"):
        _ = Sandbox().base_url
