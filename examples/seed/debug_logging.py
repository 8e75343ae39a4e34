"""Seed README: debug output and logging to a file."""

from __future__ import annotations

import os

from _env import sandbox_info, scratch_dir

from amocrm import AmoAPI, AmoAPIDebugLogger, AmoAPIException, FileStorage

with sandbox_info() as sb:
    try:
        # Requests and answers to stdout (tokens and secrets are masked).
        AmoAPI.debug = True
        # ... and to a log file.
        log_file = os.environ.get("AMOCRM_EXAMPLE_LOG") or os.path.join(scratch_dir(), "logs", "debug_amocrm_api.log")
        AmoAPI.debug_logger = AmoAPIDebugLogger(log_file)

        AmoAPI.token_storage = FileStorage(scratch_dir())
        AmoAPI.throttle = None
        AmoAPI.oauth2(sb["subdomain"], sb["client_id"], sb["client_secret"], sb["redirect_uri"], sb["code"],
                      base_url=sb["base_url"])
        AmoAPI.get_account()
        print("log:", log_file)
    except AmoAPIException as e:
        print(f"Ошибка ({e.code}): {e}")
        raise
