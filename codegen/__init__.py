"""amocrm code generator: ``spec/`` (YAML) -> ``generated/`` (msgspec models, resources, client, constants).

Run ``python -m codegen`` (regenerate), ``python -m codegen --check`` (fail with a diff when
``generated/`` is stale) or ``python -m codegen --spec DIR --out DIR``. See ``spec/README.md``.
"""

from __future__ import annotations

from codegen.errors import SpecError

__all__ = ["SpecError"]
