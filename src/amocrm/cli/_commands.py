"""The click commands of ``amocrm``. Every failure is one ``error: ...`` line on stderr and exit code 1
(2 for usage errors); secrets given as options or found in storages are never printed."""

from __future__ import annotations

import inspect
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from amocrm.client import AmoClient

__all__ = ["cli", "run"]

#: Resources that can be streamed with ``export`` (those with an ``iter`` method).
EXPORTABLE = ("catalog_elements", "companies", "contacts", "customers", "incoming_leads", "leads", "notes", "tasks")


#: Where ``auth`` stores tokens unless told otherwise (``~/.config/amocrm/tokens`` on Linux).
DEFAULT_STORAGE = os.path.join(click.get_app_dir("amocrm"), "tokens")


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


def _client(subdomain: str | None, base_url: str | None, token: str | None, storage_dir: str,
            ca_file: str | None) -> AmoClient:
    """A client from ``--token`` (long-lived token) or the OAuth app and tokens stored by ``amocrm auth``."""
    from amocrm.auth import LongLivedToken, OAuth2
    from amocrm.client import AmoClient, resolve_domain
    from amocrm.errors import AmoError
    from amocrm.tokens import FileTokenStorage

    if not subdomain:
        _fail("give --subdomain (or set AMOCRM_SUBDOMAIN)")
    if token:
        return AmoClient(subdomain, base_url=base_url, auth=LongLivedToken(token), ca_file=ca_file)
    domain = resolve_domain(subdomain)
    storage = FileTokenStorage(storage_dir)
    try:
        auth = OAuth2.from_storage(storage, domain)
    except AmoError as exc:
        _fail(f"{exc}; run `amocrm auth` first (storage {storage_dir}) or pass --token")
    return AmoClient(subdomain, base_url=base_url, auth=auth, ca_file=ca_file)


def _connection_options(fn: Any) -> Any:
    options = [
        click.option("--subdomain", envvar="AMOCRM_SUBDOMAIN", help="Account: acme or acme.amocrm.com [AMOCRM_SUBDOMAIN]."),
        click.option("--base-url", envvar="AMOCRM_BASE_URL", help="Send requests to this server (a sandbox, a proxy)."),
        click.option("--token", envvar="AMOCRM_TOKEN", help="Long-lived access token [AMOCRM_TOKEN]; default: stored tokens."),
        click.option("--storage-dir", envvar="AMOCRM_STORAGE_DIR", default=DEFAULT_STORAGE, show_default=True,
                     help="Folder of tokens stored by `amocrm auth`."),
        click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="CA bundle for a TLS sandbox."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="amocrm", prog_name="amocrm")
@click.option("-v", "--verbose", is_flag=True, help="Log requests, retries and token refreshes to stderr.")
def cli(verbose: bool) -> None:
    """Command line for amoCRM: a local sandbox, OAuth tokens, exports and raw API calls."""
    import logging

    logger = logging.getLogger("amocrm")
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    else:  # retries are logged as warnings; without -v only the final error line is shown
        logger.addHandler(logging.NullHandler())


@cli.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
             add_help_option=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sandbox(args: tuple[str, ...]) -> None:
    """Start the local amoCRM sandbox (flags go to python -m amocrm.sandbox; try --help)."""
    os.execv(sys.executable, [sys.executable, "-m", "amocrm.sandbox", *args])


@cli.command()
@click.option("--subdomain", envvar="AMOCRM_SUBDOMAIN", required=True, help="Account: acme or acme.amocrm.com.")
@click.option("--base-url", envvar="AMOCRM_BASE_URL", help="Send requests to this server (a sandbox, a proxy).")
@click.option("--client-id", envvar="AMOCRM_CLIENT_ID", required=True, help="Integration id.")
@click.option("--client-secret", envvar="AMOCRM_CLIENT_SECRET", required=True,
              help="Integration secret [AMOCRM_CLIENT_SECRET].")
