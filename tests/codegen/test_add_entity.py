"""A second API version of an existing entity takes spec files only, and both versions work from one client.

The test copies spec/, declares a version ``v5`` in ``versions.yaml`` (base path, ``array`` writes,
``problem_json`` errors, ``links`` paging) and adds ``v5/entities/lead.yaml`` (a ``Lead`` class, as
in v2) and ``v5/resources/leads.yaml`` (a ``leads`` resource, as in v2) with a path parameter and a
PATCH operation. It generates a package into a temporary directory, imports it, and drives both
``client.v2.leads`` and ``client.v5.leads`` of one client (a recording fake of the client's
request contract).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from codegen_fakes import FakeClient, FakeResponse

from codegen.__main__ import main

VERSION = """\
  v5:
    description: A second version of the API, for this test.
    base_path: /api/v5
    write: array
    errors: problem_json
    auth: [oauth2, long_lived_token]
    paging:
      links: {style: links, page_param: page, size_param: limit, max: 250}
"""

LEAD = """\
title: Lead
description: A lead (API v5 shapes).
type: object
properties:
  id: {type: integer, description: Lead id.}
  name: {type: string, description: Lead name.}
  price: {type: [integer, "null"], description: Budget; null when not set.}
  updated_at: {type: integer, readOnly: true, description: Last change.}
  _embedded: {type: object, additionalProperties: true, readOnly: true, description: Linked data.}
"""

LEADS = """\
name: leads
description: Leads (API v5).
model: lead.yaml
lock_kind: lead
operations:
  list:
    description: Leads, page by page.
    method: GET
    path: /api/v5/leads
    paging: links
    params:
      query: {type: str, description: Search text.}
      with_: &with {wire: with, type: csv, values: [contacts, loss_reason], description: Extra data.}
    response: {type: "list[Lead]", at: _embedded.leads}
  get:
    description: One lead.
    method: GET
    path: /api/v5/leads/{id}
    params:
      id: {in: path, type: id, required: true, description: Lead id.}
      with_: *with
    response: {type: Lead}
  rename:
    description: Rename one lead.
    method: PATCH
    path: /api/v5/leads/{id}
    params:
      id: {in: path, type: id, required: true, description: Lead id.}
      name: {in: body, type: str, required: true, description: The new name.}
    response: {type: Lead}
  save:
    description: Create (POST) and update (PATCH) leads.
    kind: save
    path: /api/v5/leads
    batch_max: 250
    response: {at: _embedded.leads}
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import shutil

    root = tmp_path_factory.mktemp("addversion")
    spec = root / "spec"
    shutil.copytree(Path(__file__).resolve().parents[2] / "spec", spec)
    versions = spec / "versions.yaml"
    versions.write_text(versions.read_text(encoding="utf-8").rstrip("\n") + "\n" + VERSION, encoding="utf-8")
    (spec / "v5" / "entities").mkdir(parents=True)
    (spec / "v5" / "resources").mkdir()
    (spec / "v5" / "entities" / "lead.yaml").write_text(LEAD, encoding="utf-8")
    (spec / "v5" / "resources" / "leads.yaml").write_text(LEADS, encoding="utf-8")
    out = root / "amocrm_added_version_pkg"
    assert main(["--spec", str(spec), "--out", str(out)]) == 0
    assert "client.v5.leads.rename(" in (root / "api.md").read_text()
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("amocrm_added_version_pkg")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.startswith("amocrm_added_version_pkg")]:
            del sys.modules[name]


class Client(FakeClient):
    """One client holding both generated versions, as ``AmoClient`` holds ``v2``."""

    def __init__(self, package: Any, *responses: Any) -> None:
        super().__init__(*responses)
        v2 = importlib.import_module(package.__name__ + ".v2")
        v5 = importlib.import_module(package.__name__ + ".v5")
        self.v2 = importlib.import_module(package.__name__ + ".v2.client").V2(self, v2.PROFILE)
        self.v5 = importlib.import_module(package.__name__ + ".v5.client").V5(self, v5.PROFILE)


def test_two_lead_classes_one_per_version(package: Any) -> None:
    v2 = importlib.import_module(package.__name__ + ".v2.models")
    v5 = importlib.import_module(package.__name__ + ".v5.models")
    assert v2.Lead is not v5.Lead and "sale" in v2.Lead.__struct_fields__ and "price" in v5.Lead.__struct_fields__
    lead = msgspec.json.decode(b'{"id": 7, "name": "Pen", "price": null, "unknown": 1}', type=v5.Lead)
    assert (lead.id, lead.name, lead.price) == (7, "Pen", None)
    profile = importlib.import_module(package.__name__ + ".v5").PROFILE
    assert (profile.base_path, profile.write, profile.errors) == ("/api/v5", "array", "problem_json")


