"""The whole OAuth onboarding against the sandbox: consent URL -> consent redirect -> code -> tokens, in Python
and through `amocrm auth` (pasted redirect and loopback listener), with the state checked on the way back."""

from __future__ import annotations

import json
import os
import queue
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3

from amocrm.auth import OAuth2
from amocrm.auth.onboarding import (
    AMOCRM_AUTHORIZE_URL,
    KOMMO_AUTHORIZE_URL,
    AuthorizationGrant,
    LoopbackReceiver,
    RedirectError,
    authorization_url,
    exchange_code,
    is_loopback_uri,
    parse_redirect,
)
from amocrm.client import AmoClient
from amocrm.errors import AuthError, ConfigError, ReauthorizationRequired
from amocrm.sandbox import SEED, Sandbox
from amocrm.tokens import FileTokenStorage, MemoryTokenStorage

AMOCRM = shutil.which("amocrm", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox


def consent(url: str) -> str:
    """What a browser does on the consent page: follow it to the 302 and return where it sends us."""
    answer = urllib3.request("GET", url, redirect=False, timeout=10)
    assert answer.status == 302, answer.data[:300]
    location: str = answer.headers["Location"]
    return location


# -- the builder and the parser -------------------------------------------------------------------


def test_authorization_url_has_client_state_and_mode() -> None:
    request = authorization_url("my-client")
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AMOCRM_AUTHORIZE_URL
    query = parse_qs(parts.query)
    assert query == {"client_id": ["my-client"], "state": [request.state], "mode": ["post_message"]}
    assert len(request.state) >= 32 and authorization_url("my-client").state != request.state  # random each time
    assert request.state not in repr(request).replace(request.url, "")  # repr shows the URL, not the state apart
    kommo = authorization_url("c", platform="kommo", mode="popup", state="fixed")
    assert kommo.url == f"{KOMMO_AUTHORIZE_URL}?client_id=c&state=fixed&mode=popup"
    assert authorization_url("c", base_url="http://127.0.0.1:9/", state="s").url.startswith("http://127.0.0.1:9/oauth?")
    for bad in ({"mode": "iframe"}, {"platform": "bitrix"}, {"base_url": "ftp://x"}, {"state": " "}):
        with pytest.raises(ConfigError):
            authorization_url("c", **bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        authorization_url("")


def test_parse_redirect_checks_state_and_reads_the_account() -> None:
    good = "https://example.com/cb?code=def502abc&referer=acme.amocrm.ru&state=S1&client_id=c&platform=1"
    grant = parse_redirect(good, state="S1", client_id="c")
    assert (grant.code, grant.domain, grant.platform, grant.client_id) == ("def502abc", "acme.amocrm.ru", "amocrm", "c")
    assert "def502abc" not in repr(grant)
    assert parse_redirect("code=x1&referer=ACME.kommo.com&state=S1&platform=2", state="S1").domain == "acme.kommo.com"
    assert parse_redirect({"code": "x2", "state": "S1"}, state="S1", domain="acme").domain == "acme.amocrm.ru"
    cases = {
        "https://example.com/cb?code=x&referer=acme.amocrm.ru&state=OTHER": "does not match",
        "https://example.com/cb?code=x&referer=acme.amocrm.ru": "no state",
        "https://example.com/cb?error=access_denied&state=S1": "access_denied",
        "https://example.com/cb?referer=acme.amocrm.ru&state=S1": "no authorization code",
        "https://example.com/cb?code=x&referer=acme.amocrm.ru&state=S1&client_id=evil": "another integration",
        "https://example.com/cb?code=x&state=S1": "names no account",
    }
    for url, fragment in cases.items():
        with pytest.raises(RedirectError, match=fragment) as info:
            parse_redirect(url, state="S1", client_id="c")
        assert isinstance(info.value, AuthError)
    # the token exchange goes to the referer's host: a host that is not amoCRM's is refused
    with pytest.raises(ConfigError):
        parse_redirect("code=x&referer=evil.example.com&state=S1", state="S1")
    assert is_loopback_uri("http://127.0.0.1:8765/cb") and is_loopback_uri("http://localhost:1/")
    assert not is_loopback_uri("https://127.0.0.1/cb") and not is_loopback_uri("http://example.com/")


# -- the flow in Python -----------------------------------------------------------------------------


def test_url_to_consent_to_code_to_tokens(sb: Sandbox, tmp_path: Path) -> None:
    request = authorization_url(sb.client_id, base_url=sb.base_url)
    redirected = consent(request.url)
    assert redirected.startswith(sb.redirect_uri + "?")
    grant = request.parse_redirect(redirected)
    assert grant.domain == f"{sb.subdomain}.amocrm.ru" and grant.platform == "amocrm"
    storage = FileTokenStorage(tmp_path)
    exchanges = sb.counters()["code_exchanges"]
    tokens = exchange_code(grant, client_id=sb.client_id, client_secret=sb.client_secret,
                           redirect_uri=sb.redirect_uri, storage=storage, base_url=sb.base_url)
    assert sb.counters()["code_exchanges"] == exchanges + 1
    assert storage.load(grant.domain) == tokens and tokens.client_secret == sb.client_secret
    with AmoClient(grant.domain, base_url=sb.base_url, auth=OAuth2.from_storage(storage, grant.domain)) as client:
        assert client.account.get().id == SEED.ACCOUNT_ID
    with pytest.raises(ReauthorizationRequired):  # a code is good for one exchange
        exchange_code(grant, client_id=sb.client_id, client_secret=sb.client_secret,
                      redirect_uri=sb.redirect_uri, base_url=sb.base_url)
    with pytest.raises(RedirectError):  # the redirect of another request (another state) is refused
        authorization_url(sb.client_id, base_url=sb.base_url).parse_redirect(consent(request.url))


def test_loopback_receiver_answers_the_browser(sb: Sandbox) -> None:
    request = authorization_url(sb.client_id, base_url=sb.base_url)
    query = urlsplit(consent(request.url)).query
    with LoopbackReceiver(request, port=0, path="/amocrm/oauth") as receiver:
        assert receiver.url.startswith("http://127.0.0.1:") and receiver.port > 0
        assert urllib3.request("GET", f"http://127.0.0.1:{receiver.port}/favicon.ico").status == 404
        page = urllib3.request("GET", f"{receiver.url}?{query}")
        assert page.status == 200 and b"Access granted" in page.data and b"text/html" in page.headers[
            "Content-Type"].encode()
        grant = receiver.wait(timeout=5)
    storage = MemoryTokenStorage()
    exchange_code(grant, client_id=sb.client_id, client_secret=sb.client_secret, redirect_uri=sb.redirect_uri,
                  storage=storage, base_url=sb.base_url)
    assert storage.has_tokens(grant.domain)
    with LoopbackReceiver(request, port=0) as receiver:  # a forged state: the browser is told, the wait fails
        forged = urllib3.request("GET", f"{receiver.url}?code=x&state=forged&referer=acme.amocrm.ru")
        assert forged.status == 400 and b"Authorization failed" in forged.data
        with pytest.raises(RedirectError, match="does not match"):
            receiver.wait(timeout=5)
    started = time.monotonic()
    with LoopbackReceiver(request, port=0) as receiver, pytest.raises(RedirectError, match="within 0.3 s"):
        receiver.wait(timeout=0.3)
    assert time.monotonic() - started < 5


def test_grant_repr_and_secret_code() -> None:
    grant = AuthorizationGrant("def50200secret-code", "acme.amocrm.ru", "s")
    assert "secret-code" not in repr(grant) and "acme.amocrm.ru" in repr(grant)


# -- the flow through `amocrm auth` -------------------------------------------------------------------

needs_cli = pytest.mark.skipif(AMOCRM is None, reason="the amocrm console script is not installed")


def _start(args: list[str], secret: str) -> subprocess.Popen[str]:
    assert AMOCRM is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMOCRM_")}
    env["AMOCRM_CLIENT_SECRET"] = secret
    return subprocess.Popen([AMOCRM, "auth", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _read_until(proc: subprocess.Popen[str], fragment: str, timeout: float = 30) -> list[str]:
    """The stderr lines up to the one holding ``fragment`` (read by a thread: no buffering surprises)."""
    assert proc.stderr is not None
    found: queue.Queue[str | None] = getattr(proc, "_lines", None) or queue.Queue()
    if not hasattr(proc, "_lines"):
        stream = proc.stderr

        def pump() -> None:
            for line in stream:
                found.put(line)
            found.put(None)

        threading.Thread(target=pump, daemon=True).start()
        proc._lines = found  # type: ignore[attr-defined]
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = found.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:
            break
        lines.append(line)
        if fragment in line:
            return lines
    raise AssertionError(f"{fragment!r} not printed: {lines}")


def _finish(proc: subprocess.Popen[str], stdin: str = "", timeout: float = 30) -> tuple[str, str]:
    """Send ``stdin``, wait, and return (stdout, the rest of stderr)."""
    assert proc.stdin is not None and proc.stdout is not None
    if stdin:
        proc.stdin.write(stdin)
    proc.stdin.close()
    out = proc.stdout.read()
    proc.wait(timeout=timeout)
    rest: list[str] = []
    found: queue.Queue[str | None] | None = getattr(proc, "_lines", None)
    if found is None:
        assert proc.stderr is not None
        return out, proc.stderr.read()
    while True:
        line = found.get(timeout=timeout)
        if line is None:
            return out, "".join(rest)
        rest.append(line)


def _check_stored(folder: Path, proc_out: str, proc_err: str, sb: Sandbox) -> None:
    token_file = folder / f"{sb.subdomain}.amocrm.ru.json"
    assert proc_out.strip() == f"stored tokens for sandbox.amocrm.ru (account {SEED.ACCOUNT_ID}) in {token_file}"
    stored = json.loads(token_file.read_text())
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stored["client_id"] == sb.client_id and stored["redirect_uri"] == sb.redirect_uri
    for secret in (stored["access_token"], stored["refresh_token"], sb.client_secret):
        assert secret not in proc_out + proc_err


@needs_cli
def test_cli_auth_with_a_pasted_redirect(sb: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    proc = _start(["--base-url", sb.base_url, "--client-id", sb.client_id, "--redirect-uri", sb.redirect_uri,
                   "--storage-dir", str(folder), "--paste"], sb.client_secret)
    printed = _read_until(proc, "/oauth?")
    url = printed[-1].strip()
    assert url.startswith(f"{sb.base_url}/oauth?client_id=") and "state=" in url and "mode=post_message" in url
    redirected = consent(url)
    code = parse_qs(urlsplit(redirected).query)["code"][0]
    out, err = _finish(proc, redirected + "\n")
    assert proc.returncode == 0, err
    assert code not in out + err and "".join(printed).count("\n") == len(printed)
    _check_stored(folder, out, "".join(printed) + err, sb)
    # a second run finds the tokens: it refuses (before using any code) unless --force
    again = _start(["--subdomain", sb.subdomain, "--base-url", sb.base_url, "--storage-dir", str(folder), "--paste"],
                   sb.client_secret)
    out2, err2 = _finish(again)
    assert again.returncode == 1 and err2.startswith("amocrm: error: tokens for sandbox.amocrm.ru are already stored")
    assert len(err2.strip().splitlines()) == 1
    # --force re-authorises, with the client id, secret and redirect URI taken from the stored tokens
    forced = _start(["--subdomain", sb.subdomain, "--base-url", sb.base_url, "--storage-dir", str(folder), "--paste",
                     "--force"], "")
    url3 = _read_until(forced, "/oauth?")[-1].strip()
    out3, err3 = _finish(forced, consent(url3) + "\n")
    assert forced.returncode == 0, err3


@needs_cli
def test_cli_auth_listens_on_loopback(sb: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "tokens"
    proc = _start(["--base-url", sb.base_url, "--client-id", sb.client_id, "--redirect-uri", sb.redirect_uri,
                   "--storage-dir", str(folder), "--listen", "--port", "0", "--timeout", "30"], sb.client_secret)
    printed = _read_until(proc, "Waiting for the redirect on ")
    url = next(line.strip() for line in printed if "/oauth?" in line)
    listening = printed[-1].split(" on ", 1)[1].split(" ", 1)[0]
    assert listening.startswith("http://127.0.0.1:") and listening.endswith("/amocrm/oauth")
    # the browser: consent, then the redirect lands on the listener (the registered URI forwards there)
    query = urlsplit(consent(url)).query
    page = urllib3.request("GET", f"{listening}?{query}", timeout=10)
    assert page.status == 200 and b"Access granted" in page.data
    out, err = _finish(proc)
    assert proc.returncode == 0, err
    _check_stored(folder, out, "".join(printed) + err, sb)


@needs_cli
def test_cli_auth_errors_are_one_line(sb: Sandbox, tmp_path: Path) -> None:
    proc = _start(["--base-url", sb.base_url, "--client-id", sb.client_id, "--redirect-uri", sb.redirect_uri,
                   "--storage-dir", str(tmp_path), "--paste"], sb.client_secret)
    _read_until(proc, "/oauth?")
    forged = "https://example.com/amocrm/oauth?code=abc&state=forged&referer=sandbox.amocrm.ru"
    out, err = _finish(proc, forged + "\n")
    lines = [line for line in err.splitlines() if line.startswith("amocrm: ")]
    assert proc.returncode == 1 and len(lines) == 1 and "does not match" in lines[0] and "Traceback" not in err
    timeout = _start(["--base-url", sb.base_url, "--client-id", sb.client_id, "--redirect-uri", sb.redirect_uri,
                      "--storage-dir", str(tmp_path), "--listen", "--port", "0", "--timeout", "1"], sb.client_secret)
    out, err = timeout.communicate(timeout=30)
    assert timeout.returncode == 1 and err.strip().splitlines()[-1].startswith("amocrm: error: RedirectError: no "
                                                                                 "redirect arrived")


def test_sandbox_with_a_loopback_redirect_uri_sends_the_browser_to_the_listener() -> None:
    import socket

    with socket.socket() as probe:  # a free port for the listener, known before the sandbox starts
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    redirect_uri = f"http://127.0.0.1:{port}/amocrm/oauth"
    with Sandbox(rate_limit=None, redirect_uri=redirect_uri) as sandbox:
        assert sandbox.redirect_uri == redirect_uri
        request = authorization_url(sandbox.client_id, base_url=sandbox.base_url)
        with LoopbackReceiver(request, port=port, path="/amocrm/oauth") as receiver:
            page = urllib3.request("GET", request.url, timeout=10)  # the browser follows the 302 itself
            assert page.status == 200 and b"Access granted" in page.data
            grant = receiver.wait(timeout=5)
        storage = MemoryTokenStorage()
        exchange_code(grant, client_id=sandbox.client_id, client_secret=sandbox.client_secret,
                      redirect_uri=redirect_uri, storage=storage, base_url=sandbox.base_url)
        assert storage.has_tokens(grant.domain)
        with pytest.raises(AuthError):  # the token endpoint takes only the registered redirect URI
            exchange_code(grant, client_id=sandbox.client_id, client_secret=sandbox.client_secret,
                          redirect_uri="https://example.com/amocrm/oauth", base_url=sandbox.base_url)
    with pytest.raises(ValueError, match="redirect_uri"):
        Sandbox(redirect_uri="ftp://example.com/x")


def test_redirect_uri_option_survives_the_command_line() -> None:
    from amocrm.sandbox.cli import options_to_argv, parse_args
    from amocrm.sandbox.options import SandboxOptions

    uri = "http://127.0.0.1:8765/cb"
    assert parse_args(options_to_argv(SandboxOptions(redirect_uri=uri))).redirect_uri == uri
    assert parse_args(["--redirect-uri", uri]).redirect_uri == uri
