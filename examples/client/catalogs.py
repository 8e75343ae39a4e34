"""AmoClient: working with catalogs."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.models import Catalog

with sandbox_info() as sb, connect(sb) as client:
    for catalog in client.catalogs.list():
        print(catalog.id, catalog.name)
    catalog = Catalog(name="Товары на складе")
    other = Catalog(name="Временный")
    client.catalogs.save([catalog, other])
    catalog3 = client.catalogs.get(catalog.id)  # type: ignore[arg-type]
    catalog3.name = "Актуальные товары"
    client.catalogs.save(catalog3)
    client.catalogs.delete(other)
