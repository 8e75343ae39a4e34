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
    v2 = spec.versions["v2"]
    assert {"lead", "contact", "company", "common"} <= set(v2.entities)
    assert {r.name for r in v2.resources} >= {"leads", "contacts", "account", "webhooks", "incoming_leads"}
    assert spec.default in spec.versions


def test_unknown_key_in_an_entity_property(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "entities" / "lead.yaml", "sale: {type: integer,", "sale: {type: integer, readonly: true,")
    err = _error(spec_copy)
    assert err.file == "spec/v2/entities/lead.yaml"
    assert err.key == "properties.sale.readonly"
    assert "unknown key" in str(err) and "readOnly" in str(err)


def test_unknown_key_in_a_resource(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "leads.yaml", "    method: GET\n    path: /api/v2/leads\n    paging: offset",
          "    method: GET\n    path: /api/v2/leads\n    paging: offset\n    pagin: offset")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/v2/resources/leads.yaml", "operations.list.pagin")


def test_wrong_type_of_a_value(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "leads.yaml", "batch_max: 500", "batch_max: lots")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/v2/resources/leads.yaml", "operations.save.batch_max")
    assert "expected an integer" in str(err)


def test_wrong_json_type_name(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "entities" / "task.yaml", "duration: {type: integer,", "duration: {type: int,")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/v2/entities/task.yaml", "properties.duration.type")
    assert "'int'" in str(err)


def test_unknown_enum_value(spec_copy: Path) -> None:
    _edit(spec_copy / "versions.yaml", "offset: {style: offset,", "offset: {style: cursor,")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/versions.yaml", "versions.v2.paging.offset.style") and "cursor" in str(err)


def test_unknown_paging_preset(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "contacts.yaml", "paging: offset", "paging: pages")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/v2/resources/contacts.yaml", "operations.list.paging")
    assert "unknown paging preset 'pages' (known: offset)" in str(err)


def test_unknown_http_method(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "pipelines.yaml", "method: GET", "method: FETCH")
    err = _error(spec_copy)
    assert err.key == "operations.list.method" and "FETCH" in str(err)


def test_path_parameter_without_a_declaration(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "pipelines.yaml", "path: /api/v2/pipelines", "path: /api/v2/pipelines/{pid}")
    err = _error(spec_copy)
    assert err.key == "operations.list.path" and "{pid} needs a parameter 'pid' with in: path" in str(err)


def test_body_template_naming_no_parameter(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "webhooks.yaml", "body: {subscribe: $items}", "body: {subscribe: $itemz}")
    err = _error(spec_copy)
    assert err.key == "operations.subscribe_many.body" and "$itemz names no body parameter" in str(err)


def test_default_version_must_exist(spec_copy: Path) -> None:
    _edit(spec_copy / "versions.yaml", "default: v4", "default: v3")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/versions.yaml", "default")


def test_version_without_a_folder(spec_copy: Path) -> None:
    import shutil

    shutil.rmtree(spec_copy / "v2")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/versions.yaml", "versions.v2") and "no folder" in str(err)


def test_dangling_ref_to_a_def(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "entities" / "lead.yaml", 'common.yaml#/$defs/Tag"', 'common.yaml#/$defs/Label"')
    err = _error(spec_copy)
    assert err.file == "spec/v2/entities/lead.yaml"
    assert err.key == "properties.tags.items.$ref"
    assert "dangling" in str(err) and "Label" in str(err)


def test_dangling_ref_to_a_file(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "entities" / "incoming_lead.yaml", '{$ref: "lead.yaml"}', '{$ref: "deal.yaml"}')
    err = _error(spec_copy)
    assert err.file == "spec/v2/entities/incoming_lead.yaml"
    assert err.key == "$defs.IncomingEntities.properties.leads.items.$ref"
    assert "deal.yaml" in str(err)


def test_dangling_model_of_a_resource(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "tasks.yaml", "model: task.yaml", "model: todo.yaml")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/v2/resources/tasks.yaml", "model")
    assert "todo.yaml" in str(err)


def test_dangling_result_class(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "webhooks.yaml", 'response: &results {type: "list[WebhookResult]"',
          'response: &results {type: "list[HookResult]"')
    err = _error(spec_copy)
    assert err.key == "operations.subscribe.response.type" and "HookResult" in str(err)


def test_unknown_mixin(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "entities" / "lead.yaml", "x-mixins: [CustomFieldsMixin,", "x-mixins: [CustomFieldMixin,")
    err = _error(spec_copy)
    assert (err.file, err.key) == ("spec/v2/entities/lead.yaml", "x-mixins")


def test_unknown_write_conversion(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "entities" / "lead.yaml", "x-write: {key: contacts_id, from: ids}", "x-write: {key: contacts_id, from: idz}")
    err = _error(spec_copy)
    assert err.key == "properties.contacts.x-write.from"


def test_invalid_yaml(spec_copy: Path) -> None:
    (spec_copy / "v2" / "resources" / "pipelines.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    err = _error(spec_copy)
    assert err.file == "spec/v2/resources/pipelines.yaml" and "invalid YAML" in str(err)


def test_paged_operation_must_return_a_list(spec_copy: Path) -> None:
    _edit(spec_copy / "v2" / "resources" / "leads.yaml", 'response: {type: "list[Lead]", at: _embedded.items}',
          "response: {type: Lead, at: _embedded.items}")
    err = _error(spec_copy)
    assert err.key == "operations.list.response.type" and "returns list[...]" in str(err)


def test_cli_reports_the_error_and_exits_2(spec_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(spec_copy / "v2" / "entities" / "note.yaml", "text: {type: string,", "text: {type: string, x-flex: list,")
    out = tmp_path / "out"
    assert main(["--spec", str(spec_copy), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "spec/v2/entities/note.yaml: properties.text.x-flex: x-flex: list needs type: array" in err
    assert not out.exists()


def test_list_literal_must_be_a_class_name(spec_copy: Path) -> None:
    _edit(spec_copy / "v4" / "constants.yaml", "literal: NoteType", "literal: note_type")
    err = _error(spec_copy)
    assert err.file == "spec/v4/constants.yaml" and err.key.endswith(".literal")
    assert "'note_type' does not match" in str(err)


def test_list_literal_is_emitted_with_the_list() -> None:
    import typing

    from amocrm.v4 import constants

    assert typing.get_args(constants.NoteType) == constants.NOTE_TYPES
    assert "NoteType" in constants.__all__
