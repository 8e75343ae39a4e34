"""``amocrm auth``: consent URL -> redirect (loopback listener or pasted URL) -> code exchange -> stored tokens."""

from __future__ import annotations

import sys
from typing import cast
from urllib.parse import urlsplit

import click

from amocrm.cli._common import DEFAULT_STORAGE, fail

__all__ = ["auth"]


def _stored_app(storage_dir: str, subdomain: str | None) -> tuple[str | None, str | None, str | None]:
    """Client id, secret and redirect URI kept with the stored tokens of ``subdomain`` (re-authorisation)."""
    if not subdomain:
        return None, None, None
    from amocrm.client import resolve_domain
    from amocrm.errors import AmoError
    from amocrm.tokens import FileTokenStorage

    try:
        tokens = FileTokenStorage(storage_dir).load(resolve_domain(subdomain))
    except AmoError:
        return None, None, None
    if tokens is None:
        return None, None, None
    return tokens.client_id, tokens.client_secret, tokens.redirect_uri


def _read_pasted(uri: str) -> str:
    click.echo(f"After you allow access, the browser opens {uri}?code=…", err=True)
    click.echo("Paste that whole address here (from the address bar) and press Enter:", err=True)
    if sys.stdin.isatty():
        text: str = click.prompt("redirect", hide_input=True, err=True, prompt_suffix=" > ")
        return text
    line = sys.stdin.readline()
    if not line.strip():
        fail("no redirect address was pasted (stdin ended)")
    return line


@click.command()
@click.option("--subdomain", envvar="AMOCRM_SUBDOMAIN",
              help="Account (acme or acme.amocrm.com). Needed with --code; else taken from the redirect.")
@click.option("--base-url", envvar="AMOCRM_BASE_URL",
              help="Send API and token requests to this server (a sandbox, a proxy).")
@click.option("--client-id", envvar="AMOCRM_CLIENT_ID", help="Integration id [AMOCRM_CLIENT_ID].")
@click.option("--client-secret", envvar="AMOCRM_CLIENT_SECRET", help="Integration secret [AMOCRM_CLIENT_SECRET].")
@click.option("--redirect-uri", envvar="AMOCRM_REDIRECT_URI",
              help="The integration's registered redirect URI [AMOCRM_REDIRECT_URI].")
@click.option("--code", envvar="AMOCRM_CODE",
              help="An authorization code you already have (single use) [AMOCRM_CODE]: skips the browser step.")
