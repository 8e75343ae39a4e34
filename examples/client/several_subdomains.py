"""AmoClient, API v2 (``client.v2``): several accounts at once -- one client per account. The second account is a sandbox of its own."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED, Sandbox
from amocrm.v2.models import Company

with sandbox_info() as sb, Sandbox(rate_limit=None, subdomain="second") as sb2:
    with connect(sb) as first, connect(sb2.info()) as second:
        print(first.v2.companies.list(responsible_user_id=SEED.USER_ADMIN))
        print(list(second.v2.companies.list(query="ООО")))
        company1 = Company(name="ООО Абракадабра")
        company2 = first.v2.companies.get(SEED.COMPANY_ACME)
        company2.name = "ООО Розенталь"
        first.v2.companies.save([company1, company2])
        second.v2.companies.save(Company(name="ООО Во втором"))
