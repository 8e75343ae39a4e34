"""Every public symbol of ``amocrm`` has a known type (``pyright --verifytypes``), as users' type checkers need."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


def _verifytypes() -> Any:
    spec = importlib.util.spec_from_file_location("amocrm_verifytypes", HERE / "verifytypes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_public_api_types_are_complete() -> None:
    vt: Any = _verifytypes()
    if vt.pyright_command() is None:
        pytest.skip("pyright is not installed")
    try:
        report = vt.verify("amocrm")
    except RuntimeError as exc:  # e.g. pyright's node runtime cannot start offline
        pytest.skip(str(exc))
    completeness = report["typeCompleteness"]
    assert completeness["packageName"] == "amocrm"
    assert completeness["exportedSymbolCounts"]["withKnownType"] > 300  # really looked at the package
    missing = vt.problems(report)
    assert completeness["completenessScore"] == 1.0, "\n".join(missing)
