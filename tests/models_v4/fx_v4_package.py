"""A test-only generated package: spec/ as it is plus four small v4 entities with custom fields and tags.

``FxLead``, ``FxContact``, ``FxCompany`` and ``FxCustomer`` have ``custom_fields_values``,
``_embedded.tags`` and ``tags_to_add``/``tags_to_delete`` (the shared shapes of
``spec/v4/entities/common.yaml``) and the v4 mixins; ``fx_leads``/``fx_contacts`` resources get and
save them at ``/api/v4/leads``/``/api/v4/contacts``. The files live only in a temporary copy of spec/,
so the real spec/v4 (written elsewhere) is untouched. Generated once per test session.
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "amocrm_fx_v4_fields_pkg"

ENTITY = """\
title: Fx{title}
description: Test-only {kind} shape (custom fields and tags) for the v4 field helper tests.
type: object
x-mixins: [CustomFieldsMixin, TagsMixin]
properties:
  id: {{type: integer, description: Id.}}
  name: {{type: string, description: Name.}}
  updated_at: {{type: integer, readOnly: true, description: Last change.}}
  custom_fields_values:
    type: [array, "null"]
    items: {{$ref: "common.yaml#/$defs/FieldValues"}}
    description: Custom field values.
  request_id: {{type: string, writeOnly: true, description: Request id of a batch create.}}
  tags_to_add:
    type: array
    writeOnly: true
    items: {{$ref: "common.yaml#/$defs/Tag"}}
    description: Tags to add.
  tags_to_delete:
    type: array
    writeOnly: true
    items: {{$ref: "common.yaml#/$defs/Tag"}}
    description: Tags to remove.
  _links: {{$ref: "common.yaml#/$defs/Links", readOnly: true, description: HAL links.}}
  _embedded: {{$ref: "#/$defs/Fx{title}Embedded", description: Tags and links.}}
$defs:
  Fx{title}Embedded:
    type: object
    description: The _embedded object.
    properties:
      tags:
        type: [array, "null"]
        items: {{$ref: "common.yaml#/$defs/Tag"}}
        description: Tags.
      companies:
        type: array
        items: {{$ref: "common.yaml#/$defs/EmbeddedEntity"}}
        readOnly: true
        description: Linked companies.
"""

RESOURCE = """\
name: fx_{plural}
description: Test-only {plural} resource.
model: fx_{kind}.yaml
lock_kind: {kind}
operations:
  get:
    description: One item.
    method: GET
    path: /api/v4/{plural}/{{id}}
    params:
      id: {{in: path, type: id, required: true, description: Id.}}
    response: {{type: Fx{title}}}
  save:
    description: Create and update.
    kind: save
    path: /api/v4/{plural}
    batch_max: 250
    response: {{at: _embedded.{plural}}}
"""

KINDS = {"lead": ("Lead", "leads", True), "contact": ("Contact", "contacts", True),
         "company": ("Company", "companies", False), "customer": ("Customer", "customers", False)}

_lock = threading.Lock()
_built: dict[str, Any] = {}


def build() -> tuple[ModuleType, Path]:
    """The generated package (imported) and the folder holding it (for MYPYPATH)."""
    with _lock:
        if "pkg" in _built:
            return _built["pkg"], _built["root"]
        from codegen.__main__ import main

        root = Path(tempfile.mkdtemp(prefix="fx-v4-fields-"))
        atexit.register(shutil.rmtree, root, True)
        spec = root / "spec"
        shutil.copytree(REPO / "spec", spec)
        for kind, (title, plural, resource) in KINDS.items():
            (spec / "v4" / "entities" / f"fx_{kind}.yaml").write_text(
                ENTITY.format(title=title, kind=kind), encoding="utf-8")
            if resource:
                (spec / "v4" / "resources" / f"fx_{plural}.yaml").write_text(
                    RESOURCE.format(title=title, kind=kind, plural=plural), encoding="utf-8")
        out = root / PACKAGE
        if main(["--spec", str(spec), "--out", str(out)]) != 0:
            raise RuntimeError("codegen failed for the test-only v4 entities")
        sys.path.insert(0, str(root))
        pkg = importlib.import_module(PACKAGE)
        _built.update(pkg=pkg, root=root)
        return pkg, root


def models() -> Any:
    """``<package>.v4.models``."""
    return importlib.import_module(build()[0].__name__ + ".v4.models")


def v4(client: Any) -> Any:
    """The generated ``V4`` namespace of the test package on a real ``AmoClient``."""
    pkg, _ = build()
    version = importlib.import_module(pkg.__name__ + ".v4")
    namespace = importlib.import_module(pkg.__name__ + ".v4.client")
    return namespace.V4(client, version.PROFILE)


def writes() -> Any:
    """``<package>.v4.writes``."""
    return importlib.import_module(build()[0].__name__ + ".v4.writes")
