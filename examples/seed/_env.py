"""Where the examples find amoCRM: a sandbox given by AMOCRM_SANDBOX_INFO (its JSON info line) or argv[1],
else a sandbox of their own. The sandbox's code is single-use: give each script a fresh one."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

_SRC = Path(__file__).resolve().parents[2] / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))  # run from a checkout without installing


@contextlib.contextmanager
def sandbox_info() -> Generator[dict[str, Any], None, None]:
    raw = os.environ.get("AMOCRM_SANDBOX_INFO") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if raw:
        yield json.loads(raw)
        return
    from amocrm.sandbox import Sandbox

    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox.info()


def scratch_dir() -> str:
    """A temporary folder for token files, lock files and logs."""
    return tempfile.mkdtemp(prefix="amocrm-example-")
