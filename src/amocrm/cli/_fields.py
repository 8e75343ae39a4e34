"""``amocrm fields -o FILE``: a typed module of one account's custom fields (``fields(lead).budget = ...``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from amocrm.cli._common import api_option, connection_options, fail, make_client, throttle_value

__all__ = ["fields"]


@click.command()
@click.option("-o", "--out", "out", required=True, metavar="FILE",
              help="The module to write, e.g. myproject/amo_fields.py ('-' for stdout).")
@click.option("--account-json", type=click.Path(exists=True, dir_okay=False),
              help="Saved field definitions instead of asking the account: v4 the answers of "
                   "GET /api/v4/<entity>/custom_fields ({\"leads\": [...], ...}), v2 the answer of "
                   "GET /api/v2/account?with=custom_fields.")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="The bundled sandbox's seeded account instead.")
@api_option
@connection_options
def fields(out: str, account_json: str | None, use_sandbox: bool, api: str, subdomain: str | None,
           base_url: str | None, token: str | None, storage_dir: str, ca_file: str | None,
           throttle: str | None) -> None:
    """Generate a module with one typed class per entity kind for your account's custom fields.

    \b
    The module is for the models of one API version: --api v4 (the default: amocrm.models,
    amocrm.v4.models) or --api v2 (amocrm.v2.models). The field definitions are read with the
    stored tokens of `amocrm auth` (or --token), from --account-json, or from the sandbox
    (--sandbox). Then, in your code:
      from myproject.amo_fields import fields
      fields(lead).istochnik = "Реклама"   # a Literal of the field's options: type-checked
    Regenerate after changing fields in amoCRM.
    """
    from amocrm.fields import (
        AccountSourceError,
        fetch_v4_definitions,
        field_specs,
        field_specs_v4,
        load_account,
        load_v4_definitions,
        render_module,
        render_module_v4,
    )

    def read(client: Any) -> Any:
        if api == "v4":
            return fetch_v4_definitions(lambda path, query: client.request("GET", path, query))
        return client.v2.account.get(with_=["custom_fields"])

    got: Any
    if account_json is not None and use_sandbox:
        raise click.UsageError("give --account-json or --sandbox, not both")
    try:
        if account_json is not None:
            path = Path(account_json)
            data = path.read_bytes()
            got = load_v4_definitions(data, str(path)) if api == "v4" else load_account(data, str(path))
            source = path.name
        elif use_sandbox:
            from amocrm.sandbox import Sandbox
            from amocrm.testing import client_for

            with Sandbox(rate_limit=None) as sb, client_for(sb) as client:
                got, source = read(client), "the bundled sandbox"
        else:
            with make_client(subdomain, base_url, token, storage_dir, ca_file, throttle_value(throttle)) as client:
                got, source = read(client), f"account {client.domain}"
        specs = field_specs_v4(got) if api == "v4" else field_specs(got)
    except AccountSourceError as exc:
        fail(str(exc))
    text = render_module_v4(specs, source) if api == "v4" else render_module(specs, source)
    count = sum(len(v) for v in specs.values())
    if out == "-":
        sys.stdout.write(text)
    else:
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}: {count} custom fields of {', '.join(specs) or 'no entity'}", err=True)
