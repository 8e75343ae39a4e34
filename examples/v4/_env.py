"""What the v4 examples share: where amoCRM is, a connected client, and their command line.

An example talks to the bundled sandbox: the one whose start-up JSON line (``amocrm sandbox``
prints it; ``Sandbox.info()`` in Python) is given by ``--sandbox JSON`` or the environment variable
``AMOCRM_SANDBOX_INFO``; without either it starts a sandbox of its own for the run. The sandbox's
authorization code is single-use, so each run either gets a fresh sandbox or keeps its tokens in
``--tokens DIR`` (the second run of the same sandbox then needs no code).

For a real account, replace :func:`connect` by ``AmoClient(domain, auth=OAuth2.from_storage(storage,
domain))`` with the tokens ``oauth.py`` (or ``amocrm auth``) stored.
"""

from __future__ import annotations

import argparse
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

from amocrm import AmoClient, FileTokenStorage, OAuth2  # noqa: E402
from amocrm.client import resolve_domain  # noqa: E402

__all__ = ["connect", "parser", "sandbox_info"]


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with the options every example has (``--sandbox``, ``--tokens``)."""
    p = argparse.ArgumentParser(description=(doc or "").split("\n\n", 1)[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sandbox", default=os.environ.get("AMOCRM_SANDBOX_INFO", ""), metavar="JSON",
                   help="the sandbox's start-up JSON line (default: $AMOCRM_SANDBOX_INFO, else start one)")
    p.add_argument("--tokens", default="", metavar="DIR",
                   help="folder for the OAuth token file (default: a new temporary folder)")
    return p


@contextlib.contextmanager
def sandbox_info(raw: str) -> Generator[dict[str, Any], None, None]:
    """The sandbox described by ``raw`` (its JSON info line), or a fresh one for this run when empty."""
    if raw:
        info: dict[str, Any] = json.loads(raw)
        yield info
        return
    from amocrm.sandbox import Sandbox

    with Sandbox(rate_limit=None) as sandbox:
        yield sandbox.info()


def connect(sb: dict[str, Any], tokens: str = "", **options: Any) -> AmoClient:
    """An ``AmoClient`` for the sandbox: OAuth 2.0, its code exchanged on the first request unless
    ``tokens`` (a folder) already holds tokens for it; ``options`` go to ``AmoClient``."""
    storage = FileTokenStorage(tokens or tempfile.mkdtemp(prefix="amocrm-example-"))
    code = None if storage.has_tokens(resolve_domain(sb["subdomain"])) else sb["code"]
    auth = OAuth2(sb["client_id"], sb["client_secret"], sb["redirect_uri"], code=code, storage=storage)
    options.setdefault("throttle", None)  # the local sandbox needs no throttle; keep the default for amoCRM
    options.setdefault("ca_file", sb.get("ca_file"))
    return AmoClient(sb["subdomain"], auth=auth, base_url=sb["base_url"], **options)
