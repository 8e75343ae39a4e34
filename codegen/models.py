"""Render the entity schemas into msgspec Structs with datamodel-code-generator (pinned 0.89.0).

The YAML schemas are converted to JSON Schema files in a temporary directory (``.yaml`` refs become
``.json``; each class gets ``customBasePath`` = its mixins + the amocrm base class), then
datamodel-codegen renders one module per file with our template (``templates/dmcg``), which adds
the ``__amo_write__``/``__amo_flex__`` class variables and the ``FlexList``/``FlexObj`` fields.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from codegen.errors import SpecError
from codegen.spec import Version

__all__ = ["DMCG_VERSION", "render_models"]

DMCG_VERSION = "0.89.0"
TEMPLATES = Path(__file__).parent / "templates"
BASE_MODULE = "amocrm.lib.base"


def mixins_module(version: str) -> str:
    """Where the hand-written helper mixins of ``version``'s models live."""
    return f"amocrm.lib.{version}.mixins"


def _has_flex(schema: dict[str, Any]) -> bool:
    return any(isinstance(p, dict) and "x-flex" in p for p in (schema.get("properties") or {}).values())


def _bases(schema: dict[str, Any], mixins: list[str], version: str) -> list[str]:
    base = "AmoFlexModel" if _has_flex(schema) else "AmoStruct"
    return [f"{mixins_module(version)}.{m}" for m in mixins] + [f"{BASE_MODULE}.{base}"]


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                file, sep, pointer = v.partition("#")
                v = (file[: -len(".yaml")] + ".json" if file else "") + sep + pointer
            out[k] = _rewrite_refs(v)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def to_json_schemas(version: Version) -> dict[str, dict[str, Any]]:
    """``{stem: JSON Schema}`` as fed to datamodel-codegen."""
    out: dict[str, dict[str, Any]] = {}
    for stem, entity in version.entities.items():
        raw = _rewrite_refs(entity.raw)
        doc: dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
        if entity.title:
            doc.update({k: v for k, v in raw.items() if k not in ("x-mixins", "$defs", "$schema")})
            doc["customBasePath"] = _bases(entity.raw, entity.mixins, version.id)
        else:
            doc["description"] = entity.description
        if entity.defs:
            defs = {}
            for name, schema in raw["$defs"].items():
                d = {k: v for k, v in schema.items() if k != "x-mixins"}
                d["title"] = name
                d["customBasePath"] = _bases(schema, list(schema.get("x-mixins") or []), version.id)
                defs[name] = d
            doc["$defs"] = defs
        out[stem] = doc
    return out


def dmcg_args(src: Path, out: Path, header: str) -> list[str]:
    """The datamodel-codegen command line (kept in one place so it is reviewable)."""
    return [
        "--input", str(src),
        "--input-file-type", "jsonschema",
        "--output", str(out),
        "--output-model-type", "msgspec.Struct",
        "--target-python-version", "3.10",
        "--keyword-only",
        "--use-standard-collections",
        "--use-union-operator",
        "--no-use-annotated",
        "--use-schema-description",
        "--use-field-description",
        "--remove-special-field-name-prefix",
        "--enum-field-as-literal", "all",
        "--disable-timestamp",
        "--formatters", "builtin",
        "--custom-template-dir", str(TEMPLATES / "dmcg"),
        "--field-extra-keys", "x-flex",
        "--additional-imports",
        "typing.ClassVar,amocrm.lib.types.FlexList,amocrm.lib.types.FlexObj",
        "--custom-file-header", header,
    ]  # fmt: skip


def render_models(version: Version, out_dir: Path, header: str) -> None:
    """Write ``out_dir/<stem>.py`` for every entity file (``__init__.py`` is rendered separately)."""
    schemas = to_json_schemas(version)
    with tempfile.TemporaryDirectory(prefix="amocrm-codegen-") as tmp:
        src = Path(tmp) / "schemas"
        src.mkdir()
        for stem, doc in schemas.items():
            (src / f"{stem}.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        # The builtin formatter takes its line length (and import grouping) from the nearest
        # pyproject.toml above the output: render under our own, so the output never depends on
        # where it is written. Long enough that class headers are never wrapped (0.89.0 drops
        # ``kw_only=True`` from a wrapped class header).
        (Path(tmp) / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
        staging = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "datamodel_code_generator", *dmcg_args(src, staging, header)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, cwd=tmp)
        if proc.returncode != 0:
            raise SpecError(str(version.root / "entities"), "", f"datamodel-codegen failed:\n{proc.stderr.strip()}")
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in sorted(staging.glob("*.py")):
            text = path.read_text(encoding="utf-8")
            _check_struct_headers(path.name, text)
            (out_dir / path.name).write_text(text, encoding="utf-8", newline="\n")


PYPROJECT = "[tool.ruff]\nline-length = 200\n"


def _check_struct_headers(name: str, text: str) -> None:
    """Every generated Struct must be ``kw_only=True`` (msgspec does not inherit it)."""
    for line in text.splitlines():
        if line.startswith("class ") and "kw_only=True" not in line:
            raise RuntimeError(f"datamodel-codegen output {name}: class header without kw_only=True: {line!r}")
