"""``amocrm``: the command line (``sandbox``, ``auth``, ``export``, ``request``); needs ``amocrm[cli]`` (click).

Kept out of ``import amocrm``: click and the commands load only when the command runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``amocrm`` command; returns the exit code (console-script entry point)."""
    import importlib.util

    if importlib.util.find_spec("click") is None:
        sys.stderr.write("error: the amocrm command needs click: pip install 'amocrm[cli]'\n")
        return 1
    from amocrm.cli._commands import run

    return run(list(sys.argv[1:] if argv is None else argv))
