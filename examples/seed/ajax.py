"""Seed README: AJAX requests to front-end methods."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])
        params = {
            "filter": {"cf": {str(SEED.CF_CONTACT_DATE): {"from": "30.03.2022", "to": "30.03.2022"}}},
            "useFilter": "y",
            "element_type": 1,
            "json": 1,
            "page": 1,
        }
        data = AmoAPI.request("/ajax/contacts/list", "AJAX", params)
        print(data)
        everyone = AmoAPI.request("/ajax/contacts/list", "AJAX", {"json": 1, "element_type": 1, "page": 1})
        print(len(everyone["response"]["items"]))
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
