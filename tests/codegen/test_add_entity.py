"""Adding an entity takes one schema file and one resource file: nothing else.

The test copies spec/, adds ``entities/product.yaml`` and ``resources/products.yaml`` (an API v4
style resource: page/limit paging with ``_links.next``, array writes with POST/PATCH, items under
``_embedded.products``), generates a package into a temporary directory, imports it and uses the
new model and resource against a fake client.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from codegen_fakes import FakeClient, FakeResponse

from codegen.__main__ import main

PRODUCT = """\
title: Product
description: A product of the catalogue (API v4).
type: object
x-mixins: [CustomFieldsMixin, TagsMixin]
properties:
  id: {type: integer, description: Product id.}
  name: {type: string, description: Product name.}
  price: {type: [integer, "null"], description: Price; null when not set.}
  sku: {type: string, description: Stock keeping unit.}
  updated_at: {type: integer, readOnly: true, description: Last change.}
  tags: {type: array, items: {$ref: "common.yaml#/$defs/Tag"}, x-flex: list, x-write: {from: tag_names}, description: Tags.}
  custom_fields: {type: array, items: {$ref: "common.yaml#/$defs/CustomField"}, x-flex: list, x-write: {from: custom_fields}, description: Custom fields.}
  _links: {$ref: "common.yaml#/$defs/Links", readOnly: true, description: HAL links.}
"""

PRODUCTS = """\
name: products
description: Products (v4 style endpoint).
api: v4
path: /api/v4/products
model: product.yaml
items_key: products
envelope: embedded
paging: {style: links, page_param: page, size_param: limit, max: 250}
write: {style: array, batch_max: 250}
lock_kind: product
params:
  - {name: query, type: str, description: Search text.}
  - {name: with_, wire: with, type: csv, values: [tags], description: Extra data.}
operations:
  list: {description: One page of products.}
  iter: {description: Every product.}
  get: {description: One product by id.}
  save: {description: Create (POST) and update (PATCH) products.}
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import shutil

    root = tmp_path_factory.mktemp("addentity")
    spec = root / "spec"
    shutil.copytree(Path(__file__).resolve().parents[2] / "spec", spec)
    (spec / "entities" / "product.yaml").write_text(PRODUCT, encoding="utf-8")
    (spec / "resources" / "products.yaml").write_text(PRODUCTS, encoding="utf-8")
    out = root / "amocrm_added_entity_pkg"
    assert main(["--spec", str(spec), "--out", str(out)]) == 0
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("amocrm_added_entity_pkg")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("amocrm_added_entity_pkg")]:
            del sys.modules[name]


def test_new_model_decodes_and_has_its_helpers(package: Any) -> None:
    models = importlib.import_module(package.__name__ + ".models")
    product = msgspec.json.decode(
        b'{"id": 7, "name": "Pen", "price": null, "tags": {}, "custom_fields": [{"id": 3, "values": [{"value": "x"}]}],'
        b' "unknown": 1}',
        type=models.Product,
    )
    assert (product.id, product.name, product.price, product.tags) == (7, "Pen", None, [])
    assert product.get_custom_field_value(3) == "x"
    product.add_tags("blue").set_custom_field(4, "y")
    assert [t.name for t in product.tags] == ["blue"]
    assert product.get_custom_field(4).values[0].value == "y"


def test_client_mixin_gets_the_new_resource(package: Any) -> None:
    client_mod = importlib.import_module(package.__name__ + ".client")
    assert "products" in client_mod.RESOURCE_NAMES

    class Client(client_mod.ResourcesMixin):  # type: ignore[misc,name-defined]
        def __init__(self, fake: FakeClient) -> None:
            self._fake = fake
            self.config = fake.config

        def _request(self, *args: Any, **kwargs: Any) -> Any:
            return self._fake._request(*args, **kwargs)

        def _lock(self, kind: str, id: int) -> Any:
            return self._fake._lock(kind, id)

    fake = FakeClient({"_embedded": {"products": [{"id": 1, "name": "A"}]}})
    client = Client(fake)
    assert client.products is client.products  # built once
    assert [p.name for p in client.products.list(query="a")] == ["A"]
    assert fake.calls[0]["path"] == "/api/v4/products" and fake.calls[0]["params"] == {"query": "a"}


def test_links_paging_follows_next_and_stops(package: Any) -> None:
    res_mod = importlib.import_module(package.__name__ + ".resources.products")
    page1 = {"_links": {"next": {"href": "x?page=2"}}, "_embedded": {"products": [{"id": 1}, {"id": 2}]}}
    page2 = {"_links": {"self": {"href": "x?page=2"}}, "_embedded": {"products": [{"id": 3}]}}
    fake = FakeClient(page1, page2)
    products = res_mod.ProductsResource(fake)
    assert [p.id for p in products.iter(page_size=2, with_=["tags"])] == [1, 2, 3]
    assert [c["params"] for c in fake.calls] == [
        {"with": "tags", "page": 1, "limit": 2},
        {"with": "tags", "page": 2, "limit": 2},
    ]


def test_array_writes_post_new_and_patch_existing(package: Any) -> None:
    models = importlib.import_module(package.__name__ + ".models")
    res_mod = importlib.import_module(package.__name__ + ".resources.products")
    fake = FakeClient(
        {"_embedded": {"products": [{"id": 11, "request_id": "0"}]}},
        {"_embedded": {"products": [{"id": 5, "updated_at": 1}]}},
    )
    new = models.Product(name="N", price=None, tags=[models.Tag(id=1, name="t")])
    old = models.Product(id=5, name="O", updated_at=100)
    saved = res_mod.ProductsResource(fake).save([new, old])
    assert [(c["method"], c["path"]) for c in fake.calls] == [("POST", "/api/v4/products"), ("PATCH", "/api/v4/products")]
    posted = json.loads(msgspec.json.encode(fake.calls[0]["json"]))
    assert posted == [{"name": "N", "price": None, "tags": ["t"], "request_id": "0"}]  # explicit None -> null
    patched = fake.calls[1]["json"][0]
    assert patched["id"] == 5 and patched["name"] == "O" and patched["updated_at"] > 100
    assert new.id == 11 and [s.id for s in saved] == [11, 5]


def test_get_raises_not_found(package: Any) -> None:
    from amocrm.errors import NotFoundError

    res_mod = importlib.import_module(package.__name__ + ".resources.products")
    fake = FakeClient(FakeResponse(status=204))
    with pytest.raises(NotFoundError, match="Product 9 not found"):
        res_mod.ProductsResource(fake).get(9)