@click.option("--listen/--paste", "listen", default=None,
              help="Receive the redirect on 127.0.0.1 (default when the redirect URI is http://127.0.0.1:PORT/… "
                   "or http://localhost:PORT/…), or paste the address the browser was sent to.")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port to listen on (default: the redirect URI's; 0 = any free port, e.g. behind a tunnel).")
@click.option("--timeout", type=click.FloatRange(min=1), default=300.0, show_default=True, metavar="SECONDS",
              help="How long --listen waits for the redirect.")
@click.option("--mode", type=click.Choice(["post_message", "popup"]), default="post_message", show_default=True,
              help="Consent page mode: post_message redirects the tab it is opened in; popup is for a "
                   "window your page opened.")
@click.option("--platform", type=click.Choice(["amocrm", "kommo"]), default=None,
              help="Which consent page: www.amocrm.ru or www.kommo.com (default: from --subdomain, else amocrm).")
@click.option("--authorize-url", metavar="URL",
              help="The consent page itself (default: by --platform, or <base-url>/oauth with --base-url).")
@click.option("--open", "open_browser", is_flag=True, help="Also open the consent URL in the default browser.")
@click.option("--force", is_flag=True, help="Replace tokens already stored for the account.")
@click.option("--storage-dir", envvar="AMOCRM_STORAGE_DIR", default=DEFAULT_STORAGE, show_default=True,
              help="Folder to store the tokens in.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="CA bundle for a TLS sandbox.")
def auth(subdomain: str | None, base_url: str | None, client_id: str | None, client_secret: str | None,
         redirect_uri: str | None, code: str | None, listen: bool | None, port: int | None, timeout: float,
         mode: str, platform: str | None, authorize_url: str | None, open_browser: bool, force: bool,
         storage_dir: str, ca_file: str | None) -> None:
    """Authorise the integration with an account and store its tokens (never printed).

    \b
    Without --code: prints the consent URL; you open it, sign in and allow access; amoCRM sends the
    browser to the redirect URI with a code, which this command receives (--listen) or you paste
    (--paste). Then it exchanges the code and stores the tokens in --storage-dir/<domain>.json
    (mode 0600, with the client id, secret and redirect URI for refreshes).
    With --code CODE --subdomain NAME it only exchanges that code.
    """
    from amocrm.auth import OAuth2
    from amocrm.auth.onboarding import (
        AuthorizationGrant,
        LoopbackReceiver,
        Mode,
        Platform,
        authorization_url,
        exchange_code,
        is_loopback_uri,
    )
    from amocrm.client import AmoClient, resolve_domain
    from amocrm.tokens import FileTokenStorage

    stored_id, stored_secret, stored_uri = _stored_app(storage_dir, subdomain)
    client_id = client_id or stored_id
    client_secret = client_secret or stored_secret
    redirect_uri = redirect_uri or stored_uri
    for value, option in ((client_id, "--client-id"), (client_secret, "--client-secret"),
                          (redirect_uri, "--redirect-uri")):
        if not value:
            raise click.UsageError(f"give {option} (the integration's settings in amoCRM)")
    assert client_id and client_secret and redirect_uri
    storage = FileTokenStorage(storage_dir)
    known = resolve_domain(subdomain) if subdomain else None

    def refuse_if_stored(domain: str, after: str = "") -> None:
        if storage.has_tokens(domain) and not force:
            fail(f"tokens for {domain} are already stored in {storage.path(domain)}; run again with --force "
                 f"to replace them{after}")

    if known is not None:
        refuse_if_stored(known)
    if code:
        if known is None:
            raise click.UsageError("--code needs --subdomain (the account the code is for)")
        grant = AuthorizationGrant(code.strip(), known, "")
    else:
        chosen = platform or ("kommo" if known and known.endswith(".kommo.com") else "amocrm")
        request = authorization_url(client_id, mode=cast(Mode, mode), platform=cast(Platform, chosen),
                                    base_url=base_url if authorize_url is None else None)
        if authorize_url is not None:
            from dataclasses import replace

            request = replace(request, url=authorize_url + ("&" if "?" in authorize_url else "?")
                              + request.url.split("?", 1)[1])
        use_listener = is_loopback_uri(redirect_uri) if listen is None else listen
        click.echo("Open this address in a browser, sign in and allow access:", err=True)
        click.echo(f"  {request.url}", err=True)
        if open_browser:
            import webbrowser

            webbrowser.open(request.url)
        if use_listener:
            target = urlsplit(redirect_uri)
            if port is not None:
                listen_port = port
            elif is_loopback_uri(redirect_uri):
                listen_port = target.port or 80
            else:
                listen_port = 0
            with LoopbackReceiver(request, port=listen_port, path=target.path or "/", domain=known) as receiver:
                click.echo(f"Waiting for the redirect on {receiver.url} (up to {timeout:g} s)...", err=True)
                grant = receiver.wait(timeout)
        else:
            grant = request.parse_redirect(_read_pasted(redirect_uri), domain=known)
        if known is None:
            refuse_if_stored(grant.domain, " (the authorization code was not used)")
    exchange_code(grant, client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri,
                  storage=storage, base_url=base_url, ca_file=ca_file)
    oauth = OAuth2.from_storage(storage, grant.domain)
    with AmoClient(grant.domain, base_url=base_url, auth=oauth, ca_file=ca_file) as client:
        account = client.account.get()
        click.echo(f"stored tokens for {client.domain} (account {account.id}) in {storage.path(client.domain)}")
