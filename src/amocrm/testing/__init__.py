"""Helpers for testing code that uses amocrm: the pytest plugin and client factories for the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from amocrm.client import AmoClient
    from amocrm.sandbox import Sandbox

__all__ = ["client_for"]


def client_for(sandbox: Sandbox, *, auth: str = "oauth2", **options: Any) -> AmoClient:
    """An ``AmoClient`` connected to ``sandbox``.

    ``auth`` is ``"oauth2"`` (a fresh authorization code exchanged through the real token endpoint,
    tokens kept in memory), ``"api_key"`` (the legacy login) or ``"token"`` (a long-lived token).
    Other keyword arguments go to ``AmoClient`` (``throttle=None`` by default: the sandbox decides).
    """
    from amocrm.auth import ApiKey, LongLivedToken, OAuth2
    from amocrm.client import AmoClient
    from amocrm.tokens import MemoryTokenStorage

    scheme: Any
    if auth == "oauth2":
        scheme = OAuth2(
            sandbox.client_id,
            sandbox.client_secret,
            sandbox.redirect_uri,
            storage=MemoryTokenStorage(),
            code=sandbox.mint_code(),
        )
    elif auth == "api_key":
        scheme = ApiKey(sandbox.login, sandbox.api_key)
    elif auth == "token":
        scheme = LongLivedToken(sandbox.issue_tokens(lifetime=365 * 86400)["access_token"])
    else:
        from amocrm.errors import ConfigError

        raise ConfigError(f"auth must be 'oauth2', 'api_key' or 'token', got {auth!r}")
    options.setdefault("throttle", None)
    options.setdefault("ca_file", sandbox.ca_file)
    return AmoClient(sandbox.subdomain, base_url=sandbox.base_url, auth=scheme, **options)
