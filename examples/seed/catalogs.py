"""Seed README: working with catalogs (lists)."""

from __future__ import annotations

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIException, AmoCatalog, FileStorage

with sandbox_info() as sb:
    try:
        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.lock_entity_dir = scratch_dir()
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])

        for item in AmoAPI.get_catalogs() or []:
            print(item["id"], item["name"])

        catalog = AmoCatalog({"name": "Товары на складе"})
        catalog_id = catalog.save()

        other = AmoCatalog({"name": "Временный"})
        other.save()
        catalog2 = AmoCatalog({"id": other.id, "name": "Не товары"})

        catalog3 = AmoCatalog()
        catalog3.fill_by_id(catalog_id)
        catalog3.name = "Актуальные товары"
        print(catalog3.get_params())

        AmoAPI.save_objects([catalog2, catalog3])
        AmoAPI.delete_objects([catalog2])
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
