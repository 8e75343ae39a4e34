"""Render a validated spec into ``generated/`` (one package per API version) and ``api.md``.

Per version ``v``: ``v/models/`` (datamodel-code-generator), ``v/writes.py`` (write Structs and
``write_<model>`` functions from the write rules), ``v/resources/`` (one class per resource file,
each method a typed signature over an operation descriptor), ``v/client.py`` (the ``client.v``
namespace), ``v/constants.py`` and ``v/__init__.py`` (the version profile). ``_default/`` maps the
unprefixed ``client.leads`` and ``amocrm.models`` to the default version. The output is formatted
with ruff (pinned, isolated settings) so two runs give byte-identical trees.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import keyword
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from codegen.errors import SpecError
from codegen.models import render_models
from codegen.spec import Entity, Operation, Param, Resource, Spec, TypeRef, Version

__all__ = ["check", "diff_trees", "render_package", "spec_digest"]

TEMPLATES = Path(__file__).parent / "templates"
RUFF_ARGS = ["--isolated", "--line-length", "110", "--target-version", "py310"]


#: Read-only fields a save still uses: the id says add or update, updated_at is the version held.
_STAMPS = frozenset({"id", "updated_at"})


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.globals["pyrepr"] = repr
    env.filters["sig_name"] = lambda s: s.split(":")[0].strip()
    env.filters["snake"] = _snake
    env.filters["md_cell"] = lambda s: s.replace("builtins.", "").replace(" | ", " \\| ")
    return env


def spec_digest(spec: Spec, version: Version | None = None) -> str:
    """sha256 over ``versions.yaml`` and the spec files of ``version`` (all versions when None)."""
    digest = hashlib.sha256()
    roots = [version.root] if version is not None else [v.root for v in spec.versions.values()]
    paths = [spec.root / "versions.yaml"] + sorted(p for r in roots for p in r.rglob("*.yaml") if p.is_file())
    for path in paths:
        digest.update(path.relative_to(spec.root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8", newline="\n")


# ------------------------------------------------------------------------------------------ models facts


@dataclass
class ModelField:
    """One field of a generated model: Python attribute, wire key and its spec property."""

    attr: str
    wire: str
    prop: dict[str, Any]


@dataclass
class ModelClass:
    name: str
    module: str
    fields: list[ModelField]
    read_only: set[str] = field(default_factory=set)
    mixins: list[str] = field(default_factory=list)


def _generated_fields(path: Path) -> dict[str, list[tuple[str, str]]]:
    """``{class: [(attribute, wire key), ...]}`` read from a datamodel-codegen module (ast)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: dict[str, list[tuple[str, str]]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        items: list[tuple[str, str]] = []
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                attr = stmt.target.id
                if attr.startswith("__"):
                    continue
                wire = attr
                value = stmt.value
                if isinstance(value, ast.Call):
                    for kw in value.keywords:
                        if (
                            kw.arg == "name"
                            and isinstance(kw.value, ast.Constant)
                            and isinstance(kw.value.value, str)
                        ):
                            wire = kw.value.value
                items.append((attr, wire))
        out[node.name] = items
    return out


def _model_classes(version: Version, models_dir: Path) -> dict[str, ModelClass]:
    classes: dict[str, ModelClass] = {}
    for stem, entity in version.entities.items():
        generated = _generated_fields(models_dir / f"{stem}.py")
        schemas: list[tuple[str, dict[str, Any], list[str]]] = []
        if entity.title:
            schemas.append((entity.title, entity.raw, entity.mixins))
        for name, schema in entity.defs.items():
            schemas.append((name, schema, list(schema.get("x-mixins") or [])))
        for name, schema, mixins in schemas:
            props: dict[str, Any] = schema.get("properties") or {}
            pairs = generated.get(name)
            if pairs is None:
                raise SpecError(entity.file, name, "datamodel-codegen did not generate this class")
            by_wire = {wire: attr for attr, wire in pairs}
            fields: list[ModelField] = []
            for wire, prop in props.items():
                attr = by_wire.get(wire)
                if attr is None:
                    raise SpecError(entity.file, f"{name}.{wire}", "no generated field for this property")
                fields.append(ModelField(attr=attr, wire=wire, prop=prop))
            classes[name] = ModelClass(
                name=name,
                module=stem,
                fields=fields,
                read_only={f.wire for f in fields if f.prop.get("readOnly")},
                mixins=mixins,
            )
    return classes


def _ref_class(
    prop: dict[str, Any], entity_of: dict[str, str], classes: dict[str, ModelClass], home: Entity
) -> tuple[str | None, bool]:
    """The model class a property holds (one, or items of a list), and whether it is a list."""

    def resolve(ref: str) -> str | None:
        file, _, pointer = ref.partition("#")
        if pointer.startswith("/$defs/"):
            return pointer[len("/$defs/") :]
        if file:
            return entity_of.get(file[: -len(".yaml")])
        return home.title

    if "$ref" in prop:
        return resolve(prop["$ref"]), False
    items = prop.get("items")
    if isinstance(items, dict):
        if "$ref" in items:
            return resolve(items["$ref"]), True
        for option in items.get("anyOf") or []:
            if isinstance(option, dict) and "$ref" in option:
                return resolve(option["$ref"]), True
    return None, False


def _mixin_hooks(version: str) -> dict[str, set[str]]:
    """Method names defined by each helper mixin of ``version`` (read with ast, not imported)."""
    path = Path(__file__).resolve().parent.parent / "src" / "amocrm" / "lib" / version / "mixins.py"
    if not path.exists():
        import importlib.util

        found = importlib.util.find_spec("amocrm")
        for location in list(found.submodule_search_locations or []) if found else []:
            candidate = Path(location) / "lib" / version / "mixins.py"
            if candidate.exists():
                path = candidate
                break
    if not path.exists():
        return {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = {}
    bases: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
    for name in list(out):
        stack = list(bases.get(name, []))
        while stack:
            base = stack.pop()
            out[name] |= out.get(base, set())
            stack.extend(bases.get(base, []))
    return out


# ------------------------------------------------------------------------------------------ writes


@dataclass
class WriteField:
    """One field of a write Struct: its wire key, and how it is filled.

    ``pick``: copied from the read model's field at ``position`` (checked against ``types``);
    ``expr``: computed (a conversion), assigned after construction.
    """

    name: str
    wire: str
    description: str
    position: int | None = None
    types: str = ""
    attr: str = ""
    expr: str = ""
    fallback: str = ""
    #: Lines computing the field with a fast path for the usual types (``{w}`` is the target).
    fast: list[str] = field(default_factory=list)


@dataclass
class WriteClass:
    """A written class: its write Struct and function (when its write form differs), and its checks."""

    name: str
    model: str
    func: str
    fields: list[WriteField]
    hook: bool
    keys: list[str]
    writes: bool = True
    #: ``(attribute, allowed types)`` of every field written as it is.
    checks: list[tuple[str, str]] = field(default_factory=list)
    #: ``(attribute, nested class, is a list)`` of nested models to check with their own checker.
    nested_checks: list[tuple[str, str, bool]] = field(default_factory=list)
    #: Written by copying fields only: also gets ``write_<model>_many``.
    pure: bool = False
    #: Classes whose ``_ONLY_<class>`` type set the fast paths compare with.
    only: list[str] = field(default_factory=list)
    #: ``(model attribute, write fields it fills)``.
    field_map: list[tuple[str, list[str]]] = field(default_factory=list)
    #: ``(attribute, message)`` of read-only fields that raise when the caller sets them (``x-refuse``).
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def picked(self) -> list[WriteField]:
        return [f for f in self.fields if f.position is not None]

    @property
    def computed(self) -> list[WriteField]:
        return [f for f in self.fields if f.position is None and f.expr]


def _py_name(wire: str, taken: set[str]) -> str:
    name = wire.lstrip("_") or "field"
    if not name.isidentifier() or keyword.iskeyword(name):
        name = "f_" + "".join(ch if ch.isalnum() else "_" for ch in name)
    base, n = name, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


_JSON_RUNTIME = {
    "integer": ("int",),
    "number": ("int", "float"),
    "string": ("str",),
    "boolean": ("bool",),
    "object": ("dict",),
    "array": ("list", "tuple"),
    "null": ("NONE_TYPE",),
}


def _runtime_types(prop: dict[str, Any], ref: str | None) -> tuple[str, ...]:
    """The Python types a plain (copied) field may hold; ``None`` and ``UNSET`` always may."""
    out: list[str] = []

    def add(*names: str) -> None:
        for n in names:
            if n not in out:
                out.append(n)

    def walk(node: dict[str, Any]) -> None:
        types = node.get("type")
        for t in types if isinstance(types, list) else [types] if types else []:
            add(*_JSON_RUNTIME[t])
        if "$ref" in node:
            add("dict")
        for option in node.get("anyOf") or []:
            if isinstance(option, dict):
                walk(option)
        if "enum" in node and not types:
            for v in node["enum"]:
                add({bool: "bool", int: "int", float: "float", str: "str"}.get(type(v), "object"))
        if node.get("additionalProperties") is not None and not types:
            add("dict")

    walk(prop)
    if ref:
        out.insert(0, ref)
    if prop.get("x-flex") == "list":
        add("list", "dict")
    if prop.get("x-flex") == "object":
        add("list")
    if not out:
        add("object")
    add("NONE_TYPE", "UNSET_TYPE")
    return tuple(out)


def _write_plan(
    version: Version, classes: dict[str, ModelClass], saved: set[str], roots: set[str]
) -> tuple[list[WriteClass], dict[str, str | None]]:
    """Write Structs for the classes that are written (``roots`` and what they nest) and whose write
    form differs from the read form.

    Returns them in a stable order and ``{class: writer function or None}`` (None: written as is).
    """
    entity_of = {stem: e.title or "" for stem, e in version.entities.items()}
    home_of = {name: version.entities[mc.module] for name, mc in classes.items()}
    hooks = _mixin_hooks(version.id)
    needs: dict[str, bool] = {}

    def has_hook(name: str) -> bool:
        return any("_amo_write_hook" in hooks.get(m, set()) for m in classes[name].mixins)

    def differs(name: str, seen: frozenset[str] = frozenset()) -> bool:
        if name in needs:
            return needs[name]
        mc = classes[name]
        result = bool(mc.read_only) or has_hook(name) or name in saved
        for f in mc.fields:
            if "x-write" in f.prop or f.prop.get("readOnly"):
                result = result or "x-write" in f.prop
                continue
            ref, _ = _ref_class(f.prop, entity_of, classes, home_of[name])
            if ref and ref in classes and ref not in seen and differs(ref, seen | {name}):
                result = True
        needs[name] = result
        return result

    for name in sorted(classes):
        differs(name)
    reachable: set[str] = set()
    stack = sorted(roots)
    while stack:
        name = stack.pop()
        if name in reachable or name not in classes:
            continue
        reachable.add(name)
        for f in classes[name].fields:
            if not f.prop.get("readOnly"):
                ref, _ = _ref_class(f.prop, entity_of, classes, home_of[name])
                if ref:
                    stack.append(ref)
    writer_of: dict[str, str | None] = {
        n: (f"write_{_snake(n)}" if needs[n] and n in reachable else None) for n in classes
    }

    def pure(name: str) -> bool:
        """Written by copying fields only (no conversion, no hook): a list of them is written in one
        comprehension (``write_<model>_many``)."""
        if has_hook(name):
            return False
        for f in classes[name].fields:
            if f.prop.get("readOnly"):
                continue
            if "x-write" in f.prop or f.prop.get("x-flex"):
                return False
            ref, _ = _ref_class(f.prop, entity_of, classes, home_of[name])
            if ref and ref in classes and writer_of[ref]:
                return False
        return True

    plans: list[WriteClass] = []
    for name in sorted(classes):
        if name not in reachable:
            continue
        mc = classes[name]
        taken: set[str] = set()
        only: set[str] = set()
        attr_fields: dict[str, list[str]] = {}
        fields: list[WriteField] = []
        by_key: dict[str, WriteField] = {}
        checks: list[tuple[str, str]] = []
        nested_checks: list[tuple[str, str, bool]] = []
        refused: list[tuple[str, str, bool]] = []
        for position, f in enumerate(mc.fields):
            if f.prop.get("readOnly"):
                if f.prop.get("x-refuse"):
                    refused.append(
                        (f.attr, f"{name}.{f.attr} is not written by the API: {f.prop['x-refuse']}", True)
                    )
                elif f.attr not in _STAMPS and name in roots:
                    # objects written on their own; nested ones carry the server's values along
                    message = f"{name}.{f.attr} is read only (set by the server), so it is not sent"
                    refused.append((f.attr, message, False))
                continue
            xw = f.prop.get("x-write") or {}
            key = xw.get("key", f.wire)
            conv = xw.get("from", "value")
            src = f"o.{f.attr}"
            what = f"{name}.{f.attr}"
            ref, is_list = _ref_class(f.prop, entity_of, classes, home_of[name])
            held = ref if ref and ref in classes else None
            expr = ""
            fast: list[str] = []
            flex = bool(f.prop.get("x-flex"))
            if conv == "ids":
                expr = f"link_ids({src}, {what!r})"
                if held:
                    v = f"v_{f.attr}"
                    fast = [
                        f"{v} = {src}",
                        f"{{w}} = {v}.id if type({v}) is {held} and type({v}.id) is list and "
                        f"set(map(type, {v}.id)) <= _INT else UNSET if type({v}) is {held} and {v}.id is UNSET "
                        f"else link_ids({v}, {what!r})",
                    ]
                    only.add(held)
            elif conv == "id":
                expr = f"link_id({src}, {what!r})"
                if held:
                    v = f"v_{f.attr}"
                    fast = [
                        f"{v} = {src}",
                        f"{{w}} = {v}.id if type({v}) is {held} and type({v}.id) is int else UNSET if type({v}) "
                        f"is {held} and {v}.id is UNSET else link_id({v}, {what!r})",
                    ]
            elif conv == "tag_names":
                expr = f"tag_names({src}, {what!r})"
                if held:
                    v = f"v_{f.attr}"
                    fast = [
                        f"{v} = {src}",
                        f"if type({v}) is list and set(map(type, {v})) <= _ONLY_{held}:",
                        f"    names = list(map(_name, {v}))",
                        f"    {{w}} = list(dict.fromkeys(names)) if set(map(type, names)) <= _STR else "
                        f"tag_names({v}, {what!r})",
                        "else:",
                        f"    {{w}} = tag_names({v}, {what!r})",
                    ]
                    only.add(held)
            else:
                if held and writer_of[held]:
                    if is_list:
                        many = f"{writer_of[held]}_many" if pure(held) else "None"
                        expr = (
                            f"nested_list({src}, {writer_of[held]}, {held}, _KEYS_{held}, {what!r}, {many})"
                        )
                        if flex:
                            expr = f"placeholder({expr})"
                        if pure(held):
                            v = f"v_{f.attr}"
                            slow = expr.replace(src, v)
                            fast = [
                                f"{v} = {src}",
                                f"{{w}} = {many}({v}) if type({v}) is list and set(map(type, {v})) <= "
                                f"_ONLY_{held} else {slow}",
                            ]
                            only.add(held)
                    else:
                        expr = f"nested({src}, {writer_of[held]}, {held}, _KEYS_{held}, {what!r})"
                        if flex:
                            expr = f"placeholder({expr})"
                elif flex:
                    expr = f"placeholder({src})"
                if held:
                    nested_checks.append((f.attr, held, is_list))
                types = _runtime_types(f.prop, None if is_list else held)
                if not {"str", "int", "bool", "dict"} <= set(
                    types
                ):  # a field taking any JSON value: no check
                    checks.append((f.attr, "(" + ", ".join(types) + ")"))
            if key in by_key:
                # a second rule for the same key: used when the first left it unset
                first = by_key[key]
                first.fallback = expr or src
                attr_fields.setdefault(f.attr, []).append(first.name)
                continue
            wf = WriteField(
                name=_py_name(key, taken),
                wire=key,
                description=str(f.prop.get("description", "")).replace("\n", " "),
                attr=f.attr,
            )
            if expr:
                wf.expr = expr
                wf.fast = fast
            else:
                wf.position = position
            fields.append(wf)
            by_key[key] = wf
            attr_fields.setdefault(f.attr, []).append(wf.name)
        attrs = {f.attr: i for i, f in enumerate(mc.fields)}
        for extra in ("request_id", "updated_at"):
            if name in saved and extra not in by_key:
                wf = WriteField(name=_py_name(extra, taken), wire=extra, description="Set by save().")
                if extra == "updated_at" and extra in attrs:
                    # an add sends the caller's own value (imports keep their history); an update's
                    # is replaced by save() when the version stamps updates
                    wf.attr = extra
                    if "id" in attrs:
                        wf.expr = "UNSET if isinstance(o.id, int) else o.updated_at"
                    else:
                        wf.position = attrs[extra]
                    wf.description = "The caller's value on add; set by save() on update."
                    attr_fields.setdefault(extra, []).append(wf.name)
                    checks.append((extra, "(" + ", ".join(_runtime_types(mc.fields[attrs[extra]].prop, None)) + ")"))
                fields.append(wf)
        # copied fields first (one constructor call), then the computed ones
        ordered = [f for f in fields if f.position is not None] + [f for f in fields if f.position is None]
        plans.append(
            WriteClass(
                name=f"{name}Write",
                model=name,
                func=writer_of[name] or "",
                fields=ordered,
                hook=has_hook(name),
                keys=[f.wire for f in ordered],
                writes=bool(needs[name]),
                checks=checks,
                nested_checks=nested_checks,
                pure=pure(name),
                only=sorted(only),
                field_map=list(attr_fields.items()),
                refused=refused,
            )
        )
    return plans, writer_of


def _snake(name: str) -> str:
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            out += "_"
        out += ch.lower()
    return out


# ------------------------------------------------------------------------------------------ resources


_KIND_ANNOTATION = {
    "id": "int",
    "ids": "int | Sequence[int]",
    "int": "int",
    "number": "float",
    "str": "str",
    "strs": "str | Sequence[str]",
    "bool": "bool",
    "timestamp": "datetime.datetime | int",
    "time": "datetime.datetime | int | str",
    "http_date": "datetime.datetime | int",
    "range": "DateRange",
    "json": "Any",
}


def _literal(values: list[Any]) -> str:
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def _annotation(p: Param) -> str:
    if p.type == "literal":
        return _literal(p.values)
    if p.type == "literals":
        return f"Sequence[{_literal(p.values)}]"
    if p.type == "csv":
        return f"Sequence[{_literal(p.values)}]"
    if p.type == "object":
        return p.typed_name or "Mapping[str, Any]"
    if p.type == "model":
        return str(p.model)
    if p.type == "models":
        return f"{p.model} | Iterable[{p.model}]"
    if p.type == "refs":
        return f"int | {p.model} | Sequence[int | {p.model}]"
    return _KIND_ANNOTATION[p.type]


def _field_annotation(f: dict[str, Any], name: str, typed: list[tuple[str, dict[str, Any]]]) -> str:
    kind = f["type"]
    if kind == "pairs":
        return "Sequence[tuple[int, int] | Mapping[str, int]]"
    if kind == "int_range":
        return "IntRange"
    if kind == "literal":
        return _literal(f["values"])
    if kind == "literals":
        return f"Sequence[{_literal(f['values'])}]"
    if kind == "object":
        if f["fields"]:
            typed.append((name, f["fields"]))
            return name
        return "Mapping[str, Any]"
    return _KIND_ANNOTATION[kind]


def _field_literal(fields: dict[str, dict[str, Any]]) -> str:
    parts = []
    for fname, f in fields.items():
        sub = _field_literal(f["fields"]) if f["fields"] else "None"
        values = _tuple(f["values"])
        parts.append(f"{fname!r}: Field({f['wire']!r}, {f['type']!r}, {values}, {sub})")
    return "{" + ", ".join(parts) + "}"


def _tuple(values: list[Any]) -> str:
    if len(values) == 1:
        return f"({values[0]!r},)"
    return "(" + ", ".join(repr(v) for v in values) + ")"


def _tuple_raw(items: list[str]) -> str:
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def _template_literal(node: Any) -> str:
    if isinstance(node, str) and node.startswith("$"):
        return f"Ref({node[1:]!r})"
    if isinstance(node, dict):
        return "{" + ", ".join(f"{k!r}: {_template_literal(v)}" for k, v in node.items()) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(_template_literal(v) for v in node) + "]"
    return repr(node)


def _decode_type(t: TypeRef) -> str:
    inner = {"json": "Any"}.get(t.name, t.name)
    if t.container == "list":
        return f"list[{inner}]"
    if t.container == "dict":
        return f"dict[str, {inner}]"
    return inner


def _param_literal(p: Param, writer_of: dict[str, str | None]) -> str:
    args = [repr(p.name), repr(p.wire), repr(p.location), repr(p.type)]
    kw = []
    if p.required:
        kw.append("required=True")
    if p.values:
        kw.append(f"values={_tuple(p.values)}")
    if p.fields:
        kw.append(f"fields={_field_literal(p.fields)}")
    if p.model:
        kw.append(f"model={p.model}")
        writer = writer_of.get(p.model)
        if writer and p.type in ("model", "models"):
            kw.append(f"writer={writer}")
        if p.type in ("model", "models"):
            kw.append(f"checker=check_{_snake(p.model)}")
    if p.chunk:
        kw.append(f"chunk={p.chunk}")
    return "Param(" + ", ".join(args + kw) + ")"


def _page_class(op: Operation) -> str:
    assert op.paging is not None
    return {"offset": "OffsetPage", "page": "NumberPage", "links": "LinksPage"}[op.paging.style]


@dataclass
class MethodView:
    """What the resource template needs of one operation."""

    op: Operation
    const: str
    descriptor: str
    signature: list[str]
    returns: str
    call: str
    doc_args: list[tuple[str, str]]
    http: str


def _method_view(
    res: Resource,
    op: Operation,
    version: Version,
    writer_of: dict[str, str | None],
    typed: list[tuple[str, dict[str, Any]]],
) -> MethodView:
    const = "_" + op.name.upper()
    path_params = [p for p in op.params if p.location == "path"]
    others = [p for p in op.params if p.location != "path"]
    required = [p for p in others if p.required]
    optional = [p for p in others if not p.required]
    sig: list[str] = []
    doc_args: list[tuple[str, str]] = []
    for p in path_params + required:
        sig.append(f"{p.name}: {_annotation(p)}")
        doc_args.append((p.name, p.description))
    args_dict = "{" + ", ".join(f"{p.name!r}: {p.name}" for p in op.params) + "}"
    if op.kind == "save":
        model = res.model
        sig = [f"objects: {model} | Iterable[{model}]"] + sig
        star = ["*", "batch_size: int | None = None", "continue_on_error: bool = False"]
        sig += star
        doc_args = [
            ("objects", f"{model} objects: those with an id are updated, the others added.")
        ] + doc_args
        doc_args += [
            (
                "batch_size",
                f"Objects per request (default ``client.config.batch_size``, at most {op.batch_max}).",
            ),
            (
                "continue_on_error",
                "Send the remaining chunks after one fails (the error is raised at the end).",
            ),
        ]
        writer = writer_of[model]
        params = _tuple_raw([_param_literal(p, writer_of) for p in op.params])
        descriptor = (
            f"SaveOperation({res.name + '.' + op.name!r}, {version.id!r}, {op.path!r}, {model}, {writer}, "
            f"{op.batch_max}, {tuple(op.response.at)!r}, {res.lock_kind!r}, params={params}, "
            f"checker=check_{_snake(model)}, field_map=FIELD_MAP.get({model}))"
        )
        return MethodView(
            op,
            const,
            descriptor,
            sig,
            "SaveResult",
            f"self._save({const}, objects, {args_dict}, batch_size, continue_on_error)",
            doc_args,
            f"POST {op.path} (add, update)" if version.write == "envelope" else f"POST, PATCH {op.path}",
        )
    if optional or op.paging:
        sig.append("*")
    for p in optional:
        default = "()" if p.type == "csv" else "None"
        ann = _annotation(p) if p.type == "csv" else f"{_annotation(p)} | None"
        sig.append(f"{p.name}: {ann} = {default}")
        doc_args.append((p.name, p.description))
    result = op.response
    rtype = result.type
    extra_call = ""
    if op.paging is not None:
        assert rtype is not None
        item = rtype.name
        returns = f"{_page_class(op)}[{item}]"
        start = "offset" if op.paging.style == "offset" else "page"
        sig.append("page_size: int | None = None")
        sig.append(f"{start}: int | None = None")
        size_doc = f"Items per request (default ``client.config.page_size``, at most {op.paging.max})."
        if op.paging.size_param is None:
            size_doc = "Ignored: the server's page size is fixed."
        doc_args.append(("page_size", size_doc))
        doc_args.append(
            (
                start,
                "Offset of the first item (default 0)."
                if start == "offset"
                else "Page to start from (default 1).",
            )
        )
        call = f"self._list({const}, {args_dict}, page_size, {start})"
    else:
        returns = "None" if rtype is None else (rtype.python if rtype.container else rtype.name)
        if rtype is not None and rtype.name == "json" and not rtype.container:
            returns = "Any"
        call = f"self._call({const}, {args_dict}){extra_call}"
    rparts = []
    if rtype is not None:
        rparts.append(f"type={_decode_type(rtype)}")
        if result.at:
            rparts.append(f"at={tuple(result.at)!r}")
        if result.pick:
            rparts.append(f"pick={result.pick!r}")
        rparts.append(f"empty={result.empty!r}")
        if result.check:
            rparts.append(f"check={result.check!r}")
        if result.write_back:
            rparts.append(f"write_back={tuple(result.write_back)!r}")
        if rtype.container == "list":
            rparts.append("is_list=True")
        if rtype.container == "dict":
            rparts.append("is_dict=True")
    res_lit = "Result(" + ", ".join(rparts) + ")"
    params = _tuple_raw([_param_literal(p, writer_of) for p in op.params])
    paging = ""
    if op.paging is not None:
        pg = op.paging
        pk = [repr(pg.style), str(pg.max)]
        for k in ("size_param", "offset_param", "page_param"):
            v = getattr(pg, k)
            if v is not None:
                pk.append(f"{k}={v!r}")
        paging = ", paging=Paging(" + ", ".join(pk) + ")"
    body = f", body={_template_literal(op.body)}" if op.body is not None else ""
    descriptor = (
        f"Operation({res.name + '.' + op.name!r}, {version.id!r}, {op.method!r}, {op.path!r}, params={params}, "
        f"result={res_lit}{paging}{body})"
    )
    for p in op.params:
        if p.type == "object" and p.fields:
            typed.append((p.typed_name, p.fields))
    return MethodView(op, const, descriptor, sig, returns, call, doc_args, f"{op.method} {op.path}")


def _typed_dicts(typed: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    out: list[tuple[str, list[tuple[str, str, str]]]] = []
    seen: set[str] = set()
    queue = list(typed)
    while queue:
        name, fields = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        rows = []
        for fname, f in fields.items():
            sub: list[tuple[str, dict[str, Any]]] = []
            ann = _field_annotation(f, name + "".join(p.capitalize() for p in fname.split("_")), sub)
            queue.extend(sub)
            rows.append((fname, ann, f["description"]))
        out.append((name, rows))
    return out


def _resource_imports(
    res: Resource, views: list[MethodView], version: Version, writer_of: dict[str, str | None]
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    modules = version.classes
    wanted: set[str] = {res.model}
    writers: set[str] = set()
    for v in views:
        op = v.op
        t = op.response.type
        if t is not None and t.is_model:
            wanted.add(t.name)
        for p in op.params:
            if p.model:
                wanted.add(p.model)
                if p.type in ("model", "models"):
                    writers.add(f"check_{_snake(p.model)}")
                    if writer_of.get(p.model):
                        writers.add(str(writer_of[p.model]))
        if op.kind == "save":
            writers.add(f"check_{_snake(res.model)}")
            writers.add("FIELD_MAP")
            if writer_of.get(res.model):
                writers.add(str(writer_of[res.model]))
    grouped: dict[str, set[str]] = {}
    for name in wanted:
        if name not in modules:
            raise SpecError(res.file, "model", f"dangling reference: no class {name!r}")
        grouped.setdefault(modules[name], set()).add(name)
    return [(m, sorted(n)) for m, n in sorted(grouped.items())], sorted(writers)


# ------------------------------------------------------------------------------------------ package


def _lib_exports(version: str, module: str) -> list[str]:
    """``__all__`` of the hand-written ``amocrm.lib.<version>.<module>`` (read with ``ast``: importing
    it would import the packages being written), or ``[]`` when there is none."""
    import ast
    import importlib.util

    found = importlib.util.find_spec("amocrm")
    for location in list(found.submodule_search_locations or []) if found else []:
        source = Path(location) / "lib" / version / f"{module}.py"
        if not source.is_file():
            continue
        for node in ast.parse(source.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
                return sorted(str(v) for v in ast.literal_eval(node.value))
    return []


def render_package(spec: Spec, out: Path, api_md: Path | None = None) -> list[Path]:
    """Wipe ``out`` and render every version into it (and ``api_md`` when given); returns the files."""
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="amocrm-codegen-") as tmp:
        staging = Path(tmp) / out.name
        staging.mkdir()
        api_text = _render_into(spec, staging)
        _format(staging)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(staging, out)
    if api_md is not None:
        _write(api_md, api_text)
    files = sorted(p for p in out.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files + ([api_md] if api_md is not None else [])


def _render_into(spec: Spec, out: Path) -> str:
    env = _env()
    header = env.get_template("header.jinja").render().rstrip("\n")
    ctx: dict[str, Any] = {"header": header}
    api_sections: list[dict[str, Any]] = []
    for vid, version in spec.versions.items():
        vout = out / vid
        render_models(version, vout / "models", header)
        classes = _model_classes(version, vout / "models")
        saved = {r.model for r in version.resources for op in r.operations if op.kind == "save"}
        roots = saved | {
            p.model
            for r in version.resources
            for op in r.operations
            for p in op.params
            if p.model and p.type in ("model", "models")
        }
        plans, writer_of = _write_plan(version, classes, saved, roots)
        modules = version.classes
        by_module: dict[str, list[str]] = {}
        for name, module in modules.items():
            by_module.setdefault(module, []).append(name)
        module_list = [(m, sorted(names)) for m, names in sorted(by_module.items())]
        _write(
            vout / "models" / "__init__.py",
            env.get_template("models_init.py.jinja").render(
                ctx, version=version, modules=module_list, all_names=sorted(modules)
            ),
        )
        model_imports = sorted({(classes[p.model].module, p.model) for p in plans})
        checkers = {p.model: f"check_{_snake(p.model)}" for p in plans}
        nested_refs = sorted(
            {c for c in classes if any(f"_KEYS_{c}," in f.expr for p in plans for f in p.fields)}
        )
        typed_refs = sorted(
            {c for c in classes if any(t.startswith(f"({c},") for p in plans for _, t in p.checks)}
            | {c for p in plans for c in p.only}
        )
        refs_imports = sorted({(classes[c].module, c) for c in set(nested_refs) | set(typed_refs)})
        plan_keys = {p.model: p.keys for p in plans}
        key_classes = [
            (c, plan_keys.get(c) or [f.wire for f in classes[c].fields if not f.prop.get("readOnly")])
            for c in nested_refs
        ]
        _write(
            vout / "writes.py",
            env.get_template("writes.py.jinja").render(
                ctx,
                version=version,
                plans=plans,
                model_imports=sorted(set(model_imports) | set(refs_imports)),
                key_classes=key_classes,
                classes=classes,
                writer_of=writer_of,
                checkers=checkers,
                only_classes=sorted({c for p in plans for c in p.only}),
            ),
        )
        res_views = []
        for res in version.resources:
            typed: list[tuple[str, dict[str, Any]]] = []
            views = [_method_view(res, op, version, writer_of, typed) for op in res.operations]
            imports, writers = _resource_imports(res, views, version, writer_of)
            page_classes = sorted({_page_class(v.op) for v in views if v.op.paging is not None})
            _write(
                vout / "resources" / f"{res.name}.py",
                env.get_template("resource.py.jinja").render(
                    ctx,
                    res=res,
                    version=version,
                    views=views,
                    imports=imports,
                    writers=writers,
                    typed_dicts=_typed_dicts(typed),
                    page_classes=page_classes,
                    uses_range=any("DateRange" in s for v in views for s in v.signature)
                    or any("DateRange" in row[1] for _, rows in _typed_dicts(typed) for row in rows),
                    uses_int_range=any(
                        "IntRange" in row[1] for _, rows in _typed_dicts(typed) for row in rows
                    ),
                ),
            )
            res_views.append((res, views))
        _write(
            vout / "resources" / "__init__.py",
            env.get_template("resources_init.py.jinja").render(
                ctx, resources=version.resources, version=version
            ),
        )
        _write(
            vout / "client.py",
            env.get_template("client.py.jinja").render(ctx, resources=version.resources, version=version),
        )
        _write(
            vout / "constants.py",
            env.get_template("constants.py.jinja").render(ctx, constants=version.constants, version=version),
        )
        helpers = _lib_exports(vid, "fields")
        if helpers:
            _write(
                vout / "fields.py",
                env.get_template("fields.py.jinja").render(ctx, version=version, names=helpers),
            )
        _write(
            vout / "__init__.py",
            env.get_template("version_init.py.jinja").render(
                ctx, version=version, digest=spec_digest(spec, version), default=spec.default == vid
            ),
        )
        api_sections.append({"version": version, "resources": res_views, "default": spec.default == vid})
    default = spec.versions[spec.default]
    _write(
        out / "_default" / "__init__.py",
        env.get_template("default_init.py.jinja").render(ctx, version=default),
    )
    _write(
        out / "_default" / "resources.py",
        env.get_template("default_resources.py.jinja").render(
            ctx, version=default, resources=default.resources
        ),
    )
    _write(
        out / "_default" / "models.py",
        env.get_template("default_models.py.jinja").render(
            ctx, version=default, all_names=sorted(default.classes)
        ),
    )
    _write(
        out / "__init__.py",
        env.get_template("package_init.py.jinja").render(
            ctx, versions=list(spec.versions), default=spec.default, digest=spec_digest(spec)
        ),
    )
    return env.get_template("api.md.jinja").render(sections=api_sections, default=spec.default)


def _format(root: Path) -> None:
    """ruff: sort imports, drop unused ones, then format; deterministic (pinned ruff, isolated settings)."""
    for args in (
        ["check", "--fix", "--quiet", "--select", "I,F401", "--exit-zero", *RUFF_ARGS],
        ["format", "--quiet", *RUFF_ARGS],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "ruff", *args, str(root)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            raise SpecError(str(root), "", f"ruff {args[0]} failed:\n{proc.stdout}{proc.stderr}")


def _files(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc")
    }


def diff_trees(expected: Path, actual: Path, label: str = "generated") -> str:
    """Unified diff from ``actual`` (on disk) to ``expected`` (fresh rendering); ``""`` when identical."""
    want, have = _files(expected), _files(actual)
    chunks: list[str] = []
    for name in sorted(set(want) | set(have)):
        old = have.get(name)
        new = want.get(name)
        if old == new:
            continue
        old_lines = old.decode("utf-8", "replace").splitlines(keepends=True) if old is not None else []
        new_lines = new.decode("utf-8", "replace").splitlines(keepends=True) if new is not None else []
        chunks.extend(
            difflib.unified_diff(
                old_lines,
                new_lines,
                fromfile=f"{label}/{name}" if old is not None else "/dev/null",
                tofile=f"{label}/{name} (from spec)" if new is not None else "/dev/null",
            )
        )
        if chunks and not chunks[-1].endswith("\n"):
            chunks.append("\n")
    return "".join(chunks)


def check(spec: Spec, out: Path, api_md: Path | None = None) -> str:
    """Render into a temporary directory and diff against ``out`` (and ``api_md``)."""
    with tempfile.TemporaryDirectory(prefix="amocrm-codegen-check-") as tmp:
        fresh = Path(tmp) / out.name
        fresh_md = Path(tmp) / "api.md" if api_md is not None else None
        render_package(spec, fresh, fresh_md)
        text = diff_trees(fresh, out, label=out.name)
        if api_md is not None and fresh_md is not None:
            want = fresh_md.read_text(encoding="utf-8")
            have = api_md.read_text(encoding="utf-8") if api_md.exists() else ""
            if want != have:
                text += "".join(
                    difflib.unified_diff(
                        have.splitlines(keepends=True),
                        want.splitlines(keepends=True),
                        fromfile=api_md.name,
                        tofile=f"{api_md.name} (from spec)",
                    )
                )
        return text
