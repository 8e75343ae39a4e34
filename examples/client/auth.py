"""AmoClient, API v2 (``client.v2``): authorisation (OAuth 2.0 first and later, API key)."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoClient, ApiKey, FileTokenStorage, OAuth2

with sandbox_info() as sb:
    storage = FileTokenStorage(scratch_dir())
    first = OAuth2(sb["client_id"], sb["client_secret"], sb["redirect_uri"], code=sb["code"], storage=storage)
    with AmoClient(sb["subdomain"], auth=first, base_url=sb["base_url"], throttle=None) as client:
        print(client.v2.account.get(with_=["users", "groups"]).name)
    assert storage.has_tokens(client.domain)
    # Later: the same storage, no code.
    later = OAuth2(sb["client_id"], sb["client_secret"], sb["redirect_uri"], storage=storage)
    with AmoClient(sb["subdomain"], auth=later, base_url=sb["base_url"], throttle=None) as client:
        print(client.v2.account.get().id)
    with AmoClient(sb["subdomain"], auth=ApiKey(sb["login"], sb["api_key"]), base_url=sb["base_url"],
                   throttle=None) as client:
        print(client.v2.account.get().subdomain)
