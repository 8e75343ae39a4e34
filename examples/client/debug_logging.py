"""AmoClient, API v2 (``client.v2``): debug output and logging to a file (the standard ``amocrm`` logger, secrets masked)."""

from __future__ import annotations

import logging
import os

from _client import connect
from _env import sandbox_info, scratch_dir

from amocrm._logging import DebugFileLogger, enable_debug

with sandbox_info() as sb:
    enable_debug()  # the seed's framed lines on stdout
    log_file = os.environ.get("AMOCRM_EXAMPLE_LOG") or os.path.join(scratch_dir(), "logs", "debug_amocrm_api.log")
    logging.getLogger("amocrm").addHandler(DebugFileLogger(log_file))
    with connect(sb) as client:
        client.v2.account.get()
    print("log:", log_file)
