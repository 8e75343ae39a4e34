"""Seed README: authorisation (OAuth 2.0 first and later, checking the first authorisation, API key)."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, FileStorage, TokenStorageException

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())  # the seed's default is ./tokens
        AmoAPI.throttle = None  # the local sandbox needs no throttle; keep 7 for amoCRM

        # First authorisation: the code is exchanged and the tokens saved.
        domain = AmoAPI.get_amo_domain(sb["subdomain"])
        is_first_auth = not AmoAPI.token_storage.has_tokens(domain)
        if is_first_auth:
            AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                          base_url=sb["base_url"])
        print(AmoAPI.get_account(with_="users,groups")["name"])

        # Later authorisations: only the subdomain, everything else comes from the token storage.
        AmoAPI.oauth2(sb["subdomain"], base_url=sb["base_url"])
        print(AmoAPI.get_account()["id"])

        # Authorisation with a user's API key (legacy).
        AmoAPI.auth(sb["login"], sb["api_key"], sb["subdomain"], base_url=sb["base_url"])
        print(AmoAPI.get_account()["subdomain"])
    except TokenStorageException as e:
        print(f"Ошибка обработки токенов ({e.code}): {e}")
        raise
    except AmoAPIException as e:
        print(f"Ошибка авторизации ({e.code}): {e}")
        raise
