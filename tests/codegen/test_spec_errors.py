"""A bad spec stops generation with a SpecError naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.__main__ import known_mixins, main
from codegen.errors import SpecError
from codegen.spec import load_spec


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _error(spec: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        load_spec(spec, known_mixins=known_mixins())
    return info.value


def test_the_real_spec_is_valid() -> None:
    spec = load_spec(Path(__file__).resolve().parents[2] / "spec", known_mixins=known_mixins())
    assert {"lead", "contact", "company", "common"} <= set(spec.entities)
    assert {r.name for r in spec.resources} >= {"leads", "contacts", "account", "webhooks", "incoming_leads"}


def test_unknown_key_in_an_entity_property(spec_copy: Path) -> None:
    _edit(spec_copy / "entities" / "lead.yaml", "sale: {type: integer,", "sale: {type: integer, readonly: true,")
    err = _error(spec_copy)
    assert err.file == "spec/entities/lead.yaml"
    assert err.key == "properties.sale.readonly"
    assert "unknown key" in str(err) and "readOnly" in str(err)


def test_unknown_key_in_a_resource(spec_copy: Path) -> None:
    _edit(spec_copy / "resources" / "leads.yaml", "paging: {style: offset,", "paging: {stile: offset, style: offset,")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/resources/leads.yaml", "paging.stile")


def test_wrong_type_of_a_value(spec_copy: Path) -> None:
    _edit(spec_copy / "resources" / "leads.yaml", "max: 500}", "max: lots}")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/resources/leads.yaml", "paging.max")
    assert "expected an integer" in str(err)


def test_wrong_json_type_name(spec_copy: Path) -> None:
    _edit(spec_copy / "entities" / "task.yaml", "duration: {type: integer,", "duration: {type: int,")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/entities/task.yaml", "properties.duration.type")
    assert "'int'" in str(err)


def test_unknown_enum_value(spec_copy: Path) -> None:
    _edit(spec_copy / "resources" / "contacts.yaml", "paging: {style: offset", "paging: {style: cursor")
    err = _error(spec_copy)
    assert err.key == "paging.style" and "cursor" in str(err)


def test_dangling_ref_to_a_def(spec_copy: Path) -> None:
    _edit(spec_copy / "entities" / "lead.yaml", 'common.yaml#/$defs/Tag"', 'common.yaml#/$defs/Label"')
    err = _error(spec_copy)
    assert err.file == "spec/entities/lead.yaml"
    assert err.key == "properties.tags.items.$ref"
    assert "dangling" in str(err) and "Label" in str(err)


def test_dangling_ref_to_a_file(spec_copy: Path) -> None:
    _edit(spec_copy / "entities" / "incoming_lead.yaml", '{$ref: "lead.yaml"}', '{$ref: "deal.yaml"}')
    err = _error(spec_copy)
    assert err.file == "spec/entities/incoming_lead.yaml"
    assert err.key == "$defs.IncomingEntities.properties.leads.items.$ref"
    assert "deal.yaml" in str(err)


def test_dangling_model_of_a_resource(spec_copy: Path) -> None:
    _edit(spec_copy / "resources" / "tasks.yaml", "model: task.yaml", "model: todo.yaml")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/resources/tasks.yaml", "model")
    assert "todo.yaml" in str(err)


def test_dangling_result_class(spec_copy: Path) -> None:
    _edit(spec_copy / "resources" / "webhooks.yaml", "result: WebhookResult, path: /api/v2/webhooks/subscribe, description: Subscribe one", "result: HookResult, path: /api/v2/webhooks/subscribe, description: Subscribe one")
    err = _error(spec_copy)
    assert err.key == "operations.subscribe.result" and "HookResult" in str(err)


def test_unknown_mixin(spec_copy: Path) -> None:
    _edit(spec_copy / "entities" / "lead.yaml", "x-mixins: [CustomFieldsMixin,", "x-mixins: [CustomFieldMixin,")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/entities/lead.yaml", "x-mixins")


def test_unknown_write_conversion(spec_copy: Path) -> None:
    _edit(spec_copy / "entities" / "lead.yaml", "x-write: {key: contacts_id, from: ids}", "x-write: {key: contacts_id, from: idz}")
    err = _error(spec_copy)
    assert err.key == "properties.contacts.x-write.from"


def test_invalid_yaml(spec_copy: Path) -> None:
    (spec_copy / "resources" / "pipelines.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    err = _error(spec_copy)
    assert err.file == "spec/resources/pipelines.yaml" and "invalid YAML" in str(err)


def test_operation_needing_paging(spec_copy: Path) -> None:
    _edit(spec_copy / "resources" / "catalogs.yaml", "  list: {description: All catalogs", "  iter: {description: x}\n  list: {description: All catalogs")
    err = _error(spec_copy)
    assert err.key == "operations.iter" and "paging" in str(err)


def test_cli_reports_the_error_and_exits_2(spec_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(spec_copy / "entities" / "note.yaml", "text: {type: string,", "text: {type: string, x-flex: list,")
    out = tmp_path / "out"
    assert main(["--spec", str(spec_copy), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "spec/entities/note.yaml: properties.text.x-flex: x-flex: list needs type: array" in err
    assert not out.exists()
