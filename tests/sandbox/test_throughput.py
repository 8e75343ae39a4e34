"""The benchmark module runs and shows the required >= 500 req/s on loopback (rate limit off)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "sandbox_throughput.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sandbox_throughput", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_throughput_at_least_500_rps() -> None:
    result = _load().run(1.5, 2)
    assert result["errors"] == 0
    assert result["server_counted"] == result["requests"]
    assert result["rps"] >= 500, result


def test_run_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="threads"):
        _load().run(1.0, 0)
