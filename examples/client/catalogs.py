"""AmoClient, API v2 (``client.v2``): working with catalogs."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.v2.models import Catalog

with sandbox_info() as sb, connect(sb) as client:
    for catalog in client.v2.catalogs.list():
        print(catalog.id, catalog.name)
    catalog = Catalog(name="Товары на складе")
    other = Catalog(name="Временный")
    client.v2.catalogs.save([catalog, other])
    catalog3 = client.v2.catalogs.get(catalog.id)  # type: ignore[arg-type]
    catalog3.name = "Актуальные товары"
    client.v2.catalogs.save(catalog3)
    client.v2.catalogs.delete(other)
