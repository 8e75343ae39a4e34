"""Render a validated spec into a package directory, and compare a rendering with ``generated/``."""

from __future__ import annotations

import difflib
import hashlib
import pprint
import shutil
import tempfile
from pathlib import Path
from typing import Any

import jinja2

from codegen.errors import SpecError
from codegen.models import render_models
from codegen.spec import Resource, Spec

__all__ = ["diff_trees", "render_package", "spec_digest"]

TEMPLATES = Path(__file__).parent / "templates"


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
    return env


def spec_digest(spec: Spec) -> str:
    """sha256 over every spec file (path and bytes, sorted): pins what ``generated/`` came from."""
    digest = hashlib.sha256()
    for path in sorted(p for p in spec.root.rglob("*.yaml") if p.is_file()):
        digest.update(path.relative_to(spec.root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _class_modules(spec: Spec) -> dict[str, str]:
    out: dict[str, str] = {}
    for stem, entity in spec.entities.items():
        for name in ([entity.title] if entity.title else []) + list(entity.defs):
            out[name] = stem
    return out


def _resource_imports(res: Resource, modules: dict[str, str]) -> list[tuple[str, list[str]]]:
    wanted = {res.model} | {op.result for op in res.operations if op.result}
    grouped: dict[str, set[str]] = {}
    for name in wanted:
        if name not in modules:
            raise SpecError(res.file, "model", f"dangling reference: no class {name!r}")
        grouped.setdefault(modules[name], set()).add(name)
    return [(module, sorted(names)) for module, names in sorted(grouped.items())]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8", newline="\n")


def render_package(spec: Spec, out: Path) -> list[Path]:
    """Wipe ``out`` and render everything into it; returns the written files (sorted)."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = _env()
    header = env.get_template("header.jinja").render().rstrip("\n")
    ctx: dict[str, Any] = {"header": header}

    render_models(spec, out / "models", header)
    modules = _class_modules(spec)
    by_module: dict[str, list[str]] = {}
    for name, module in modules.items():
        by_module.setdefault(module, []).append(name)
    module_list = [(m, sorted(names)) for m, names in sorted(by_module.items())]
    _write(
        out / "models" / "__init__.py",
        env.get_template("models_init.py.jinja").render(
            ctx, modules=module_list, all_names=sorted(modules)
        ),
    )

    resource_tpl = env.get_template("resource.py.jinja")
    for res in spec.resources:
        paging_literal = pprint.pformat(dict(sorted(res.paging.items())), width=200, sort_dicts=True)
        _write(
            out / "resources" / f"{res.name}.py",
            resource_tpl.render(ctx, res=res, imports=_resource_imports(res, modules), paging_literal=paging_literal),
        )
    _write(out / "resources" / "__init__.py", env.get_template("resources_init.py.jinja").render(ctx, resources=spec.resources))
    _write(out / "client.py", env.get_template("client.py.jinja").render(ctx, resources=spec.resources))
    _write(out / "constants.py", env.get_template("constants.py.jinja").render(ctx, constants=spec.constants))
    _write(out / "__init__.py", env.get_template("package_init.py.jinja").render(ctx, digest=spec_digest(spec)))
    return sorted(p for p in out.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


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


def check(spec: Spec, out: Path) -> str:
    """Render into a temporary directory and diff against ``out``."""
    with tempfile.TemporaryDirectory(prefix="amocrm-codegen-check-") as tmp:
        fresh = Path(tmp) / out.name
        render_package(spec, fresh)
        return diff_trees(fresh, out, label=out.name)
