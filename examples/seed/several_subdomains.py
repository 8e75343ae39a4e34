"""Seed README: several accounts (subdomains) at once. The second account is a sandbox of its own."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoCompany, FileStorage
from amocrm.sandbox import SEED, Sandbox

with sandbox_info() as sb, Sandbox(rate_limit=None, subdomain="second") as sb2:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        subdomain1, subdomain2 = sb["subdomain"], sb2.subdomain
        AmoAPI.oauth2(subdomain1, sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])
        AmoAPI.oauth2(subdomain2, sb2.client_id, sb2.client_secret, sb2.redirect_uri, sb2.code,
                      base_url=sb2.base_url)

        # The subdomain is the third argument (the README passed it second, where return_response is).
        items1 = AmoAPI.get_companies({"responsible_user_id": SEED.USER_ADMIN}, False, subdomain1)
        for items in AmoAPI.get_all_companies({"query": "ООО"}, False, subdomain2):
            print(items)

        company1 = AmoCompany({"name": "ООО Абракадабра"}, subdomain1)
        company2 = AmoCompany({}, subdomain1)
        company2.fill_by_id(SEED.COMPANY_ACME)
        company2.name = "ООО Розенталь"
        AmoAPI.save_objects([company1, company2], False, subdomain1)

        # Without a subdomain, calls go to the account authorised last.
        AmoCompany({"name": "ООО Во втором"}).save()
        print(items1, sb2.entities("companies"))
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
