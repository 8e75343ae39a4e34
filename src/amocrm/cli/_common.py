"""What the commands share: the client from connection options, the resource of an API version, errors."""

# The CLI reads resources' operation descriptors (package-internal by design).
# pyright: reportPrivateUsage=false

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from amocrm.client import AmoClient

__all__ = ["DEFAULT_STORAGE", "Api", "api_option", "connection_options", "fail", "list_operation", "make_client",
           "resource_of", "throttle_value"]

#: Where ``auth`` stores tokens unless told otherwise (``~/.config/amocrm/tokens`` on Linux).
DEFAULT_STORAGE = os.path.join(click.get_app_dir("amocrm"), "tokens")

Api = str
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """End the command with ``amocrm: error: <message>`` and exit code 1."""
    raise click.ClickException(message)


def throttle_value(text: str | None) -> float | None:
    """``--throttle``: requests per second (default 7, amoCRM's limit), or ``off``."""
    if text is None:
        return 7.0
    if text.strip().lower() in ("off", "none", "0"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a number of requests per second or 'off'",
                                 param_hint="--throttle") from None
    if not value > 0:
        raise click.BadParameter(f"{text!r}: give a positive number or 'off'", param_hint="--throttle")
    return value


def make_client(subdomain: str | None, base_url: str | None, token: str | None, storage_dir: str,
                ca_file: str | None, throttle: float | None = 7.0) -> AmoClient:
    """A client from ``--token`` (long-lived token) or the OAuth app and tokens stored by ``amocrm auth``."""
    from amocrm.auth import LongLivedToken, OAuth2
    from amocrm.client import AmoClient, resolve_domain
    from amocrm.errors import AmoError
    from amocrm.tokens import FileTokenStorage

    if not subdomain:
        fail("give --subdomain (or set AMOCRM_SUBDOMAIN)")
    if token:
        return AmoClient(subdomain, base_url=base_url, auth=LongLivedToken(token), ca_file=ca_file,
                         throttle=throttle)
    domain = resolve_domain(subdomain)
    storage = FileTokenStorage(storage_dir)
    try:
        auth = OAuth2.from_storage(storage, domain)
    except AmoError as exc:
        fail(f"{exc}; run `amocrm auth` first (storage {storage_dir}) or pass --token")
    return AmoClient(subdomain, base_url=base_url, auth=auth, ca_file=ca_file, throttle=throttle)


def connection_options(fn: F) -> F:
    """``--subdomain``, ``--base-url``, ``--token``, ``--storage-dir``, ``--ca-file``."""
    options = [
        click.option("--subdomain", envvar="AMOCRM_SUBDOMAIN",
                     help="Account: acme or acme.amocrm.com [AMOCRM_SUBDOMAIN]."),
        click.option("--base-url", envvar="AMOCRM_BASE_URL", help="Send requests to this server (a sandbox, a proxy)."),
        click.option("--token", envvar="AMOCRM_TOKEN",
                     help="Long-lived access token [AMOCRM_TOKEN]; default: the tokens stored by `amocrm auth`."),
        click.option("--storage-dir", envvar="AMOCRM_STORAGE_DIR", default=DEFAULT_STORAGE, show_default=True,
                     help="Folder of tokens stored by `amocrm auth`."),
        click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="CA bundle for a TLS sandbox."),
        click.option("--throttle", envvar="AMOCRM_THROTTLE", metavar="N|off",
                     help="Requests per second to the account, shared by the amocrm processes of this machine "
                          "[default: 7, amoCRM's limit; off for a sandbox]."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def api_option(fn: F) -> F:
    """``--api v2|v4``."""
    return click.option("--api", type=click.Choice(["v2", "v4"]), default="v4", show_default=True,
                        help="API version whose resources and models to use.")(fn)


def resource_of(client: AmoClient, api: str, entity: str, *, needs: tuple[str, ...] = ("list",)) -> Any:
    """``client.<api>.<entity>``, or a one-line error listing the entities that have ``needs``."""
    namespace: Any = client.v4 if api == "v4" else client.v2
    names: tuple[str, ...] = _resource_names(api)
    if entity not in names or not _has(namespace, entity, needs):
        usable = [n for n in names if _has(namespace, n, needs)]  # loads every resource: only on the error path
        hint = f" (API {api} of this amocrm version has {', '.join(usable) or 'none'})"
        fail(f"{entity!r} is not a resource with {' and '.join(f'{n}()' for n in needs)} in API {api}{hint}")
    return getattr(namespace, entity)


def _resource_names(api: str) -> tuple[str, ...]:
    import importlib

    module = importlib.import_module(f"amocrm.{api}.client")
    names: tuple[str, ...] = module.RESOURCE_NAMES
    return names


def _has(namespace: Any, name: str, needs: tuple[str, ...]) -> bool:
    cls = type(getattr(namespace, name, None))
    ops = getattr(cls, "_operations", {})
    for need in needs:
        op = ops.get(need)
        if op is None:
            return False
        if need == "list" and getattr(op, "paging", None) is None:
            return False
    return True


def list_operation(resource: Any) -> Any:
    """The list operation descriptor of a resource (its parameters, kinds and paging)."""
    return type(resource)._operations["list"]
