"""AmoClient: working with catalog elements."""

from __future__ import annotations

from _client import connect
from _env import sandbox_info

from amocrm.models import CatalogElement
from amocrm.sandbox import SEED

with sandbox_info() as sb, connect(sb) as client:
    for element in client.catalog_elements.list(catalog_id=SEED.CATALOG_PRODUCTS, term="Ручка"):
        print(element.id, element.name)
    element = CatalogElement(catalog_id=SEED.CATALOG_PRODUCTS, name="Ручка гелевая")
    element.set_custom_fields({SEED.CF_CATALOG_SKU: "Артикул 14567323", SEED.CF_CATALOG_PRICE: 120})
    client.catalog_elements.save(element)
    element.name = "Карандаш"
    pencil = CatalogElement(id=SEED.ELEMENT_PENCIL, catalog_id=SEED.CATALOG_PRODUCTS, name="Ручка перьевая")
    client.catalog_elements.delete(pencil)
    print(element.id)
