"""The click commands of ``amocrm``. Every failure is one ``amocrm: error: ...`` line on stderr and exit
code 1 (2 for usage errors), without a traceback unless ``amocrm --debug``; secrets given as options or
found in storages are never printed."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from amocrm.cli._auth import auth
from amocrm.cli._common import DEFAULT_STORAGE, connection_options, make_client, throttle_value
from amocrm.cli._export import export
from amocrm.cli._fields import fields
from amocrm.cli._import import import_

__all__ = ["DEFAULT_STORAGE", "cli", "run"]

_state: dict[str, bool] = {"debug": False}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="amocrm", prog_name="amocrm")
@click.option("-v", "--verbose", is_flag=True, help="Log requests, retries and token refreshes to stderr.")
@click.option("--debug", is_flag=True, envvar="AMOCRM_DEBUG", help="Show the traceback of an error.")
def cli(verbose: bool, debug: bool) -> None:
    """Command line for amoCRM: a local sandbox, OAuth onboarding, exports, imports, typed custom
    fields and raw API calls. `amocrm COMMAND --help` tells more; docs/cli.md has the details."""
    import logging

    _state["debug"] = debug
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
    """Start the local amoCRM sandbox: prints one JSON line, serves until Ctrl-C (try --help)."""
    import argparse

    from amocrm.sandbox.cli import build_parser, options_from, serve

    parser = build_parser()
    parser.prog = "amocrm sandbox"
    parser.description = ("The local amoCRM account emulator (the same as python -m amocrm.sandbox): prints one "
                          "JSON line with base_url and credentials, then serves until Ctrl-C or SIGTERM.")

    def usage_error(message: str) -> Any:
        raise click.UsageError(message)

    vars(parser)["error"] = usage_error  # one line instead of argparse's usage block and exit
    try:
        ns = parser.parse_args(list(args))
    except argparse.ArgumentError as exc:
        raise click.UsageError(str(exc)) from None
    except SystemExit as exc:  # --help
        raise click.exceptions.Exit(exc.code if isinstance(exc.code, int) else 0) from None
    try:
        options = options_from(ns)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None
    serve(options)

def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="-p/--param")
        out[key] = value
    return out


@cli.command()
@click.argument("method", type=click.Choice(["GET", "POST", "PATCH", "DELETE", "AJAX"], case_sensitive=False))
@click.argument("path")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="Query parameter (form field for AJAX); keys may use brackets: filter[tasks]=1.")
@click.option("--json", "json_body", metavar="JSON", help="Request body as JSON text (POST/PATCH).")
@connection_options
def request(method: str, path: str, params: tuple[str, ...], json_body: str | None, subdomain: str | None,
            base_url: str | None, token: str | None, storage_dir: str, ca_file: str | None,
            throttle: str | None) -> None:
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
    with make_client(subdomain, base_url, token, storage_dir, ca_file, throttle_value(throttle)) as client:
        result = client.request(method.upper(), path, _params(params) or None, json=body)  # type: ignore[arg-type]
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


cli.add_command(auth)
cli.add_command(export)
cli.add_command(import_)
cli.add_command(fields)


def _error(message: str) -> None:
    text = " ".join(str(message).split())  # one line, whatever the message held
    click.echo(f"amocrm: error: {text}", err=True)


def run(argv: list[str]) -> int:
    """Run ``cli`` and turn every error into one line and an exit code."""
    from amocrm.errors import AmoError

    _state["debug"] = bool(os.environ.get("AMOCRM_DEBUG"))  # `amocrm --debug ...` sets it too (in cli())
    try:
        cli.main(args=argv, prog_name="amocrm", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        if _state["debug"]:
            raise
        where = exc.ctx.command_path if exc.ctx is not None else "amocrm"
        _error(f"{exc.format_message()} (see `{where} --help`)")
        return exc.exit_code
    except click.ClickException as exc:
        if _state["debug"]:
            raise
        _error(exc.format_message())
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("amocrm: aborted", err=True)
        return 130
    except AmoError as exc:
        if _state["debug"]:
            raise
        _error(f"{type(exc).__name__}: {exc}")
        return 1
    except BrokenPipeError:
        sys.stderr.close()  # `amocrm export leads | head`: the reader left; not an error
        return 0
    except OSError as exc:
        if _state["debug"]:
            raise
        _error(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return 1
    except Exception as exc:  # a bug: still one line, the traceback with --debug
        if _state["debug"]:
            raise
        _error(f"internal error {type(exc).__name__}: {exc} (run `amocrm --debug ...` for the traceback)")
        return 1
    return 0
