"""AmoClient: several accounts at once -- one client per account. The second account is a sandbox of its own."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.models import Company
from amocrm.sandbox import SEED, Sandbox

with sandbox_info() as sb, Sandbox(rate_limit=None, subdomain="second") as sb2:
    with connect(sb) as first, connect(sb2.info()) as second:
        print(first.companies.list(responsible_user_id=SEED.USER_ADMIN))
        print(list(second.companies.list(query="ООО")))
        company1 = Company(name="ООО Абракадабра")
        company2 = first.companies.get(SEED.COMPANY_ACME)
        company2.name = "ООО Розенталь"
        first.companies.save([company1, company2])
        second.companies.save(Company(name="ООО Во втором"))