def test_both_versions_from_one_client(package: Any) -> None:
    client = Client(
        package,
        {"_embedded": {"items": [{"id": 1, "name": "v2 lead", "sale": 10}]}},
        {"id": 5, "name": "v5 lead", "price": 20},
        {"id": 5, "name": "renamed"},
    )
    assert [lead.sale for lead in client.v2.leads.list(query="x")] == [10]
    assert client.v5.leads.get(5, with_=["contacts"]).price == 20
    assert client.v5.leads.rename(5, name="renamed").name == "renamed"
    calls = [(c["method"], c["path"], c.get("params"), c.get("json")) for c in client.calls]
    assert calls == [
        ("GET", "/api/v2/leads", {"query": "x", "limit_rows": 500, "limit_offset": 0}, None),
        ("GET", "/api/v5/leads/5", {"with": "contacts"}, None),
        ("PATCH", "/api/v5/leads/5", None, {"name": "renamed"}),
    ]


def test_path_parameters_are_checked_before_sending(package: Any) -> None:
    from amocrm.errors import ConfigError

    client = Client(package)
    with pytest.raises(ConfigError, match=r"leads.get\(id\): expected a positive int id, got str '5/../x'"):
        client.v5.leads.get("5/../x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"leads.rename\(name\): is required"):
        client.v5.leads.rename(5, name=None)  # type: ignore[arg-type]
    assert client.calls == []


def test_links_paging_follows_next_and_stops(package: Any) -> None:
    page1 = {"_page": 1, "_links": {"next": {"href": "https://x/api/v5/leads?page=2&limit=2"}},
             "_embedded": {"leads": [{"id": 1}, {"id": 2}]}}
    page2 = {"_page": 2, "_links": {"self": {"href": "x?page=2"}}, "_embedded": {"leads": [{"id": 3}, {"id": 4}]}}
    client = Client(package, page1, page2)
    first = client.v5.leads.list(page_size=2, with_=["loss_reason"])
    assert first.page == 1 and first.has_next_page()
    assert [lead.id for lead in first] == [1, 2, 3, 4]
    assert [c["params"] for c in client.calls] == [
        {"with": "loss_reason", "page": 1, "limit": 2},
        {"with": "loss_reason", "page": 2, "limit": 2},
    ]


def test_array_writes_post_new_and_patch_existing(package: Any) -> None:
    models = importlib.import_module(package.__name__ + ".v5.models")
    client = Client(
        package,
        {"_embedded": {"leads": [{"id": 11, "request_id": "0"}]}},
        {"_embedded": {"leads": [{"id": 5, "updated_at": 1700000000}]}},
    )
    new = models.Lead(name="N", price=None)
    old = models.Lead(id=5, name="O", updated_at=100)
    saved = client.v5.leads.save([new, old])
    assert [(c["method"], c["path"]) for c in client.calls] == [("POST", "/api/v5/leads"), ("PATCH", "/api/v5/leads")]
    assert client.calls[0]["json"] == [{"name": "N", "price": None, "request_id": "0"}]  # explicit None -> null
    assert client.calls[1]["json"] == [{"id": 5, "name": "O"}]  # no updated_at precondition in this version
    assert new.id == 11 and saved.ids == [11, 5] and old.updated_at == 1700000000


def test_a_refused_batch_maps_validation_errors_to_the_objects(package: Any) -> None:
    from amocrm.errors import ValidationError

    models = importlib.import_module(package.__name__ + ".v5.models")
    problem = {"validation-errors": [{"request_id": "1", "errors": [
        {"code": "InvalidType", "path": "price", "detail": "This value should be of type int."}]}],
        "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400, "detail": "Request validation failed"}
    client = Client(package, FakeResponse(status=400, data=msgspec.json.encode(problem)))
    client._request = _raising(client._request)  # type: ignore[method-assign]
    leads = [models.Lead(name="ok"), models.Lead(name="bad", price=5)]
    with pytest.raises(ValidationError) as info:
        client.v5.leads.save(leads)
    outcome = info.value.outcome
    assert [o.status for o in outcome] == ["failed", "failed"]
    assert outcome[1].code == "InvalidType" and "price: This value should be of type int." in str(outcome[1].message)
    assert "not applied" in str(outcome[0].message)
    assert "request_id 1: price: InvalidType" in str(info.value)


def _raising(request: Any) -> Any:
    """The real pipeline raises the typed error for a non-success status: do the same here."""
    from amocrm._core.response import error_for

    def call(*args: Any, **kwargs: Any) -> Any:
        response = request(*args, **kwargs)
        if response.status >= 300:
            raise error_for(response)
        return response

    return call


def test_updates_of_objects_read_from_the_server_send_only_what_changed(package: Any) -> None:
    page = {"_page": 1, "_links": {}, "_embedded": {"leads": [{"id": 5, "name": "A", "price": 10}, {"id": 6, "name": "B"}]}}
    client = Client(package, page, {"_embedded": {"leads": [{"id": 5}]}})
    first, second = client.v5.leads.list().items
    first.price = 20  # the name stays as read: not sent, so another writer's new name survives
    result = client.v5.leads.save([first, second])
    assert client.calls[1]["json"] == [{"id": 5, "price": 20}]  # the unchanged lead is not sent at all
    assert [o.status for o in result] == ["applied", "applied"] and "unchanged" in str(result[1].message)
    first.name = "A2"
    client.queue.append({"_embedded": {"leads": [{"id": 5}]}})
    client.v5.leads.save(first)
    assert client.calls[2]["json"] == [{"id": 5, "name": "A2"}]  # after a save, changes count from there
