"""AmoClient, API v2 (``client.v2``): working with catalog elements."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.sandbox import SEED
from amocrm.v2.models import CatalogElement

with sandbox_info() as sb, connect(sb) as client:
    for element in client.v2.catalog_elements.list(catalog_id=SEED.CATALOG_PRODUCTS, term="Ручка"):
        print(element.id, element.name)
    element = CatalogElement(catalog_id=SEED.CATALOG_PRODUCTS, name="Ручка гелевая")
    element.set_custom_fields({SEED.CF_CATALOG_SKU: "Артикул 14567323", SEED.CF_CATALOG_PRICE: 120})
    client.v2.catalog_elements.save(element)
    element.name = "Карандаш"
    pencil = CatalogElement(id=SEED.ELEMENT_PENCIL, catalog_id=SEED.CATALOG_PRODUCTS, name="Ручка перьевая")
    client.v2.catalog_elements.delete(pencil)
    print(element.id)
