"""An AmoClient for the examples' sandbox (OAuth2 with the sandbox's code, tokens in a temp folder)."""

from __future__ import annotations

from typing import Any

from _env import scratch_dir

from amocrm import AmoClient, FileTokenStorage, OAuth2


def connect(sb: dict[str, Any], **options: Any) -> AmoClient:
    auth = OAuth2(sb["client_id"], sb["client_secret"], sb["redirect_uri"], code=sb["code"],
                  storage=FileTokenStorage(scratch_dir()))
    options.setdefault("throttle", None)  # the local sandbox needs no throttle; keep 7 for amoCRM
    return AmoClient(sb["subdomain"], auth=auth, base_url=sb["base_url"], **options)