@click.option("--redirect-uri", envvar="AMOCRM_REDIRECT_URI", required=True, help="Integration redirect URI.")
@click.option("--code", envvar="AMOCRM_CODE", required=True, help="Authorization code (single use) [AMOCRM_CODE].")
@click.option("--storage-dir", envvar="AMOCRM_STORAGE_DIR", default=DEFAULT_STORAGE, show_default=True,
              help="Folder to store the tokens in.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="CA bundle for a TLS sandbox.")
def auth(subdomain: str, base_url: str | None, client_id: str, client_secret: str, redirect_uri: str,
         code: str, storage_dir: str, ca_file: str | None) -> None:
    """Exchange an authorization code for tokens and store them (prints where, never the tokens)."""
    from amocrm.auth import OAuth2
    from amocrm.client import AmoClient
    from amocrm.tokens import FileTokenStorage

    storage = FileTokenStorage(storage_dir)
    oauth = OAuth2(client_id, client_secret, redirect_uri, storage=storage, code=code)
    with AmoClient(subdomain, base_url=base_url, auth=oauth, ca_file=ca_file) as client:
        if storage.has_tokens(client.domain):
            _fail(f"tokens for {client.domain} are already stored in {storage.path(client.domain)}; "
                  "delete the file to authorise again")
        account = client.account.get()
        click.echo(f"stored tokens for {client.domain} (account {account.id}) in {storage.path(client.domain)}")


def _param_value(text: str) -> Any:
    if text.lstrip("-").isdigit():
        return int(text)
    if "," in text and all(p.strip().isdigit() for p in text.split(",")):
        return [int(p) for p in text.split(",")]
    return text


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="-p/--param")
        out[key] = value
    return out


class _Progress:
    """``exported N leads`` on stderr, refreshed at most 10 times a second; silent when not a terminal."""

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self.count = 0
        self.enabled = sys.stderr.isatty()
        self._shown = 0.0

    def step(self) -> None:
        self.count += 1
        now = time.monotonic()
        if self.enabled and now - self._shown > 0.1:
            self._shown = now
            click.echo(f"\rexported {self.count} {self.noun}", nl=False, err=True)

    def done(self) -> None:
        if self.enabled:
            click.echo(f"\rexported {self.count} {self.noun}", err=True)


@cli.command()
@click.argument("entity", type=click.Choice(EXPORTABLE))
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Filter keyword of the resource's iter(), e.g. -p query=acme -p status=142,143.")
@_connection_options
def export(entity: str, params: tuple[str, ...], subdomain: str | None, base_url: str | None,
           token: str | None, storage_dir: str, ca_file: str | None) -> None:
    """Stream every ENTITY as JSON lines to stdout (progress on stderr when it is a terminal)."""
    import msgspec

    kwargs = {k: _param_value(v) for k, v in _params(params).items()}
    with _client(subdomain, base_url, token, storage_dir, ca_file) as client:
        resource = getattr(client, entity)
        known = [n for n in inspect.signature(resource.list).parameters]
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise click.BadParameter(f"unknown filter {', '.join(unknown)} for {entity}; known: {', '.join(known)}",
                                     param_hint="-p/--param")
        progress = _Progress(entity)
        encoder = msgspec.json.Encoder()
        out = sys.stdout.buffer
        try:
            items: Iterator[Any] = iter(resource.list(**kwargs))
            for item in items:
                out.write(encoder.encode(item) + b"\n")
                progress.step()
            out.flush()
        except TypeError as exc:  # a required filter is missing, e.g. notes need type=
            _fail(f"{entity}: {exc}")
        finally:
            progress.done()


@cli.command()
@click.argument("method", type=click.Choice(["GET", "POST", "PATCH", "DELETE", "AJAX"], case_sensitive=False))
@click.argument("path")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Query parameter (form field for AJAX); keys may use brackets: filter[tasks]=1.")
@click.option("--json", "json_body", metavar="JSON", help="Request body as JSON text (POST/PATCH).")
@_connection_options
def request(method: str, path: str, params: tuple[str, ...], json_body: str | None, subdomain: str | None,
            base_url: str | None, token: str | None, storage_dir: str, ca_file: str | None) -> None:
    """Call any API path and print the JSON answer, pretty.

    Example: amocrm request GET /api/v2/leads -p limit_rows=5
    """
    body: Any = None
    if json_body is not None:
        try:
            body = json.loads(json_body)
        except ValueError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--json") from None
    if not path.startswith("/"):
        raise click.BadParameter(f"{path!r} must start with /", param_hint="PATH")
    with _client(subdomain, base_url, token, storage_dir, ca_file) as client:
        result = client.request(method.upper(), path, _params(params) or None, json=body)  # type: ignore[arg-type]
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


def run(argv: list[str]) -> int:
    """Run ``cli`` and turn every error into one line and an exit code."""
    from amocrm.errors import AmoError

    try:
        cli.main(args=argv, prog_name="amocrm", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "amocrm"
        click.echo(f"error: {exc.format_message()} (see `{where} --help`)", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return 130
    except AmoError as exc:
        click.echo(f"error: {type(exc).__name__}: {exc}", err=True)
        return 1
    except BrokenPipeError:
        sys.stderr.close()  # `amocrm export leads | head`: the reader left; not an error
        return 0
    except OSError as exc:
        click.echo(f"error: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), err=True)
        return 1
    return 0
