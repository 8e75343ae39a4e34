"""AmoClient: AJAX requests to front-end methods."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED

with sandbox_info() as sb, connect(sb) as client:
    params = {
        "filter": {"cf": {str(SEED.CF_CONTACT_DATE): {"from": "30.03.2022", "to": "30.03.2022"}}},
        "useFilter": "y",
        "element_type": 1,
        "json": 1,
        "page": 1,
    }
    print(client.ajax("/ajax/contacts/list", params))
    print(len(client.ajax("/ajax/contacts/list", {"json": 1, "element_type": 1, "page": 1})["response"]["items"]))
