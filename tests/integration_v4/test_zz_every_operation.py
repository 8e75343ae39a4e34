"""Every generated API v4 operation is called by the tests of this folder (run last: ``zz``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import amocrm.v4.resources as resources
from amocrm._sync.resource import SyncResource

from .conftest import CALLED, MODULES


def v4_operations() -> set[str]:
    names: set[str] = set()
    for name in resources.__all__:
        cls = getattr(resources, name)
        if isinstance(cls, type) and issubclass(cls, SyncResource):
            names.update(op.name for op in cls._operations.values())  # type: ignore[attr-defined]
    return names


def test_every_v4_operation_is_exercised() -> None:
    here = {p.stem for p in Path(__file__).parent.glob("test_*.py")} - {Path(__file__).stem}
    if not here <= MODULES:
        pytest.skip(f"only part of tests/integration_v4 ran (missing: {', '.join(sorted(here - MODULES))})")
    operations = v4_operations()
    assert len(operations) > 200
    missing = sorted(operations - CALLED)
    assert not missing, f"{len(missing)} v4 operations no test calls: {', '.join(missing)}"
