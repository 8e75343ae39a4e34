"""Seed README: working with catalog elements."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoCatalogElement, FileStorage
from amocrm.sandbox import SEED

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        for items in AmoAPI.get_all_catalog_elements({"catalog_id": SEED.CATALOG_PRODUCTS, "term": "Ручка"}):
            for item in items:
                print(item["id"], item["name"])
        for item in AmoAPI.get_catalog_elements({"catalog_id": SEED.CATALOG_PRODUCTS, "page": 1}) or []:
            print(item["id"], item["name"])

        element = AmoCatalogElement({"catalog_id": SEED.CATALOG_PRODUCTS, "name": "Ручка гелевая"})
        element.set_custom_fields({SEED.CF_CATALOG_SKU: "Артикул 14567323", SEED.CF_CATALOG_PRICE: 120})
        element_id = element.save()

        # The README set 'text', which is not a field of an element; the name is what changes.
        element2 = AmoCatalogElement({"id": SEED.ELEMENT_PENCIL, "catalog_id": SEED.CATALOG_PRODUCTS,
                                      "name": "Ручка перьевая"})

        element3 = AmoCatalogElement()
        element3.fill_by_id(element_id, {"catalog_id": SEED.CATALOG_PRODUCTS})
        element3.name = "Карандаш"
        print(element3.get_params())

        AmoAPI.save_objects([element2, element3])
        AmoAPI.delete_objects([element2])
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
