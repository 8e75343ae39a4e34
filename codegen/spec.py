"""Load and validate ``spec/``: entity schemas, resource definitions and constants.

Every problem raises :class:`~codegen.errors.SpecError` naming the file and the dotted key, e.g.
``spec/resources/leads.yaml: paging.style: unknown value 'pages' (expected one of: ...)``.
The checks are deliberately closed-world: an unknown key is an error, so a typo never silently
drops a setting.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from codegen.errors import SpecError

__all__ = [
    "CONVERSIONS",
    "Entity",
    "Operation",
    "Param",
    "Resource",
    "Spec",
    "load_spec",
]

#: Write conversions understood by ``amocrm.models._write`` (``x-write.from``).
CONVERSIONS = ("value", "ids", "id", "tag_names", "custom_fields")
JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")
PARAM_TYPES = ("int", "str", "bool", "ids", "strs", "literal", "literals", "csv", "mapping", "datetime")
#: Operation kinds and the resource settings they need.
OPERATION_KINDS = (
    "list",
    "iter",
    "pages",
    "get",
    "save",
    "delete",
    "object_get",
    "get_by_uid",
    "incoming_add",
    "incoming_accept",
    "incoming_decline",
    "incoming_summary",
    "webhook_change",
    "webhook_change_many",
)
PAGING_STYLES = ("offset", "page", "links", "none")
WRITE_STYLES = ("envelope", "array", "none")
ENVELOPES = ("embedded", "root", "object")

_ENTITY_KEYS = {"$schema", "title", "description", "type", "properties", "required", "$defs", "x-mixins"}
_DEF_KEYS = {"title", "description", "type", "properties", "required", "x-mixins"}
_PROP_KEYS = {
    "type",
    "description",
    "$ref",
    "items",
    "additionalProperties",
    "readOnly",
    "writeOnly",
    "x-write",
    "x-flex",
    "enum",
    "anyOf",
    "format",
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLASS = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@dataclass
class Entity:
    """One ``spec/entities/*.yaml`` file: a main schema (``title``) and/or auxiliary ``$defs``."""

    file: str
    stem: str
    title: str | None
    description: str
    mixins: list[str]
    defs: dict[str, dict[str, Any]]
    raw: dict[str, Any]


@dataclass
class Param:
    """A list filter (query parameter or header) of a resource."""

    name: str
    wire: str
    type: str
    description: str
    values: list[str] = field(default_factory=list)
    required: bool = False
    location: str = "query"
    #: For ``mapping`` parameters: the documented keys, rendered as a TypedDict
    #: (``{key: {"type": .., "description": .., "values": [..]}}``).
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    typed_name: str = ""


@dataclass
class Operation:
    """A method of a resource: ``name`` is the Python method, ``kind`` picks the implementation."""

    name: str
    kind: str
    description: str
    path: str | None = None
    result: str | None = None


@dataclass
class Resource:
    """One ``spec/resources/*.yaml`` file."""

    file: str
    name: str
    class_name: str
    description: str
    api: str
    path: str
    model_file: str
    model: str
    items_key: str
    envelope: str
    paging: dict[str, Any]
    write: dict[str, Any]
    lock_kind: str
    params: list[Param]
    operations: list[Operation]


@dataclass
class Spec:
    """The whole validated spec."""

    root: Path
    entities: dict[str, Entity]
    resources: list[Resource]
    constants: dict[str, Any]


def load_spec(root: Path, *, known_mixins: set[str] | None = None) -> Spec:
    """Read and validate every spec file under ``root`` (sorted, so the result is deterministic)."""
    root = Path(root)
    if not root.is_dir():
        raise SpecError(str(root), "", "spec directory not found")
    entities: dict[str, Entity] = {}
    for path in sorted((root / "entities").glob("*.yaml")):
        entity = _load_entity(root, path, known_mixins)
        entities[entity.stem] = entity
    if not entities:
        raise SpecError(_rel(root, root / "entities"), "", "no entity files (*.yaml)")
    _check_entity_names(entities)
    for entity in entities.values():
        _check_refs(entity, entities)
    resources = [_load_resource(root, p, entities) for p in sorted((root / "resources").glob("*.yaml"))]
    names: dict[str, str] = {}
    for res in resources:
        if res.name in names:
            raise SpecError(res.file, "name", f"duplicate resource name {res.name!r} (also in {names[res.name]})")
        names[res.name] = res.file
    classes = {n for e in entities.values() for n in ([e.title] if e.title else []) + list(e.defs)}
    for res in resources:
        for op in res.operations:
            if op.result is not None and op.result not in classes:
                raise SpecError(res.file, f"operations.{op.name}.result", f"dangling reference: no class {op.result!r}")
    constants = _load_constants(root)
    return Spec(root=root, entities=entities, resources=resources, constants=constants)


# --------------------------------------------------------------------------------------------- helpers


def _rel(root: Path, path: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _read_yaml(root: Path, path: Path) -> tuple[str, Any]:
    file = _rel(root, path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SpecError(file, "", f"invalid YAML: {exc}") from None
    return file, data


def _need(cond: bool, file: str, key: str, message: str) -> None:
    if not cond:
        raise SpecError(file, key, message)


def _mapping(value: Any, file: str, key: str) -> dict[str, Any]:
    _need(isinstance(value, dict), file, key, f"expected a mapping, got {type(value).__name__}")
    for k in value:
        _need(isinstance(k, str), file, key, f"keys must be strings, got {k!r}")
    return value  # type: ignore[no-any-return]


def _string(value: Any, file: str, key: str) -> str:
    _need(isinstance(value, str) and value != "", file, key, f"expected a non-empty string, got {value!r}")
    if key.endswith("description"):
        _need('"""' not in value and "\\" not in value and not value.endswith('"'), file, key,
              "must not contain triple quotes or backslashes, nor end with a quote (it becomes a docstring)")
    return value  # type: ignore[no-any-return]


def _bool(value: Any, file: str, key: str) -> bool:
    _need(isinstance(value, bool), file, key, f"expected true or false, got {value!r}")
    return value  # type: ignore[no-any-return]


def _int(value: Any, file: str, key: str) -> int:
    _need(isinstance(value, int) and not isinstance(value, bool), file, key, f"expected an integer, got {value!r}")
    return value  # type: ignore[no-any-return]


def _choice(value: Any, choices: tuple[str, ...], file: str, key: str) -> str:
    _need(
        isinstance(value, str) and value in choices,
        file,
        key,
        f"unknown value {value!r} (expected one of: {', '.join(choices)})",
    )
    return value  # type: ignore[no-any-return]


def _keys(data: dict[str, Any], allowed: set[str], file: str, prefix: str) -> None:
    for k in data:
        if k not in allowed:
            where = f"{prefix}.{k}" if prefix else k
            raise SpecError(file, where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


# --------------------------------------------------------------------------------------------- entities


def _load_entity(root: Path, path: Path, known_mixins: set[str] | None) -> Entity:
    file, data = _read_yaml(root, path)
    data = _mapping(data, file, "")
    _keys(data, _ENTITY_KEYS, file, "")
    description = _string(data.get("description"), file, "description")
    title = None
    if "properties" in data or "title" in data:
        title = _string(data.get("title"), file, "title")
        _need(bool(_CLASS.match(title)), file, "title", f"{title!r} is not a PascalCase class name")
        _object_schema(data, file, "", known_mixins)
    defs: dict[str, dict[str, Any]] = {}
    if "$defs" in data:
        for name, schema in _mapping(data["$defs"], file, "$defs").items():
            key = f"$defs.{name}"
            _need(bool(_CLASS.match(name)), file, key, f"{name!r} is not a PascalCase class name")
            schema = _mapping(schema, file, key)
            _keys(schema, _DEF_KEYS, file, key)
            _string(schema.get("description"), file, _join(key, "description"))
            _object_schema(schema, file, key, known_mixins)
            defs[name] = schema
    _need(title is not None or bool(defs), file, "", "neither a main schema (title/properties) nor $defs")
    mixins = list(data.get("x-mixins") or [])
    return Entity(file=file, stem=path.stem, title=title, description=description, mixins=mixins, defs=defs, raw=data)


def _object_schema(schema: dict[str, Any], file: str, prefix: str, known_mixins: set[str] | None) -> None:
    _need(schema.get("type") == "object", file, _join(prefix, "type"), "must be 'object'")
    props = _mapping(schema.get("properties"), file, _join(prefix, "properties"))
    _need(bool(props), file, _join(prefix, "properties"), "must not be empty")
    for name, prop in props.items():
        key = _join(prefix, f"properties.{name}")
        _need(bool(_IDENT.match(name)), file, key, f"{name!r} is not a valid property name")
        _property(prop, file, key, top=True)
    if "required" in schema:
        req = schema["required"]
        _need(isinstance(req, list), file, _join(prefix, "required"), "expected a list of property names")
        for item in req:
            _need(item in props, file, _join(prefix, "required"), f"{item!r} is not a property")
    if "x-mixins" in schema:
        mixins = schema["x-mixins"]
        key = _join(prefix, "x-mixins")
        _need(isinstance(mixins, list), file, key, "expected a list of mixin class names")
        for m in mixins:
            _string(m, file, key)
            if known_mixins is not None:
                _need(m in known_mixins, file, key, f"unknown mixin {m!r} (known: {', '.join(sorted(known_mixins))})")


def _property(prop: Any, file: str, key: str, *, top: bool) -> None:
    prop = _mapping(prop, file, key)
    _keys(prop, _PROP_KEYS, file, key)
    if top:
        _string(prop.get("description"), file, _join(key, "description"))
    elif "description" in prop:
        _string(prop["description"], file, _join(key, "description"))
    if "type" in prop:
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        _need(bool(types), file, _join(key, "type"), "must not be empty")
        for t in types:
            _choice(t, JSON_TYPES, file, _join(key, "type"))
    if "$ref" in prop:
        _string(prop["$ref"], file, _join(key, "$ref"))
    for flag in ("readOnly", "writeOnly"):
        if flag in prop:
            _bool(prop[flag], file, _join(key, flag))
    if "items" in prop:
        _property(prop["items"], file, _join(key, "items"), top=False)
    if "additionalProperties" in prop and not isinstance(prop["additionalProperties"], bool):
        _property(prop["additionalProperties"], file, _join(key, "additionalProperties"), top=False)
    if "anyOf" in prop:
        options = prop["anyOf"]
        _need(isinstance(options, list) and bool(options), file, _join(key, "anyOf"), "expected a non-empty list")
        for i, option in enumerate(options):
            _property(option, file, _join(key, f"anyOf.{i}"), top=False)
    if "enum" in prop:
        _need(isinstance(prop["enum"], list) and bool(prop["enum"]), file, _join(key, "enum"), "expected a list")
    if "x-flex" in prop:
        flex = _choice(prop["x-flex"], ("list", "object"), file, _join(key, "x-flex"))
        if flex == "list":
            _need(prop.get("type") == "array", file, _join(key, "x-flex"), "x-flex: list needs type: array")
        else:
            _need("$ref" in prop, file, _join(key, "x-flex"), "x-flex: object needs a $ref to an object schema")
    if "x-write" in prop:
        wkey = _join(key, "x-write")
        write = _mapping(prop["x-write"], file, wkey)
        _keys(write, {"key", "from"}, file, wkey)
        if "key" in write:
            _string(write["key"], file, _join(wkey, "key"))
        if "from" in write:
            _choice(write["from"], CONVERSIONS, file, _join(wkey, "from"))
        _need(not prop.get("readOnly"), file, wkey, "a readOnly property is never written")


def _iter_refs(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        for k, v in node.items():
            sub = _join(key, k)
            if k == "$ref" and isinstance(v, str):
                yield sub, v
            else:
                yield from _iter_refs(v, sub)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _iter_refs(v, _join(key, str(i)))


def _check_refs(entity: Entity, entities: dict[str, Entity]) -> None:
    for key, ref in _iter_refs(entity.raw, ""):
        target_file, _, pointer = ref.partition("#")
        if target_file:
            _need(target_file.endswith(".yaml"), entity.file, key, f"$ref {ref!r} must name a .yaml file")
            target = entities.get(target_file[: -len(".yaml")])
            _need(target is not None, entity.file, key, f"dangling $ref {ref!r}: no file entities/{target_file}")
        else:
            target = entity
        assert target is not None
        if not pointer:
            _need(target.title is not None, entity.file, key, f"dangling $ref {ref!r}: that file has no main schema")
            continue
        match = re.fullmatch(r"/\$defs/([A-Za-z0-9_]+)", pointer)
        _need(match is not None, entity.file, key, f"$ref {ref!r}: only '#/$defs/Name' pointers are supported")
        assert match is not None
        _need(match.group(1) in target.defs, entity.file, key, f"dangling $ref {ref!r}: no $defs.{match.group(1)}")


def _check_entity_names(entities: dict[str, Entity]) -> None:
    seen: dict[str, str] = {}
    for entity in entities.values():
        names = ([entity.title] if entity.title else []) + list(entity.defs)
        for name in names:
            if name in seen:
                raise SpecError(entity.file, name, f"class name {name!r} already defined in {seen[name]}")
            seen[name] = entity.file


# --------------------------------------------------------------------------------------------- resources

_RESOURCE_KEYS = {
    "name",
    "class",
    "description",
    "api",
    "path",
    "model",
    "items_key",
    "envelope",
    "paging",
    "write",
    "lock_kind",
    "params",
    "operations",
}
_PAGING_KEYS = {"style", "size_param", "offset_param", "page_param", "max"}
_WRITE_KEYS = {"style", "batch_max", "delete"}
_PARAM_KEYS = {"name", "wire", "type", "values", "required", "in", "description", "fields"}
#: Value types of the keys of a typed ``mapping`` parameter (``range`` is ``{"from": .., "to": ..}``).
FIELD_TYPES = ("int", "str", "bool", "ids", "strs", "literal", "range", "mapping")
_OP_KEYS = {"kind", "path", "description", "result"}
#: Operation kinds that return a model named by ``result``.
RESULT_KINDS = ("incoming_accept", "incoming_summary", "webhook_change", "webhook_change_many")
_RESERVED_PARAMS = {"self", "page_size", "limit_offset", "limit_rows", "page", "id_", "objects", "batch_size"}


def _load_resource(root: Path, path: Path, entities: dict[str, Entity]) -> Resource:
    file, data = _read_yaml(root, path)
    data = _mapping(data, file, "")
    _keys(data, _RESOURCE_KEYS, file, "")
    for required in ("name", "description", "api", "path", "model", "envelope", "paging", "write", "operations"):
        _need(required in data, file, required, "missing required key")
    name = _string(data["name"], file, "name")
    _need(bool(re.fullmatch(r"[a-z][a-z0-9_]*", name)), file, "name", f"{name!r} must be snake_case")
    _need(not keyword.iskeyword(name), file, "name", f"{name!r} is a Python keyword")
    class_name = data.get("class") or "".join(p.capitalize() for p in name.split("_")) + "Resource"
    _need(bool(_CLASS.match(class_name)), file, "class", f"{class_name!r} is not a PascalCase class name")
    description = _string(data["description"], file, "description")
    api = _choice(data["api"], ("v2", "v4"), file, "api")
    res_path = _string(data["path"], file, "path")
    _need(res_path.startswith("/"), file, "path", "must start with '/'")
    model_file = _string(data["model"], file, "model")
    entity = entities.get(model_file[: -len(".yaml")]) if model_file.endswith(".yaml") else None
    _need(entity is not None, file, "model", f"dangling reference {model_file!r}: no file entities/{model_file}")
    assert entity is not None
    _need(entity.title is not None, file, "model", f"{model_file!r} has no main schema (title)")
    envelope = _choice(data["envelope"], ENVELOPES, file, "envelope")
    items_key = data.get("items_key", "items")
    _need(isinstance(items_key, str), file, "items_key", f"expected a string, got {items_key!r}")
    if envelope != "object":
        _need(bool(items_key) and bool(_IDENT.match(items_key)), file, "items_key", "needs a key name for lists")

    paging = _mapping(data["paging"], file, "paging")
    _keys(paging, _PAGING_KEYS, file, "paging")
    style = _choice(paging.get("style"), PAGING_STYLES, file, "paging.style")
    for k in ("size_param", "offset_param", "page_param"):
        if k in paging:
            _string(paging[k], file, f"paging.{k}")
    if "max" in paging:
        _need(_int(paging["max"], file, "paging.max") > 0, file, "paging.max", "must be positive")
    if style == "offset":
        for k in ("size_param", "offset_param", "max"):
            _need(k in paging, file, f"paging.{k}", "required for style offset")
    if style in ("page", "links"):
        _need("page_param" in paging, file, "paging.page_param", f"required for style {style}")
    if style == "links":
        _need("size_param" in paging and "max" in paging, file, "paging.size_param", "links paging needs size_param, max")

    write = _mapping(data["write"], file, "write")
    _keys(write, _WRITE_KEYS, file, "write")
    wstyle = _choice(write.get("style"), WRITE_STYLES, file, "write.style")
    if "batch_max" in write:
        _need(_int(write["batch_max"], file, "write.batch_max") > 0, file, "write.batch_max", "must be positive")
    if wstyle != "none":
        _need("batch_max" in write, file, "write.batch_max", "required when writes are enabled")
    if "delete" in write:
        _bool(write["delete"], file, "write.delete")

    lock_kind = _string(data.get("lock_kind", name), file, "lock_kind")
    params = _load_params(data.get("params") or [], file)
    for param in params:
        if param.fields:
            param.typed_name = class_name.removesuffix("Resource") + "".join(
                part.capitalize() for part in param.name.strip("_").split("_")
            )
    operations = _load_operations(data["operations"], file, style, wstyle, bool(write.get("delete")), envelope)
    return Resource(
        file=file,
        name=name,
        class_name=class_name,
        description=description,
        api=api,
        path=res_path,
        model_file=model_file,
        model=entity.title or "",
        items_key=items_key,
        envelope=envelope,
        paging=dict(paging),
        write=dict(write),
        lock_kind=lock_kind,
        params=params,
        operations=operations,
    )


def _load_params(items: Any, file: str) -> list[Param]:
    _need(isinstance(items, list), file, "params", "expected a list")
    params: list[Param] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        key = f"params.{i}"
        raw = _mapping(raw, file, key)
        _keys(raw, _PARAM_KEYS, file, key)
        name = _string(raw.get("name"), file, f"{key}.name")
        _need(bool(_IDENT.match(name)) and not keyword.iskeyword(name), file, f"{key}.name", f"{name!r} is not a valid argument name")
        _need(name not in _RESERVED_PARAMS, file, f"{key}.name", f"{name!r} is reserved by the generated methods")
        _need(name not in seen, file, f"{key}.name", f"duplicate parameter {name!r}")
        seen.add(name)
        ptype = _choice(raw.get("type"), PARAM_TYPES, file, f"{key}.type")
        values = raw.get("values", [])
        if ptype in ("literal", "literals", "csv"):
            _need(isinstance(values, list) and bool(values), file, f"{key}.values", f"type {ptype} needs a list of values")
            for v in values:
                _string(v, file, f"{key}.values")
        else:
            _need("values" not in raw, file, f"{key}.values", f"only literal/literals/csv take values, not {ptype}")
        fields: dict[str, dict[str, Any]] = {}
        if "fields" in raw:
            _need(ptype == "mapping", file, f"{key}.fields", f"only type mapping takes fields, not {ptype}")
            for fname, fconf in _mapping(raw["fields"], file, f"{key}.fields").items():
                fkey = f"{key}.fields.{fname}"
                _need(bool(_IDENT.match(fname)), file, fkey, f"{fname!r} is not a valid key name")
                fconf = _mapping(fconf, file, fkey)
                _keys(fconf, {"type", "description", "values"}, file, fkey)
                ftype = _choice(fconf.get("type"), FIELD_TYPES, file, f"{fkey}.type")
                fvalues = fconf.get("values", [])
                if ftype == "literal":
                    _need(isinstance(fvalues, list) and bool(fvalues)
                          and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in fvalues),
                          file, f"{fkey}.values", "type literal needs a list of strings or integers")
                else:
                    _need("values" not in fconf, file, f"{fkey}.values", f"only literal takes values, not {ftype}")
                fields[fname] = {
                    "type": ftype,
                    "values": list(fvalues),
                    "description": _string(fconf.get("description"), file, f"{fkey}.description"),
                }
        location = _choice(raw.get("in", "query"), ("query", "header"), file, f"{key}.in")
        if location == "header":
            _need(ptype == "datetime" and name == "modified_since", file, f"{key}.in",
                  "the only header parameter is modified_since (type datetime)")
        params.append(
            Param(
                name=name,
                wire=_string(raw.get("wire", name), file, f"{key}.wire"),
                type=ptype,
                description=_string(raw.get("description"), file, f"{key}.description"),
                values=list(values),
                required=_bool(raw.get("required", False), file, f"{key}.required"),
                location=location,
                fields=fields,
            )
        )
    return params


def _load_operations(raw: Any, file: str, paging: str, write: str, delete: bool, envelope: str) -> list[Operation]:
    ops = _mapping(raw, file, "operations")
    _need(bool(ops), file, "operations", "must not be empty")
    out: list[Operation] = []
    for name, conf in ops.items():
        key = f"operations.{name}"
        _need(bool(re.fullmatch(r"[a-z][a-z0-9_]*", name)), file, key, f"{name!r} must be a snake_case method name")
        conf = _mapping(conf or {}, file, key)
        _keys(conf, _OP_KEYS, file, key)
        kind = _choice(conf.get("kind", name), OPERATION_KINDS, file, f"{key}.kind")
        path = conf.get("path")
        if path is not None:
            _need(isinstance(path, str) and path.startswith("/"), file, f"{key}.path", "must start with '/'")
        if kind in ("incoming_add", "incoming_accept", "incoming_decline", "incoming_summary", "webhook_change",
                    "webhook_change_many"):
            _need(path is not None, file, f"{key}.path", f"kind {kind} needs a path")
        if kind in ("iter", "pages"):
            _need(paging != "none", file, key, f"{kind} needs paging (paging.style is none)")
        if kind == "save":
            _need(write != "none", file, key, "save needs write.style envelope or array")
        if kind == "delete":
            _need(delete, file, key, "delete needs write.delete: true")
        if kind == "object_get":
            _need(envelope == "object", file, key, "object_get needs envelope: object")
        if kind in ("list", "iter", "pages", "get"):
            _need(envelope != "object", file, key, f"{kind} needs a list envelope (embedded or root)")
        result = conf.get("result")
        if kind in RESULT_KINDS:
            _need(result is not None, file, f"{key}.result", f"kind {kind} needs the result model class name")
        if result is not None:
            _need(kind in RESULT_KINDS, file, f"{key}.result", f"kind {kind} takes no result")
            _need(isinstance(result, str) and bool(_CLASS.match(result)), file, f"{key}.result",
                  f"{result!r} is not a class name")
        description = _string(conf.get("description"), file, f"{key}.description")
        out.append(Operation(name=name, kind=kind, description=description, path=path, result=result))
    return out


# --------------------------------------------------------------------------------------------- constants

_CONST_KEYS = {"enums", "lists", "tables"}


def _load_constants(root: Path) -> dict[str, Any]:
    path = root / "constants.yaml"
    if not path.exists():
        return {"enums": [], "lists": [], "tables": []}
    file, data = _read_yaml(root, path)
    data = _mapping(data, file, "")
    _keys(data, _CONST_KEYS, file, "")
    names: set[str] = set()

    def _name(value: Any, key: str, pattern: str) -> str:
        n = _string(value, file, key)
        _need(bool(re.fullmatch(pattern, n)), file, key, f"{n!r} does not match {pattern}")
        _need(n not in names, file, key, f"duplicate constant name {n!r}")
        names.add(n)
        return n

    enums = []
    for i, raw in enumerate(data.get("enums") or []):
        key = f"enums.{i}"
        raw = _mapping(raw, file, key)
        _keys(raw, {"name", "description", "members"}, file, key)
        members = []
        for j, m in enumerate(raw.get("members") or []):
            mkey = f"{key}.members.{j}"
            m = _mapping(m, file, mkey)
            _keys(m, {"name", "value", "alias", "description"}, file, mkey)
            members.append(
                {
                    "name": _string(m.get("name"), file, f"{mkey}.name"),
                    "value": _int(m.get("value"), file, f"{mkey}.value"),
                    "alias": _name(m["alias"], f"{mkey}.alias", r"[A-Z][A-Z0-9_]*") if "alias" in m else None,
                    "description": _string(m.get("description"), file, f"{mkey}.description"),
                }
            )
        _need(bool(members), file, f"{key}.members", "must not be empty")
        enums.append(
            {
                "name": _name(raw.get("name"), f"{key}.name", r"[A-Z][A-Za-z0-9]*"),
                "description": _string(raw.get("description"), file, f"{key}.description"),
                "members": members,
            }
        )
    lists = []
    for i, raw in enumerate(data.get("lists") or []):
        key = f"lists.{i}"
        raw = _mapping(raw, file, key)
        _keys(raw, {"name", "description", "values"}, file, key)
        values: Any = raw.get("values")
        _need(isinstance(values, list) and all(isinstance(v, str) for v in values), file, f"{key}.values",
              "expected a list of strings")
        lists.append(
            {
                "name": _name(raw.get("name"), f"{key}.name", r"[A-Z][A-Z0-9_]*"),
                "description": _string(raw.get("description"), file, f"{key}.description"),
                "values": list(values),
            }
        )
    tables = []
    for i, raw in enumerate(data.get("tables") or []):
        key = f"tables.{i}"
        raw = _mapping(raw, file, key)
        _keys(raw, {"name", "description", "entries"}, file, key)
        entries: Any = raw.get("entries")
        _need(isinstance(entries, dict) and bool(entries), file, f"{key}.entries", "expected a mapping")
        for k, v in entries.items():
            _int(k, file, f"{key}.entries.{k}")
            _string(v, file, f"{key}.entries.{k}")
        tables.append(
            {
                "name": _name(raw.get("name"), f"{key}.name", r"[A-Z][A-Z0-9_]*"),
                "description": _string(raw.get("description"), file, f"{key}.description"),
                "entries": dict(entries),
            }
        )
    return {"enums": enums, "lists": lists, "tables": tables}
