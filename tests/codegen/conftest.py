"""Fixtures for the codegen/resource tests (the fake client lives in codegen_fakes.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for _path in (REPO, REPO / "src", Path(__file__).resolve().parent):  # `codegen` lives at the repo root, `amocrm` under src/
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from codegen_fakes import FakeClient  # noqa: E402


@pytest.fixture
def fake() -> FakeClient:
    return FakeClient()


@pytest.fixture
def spec_copy(tmp_path: Path) -> Path:
    """A private copy of spec/ to edit."""
    dst = tmp_path / "spec"
    shutil.copytree(REPO / "spec", dst)
    return dst
