"""Load and validate ``spec/`` into the generator's intermediate form (the dataclasses below).

``spec/versions.yaml`` names the API versions and the default one; each version has a folder
(``spec/<version>/``) with entity schemas, resources and constants. Every problem raises
:class:`~codegen.errors.SpecError` naming the file and the dotted key, e.g.
``spec/v2/resources/leads.yaml: operations.list.paging: unknown paging preset 'pages' (known: offset)``.
The checks are closed-world: an unknown key is an error, so a typo never silently drops a setting.

An operation is an HTTP method and a path template with typed path parameters, query and header
parameters, a body (built from typed body parameters, optionally through a template), a response
(a type found at a dotted path of the answer) and an optional paging style. ``kind: save``
operations are batch writes whose wire form is the version's write style.
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
    "BUILTIN_TYPES",
    "CONVERSIONS",
    "Entity",
    "Operation",
    "Paging",
    "Param",
    "Resource",
    "ResponseSpec",
    "Spec",
    "TypeRef",
    "Version",
    "load_spec",
]

#: Write conversions of ``x-write.from``: ``value`` (nested models by their own write rules),
#: ``ids`` (``{"id": [..]}`` -> ``[..]``), ``id`` (``{"id": ..}`` -> id), ``tag_names`` (tags -> names).
CONVERSIONS = ("value", "ids", "id", "tag_names")
JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "null")
#: Parameter types understood by the runtime (``amocrm._core.params``).
PARAM_TYPES = (
    "id", "ids", "int", "number", "str", "strs", "bool", "literal", "literals", "csv",
    "timestamp", "time", "http_date", "range", "object", "json", "model", "models", "refs",
)  # fmt: skip
#: Types of the keys of an ``object`` parameter's ``fields``.
FIELD_TYPES = (
    "id",
    "ids",
    "int",
    "number",
    "str",
    "strs",
    "bool",
    "literal",
    "literals",
    "timestamp",
    "time",
    "range",
    "int_range",
    "pairs",
    "object",
    "json",
)
LOCATIONS = ("query", "path", "header", "body")
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
PAGING_STYLES = ("offset", "page", "links")
WRITE_STYLES = ("envelope", "array")
ERROR_FORMATS = ("legacy", "problem_json")
AUTH_KINDS = ("oauth2", "long_lived_token", "api_key")
EMPTY = ("error", "empty", "none", "default")
#: Response checks a version's profile implements (``response.check``), by error format.
CHECKS = {"legacy": ("status",), "problem_json": ()}
#: Types provided by the runtime that responses may name.
BUILTIN_TYPES = ("str", "int", "float", "bool", "json", "SavedItem")
#: Names the generated methods use themselves.
RESERVED_PARAMS = {"self", "page_size", "offset", "page", "batch_size", "continue_on_error", "timeout"}

_VERSIONS_KEYS = {"default", "versions"}
_VERSION_KEYS = {"description", "base_path", "write", "errors", "auth", "paging"}
_PAGING_KEYS = {"style", "size_param", "offset_param", "page_param", "max"}
_RESOURCE_KEYS = {"name", "class", "description", "model", "lock_kind", "operations"}
_OP_KEYS = {"description", "kind", "method", "path", "params", "paging", "body", "response", "batch_max"}
_PARAM_KEYS = {"in", "wire", "type", "values", "required", "description", "fields", "model", "chunk"}
_FIELD_KEYS = {"type", "values", "description", "fields", "wire"}
_RESPONSE_KEYS = {"type", "at", "pick", "empty", "check", "write_back"}

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
    "x-refuse",
    "enum",
    "anyOf",
    "format",
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CLASS = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_VERSION_ID = re.compile(r"^v[0-9]+$")
#: AmoClient attributes a resource name must not shadow (client.leads sits beside them).
_CLIENT_ATTRS = {
    "config",
    "request",
    "ajax",
    "close",
    "domain",
    "subdomain",
    "base_url",
    "auth",
    "throttle",
    "retry",
    "locker",
    "timeout",
    "last_response",
    "send",
    "with_raw_response",
    "get_account_domain",
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Entity:
    """One ``spec/<version>/entities/*.yaml`` file: a main schema (``title``) and/or auxiliary ``$defs``."""

    file: str
    stem: str
    title: str | None
    description: str
    mixins: list[str]
    defs: dict[str, dict[str, Any]]
    raw: dict[str, Any]


@dataclass
class Paging:
    """How a list operation pages: ``offset`` (size + offset), ``page`` (page number) or ``links`` (``_links.next``)."""

    style: str
    max: int
    size_param: str | None = None
    offset_param: str | None = None
    page_param: str | None = None


@dataclass
class TypeRef:
    """A response type: ``Name``, ``list[X]`` or ``dict[str, X]``; ``name`` is a class or a builtin."""

    container: str  # "" | "list" | "dict"
    name: str

    @property
    def python(self) -> str:
        inner = _BUILTIN_PYTHON.get(self.name, self.name)
        if self.container == "list":
            return f"builtins.list[{inner}]"
        if self.container == "dict":
            return f"builtins.dict[str, {inner}]"
        return inner

    @property
    def is_model(self) -> bool:
        return self.name not in BUILTIN_TYPES


_BUILTIN_PYTHON = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "json": "Any",
    "SavedItem": "SavedItem",
}


@dataclass
class Param:
    """One argument of a generated method and where it goes on the wire."""

    name: str
    wire: str
    location: str
    type: str
    description: str
    required: bool = False
    values: list[Any] = field(default_factory=list)
    #: ``object`` parameters: the documented keys (rendered as a TypedDict and checked at run time).
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``model``/``models``/``refs``: the class of the objects.
    model: str | None = None
    #: ``refs``/``models``/``ids``/``strs`` body parameters: at most this many per request (the call is split).
    chunk: int | None = None
    typed_name: str = ""


@dataclass
class ResponseSpec:
    """What an operation returns: ``type`` found at ``at`` (dotted keys) of the answer."""

    type: TypeRef | None
    at: list[str]
    pick: str | None = None
    empty: str = "error"
    check: str | None = None
    write_back: tuple[str, str] | None = None


@dataclass
class Operation:
    """One method of a resource (``kind: call``) or a batch write (``kind: save``)."""

    name: str
    kind: str
    description: str
    method: str
    path: str
    params: list[Param]
    response: ResponseSpec
    paging: Paging | None = None
    body: Any = None
    batch_max: int = 0

    @property
    def path_params(self) -> list[Param]:
        return [p for p in self.params if p.location == "path"]


@dataclass
class Resource:
    """One ``spec/<version>/resources/*.yaml`` file."""

    file: str
    name: str
    class_name: str
    description: str
    model_file: str
    model: str
    lock_kind: str
    operations: list[Operation]


@dataclass
class Version:
    """One API version: its profile (``spec/versions.yaml``) and its entities, resources and constants."""

    id: str
    description: str
    base_path: str
    write: str
    errors: str
    auth: list[str]
    paging: dict[str, Paging]
    root: Path
    entities: dict[str, Entity] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)

    @property
    def classes(self) -> dict[str, str]:
        """Class name -> module (entity file stem)."""
        out: dict[str, str] = {}
        for stem, entity in self.entities.items():
            for name in ([entity.title] if entity.title else []) + list(entity.defs):
                out[name] = stem
        return out


@dataclass
class Spec:
    """The whole validated spec: every version, and the default one."""

    root: Path
    default: str
    versions: dict[str, Version]


def load_spec(root: Path, *, known_mixins: dict[str, set[str]] | None = None) -> Spec:
    """Read and validate every spec file under ``root`` (sorted, so the result is deterministic).

    ``known_mixins`` maps a version to the helper mixin names its entities may use.
    """
    root = Path(root)
    if not root.is_dir():
        raise SpecError(str(root), "", "spec directory not found")
    vfile, data = _read_yaml(root, root / "versions.yaml")
    data = _mapping(data, vfile, "")
    _keys(data, _VERSIONS_KEYS, vfile, "")
    versions_raw = _mapping(data.get("versions"), vfile, "versions")
    _need(bool(versions_raw), vfile, "versions", "must not be empty")
    versions: dict[str, Version] = {}
    for vid, raw in versions_raw.items():
        key = f"versions.{vid}"
        _need(bool(_VERSION_ID.match(vid)), vfile, key, f"{vid!r} is not a version id (v2, v4, ...)")
        raw = _mapping(raw, vfile, key)
        _keys(raw, _VERSION_KEYS, vfile, key)
        for required in ("description", "base_path", "write", "errors", "auth"):
            _need(required in raw, vfile, f"{key}.{required}", "missing required key")
        base = _string(raw["base_path"], vfile, f"{key}.base_path")
        _need(
            base.startswith("/") and not base.endswith("/"),
            vfile,
            f"{key}.base_path",
            "must start with '/' and not end with it",
        )
        auth = raw["auth"]
        _need(isinstance(auth, list) and bool(auth), vfile, f"{key}.auth", "expected a non-empty list")
        for i, kind in enumerate(auth):
            _choice(kind, AUTH_KINDS, vfile, f"{key}.auth.{i}")
        presets: dict[str, Paging] = {}
        for pname, praw in _mapping(raw.get("paging") or {}, vfile, f"{key}.paging").items():
            _need(bool(_IDENT.match(pname)), vfile, f"{key}.paging.{pname}", "preset names are identifiers")
            presets[pname] = _paging(praw, vfile, f"{key}.paging.{pname}")
        folder = root / vid
        _need(folder.is_dir(), vfile, key, f"no folder {_rel(root, folder)} for this version")
        versions[vid] = Version(
            id=vid,
            description=_string(raw["description"], vfile, f"{key}.description"),
            base_path=base,
            write=_choice(raw["write"], WRITE_STYLES, vfile, f"{key}.write"),
            errors=_choice(raw["errors"], ERROR_FORMATS, vfile, f"{key}.errors"),
            auth=list(auth),
            paging=presets,
            root=folder,
        )
    default = data.get("default")
    _need(
        isinstance(default, str) and default in versions,
        vfile,
        "default",
        f"must name one of the versions ({', '.join(versions)}), got {default!r}",
    )
    for version in versions.values():
        mixins = None if known_mixins is None else known_mixins.get(version.id, set())
        _load_version(root, version, mixins)
    return Spec(root=root, default=str(default), versions=versions)


def _load_version(root: Path, version: Version, known_mixins: set[str] | None) -> None:
    folder = version.root
    for path in sorted((folder / "entities").glob("*.yaml")):
        entity = _load_entity(root, path, known_mixins)
        version.entities[entity.stem] = entity
    if not version.entities:
        raise SpecError(_rel(root, folder / "entities"), "", "no entity files (*.yaml)")
    _check_entity_names(version.entities)
    for entity in version.entities.values():
        _check_refs(entity, version.entities)
    classes = version.classes
    version.resources = [
        _load_resource(root, p, version, classes) for p in sorted((folder / "resources").glob("*.yaml"))
    ]
    names: dict[str, str] = {}
    for res in version.resources:
        if res.name in names:
            raise SpecError(
                res.file, "name", f"duplicate resource name {res.name!r} (also in {names[res.name]})"
            )
        names[res.name] = res.file
    version.constants = _load_constants(root, folder)


def _paging(raw: Any, file: str, key: str) -> Paging:
    raw = _mapping(raw, file, key)
    _keys(raw, _PAGING_KEYS, file, key)
    style = _choice(raw.get("style"), PAGING_STYLES, file, f"{key}.style")
    for k in ("size_param", "offset_param", "page_param"):
        if k in raw:
            _string(raw[k], file, f"{key}.{k}")
    _need("max" in raw, file, f"{key}.max", "required: the largest page size the API allows")
    maximum = _int(raw["max"], file, f"{key}.max")
    _need(maximum > 0, file, f"{key}.max", "must be positive")
    if style == "offset":
        for k in ("size_param", "offset_param"):
            _need(k in raw, file, f"{key}.{k}", "required for style offset")
        _need("page_param" not in raw, file, f"{key}.page_param", "not used by style offset")
    else:
        _need("page_param" in raw, file, f"{key}.page_param", f"required for style {style}")
        _need("offset_param" not in raw, file, f"{key}.offset_param", f"not used by style {style}")
        if style == "links":
            _need("size_param" in raw, file, f"{key}.size_param", "required for style links")
    return Paging(
        style=style,
        max=maximum,
        size_param=raw.get("size_param"),
        offset_param=raw.get("offset_param"),
        page_param=raw.get("page_param"),
    )


# --------------------------------------------------------------------------------------------- helpers


def _rel(root: Path, path: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _read_yaml(root: Path, path: Path) -> tuple[str, Any]:
    file = _rel(root, path)
    if not path.is_file():
        raise SpecError(file, "", "file not found")
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
        _need(
            '"""' not in value and "\\" not in value and not value.endswith('"'),
            file,
            key,
            "must not contain triple quotes or backslashes, nor end with a quote (it becomes a docstring)",
        )
    return value  # type: ignore[no-any-return]


def _bool(value: Any, file: str, key: str) -> bool:
    _need(isinstance(value, bool), file, key, f"expected true or false, got {value!r}")
    return value  # type: ignore[no-any-return]


def _int(value: Any, file: str, key: str) -> int:
    _need(
        isinstance(value, int) and not isinstance(value, bool),
        file,
        key,
        f"expected an integer, got {value!r}",
    )
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
    return Entity(
        file=file, stem=path.stem, title=title, description=description, mixins=mixins, defs=defs, raw=data
    )


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
                _need(
                    m in known_mixins,
                    file,
                    key,
                    f"unknown mixin {m!r} (known: {', '.join(sorted(known_mixins))})",
                )


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
        _need(
            isinstance(options, list) and bool(options),
            file,
            _join(key, "anyOf"),
            "expected a non-empty list",
        )
        for i, option in enumerate(options):
            _property(option, file, _join(key, f"anyOf.{i}"), top=False)
    if "enum" in prop:
        _need(
            isinstance(prop["enum"], list) and bool(prop["enum"]), file, _join(key, "enum"), "expected a list"
        )
    if "x-flex" in prop:
        flex = _choice(prop["x-flex"], ("list", "object"), file, _join(key, "x-flex"))
        if flex == "list":
            _need(prop.get("type") == "array", file, _join(key, "x-flex"), "x-flex: list needs type: array")
        else:
            _need(
                "$ref" in prop, file, _join(key, "x-flex"), "x-flex: object needs a $ref to an object schema"
            )
    if "x-refuse" in prop:
        _string(prop["x-refuse"], file, _join(key, "x-refuse"))
        _need(bool(prop.get("readOnly")), file, _join(key, "x-refuse"), "x-refuse goes with readOnly: true")
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
            _need(
                target is not None, entity.file, key, f"dangling $ref {ref!r}: no file entities/{target_file}"
            )
        else:
            target = entity
        assert target is not None
        if not pointer:
            _need(
                target.title is not None,
                entity.file,
                key,
                f"dangling $ref {ref!r}: that file has no main schema",
            )
            continue
        match = re.fullmatch(r"/\$defs/([A-Za-z0-9_]+)", pointer)
        _need(
            match is not None, entity.file, key, f"$ref {ref!r}: only '#/$defs/Name' pointers are supported"
        )
        assert match is not None
        _need(
            match.group(1) in target.defs,
            entity.file,
            key,
            f"dangling $ref {ref!r}: no $defs.{match.group(1)}",
        )


def _check_entity_names(entities: dict[str, Entity]) -> None:
    seen: dict[str, str] = {}
    for entity in entities.values():
        names = ([entity.title] if entity.title else []) + list(entity.defs)
        for name in names:
            if name in seen:
                raise SpecError(entity.file, name, f"class name {name!r} already defined in {seen[name]}")
            seen[name] = entity.file


# --------------------------------------------------------------------------------------------- resources


def _load_resource(root: Path, path: Path, version: Version, classes: dict[str, str]) -> Resource:
    file, data = _read_yaml(root, path)
    data = _mapping(data, file, "")
    _keys(data, _RESOURCE_KEYS, file, "")
    for required in ("name", "description", "model", "operations"):
        _need(required in data, file, required, "missing required key")
    name = _string(data["name"], file, "name")
    _need(bool(re.fullmatch(r"[a-z][a-z0-9_]*", name)), file, "name", f"{name!r} must be snake_case")
    _need(not keyword.iskeyword(name), file, "name", f"{name!r} is a Python keyword")
    _need(
        name not in _CLIENT_ATTRS and not _VERSION_ID.match(name),
        file,
        "name",
        f"{name!r} would shadow a client attribute",
    )
    class_name = data.get("class") or "".join(p.capitalize() for p in name.split("_")) + "Resource"
    _need(
        isinstance(class_name, str) and bool(_CLASS.match(class_name)),
        file,
        "class",
        f"{class_name!r} is not a PascalCase class name",
    )
    description = _string(data["description"], file, "description")
    model_file = _string(data["model"], file, "model")
    entity = version.entities.get(model_file[: -len(".yaml")]) if model_file.endswith(".yaml") else None
    _need(
        entity is not None, file, "model", f"dangling reference {model_file!r}: no file entities/{model_file}"
    )
    assert entity is not None
    _need(entity.title is not None, file, "model", f"{model_file!r} has no main schema (title)")
    lock_kind = _string(data.get("lock_kind", name), file, "lock_kind")
    ops_raw = _mapping(data["operations"], file, "operations")
    _need(bool(ops_raw), file, "operations", "must not be empty")
    operations = [
        _load_operation(op_name, op_raw, file, version, classes, entity.title or "", class_name)
        for op_name, op_raw in ops_raw.items()
    ]
    return Resource(
        file=file,
        name=name,
        class_name=class_name,
        description=description,
        model_file=model_file,
        model=entity.title or "",
        lock_kind=lock_kind,
        operations=operations,
    )


def _load_operation(
    name: str, raw: Any, file: str, version: Version, classes: dict[str, str], model: str, class_name: str
) -> Operation:
    key = f"operations.{name}"
    _need(
        bool(re.fullmatch(r"[a-z][a-z0-9_]*", name)) and not keyword.iskeyword(name),
        file,
        key,
        f"{name!r} must be a snake_case method name",
    )
    _need(name not in ("with_raw_response",), file, key, f"{name!r} is reserved")
    raw = _mapping(raw, file, key)
    _keys(raw, _OP_KEYS, file, key)
    description = _string(raw.get("description"), file, f"{key}.description")
    kind = _choice(raw.get("kind", "call"), ("call", "save"), file, f"{key}.kind")
    _need("path" in raw, file, f"{key}.path", "missing required key")
    op_path = _string(raw["path"], file, f"{key}.path")
    _need(
        op_path.startswith("/") and "?" not in op_path and "#" not in op_path,
        file,
        f"{key}.path",
        "must start with '/' and hold no query",
    )
    params = _load_params(raw.get("params") or {}, file, f"{key}.params", classes, class_name, name)
    by_name = {p.name: p for p in params}
    placeholders = _PLACEHOLDER.findall(op_path)
    _need(len(set(placeholders)) == len(placeholders), file, f"{key}.path", "a path parameter appears twice")
    for ph in placeholders:
        p = by_name.get(ph)
        _need(
            p is not None and p.location == "path",
            file,
            f"{key}.path",
            f"{{{ph}}} needs a parameter {ph!r} with in: path",
        )
    for p in params:
        if p.location == "path":
            _need(
                p.name in placeholders,
                file,
                f"{key}.params.{p.name}",
                f"in: path but the path has no {{{p.name}}}",
            )
            _need(
                p.type in ("id", "int", "str", "literal"),
                file,
                f"{key}.params.{p.name}.type",
                "path parameters are id, int, str or literal",
            )
            _need(p.required, file, f"{key}.params.{p.name}.required", "path parameters are required")
    if kind == "save":
        return _load_save(name, raw, key, file, description, op_path, params, version, model)

    method = _choice(raw.get("method"), METHODS, file, f"{key}.method")
    body_params = [p for p in params if p.location == "body"]
    body: Any = raw.get("body")
    if method == "GET":
        _need(not body_params and body is None, file, key, "a GET has no body")
    if body is not None:
        used = set(_template_refs(body, file, f"{key}.body"))
        for ref in used:
            p = by_name.get(ref)
            _need(
                p is not None and p.location == "body", file, f"{key}.body", f"${ref} names no body parameter"
            )
        for p in body_params:
            _need(
                p.name in used,
                file,
                f"{key}.params.{p.name}",
                "a body parameter the body template does not use",
            )
    paging = None
    if "paging" in raw:
        pr = raw["paging"]
        if isinstance(pr, str):
            _need(
                pr in version.paging,
                file,
                f"{key}.paging",
                f"unknown paging preset {pr!r} (known: {', '.join(sorted(version.paging)) or 'none'})",
            )
            paging = version.paging[pr]
        else:
            paging = _paging(pr, file, f"{key}.paging")
        _need(method == "GET", file, f"{key}.paging", "only GET operations page")
        for wire in (paging.size_param, paging.offset_param, paging.page_param):
            _need(
                wire is None or all(p.wire != wire for p in params),
                file,
                f"{key}.paging",
                f"{wire!r} is set by the paging itself; do not declare it as a parameter",
            )
    response = _load_response(raw.get("response"), file, f"{key}.response", classes, by_name, version)
    if paging is not None:
        _need(
            response.type is not None and response.type.container == "list" and response.pick is None,
            file,
            f"{key}.response.type",
            "a paged operation returns list[...]",
        )
    return Operation(
        name=name,
        kind="call",
        description=description,
        method=method,
        path=op_path,
        params=params,
        response=response,
        paging=paging,
        body=body,
    )


def _load_save(
    name: str,
    raw: dict[str, Any],
    key: str,
    file: str,
    description: str,
    op_path: str,
    params: list[Param],
    version: Version,
    model: str,
) -> Operation:
    for k in ("method", "body", "paging"):
        _need(
            k not in raw,
            file,
            f"{key}.{k}",
            f"kind save takes no {k}: the version's write style ({version.write}) decides",
        )
    _need(
        all(p.location == "path" for p in params),
        file,
        f"{key}.params",
        "kind save takes path parameters only",
    )
    _need("batch_max" in raw, file, f"{key}.batch_max", "required for kind save")
    batch_max = _int(raw["batch_max"], file, f"{key}.batch_max")
    _need(batch_max > 0, file, f"{key}.batch_max", "must be positive")
    rraw = _mapping(raw.get("response") or {}, file, f"{key}.response")
    _keys(rraw, {"at"}, file, f"{key}.response")
    at = _dotted(rraw.get("at", ""), file, f"{key}.response.at")
    _need(bool(at), file, f"{key}.response.at", "where the write answer lists the saved items")
    return Operation(
        name=name,
        kind="save",
        description=description,
        method="POST",
        path=op_path,
        params=params,
        response=ResponseSpec(type=TypeRef("list", "SavedItem"), at=at, empty="error"),
        batch_max=batch_max,
    )


def _dotted(value: Any, file: str, key: str) -> list[str]:
    _need(isinstance(value, str), file, key, f"expected dotted keys, got {value!r}")
    parts = [p for p in str(value).split(".")] if value else []
    for p in parts:
        _need(
            bool(p) and bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", p)),
            file,
            key,
            f"bad key {p!r} in {value!r}",
        )
    return parts


def _type_ref(value: Any, file: str, key: str, classes: dict[str, str]) -> TypeRef:
    _need(
        isinstance(value, str),
        file,
        key,
        f"expected a type such as Lead, list[Lead] or dict[str, Lead], got {value!r}",
    )
    text = str(value).replace(" ", "")
    match = re.fullmatch(
        r"(?:(list)\[([A-Za-z_][A-Za-z0-9_]*)\]|(dict)\[str,([A-Za-z_][A-Za-z0-9_]*)\]|([A-Za-z_][A-Za-z0-9_]*))",
        text,
    )
    _need(match is not None, file, key, f"expected Name, list[Name] or dict[str, Name], got {value!r}")
    assert match is not None
    container = match.group(1) or match.group(3) or ""
    name = match.group(2) or match.group(4) or match.group(5)
    _need(
        name in classes or name in BUILTIN_TYPES,
        file,
        key,
        f"dangling reference: no class {name!r} (and not one of {', '.join(BUILTIN_TYPES)})",
    )
    return TypeRef(container=container, name=name)


def _load_response(
    raw: Any, file: str, key: str, classes: dict[str, str], params: dict[str, Param], version: Version
) -> ResponseSpec:
    if raw is None:
        return ResponseSpec(type=None, at=[], empty="none")
    raw = _mapping(raw, file, key)
    _keys(raw, _RESPONSE_KEYS, file, key)
    tref = _type_ref(raw["type"], file, f"{key}.type", classes) if "type" in raw else None
    at = _dotted(raw.get("at", ""), file, f"{key}.at")
    pick = raw.get("pick")
    if pick is not None:
        _need(
            isinstance(pick, str) and pick in params and params[pick].location == "query",
            file,
            f"{key}.pick",
            "names the query parameter whose value the picked item must carry",
        )
        _need(
            tref is not None and tref.container == "" and tref.is_model,
            file,
            f"{key}.pick",
            "pick returns one model out of the list at `at`",
        )
    default_empty = "none" if tref is None else ("empty" if tref.container else "error")
    empty = _choice(raw.get("empty", default_empty), EMPTY, file, f"{key}.empty")
    if empty == "empty":
        _need(
            tref is not None and tref.container != "", file, f"{key}.empty", "empty needs a list or dict type"
        )
    if empty == "default":
        _need(
            tref is not None and tref.is_model and tref.container == "",
            file,
            f"{key}.empty",
            "default needs a model type (built from {})",
        )
    check = raw.get("check")
    if check is not None:
        allowed = CHECKS[version.errors]
        _choice(check, allowed or ("(none for this version)",), file, f"{key}.check")
    write_back = None
    if "write_back" in raw:
        wb = _mapping(raw["write_back"], file, f"{key}.write_back")
        _keys(wb, {"param", "field"}, file, f"{key}.write_back")
        pname = wb.get("param")
        _need(
            isinstance(pname, str) and pname in params and params[pname].type == "models",
            file,
            f"{key}.write_back.param",
            "names a models parameter",
        )
        fname = _string(wb.get("field"), file, f"{key}.write_back.field")
        _need(
            tref is not None and tref.container == "list",
            file,
            f"{key}.write_back",
            "write_back needs a list answer aligned with the objects",
        )
        write_back = (str(pname), fname)
    return ResponseSpec(type=tref, at=at, pick=pick, empty=empty, check=check, write_back=write_back)


def _template_refs(node: Any, file: str, key: str) -> list[str]:
    if isinstance(node, str):
        if node.startswith("$"):
            _need(bool(_IDENT.match(node[1:])), file, key, f"{node!r} is not a $parameter reference")
            return [node[1:]]
        return []
    if isinstance(node, dict):
        out: list[str] = []
        for k, v in node.items():
            _need(
                isinstance(k, str) and not k.startswith("$"),
                file,
                key,
                f"template keys are plain strings, got {k!r}",
            )
            out += _template_refs(v, file, f"{key}.{k}")
        return out
    if isinstance(node, list):
        out = []
        for i, v in enumerate(node):
            out += _template_refs(v, file, f"{key}.{i}")
        return out
    _need(
        node is None or isinstance(node, (int, float, bool)),
        file,
        key,
        f"unsupported template value {node!r}",
    )
    return []


def _load_params(
    raw: Any, file: str, key: str, classes: dict[str, str], class_name: str, op: str
) -> list[Param]:
    items = _mapping(raw, file, key)
    params: list[Param] = []
    wires: set[tuple[str, str]] = set()
    for name, praw in items.items():
        pkey = f"{key}.{name}"
        _need(
            bool(_IDENT.match(name)) and not keyword.iskeyword(name),
            file,
            pkey,
            f"{name!r} is not a valid argument name",
        )
        _need(name not in RESERVED_PARAMS, file, pkey, f"{name!r} is reserved by the generated methods")
        praw = _mapping(praw, file, pkey)
        _keys(praw, _PARAM_KEYS, file, pkey)
        ptype = _choice(praw.get("type"), PARAM_TYPES, file, f"{pkey}.type")
        location = _choice(praw.get("in", "query"), LOCATIONS, file, f"{pkey}.in")
        wire = _string(praw.get("wire", name.rstrip("_")), file, f"{pkey}.wire")
        if location == "header":
            _need(
                ptype in ("http_date", "str", "int", "id"),
                file,
                f"{pkey}.type",
                "headers take http_date, str, int or id",
            )
            _need(
                bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", wire)),
                file,
                f"{pkey}.wire",
                f"{wire!r} is not a header name",
            )
        elif location == "query":
            _need(
                bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[A-Za-z0-9_]+\])*", wire)),
                file,
                f"{pkey}.wire",
                f"{wire!r}: a query key, optionally with [bracket] parts",
            )
        else:
            _need(bool(_IDENT.match(wire)), file, f"{pkey}.wire", f"{wire!r} is not a key name")
        _need((location, wire) not in wires, file, f"{pkey}.wire", f"two parameters send {wire!r}")
        wires.add((location, wire))
        _need(
            ptype not in ("model", "models", "refs") or location == "body",
            file,
            f"{pkey}.in",
            f"{ptype} parameters go in the body",
        )
        if ptype == "http_date":
            _need(location == "header", file, f"{pkey}.in", "http_date parameters are headers")
        values = _values(praw, ptype, file, pkey)
        fields: dict[str, dict[str, Any]] = {}
        if "fields" in praw:
            _need(ptype == "object", file, f"{pkey}.fields", f"only type object takes fields, not {ptype}")
            fields = _fields(praw["fields"], file, f"{pkey}.fields")
        model = praw.get("model")
        if ptype in ("model", "models", "refs"):
            _need(
                isinstance(model, str) and model in classes,
                file,
                f"{pkey}.model",
                f"type {ptype} needs the model class (dangling: {model!r})",
            )
        else:
            _need(model is None, file, f"{pkey}.model", f"only model/models/refs take a model, not {ptype}")
        chunk = praw.get("chunk")
        if chunk is not None:
            _need(
                ptype in ("models", "refs", "ids", "strs") and location == "body",
                file,
                f"{pkey}.chunk",
                "only list-valued body parameters are chunked",
            )
            _need(_int(chunk, file, f"{pkey}.chunk") > 0, file, f"{pkey}.chunk", "must be positive")
        param = Param(
            name=name,
            wire=wire,
            location=location,
            type=ptype,
            description=_string(praw.get("description"), file, f"{pkey}.description"),
            required=_bool(praw.get("required", False), file, f"{pkey}.required"),
            values=values,
            fields=fields,
            model=model,
            chunk=chunk,
        )
        if fields:
            param.typed_name = class_name.removesuffix("Resource") + "".join(
                part.capitalize() for part in (op + "_" + name).strip("_").split("_")
            )
        params.append(param)
    chunked = [p for p in params if p.chunk]
    _need(len(chunked) <= 1, file, key, "at most one chunked parameter")
    return params


def _values(raw: dict[str, Any], ptype: str, file: str, key: str) -> list[Any]:
    values = raw.get("values", [])
    if ptype == "pairs":
        _need(
            isinstance(values, list)
            and len(values) == 2
            and all(isinstance(v, str) and _IDENT.match(v) for v in values),
            file,
            f"{key}.values",
            "type pairs needs the two key names, e.g. [pipeline_id, status_id]",
        )
        return list(values)
    if ptype in ("literal", "literals", "csv"):
        _need(
            isinstance(values, list) and bool(values),
            file,
            f"{key}.values",
            f"type {ptype} needs a list of values",
        )
        for v in values:
            _need(
                isinstance(v, (str, int)) and not isinstance(v, bool),
                file,
                f"{key}.values",
                f"values are strings or integers, got {v!r}",
            )
        _need(len(set(map(repr, values))) == len(values), file, f"{key}.values", "duplicate value")
        if ptype == "csv":
            _need(all(isinstance(v, str) for v in values), file, f"{key}.values", "csv values are strings")
        return list(values)
    _need(
        "values" not in raw,
        file,
        f"{key}.values",
        f"only literal/literals/csv/pairs take values, not {ptype}",
    )
    return []


def _fields(raw: Any, file: str, key: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for fname, fconf in _mapping(raw, file, key).items():
        fkey = f"{key}.{fname}"
        _need(bool(_IDENT.match(fname)), file, fkey, f"{fname!r} is not a valid key name")
        fconf = _mapping(fconf, file, fkey)
        _keys(fconf, _FIELD_KEYS, file, fkey)
        ftype = _choice(fconf.get("type"), FIELD_TYPES, file, f"{fkey}.type")
        sub: dict[str, dict[str, Any]] = {}
        if "fields" in fconf:
            _need(ftype == "object", file, f"{fkey}.fields", f"only type object takes fields, not {ftype}")
            sub = _fields(fconf["fields"], file, f"{fkey}.fields")
        out[fname] = {
            "type": ftype,
            "wire": _string(fconf.get("wire", fname), file, f"{fkey}.wire"),
            "values": _values(fconf, ftype, file, fkey),
            "description": _string(fconf.get("description"), file, f"{fkey}.description"),
            "fields": sub,
        }
    return out


# --------------------------------------------------------------------------------------------- constants

_CONST_KEYS = {"enums", "lists", "tables"}


def _load_constants(root: Path, folder: Path) -> dict[str, Any]:
    path = folder / "constants.yaml"
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
        _keys(raw, {"name", "description", "values", "literal"}, file, key)
        values: Any = raw.get("values")
        _need(
            isinstance(values, list) and all(isinstance(v, str) for v in values),
            file,
            f"{key}.values",
            "expected a list of strings",
        )
        lists.append(
            {
                "name": _name(raw.get("name"), f"{key}.name", r"[A-Z][A-Z0-9_]*"),
                "description": _string(raw.get("description"), file, f"{key}.description"),
                "values": list(values),
                "literal": None
                if raw.get("literal") is None
                else _name(raw.get("literal"), f"{key}.literal", r"[A-Z][A-Za-z0-9]*"),
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
